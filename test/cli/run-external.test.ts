/**
 * The driver side of scale-out: two shards run as separate `hollowfleet fleet` processes against
 * the embedded control plane; `run --fleet external` gates on them by URL, drives a scenario on
 * their nodes and merges their histograms into the edge SLIs.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/api/run.js';
import { decodeHistogram } from '../../src/common/histogram.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.js';
import { startShard as startShardProcess, type Shard } from '../helpers/shards.js';

const scenario = fileURLToPath(new URL('./fixtures/external-fleet.yaml', import.meta.url));
const NODES_PER_SHARD = 6;

let cluster: EmbeddedCluster;
let dir: string;
const shards: Shard[] = [];

function startShard(index: number, count: number): Promise<Shard> {
  return startShardProcess(cluster, {
    index,
    count,
    nodes: NODES_PER_SHARD,
    prefix: 'far',
    certDir: path.join(dir, `certs-${index}`),
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hf-ext-'));
  cluster = await startEmbeddedCluster({ dir: path.join(dir, 'cluster'), hubs: 2 });
  shards.push(...(await Promise.all([startShard(0, 2), startShard(1, 2)])));
});

afterAll(async () => {
  await Promise.all(
    shards.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  await cluster?.close();
});

describe('hollowfleet run --fleet external', () => {
  it('waits for the shards, runs on their nodes and merges their edge histograms', async () => {
    const outcome = await runScenario({
      scenario,
      nodes: 2 * NODES_PER_SHARD,
      testOverrides: [],
      kubeconfig: cluster.info.kubeconfig,
      fleet: 'external',
      fleetUrls: shards.map((s) => s.url),
      readyFraction: 1,
      readyTimeoutMs: 60_000,
      reportsDir: path.join(dir, 'reports'),
      stateDir: path.join(dir, 'state'),
      tolerance: 0.1,
      minDeltaMs: 5,
      strict: false,
      env: {},
      seed: 3,
      toolVersion: 'test',
      signal: new AbortController().signal,
    });
    expect(outcome.summary.run.failureReason).toBeUndefined();
    expect(outcome.exitCode).toBe(0);
    expect(outcome.summary.run.fleet).toMatchObject({ mode: 'external', nodes: 12 });
    // The run's own record of the fleet is the shards' merged snapshot.
    expect(outcome.summary.fleet?.counters.registrations).toBe(12);
    const edge = outcome.summary.measurements.find((m) => m.method === 'EdgeSLIs');
    expect(edge?.status).toBe('pass');
    if (edge?.data.kind !== 'histograms') throw new Error('EdgeSLIs has no histograms');
    // 20 pods went to nodes of both shards: each pod's status round trip was measured by the
    // shard that ran it, and the driver's merge holds all of them.
    expect(decodeHistogram(edge.data.histograms.podStatusRoundTripMs!).totalCount).toBe(20);
    const startup = outcome.summary.measurements.find(
      (m) => m.summaryName === 'PodStartupLatency_PodStartupLatency',
    );
    expect(startup?.verdicts.find((v) => v.metric === 'pod_startup Perc99')?.samples).toBe(20);
  });

  it('fails the readiness gate with exit 2, naming the shard that does not answer', async () => {
    const outcome = await runScenario({
      scenario,
      nodes: 3 * NODES_PER_SHARD,
      testOverrides: [],
      kubeconfig: cluster.info.kubeconfig,
      fleet: 'external',
      fleetUrls: [...shards.map((s) => s.url), 'http://127.0.0.1:9'],
      readyFraction: 1,
      readyTimeoutMs: 3_000,
      reportsDir: path.join(dir, 'reports'),
      stateDir: path.join(dir, 'state'),
      tolerance: 0.1,
      minDeltaMs: 5,
      strict: false,
      env: {},
      toolVersion: 'test',
      signal: new AbortController().signal,
    });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.summary.verdict).toBe('incomplete');
    expect(outcome.summary.run.failureReason).toMatch(/127\.0\.0\.1:9/);
  });
});
