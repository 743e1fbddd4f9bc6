import { describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram, recordMs } from '../../src/common/histogram.js';
import { compareRuns, formatComparisonTable } from '../../src/report/compare.js';
import type { RunSummary } from '../../src/report/model.js';
import { fixture } from './helpers.js';

const POD_P99 = 'PodStartupLatency_PodStartupLatency pod_startup Perc99';

function podStartup(summary: RunSummary) {
  const m = summary.measurements.find((x) => x.data.kind === 'podStartup')!;
  if (m.data.kind !== 'podStartup') throw new Error('fixture changed');
  return { result: m, transitions: m.data.transitions };
}

function scheduling(summary: RunSummary) {
  const m = summary.measurements.find((x) => x.data.kind === 'schedulingThroughput')!;
  if (m.data.kind !== 'schedulingThroughput') throw new Error('fixture changed');
  return m.data;
}

function row(result: ReturnType<typeof compareRuns>, metric: string) {
  const r = result.rows.find((x) => x.metric === metric);
  if (!r) throw new Error(`no row ${metric} in ${result.rows.map((x) => x.metric).join(', ')}`);
  return r;
}

describe('compareRuns', () => {
  it('a run against itself: every row the same, no regression', () => {
    const result = compareRuns(fixture('pass'), fixture('pass'), {
      baselinePath: 'base/summary.json',
    });
    expect(result.regressed).toBe(false);
    expect(result.rows.length).toBeGreaterThan(30);
    expect(new Set(result.rows.map((r) => r.verdict))).toEqual(new Set(['same']));
    expect(result.baseline).toEqual({
      path: 'base/summary.json',
      runId: '20261125T073012Z-density-7f3a',
    });
    expect(result).toMatchObject({ tolerance: 0.1, minDeltaMs: 5 });
  });

  it('covers pod-startup Perc50/90/99 per transition, API Perc99 per call, scheduling max and edge p99s', () => {
    const metrics = compareRuns(fixture('pass'), fixture('pass')).rows.map((r) => r.metric);
    expect(metrics).toEqual(
      expect.arrayContaining([
        'PodStartupLatency_PodStartupLatency pod_startup Perc50',
        'PodStartupLatency_PodStartupLatency pod_startup Perc90',
        POD_P99,
        'PodStartupLatency_PodStartupLatency create_to_schedule Perc99',
        'APIResponsivenessPrometheus_simple POST pods resource Perc99',
        'APIResponsivenessPrometheus_simple PATCH nodes/status resource Perc99',
        'SchedulingThroughput max',
        'edge registrationToReadyMs p99',
        'edge podStatusRoundTripMs p99',
      ]),
    );
  });

  it('regresses when a latency grows beyond both the tolerance and the floor', () => {
    const current = fixture('pass');
    podStartup(current).transitions.pod_startup!.Perc99 *= 1.5;
    const result = compareRuns(fixture('pass'), current);
    expect(result.regressed).toBe(true);
    const r = row(result, POD_P99);
    expect(r).toMatchObject({ verdict: 'regressed', unit: 'ms', higherIsBetter: false });
    expect(r.change).toBeCloseTo(0.5, 10);
  });

  it('improves when a latency drops beyond both limits, and that is not a regression', () => {
    const current = fixture('pass');
    podStartup(current).transitions.pod_startup!.Perc99 /= 2;
    const result = compareRuns(fixture('pass'), current);
    expect(row(result, POD_P99).verdict).toBe('improved');
    expect(result.regressed).toBe(false);
  });

  it('higher is better for scheduling throughput: a drop regresses, a rise improves', () => {
    const lower = fixture('pass');
    scheduling(lower).max = 12;
    expect(row(compareRuns(fixture('pass'), lower), 'SchedulingThroughput max')).toMatchObject({
      verdict: 'regressed',
      higherIsBetter: true,
    });
    const higher = fixture('pass');
    scheduling(higher).max = 40;
    expect(row(compareRuns(fixture('pass'), higher), 'SchedulingThroughput max').verdict).toBe(
      'improved',
    );
  });

  it('within noise: +60 % of a 2 ms figure is under the 5 ms floor; +4 % of 1 s is under the tolerance', () => {
    const base = fixture('pass');
    const current = fixture('pass');
    podStartup(base).transitions.create_to_schedule!.Perc50 = 2;
    podStartup(current).transitions.create_to_schedule!.Perc50 = 3.2;
    const p99 = podStartup(base).transitions.pod_startup!.Perc99;
    podStartup(current).transitions.pod_startup!.Perc99 = p99 * 1.04;
    const result = compareRuns(base, current);
    expect(
      row(result, 'PodStartupLatency_PodStartupLatency create_to_schedule Perc50'),
    ).toMatchObject({ verdict: 'same' });
    expect(
      row(result, 'PodStartupLatency_PodStartupLatency create_to_schedule Perc50').change,
    ).toBeCloseTo(0.6, 10);
    expect(row(result, POD_P99).verdict).toBe('same');
    expect(result.regressed).toBe(false);
    // The same changes with no floor and a 1 % tolerance are regressions.
    expect(compareRuns(base, current, { tolerance: 0.01, minDeltaMs: 0 }).regressed).toBe(true);
  });

  it('a metric that grows from 0 regresses once it passes the floor', () => {
    const base = fixture('pass');
    const current = fixture('pass');
    podStartup(base).transitions.create_to_schedule!.Perc99 = 0;
    podStartup(current).transitions.create_to_schedule!.Perc99 = 12;
    const r = row(
      compareRuns(base, current),
      'PodStartupLatency_PodStartupLatency create_to_schedule Perc99',
    );
    expect(r).toMatchObject({ verdict: 'regressed', change: null });
  });

  it('reports metrics that appear or disappear as new / missing, not as regressions', () => {
    const current = fixture('pass');
    current.measurements = current.measurements.filter(
      (m) => m.data.kind !== 'schedulingThroughput',
    );
    const h = createHistogram();
    recordMs(h, 42);
    current.fleet!.histograms.reconnectToReadyMs = encodeHistogram(h);
    const result = compareRuns(fixture('pass'), current);
    expect(row(result, 'SchedulingThroughput max').verdict).toBe('missing');
    const added = row(result, 'edge reconnectToReadyMs p99');
    expect(added.verdict).toBe('new');
    expect(added.current).toBeCloseTo(42, 1); // HDR histograms keep 3 significant digits
    expect(result.regressed).toBe(false);
  });

  it('refuses to compare pod startup measured by different methods (watch-based vs legacy)', () => {
    const current = fixture('pass');
    podStartup(current).result.source =
      'legacy: creationTimestamp, scheduler events, containerStatuses startedAt';
    expect(() => compareRuns(fixture('pass'), current)).toThrow(
      /cannot compare figures produced by different methods \(PodStartupLatency_PodStartupLatency: baseline measured by PodStartupLatency via watch receive time \(HEAD\), current by PodStartupLatency via legacy/,
    );
  });

  it('refuses to compare API latency from the SLI histogram with the duration histogram', () => {
    const current = fixture('pass');
    const api = current.measurements.find((m) => m.data.kind === 'apiLatency')!;
    if (api.data.kind === 'apiLatency') api.data.metricName = 'apiserver_request_duration_seconds';
    let error: unknown;
    try {
      compareRuns(fixture('pass'), current);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'HF_CONFIG' });
    expect(String(error)).toMatch(
      /metric apiserver_request_sli_duration_seconds, current by .*metric apiserver_request_duration_seconds/,
    );
  });

  it('refuses to compare summaries of different schema versions', () => {
    const old = fixture('pass') as unknown as { schema: number };
    old.schema = 1;
    expect(() => compareRuns(old as unknown as RunSummary, fixture('pass'))).toThrow(
      /cannot compare runs with different summary schemas: baseline 20261125T073012Z-density-7f3a has schema 1, current 20261125T073012Z-density-7f3a has schema 2/,
    );
  });

  it('rejects a negative tolerance or floor', () => {
    expect(() => compareRuns(fixture('pass'), fixture('pass'), { tolerance: -0.1 })).toThrow(
      /tolerance -0.1/,
    );
    expect(() => compareRuns(fixture('pass'), fixture('pass'), { minDeltaMs: -1 })).toThrow(
      /minimum delta -1 ms/,
    );
  });
});

describe('formatComparisonTable', () => {
  it('lists regressions first and ends with the verdict line; no colour unless asked', () => {
    const current = fixture('pass');
    podStartup(current).transitions.pod_startup!.Perc99 *= 2;
    const result = compareRuns(fixture('pass'), current);
    const text = formatComparisonTable(result);
    const lines = text.split('\n');
    expect(lines[1]).toMatch(
      /^ ✗ PodStartupLatency_PodStartupLatency pod_startup Perc99 +1,055 ms +2,111 ms +\+100\.0% +regressed$/,
    );
    expect(lines.at(-1)).toBe(
      `REGRESSED: 1 of ${result.rows.length} metrics worse than baseline 20261125T073012Z-density-7f3a beyond tolerance 10% and 5 ms`,
    );
    expect(text).not.toContain('\u001b[');
    expect(formatComparisonTable(result, { color: true })).toContain('\u001b[31m');
  });

  it('lists only what moved unless asked for all', () => {
    const current = fixture('pass');
    podStartup(current).transitions.pod_startup!.Perc99 *= 2;
    const result = compareRuns(fixture('pass'), current);
    const same = result.rows.filter((r) => r.verdict === 'same').length;
    expect(formatComparisonTable(result).split('\n')).toHaveLength(1 + 1 + 1 + 1 + 1);
    expect(formatComparisonTable(result)).toContain(
      `(${same} metrics within noise not listed; --all lists them)`,
    );
    expect(formatComparisonTable(result, { all: true }).split('\n')).toHaveLength(
      1 + result.rows.length + 2,
    );
  });

  it('says NO REGRESSION when there is none', () => {
    const text = formatComparisonTable(compareRuns(fixture('pass'), fixture('pass')));
    expect(text.split('\n').at(-1)).toMatch(
      /^NO REGRESSION against baseline 20261125T073012Z-density-7f3a \(0 improved, \d+ within tolerance 10% and 5 ms\)$/,
    );
  });
});
