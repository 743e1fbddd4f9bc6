/** The fleet-wide readiness gate on an injected clock: how often it polls, when it gives up. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram, recordMs } from '../../src/common/histogram.js';
import { externalFleetSource } from '../../src/deploy/fleet-source.js';
import { ExternalFleet } from '../../src/fleet/external.js';
import type { FleetSnapshot } from '../../src/fleet/fleet.js';
import type { KubeApi, KubeRequest } from '../../src/kube/api.js';

function snapshot(
  index: number,
  ready: number,
  errors: Record<string, number> = {},
): FleetSnapshot {
  const h = createHistogram();
  for (let i = 0; i < ready; i++) recordMs(h, 100 + i);
  return {
    schema: 1,
    tool: 'hollowfleet',
    toolVersion: '0.1.0',
    shard: { index, count: 2 },
    prefix: 'hollow',
    nodes: 10,
    takenAt: new Date(0).toISOString(),
    gauges: { connected: 10, ready },
    counters: { registrations: ready },
    messages: {},
    errorsByCode: errors,
    histograms: { registrationToReadyMs: encodeHistogram(h) },
    workers: [],
  };
}

/** Shard servers whose Ready count the test sets between polls. */
const readyByShard = [0, 0];
const servers: http.Server[] = [];
const urls: string[] = [];

beforeAll(async () => {
  for (const index of [0, 1]) {
    const server = http.createServer((_req, res) =>
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(
          JSON.stringify(
            snapshot(
              index,
              readyByShard[index]!,
              index === 1 ? { HF_REGISTRATION_REJECTED: 7 } : {},
            ),
          ),
        ),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    servers.push(server);
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
});
afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
});

function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleeps,
    sleep: (ms: number) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

describe('ExternalFleet.waitReady', () => {
  it('polls until the fraction is met and returns the merged observation', async () => {
    const clock = fakeClock();
    readyByShard[0] = 10;
    readyByShard[1] = 3;
    const fleet = new ExternalFleet({
      discovery: { kind: 'urls', urls },
      now: clock.now,
      sleep: clock.sleep,
    });
    let polls = 0;
    const observation = await fleet.waitReady({
      expectedNodes: 20,
      fraction: 0.95,
      timeoutMs: 60_000,
      pollMs: 1000,
      onProgress: () => {
        polls++;
        // The second shard catches up after the third poll.
        if (polls === 3) readyByShard[1] = 9;
      },
    });
    expect(polls).toBe(4);
    expect(clock.sleeps).toEqual([1000, 1000, 1000]);
    expect(observation.merged!.gauges.ready).toBe(19);
    expect(observation.merged!.histograms.registrationToReadyMs!.totalCount).toBe(19);
  });

  it('gives up at the deadline with the Ready counts per shard and the top errors', async () => {
    const clock = fakeClock();
    readyByShard[0] = 10;
    readyByShard[1] = 2;
    const fleet = new ExternalFleet({
      discovery: { kind: 'urls', urls },
      now: clock.now,
      sleep: clock.sleep,
    });
    const err = await fleet
      .waitReady({ expectedNodes: 20, fraction: 1, timeoutMs: 2500, pollMs: 1000 })
      .then(
        () => undefined,
        (e: unknown) => e as Error & { code: string },
      );
    // Polls at 0, 1000, 2000 and a last one at the 2500 ms deadline.
    expect(clock.sleeps).toEqual([1000, 1000, 500]);
    expect(err?.code).toBe('HF_FLEET_NOT_READY');
    expect(err!.message).toMatch(
      /^12 of 20 hollow nodes Ready across the fleet after 3 s, 20 required \(8 missing\)/,
    );
    expect(err!.message).toContain(
      `shard 1 (${urls[1]}): 2/10 Ready, 10 connected; HF_REGISTRATION_REJECTED ×7`,
    );
    expect(err!.message).toContain('top errors: HF_REGISTRATION_REJECTED ×7');
    expect(err!.message).not.toMatch(/missing shards/);
  });

  it('serves the merged snapshot as a FleetSource, and says so when no shard answers', async () => {
    readyByShard[0] = 4;
    readyByShard[1] = 5;
    const view = await externalFleetSource(
      new ExternalFleet({ discovery: { kind: 'urls', urls } }),
    ).snapshot();
    expect(view).toMatchObject({
      nodes: 20,
      gauges: { ready: 9, connected: 20 },
      errorsByCode: { HF_REGISTRATION_REJECTED: 7 },
    });
    expect(Object.keys(view.histograms)).toEqual(['registrationToReadyMs']);
    await expect(
      externalFleetSource(
        new ExternalFleet({ discovery: { kind: 'urls', urls: ['http://127.0.0.1:1'] } }),
      ).snapshot(),
    ).rejects.toMatchObject({
      code: 'HF_FLEET_UNREACHABLE',
      message: expect.stringContaining('http://127.0.0.1:1: unreachable'),
    });
  });
});

describe('ExternalFleet pod discovery', () => {
  it('skips finished pods whose index a live pod took over and reads the rest through the pod proxy', async () => {
    const pod = (name: string, index: number, phase: string) => ({
      metadata: {
        name,
        namespace: 'fleet',
        annotations: { 'batch.kubernetes.io/job-completion-index': String(index) },
      },
      spec: { nodeName: 'worker-1' },
      status: { phase, podIP: '10.0.0.1' },
    });
    const paths: string[] = [];
    const kube = {
      kubeConfig: undefined as never,
      server: 'https://external.example',
      request: (req: KubeRequest) => {
        paths.push(
          `${req.path}${req.query ? `?labelSelector=${String(req.query.labelSelector)}` : ''}`,
        );
        if (req.path.endsWith('/pods'))
          return Promise.resolve({
            items: [
              pod('fleet-1-old', 1, 'Failed'),
              pod('fleet-1-new', 1, 'Running'),
              pod('fleet-0-a', 0, 'Running'),
              pod('fleet-2-a', 2, 'Pending'),
            ],
          });
        const index = Number(/fleet-(\d)-/.exec(req.path)![1]);
        expect(req.retry).toBe(false);
        return Promise.resolve(snapshot(index, 10));
      },
      requestText: () => Promise.reject(new Error('not used')),
      serverVersion: () => Promise.reject(new Error('not used')),
    } as unknown as KubeApi;
    const fleet = new ExternalFleet({
      discovery: {
        kind: 'pods',
        kube,
        namespace: 'fleet',
        labelSelector: 'hollowfleet.io/fleet=fleet',
        port: 9464,
      },
      expectedShards: 4,
    });
    const observation = await fleet.observe();
    expect(observation.shards.map((s) => s.target.id)).toEqual([
      'fleet/fleet-0-a',
      'fleet/fleet-1-new',
      'fleet/fleet-2-a',
    ]);
    expect(observation.shards[2]!.problem).toBe('pod is Pending');
    expect(observation.missingShardIndexes).toEqual([3]);
    expect(observation.merged!.gauges.ready).toBe(20);
    expect(paths).toEqual([
      '/api/v1/namespaces/fleet/pods?labelSelector=hollowfleet.io/fleet=fleet',
      '/api/v1/namespaces/fleet/pods/fleet-0-a:9464/proxy/snapshot',
      '/api/v1/namespaces/fleet/pods/fleet-1-new:9464/proxy/snapshot',
    ]);
  });
});
