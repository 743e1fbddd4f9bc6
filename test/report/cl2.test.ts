import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cl2FileName, cl2Files } from '../../src/report/cl2-files.js';
import { goJsonIndent } from '../../src/report/go-format.js';
import { cl2Reporter } from '../../src/report/run-report.js';
import { fixture, golden } from './helpers.js';

/** Objects whose keys are in the "wrong" order: the encoder, not the producer, must fix it. */
function scrambled(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrambled);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, scrambled(v)]),
    );
  return value;
}

describe('CL2 result files', () => {
  it.each([['perfdata-api.json'], ['perfdata-pod-startup.json']])(
    'PerfData %s matches the cl2.md §4.1 example byte for byte',
    (name) => {
      const expected = golden(name);
      expect(goJsonIndent(scrambled(JSON.parse(expected)))).toBe(expected);
    },
  );

  it('SchedulingThroughput keeps its struct order (perc50, perc90, perc99, max), not sorted keys', () => {
    const expected = golden('scheduling-throughput.json');
    expect(goJsonIndent({ max: 21, perc99: 21, perc90: 20, perc50: 19.4 })).toBe(expected);
  });

  it('ResourceUsageSummary sorts its percentile keys as strings and keeps {Name, CPU, Mem}', () => {
    const expected = golden('resource-usage.json');
    expect(goJsonIndent(scrambled(JSON.parse(expected)))).toBe(expected);
  });

  it('names files <SummaryName>_<config name>_<RFC3339 gather time>.json', () => {
    const summary = fixture('pass');
    expect([...cl2Files(summary).keys()]).toEqual([
      'APIResponsivenessPrometheus_simple_density_2026-11-25T07:40:14Z.json',
      'PodStartupLatency_PodStartupLatency_density_2026-11-25T07:40:14Z.json',
      'SchedulingThroughput_density_2026-11-25T07:40:14Z.json',
    ]);
  });

  it('without gatheredAt, takes the end of the last step that ran the measurement', () => {
    const summary = fixture('pass');
    const pods = summary.measurements.find((m) => m.method === 'PodStartupLatency')!;
    delete pods.gatheredAt;
    // step 05 started at 07:40:12.345 and PodStartupLatency ended 20 ms later
    expect(cl2FileName(summary, pods)).toBe(
      'PodStartupLatency_PodStartupLatency_density_2026-11-25T07:40:12Z.json',
    );
  });

  it('never overwrites: a second body with the same name gets a suffix', () => {
    const summary = fixture('pass');
    const api = summary.measurements[0]!;
    summary.measurements.push({ ...api });
    const names = [...cl2Files(summary).keys()];
    expect(names).toContain(
      'APIResponsivenessPrometheus_simple_density_2026-11-25T07:40:14Z_2.json',
    );
  });

  it('writes the files of a run: API items sorted by Perc99 descending, PodStartup version 1.0', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hf-cl2-'));
    const summary = fixture('breach');
    const written = await cl2Reporter().write(summary, dir);
    expect((await readdir(dir)).sort()).toEqual([...written].sort());
    const api = await readFile(
      path.join(
        dir,
        written.find((f) => f.startsWith('APIResponsiveness'))!,
      ),
      'utf8',
    );
    const parsed = JSON.parse(api) as {
      version: string;
      dataItems: Array<{ data: { Perc99: number }; labels: Record<string, string> }>;
    };
    expect(parsed.version).toBe('v1');
    const p99 = parsed.dataItems.map((d) => d.data.Perc99);
    expect(p99).toEqual([...p99].sort((a, b) => b - a));
    expect(Object.keys(parsed.dataItems[0]!.labels)).toEqual([
      'Count',
      'Resource',
      'Scope',
      'SlowCount',
      'Subresource',
      'Verb',
    ]);
    expect(api.endsWith('}\n')).toBe(true);
    expect(api).toMatch(/^\{\n {2}"version": "v1",\n {2}"dataItems": \[\n/);
    const pods = await readFile(
      path.join(
        dir,
        written.find((f) => f.startsWith('PodStartupLatency'))!,
      ),
      'utf8',
    );
    expect(JSON.parse(pods)).toMatchObject({ version: '1.0' });
    expect(pods).toContain('"labels": {\n        "Metric": "pod_startup"\n      }');
  });

  it('a run without CL2 bodies writes no CL2 file', () => {
    expect(cl2Files(fixture('incomplete')).size).toBe(0);
  });
});
