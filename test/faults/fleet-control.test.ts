import { mkdtemp } from 'node:fs/promises';
import type https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFault, parseSelector, selectNodes } from '../../src/edge/faults.js';
import { planFault } from '../../src/fleet/faults.js';
import { Fleet } from '../../src/fleet/fleet.js';
import { ProcessFleet } from '../../src/fleet/process-fleet.js';
import { FLEET_PROTOCOL_VERSION } from '../../src/fleet/protocol.js';
import type { Hub } from '../../src/embedded/hub/hub.js';
import { startHubFixture, type HubFixture } from '../helpers/embedded.js';
import { waitFor } from '../helpers/wait.js';

let f: HubFixture;
beforeAll(async () => {
  f = await startHubFixture({ nodeLimit: 10_000 });
});
afterAll(async () => f.close());

const fastProfile = {
  intervals: {
    keepaliveMs: 1_000,
    leaseMs: 1_000,
    requestTimeoutMs: 2_000,
    reconnectBaseMs: 100,
    reconnectCapMs: 500,
  },
};

async function fleetOptions(prefix: string, nodes: number) {
  return {
    nodes,
    workers: 2,
    prefix,
    targets: [{ host: '127.0.0.1', port: f.hubs[0]!.port }],
    certServerUrl: f.certServer.url,
    token: f.token,
    certDir: await mkdtemp(path.join(tmpdir(), 'hf-faults-')),
    tlsServerName: 'localhost',
    connectRate: 0,
    statsIntervalMs: 100,
    profile: fastProfile,
  };
}

/** Node names seen upgrading on a hub from now on. */
function watchUpgrades(hub: Hub): string[] {
  const seen: string[] = [];
  const server = (hub as unknown as { server: https.Server }).server;
  server.on('upgrade', (req: IncomingMessage) => seen.push(String(req.headers.node_id)));
  return seen;
}

describe('fault selection', () => {
  const layout = {
    naming: { prefix: 'sel', shard: { index: 1, count: 2 } },
    start: 0,
    end: 40,
    shardNodes: 40,
    profile: { labels: { zone: 'a' } },
  };

  it('is deterministic for a seed, differs across seeds, and honours count, fraction and filters', () => {
    const disconnect = parseFault({ kind: 'disconnect', reconnectDelay: 'uniform:1s-2s' });
    const a = planFault(layout, { fault: disconnect, select: { fraction: 0.5, seed: 7 } });
    const b = planFault(layout, { fault: disconnect, select: { fraction: 0.5, seed: 7 } });
    const c = planFault(layout, { fault: disconnect, select: { fraction: 0.5, seed: 8 } });
    expect(a.nodes).toHaveLength(20);
    expect(new Set(a.nodes).size).toBe(20);
    expect(b.nodes).toEqual(a.nodes);
    expect(c.nodes).not.toEqual(a.nodes);
    expect(planFault(layout, { fault: disconnect, select: { count: 3, seed: 7 } }).nodes).toEqual(
      a.nodes.slice(0, 3),
    );
    expect(
      planFault(layout, { fault: disconnect, select: { namePattern: 'sel-1-0000?' } }).nodes.sort(),
    ).toEqual(Array.from({ length: 10 }, (_, i) => `sel-1-0000${i}`));
    expect(planFault(layout, { fault: disconnect, select: { shard: 0 } }).nodes).toEqual([]);
    expect(planFault(layout, { fault: disconnect, select: { shard: 1 } }).nodes).toHaveLength(40);
    expect(
      planFault(layout, { fault: disconnect, select: { labels: { zone: 'b' } } }).nodes,
    ).toEqual([]);
    expect(
      planFault(layout, {
        fault: disconnect,
        select: { labels: { zone: 'a', 'kubernetes.io/hostname': 'sel-1-00007' } },
      }).nodes,
    ).toEqual(['sel-1-00007']);
  });

  it('spreads starts evenly over the window in the selection order', () => {
    const picked = selectNodes(
      Array.from({ length: 5 }, (_, i) => ({ name: `n${i}`, index: i, shard: 0, labels: {} })),
      { spreadMs: 1000 },
    );
    expect(picked.map((p) => p.offsetMs)).toEqual([0, 250, 500, 750, 1000]);
  });

  it('parses scenario-style params and names the field on bad input', () => {
    expect(parseSelector({ fraction: '50%', seed: 3, spread: '2s' })).toEqual({
      fraction: 0.5,
      seed: 3,
      spreadMs: 2000,
    });
    expect(parseFault({ kind: 'degrade', latency: '200ms', jitter: '50ms', loss: '10%' })).toEqual({
      kind: 'degrade',
      latencyMs: 200,
      jitterMs: 50,
      loss: 0.1,
      direction: 'both',
      durationMs: 0,
    });
    expect(() => parseFault({ kind: 'halfOpen' })).toThrow(/fault\.duration is required/);
    expect(() => parseFault({ kind: 'meteor' })).toThrow(/not a fault/);
    expect(() => parseSelector({ fraction: 2 })).toThrow(/selector\.fraction/);
    expect(() => parseFault({ kind: 'disconnect', reconnectDelay: 'uniform:x' })).toThrow(
      /fault\.reconnectDelay/,
    );
  });
});

describe('fault control through the fleet', () => {
  it('a 50% disconnect storm drops exactly the selected nodes, which all come back Ready', async () => {
    const fleet = new Fleet(await fleetOptions('storm', 20));
    await fleet.start();
    try {
      await fleet.waitReady(1, 30_000);
      await fleet.flush();
      const before = fleet.histogram('reconnectToReadyMs').count;
      const upgrades = watchUpgrades(f.hubs[0]!);
      const injection = await fleet.inject({
        fault: { kind: 'disconnect', reconnectDelay: { kind: 'constant', ms: 300 } },
        select: { fraction: 0.5, seed: 42 },
      });
      expect(injection.nodes).toHaveLength(10);
      await waitFor(
        'reconnected nodes Ready',
        async () => {
          await fleet.flush();
          return (
            fleet.histogram('reconnectToReadyMs').count - before >= 10 &&
            fleet.gauge('ready') === 20
          );
        },
        20_000,
      );
      expect(fleet.histogram('reconnectToReadyMs').count - before).toBe(10);
      expect(fleet.histogram('faultRecoveryMs').count).toBe(10);
      // The worker's timer wheel has 100 ms ticks: a delay can fire up to one tick early.
      expect(fleet.histogram('reconnectToReadyMs').minMs).toBeGreaterThanOrEqual(200);
      expect(fleet.counter('faultDisconnects')).toBe(10);
      expect(fleet.counter('disconnects')).toBe(10);
      expect([...new Set(upgrades)].sort()).toEqual([...injection.nodes].sort());
    } finally {
      await fleet.stop();
    }
  });

  it('round-trips apply and clear over the versioned worker protocol', async () => {
    expect(FLEET_PROTOCOL_VERSION).toBe(2);
    const fleet = new Fleet(await fleetOptions('proto', 6));
    await fleet.start();
    try {
      await fleet.waitReady(1, 30_000);
      const injection = await fleet.inject({
        fault: parseFault({ kind: 'degrade', latency: '50ms' }),
        select: { count: 4, seed: 1 },
      });
      expect(injection.nodes).toHaveLength(4);
      expect(await fleet.clear(injection.id)).toBe(4);
      expect(await fleet.clear(injection.id)).toBe(0);
      await fleet.flush();
      expect(fleet.counter('faultsApplied')).toBe(4);
    } finally {
      await fleet.stop();
    }
  });

  it('selects across fleet processes with one seed', async () => {
    const options = await fleetOptions('procs', 8);
    const fleet = new ProcessFleet({ ...options, workers: 1 }, 2, 'test');
    await fleet.start();
    try {
      await fleet.waitReady(1, 30_000);
      const injection = await fleet.inject({
        fault: { kind: 'disconnect', reconnectDelay: { kind: 'constant', ms: 100 } },
        select: { count: 5, seed: 9 },
      });
      const expected = planFault(
        {
          naming: { prefix: 'procs', shard: { index: 0, count: 1 } },
          start: 0,
          end: 8,
          shardNodes: 8,
          profile: fastProfile,
        },
        {
          fault: { kind: 'disconnect', reconnectDelay: { kind: 'constant', ms: 100 } },
          select: { count: 5, seed: 9 },
        },
      );
      expect(injection.nodes).toEqual(expected.nodes);
      await waitFor(
        'disconnects counted in both processes',
        async () => {
          await fleet.flush();
          return fleet.counter('faultDisconnects') === 5 && fleet.gauge('ready') === 8;
        },
        20_000,
      );
    } finally {
      await fleet.stop();
    }
  });
});
