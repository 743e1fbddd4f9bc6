import { afterEach, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../src/embedded/apiserver/store.js';
import type { KubeObject } from '../../src/embedded/apiserver/store-api.js';
import { startControllers, type Controllers } from '../../src/embedded/controllers/index.js';
import { waitFor } from '../helpers/wait.js';

let store: MemoryObjectStore;
let controllers: Controllers;
afterEach(() => {
  controllers?.stop();
  store?.close();
});

function start(options: Parameters<typeof startControllers>[1] = {}) {
  store = new MemoryObjectStore({ bookmarkIntervalMs: 0 });
  controllers = startControllers(store, options);
}

function node(
  name: string,
  extra: {
    labels?: Record<string, string>;
    taints?: unknown[];
    ready?: boolean;
    pods?: string;
    cpu?: string;
  } = {},
) {
  store.create('nodes', {
    metadata: { name, labels: extra.labels ?? {} },
    spec: extra.taints ? { taints: extra.taints } : {},
    status: {
      allocatable: { cpu: extra.cpu ?? '4', memory: '8Gi', pods: extra.pods ?? '110' },
      conditions: [
        {
          type: 'Ready',
          status: extra.ready === false ? 'False' : 'True',
          lastHeartbeatTime: new Date().toISOString(),
        },
      ],
    },
  });
  store.create('leases', {
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { renewTime: new Date().toISOString().replace('Z', '000Z') },
  });
}

function pod(name: string, spec: Record<string, unknown> = {}, ns = 'default'): KubeObject {
  return store.create('pods', {
    metadata: { name, namespace: ns, labels: { app: 'x' } },
    spec: { containers: [{ name: 'c', image: 'pause' }], ...spec },
  });
}

const nodeOf = (name: string, ns = 'default') =>
  (store.get('pods', ns, name).spec as { nodeName?: string }).nodeName;

describe('embedded scheduler', () => {
  it('binds only to Ready, tolerated, matching nodes with room, and records Scheduled events', async () => {
    start();
    node('ready-a', { labels: { zone: 'a' } });
    node('tainted', { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] });
    node('not-ready', { ready: false });
    await waitFor(
      'not-ready taint removed',
      () => !(store.get('nodes', undefined, 'ready-a').spec as { taints?: unknown[] }).taints,
    );
    pod('plain');
    pod('selector', { nodeSelector: { zone: 'a' } });
    pod('tolerant', {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'x', effect: 'NoSchedule' }],
      nodeSelector: { zone: 'none' },
    });
    pod('affinity', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
            ],
          },
        },
      },
    });
    await waitFor('bound', () => nodeOf('plain') && nodeOf('selector') && nodeOf('affinity'));
    expect(nodeOf('plain')).toBe('ready-a');
    expect(nodeOf('selector')).toBe('ready-a');
    expect(nodeOf('affinity')).toBe('ready-a');
    const events = store.list('events', { fieldSelector: 'involvedObject.name=plain' }).items;
    expect(events.map((e) => (e as unknown as { reason: string }).reason)).toContain('Scheduled');
    expect((events[0] as unknown as { source: { component: string } }).source.component).toBe(
      'default-scheduler',
    );
    await waitFor('unschedulable marked', () => {
      const conditions = (
        store.get('pods', 'default', 'tolerant').status as {
          conditions?: Array<{ type: string; reason?: string }>;
        }
      ).conditions;
      return conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable');
    });
    expect(
      store.list('events', {
        fieldSelector: 'involvedObject.name=tolerant,reason=FailedScheduling',
      }).items.length,
    ).toBe(1);
    node('late', {
      labels: { zone: 'none' },
      taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }],
    });
    await waitFor('bound after a node appears', () => nodeOf('tolerant') === 'late');
  });

  it('respects the pods limit and CPU requests and spreads evenly', async () => {
    start();
    for (const n of ['s1', 's2', 's3']) node(n, { pods: '2', cpu: '1' });
    for (let i = 0; i < 6; i++) pod(`spread-${i}`);
    pod('big', { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '2' } } }] });
    await waitFor('six bound', () => [0, 1, 2, 3, 4, 5].every((i) => nodeOf(`spread-${i}`)));
    const counts = new Map<string, number>();
    for (let i = 0; i < 6; i++)
      counts.set(nodeOf(`spread-${i}`)!, (counts.get(nodeOf(`spread-${i}`)!) ?? 0) + 1);
    expect([...counts.values()]).toEqual([2, 2, 2]);
    pod('seventh');
    await new Promise((r) => setTimeout(r, 200));
    expect(nodeOf('seventh')).toBeUndefined();
    expect(nodeOf('big')).toBeUndefined();
  });
});

describe('embedded workload controllers', () => {
  it('runs Deployment → ReplicaSet → Pods with hashes, owners, scaling and status', async () => {
    start();
    node('w1');
    store.create('deployments', {
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'pause' }] },
        },
      },
    });
    const pods = await waitFor('three pods', () => {
      const items = store.list('pods', { namespace: 'default', labelSelector: 'app=web' }).items;
      return items.length === 3 ? items : undefined;
    });
    const rs = store.list('replicasets', { namespace: 'default' }).items[0]!;
    const hash = rs.metadata.labels?.['pod-template-hash'];
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'web',
      controller: true,
    });
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      expect(p.metadata.labels?.['pod-template-hash']).toBe(hash);
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'ReplicaSet',
        uid: rs.metadata.uid,
      });
    }
    await waitFor(
      'bound',
      () =>
        store.list('pods', { namespace: 'default', fieldSelector: 'spec.nodeName=w1' }).items
          .length === 3,
    );
    for (const p of store.list('pods', { namespace: 'default' }).items) {
      store.patch(
        'pods',
        'default',
        p.metadata.name!,
        'strategic',
        { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
        { subresource: 'status' },
      );
    }
    await waitFor(
      'deployment ready',
      () =>
        (store.get('deployments', 'default', 'web').status as { readyReplicas?: number })
          .readyReplicas === 3,
    );
    store.patch('deployments', 'default', 'web', 'merge', { spec: { replicas: 1 } });
    await waitFor(
      'scaled down',
      () =>
        store
          .list('pods', { namespace: 'default' })
          .items.filter((p) => !p.metadata.deletionTimestamp).length === 1,
    );
    store.patch('deployments', 'default', 'web', 'merge', {
      spec: { template: { metadata: { labels: { app: 'web', v: '2' } } } },
    });
    await waitFor(
      'rolled to a new replica set',
      () => store.list('replicasets', { namespace: 'default' }).items.length === 2,
    );
    store.delete('deployments', 'default', 'web');
    await waitFor(
      'replica sets collected',
      () => store.list('replicasets', { namespace: 'default' }).items.length === 0,
    );
  });
});

describe('embedded Job controller', () => {
  it('gives each pod of an Indexed Job its completion index, and replaces only unfinished ones', async () => {
    start();
    store.create('jobs', {
      metadata: { name: 'shards', namespace: 'default' },
      spec: {
        completionMode: 'Indexed',
        completions: 3,
        parallelism: 3,
        template: {
          metadata: { labels: { app: 'shard' } },
          spec: {
            containers: [{ name: 'fleet', image: 'hf', env: [{ name: 'A', value: '1' }] }],
          },
        },
      },
    });
    const key = 'batch.kubernetes.io/job-completion-index';
    const live = () =>
      store
        .list('pods', { namespace: 'default', labelSelector: 'app=shard' })
        .items.filter((p) => !p.metadata.deletionTimestamp);
    const pods = await waitFor('three indexed pods', () =>
      live().length === 3 ? live() : undefined,
    );
    const byIndex = new Map(pods.map((p) => [p.metadata.annotations?.[key], p]));
    expect([...byIndex.keys()].sort()).toEqual(['0', '1', '2']);
    for (const [index, p] of byIndex) {
      expect(p.metadata.name).toMatch(new RegExp(`^shards-${index}-[a-z0-9]{5}$`));
      expect(p.metadata.labels?.[key]).toBe(index);
      const spec = p.spec as {
        hostname?: string;
        containers: Array<{ env: Array<{ name: string; valueFrom?: unknown }> }>;
      };
      expect(spec.hostname).toBe(`shards-${index}`);
      expect(spec.containers[0]!.env.map((e) => e.name)).toEqual(['A', 'JOB_COMPLETION_INDEX']);
      expect(spec.containers[0]!.env[1]!.valueFrom).toEqual({
        fieldRef: { fieldPath: `metadata.annotations['${key}']` },
      });
    }
    // Index 0 finishes and index 1 is deleted: only index 1 comes back.
    store.patch(
      'pods',
      'default',
      byIndex.get('0')!.metadata.name!,
      'merge',
      {
        status: { phase: 'Succeeded' },
      },
      { subresource: 'status' },
    );
    store.delete('pods', 'default', byIndex.get('1')!.metadata.name!);
    const replaced = await waitFor('index 1 replaced', () =>
      live().find(
        (p) =>
          p.metadata.annotations?.[key] === '1' &&
          p.metadata.name !== byIndex.get('1')!.metadata.name,
      ),
    );
    expect(replaced.metadata.name).toMatch(/^shards-1-/);
    const indexes = live()
      .filter((p) => (p.status as { phase?: string } | undefined)?.phase !== 'Succeeded')
      .map((p) => p.metadata.annotations?.[key])
      .sort();
    expect(indexes).toEqual(['1', '2']);
  });
});

describe('embedded lifecycle controllers', () => {
  it('marks a node Unknown when its lease lapses, taints it, and only a Ready status clears it', async () => {
    start({ nodeMonitorGracePeriodMs: 300, nodeMonitorPeriodMs: 100 });
    node('lapsing');
    await waitFor('unknown', () =>
      (
        store.get('nodes', undefined, 'lapsing').status as {
          conditions: Array<{ type: string; status: string; reason?: string }>;
        }
      ).conditions.some(
        (c) => c.type === 'Ready' && c.status === 'Unknown' && c.reason === 'NodeStatusUnknown',
      ),
    );
    await waitFor('unreachable taints', () =>
      (
        (
          store.get('nodes', undefined, 'lapsing').spec as {
            taints?: Array<{ key: string; effect: string }>;
          }
        ).taints ?? []
      ).some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'),
    );
    store.patch('leases', 'kube-node-lease', 'lapsing', 'merge', {
      spec: { renewTime: new Date().toISOString() },
    });
    await new Promise((r) => setTimeout(r, 250));
    const ready = () =>
      (
        store.get('nodes', undefined, 'lapsing').status as {
          conditions: Array<{ type: string; status: string }>;
        }
      ).conditions.find((c) => c.type === 'Ready')!.status;
    expect(ready()).toBe('Unknown');
    store.patch(
      'nodes',
      undefined,
      'lapsing',
      'strategic',
      {
        status: {
          conditions: [
            { type: 'Ready', status: 'True', lastHeartbeatTime: new Date().toISOString() },
          ],
        },
      },
      { subresource: 'status' },
    );
    await waitFor(
      'taints removed',
      () => !(store.get('nodes', undefined, 'lapsing').spec as { taints?: unknown[] }).taints,
    );
  });

  it('empties and removes a terminating namespace, collecting pods stuck on unreachable nodes', async () => {
    start({ podGcGraceMs: 0 });
    store.create('namespaces', { metadata: { name: 'doomed' } });
    store.create('configmaps', { metadata: { name: 'c', namespace: 'doomed' } });
    pod('orphan', { nodeName: 'no-such-node', terminationGracePeriodSeconds: 0 }, 'doomed');
    pod('unbound', { schedulerName: 'other' }, 'doomed');
    store.delete('namespaces', undefined, 'doomed');
    expect(store.get('namespaces', undefined, 'doomed').status).toEqual({ phase: 'Terminating' });
    expect(() =>
      store.create('configmaps', { metadata: { name: 'new', namespace: 'doomed' } }),
    ).toThrow(/being terminated/);
    await waitFor(
      'namespace removed',
      () => store.tryGet('namespaces', undefined, 'doomed') === undefined,
      10_000,
    );
  });
});
