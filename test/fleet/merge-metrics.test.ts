import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHistogram,
  encodeHistogram,
  recordMs,
  summarize,
} from '../../src/common/histogram.js';
import type { FleetSnapshot } from '../../src/fleet/fleet.js';
import { mergeSnapshots } from '../../src/fleet/merge.js';
import { startFleetServer } from '../../src/fleet/metrics-server.js';
import { ProcessFleet } from '../../src/fleet/process-fleet.js';
import { startHubFixture, type HubFixture } from '../helpers/embedded.js';

function snapshot(version: string, values: number[], ready: number): FleetSnapshot {
  const h = createHistogram();
  for (const v of values) recordMs(h, v);
  return {
    schema: 1,
    tool: 'hollowfleet',
    toolVersion: version,
    shard: { index: 0, count: 2 },
    prefix: 'p',
    nodes: ready,
    takenAt: '',
    gauges: { ready },
    counters: { acksSent: ready * 2 },
    messages: {},
    errorsByCode: {},
    histograms: { registrationToReadyMs: encodeHistogram(h) },
    workers: [],
  };
}

describe('merging fleet snapshots', () => {
  it('sums counters and merges histograms exactly instead of averaging percentiles', () => {
    const fast = Array.from({ length: 99 }, () => 10);
    const merged = mergeSnapshots([
      { source: 'shard 0', snapshot: snapshot('1.0.0', fast, 99) },
      { source: 'shard 1', snapshot: snapshot('1.0.0', [5000], 1) },
    ]);
    expect(merged.gauges.ready).toBe(100);
    expect(merged.counters.acksSent).toBe(200);
    const s = summarize(merged.histograms.registrationToReadyMs!);
    expect(s.count).toBe(100);
    expect(s.p99Ms).toBeCloseTo(10, 0); // the averaged p99s would claim ~2505 ms
    expect(s.maxMs).toBeCloseTo(5000, -1);
  });

  it('refuses snapshots of different tool versions, naming them', () => {
    expect(() =>
      mergeSnapshots([
        { source: 'shard 0', snapshot: snapshot('1.0.0', [1], 1) },
        { source: 'shard 1', snapshot: snapshot('1.1.0', [1], 1) },
      ]),
    ).toThrow(/shard 1 was made by hollowfleet 1\.1\.0 but shard 0 by 1\.0\.0/);
    const bad = {
      ...snapshot('1.0.0', [1], 1),
      histograms: { connectMs: { schema: 9, unit: 'us' as const, data: '' } },
    };
    expect(() => mergeSnapshots([{ source: 'shard 2', snapshot: bad }])).toThrow(
      /shard 2: histogram schema 9/,
    );
  });
});

let f: HubFixture;
beforeAll(async () => {
  f = await startHubFixture({ nodeLimit: 10_000 });
});
afterAll(async () => f.close());

describe('several fleet processes', () => {
  it('splits the nodes between processes with one naming scheme and serves merged metrics', async () => {
    const fleet = new ProcessFleet(
      {
        nodes: 30,
        workers: 1,
        prefix: 'multi',
        targets: [{ host: '127.0.0.1', port: f.hubs[0]!.port }],
        certServerUrl: f.certServer.url,
        token: f.token,
        tlsServerName: 'localhost',
        certDir: await mkdtemp(path.join(tmpdir(), 'hf-multi-')),
        connectRate: 0,
      },
      2,
      'test',
    );
    await fleet.start();
    const server = await startFleetServer(fleet, { shard: 0, prefix: 'multi' }, 0);
    try {
      await fleet.waitReady(1, 60_000);
      expect(f.store.tryGet('nodes', undefined, 'multi-0-00000')).toBeDefined();
      expect(f.store.tryGet('nodes', undefined, 'multi-0-00029')).toBeDefined();
      expect(fleet.childPids()).toHaveLength(2);
      const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      expect(metrics).toMatch(/hollowfleet_nodes_ready\{shard="0",prefix="multi"\} 30/);
      expect(metrics).toMatch(/hollowfleet_worker_event_loop_delay_p99_ms/);
      const snap = (await (
        await fetch(`http://127.0.0.1:${server.port}/snapshot`)
      ).json()) as FleetSnapshot;
      expect(snap.gauges.ready).toBe(30);
      expect(snap.histograms.registrationToReadyMs?.schema).toBe(1);
      expect((await fetch(`http://127.0.0.1:${server.port}/readyz`)).status).toBe(200);
    } finally {
      await server.close();
      await fleet.stop();
    }
  });
});

describe('worker protocol', () => {
  it('refuses a start message of another protocol version', async () => {
    const { default: runWorker } = await import('../../src/fleet/worker.js');
    const { MessageChannel } = await import('node:worker_threads');
    const channel = new MessageChannel();
    await expect(runWorker({ version: 99, port: channel.port2 } as never)).rejects.toThrow(
      /protocol 99 does not match/,
    );
    channel.port1.close();
  });
});
