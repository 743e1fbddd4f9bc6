import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.js';
import { Fleet, type FleetOptions } from '../../src/fleet/fleet.js';
import { faultMeasurementMethods } from '../../src/measure/faults.js';
import type { MeasurementResult } from '../../src/measure/types.js';
import { startHubFixture, type HubFixture } from '../helpers/embedded.js';
import { waitFor } from '../helpers/wait.js';
import { faultContext } from './context.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const fastProfile = {
  intervals: {
    keepaliveMs: 200,
    leaseMs: 500,
    requestTimeoutMs: 2_000,
    reconnectBaseMs: 100,
    reconnectCapMs: 400,
  },
};

async function startFleet(
  prefix: string,
  nodes: number,
  target: { targets: FleetOptions['targets']; certServerUrl: string; token: string },
): Promise<Fleet> {
  const fleet = new Fleet({
    nodes,
    workers: 2,
    prefix,
    ...target,
    certDir: await mkdtemp(path.join(tmpdir(), 'hf-faults-')),
    tlsServerName: 'localhost',
    connectRate: 0,
    statsIntervalMs: 50,
    profile: fastProfile,
  });
  cleanups.push(() => fleet.stop());
  await fleet.start();
  await fleet.waitReady(1, 30_000);
  return fleet;
}

async function hubFixture(
  options: Parameters<typeof startHubFixture>[0] = {},
): Promise<HubFixture> {
  const f = await startHubFixture({ nodeLimit: 10_000, ...options });
  cleanups.push(() => f.close());
  return f;
}

function onHub(f: HubFixture, index = 0) {
  return {
    targets: [{ host: '127.0.0.1', port: f.hubs[index]!.port }],
    certServerUrl: f.certServer.url,
    token: f.token,
  };
}

function faultData(result: MeasurementResult) {
  if (result.data.kind !== 'fault') throw new Error(`expected fault data, got ${result.data.kind}`);
  return result.data;
}

const methods = faultMeasurementMethods();

describe('fault measurements on the embedded control plane', () => {
  it('exports the five methods', () => {
    expect([...methods.keys()].sort()).toEqual([
      'CloudCoreFailover',
      'EdgeDisconnectStorm',
      'EdgeHalfOpen',
      'EdgeLinkDegradation',
      'EdgeNodeFlap',
    ]);
  });

  it('reports skipped, with the reason, when the run has no fleet control', async () => {
    const ctx = await faultContext(undefined);
    for (const [name, method] of methods) {
      const m = method.create(ctx, 'x');
      const [result] = await m.execute({ action: 'run', fraction: 0.5, duration: '1s' });
      expect(result!.status, name).toBe('skipped');
      expect(result!.reason, name).toMatch(/no fleet/);
      await m.dispose();
    }
  });

  it('EdgeDisconnectStorm: half the nodes drop, exactly those come back, all counted', async () => {
    const f = await hubFixture();
    const fleet = await startFleet('storm', 20, onHub(f));
    const ctx = await faultContext(fleet);
    const m = methods.get('EdgeDisconnectStorm')!.create(ctx, 'storm');
    const [result] = await m.execute({
      action: 'run',
      fraction: '50%',
      seed: 11,
      reconnectDelay: '1s',
      sampleInterval: '100ms',
      baselineWindow: '300ms',
      recoveryTimeout: '20s',
    });
    await m.dispose();
    const data = faultData(result!);
    expect(result!.status).toBe('pass');
    expect(data.affected).toBe(10);
    expect(data.recovery.reconnectToReadyMs!.count).toBe(10);
    expect(data.recovery.faultRecoveryMs!.count).toBe(10);
    // Away for 1 s on a 100 ms wheel: never back before 900 ms.
    expect(data.recovery.reconnectToReadyMs!.p50).toBeGreaterThanOrEqual(900);
    expect(data.counters.faultDisconnects).toBe(10);
    expect(data.counters.disconnects).toBe(10);
    expect(Math.min(...data.timeline.map((p) => p.ready))).toBeLessThanOrEqual(10);
    const before = data.timeline.filter((p) => p.tMs < 0);
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.every((p) => p.ready === 20 && p.connected === 20)).toBe(true);
    expect(data.injections[0]!.atMs).toBeGreaterThanOrEqual(300);
    expect(data.timeline.at(-1)!.ready).toBe(20);
    expect(data.recoveredAfterMs).toBeGreaterThanOrEqual(900);
    expect(result!.verdicts.every((v) => v.pass)).toBe(true);
  });

  it('fails, saying why, when the nodes are not back within the recovery timeout', async () => {
    const f = await hubFixture();
    const fleet = await startFleet('late', 6, onHub(f));
    const ctx = await faultContext(fleet);
    const m = methods.get('EdgeDisconnectStorm')!.create(ctx, 'late');
    const [result] = await m.execute({
      action: 'run',
      count: 3,
      reconnectDelay: '20s',
      sampleInterval: '100ms',
      recoveryTimeout: '1s',
    });
    await m.dispose();
    const data = faultData(result!);
    expect(result!.status).toBe('fail');
    expect(result!.reason).toMatch(/did not return to its baseline levels within 1000 ms/);
    expect(data.recoveredAfterMs).toBeNull();
    const failed = result!.verdicts.filter((v) => !v.pass).map((v) => v.metric);
    expect(failed).toEqual([
      'Ready nodes after recovery',
      'recovery time',
      'reconnects back to Ready',
    ]);
    expect(data.timeline.at(-1)!.ready).toBe(3);
  });

  it('EdgeLinkDegradation: round trips grow by at least the latency both ways, then heal', async () => {
    const f = await hubFixture();
    const fleet = await startFleet('slow', 6, onHub(f));
    const ctx = await faultContext(fleet);
    const m = methods.get('EdgeLinkDegradation')!.create(ctx, 'slow');
    await m.execute({ action: 'start', fraction: 1, latency: '300ms', sampleInterval: '100ms' });
    // Lease renewals every 500 ms: wait for a few round trips through the slow link.
    await waitFor(
      'delayed round trips',
      async () => {
        const s = await ctx.fleet!.snapshot();
        return (s.counters.faultDelayedDown ?? 0) >= 18;
      },
      15_000,
    );
    await m.execute({ action: 'stop' });
    const [result] = await m.execute({ action: 'gather', recoveryTimeout: '10s' });
    await m.dispose();
    const data = faultData(result!);
    expect(result!.status).toBe('pass');
    expect(data.affected).toBe(6);
    expect(data.counters.faultDelayedUp).toBeGreaterThan(0);
    expect(data.counters.faultDelayedDown).toBeGreaterThanOrEqual(18);
    expect(data.counters.disconnects).toBe(0);
    // Up and down each add 300 ms; the 100 ms wheel may fire a timer up to one tick early.
    expect(data.recovery.faultDelayMs!.p50).toBeGreaterThanOrEqual(300);
    expect(data.recovery.requestMs!.p50).toBeGreaterThanOrEqual(2 * 300 - 2 * 100);
  });

  it('EdgeHalfOpen: the hub drops silent sessions on its keepalive timeout; nodes notice on resume', async () => {
    const f = await hubFixture({ keepaliveIntervalMs: 600 });
    const fleet = await startFleet('half', 10, onHub(f));
    const ctx = await faultContext(fleet);
    const m = methods.get('EdgeHalfOpen')!.create(ctx, 'half');
    const started = m.execute({
      action: 'run',
      count: 4,
      seed: 5,
      duration: '2s',
      then: 'resume',
      sampleInterval: '100ms',
      recoveryTimeout: '20s',
    });
    // While the link is half-open the hub times the sessions out; the nodes still think they are on.
    await waitFor(
      'hub dropped the silent sessions',
      () => f.hubs[0]!.connectedNodes().length === 6,
      5_000,
    );
    const [result] = await started;
    await m.dispose();
    const data = faultData(result!);
    expect(result!.status).toBe('pass');
    expect(data.affected).toBe(4);
    expect(data.counters.halfOpenClosedByCloud).toBe(4);
    expect(data.counters.faultDroppedUp).toBeGreaterThan(0);
    expect(data.counters.disconnects).toBe(4);
    expect(data.recovery.faultRecoveryMs!.count).toBe(4);
    expect(f.hubs[0]!.connectedNodes()).toHaveLength(10);
  });

  it('EdgeNodeFlap: every flap of every selected node is a disconnect and a return to Ready', async () => {
    const f = await hubFixture();
    const fleet = await startFleet('flap', 8, onHub(f));
    const ctx = await faultContext(fleet);
    const m = methods.get('EdgeNodeFlap')!.create(ctx, 'flap');
    const [result] = await m.execute({
      action: 'run',
      selector: { namePattern: 'flap-0-0000?', count: 3, seed: 2 },
      flaps: 3,
      period: '800ms',
      downDelay: '100ms',
      sampleInterval: '100ms',
      recoveryTimeout: '20s',
    });
    await m.dispose();
    const data = faultData(result!);
    expect(result!.status).toBe('pass');
    expect(data.affected).toBe(3);
    expect(data.counters.faultDisconnects).toBe(9);
    expect(data.recovery.reconnectToReadyMs!.count).toBe(9);
  });

  it('CloudCoreFailover: every node of the stopped hub re-homes to the remaining one', async () => {
    const cluster: EmbeddedCluster = await startEmbeddedCluster({
      dir: await mkdtemp(path.join(tmpdir(), 'hf-failover-')),
      hubs: 2,
    });
    cleanups.push(() => cluster.close());
    const [host, port] = cluster.info.cloudcore.split(':');
    const fleet = await startFleet('fo', 12, {
      targets: [{ host: host!, port: Number(port) }],
      certServerUrl: cluster.info.certServer,
      token: cluster.token,
    });
    const onFirst = cluster.hubs[0]!.connectedNodes().length;
    expect(onFirst).toBeGreaterThan(0);
    const ctx = await faultContext(fleet, { cloudcore: cluster.cloudcoreControl() });
    const m = methods.get('CloudCoreFailover')!.create(ctx, 'failover');
    const [result] = await m.execute({
      action: 'run',
      instance: 'cloudcore-0',
      sampleInterval: '100ms',
      recoveryTimeout: '30s',
    });
    await m.dispose();
    const data = faultData(result!);
    expect(result!.status).toBe('pass');
    expect(data.affected).toBe(1);
    expect(data.counters.disconnects).toBe(onFirst);
    expect(data.recovery.reconnectToReadyMs!.count).toBe(onFirst);
    expect(cluster.hubs[1]!.connectedNodes()).toHaveLength(12);
    expect(cluster.cloudcoreControl().instances()).toEqual(['cloudcore-1']);
  });
});
