import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedCluster } from '../../src/embedded/cluster.js';
import { startEmbeddedCluster } from '../../src/embedded/cluster.js';
import { CountingSink } from '../../src/edge/events.js';
import { HollowNode } from '../../src/edge/hollow-node.js';
import { NodeTemplate } from '../../src/edge/node-template.js';
import { resolveNodeProfile } from '../../src/edge/profile.js';
import { TimerWheel } from '../../src/edge/timer-wheel.js';
import { bootstrapIdentity } from '../../src/protocol/bootstrap.js';
import { createClientContext } from '../../src/protocol/tls.js';
import { waitFor } from '../helpers/wait.js';

let cluster: EmbeddedCluster;
const wheel = new TimerWheel({ tickMs: 10 });
const sink = new CountingSink();
const nodes: HollowNode[] = [];

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'hf-cluster-'));
  cluster = await startEmbeddedCluster({
    dir,
    hubs: 2,
    hub: { syncPeriodMs: 300, ackResendIntervalMs: 500, keepaliveIntervalMs: 3_000 },
  });
  const identity = await bootstrapIdentity({
    certServerUrl: cluster.info.certServer,
    token: cluster.token,
    nodeName: 'fleet',
  });
  const [host, port] = cluster.info.cloudcore.split(':') as [string, string];
  const template = new NodeTemplate(
    resolveNodeProfile({
      intervals: {
        keepaliveMs: 1_000,
        leaseMs: 1_000,
        registrationTimeoutMs: 5_000,
        requestTimeoutMs: 3_000,
        reconnectBaseMs: 50,
        reconnectCapMs: 300,
      },
    }),
  );
  for (let i = 0; i < 4; i++) {
    const node = new HollowNode({
      name: `hollow-0-0000${i}`,
      index: i,
      targets: [{ host, port: Number(port) }],
      tls: { secureContext: createClientContext(identity), servername: 'localhost' },
      template,
      scheduler: wheel,
      sink,
    });
    nodes.push(node);
    node.start();
  }
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  wheel.stop();
  await cluster?.close();
});

function runningPods(): number {
  return cluster.store
    .list('pods', { namespace: 'default', labelSelector: 'app=edge-web' })
    .items.filter(
      (p) => (p.status as { phase?: string }).phase === 'Running' && !p.metadata.deletionTimestamp,
    ).length;
}

describe('embedded cluster with hollow nodes', () => {
  it('registers the fleet, schedules a Deployment onto it and reports its pods Running and Ready', async () => {
    await waitFor('4 nodes ready', () => sink.gauge('ready') === 4);
    await waitFor('not-ready taints lifted', () =>
      cluster.store
        .list('nodes')
        .items.every((n) => !((n.spec as { taints?: unknown[] }).taints ?? []).length),
    );
    cluster.store.create('deployments', {
      metadata: { name: 'edge-web', namespace: 'default' },
      spec: {
        replicas: 8,
        selector: { matchLabels: { app: 'edge-web' } },
        template: {
          metadata: { labels: { app: 'edge-web' } },
          spec: { containers: [{ name: 'c', image: 'pause' }] },
        },
      },
    });
    await waitFor('8 running', () => runningPods() === 8);
    await waitFor(
      'deployment ready',
      () =>
        (
          cluster.store.get('deployments', 'default', 'edge-web').status as {
            readyReplicas?: number;
          }
        ).readyReplicas === 8,
    );
    const perNode = new Map<string, number>();
    for (const p of cluster.store.list('pods', { namespace: 'default' }).items) {
      const n = (p.spec as { nodeName: string }).nodeName;
      perNode.set(n, (perNode.get(n) ?? 0) + 1);
    }
    expect(perNode.size).toBeGreaterThan(1);
  });

  it('brings a node back to Ready when the cloud marks it Unknown (probe-findings §3.2)', async () => {
    cluster.store.patch(
      'nodes',
      undefined,
      'hollow-0-00001',
      'strategic',
      {
        status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] },
      },
      { subresource: 'status' },
    );
    await waitFor(
      'ready again',
      () =>
        (
          cluster.store.get('nodes', undefined, 'hollow-0-00001').status as {
            conditions: Array<{ type: string; status: string }>;
          }
        ).conditions.find((c) => c.type === 'Ready')?.status === 'True',
    );
    expect(sink.counter('readyRepairs')).toBeGreaterThanOrEqual(1);
  });

  it('fails over: nodes of a stopped hub reconnect through the load balancer and keep serving pods', async () => {
    const [first, second] = cluster.hubs as [(typeof cluster.hubs)[0], (typeof cluster.hubs)[0]];
    const onFirst = first.connectedNodes().length;
    expect(onFirst + second.connectedNodes().length).toBe(4);
    const reconnectsBefore = sink.counter('reconnects');
    await cluster.stopHub(0);
    await waitFor(
      'all on the survivor',
      () => second.connectedNodes().length === 4 && sink.gauge('ready') === 4,
    );
    expect(sink.counter('reconnects') - reconnectsBefore).toBeGreaterThanOrEqual(onFirst);
    cluster.store.patch('deployments', 'default', 'edge-web', 'merge', { spec: { replicas: 12 } });
    await waitFor('12 running', () => runningPods() === 12);
    cluster.store.delete('deployments', 'default', 'edge-web');
    await waitFor(
      'pods finalized by their nodes',
      () => cluster.store.list('pods', { namespace: 'default' }).items.length === 0,
    );
  });
});
