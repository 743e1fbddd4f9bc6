import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/api/run.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.js';

const fixture = fileURLToPath(new URL('./fixtures/interrupt.yaml', import.meta.url));

let cluster: EmbeddedCluster;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hf-restart-'));
  cluster = await startEmbeddedCluster({ dir: path.join(dir, 'cluster'), hubs: 1 });
}, 30_000);

afterAll(async () => {
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('hollowfleet run across an API server restart', () => {
  it('completes when the API server restarts during the wait step', async () => {
    const [host, port] = cluster.info.cloudcore.split(':') as [string, string];
    let restart: Promise<void> | undefined;
    const logs: string[] = [];
    const outcome = await runScenario({
      scenario: fixture,
      nodes: 5,
      testOverrides: [],
      kubeconfig: cluster.info.kubeconfig,
      cloudcore: [{ host, port: Number(port) }],
      certServer: cluster.info.certServer,
      token: cluster.token,
      tlsServerName: 'localhost',
      fleet: 'local',
      readyFraction: 1,
      readyTimeoutMs: 20_000,
      reportsDir: path.join(dir, 'reports'),
      stateDir: path.join(dir, 'state'),
      tolerance: 0.1,
      minDeltaMs: 50,
      strict: false,
      env: {},
      seed: 1,
      toolVersion: 'test',
      signal: new AbortController().signal,
      onLog: (line) => logs.push(line),
      onProgress: (p) => {
        if (p.step?.endsWith('Waiting for pods to be running'))
          restart ??= cluster.restartApiServer(300);
      },
    });
    expect(restart).toBeDefined();
    await restart;
    expect(outcome.summary.run.failureReason).toBeUndefined();
    expect(outcome.exitCode).toBe(0);
    expect(outcome.summary.verdict).toBe('pass');
    // The restart is visible: requests that met the closed port were retried.
    expect(logs.join('\n')).toMatch(/re-sent [1-9]\d* API requests after transient errors/);
    expect(existsSync(path.join(outcome.runDir, 'summary.json'))).toBe(true);
  }, 40_000);
});
