import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario, type RunOptions } from '../../src/api/run.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.js';
import { runCli } from '../helpers/cli.js';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/interrupt.yaml', import.meta.url));
const STEPS = [
  'Starting measurements',
  'Creating pods',
  'Waiting for pods to be running',
  'Deleting pods',
];

let cluster: EmbeddedCluster;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hf-robust-'));
  cluster = await startEmbeddedCluster({ dir: path.join(dir, 'cluster'), hubs: 1 });
}, 30_000);

afterAll(async () => {
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

function options(name: string, signal: AbortSignal): RunOptions {
  const [host, port] = cluster.info.cloudcore.split(':') as [string, string];
  return {
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
    reportsDir: path.join(dir, 'reports', name),
    stateDir: path.join(dir, 'state', name),
    tolerance: 0.1,
    minDeltaMs: 50,
    strict: false,
    env: {},
    seed: 1,
    toolVersion: 'test',
    signal,
  };
}

async function scenarioNamespaces(): Promise<string[]> {
  const { stdout } = await run('kubectl', [
    '--kubeconfig',
    cluster.info.kubeconfig,
    'get',
    'ns',
    '-o',
    'name',
  ]);
  return stdout.split('\n').filter((line) => line.startsWith('namespace/robust'));
}

function expectReportFiles(runDir: string): void {
  for (const file of ['summary.json', 'junit.xml', 'report.html', 'summary.md'])
    expect(existsSync(path.join(runDir, file)), file).toBe(true);
}

describe('hollowfleet run interrupted', () => {
  // Every step of the fixture: the abort lands while that step runs.
  it.each(STEPS.map((step, k) => [k, step] as const))(
    'SIGINT at step %i (%s) leaves no namespaces and writes an incomplete report',
    async (_k, step) => {
      const abort = new AbortController();
      const outcome = await runScenario({
        ...options(`step-${_k}`, abort.signal),
        onProgress: (p) => {
          if (p.step?.endsWith(step) && !abort.signal.aborted) abort.abort();
        },
      });
      expect(outcome.summary.run.failureReason ?? '', 'the run reached the step').toMatch(
        /interrupt/i,
      );
      expect(abort.signal.aborted).toBe(true);
      expect(outcome.exitCode).toBe(130);
      expect(outcome.summary.verdict).toBe('incomplete');
      expect(outcome.summary.run.complete).toBe(false);
      expect(outcome.summary.run.failureReason).toMatch(/interrupt/i);
      expectReportFiles(outcome.runDir);
      expect(await scenarioNamespaces()).toEqual([]);
    },
    40_000,
  );
});

describe('hollowfleet run (CLI) interrupted', () => {
  it('exits 130 on SIGINT during a step, prints INCOMPLETE and deletes the namespaces', async () => {
    const tokenFile = path.join(dir, 'token');
    await writeFile(tokenFile, cluster.token, { mode: 0o600 });
    let signalled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const result = await runCli(
      [
        'run',
        fixture,
        '--kubeconfig',
        cluster.info.kubeconfig,
        '--cloudcore',
        cluster.info.cloudcore,
        '--cert-server',
        cluster.info.certServer,
        '--token-file',
        tokenFile,
        '--tls-server-name',
        'localhost',
        '--nodes',
        '5',
        '--reports',
        path.join(dir, 'cli-reports'),
        '--dir',
        path.join(dir, 'cli-state'),
      ],
      (stderr, child) => {
        // Bounded: a run that never reaches the step is killed and the assertions show its stderr.
        killTimer ??= setTimeout(() => child.kill('SIGKILL'), 25_000);
        if (!signalled && stderr.includes('Creating pods')) {
          signalled = true;
          child.kill('SIGINT');
        }
      },
    );
    clearTimeout(killTimer);
    expect(signalled, result.stderr).toBe(true);
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/INCOMPLETE/);
    // Nothing the run opened (watches, requests in flight) outlived it.
    expect(result.stderr).not.toMatch(/still open/);
    expect(await scenarioNamespaces()).toEqual([]);
  }, 40_000);
});
