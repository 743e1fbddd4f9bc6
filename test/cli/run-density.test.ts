import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/report/model.js';
import { runCli } from '../helpers/cli.js';

async function workdir(): Promise<{ reports: string; state: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hf-density-'));
  return { reports: path.join(dir, 'reports'), state: path.join(dir, 'state') };
}

describe('hollowfleet run scenarios/edge-density.yaml', () => {
  it('runs the edge density scenario (modules, CL2 parameters) on a handful of nodes', async () => {
    const { reports, state } = await workdir();
    const result = await runCli([
      'run',
      path.resolve('scenarios/edge-density.yaml'),
      '--nodes',
      '6',
      '--workers',
      '1',
      '--reports',
      reports,
      '--dir',
      state,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as RunSummary;
    // Below 100 nodes upstream density would divide by zero or skip; here: 1 namespace,
    // 10 saturation pods per node, min(500, 5 × 6) = 30 latency pods from the module.
    expect(summary.run.scenario.name).toBe('density');
    expect(summary.steps.map((s) => s.name)).toContain('[step: 07] Creating latency pods');
    const latency = summary.measurements.find(
      (m) => m.summaryName === 'PodStartupLatency_PodStartupLatency',
    );
    expect(latency?.verdicts.find((v) => v.metric === 'pod_startup Perc99')?.samples).toBe(30);
    const saturation = summary.measurements.find(
      (m) => m.summaryName === 'PodStartupLatency_SaturationPodStartupLatency',
    );
    expect(saturation?.verdicts.find((v) => v.metric === 'pod_startup Perc99')?.samples).toBe(60);
  });
});
