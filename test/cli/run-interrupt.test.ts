/**
 * Ctrl-C during a run against a cluster that outlives it: the steps stop, the namespaces the run
 * created are deleted (checked with kubectl, an independent client), and the report is written and
 * marked incomplete.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.js';
import type { RunSummary } from '../../src/report/model.js';
import { runCli } from '../helpers/cli.js';

const exec = promisify(execFile);
const smoke = fileURLToPath(new URL('../../scenarios/smoke.yaml', import.meta.url));

let cluster: EmbeddedCluster;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hf-interrupt-'));
  cluster = await startEmbeddedCluster({ dir: path.join(dir, 'cluster'), hubs: 1 });
});
afterAll(async () => {
  await cluster?.close();
});

async function namespaces(): Promise<string[]> {
  const { stdout } = await exec('kubectl', [
    '--kubeconfig',
    cluster.info.kubeconfig,
    'get',
    'namespaces',
    '-o',
    'jsonpath={.items[*].metadata.name}',
  ]);
  return stdout.split(/\s+/).filter(Boolean);
}

describe('Ctrl-C during hollowfleet run', () => {
  it('stops, deletes the namespaces it created, writes an incomplete report and exits 130', async () => {
    const reports = path.join(dir, 'reports');
    let signalled = false;
    const result = await runCli(
      [
        'run',
        smoke,
        '--kubeconfig',
        cluster.info.kubeconfig,
        '--cloudcore',
        cluster.info.cloudcore,
        '--cert-server',
        cluster.info.certServer,
        '--token-file',
        cluster.info.tokenFile,
        '--tls-server-name',
        'localhost',
        '--nodes',
        '5',
        '--workers',
        '1',
        '--reports',
        reports,
        '--dir',
        path.join(dir, 'state'),
      ],
      (stderr, child) => {
        // Interrupt once the saturation pods are being waited for: namespaces exist by then.
        if (!signalled && /\[step: 0[4-9]\]/.test(stderr)) {
          signalled = true;
          child.kill('SIGINT');
        }
      },
    );
    expect(signalled, result.stderr).toBe(true);
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/interrupted: stopping the scenario/);
    expect(result.stderr).toMatch(/^INCOMPLETE: /m);

    const summary = JSON.parse(
      await readFile(path.join(reports, 'latest', 'summary.json'), 'utf8'),
    ) as RunSummary;
    expect(summary.verdict).toBe('incomplete');
    expect(summary.run.complete).toBe(false);
    expect(summary.run.exitCode).toBe(130);
    expect(summary.run.failureReason).toMatch(/interrupted/);
    expect(summary.steps.length).toBeGreaterThanOrEqual(3);
    for (const file of ['junit.xml', 'report.html', 'summary.md'])
      expect((await readFile(path.join(reports, 'latest', file), 'utf8')).length).toBeGreaterThan(
        0,
      );
    expect(await readFile(path.join(reports, 'latest', 'summary.md'), 'utf8')).toMatch(
      /incomplete/i,
    );

    // The cluster outlived the run: nothing of the scenario is left in it.
    expect((await namespaces()).filter((n) => n.startsWith('smoke-'))).toEqual([]);
  });
});
