import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../src/fleet/fleet.js';
import { startFleetServer } from '../../src/fleet/metrics-server.js';
import { remoteFaultControl } from '../../src/fleet/remote-faults.js';
import { startHubFixture, type HubFixture } from '../helpers/embedded.js';
import { waitFor } from '../helpers/wait.js';

let f: HubFixture;
let fleet: Fleet;
beforeAll(async () => {
  f = await startHubFixture({ nodeLimit: 1000 });
  fleet = new Fleet({
    nodes: 10,
    workers: 1,
    prefix: 'http',
    targets: [{ host: '127.0.0.1', port: f.hubs[0]!.port }],
    certServerUrl: f.certServer.url,
    token: f.token,
    certDir: await mkdtemp(path.join(tmpdir(), 'hf-http-')),
    tlsServerName: 'localhost',
    connectRate: 0,
    statsIntervalMs: 50,
    profile: { intervals: { reconnectBaseMs: 50, reconnectCapMs: 200 } },
  });
  await fleet.start();
  await fleet.waitReady(1, 30_000);
});
afterAll(async () => {
  await fleet.stop();
  await f.close();
});

describe('fault injection over the fleet endpoint', () => {
  it('is off unless the server allows it', async () => {
    const server = await startFleetServer(fleet, { shard: 0, prefix: 'http' }, 0);
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/faults`, {
        method: 'POST',
        body: JSON.stringify({ fault: { kind: 'disconnect' } }),
      });
      expect(res.status).toBe(403);
      await fleet.flush();
      expect(fleet.counter('faultsApplied')).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('POST /faults injects into the selected nodes, DELETE clears, bad input is a 400 naming the field', async () => {
    const server = await startFleetServer(fleet, { shard: 0, prefix: 'http' }, 0, '127.0.0.1', {
      faults: true,
    });
    const url = `http://127.0.0.1:${server.port}/faults`;
    try {
      const created = await fetch(url, {
        method: 'POST',
        body: JSON.stringify({
          fault: { kind: 'degrade', latency: '100ms' },
          select: { count: 3, seed: 5 },
        }),
      });
      expect(created.status).toBe(201);
      const injection = (await created.json()) as { id: string; nodes: string[] };
      expect(injection.nodes).toHaveLength(3);
      const cleared = await fetch(`${url}/${encodeURIComponent(injection.id)}`, {
        method: 'DELETE',
      });
      expect(await cleared.json()).toEqual({ id: injection.id, nodes: 3 });

      const storm = await fetch(url, {
        method: 'POST',
        body: JSON.stringify({
          fault: { kind: 'disconnect', reconnectDelay: '100ms' },
          select: { fraction: '20%', seed: 1 },
        }),
      });
      expect(((await storm.json()) as { nodes: string[] }).nodes).toHaveLength(2);
      await waitFor('stormed nodes back', async () => {
        await fleet.flush();
        return fleet.counter('disconnects') === 2 && fleet.gauge('ready') === 10;
      });

      const bad = await fetch(url, {
        method: 'POST',
        body: JSON.stringify({ fault: { kind: 'degrade', loss: 3 } }),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
        /fault\.loss/,
      );
      expect((await fetch(url, { method: 'POST', body: 'nope' })).status).toBe(400);
      expect((await fetch(url, { method: 'GET' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('a driver controls faults in several shards through their endpoints', async () => {
    const second = new Fleet({
      ...fleet.options,
      shard: { index: 1, count: 2 },
      certDir: await mkdtemp(path.join(tmpdir(), 'hf-http-2-')),
    });
    await second.start();
    const servers = [
      await startFleetServer(fleet, { shard: 0, prefix: 'http' }, 0, '127.0.0.1', { faults: true }),
      await startFleetServer(second, { shard: 1, prefix: 'http' }, 0, '127.0.0.1', {
        faults: true,
      }),
    ];
    try {
      await second.waitReady(1, 30_000);
      const control = remoteFaultControl(servers.map((s) => `http://127.0.0.1:${s.port}`));
      const injection = await control.inject({
        fault: {
          kind: 'degrade',
          latencyMs: 50,
          jitterMs: 0,
          loss: 0,
          direction: 'both',
          durationMs: 0,
        },
        select: { fraction: 0.5, seed: 3 },
      });
      expect(injection.nodes).toHaveLength(10);
      expect(injection.nodes.filter((n) => n.startsWith('http-1-'))).toHaveLength(5);
      expect(await control.clear(injection.id)).toBe(10);
      expect(await control.clear(injection.id)).toBe(0);
      const off = remoteFaultControl([
        `http://127.0.0.1:${servers[0]!.port}`,
        'http://127.0.0.1:1',
      ]);
      await expect(
        off.inject({ fault: { kind: 'expireCredentials' }, select: { count: 0 } }),
      ).rejects.toMatchObject({ code: 'HF_REMOTE_FAULT' });
    } finally {
      for (const s of servers) await s.close();
      await second.stop();
    }
  });
});
