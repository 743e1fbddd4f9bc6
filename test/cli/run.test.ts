import { mkdtemp, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/report/model.js';
import { runCli } from '../helpers/cli.js';

const smoke = path.resolve('scenarios/smoke.yaml');

async function workdir(): Promise<{ reports: string; state: string; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hf-run-'));
  return { dir, reports: path.join(dir, 'reports'), state: path.join(dir, 'state') };
}

describe('hollowfleet run on the embedded control plane', () => {
  it('runs the smoke scenario end to end, passes, and writes every artifact', async () => {
    const { reports, state } = await workdir();
    const result = await runCli([
      'run',
      smoke,
      '--nodes',
      '10',
      '--workers',
      '1',
      '--seed',
      '7',
      '--reports',
      reports,
      '--dir',
      state,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as RunSummary;
    expect(summary).toMatchObject({
      schema: 2,
      verdict: 'pass',
      run: { complete: true, exitCode: 0, nodes: 10, target: { kind: 'embedded' } },
    });
    expect(summary.steps).toHaveLength(14);
    expect(summary.steps.every((s) => s.errors.length === 0)).toBe(true);
    const startup = summary.measurements.find(
      (m) => m.summaryName === 'PodStartupLatency_PodStartupLatency',
    );
    expect(startup?.status).toBe('pass');
    const p99 = startup?.verdicts.find((v) => v.metric === 'pod_startup Perc99');
    expect(p99).toMatchObject({ threshold: 5000, samples: 50, enforced: true, pass: true });
    expect(summary.fleet?.counters.registrations).toBe(10);
    expect(summary.timeline.at(-1)?.nodesReady).toBe(10);

    // The people's side: progress and the ✓ table on stderr, the report path last.
    expect(result.stderr).toMatch(/\[step: 03\] Creating saturation pods|nodes Ready 10\/10/);
    expect(result.stderr).toMatch(/^ ✓ {3}pod_startup Perc99 +[\d,.]+ ms +≤ 5,000 ms +50$/m);
    expect(result.stderr).toMatch(/^PASSED: every SLO met/m);

    const runDir = path.join(reports, await readlink(path.join(reports, 'latest')));
    const files = await readdir(runDir);
    for (const expected of ['summary.json', 'summary.md', 'report.html', 'junit.xml'])
      expect(files).toContain(expected);
    expect(files).toContain('generatedConfig_smoke.yaml');
    expect(files.some((f) => /^PodStartupLatency_PodStartupLatency_smoke_.*Z\.json$/.test(f))).toBe(
      true,
    );
    expect(files.some((f) => /^APIResponsivenessPrometheus_simple_smoke_.*\.json$/.test(f))).toBe(
      true,
    );
    const junit = await readFile(path.join(runDir, 'junit.xml'), 'utf8');
    expect(junit).toContain('<testsuite name="ClusterLoaderV2" tests="0" failures="0"');
    expect(junit).toContain(`smoke overall (${smoke})`);
  });

  it('fails with exit 3 and ✗ rows when an SLO is breached, and names it', async () => {
    const { reports, state, dir } = await workdir();
    const overrides = path.join(dir, 'strict-slo.yaml');
    // 1 ms is below anything a pod start can take: the latency-pod SLO must fail.
    await writeFile(overrides, 'POD_STARTUP_THRESHOLD: 1ms\nLATENCY_PODS: 10\nPODS_PER_NODE: 1\n');
    const result = await runCli([
      'run',
      smoke,
      '--nodes',
      '5',
      '--workers',
      '1',
      '--testoverrides',
      overrides,
      '--reports',
      reports,
      '--dir',
      state,
    ]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/^ ✗ {3}pod_startup Perc99 +[\d,.]+ ms +≤ 1 ms +10$/m);
    expect(result.stderr).toMatch(/^FAILED: SLO breached: .*pod_startup Perc99/m);
    const summary = JSON.parse(
      await readFile(path.join(reports, 'latest', 'summary.json'), 'utf8'),
    ) as RunSummary;
    expect(summary.verdict).toBe('fail');
    expect(summary.run.params).toMatchObject({ POD_STARTUP_THRESHOLD: '1ms' });
    const junit = await readFile(path.join(reports, 'latest', 'junit.xml'), 'utf8');
    expect(junit).toMatch(
      /<failure type="Failure">:0&#xA;\[measurement call PodStartupLatency - PodStartupLatency error:/,
    );
  });

  it('rejects a broken scenario before touching anything, naming the path', async () => {
    const { reports, state, dir } = await workdir();
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(
      broken,
      [
        'name: broken',
        'tuningSets:',
        '- name: Uniform5qps',
        '  qpsLoad: {qps: 5}',
        'steps:',
        '- name: create',
        '  phases:',
        '  - replicasPerNamespace: 1',
        '    tuningSet: Uniform10qps',
        '    objectBundle: []',
        '',
      ].join('\n'),
    );
    const result = await runCli(['run', broken, '--reports', reports, '--dir', state]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(
      'steps[0].phases[0].tuningSet: unknown tuning set "Uniform10qps" (declared: Uniform5qps)',
    );
    await expect(readdir(reports)).rejects.toThrow(/ENOENT/);
  });
});

describe('hollowfleet render', () => {
  it('prints the expanded plan without a cluster', async () => {
    const result = await runCli(['render', smoke, '--nodes', '250', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      namespaces: string[];
      steps: Array<{ step: string; phases?: Array<{ replicasPerNamespace: number }> }>;
    };
    // 250 nodes, 100 per namespace: 2 namespaces (the remainder gets none, as in CL2).
    expect(plan.namespaces).toEqual(['smoke-1', 'smoke-2']);
    const latency = plan.steps.find((s) => s.step === '[step: 07] Creating latency pods');
    expect(latency?.phases?.[0]?.replicasPerNamespace).toBe(25);
    expect(result.stderr).toMatch(/smoke: 14 steps, 2 namespaces/);
  });
});
