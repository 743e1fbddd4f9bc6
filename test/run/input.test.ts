import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario, type RunOptions } from '../../src/api/run.js';
import { ConfigError } from '../../src/common/errors.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.js';

const run = promisify(execFile);
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

let cluster: EmbeddedCluster;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hf-input-'));
  cluster = await startEmbeddedCluster({ dir: path.join(dir, 'cluster'), hubs: 1 });
}, 30_000);

afterAll(async () => {
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

function options(scenario: string, kubeconfig: string, name: string): RunOptions {
  const [host, port] = cluster.info.cloudcore.split(':') as [string, string];
  return {
    scenario,
    nodes: 2,
    testOverrides: [],
    kubeconfig,
    cloudcore: [{ host, port: Number(port) }],
    certServer: cluster.info.certServer,
    token: cluster.token,
    tlsServerName: 'localhost',
    fleet: 'local',
    readyFraction: 1,
    readyTimeoutMs: 10_000,
    reportsDir: path.join(dir, 'reports', name),
    stateDir: path.join(dir, 'state', name),
    tolerance: 0.1,
    minDeltaMs: 50,
    strict: false,
    env: {},
    seed: 1,
    toolVersion: 'test',
    signal: new AbortController().signal,
  };
}

async function namespaceNames(): Promise<string[]> {
  const { stdout } = await run('kubectl', [
    '--kubeconfig',
    cluster.info.kubeconfig,
    'get',
    'ns',
    '-o',
    'name',
  ]);
  return stdout.split('\n').filter(Boolean).sort();
}

describe('hollowfleet run with bad input', () => {
  it('rejects an invalid scenario with a path-precise ConfigError before touching the cluster', async () => {
    const before = await namespaceNames();
    const scenario = path.join(fixtures, 'invalid.yaml');
    const error = await runScenario(options(scenario, cluster.info.kubeconfig, 'invalid')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('invalid.yaml');
    expect(message).toMatch(/steps\[0\]|steps\.0|phases/);
    expect(message).toContain('Missing');
    expect(existsSync(path.join(dir, 'reports', 'invalid'))).toBe(false);
    expect(await namespaceNames()).toEqual(before);
  });

  it('names an unreachable API server, exits 5 and still writes an incomplete report', async () => {
    // A kubeconfig whose server is a closed loopback port.
    const original = await readFile(cluster.info.kubeconfig, 'utf8');
    const unreachable = original.replace(/server: https:\/\/[^\s]+/, 'server: https://127.0.0.1:9');
    expect(unreachable).not.toEqual(original);
    const kubeconfig = path.join(dir, 'unreachable.kubeconfig');
    await writeFile(kubeconfig, unreachable, { mode: 0o600 });
    const outcome = await runScenario(
      options(path.join(fixtures, 'interrupt.yaml'), kubeconfig, 'unreachable'),
    );
    expect(outcome.exitCode).toBe(5);
    expect(outcome.summary.verdict).toBe('incomplete');
    expect(outcome.summary.run.failureReason).toContain('127.0.0.1:9');
    expect(outcome.summary.run.failureReason).toContain(kubeconfig);
    expect(outcome.summary.run.failureReason).toMatch(/check that the cluster is up/);
    for (const file of ['summary.json', 'junit.xml', 'report.html', 'summary.md'])
      expect(existsSync(path.join(outcome.runDir, file)), file).toBe(true);
  }, 15_000);
});
