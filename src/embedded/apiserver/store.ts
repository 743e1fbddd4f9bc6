/**
 * EMBEDDED CONTROL PLANE ONLY. The in-memory object store behind the embedded API server: the part
 * of etcd + the apiserver registry + the watch cache that a scale harness can observe.
 *
 * Objects are copy-on-write: a stored object is never mutated after it is stored, so callers and
 * watchers may hold references, and must treat them as read-only.
 */
import { randomUUID } from 'node:crypto';
import { errors } from './errors.js';
import { jsonMergePatch, jsonPatch, PatchError, strategicMergePatch } from './patch.js';
import { apiVersionOf, resourceInfo, type ResourceInfo } from './resources.js';
import type { SelectorParseError } from './selectors.js';
import {
  exactField,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type FieldRequirement,
  type LabelRequirement,
} from './selectors.js';
import {
  ApiStatusError,
  type DeleteOptions,
  type KubeObject,
  type ListOptions,
  type ListResult,
  type ObjectStore,
  type PatchType,
  type Watch,
  type WatchEvent,
  type WatchEventType,
  type WatchOptions,
} from './store-api.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

interface HistoryEntry {
  rv: number;
  resource: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  previous: KubeObject | undefined;
}

interface Watcher {
  resource: string;
  namespace: string | undefined;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  nodeName: string | undefined;
  bookmarks: boolean;
  onEvent: (event: WatchEvent) => void;
  stopped: boolean;
}

export interface MemoryObjectStoreOptions {
  /** Events kept for watch resume; older resourceVersions get 410 Gone. */
  historySize?: number;
  /** Interval of BOOKMARK events to watchers that asked for them (0 = off). */
  bookmarkIntervalMs?: number;
  now?: () => number;
}

export class MemoryObjectStore implements ObjectStore {
  private rv = 1;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly podsByNode = new Map<string, Set<string>>();
  private readonly history: Array<HistoryEntry | undefined>;
  private historyStart = 0;
  private historyCount = 0;
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly nodeWatchers = new Map<string, Map<string, Set<Watcher>>>();
  private readonly pending: Array<{ watcher: Watcher; event: WatchEvent }> = [];
  private dispatching = false;
  private readonly bookmarkTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(options: MemoryObjectStoreOptions = {}) {
    this.history = new Array<HistoryEntry | undefined>(options.historySize ?? 100_000);
    this.now = options.now ?? Date.now;
    const interval = options.bookmarkIntervalMs ?? 10_000;
    if (interval > 0) {
      this.bookmarkTimer = setInterval(() => this.sendBookmarks(), interval);
      this.bookmarkTimer.unref();
    }
  }

  close(): void {
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    for (const set of this.watchers.values()) for (const w of set) w.stopped = true;
    this.watchers.clear();
    this.nodeWatchers.clear();
  }

  currentResourceVersion(): string {
    return String(this.rv);
  }

  /** Number of stored objects of a resource (for metrics and tests). */
  count(resource: string): number {
    return this.objects.get(resource)?.size ?? 0;
  }

  private info(resource: string): ResourceInfo {
    const info = resourceInfo(resource);
    if (!info)
      throw errors.notFoundPlain(`the server could not find the requested resource (${resource})`);
    return info;
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let b = this.objects.get(resource);
    if (!b) {
      b = new Map();
      this.objects.set(resource, b);
    }
    return b;
  }

  private key(info: ResourceInfo, namespace: string | undefined, name: string): string {
    return info.namespaced ? `${namespace ?? ''}/${name}` : name;
  }

  private timestamp(): string {
    return new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  // ---- reads ---------------------------------------------------------------------------------

  tryGet(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const info = this.info(resource);
    return this.objects.get(resource)?.get(this.key(info, namespace, name));
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject {
    const obj = this.tryGet(resource, namespace, name);
    if (!obj) throw errors.notFound(this.info(resource), name);
    return obj;
  }

  list(resource: string, options: ListOptions = {}): ListResult {
    const info = this.info(resource);
    const labels = this.parseLabels(options.labelSelector);
    const fields = this.parseFields(options.fieldSelector);
    const namespace = info.namespaced ? options.namespace : undefined;
    let keys: string[];
    const nodeName = resource === 'pods' ? exactField(fields, 'spec.nodeName') : undefined;
    if (nodeName !== undefined && nodeName !== '')
      keys = [...(this.podsByNode.get(nodeName) ?? [])];
    else keys = [...(this.objects.get(resource)?.keys() ?? [])];
    if (namespace) keys = keys.filter((k) => k.startsWith(`${namespace}/`));
    keys.sort();
    let startAfter: string | undefined;
    if (options.continue) {
      try {
        const token = JSON.parse(Buffer.from(options.continue, 'base64url').toString('utf8')) as {
          start?: string;
        };
        if (typeof token.start !== 'string') throw new Error('no start');
        startAfter = token.start;
      } catch {
        throw errors.badRequest('continue key is not valid: illegal base64 data or JSON');
      }
    }
    const bucket = this.objects.get(resource);
    const items: KubeObject[] = [];
    const limit = options.limit !== undefined && options.limit > 0 ? options.limit : Infinity;
    let lastKey: string | undefined;
    let more = false;
    let remaining = 0;
    for (const key of keys) {
      if (startAfter !== undefined && key <= startAfter) continue;
      const obj = bucket?.get(key);
      if (!obj) continue;
      if (!matchesLabels(obj.metadata.labels, labels) || !matchesFields(obj, fields)) continue;
      if (items.length >= limit) {
        more = true;
        remaining++;
        continue;
      }
      items.push(obj);
      lastKey = key;
    }
    const result: ListResult = { items, resourceVersion: String(this.rv) };
    if (more && lastKey !== undefined) {
      result.continue = Buffer.from(JSON.stringify({ rv: this.rv, start: lastKey })).toString(
        'base64url',
      );
      result.remainingItemCount = remaining;
    }
    return result;
  }

  private parseLabels(selector: string | undefined): LabelRequirement[] {
    try {
      return parseLabelSelector(selector);
    } catch (err) {
      throw errors.badRequest(
        `unable to parse requirement: ${(err as SelectorParseError).message}`,
      );
    }
  }

  private parseFields(selector: string | undefined): FieldRequirement[] {
    try {
      return parseFieldSelector(selector);
    } catch (err) {
      throw errors.badRequest((err as SelectorParseError).message);
    }
  }

  // ---- writes --------------------------------------------------------------------------------

  create(
    resource: string,
    input: KubeObject,
    options: { subresource?: string; dryRun?: boolean } = {},
  ): KubeObject {
    const info = this.info(resource);
    if (options.subresource === 'binding' && resource === 'pods') return this.bind(input);
    if (options.subresource)
      throw errors.methodNotAllowed(
        `create is not supported on ${resource}/${options.subresource}`,
      );
    const obj = structuredClone(input);
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomSuffix()}`;
    const name = meta.name ?? '';
    this.validate(info, obj, name);
    const namespace = info.namespaced ? meta.namespace : undefined;
    if (info.namespaced) {
      if (!namespace)
        throw errors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      const ns = this.objects.get('namespaces')?.get(namespace);
      if (!ns) throw errors.notFound(this.info('namespaces'), namespace);
      if (ns.metadata.deletionTimestamp) {
        throw errors.forbidden(
          `${info.plural} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        );
      }
    } else delete meta.namespace;
    const key = this.key(info, namespace, name);
    const bucket = this.bucket(resource);
    if (bucket.has(key)) throw errors.alreadyExists(info, name);
    if (options.dryRun) return obj;
    obj.apiVersion = apiVersionOf(info);
    obj.kind = info.kind;
    meta.uid = randomUUID();
    meta.creationTimestamp = this.timestamp();
    meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (resource === 'namespaces') {
      obj.spec = { finalizers: ['kubernetes'] };
      obj.status = { phase: 'Active' };
      meta.labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': name };
    }
    if (resource === 'pods') this.defaultPod(obj);
    if (resource === 'nodes') this.defaultNode(obj);
    meta.resourceVersion = String(++this.rv);
    this.store(resource, key, obj, undefined);
    this.record(resource, 'ADDED', obj, undefined);
    return obj;
  }

  private defaultPod(pod: KubeObject): void {
    const spec = (pod.spec ??= {}) as Record<string, unknown>;
    spec.restartPolicy ??= 'Always';
    spec.schedulerName ??= 'default-scheduler';
    spec.terminationGracePeriodSeconds ??= 30;
    spec.dnsPolicy ??= 'ClusterFirst';
    spec.enableServiceLinks ??= true;
    const status = (pod.status ??= {}) as Record<string, unknown>;
    status.phase ??= 'Pending';
    status.qosClass ??= qosClass(spec);
    if (spec.nodeName && !Array.isArray(status.conditions)) {
      status.conditions = [
        {
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: this.timestamp(),
        },
      ];
    }
  }

  private defaultNode(node: KubeObject): void {
    // TaintNodesByCondition admission: a new node starts with the not-ready taint until the node
    // lifecycle controller sees it Ready.
    const spec = (node.spec ??= {}) as Record<string, unknown>;
    const taints = Array.isArray(spec.taints)
      ? (spec.taints as Array<Record<string, unknown>>)
      : [];
    if (!taints.some((t) => t.key === 'node.kubernetes.io/not-ready')) {
      spec.taints = [...taints, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }];
    }
  }

  private validate(info: ResourceInfo, obj: KubeObject, name: string): void {
    const causes: Array<{ field: string; message: string; reason?: string }> = [];
    if (!name) {
      causes.push({
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
        reason: 'FieldValueRequired',
      });
    } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
      causes.push({
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      });
    }
    if (info.plural === 'pods') {
      const containers = (obj.spec as { containers?: unknown } | undefined)?.containers;
      if (!Array.isArray(containers) || containers.length === 0) {
        causes.push({
          field: 'spec.containers',
          message: 'Required value',
          reason: 'FieldValueRequired',
        });
      }
    }
    if (causes.length > 0) throw errors.invalid(info, name, causes);
  }

  private bind(binding: KubeObject): KubeObject {
    const info = this.info('pods');
    const name = binding.metadata?.name ?? '';
    const namespace = binding.metadata?.namespace;
    const target = (binding as { target?: { name?: string } }).target?.name;
    if (!target)
      throw errors.invalid(info, name, [
        { field: 'target.name', message: 'Required value', reason: 'FieldValueRequired' },
      ]);
    const key = this.key(info, namespace, name);
    const current = this.objects.get('pods')?.get(key);
    if (!current) throw errors.notFound(info, name);
    const spec = current.spec as Record<string, unknown>;
    if (spec.nodeName) {
      throw errors.conflict(
        info,
        name,
        `pod ${name} is already assigned to node "${String(spec.nodeName)}"`,
      );
    }
    if (current.metadata.deletionTimestamp)
      throw errors.conflict(
        info,
        name,
        `pod ${name} is being deleted, cannot be assigned to a host`,
      );
    const next = structuredClone(current);
    (next.spec as Record<string, unknown>).nodeName = target;
    const status = (next.status ??= {}) as Record<string, unknown>;
    const conditions = Array.isArray(status.conditions)
      ? (status.conditions as Array<Record<string, unknown>>)
      : [];
    status.conditions = [
      ...conditions.filter((c) => c.type !== 'PodScheduled'),
      {
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: this.timestamp(),
      },
    ];
    this.commit('pods', key, next, current);
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 201,
    } as unknown as KubeObject;
  }

  update(resource: string, input: KubeObject, options: { subresource?: string } = {}): KubeObject {
    const info = this.info(resource);
    const name = input.metadata?.name ?? '';
    const namespace = info.namespaced ? input.metadata?.namespace : undefined;
    const key = this.key(info, namespace, name);
    const current = this.objects.get(resource)?.get(key);
    if (!current) throw errors.notFound(info, name);
    if (options.subresource === 'scale') return this.updateScale(info, key, current, input);
    const wantedRv = input.metadata?.resourceVersion;
    if (wantedRv && wantedRv !== current.metadata.resourceVersion)
      throw errors.conflict(info, name);
    if (input.metadata?.uid && input.metadata.uid !== current.metadata.uid) {
      throw errors.conflict(
        info,
        name,
        `Precondition failed: UID in precondition: ${input.metadata.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    return this.applyChange(info, key, current, structuredClone(input), options.subresource);
  }

  private updateScale(
    info: ResourceInfo,
    key: string,
    current: KubeObject,
    input: KubeObject,
  ): KubeObject {
    const replicas = (input.spec as { replicas?: unknown } | undefined)?.replicas;
    if (typeof replicas !== 'number' || replicas < 0) {
      throw errors.invalid(info, current.metadata.name ?? '', [
        { field: 'spec.replicas', message: 'Invalid value: must be greater than or equal to 0' },
      ]);
    }
    const next = structuredClone(current);
    (next.spec as Record<string, unknown>).replicas = replicas;
    const stored = this.applyChange(info, key, current, next, undefined);
    return scaleOf(stored);
  }

  /** Reads the autoscaling/v1 Scale of a scalable object. */
  getScale(resource: string, namespace: string, name: string): KubeObject {
    return scaleOf(this.get(resource, namespace, name));
  }

  patch(
    resource: string,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options: { subresource?: string } = {},
  ): KubeObject {
    const info = this.info(resource);
    const key = this.key(info, info.namespaced ? namespace : undefined, name);
    const current = this.objects.get(resource)?.get(key);
    if (!current) throw errors.notFound(info, name);
    const base = options.subresource === 'scale' ? scaleOf(current) : current;
    let next: KubeObject;
    try {
      if (patchType === 'json') next = jsonPatch(base, patch) as KubeObject;
      else if (patchType === 'merge') next = jsonMergePatch(base, patch) as KubeObject;
      else next = strategicMergePatch(base, patch) as KubeObject;
    } catch (err) {
      if (err instanceof PatchError) {
        if (err.kind === 'test-failed')
          throw errors.invalid(info, name, [{ field: '', message: err.message }]);
        throw errors.invalid(info, name, [{ field: '', message: err.message }]);
      }
      throw err;
    }
    if (!next || typeof next !== 'object' || typeof next.metadata !== 'object') {
      throw errors.badRequest('the patch removed the object metadata');
    }
    if (options.subresource === 'scale') return this.updateScale(info, key, current, next);
    const patchMeta = (patch as { metadata?: { uid?: string; resourceVersion?: string } } | null)
      ?.metadata;
    if (patchType !== 'json' && patchMeta?.uid && patchMeta.uid !== current.metadata.uid) {
      throw errors.conflict(
        info,
        name,
        `Precondition failed: UID in precondition: ${patchMeta.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (
      patchType !== 'json' &&
      patchMeta?.resourceVersion &&
      patchMeta.resourceVersion !== current.metadata.resourceVersion
    ) {
      throw errors.conflict(info, name);
    }
    return this.applyChange(info, key, current, next, options.subresource);
  }

  /** Server-side apply, simplified: create when missing, otherwise a merge patch of the applied config. */
  apply(
    resource: string,
    namespace: string | undefined,
    name: string,
    applied: KubeObject,
    fieldManager: string,
  ): KubeObject {
    const info = this.info(resource);
    const existing = this.tryGet(resource, namespace, name);
    const obj = structuredClone(applied);
    obj.metadata ??= {};
    obj.metadata.name = name;
    if (info.namespaced) obj.metadata.namespace = namespace;
    const managed = [
      {
        manager: fieldManager,
        operation: 'Apply',
        apiVersion: apiVersionOf(info),
        time: this.timestamp(),
      },
    ];
    if (!existing) {
      obj.metadata.managedFields = managed;
      return this.create(resource, obj);
    }
    delete obj.metadata.resourceVersion;
    return this.patch(resource, namespace, name, 'merge', obj);
  }

  private applyChange(
    info: ResourceInfo,
    key: string,
    current: KubeObject,
    next: KubeObject,
    subresource: string | undefined,
  ): KubeObject {
    const hasStatus = info.subresources.includes('status');
    let merged: KubeObject;
    if (subresource === 'status') {
      merged = { ...current, status: next.status };
      const meta = { ...current.metadata };
      // Only labels/annotations are ignored on status writes; everything else in metadata stays.
      merged.metadata = meta;
    } else if (subresource) {
      throw errors.methodNotAllowed(
        `${info.plural}/${subresource} does not support this operation`,
      );
    } else {
      merged = next;
      if (hasStatus && info.plural !== 'namespaces') merged.status = current.status;
      merged.metadata = {
        ...next.metadata,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        name: current.metadata.name,
        namespace: current.metadata.namespace,
      } as KubeObject['metadata'];
      if (current.metadata.deletionTimestamp) {
        merged.metadata.deletionTimestamp = current.metadata.deletionTimestamp;
        merged.metadata.deletionGracePeriodSeconds = current.metadata.deletionGracePeriodSeconds;
      }
      if (current.metadata.generation !== undefined)
        merged.metadata.generation = current.metadata.generation;
      if (info.plural === 'pods') {
        const oldNode = (current.spec as { nodeName?: string }).nodeName;
        const newNode = (merged.spec as { nodeName?: string } | undefined)?.nodeName;
        if (oldNode !== newNode && oldNode) {
          throw errors.invalid(info, current.metadata.name ?? '', [
            {
              field: 'spec',
              message:
                'Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
            },
          ]);
        }
      }
    }
    merged.apiVersion = current.apiVersion;
    merged.kind = current.kind;
    if (specOf(merged) !== specOf(current))
      merged.metadata.generation = (current.metadata.generation ?? 0) + 1;
    if (
      JSON.stringify(merged) === JSON.stringify({ ...current, metadata: { ...current.metadata } })
    )
      return current;
    // A pending deletion completes when the last finalizer is removed.
    const finalizers = merged.metadata.finalizers;
    if (
      merged.metadata.deletionTimestamp &&
      (!finalizers || finalizers.length === 0) &&
      info.plural !== 'pods' &&
      info.plural !== 'namespaces'
    ) {
      merged.metadata.resourceVersion = String(++this.rv);
      this.removeKey(info.plural, key, merged);
      return merged;
    }
    return this.commit(info.plural, key, merged, current);
  }

  private commit(
    resource: string,
    key: string,
    next: KubeObject,
    previous: KubeObject,
  ): KubeObject {
    next.metadata.resourceVersion = String(++this.rv);
    this.store(resource, key, next, previous);
    this.record(resource, 'MODIFIED', next, previous);
    return next;
  }

  delete(
    resource: string,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject {
    const info = this.info(resource);
    const key = this.key(info, info.namespaced ? namespace : undefined, name);
    const current = this.objects.get(resource)?.get(key);
    if (!current) throw errors.notFound(info, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw errors.conflict(
        info,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw errors.conflict(
        info,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    if (resource === 'namespaces') {
      if (current.metadata.deletionTimestamp) return current;
      const next = structuredClone(current);
      next.metadata.deletionTimestamp = this.timestamp();
      next.status = { phase: 'Terminating' };
      return this.commit(resource, key, next, current);
    }
    const finalizers = current.metadata.finalizers ?? [];
    if (resource === 'pods') {
      const spec = current.spec as { nodeName?: string; terminationGracePeriodSeconds?: number };
      const grace =
        options.gracePeriodSeconds ??
        current.metadata.deletionGracePeriodSeconds ??
        spec.terminationGracePeriodSeconds ??
        30;
      const phase = (current.status as { phase?: string } | undefined)?.phase;
      const terminal = phase === 'Succeeded' || phase === 'Failed';
      if (spec.nodeName && grace > 0 && !terminal) {
        if (
          current.metadata.deletionTimestamp &&
          (current.metadata.deletionGracePeriodSeconds ?? Infinity) <= grace
        )
          return current;
        const next = structuredClone(current);
        next.metadata.deletionTimestamp = new Date(this.now() + grace * 1000)
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z');
        next.metadata.deletionGracePeriodSeconds = grace;
        return this.commit(resource, key, next, current);
      }
    }
    if (finalizers.length > 0) {
      if (current.metadata.deletionTimestamp) return current;
      const next = structuredClone(current);
      next.metadata.deletionTimestamp = this.timestamp();
      next.metadata.deletionGracePeriodSeconds = 0;
      return this.commit(resource, key, next, current);
    }
    const removed = {
      ...current,
      metadata: { ...current.metadata, resourceVersion: String(++this.rv) },
    };
    this.removeKey(resource, key, removed);
    return removed;
  }

  /** Removes an object at once, whatever its finalizers or deletion grace (namespace controller, pod GC). */
  forceRemove(
    resource: string,
    namespace: string | undefined,
    name: string,
  ): KubeObject | undefined {
    const info = this.info(resource);
    const key = this.key(info, info.namespaced ? namespace : undefined, name);
    const current = this.objects.get(resource)?.get(key);
    if (!current) return undefined;
    const removed = {
      ...current,
      metadata: { ...current.metadata, resourceVersion: String(++this.rv) },
    };
    this.removeKey(resource, key, removed);
    return removed;
  }

  private removeKey(resource: string, key: string, removed: KubeObject): void {
    const bucket = this.objects.get(resource);
    const previous = bucket?.get(key);
    bucket?.delete(key);
    if (resource === 'pods' && previous) this.indexPod(key, previous, undefined);
    this.record(resource, 'DELETED', removed, previous);
  }

  private store(
    resource: string,
    key: string,
    obj: KubeObject,
    previous: KubeObject | undefined,
  ): void {
    this.bucket(resource).set(key, obj);
    if (resource === 'pods') this.indexPod(key, previous, obj);
  }

  private indexPod(
    key: string,
    previous: KubeObject | undefined,
    next: KubeObject | undefined,
  ): void {
    const oldNode = (previous?.spec as { nodeName?: string } | undefined)?.nodeName;
    const newNode = (next?.spec as { nodeName?: string } | undefined)?.nodeName;
    if (oldNode === newNode) return;
    if (oldNode) {
      const set = this.podsByNode.get(oldNode);
      set?.delete(key);
      if (set?.size === 0) this.podsByNode.delete(oldNode);
    }
    if (newNode) {
      let set = this.podsByNode.get(newNode);
      if (!set) {
        set = new Set();
        this.podsByNode.set(newNode, set);
      }
      set.add(key);
    }
  }

  // ---- watch ---------------------------------------------------------------------------------

  private record(
    resource: string,
    type: 'ADDED' | 'MODIFIED' | 'DELETED',
    object: KubeObject,
    previous: KubeObject | undefined,
  ): void {
    const entry: HistoryEntry = {
      rv: Number(object.metadata.resourceVersion),
      resource,
      type,
      object,
      previous,
    };
    const capacity = this.history.length;
    const index = (this.historyStart + this.historyCount) % capacity;
    this.history[index] = entry;
    if (this.historyCount < capacity) this.historyCount++;
    else this.historyStart = (this.historyStart + 1) % capacity;
    this.fanOut(entry);
  }

  private fanOut(entry: HistoryEntry): void {
    const all = this.watchers.get(entry.resource);
    if (all) for (const w of all) this.deliver(w, entry);
    if (entry.resource === 'pods') {
      const byNode = this.nodeWatchers.get('pods');
      if (byNode) {
        const oldNode = (entry.previous?.spec as { nodeName?: string } | undefined)?.nodeName;
        const newNode = (entry.object.spec as { nodeName?: string } | undefined)?.nodeName;
        const targets = new Set<Watcher>();
        if (newNode) for (const w of byNode.get(newNode) ?? []) targets.add(w);
        if (oldNode && oldNode !== newNode)
          for (const w of byNode.get(oldNode) ?? []) targets.add(w);
        for (const w of targets) this.deliver(w, entry);
      }
    }
    this.drain();
  }

  private matches(w: Watcher, obj: KubeObject | undefined): boolean {
    if (!obj) return false;
    if (w.namespace && obj.metadata.namespace !== w.namespace) return false;
    return matchesLabels(obj.metadata.labels, w.labels) && matchesFields(obj, w.fields);
  }

  private deliver(w: Watcher, entry: HistoryEntry): void {
    if (w.stopped) return;
    let type: WatchEventType | undefined;
    if (entry.type === 'ADDED') type = this.matches(w, entry.object) ? 'ADDED' : undefined;
    else if (entry.type === 'DELETED')
      type = this.matches(w, entry.previous ?? entry.object) ? 'DELETED' : undefined;
    else {
      const before = this.matches(w, entry.previous);
      const after = this.matches(w, entry.object);
      if (before && after) type = 'MODIFIED';
      else if (after) type = 'ADDED';
      else if (before) type = 'DELETED';
    }
    if (type) this.pending.push({ watcher: w, event: { type, object: entry.object } });
  }

  /** Delivers queued events in order; writes made by watchers are queued behind, never interleaved. */
  private drain(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      let i = 0;
      while (i < this.pending.length) {
        const { watcher, event } = this.pending[i++]!;
        if (watcher.stopped) continue;
        try {
          watcher.onEvent(event);
        } catch (err) {
          // A failing watcher must not break the writer or the other watchers.
          process.emitWarning(`embedded store watcher failed: ${(err as Error).message}`);
        }
        if (i > 4096) {
          this.pending.splice(0, i);
          i = 0;
        }
      }
      this.pending.length = 0;
    } finally {
      this.dispatching = false;
    }
  }

  watch(resource: string, options: WatchOptions, onEvent: (event: WatchEvent) => void): Watch {
    const info = this.info(resource);
    const fields = this.parseFields(options.fieldSelector);
    const watcher: Watcher = {
      resource,
      namespace: info.namespaced ? options.namespace : undefined,
      labels: this.parseLabels(options.labelSelector),
      fields,
      nodeName: resource === 'pods' ? exactField(fields, 'spec.nodeName') : undefined,
      bookmarks: options.allowWatchBookmarks === true,
      onEvent,
      stopped: false,
    };
    const rv = options.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== '0') {
      const from = Number(rv);
      if (!Number.isFinite(from)) throw errors.badRequest(`invalid resource version: ${rv}`);
      const oldest = this.historyCount > 0 ? this.history[this.historyStart]!.rv : this.rv + 1;
      if (from < oldest - 1 && from < this.rv) {
        throw errors.gone(`too old resource version: ${from} (${oldest - 1})`);
      }
      for (let i = 0; i < this.historyCount; i++) {
        const entry = this.history[(this.historyStart + i) % this.history.length]!;
        if (entry.rv > from && entry.resource === resource) this.deliver(watcher, entry);
      }
    } else {
      const current = this.list(resource, {
        namespace: watcher.namespace,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
      });
      for (const obj of current.items)
        this.pending.push({ watcher, event: { type: 'ADDED', object: obj } });
    }
    this.register(watcher);
    this.drain();
    return {
      stop: () => {
        watcher.stopped = true;
        this.unregister(watcher);
      },
    };
  }

  private register(w: Watcher): void {
    if (w.nodeName) {
      let byNode = this.nodeWatchers.get(w.resource);
      if (!byNode) {
        byNode = new Map();
        this.nodeWatchers.set(w.resource, byNode);
      }
      let set = byNode.get(w.nodeName);
      if (!set) {
        set = new Set();
        byNode.set(w.nodeName, set);
      }
      set.add(w);
      return;
    }
    let set = this.watchers.get(w.resource);
    if (!set) {
      set = new Set();
      this.watchers.set(w.resource, set);
    }
    set.add(w);
  }

  private unregister(w: Watcher): void {
    if (w.nodeName) {
      const set = this.nodeWatchers.get(w.resource)?.get(w.nodeName);
      set?.delete(w);
      if (set?.size === 0) this.nodeWatchers.get(w.resource)?.delete(w.nodeName);
      return;
    }
    this.watchers.get(w.resource)?.delete(w);
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watcher that asked for bookmarks. */
  sendBookmarks(): void {
    const rv = String(this.rv);
    const targets: Watcher[] = [];
    for (const set of this.watchers.values()) for (const w of set) if (w.bookmarks) targets.push(w);
    for (const byNode of this.nodeWatchers.values())
      for (const set of byNode.values()) for (const w of set) if (w.bookmarks) targets.push(w);
    for (const w of targets) {
      const info = resourceInfo(w.resource)!;
      this.pending.push({
        watcher: w,
        event: {
          type: 'BOOKMARK',
          object: {
            apiVersion: apiVersionOf(info),
            kind: info.kind,
            metadata: { resourceVersion: rv },
          },
        },
      });
    }
    this.drain();
  }
}

function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.stringify(rest);
}

function scaleOf(obj: KubeObject): KubeObject {
  const replicas = (obj.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  const statusReplicas = (obj.status as { replicas?: number } | undefined)?.replicas ?? 0;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas },
    status: { replicas: statusReplicas },
  };
}

function qosClass(spec: Record<string, unknown>): string {
  const containers = Array.isArray(spec.containers)
    ? (spec.containers as Array<{ resources?: { requests?: object; limits?: object } }>)
    : [];
  let any = false;
  for (const c of containers) {
    if (c.resources?.requests && Object.keys(c.resources.requests).length > 0) any = true;
    if (c.resources?.limits && Object.keys(c.resources.limits).length > 0) any = true;
  }
  return any ? 'Burstable' : 'BestEffort';
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(length = 5): string {
  let s = '';
  for (let i = 0; i < length; i++)
    s += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
  return s;
}

export { ApiStatusError };
