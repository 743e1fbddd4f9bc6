/**
 * EMBEDDED CONTROL PLANE ONLY. Deployment → ReplicaSet → Pod, ReplicationController and a minimal
 * Job controller, with the names, labels, owner references and status counters of
 * kube-controller-manager. Rollouts replace the old ReplicaSet at once (no surge accounting);
 * StatefulSets and DaemonSets are not simulated.
 */
import type { KubeObject, ObjectStore, Watch, WatchEvent } from '../apiserver/store-api.js';
import {
  controllerOf,
  isPodReady,
  isPodTerminal,
  objectKey,
  randomSuffix,
  splitKey,
  templateHash,
  WorkQueue,
} from './util.js';

type PodOwnerKind = 'ReplicaSet' | 'ReplicationController' | 'Job';

const OWNER_RESOURCE: Record<PodOwnerKind, string> = {
  ReplicaSet: 'replicasets',
  ReplicationController: 'replicationcontrollers',
  Job: 'jobs',
};

/** Set on every pod of an Indexed Job (annotation, and label since Kubernetes 1.28). */
const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';

function completionIndexOf(pod: KubeObject): number | undefined {
  const n = Number(pod.metadata.annotations?.[COMPLETION_INDEX] ?? NaN);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

interface TemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

export class WorkloadControllers {
  private watches: Watch[] = [];
  /** Pods by controlling owner uid. */
  private readonly podsByOwner = new Map<string, Set<string>>();
  /** ReplicaSets by controlling Deployment uid. */
  private readonly rsByDeployment = new Map<string, Set<string>>();
  private readonly ownerQueues: Record<PodOwnerKind, WorkQueue>;
  private readonly deploymentQueue: WorkQueue;
  private readonly uidToKey = new Map<string, { kind: string; key: string }>();

  constructor(private readonly store: ObjectStore) {
    this.ownerQueues = {
      ReplicaSet: new WorkQueue((k) => this.syncPodOwner('ReplicaSet', k)),
      ReplicationController: new WorkQueue((k) => this.syncPodOwner('ReplicationController', k)),
      Job: new WorkQueue((k) => this.syncPodOwner('Job', k)),
    };
    this.deploymentQueue = new WorkQueue((k) => this.syncDeployment(k));
  }

  start(): void {
    this.watches.push(this.store.watch('pods', {}, (e) => this.onPod(e)));
    this.watches.push(this.store.watch('replicasets', {}, (e) => this.onOwner('ReplicaSet', e)));
    this.watches.push(
      this.store.watch('replicationcontrollers', {}, (e) =>
        this.onOwner('ReplicationController', e),
      ),
    );
    this.watches.push(this.store.watch('jobs', {}, (e) => this.onOwner('Job', e)));
    this.watches.push(this.store.watch('deployments', {}, (e) => this.onDeployment(e)));
  }

  stop(): void {
    for (const w of this.watches) w.stop();
    for (const q of Object.values(this.ownerQueues)) q.stop();
    this.deploymentQueue.stop();
  }

  private index(map: Map<string, Set<string>>, owner: string, key: string, add: boolean): void {
    let set = map.get(owner);
    if (add) {
      if (!set) {
        set = new Set();
        map.set(owner, set);
      }
      set.add(key);
    } else if (set) {
      set.delete(key);
      if (set.size === 0) map.delete(owner);
    }
  }

  private onPod(e: WatchEvent): void {
    if (e.type === 'BOOKMARK') return;
    const owner = controllerOf(e.object);
    if (!owner) return;
    this.index(this.podsByOwner, owner.uid, objectKey(e.object), e.type !== 'DELETED');
    const ownerRef = this.uidToKey.get(owner.uid);
    if (ownerRef && ownerRef.kind in this.ownerQueues)
      this.ownerQueues[ownerRef.kind as PodOwnerKind].add(ownerRef.key);
  }

  private onOwner(kind: PodOwnerKind, e: WatchEvent): void {
    if (e.type === 'BOOKMARK') return;
    const key = objectKey(e.object);
    const uid = e.object.metadata.uid ?? '';
    if (e.type === 'DELETED') {
      this.uidToKey.delete(uid);
    } else {
      this.uidToKey.set(uid, { kind, key });
      this.ownerQueues[kind].add(key);
    }
    if (kind === 'ReplicaSet') {
      const deployment = controllerOf(e.object);
      if (deployment) {
        this.index(this.rsByDeployment, deployment.uid, key, e.type !== 'DELETED');
        const ref = this.uidToKey.get(deployment.uid);
        if (ref) this.deploymentQueue.add(ref.key);
      }
    }
  }

  private onDeployment(e: WatchEvent): void {
    if (e.type === 'BOOKMARK') return;
    const key = objectKey(e.object);
    if (e.type === 'DELETED') {
      this.uidToKey.delete(e.object.metadata.uid ?? '');
      return;
    }
    this.uidToKey.set(e.object.metadata.uid ?? '', { kind: 'Deployment', key });
    this.deploymentQueue.add(key);
  }

  private ownedPods(uid: string): KubeObject[] {
    const pods: KubeObject[] = [];
    for (const key of this.podsByOwner.get(uid) ?? []) {
      const { namespace, name } = splitKey(key);
      const pod = this.store.tryGet('pods', namespace, name);
      if (pod) pods.push(pod);
    }
    return pods;
  }

  private syncPodOwner(kind: PodOwnerKind, key: string): void {
    const { namespace, name } = splitKey(key);
    const owner = this.store.tryGet(OWNER_RESOURCE[kind], namespace, name);
    if (!owner || owner.metadata.deletionTimestamp) return;
    const spec = (owner.spec ?? {}) as {
      replicas?: number;
      parallelism?: number;
      completions?: number;
      completionMode?: string;
      template?: TemplateSpec;
    };
    const pods = this.ownedPods(owner.metadata.uid ?? '');
    const active = pods.filter((p) => !p.metadata.deletionTimestamp && !isPodTerminal(p));
    const indexed = kind === 'Job' && spec.completionMode === 'Indexed';
    let desired = kind === 'Job' ? (spec.parallelism ?? 1) : (spec.replicas ?? 1);
    // An Indexed Job runs one pod per completion index; a succeeded index is done.
    const freeIndexes: number[] = [];
    if (indexed) {
      const taken = new Set<number>();
      for (const p of pods) {
        const i = completionIndexOf(p);
        const succeeded = (p.status as { phase?: string } | undefined)?.phase === 'Succeeded';
        const live = !p.metadata.deletionTimestamp && !isPodTerminal(p);
        if (i !== undefined && (succeeded || live)) taken.add(i);
      }
      for (let i = 0; i < (spec.completions ?? desired); i++)
        if (!taken.has(i)) freeIndexes.push(i);
      desired = Math.min(desired, active.length + freeIndexes.length);
    }
    if (active.length < desired) {
      for (let i = active.length; i < desired; i++)
        this.createPod(kind, owner, spec.template ?? {}, indexed ? freeIndexes.shift() : undefined);
    } else if (active.length > desired) {
      const victims = [...active].sort(deletionOrder).slice(0, active.length - desired);
      for (const pod of victims) {
        try {
          this.store.delete('pods', pod.metadata.namespace, pod.metadata.name!);
        } catch {
          // already gone
        }
      }
    }
    this.updateOwnerStatus(kind, owner, active, desired);
  }

  private createPod(
    kind: PodOwnerKind,
    owner: KubeObject,
    template: TemplateSpec,
    completionIndex?: number,
  ): void {
    const podSpec = structuredClone(template.spec ?? {});
    const labels = { ...(template.metadata?.labels ?? {}) };
    let annotations = template.metadata?.annotations
      ? { ...template.metadata.annotations }
      : undefined;
    let name = `${owner.metadata.name}-${randomSuffix()}`;
    if (completionIndex !== undefined) {
      // As the Job controller does for Indexed Jobs: the index in the name, an annotation and a
      // label, the hostname, and JOB_COMPLETION_INDEX in every container that does not set it.
      const index = String(completionIndex);
      name = `${owner.metadata.name}-${index}-${randomSuffix()}`;
      annotations = { ...annotations, [COMPLETION_INDEX]: index };
      labels[COMPLETION_INDEX] = index;
      podSpec.hostname ??= `${owner.metadata.name}-${index}`;
      for (const key of ['initContainers', 'containers'])
        for (const container of (podSpec[key] ?? []) as Array<{
          env?: Array<{ name: string; valueFrom?: unknown }>;
        }>) {
          const env = (container.env ??= []);
          if (!env.some((e) => e.name === 'JOB_COMPLETION_INDEX'))
            env.push({
              name: 'JOB_COMPLETION_INDEX',
              valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } },
            });
        }
    }
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: owner.metadata.namespace,
        labels,
        annotations,
        ownerReferences: [
          {
            apiVersion: owner.apiVersion ?? 'v1',
            kind,
            name: owner.metadata.name ?? '',
            uid: owner.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: podSpec,
    };
    if (kind === 'Job') (pod.spec as Record<string, unknown>).restartPolicy ??= 'Never';
    try {
      this.store.create('pods', pod);
    } catch {
      // namespace terminating or a name collision: the next sync tries again
    }
  }

  private updateOwnerStatus(
    kind: PodOwnerKind,
    owner: KubeObject,
    active: KubeObject[],
    desired: number,
  ): void {
    const ready = active.filter(isPodReady).length;
    let status: Record<string, unknown>;
    if (kind === 'Job') {
      status = {
        active: active.length,
        ready,
        startTime:
          (owner.status as { startTime?: string } | undefined)?.startTime ??
          owner.metadata.creationTimestamp,
      };
    } else {
      status = {
        replicas: active.length,
        fullyLabeledReplicas: active.length,
        readyReplicas: ready,
        availableReplicas: ready,
        observedGeneration: owner.metadata.generation ?? 1,
      };
    }
    void desired;
    const current = owner.status as Record<string, unknown> | undefined;
    if (current && Object.entries(status).every(([k, v]) => current[k] === v)) return;
    try {
      this.store.patch(
        OWNER_RESOURCE[kind],
        owner.metadata.namespace,
        owner.metadata.name!,
        'merge',
        { status },
        { subresource: 'status' },
      );
    } catch {
      // deleted meanwhile
    }
  }

  private syncDeployment(key: string): void {
    const { namespace, name } = splitKey(key);
    const deploy = this.store.tryGet('deployments', namespace, name);
    if (!deploy || deploy.metadata.deletionTimestamp) return;
    const spec = (deploy.spec ?? {}) as {
      replicas?: number;
      template?: TemplateSpec;
      selector?: unknown;
    };
    const replicas = spec.replicas ?? 1;
    const hash = templateHash(spec.template ?? {});
    const rsName = `${name}-${hash}`;
    const owned = [...(this.rsByDeployment.get(deploy.metadata.uid ?? '') ?? [])]
      .map((k) => {
        const s = splitKey(k);
        return this.store.tryGet('replicasets', s.namespace, s.name);
      })
      .filter((rs): rs is KubeObject => rs !== undefined);
    let current =
      owned.find((rs) => rs.metadata.name === rsName) ??
      this.store.tryGet('replicasets', namespace, rsName);
    if (!current) {
      const template = structuredClone(spec.template ?? {});
      template.metadata = {
        ...(template.metadata ?? {}),
        labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash },
      };
      const selector = structuredClone(
        (spec.selector as { matchLabels?: Record<string, string> } | undefined) ?? {
          matchLabels: {},
        },
      );
      selector.matchLabels = { ...(selector.matchLabels ?? {}), 'pod-template-hash': hash };
      try {
        current = this.store.create('replicasets', {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: rsName,
            namespace,
            labels: { ...(template.metadata.labels ?? {}) },
            annotations: { 'deployment.kubernetes.io/revision': String(owned.length + 1) },
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name,
                uid: deploy.metadata.uid ?? '',
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: { replicas, selector, template },
        });
      } catch {
        return;
      }
    } else if ((current.spec as { replicas?: number }).replicas !== replicas) {
      current = this.store.patch('replicasets', namespace, rsName, 'merge', { spec: { replicas } });
    }
    for (const rs of owned) {
      if (rs.metadata.name !== rsName && (rs.spec as { replicas?: number }).replicas !== 0) {
        this.store.patch('replicasets', namespace, rs.metadata.name!, 'merge', {
          spec: { replicas: 0 },
        });
      }
    }
    const all = owned.some((rs) => rs.metadata.uid === current!.metadata.uid)
      ? owned
      : [...owned, current];
    let total = 0;
    let ready = 0;
    for (const rs of all) {
      const st = (rs.status ?? {}) as { replicas?: number; readyReplicas?: number };
      total += st.replicas ?? 0;
      ready += st.readyReplicas ?? 0;
    }
    const updated = ((current.status ?? {}) as { replicas?: number }).replicas ?? 0;
    const available = ready >= replicas;
    const status = {
      observedGeneration: deploy.metadata.generation ?? 1,
      replicas: total,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: Math.max(0, replicas - ready),
      conditions: [
        {
          type: 'Available',
          status: available ? 'True' : 'False',
          reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          message: available
            ? 'Deployment has minimum availability.'
            : 'Deployment does not have minimum availability.',
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: updated >= replicas ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated',
          message: `ReplicaSet "${rsName}" is progressing.`,
        },
      ],
    };
    const old = (deploy.status ?? {}) as Record<string, unknown>;
    if (
      JSON.stringify({ ...old, conditions: undefined }) ===
        JSON.stringify({ ...status, conditions: undefined }) &&
      old.conditions
    )
      return;
    try {
      this.store.patch(
        'deployments',
        namespace,
        name,
        'merge',
        { status },
        { subresource: 'status' },
      );
    } catch {
      // deleted meanwhile
    }
  }
}

/** Pods to remove first when scaling down: unscheduled, then not ready, then the newest. */
function deletionOrder(a: KubeObject, b: KubeObject): number {
  const rank = (p: KubeObject) =>
    ((p.spec as { nodeName?: string }).nodeName ? 1 : 0) * 2 + (isPodReady(p) ? 1 : 0);
  const diff = rank(a) - rank(b);
  if (diff !== 0) return diff;
  return (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '');
}
