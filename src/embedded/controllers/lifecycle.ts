/**
 * EMBEDDED CONTROL PLANE ONLY. Node lifecycle, namespace deletion, pod garbage collection and
 * owner-reference garbage collection, as kube-controller-manager runs them.
 */
import type { KubeObject, ObjectStore, Watch, WatchEvent } from '../apiserver/store-api.js';
import { RESOURCES } from '../apiserver/resources.js';
import { nowIso, WorkQueue } from './util.js';

const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface LifecycleOptions {
  /** Lease age after which a node is marked Unknown (Kubernetes 1.32: 50 s). */
  nodeMonitorGracePeriodMs?: number;
  nodeMonitorPeriodMs?: number;
  /** Extra time after a pod's deletion grace before pods on unreachable nodes are force-removed. */
  podGcGraceMs?: number;
}

export class NodeLifecycleController {
  private timer: NodeJS.Timeout | undefined;
  private watch: Watch | undefined;
  private readonly queue: WorkQueue;
  private readonly grace: number;
  private readonly period: number;

  constructor(
    private readonly store: ObjectStore,
    options: LifecycleOptions = {},
  ) {
    this.grace = options.nodeMonitorGracePeriodMs ?? 50_000;
    this.period = options.nodeMonitorPeriodMs ?? 5_000;
    this.queue = new WorkQueue((name) => this.reconcileTaints(name));
  }

  start(): void {
    this.watch = this.store.watch('nodes', {}, (e: WatchEvent) => {
      if (e.type === 'ADDED' || e.type === 'MODIFIED') this.queue.add(e.object.metadata.name ?? '');
    });
    this.timer = setInterval(() => this.monitor(), this.period);
    this.timer.unref();
  }

  stop(): void {
    this.watch?.stop();
    this.queue.stop();
    if (this.timer) clearInterval(this.timer);
  }

  /** Marks nodes whose lease stopped advancing as Unknown (probe-findings row f). */
  monitor(now = Date.now()): void {
    for (const node of this.store.list('nodes').items) {
      const name = node.metadata.name ?? '';
      const lease = this.store.tryGet('leases', 'kube-node-lease', name);
      const renew = (lease?.spec as { renewTime?: string } | undefined)?.renewTime;
      const conditions = ((node.status as { conditions?: Condition[] } | undefined)?.conditions ??
        []) as Condition[];
      const heartbeat = Math.max(
        renew ? Date.parse(renew) : 0,
        ...conditions.map((c) => (c.lastHeartbeatTime ? Date.parse(c.lastHeartbeatTime) : 0)),
        Date.parse(node.metadata.creationTimestamp ?? '') || 0,
      );
      const ready = conditions.find((c) => c.type === 'Ready');
      if (now - heartbeat <= this.grace || ready?.status === 'Unknown') continue;
      const t = nowIso();
      const updated = conditions.map((c) =>
        c.status === 'Unknown'
          ? c
          : {
              ...c,
              status: 'Unknown',
              reason: 'NodeStatusUnknown',
              message: 'Kubelet stopped posting node status.',
              lastTransitionTime: t,
            },
      );
      try {
        this.store.patch(
          'nodes',
          undefined,
          name,
          'merge',
          { status: { conditions: updated } },
          { subresource: 'status' },
        );
      } catch {
        // node deleted meanwhile
      }
    }
  }

  private reconcileTaints(name: string): void {
    const node = this.store.tryGet('nodes', undefined, name);
    if (!node) return;
    const ready = (
      (node.status as { conditions?: Condition[] } | undefined)?.conditions ?? []
    ).find((c) => c.type === 'Ready');
    const taints = (
      ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []) as Taint[]
    ).filter((t) => t.key !== NOT_READY && t.key !== UNREACHABLE);
    const t = nowIso();
    if (ready?.status === 'Unknown') {
      taints.push(
        { key: UNREACHABLE, effect: 'NoSchedule', timeAdded: t },
        { key: UNREACHABLE, effect: 'NoExecute', timeAdded: t },
      );
    } else if (ready?.status !== 'True') {
      taints.push(
        { key: NOT_READY, effect: 'NoSchedule', timeAdded: t },
        { key: NOT_READY, effect: 'NoExecute', timeAdded: t },
      );
    }
    const before = ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []) as Taint[];
    const same =
      before.length === taints.length &&
      before.every((b) => taints.some((a) => a.key === b.key && a.effect === b.effect));
    if (same) return;
    try {
      this.store.patch('nodes', undefined, name, 'merge', {
        spec: { taints: taints.length > 0 ? taints : null },
      });
    } catch {
      // deleted meanwhile
    }
  }
}

/** Empties and removes terminating namespaces; force-removes pods stuck on unreachable nodes. */
export class NamespaceController {
  private timer: NodeJS.Timeout | undefined;
  private watch: Watch | undefined;
  private readonly terminating = new Set<string>();

  constructor(
    private readonly store: ObjectStore & {
      forceRemove?(resource: string, namespace: string | undefined, name: string): unknown;
    },
    private readonly options: LifecycleOptions = {},
  ) {}

  start(): void {
    this.watch = this.store.watch('namespaces', {}, (e) => {
      if (e.type !== 'DELETED' && e.object.metadata.deletionTimestamp) {
        this.terminating.add(e.object.metadata.name ?? '');
        setImmediate(() => this.sweep());
      }
    });
    this.timer = setInterval(() => this.sweep(), 500);
    this.timer.unref();
  }

  stop(): void {
    this.watch?.stop();
    if (this.timer) clearInterval(this.timer);
  }

  sweep(now = Date.now()): void {
    for (const ns of [...this.terminating]) {
      let remaining = 0;
      for (const info of RESOURCES) {
        if (!info.namespaced) continue;
        for (const obj of this.store.list(info.plural, { namespace: ns }).items) {
          remaining++;
          this.deleteOrCollect(info.plural, obj, now);
        }
      }
      if (remaining === 0) {
        this.terminating.delete(ns);
        this.store.forceRemove?.('namespaces', undefined, ns);
      }
    }
  }

  private deleteOrCollect(resource: string, obj: KubeObject, now: number): void {
    const { namespace, name } = obj.metadata;
    if (!obj.metadata.deletionTimestamp) {
      try {
        this.store.delete(resource, namespace, name ?? '');
      } catch {
        // gone
      }
      return;
    }
    if (resource !== 'pods') return;
    // A bound pod waits for its node to finalize it; on a node that is gone or not Ready, the pod GC
    // removes it once its grace period has passed.
    const deadline = Date.parse(obj.metadata.deletionTimestamp) + (this.options.podGcGraceMs ?? 0);
    if (now < deadline) return;
    const nodeName = (obj.spec as { nodeName?: string } | undefined)?.nodeName;
    const node = nodeName ? this.store.tryGet('nodes', undefined, nodeName) : undefined;
    const ready = (
      (node?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []
    ).find((c) => c.type === 'Ready');
    if (!node || ready?.status !== 'True') this.store.forceRemove?.('pods', namespace, name ?? '');
  }
}

/** Deletes dependents whose controlling owner is gone (background propagation). */
export class GarbageCollector {
  private watches: Watch[] = [];
  private readonly queue: WorkQueue;

  constructor(private readonly store: ObjectStore) {
    this.queue = new WorkQueue((key) => this.collect(key));
  }

  start(): void {
    for (const resource of [
      'deployments',
      'replicasets',
      'replicationcontrollers',
      'jobs',
      'nodes',
    ]) {
      this.watches.push(
        this.store.watch(resource, {}, (e) => {
          if (e.type === 'DELETED')
            this.queue.add(
              `${e.object.metadata.namespace ?? ''}|${e.object.metadata.uid ?? ''}|${resource}`,
            );
        }),
      );
    }
  }

  stop(): void {
    for (const w of this.watches) w.stop();
    this.queue.stop();
  }

  private collect(key: string): void {
    const [namespace, uid, ownerResource] = key.split('|') as [string, string, string];
    const dependents: Array<[string, string | undefined]> =
      ownerResource === 'nodes'
        ? [['leases', 'kube-node-lease']]
        : ownerResource === 'deployments'
          ? [['replicasets', namespace]]
          : [['pods', namespace]];
    for (const [resource, ns] of dependents) {
      for (const obj of this.store.list(resource, { namespace: ns }).items) {
        if (!obj.metadata.ownerReferences?.some((r) => r.uid === uid)) continue;
        try {
          this.store.delete(resource, obj.metadata.namespace, obj.metadata.name ?? '');
        } catch {
          // gone
        }
      }
    }
  }
}
