/**
 * WaitForControlledPodsRunning (cl2.md §3.2): a gate, not a latency. Every controlling object
 * (Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job) that is added, or
 * whose spec changes, gets a checker with its own operationTimeout (twice as long for deletes and
 * scale-downs). A checker is done when every pod selected by the object is Running and Ready or
 * inactive (Succeeded/Failed), every running pod is updated (its spec derives from the object's
 * template) and their number is the desired replicas ± countErrorMargin; terminating pods block.
 * Gather is a barrier: it LISTs the objects, waits (up to syncTimeout) until the watch has caught up
 * with that list, then waits for every checker, and fails on timeouts or a wrong running count.
 */
import { ConfigError } from '../common/errors.js';
import { KubeApiError } from '../kube/api.js';
import { ListWatch, type WatchedObject } from '../kube/list-watch.js';
import { optionalDurationMs } from './duration.js';
import { actionOf, boolParam, numberParam, stringParam } from './result.js';
import type {
  Measurement,
  MeasurementContext,
  MeasurementMethod,
  MeasurementParams,
  MeasurementResult,
} from './types.js';

interface KindInfo {
  group: string;
  version: string;
  plural: string;
}

export const CONTROLLER_KINDS: Readonly<Record<string, KindInfo>> = {
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments' },
  ReplicaSet: { group: 'apps', version: 'v1', plural: 'replicasets' },
  StatefulSet: { group: 'apps', version: 'v1', plural: 'statefulsets' },
  DaemonSet: { group: 'apps', version: 'v1', plural: 'daemonsets' },
  ReplicationController: { group: '', version: 'v1', plural: 'replicationcontrollers' },
  Job: { group: 'batch', version: 'v1', plural: 'jobs' },
};

function collectionPath(info: KindInfo, namespace: string | undefined): string {
  const root = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  return namespace
    ? `${root}/namespaces/${encodeURIComponent(namespace)}/${info.plural}`
    : `${root}/${info.plural}`;
}

interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

interface ControllerObject extends WatchedObject {
  spec?: {
    replicas?: number;
    parallelism?: number;
    selector?: Record<string, unknown>;
    template?: { spec?: Record<string, unknown> };
  };
  status?: { desiredNumberScheduled?: number };
}

/** Matches pod labels against a workload's selector (LabelSelector, or an RC's plain map). */
export function selectorMatcher(
  kind: string,
  selector: Record<string, unknown> | undefined,
): (labels: Record<string, string>) => boolean {
  if (!selector) return () => false;
  const plain = kind === 'ReplicationController';
  const matchLabels = (plain ? selector : (selector.matchLabels ?? {})) as Record<string, string>;
  const expressions = (
    plain ? [] : (selector.matchExpressions ?? [])
  ) as LabelSelectorRequirement[];
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return () => !plain;
  return (labels) => {
    for (const [k, v] of Object.entries(matchLabels)) if (labels[k] !== v) return false;
    for (const e of expressions) {
      const has = Object.hasOwn(labels, e.key);
      const v = labels[e.key];
      switch (e.operator) {
        case 'In':
          if (!has || !(e.values ?? []).includes(v!)) return false;
          break;
        case 'NotIn':
          if (has && (e.values ?? []).includes(v!)) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
        default:
          return false;
      }
    }
    return true;
  };
}

function isZero(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 0 || v === false;
}

/**
 * Kubernetes `equality.Semantic.DeepDerivative(template, pod)`: every field set in the template has
 * the same value in the pod; fields the template leaves unset (defaults, nodeName) are ignored.
 * Quantities are compared as written.
 */
export function isDerivative(template: unknown, actual: unknown): boolean {
  if (isZero(template)) return true;
  if (Array.isArray(template)) {
    // A missing list has length 0, as a nil Go slice does.
    const list: unknown = actual ?? [];
    if (!Array.isArray(list) || list.length !== template.length) return false;
    return template.every((t, i) => isDerivative(t, list[i]));
  }
  if (typeof template === 'object') {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    return Object.entries(template as Record<string, unknown>).every(([k, v]) =>
      isDerivative(v, a[k]),
    );
  }
  return template === actual;
}

interface PodRecord {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  phase: string;
  ready: boolean;
  terminating: boolean;
  nodeName: string;
  /**
   * Fingerprints of the templates (of objects selecting this pod) the pod's spec derives from,
   * worked out when the pod event arrives, so that no pod spec is retained.
   */
  updatedFor: readonly string[];
}

interface TemplateEntry {
  matches: (labels: Record<string, string>) => boolean;
  template: Record<string, unknown>;
  fingerprint: string;
}

const NO_TEMPLATES: readonly string[] = [];

interface PodObject extends WatchedObject {
  metadata?: WatchedObject['metadata'] & {
    labels?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown> & { nodeName?: string };
  status?: { phase?: string; conditions?: Array<{ type?: string; status?: string }> };
}

type CheckerStatus = 'waiting' | 'running' | 'deleted' | 'timeout' | 'deleteTimeout' | 'stopped';

interface Checker {
  key: string;
  namespace: string;
  matches: (labels: Record<string, string>) => boolean;
  desired: number;
  isUpdated: ((pod: PodRecord) => boolean) | undefined;
  deadline: number;
  deleted: boolean;
  /** DaemonSet without status.desiredNumberScheduled: desired follows the node count. */
  followsNodeCount: boolean;
  status: CheckerStatus;
  lastProblem: string;
  startedAt: number;
  finishedAt?: number;
}

interface PodCounts {
  total: number;
  running: number;
  runningUpdated: number;
  inactive: number;
}

class WaitForControlledPodsMeasurement implements Measurement {
  private objectWatch: ListWatch | undefined;
  private podWatch: ListWatch | undefined;
  private readonly pods = new Map<string, Map<string, PodRecord>>();
  private readonly specs = new Map<string, string>();
  /** namespace → object key → its pod template, for judging pods as they arrive. */
  private readonly templates = new Map<string, Map<string, TemplateEntry>>();
  private readonly checkers = new Map<string, Checker>();
  private readonly objectKeys = new Set<string>();
  private opResourceVersion = 0;
  private kind = '';
  private info: KindInfo | undefined;
  private namespace: string | undefined;
  private labelSelector: string | undefined;
  private fieldSelector: string | undefined;
  private operationTimeoutMs = 600_000;
  private countErrorMargin = 0;
  private checkUpdated = true;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private maxDurationMs = 0;

  constructor(
    private readonly context: MeasurementContext,
    private readonly identifier: string,
    private readonly pollIntervalMs: number,
  ) {}

  async execute(params: MeasurementParams): Promise<MeasurementResult[]> {
    const action = actionOf(params);
    if (action === 'start') {
      await this.start(params);
      return [];
    }
    if (action === 'gather') return [await this.gather(params)];
    if (action === 'stop') {
      await this.dispose();
      return [];
    }
    throw new ConfigError(
      `WaitForControlledPodsRunning ${this.identifier}: unknown action "${action}"; use start, gather or stop`,
    );
  }

  private async start(params: MeasurementParams): Promise<void> {
    if (this.objectWatch)
      throw new ConfigError(`WaitForControlledPodsRunning ${this.identifier}: already started`);
    const kind = stringParam(params, 'kind');
    const info = kind ? CONTROLLER_KINDS[kind] : undefined;
    if (!kind || !info)
      throw new ConfigError(
        `WaitForControlledPodsRunning ${this.identifier}: kind must be one of ${Object.keys(CONTROLLER_KINDS).join(', ')}, got ${JSON.stringify(params.kind)}`,
      );
    this.kind = kind;
    this.info = info;
    this.namespace = stringParam(params, 'namespace');
    this.labelSelector = stringParam(params, 'labelSelector');
    this.fieldSelector = stringParam(params, 'fieldSelector');
    this.operationTimeoutMs = optionalDurationMs(
      params.operationTimeout,
      'operationTimeout',
      600_000,
    );
    this.countErrorMargin = numberParam(params, 'countErrorMargin', 0);
    this.checkUpdated = boolParam(params, 'checkIfPodsAreUpdated', true);
    const kc = this.context.kube.kubeConfig;
    this.objectWatch = new ListWatch(kc, {
      path: collectionPath(info, this.namespace),
      labelSelector: this.labelSelector,
      fieldSelector: this.fieldSelector,
      onEvent: (type, object) => this.onObject(type, object as ControllerObject),
      onError: (err) =>
        this.context.log(
          `WaitForControlledPodsRunning ${this.identifier}: ${kind}: ${err.message} (watch resumes)`,
        ),
    });
    await this.objectWatch.start();
    // Pods after objects: each pod event is judged against the templates already known.
    this.podWatch = new ListWatch(kc, {
      path: this.namespace
        ? `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/pods`
        : '/api/v1/pods',
      onEvent: (type, object) => this.onPod(type, object as PodObject),
      onError: (err) =>
        this.context.log(
          `WaitForControlledPodsRunning ${this.identifier}: pods: ${err.message} (watch resumes)`,
        ),
    });
    await this.podWatch.start();
    this.loop = this.pollLoop();
  }

  private onPod(type: string, pod: PodObject): void {
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    let byName = this.pods.get(ns);
    if (type === 'DELETED') {
      byName?.delete(name);
      return;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED') return;
    if (!byName) {
      byName = new Map();
      this.pods.set(ns, byName);
    }
    const labels = pod.metadata?.labels ?? {};
    byName.set(name, {
      namespace: ns,
      name,
      labels,
      phase: pod.status?.phase ?? '',
      ready:
        pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
      terminating: !!pod.metadata?.deletionTimestamp,
      nodeName: pod.spec?.nodeName ?? '',
      updatedFor: this.checkUpdated ? this.derivedTemplates(ns, labels, pod.spec) : NO_TEMPLATES,
    });
  }

  private derivedTemplates(
    namespace: string,
    labels: Record<string, string>,
    spec: Record<string, unknown> | undefined,
  ): readonly string[] {
    let out: string[] | undefined;
    for (const entry of this.templates.get(namespace)?.values() ?? []) {
      if (!entry.matches(labels) || !isDerivative(entry.template, spec)) continue;
      (out ??= []).push(entry.fingerprint);
    }
    return out ?? NO_TEMPLATES;
  }

  private setTemplate(key: string, object: ControllerObject | undefined): void {
    const namespace = key.slice(0, key.indexOf('/'));
    let byKey = this.templates.get(namespace);
    const template = object?.spec?.template?.spec;
    if (!object || !template) {
      byKey?.delete(key);
      return;
    }
    if (!byKey) {
      byKey = new Map();
      this.templates.set(namespace, byKey);
    }
    byKey.set(key, {
      matches: selectorMatcher(this.kind, object.spec?.selector),
      template,
      fingerprint: JSON.stringify(template),
    });
  }

  private onObject(type: string, object: ControllerObject): void {
    if (type === 'BOOKMARK') return;
    const key = `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
    const rv = Number(object.metadata?.resourceVersion ?? 0);
    if (rv > this.opResourceVersion) this.opResourceVersion = rv;
    const spec = JSON.stringify(object.spec ?? {});
    const previous = this.specs.get(key);
    if (type === 'DELETED') {
      this.objectKeys.delete(key);
      this.specs.delete(key);
      this.setTemplate(key, undefined);
      this.startChecker(key, object, true, true);
      return;
    }
    this.objectKeys.add(key);
    if (previous === spec) return;
    this.specs.set(key, spec);
    this.setTemplate(key, object);
    const oldReplicas = previous
      ? this.desiredOf(JSON.parse(previous) as ControllerObject['spec'], undefined)
      : 0;
    const newReplicas = this.desiredOf(object.spec, object.status);
    this.startChecker(key, object, false, previous !== undefined && newReplicas < oldReplicas);
  }

  private desiredOf(spec: ControllerObject['spec'], status: ControllerObject['status']): number {
    if (this.kind === 'Job') return spec?.parallelism ?? 1;
    if (this.kind === 'DaemonSet') return status?.desiredNumberScheduled ?? this.daemonSetNodeCount;
    return spec?.replicas ?? 1;
  }

  private daemonSetNodeCount = 0;

  private startChecker(
    key: string,
    object: ControllerObject,
    deleted: boolean,
    scalingDown: boolean,
  ): void {
    const old = this.checkers.get(key);
    if (old && old.status === 'waiting') old.status = 'stopped';
    const template = object.spec?.template?.spec;
    const fingerprint = JSON.stringify(template);
    const now = this.context.monotonic();
    const timeout = deleted || scalingDown ? this.operationTimeoutMs * 2 : this.operationTimeoutMs;
    this.checkers.set(key, {
      key,
      namespace: object.metadata?.namespace ?? '',
      matches: selectorMatcher(this.kind, object.spec?.selector),
      desired: deleted ? 0 : this.desiredOf(object.spec, object.status),
      isUpdated:
        this.checkUpdated && template ? (pod) => pod.updatedFor.includes(fingerprint) : undefined,
      deadline: now + timeout,
      deleted,
      followsNodeCount:
        !deleted &&
        this.kind === 'DaemonSet' &&
        object.status?.desiredNumberScheduled === undefined,
      status: 'waiting',
      lastProblem: 'not checked yet',
      startedAt: now,
    });
  }

  private selectedPods(checker: Checker): PodRecord[] {
    const out: PodRecord[] = [];
    for (const pod of this.pods.get(checker.namespace)?.values() ?? [])
      if (checker.matches(pod.labels)) out.push(pod);
    return out;
  }

  private count(checker: Checker, pods: readonly PodRecord[]): PodCounts {
    const c: PodCounts = { total: pods.length, running: 0, runningUpdated: 0, inactive: 0 };
    for (const pod of pods) {
      if (pod.terminating) continue;
      if (pod.phase === 'Succeeded' || pod.phase === 'Failed') c.inactive++;
      else if (pod.phase === 'Running' && pod.ready) {
        c.running++;
        if (!checker.isUpdated || checker.isUpdated(pod)) c.runningUpdated++;
      }
    }
    return c;
  }

  /** One evaluation of every waiting checker (CL2 checks every 5 s). */
  private evaluate(): void {
    const now = this.context.monotonic();
    for (const checker of this.checkers.values()) {
      if (checker.status !== 'waiting') continue;
      if (checker.followsNodeCount) checker.desired = this.daemonSetNodeCount;
      const c = this.count(checker, this.selectedPods(checker));
      const margin = this.countErrorMargin;
      if (
        c.total === c.running + c.inactive &&
        c.running === c.runningUpdated &&
        Math.abs(c.runningUpdated - checker.desired) <= margin
      ) {
        checker.status = checker.deleted ? 'deleted' : 'running';
        checker.finishedAt = now;
        this.maxDurationMs = Math.max(this.maxDurationMs, now - checker.startedAt);
        continue;
      }
      checker.lastProblem = `${c.runningUpdated}/${checker.desired} running and updated, ${c.total - c.running - c.inactive} not running, ${c.running - c.runningUpdated} outdated`;
      if (now >= checker.deadline) {
        checker.status = checker.deleted ? 'deleteTimeout' : 'timeout';
        checker.finishedAt = now;
      }
    }
  }

  private async pollLoop(): Promise<void> {
    for (let i = 0; i < 100_000_000 && !this.stopped; i++) {
      try {
        await this.context.sleep(this.pollIntervalMs);
      } catch {
        return;
      }
      if (this.stopped) return;
      if (this.kind === 'DaemonSet') await this.refreshDaemonSetNodes();
      this.evaluate();
    }
  }

  private async refreshDaemonSetNodes(): Promise<void> {
    try {
      const nodes = await this.context.kube.request<{ items?: unknown[] }>({
        method: 'GET',
        path: '/api/v1/nodes',
      });
      this.daemonSetNodeCount = nodes.items?.length ?? 0;
    } catch {
      // keep the last count; the checker reports what it waits for
    }
  }

  private async listObjects(): Promise<{ keys: Set<string>; maxResourceVersion: number }> {
    const keys = new Set<string>();
    let maxResourceVersion = 0;
    let token: string | undefined;
    for (let page = 0; page < 100_000; page++) {
      const list = await this.context.kube.request<{
        metadata?: { continue?: string };
        items?: ControllerObject[];
      }>({
        method: 'GET',
        path: collectionPath(this.info!, this.namespace),
        query: {
          labelSelector: this.labelSelector,
          fieldSelector: this.fieldSelector,
          limit: 500,
          continue: token,
        },
      });
      for (const item of list.items ?? []) {
        keys.add(`${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`);
        maxResourceVersion = Math.max(
          maxResourceVersion,
          Number(item.metadata?.resourceVersion ?? 0),
        );
      }
      token = list.metadata?.continue || undefined;
      if (!token) break;
    }
    return { keys, maxResourceVersion };
  }

  private base() {
    return {
      method: 'WaitForControlledPodsRunning',
      identifier: this.identifier,
      summaryName: 'WaitForControlledPodsRunning',
      source: `pods Running and Ready and updated, checked every ${this.pollIntervalMs / 1000} s (watch)`,
    };
  }

  private async gather(params: MeasurementParams): Promise<MeasurementResult> {
    if (!this.objectWatch)
      throw new ConfigError(
        `WaitForControlledPodsRunning ${this.identifier}: gather without start; add an action: start step before it`,
      );
    const syncTimeoutMs = optionalDurationMs(params.syncTimeout, 'syncTimeout', 60_000);
    const listed = await this.listObjects();
    const syncDeadline = this.context.monotonic() + syncTimeoutMs;
    const sameKeys = () =>
      listed.keys.size === this.objectKeys.size &&
      [...listed.keys].every((k) => this.objectKeys.has(k));
    let synced = false;
    const maxPolls =
      Math.ceil((syncTimeoutMs + this.operationTimeoutMs * 2) / this.pollIntervalMs) + 10;
    for (let i = 0; i < maxPolls; i++) {
      if (!synced) {
        synced = this.opResourceVersion >= listed.maxResourceVersion && sameKeys();
        if (!synced && this.context.monotonic() >= syncDeadline) break;
      }
      if (synced && ![...this.checkers.values()].some((c) => c.status === 'waiting')) break;
      await this.context.sleep(this.pollIntervalMs);
    }
    const failedPods: Array<{
      namespace: string;
      controlledBy: string;
      name: string;
      host: string;
      status: string;
    }> = [];
    const problems: string[] = [];
    if (!synced)
      problems.push(
        `the ${this.kind} watch did not catch up with the LIST (${listed.keys.size} objects, resourceVersion ${listed.maxResourceVersion}) within syncTimeout ${syncTimeoutMs / 1000} s`,
      );
    let running = 0;
    let done = 0;
    for (const checker of this.checkers.values()) {
      if (checker.status === 'running' && !checker.deleted) running++;
      if (checker.status === 'running' || checker.status === 'deleted') done++;
      if (
        checker.status === 'timeout' ||
        checker.status === 'deleteTimeout' ||
        checker.status === 'waiting'
      ) {
        problems.push(
          `${checker.key}: ${checker.status === 'deleteTimeout' ? 'delete timed out' : 'timed out'} (${checker.lastProblem})`,
        );
        for (const pod of this.selectedPods(checker)) {
          if (pod.phase === 'Running' && pod.ready && !pod.terminating) continue;
          failedPods.push({
            namespace: pod.namespace,
            controlledBy: checker.key,
            name: pod.name,
            host: pod.nodeName,
            status: pod.terminating
              ? 'Terminating'
              : pod.phase === 'Running'
                ? 'Running (not Ready)'
                : pod.phase || 'Unknown',
          });
        }
        if (checker.status === 'deleteTimeout') await this.forceDelete(checker);
      }
    }
    const expected = listed.keys.size;
    if (synced && running !== expected)
      problems.push(`${running} of ${expected} ${this.kind} objects are running`);
    const ratio = this.operationTimeoutMs > 0 ? this.maxDurationMs / this.operationTimeoutMs : 0;
    this.context.log(
      `WaitForControlledPodsRunning ${this.identifier}: maxDuration ${(this.maxDurationMs / 1000).toFixed(1)} s (${(ratio * 100).toFixed(0)}% of operationTimeout)`,
    );
    const pass = problems.length === 0;
    const result: MeasurementResult = {
      ...this.base(),
      status: pass ? 'pass' : 'fail',
      verdicts: [
        {
          metric: `${this.kind} objects running`,
          observed: running,
          threshold: expected,
          comparator: '>=',
          unit: 'count',
          samples: this.checkers.size,
          method: 'WaitForControlledPodsRunning',
          pass,
          enforced: true,
        },
      ],
      data: { kind: 'gate', objects: expected, done, failedPods },
    };
    if (!pass) {
      result.reason =
        problems.slice(0, 20).join('; ') +
        (problems.length > 20 ? `; … ${problems.length - 20} more` : '');
      result.summaryName = `WaitForControlledPodsRunning_${Math.trunc(this.context.now() / 1000)}_failedpods`;
      result.cl2 = failedPods;
    }
    // Finished checkers are forgotten, so that the next gather judges the next phase only.
    for (const [key, checker] of this.checkers)
      if (checker.status !== 'waiting') this.checkers.delete(key);
    this.maxDurationMs = 0;
    return result;
  }

  private async forceDelete(checker: Checker): Promise<void> {
    for (const pod of this.selectedPods(checker)) {
      try {
        await this.context.kube.request({
          method: 'DELETE',
          path: `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}`,
          body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 },
        });
      } catch (err) {
        if (!(err instanceof KubeApiError && err.isNotFound))
          this.context.log(
            `WaitForControlledPodsRunning: force delete of ${pod.namespace}/${pod.name} failed: ${err instanceof Error ? err.message : String(err)}`,
          );
      }
    }
  }

  async dispose(): Promise<void> {
    this.stopped = true;
    this.objectWatch?.stop();
    this.podWatch?.stop();
    this.objectWatch = undefined;
    this.podWatch = undefined;
    this.checkers.clear();
    this.pods.clear();
    this.templates.clear();
  }
}

export function waitForControlledPodsRunningMethod(
  options: { pollIntervalMs?: number } = {},
): MeasurementMethod {
  const poll = options.pollIntervalMs ?? 5000;
  if (!(poll > 0))
    throw new ConfigError(
      `WaitForControlledPodsRunning poll interval must be positive, got ${poll}`,
    );
  return {
    name: 'WaitForControlledPodsRunning',
    create: (context, identifier) =>
      new WaitForControlledPodsMeasurement(context, identifier, poll),
  };
}
