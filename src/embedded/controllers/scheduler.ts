/**
 * EMBEDDED CONTROL PLANE ONLY. A kube-scheduler stand-in: binds pending pods to Ready, schedulable
 * nodes whose taints they tolerate, honouring nodeSelector, required node affinity, resource requests
 * and the pods limit, with least-allocated spreading. It records `Scheduled` events as
 * default-scheduler does.
 */
import type { KubeObject, ObjectStore, Watch, WatchEvent } from '../apiserver/store-api.js';
import {
  isPodTerminal,
  objectKey,
  parseBytes,
  parseCpuMilli,
  recordEvent,
  splitKey,
  nowIso,
} from './util.js';

export interface SchedulerOptions {
  /** Bindings per second (token bucket). */
  qps?: number;
  /** Nodes scored per pod, out of the feasible ones found from a rotating start (percentageOfNodesToScore). */
  nodesToScore?: number;
  /** Delay before an unschedulable pod is retried when nothing changed. */
  retryMs?: number;
}

interface NodeInfo {
  name: string;
  ready: boolean;
  schedulable: boolean;
  taints: Array<{ key: string; value?: string; effect: string }>;
  labels: Record<string, string>;
  cpuMilli: number;
  memBytes: number;
  pods: number;
  usedCpu: number;
  usedMem: number;
  usedPods: number;
}

interface PodRequest {
  cpu: number;
  mem: number;
}

export class Scheduler {
  private readonly nodes = new Map<string, NodeInfo>();
  private nodeList: NodeInfo[] = [];
  private nodeListDirty = true;
  private readonly pending = new Map<string, KubeObject>();
  /** Bound pods and what they hold, to release on deletion. */
  private readonly bound = new Map<string, { node: string; req: PodRequest }>();
  private readonly unschedulable = new Map<string, number>();
  private watches: Watch[] = [];
  private timer: NodeJS.Timeout | undefined;
  private cursor = 0;
  private tokens: number;
  private lastRefill = Date.now();
  private readonly qps: number;
  private readonly nodesToScore: number;
  private readonly retryMs: number;
  private stopped = false;
  scheduled = 0;

  constructor(
    private readonly store: ObjectStore,
    options: SchedulerOptions = {},
  ) {
    this.qps = options.qps ?? 1000;
    this.tokens = this.qps;
    this.nodesToScore = options.nodesToScore ?? 100;
    this.retryMs = options.retryMs ?? 1000;
  }

  start(): void {
    this.watches.push(this.store.watch('nodes', {}, (e) => this.onNode(e)));
    this.watches.push(this.store.watch('pods', {}, (e) => this.onPod(e)));
    this.timer = setInterval(() => this.run(), 20);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watches) w.stop();
    if (this.timer) clearInterval(this.timer);
  }

  private onNode(e: WatchEvent): void {
    const n = e.object;
    const name = n.metadata.name ?? '';
    if (e.type === 'BOOKMARK') return;
    if (e.type === 'DELETED') {
      this.nodes.delete(name);
      this.nodeListDirty = true;
      return;
    }
    const status = (n.status ?? {}) as {
      allocatable?: Record<string, string>;
      conditions?: Array<{ type: string; status: string }>;
    };
    const spec = (n.spec ?? {}) as { unschedulable?: boolean; taints?: NodeInfo['taints'] };
    const existing = this.nodes.get(name);
    const info: NodeInfo = {
      name,
      ready: status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
      schedulable: spec.unschedulable !== true,
      taints: spec.taints ?? [],
      labels: n.metadata.labels ?? {},
      cpuMilli: parseCpuMilli(status.allocatable?.cpu),
      memBytes: parseBytes(status.allocatable?.memory),
      pods: Number(status.allocatable?.pods ?? 110),
      usedCpu: existing?.usedCpu ?? 0,
      usedMem: existing?.usedMem ?? 0,
      usedPods: existing?.usedPods ?? 0,
    };
    const gainedRoom =
      !existing || (info.ready && !existing.ready) || info.taints.length < existing.taints.length;
    if (!existing) {
      this.nodes.set(name, info);
      this.nodeListDirty = true;
    } else Object.assign(existing, info);
    // A node appeared, became Ready or lost a taint: unschedulable pods may fit now.
    if (gainedRoom) this.unschedulable.clear();
  }

  private onPod(e: WatchEvent): void {
    const pod = e.object;
    const key = objectKey(pod);
    if (e.type === 'BOOKMARK') return;
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    const schedulerName =
      (pod.spec as { schedulerName?: string } | undefined)?.schedulerName ?? 'default-scheduler';
    const gone = e.type === 'DELETED' || isPodTerminal(pod);
    if (gone) {
      this.pending.delete(key);
      this.release(key);
      return;
    }
    if (nodeName) {
      this.pending.delete(key);
      if (!this.bound.has(key)) this.hold(key, nodeName, requestOf(pod));
      return;
    }
    if (schedulerName !== 'default-scheduler' || pod.metadata.deletionTimestamp) return;
    this.pending.set(key, pod);
  }

  private hold(key: string, node: string, req: PodRequest): void {
    this.bound.set(key, { node, req });
    const info = this.nodes.get(node);
    if (info) {
      info.usedCpu += req.cpu;
      info.usedMem += req.mem;
      info.usedPods += 1;
    }
  }

  private release(key: string): void {
    const held = this.bound.get(key);
    if (!held) return;
    this.bound.delete(key);
    const info = this.nodes.get(held.node);
    if (info) {
      info.usedCpu -= held.req.cpu;
      info.usedMem -= held.req.mem;
      info.usedPods -= 1;
    }
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.qps, this.tokens + ((now - this.lastRefill) / 1000) * this.qps);
    this.lastRefill = now;
  }

  private run(): void {
    if (this.stopped || this.pending.size === 0) return;
    this.refill();
    if (this.nodeListDirty) {
      this.nodeList = [...this.nodes.values()];
      this.nodeListDirty = false;
    }
    const now = Date.now();
    for (const [key, pod] of this.pending) {
      if (this.tokens < 1) break;
      const retryAt = this.unschedulable.get(key);
      if (retryAt !== undefined && retryAt > now) continue;
      const req = requestOf(pod);
      const node = this.pick(pod, req);
      if (!node) {
        if (retryAt === undefined) this.markUnschedulable(pod);
        this.unschedulable.set(key, now + this.retryMs);
        continue;
      }
      this.tokens -= 1;
      this.pending.delete(key);
      this.unschedulable.delete(key);
      const { namespace, name } = splitKey(key);
      try {
        this.store.create(
          'pods',
          {
            metadata: { name, namespace },
            target: { kind: 'Node', name: node.name },
          } as unknown as KubeObject,
          { subresource: 'binding' },
        );
        this.scheduled++;
        const boundPod = this.store.tryGet('pods', namespace, name);
        if (boundPod)
          recordEvent(
            this.store,
            boundPod,
            'Normal',
            'Scheduled',
            `Successfully assigned ${namespace}/${name} to ${node.name}`,
            'default-scheduler',
          );
      } catch {
        // Deleted or bound meanwhile: the watch brings the pod back if it still needs a node.
      }
    }
  }

  private pick(pod: KubeObject, req: PodRequest): NodeInfo | undefined {
    const list = this.nodeList;
    if (list.length === 0) return undefined;
    const spec = (pod.spec ?? {}) as PodSpecLike;
    let best: NodeInfo | undefined;
    let bestScore = Infinity;
    let found = 0;
    for (let i = 0; i < list.length && found < this.nodesToScore; i++) {
      const node = list[(this.cursor + i) % list.length]!;
      if (!this.feasible(node, spec, req)) continue;
      found++;
      const score =
        (node.cpuMilli > 0 ? (node.usedCpu + req.cpu) / node.cpuMilli : 0) +
        (node.memBytes > 0 ? (node.usedMem + req.mem) / node.memBytes : 0) +
        (node.usedPods + 1) / Math.max(1, node.pods);
      if (score < bestScore) {
        bestScore = score;
        best = node;
      }
    }
    this.cursor = (this.cursor + 1) % list.length;
    return best;
  }

  private feasible(node: NodeInfo, spec: PodSpecLike, req: PodRequest): boolean {
    if (!node.ready || !node.schedulable) return false;
    if (node.usedPods + 1 > node.pods) return false;
    if (node.cpuMilli > 0 && node.usedCpu + req.cpu > node.cpuMilli) return false;
    if (node.memBytes > 0 && node.usedMem + req.mem > node.memBytes) return false;
    for (const taint of node.taints) {
      if (taint.effect === 'PreferNoSchedule') continue;
      if (!(spec.tolerations ?? []).some((t) => tolerates(t, taint))) return false;
    }
    for (const [k, v] of Object.entries(spec.nodeSelector ?? {}))
      if (node.labels[k] !== v) return false;
    const terms =
      spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
        ?.nodeSelectorTerms;
    if (
      terms &&
      terms.length > 0 &&
      !terms.some((term) =>
        (term.matchExpressions ?? []).every((expr) => matchExpression(node.labels, expr)),
      )
    )
      return false;
    return true;
  }

  private markUnschedulable(pod: KubeObject): void {
    const { namespace, name } = splitKey(objectKey(pod));
    const message = `0/${this.nodes.size} nodes are available: no node is Ready, untainted and has room for this pod.`;
    try {
      this.store.patch(
        'pods',
        namespace,
        name,
        'strategic',
        {
          status: {
            conditions: [
              {
                type: 'PodScheduled',
                status: 'False',
                reason: 'Unschedulable',
                message,
                lastProbeTime: null,
                lastTransitionTime: nowIso(),
              },
            ],
          },
        },
        { subresource: 'status' },
      );
    } catch {
      return;
    }
    recordEvent(this.store, pod, 'Warning', 'FailedScheduling', message, 'default-scheduler');
  }
}

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

interface PodSpecLike {
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: {
        nodeSelectorTerms?: Array<{ matchExpressions?: MatchExpression[] }>;
      };
    };
  };
  containers?: Array<{ resources?: { requests?: Record<string, string> } }>;
  initContainers?: Array<{ resources?: { requests?: Record<string, string> } }>;
}

interface MatchExpression {
  key: string;
  operator: string;
  values?: string[];
}

function tolerates(t: Toleration, taint: { key: string; value?: string; effect: string }): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

function matchExpression(labels: Record<string, string>, expr: MatchExpression): boolean {
  const value = labels[expr.key];
  switch (expr.operator) {
    case 'In':
      return value !== undefined && (expr.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(expr.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(expr.values?.[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(expr.values?.[0]);
    default:
      return false;
  }
}

function requestOf(pod: KubeObject): PodRequest {
  const spec = (pod.spec ?? {}) as PodSpecLike;
  let cpu = 0;
  let mem = 0;
  for (const c of spec.containers ?? []) {
    cpu += parseCpuMilli(c.resources?.requests?.cpu);
    mem += parseBytes(c.resources?.requests?.memory);
  }
  for (const c of spec.initContainers ?? []) {
    cpu = Math.max(cpu, parseCpuMilli(c.resources?.requests?.cpu));
    mem = Math.max(mem, parseBytes(c.resources?.requests?.memory));
  }
  return { cpu, mem };
}
