import { afterEach, describe, expect, it } from 'vitest';
import { CountingSink } from '../../src/edge/events.js';
import { HollowNode } from '../../src/edge/hollow-node.js';
import { NodeTemplate } from '../../src/edge/node-template.js';
import { resolveNodeProfile, type NodeProfileInput } from '../../src/edge/profile.js';
import { TimerWheel } from '../../src/edge/timer-wheel.js';
import { bootstrapIdentity } from '../../src/protocol/bootstrap.js';
import { createClientContext } from '../../src/protocol/tls.js';
import type { KubeObject } from '../../src/embedded/apiserver/store-api.js';
import { startHubFixture, type HubFixture } from '../helpers/embedded.js';
import { waitFor } from '../helpers/wait.js';

let fixture: HubFixture | undefined;
const nodes: HollowNode[] = [];
const wheels: TimerWheel[] = [];

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
  for (const w of wheels.splice(0)) w.stop();
  await fixture?.close();
  fixture = undefined;
});

const fast: NodeProfileInput = {
  intervals: {
    keepaliveMs: 1_000,
    leaseMs: 500,
    statusReportMs: 60_000,
    registrationTimeoutMs: 2_000,
    requestTimeoutMs: 1_500,
    reconnectBaseMs: 50,
    reconnectCapMs: 200,
  },
};

async function startNode(
  f: HubFixture,
  name: string,
  profile: NodeProfileInput = fast,
  hubIndex = 0,
) {
  const identity = await bootstrapIdentity({
    certServerUrl: f.certServer.url,
    token: f.token,
    nodeName: name,
  });
  const wheel = new TimerWheel({ tickMs: 10 });
  wheels.push(wheel);
  const sink = new CountingSink();
  const node = new HollowNode({
    name,
    index: nodes.length,
    targets: [{ host: '127.0.0.1', port: f.hubs[hubIndex]!.port }],
    tls: { secureContext: createClientContext(identity), servername: 'localhost' },
    template: new NodeTemplate(resolveNodeProfile(profile)),
    scheduler: wheel,
    sink,
  });
  nodes.push(node);
  node.start();
  return { node, sink };
}

function pod(name: string, nodeName: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name, namespace: 'default' },
    spec: { nodeName, containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }], ...extra },
  };
}

describe('HollowNode against the embedded hub', () => {
  it('registers a complete edge Node, renews its lease and becomes ready', async () => {
    fixture = await startHubFixture();
    const { sink } = await startNode(fixture, 'hollow-0-00000');
    await waitFor('ready', () => sink.gauge('ready') === 1);
    const node = fixture.store.get('nodes', undefined, 'hollow-0-00000');
    expect(node.metadata.labels).toMatchObject({
      'node-role.kubernetes.io/edge': '',
      'kubernetes.io/hostname': 'hollow-0-00000',
    });
    expect(node.metadata.annotations?.cloudcore).toBe('127.0.0.1');
    const status = node.status as {
      conditions: Array<{ type: string; status: string }>;
      daemonEndpoints: unknown;
      allocatable: Record<string, string>;
    };
    expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(status.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10350 } });
    expect(status.allocatable.pods).toBe('110');
    const lease = fixture.store.get('leases', 'kube-node-lease', 'hollow-0-00000');
    const firstRenew = (lease.spec as { renewTime: string }).renewTime;
    expect(firstRenew).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(lease.metadata.ownerReferences?.[0]?.uid).toBe(node.metadata.uid);
    await waitFor(
      'lease renewal',
      () =>
        (
          fixture!.store.get('leases', 'kube-node-lease', 'hollow-0-00000').spec as {
            renewTime: string;
          }
        ).renewTime !== firstRenew,
    );
    // The node update pushed after registration was acked.
    expect(sink.counter('acksSent')).toBeGreaterThan(0);
  });

  it('reports pods Running with a complete status exactly once, and finalizes them on delete', async () => {
    fixture = await startHubFixture();
    const { sink } = await startNode(fixture, 'hollow-0-00001');
    await waitFor('ready', () => sink.gauge('ready') === 1);
    fixture.store.create(
      'pods',
      pod('p1', 'hollow-0-00001', { initContainers: [{ name: 'init', image: 'busybox' }] }),
    );
    const running = await waitFor('pod running', () => {
      const p = fixture!.store.get('pods', 'default', 'p1');
      return (p.status as { phase?: string }).phase === 'Running' ? p : undefined;
    });
    const status = running.status as Record<string, unknown> & {
      conditions: Array<{ type: string; status: string }>;
      containerStatuses: Array<Record<string, unknown>>;
    };
    expect(status.conditions.map((c) => `${c.type}=${c.status}`).sort()).toEqual([
      'ContainersReady=True',
      'Initialized=True',
      'PodReadyToStartContainers=True',
      'PodScheduled=True',
      'Ready=True',
    ]);
    expect(status.podIP).toBe((status.podIPs as Array<{ ip: string }>)[0]!.ip);
    expect(status.hostIP).toBe((status.hostIPs as Array<{ ip: string }>)[0]!.ip);
    expect(status.startTime).toBeDefined();
    expect(status.containerStatuses[0]).toMatchObject({
      name: 'c',
      ready: true,
      started: true,
      restartCount: 0,
      image: 'registry.k8s.io/pause:3.10',
    });
    expect(
      (status.containerStatuses[0]!.state as { running: { startedAt: string } }).running.startedAt,
    ).toBeDefined();
    expect(
      (status.initContainerStatuses as Array<{ state: { terminated: { reason: string } } }>)[0]!
        .state.terminated.reason,
    ).toBe('Completed');
    // The echo update after the status patch is acked but never answered by a second patch.
    await waitFor(
      'echo acked',
      () =>
        fixture!.hubs[0]!.syncTable.get('hollow-0-00001', running.metadata.uid!)?.ackedRv ===
        Number(running.metadata.resourceVersion),
    );
    expect(sink.counter('podStatusPatches')).toBe(1);
    fixture.store.delete('pods', 'default', 'p1');
    await waitFor(
      'pod finalized',
      () => fixture!.store.tryGet('pods', 'default', 'p1') === undefined,
    );
    await waitFor('pod forgotten', () => sink.gauge('podsTracked') === 0);
    expect(sink.counter('podsDeleted')).toBe(1);
  });

  it('applies the crash-loop failure mode', async () => {
    fixture = await startHubFixture();
    const { sink } = await startNode(fixture, 'hollow-0-00002', {
      ...fast,
      failures: { crashLoop: 1 },
    });
    await waitFor('ready', () => sink.gauge('ready') === 1);
    fixture.store.create('pods', pod('crash', 'hollow-0-00002'));
    const p = await waitFor('status', () => {
      const obj = fixture!.store.get('pods', 'default', 'crash');
      return (obj.status as { containerStatuses?: unknown[] }).containerStatuses ? obj : undefined;
    });
    const cs = (
      p.status as {
        containerStatuses: Array<{ state: { waiting?: { reason: string } }; ready: boolean }>;
      }
    ).containerStatuses[0]!;
    expect(cs.state.waiting?.reason).toBe('CrashLoopBackOff');
    expect(cs.ready).toBe(false);
  });

  it('applies the failing-readiness and never-start failure modes', async () => {
    fixture = await startHubFixture();
    const unready = await startNode(fixture, 'hollow-0-00006', {
      ...fast,
      failures: { failReadiness: 1 },
    });
    const stuck = await startNode(fixture, 'hollow-0-00007', {
      ...fast,
      failures: { neverStart: 1 },
    });
    await waitFor(
      'ready',
      () => unready.sink.gauge('ready') === 1 && stuck.sink.gauge('ready') === 1,
    );
    fixture.store.create('pods', pod('unready', 'hollow-0-00006'));
    fixture.store.create('pods', pod('stuck', 'hollow-0-00007'));
    const running = await waitFor('running but not ready', () => {
      const p = fixture!.store.get('pods', 'default', 'unready');
      return (p.status as { phase?: string }).phase === 'Running' ? p : undefined;
    });
    const conditions = (running.status as { conditions: Array<{ type: string; status: string }> })
      .conditions;
    expect(conditions.find((c) => c.type === 'Ready')?.status).toBe('False');
    await waitFor('stuck pod received', () => stuck.sink.counter('podsReceived') === 1);
    expect(stuck.sink.counter('podStatusPatches')).toBe(0);
    expect((fixture.store.get('pods', 'default', 'stuck').status as { phase: string }).phase).toBe(
      'Pending',
    );
  });

  it('reconnects after the connection drops and becomes ready again', async () => {
    fixture = await startHubFixture();
    const { node, sink } = await startNode(fixture, 'hollow-0-00003');
    await waitFor('ready', () => sink.gauge('ready') === 1);
    node.dropConnection();
    await waitFor(
      'reconnected',
      () => sink.counter('reconnects') >= 1 && sink.gauge('ready') === 1,
    );
    expect(sink.observations.get('reconnectToReadyMs')?.length).toBe(1);
    expect(sink.gauge('connected')).toBe(1);
    await node.stop();
    expect(sink.gauge('connected')).toBe(0);
    expect(sink.gauge('ready')).toBe(0);
  });

  it('counts a silent, over-limit hub as a rejection and retries', async () => {
    fixture = await startHubFixture({ nodeLimit: 1 });
    const first = await startNode(fixture, 'hollow-0-00004');
    await waitFor('first ready', () => first.sink.gauge('ready') === 1);
    const second = await startNode(fixture, 'hollow-0-00005');
    await waitFor('rejected', () => second.sink.counter('rejected') >= 1);
    expect(second.sink.errors.some((e) => e.code === 'HF_REGISTRATION_REJECTED')).toBe(true);
    expect(second.sink.gauge('ready')).toBe(0);
    expect(fixture.hubs[0]!.stats.connected).toBe(1);
  });
});
