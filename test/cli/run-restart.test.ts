/**
 * kube-apiserver restarts in the middle of a run: requests are refused for a moment and every
 * watch is cut. The harness retries, its watches resume, the run completes and says what it went
 * through.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/api/run.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.js';

const tiny = fileURLToPath(new URL('./fixtures/tiny.yaml', import.meta.url));

let cluster: EmbeddedCluster;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hf-restart-'));
  cluster = await startEmbeddedCluster({ dir: path.join(dir, 'cluster'), hubs: 1 });
});
afterAll(async () => {
  await cluster?.close();
});

describe('a control plane that restarts mid-run', () => {
  it('recovers: the run completes, measures every pod and counts what it retried', async () => {
    let restart: Promise<void> | undefined;
    const [host, port] = cluster.info.cloudcore.split(':') as [string, string];
    const outcome = await runScenario({
      scenario: tiny,
      nodes: 3,
      testOverrides: [],
      kubeconfig: cluster.info.kubeconfig,
      cloudcore: [{ host, port: Number(port) }],
      certServer: cluster.info.certServer,
      token: cluster.token,
      tlsServerName: 'localhost',
      fleet: 'local',
      workers: 1,
      readyFraction: 1,
      readyTimeoutMs: 60_000,
      reportsDir: path.join(dir, 'reports'),
      stateDir: path.join(dir, 'state'),
      tolerance: 0.1,
      minDeltaMs: 5,
      strict: false,
      env: {},
      seed: 5,
      toolVersion: 'test',
      signal: new AbortController().signal,
      onProgress: (p) => {
        // While the Deployment is created and its pods start: 1.5 s without an API server.
        if (!restart && p.step === '[step: 02] Create') restart = cluster.restartApiServer(1_500);
      },
    });
    await restart;
    expect(restart).toBeDefined();
    expect(outcome.summary.run.failureReason).toBeUndefined();
    expect(outcome.exitCode).toBe(0);
    const startup = outcome.summary.measurements.find(
      (m) => m.summaryName === 'PodStartupLatency_PodStartupLatency',
    );
    expect(startup?.verdicts.find((v) => v.metric === 'pod_startup Perc99')?.samples).toBe(4);
    // The outage left traces: requests retried or watches recovered, recorded in the summary.
    const harness = outcome.summary.harness!;
    expect(harness.apiRetries + harness.watchRecoveries).toBeGreaterThan(0);
  });
});
