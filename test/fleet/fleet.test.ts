import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHistogram, summarize } from '../../src/common/histogram.js';
import { Fleet } from '../../src/fleet/fleet.js';
import { startHubFixture, type HubFixture } from '../helpers/embedded.js';
import { waitFor } from '../helpers/wait.js';

let f: HubFixture;
beforeAll(async () => {
  f = await startHubFixture({ nodeLimit: 10_000 });
});
afterAll(async () => f.close());

describe('fleet of hollow nodes across worker threads', () => {
  it('runs a few hundred nodes on two workers, merges their histograms and stops cleanly', async () => {
    const fleet = new Fleet({
      nodes: 300,
      workers: 2,
      prefix: 'fleet',
      shard: { index: 3, count: 4 },
      targets: [{ host: '127.0.0.1', port: f.hubs[0]!.port }],
      certServerUrl: f.certServer.url,
      token: f.token,
      certDir: await mkdtemp(path.join(tmpdir(), 'hf-fleet-')),
      tlsServerName: 'localhost',
      connectRate: 0,
      statsIntervalMs: 100,
    });
    await fleet.start();
    try {
      await fleet.waitReady(1, 60_000);
      expect(f.store.tryGet('nodes', undefined, 'fleet-3-00000')).toBeDefined();
      expect(f.store.tryGet('nodes', undefined, 'fleet-3-00299')).toBeDefined();
      expect(f.hubs[0]!.stats.connected).toBe(300);
      for (let i = 0; i < 30; i++) {
        f.store.create('pods', {
          metadata: { name: `fp-${i}`, namespace: 'default' },
          spec: {
            nodeName: `fleet-3-${String(i * 10).padStart(5, '0')}`,
            containers: [{ name: 'c', image: 'x' }],
          },
        });
      }
      await waitFor('pods running', () => fleet.gauge('podsRunning') === 30, 30_000);
      await fleet.flush();
      const snapshot = fleet.snapshot();
      expect(snapshot.gauges.ready).toBe(300);
      const registration = summarize(decodeHistogram(snapshot.histograms.registrationToReadyMs!));
      expect(registration.count).toBe(300);
      expect(registration.p99Ms).toBeGreaterThan(0);
      expect(fleet.histogram('podStatusRoundTripMs').count).toBe(30);
      expect(fleet.messages()['out:keepalive']).toBeGreaterThanOrEqual(300);
      expect(fleet.workerStats()).toHaveLength(2);
    } finally {
      await fleet.stop();
    }
    await waitFor('hub sees every socket closed', () => f.hubs[0]!.stats.connected === 0);
  });

  it('fails the readiness gate with a diagnosis instead of hanging', async () => {
    const fleet = new Fleet({
      nodes: 4,
      workers: 1,
      prefix: 'lost',
      targets: [{ host: '127.0.0.1', port: 1 }],
      certServerUrl: f.certServer.url,
      token: f.token,
      certDir: await mkdtemp(path.join(tmpdir(), 'hf-fleet-')),
      profile: { intervals: { reconnectBaseMs: 50, reconnectCapMs: 100 } },
      statsIntervalMs: 50,
    });
    await fleet.start();
    try {
      const err = await fleet.waitReady(0.999, 1_500).catch((e: Error & { code: string }) => e);
      expect((err as { code: string }).code).toBe('HF_FLEET_NOT_READY');
      expect((err as Error).message).toMatch(/0 of 4 nodes Ready/);
      expect((err as Error).message).toMatch(/HF_ENDPOINT_UNREACHABLE/);
      expect((err as Error).message).toMatch(/127\.0\.0\.1:1/);
    } finally {
      await fleet.stop();
    }
  });

  it('validates its options with messages that name the flag', () => {
    const base = { targets: [{ host: 'h', port: 1 }], certServerUrl: 'https://h', token: 't' };
    expect(() => new Fleet({ ...base, nodes: 0 })).toThrow(/--nodes must be a positive integer/);
    expect(() => new Fleet({ ...base, nodes: 1, prefix: 'Bad_Prefix' })).toThrow(
      /--prefix "Bad_Prefix"/,
    );
    expect(() => new Fleet({ ...base, nodes: 1, targets: [] })).toThrow(/--cloudcore/);
    expect(
      () => new Fleet({ ...base, nodes: 1, profile: { intervals: { keepaliveMs: 45_000 } } }),
    ).toThrow(/keepaliveMs/);
  });
});
