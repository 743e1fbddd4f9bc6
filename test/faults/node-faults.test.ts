import { afterEach, describe, expect, it } from 'vitest';
import { CountingSink } from '../../src/edge/events.js';
import { parseFault } from '../../src/edge/faults.js';
import { HollowNode } from '../../src/edge/hollow-node.js';
import { NodeTemplate } from '../../src/edge/node-template.js';
import { resolveNodeProfile } from '../../src/edge/profile.js';
import { TimerWheel } from '../../src/edge/timer-wheel.js';
import { bootstrapIdentity } from '../../src/protocol/bootstrap.js';
import { createClientContext } from '../../src/protocol/tls.js';
import { startHubFixture, type HubFixture } from '../helpers/embedded.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const fast = {
  intervals: {
    keepaliveMs: 300,
    leaseMs: 500,
    registrationTimeoutMs: 3_000,
    requestTimeoutMs: 1_000,
    reconnectBaseMs: 50,
    reconnectCapMs: 200,
  },
};

async function fixture(options: Parameters<typeof startHubFixture>[0] = {}): Promise<HubFixture> {
  const f = await startHubFixture({ nodeLimit: 1000, ...options });
  cleanups.push(() => f.close());
  return f;
}

async function startNode(f: HubFixture, name: string) {
  const identity = await bootstrapIdentity({
    certServerUrl: f.certServer.url,
    token: f.token,
    nodeName: name,
  });
  const wheel = new TimerWheel({ tickMs: 10 });
  const sink = new CountingSink();
  const node = new HollowNode({
    name,
    index: 0,
    targets: [{ host: '127.0.0.1', port: f.hubs[0]!.port }],
    tls: { secureContext: createClientContext(identity), servername: 'localhost' },
    template: new NodeTemplate(resolveNodeProfile(fast)),
    scheduler: wheel,
    sink,
  });
  cleanups.push(() => wheel.stop());
  cleanups.push(() => node.stop());
  node.start();
  await waitFor('ready', () => sink.gauge('ready') === 1);
  return { node, sink, wheel };
}

describe('faults on one hollow node', () => {
  it('lost acks: the cloud resends, the node sees duplicates, and delivery completes once the link heals', async () => {
    const f = await fixture();
    const { node, sink } = await startNode(f, 'lossy-0');
    node.applyFault('loss', parseFault({ kind: 'degrade', loss: 1, direction: 'up' }));
    f.store.create('pods', {
      metadata: { name: 'p', namespace: 'default' },
      spec: { nodeName: 'lossy-0', containers: [{ name: 'c', image: 'x' }] },
    });
    await waitFor('a resend seen as duplicate', () => sink.counter('duplicatePushes') >= 1);
    expect(sink.counter('faultAcksLost')).toBeGreaterThanOrEqual(2);
    expect(sink.counter('faultDroppedUp')).toBeGreaterThanOrEqual(sink.counter('faultAcksLost'));
    const acksBefore = f.hubs[0]!.stats.acks;
    node.clearFault('loss');
    expect(node.activeLinkFault).toBeUndefined();
    await waitFor('ack arrived after healing', () => f.hubs[0]!.stats.acks > acksBefore);
    await waitFor(
      'pod reported Running',
      () =>
        (f.store.tryGet('pods', 'default', 'p')?.status as { phase?: string } | undefined)
          ?.phase === 'Running',
    );
    expect(sink.counter('disconnects')).toBe(0);
  });

  it('a half-open link that ends in a close: the node drops it, comes back, and the recovery is measured', async () => {
    const f = await fixture({ keepaliveIntervalMs: 60_000 });
    const { node, sink } = await startNode(f, 'half-0');
    node.applyFault('h', parseFault({ kind: 'halfOpen', duration: '400ms', then: 'close' }));
    await waitFor('messages swallowed', () => sink.counter('faultDroppedUp') >= 1);
    expect(f.hubs[0]!.connectedNodes()).toEqual(['half-0']);
    await waitFor(
      'back after the close',
      () => sink.counter('disconnects') === 1 && sink.gauge('ready') === 1,
    );
    expect(sink.observations.get('faultRecoveryMs')).toHaveLength(1);
    expect(sink.counter('halfOpenClosedByCloud')).toBe(0);
  });

  it('a disconnect keeps the node away for a delay drawn from the distribution', async () => {
    const f = await fixture();
    const { node, sink } = await startNode(f, 'away-0');
    node.applyFault('d', parseFault({ kind: 'disconnect', reconnectDelay: 'uniform:400ms-600ms' }));
    await waitFor('back', () => sink.observations.get('reconnectToReadyMs')?.length === 1);
    const away = sink.observations.get('reconnectToReadyMs')![0]!;
    // The 10 ms wheel may fire a tick early; registration adds a little on top.
    expect(away).toBeGreaterThanOrEqual(390);
    expect(away).toBeLessThan(3_000);
    expect(sink.counter('faultDisconnects')).toBe(1);
    expect(sink.counter('reconnects')).toBe(1);
  });

  it('a node stopped under a fault cancels it and releases its gauges', async () => {
    const f = await fixture();
    const { node, sink, wheel } = await startNode(f, 'stop-0');
    node.applyFault('slow', parseFault({ kind: 'degrade', latency: '200ms', duration: '10s' }));
    node.applyFault('flap', parseFault({ kind: 'flap', flaps: 5, period: '1s' }));
    await node.stop();
    expect(sink.gauge('connected')).toBe(0);
    expect(sink.gauge('ready')).toBe(0);
    expect(node.activeLinkFault).toBeUndefined();
    // Only delayed frames already in flight may remain; no fault timer keeps the node alive.
    await waitFor('wheel drained', () => wheel.pending === 0, 3_000);
  });
});
