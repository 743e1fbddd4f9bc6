import { describe, expect, it } from 'vitest';
import {
  apiserverLatencyMetric,
  computeApiResponsivenessSimple,
  WindowedApiResponsiveness,
} from '../../src/measure/api-responsiveness.js';
import { histogramQuantile, prometheusQuantile } from '../../src/measure/prometheus.js';
import { ConfigError } from '../../src/common/errors.js';

const SLI_LES = [
  0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
];
const DURATION_LES = [0.005, 0.025, ...SLI_LES];

interface Series {
  verb: string;
  resource: string;
  subresource?: string;
  scope: string;
  /** Cumulative counts at the given bounds; bounds in between repeat the previous count. */
  counts: Record<string, number>;
  group?: string;
}

/** A kube-apiserver-like exposition of one histogram family (le printed in Go's shortest form). */
function exposition(metric: string, series: Series[], les = SLI_LES): string {
  const lines = [`# HELP ${metric} x`, `# TYPE ${metric} histogram`];
  for (const s of series) {
    const labels = `component="apiserver",group="${s.group ?? ''}",resource="${s.resource}",scope="${s.scope}",subresource="${s.subresource ?? ''}",verb="${s.verb}",version="v1"`;
    let last = 0;
    for (const le of [...les.map(String), '+Inf']) {
      last = s.counts[le] ?? last;
      lines.push(`${metric}_bucket{${labels},le="${le}"} ${last}`);
    }
    lines.push(`${metric}_sum{${labels}} 1.5`);
    lines.push(`${metric}_count{${labels}} ${last}`);
  }
  return `${lines.join('\n')}\n`;
}

const SLI = 'apiserver_request_sli_duration_seconds';
const one = (text: string) => [{ instance: 'a', text }];

function items(r: ReturnType<typeof computeApiResponsivenessSimple>) {
  if (r.data.kind !== 'apiLatency') throw new Error(`no API data: ${r.status} ${r.reason}`);
  return r.data.items;
}

describe('histogram_quantile (Prometheus BucketQuantile)', () => {
  it('interpolates, starts the first bucket at 0, returns the highest finite bound for +Inf', () => {
    const b = [
      { le: 0.05, count: 4000 },
      { le: 0.1, count: 4900 },
      { le: 0.2, count: 4990 },
      { le: 0.4, count: 5000 },
      { le: Infinity, count: 5000 },
    ];
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.03125, 12);
    expect(histogramQuantile(0.9, b)).toBeCloseTo(0.05 + 0.05 * (500 / 900), 12);
    expect(histogramQuantile(0.99, b)).toBeCloseTo(0.1 + 0.1 * (50 / 90), 12);
    // Rank in +Inf: the largest finite bound (60 s for the apiserver histograms).
    expect(
      histogramQuantile(0.99, [
        { le: 60, count: 1 },
        { le: Infinity, count: 10 },
      ]),
    ).toBe(60);
    // First bucket with a bound ≤ 0 returns that bound.
    expect(
      histogramQuantile(0.5, [
        { le: -1, count: 5 },
        { le: Infinity, count: 5 },
      ]),
    ).toBe(-1);
    // No +Inf, fewer than two buckets, or no observations: NaN.
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 1 },
        { le: 2, count: 2 },
      ]),
    ).toBeNaN();
    expect(histogramQuantile(0.5, [{ le: Infinity, count: 3 }])).toBeNaN();
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: Infinity, count: 0 },
      ]),
    ).toBeNaN();
  });

  it('merges equal bounds and forces non-decreasing counts', () => {
    const b = [
      { le: 1, count: 2 },
      { le: 1, count: 2 }, // merged: le=1 → 4
      { le: 2, count: 3 }, // below 4: raised to 4
      { le: 3, count: 8 },
      { le: Infinity, count: 8 },
    ];
    expect(histogramQuantile(0.5, b)).toBe(1);
    // rank 6 in (2, 3]: 2 + (6 − 4)/(8 − 4) = 2.5 (2.6 without the monotonic fix).
    expect(histogramQuantile(0.75, b)).toBe(2.5);
  });

  it('quantile_over_time uses rank q·(n−1) with linear interpolation and NaN sorted first', () => {
    expect(prometheusQuantile(0.99, [1, 2, 3, 4, 5])).toBeCloseTo(4.96, 12);
    expect(prometheusQuantile(0.5, [10])).toBe(10);
    expect(prometheusQuantile(0.99, [])).toBeNaN();
    expect(prometheusQuantile(0, [NaN, 3, 1])).toBeNaN();
    expect(prometheusQuantile(1, [NaN, 3, 1])).toBe(3);
  });
});

describe('APIResponsivenessPrometheus simple, from recorded scrapes', () => {
  it('reproduces the worked example, drops WATCH and streaming subresources, sorts by Perc99', () => {
    const start = exposition(SLI, [
      { verb: 'POST', resource: 'pods', scope: 'resource', counts: { '0.05': 100 } },
      { verb: 'WATCH', resource: 'pods', scope: 'namespace', counts: { '60': 3 } },
    ]);
    const end = exposition(SLI, [
      {
        verb: 'POST',
        resource: 'pods',
        scope: 'resource',
        counts: { '0.05': 4100, '0.1': 5000, '0.2': 5090, '0.4': 5100 },
      },
      { verb: 'WATCH', resource: 'pods', scope: 'namespace', counts: { '60': 50 } },
      {
        verb: 'CONNECT',
        resource: 'pods',
        subresource: 'exec',
        scope: 'resource',
        counts: { '0.05': 2 },
      },
      { verb: 'LIST', resource: 'nodes', scope: 'cluster', counts: { '1': 0, '2': 10 } },
    ]);
    const r = computeApiResponsivenessSimple({ start: one(start), end: one(end) });
    expect(r.status).toBe('pass');
    expect(r.summaryName).toBe('APIResponsivenessPrometheus_simple');
    const rows = items(r);
    expect(
      rows.map((x) => `${x.verb} ${x.resource}${x.subresource ? '/' + x.subresource : ''}`),
    ).toEqual([
      'LIST nodes',
      'POST pods',
      // CL2 quirk: the fast-count query does not exclude exec, so the CONNECT row appears with Count 0.
      'CONNECT pods/exec',
    ]);
    const post = rows[1]!;
    expect(post.count).toBe(5000);
    expect(post.Perc50).toBe(31.25);
    expect(post.Perc90).toBe(77.777777);
    expect(post.Perc99).toBe(155.555555);
    expect(post.slowCount).toBe(0);
    expect(post.thresholdMs).toBe(1000);
    expect(rows[0]!.thresholdMs).toBe(30_000);
    expect(rows[0]!.Perc99).toBeCloseTo(1995, 6);
    // Cluster LIST fast bucket is le=30: all 10 are fast.
    expect(rows[0]!.slowCount).toBe(0);
    const connect = rows[2]!;
    expect(connect.count).toBe(0);
    expect(connect.slowCount).toBe(-2);
    const perf = r.cl2 as {
      version: string;
      dataItems: Array<{ labels: Record<string, string>; data: Record<string, number> }>;
    };
    expect(perf.version).toBe('v1');
    expect(perf.dataItems[1]).toEqual({
      data: { Perc50: 31.25, Perc90: 77.777777, Perc99: 155.555555 },
      unit: 'ms',
      labels: {
        Count: '5000',
        Resource: 'pods',
        Scope: 'resource',
        SlowCount: '0',
        Subresource: '',
        Verb: 'POST',
      },
    });
  });

  it('reports 25/45/49.5 ms for calls all under the first SLI bucket, and says so', () => {
    const end = exposition(SLI, [
      {
        verb: 'PATCH',
        resource: 'nodes',
        subresource: 'status',
        scope: 'resource',
        counts: { '0.05': 812 },
      },
    ]);
    const r = computeApiResponsivenessSimple({ start: one(''), end: one(end) });
    const row = items(r)[0]!;
    expect([row.Perc50, row.Perc90, row.Perc99]).toEqual([25, 45, 49.5]);
    expect(r.reason).toMatch(/25\/45\/49\.5/);
  });

  it('sums instances, counts a series new at gather from zero and a restarted one from zero', () => {
    const s = (n: number) =>
      exposition(SLI, [{ verb: 'GET', resource: 'pods', scope: 'resource', counts: { '0.1': n } }]);
    const r = computeApiResponsivenessSimple({
      start: [
        { instance: 'a', text: s(100) },
        { instance: 'b', text: s(1000) },
      ],
      end: [
        { instance: 'a', text: s(150) }, // +50
        { instance: 'b', text: s(30) }, // restarted: +30
        { instance: 'c', text: s(20) }, // new instance: +20
      ],
    });
    const row = items(r)[0]!;
    expect(row.count).toBe(100);
    // All 100 in the (0.05, 0.1] bucket: p50 = 0.05 + 0.05 × 0.5.
    expect(row.Perc50).toBe(75);
  });

  it('picks the histogram by server version as CL2 does (minor compared as a string)', () => {
    expect(apiserverLatencyMetric({ major: '1', minor: '32' })).toBe(SLI);
    expect(apiserverLatencyMetric({ major: '1', minor: '26+' })).toBe(SLI);
    expect(apiserverLatencyMetric({ major: '1', minor: '24' })).toBe(
      'apiserver_request_slo_duration_seconds',
    );
    expect(apiserverLatencyMetric({ major: '1', minor: '22' })).toBe(
      'apiserver_request_duration_seconds',
    );
    const end = exposition(
      'apiserver_request_duration_seconds',
      [{ verb: 'GET', resource: 'pods', scope: 'resource', counts: { '0.005': 10 } }],
      DURATION_LES,
    );
    const old = computeApiResponsivenessSimple({
      start: one(''),
      end: one(end),
      params: { serverVersion: { major: '1', minor: '22' } },
    });
    expect(items(old)[0]!.Perc50).toBe(2.5);
    const wrong = computeApiResponsivenessSimple({
      start: one(''),
      end: one(end),
      params: { serverVersion: { major: '1', minor: '30' } },
    });
    expect(wrong.status).toBe('skipped');
    expect(wrong.reason).toMatch(/apiserver_request_sli_duration_seconds_bucket/);
  });

  it('adds WATCHLIST rows from apiserver_watch_list_duration_seconds', () => {
    const wl = 'apiserver_watch_list_duration_seconds';
    const text = [
      `${wl}_bucket{group="",resource="pods",scope="cluster",version="v1",le="0.05"} 0`,
      `${wl}_bucket{group="",resource="pods",scope="cluster",version="v1",le="0.1"} 4`,
      `${wl}_bucket{group="",resource="pods",scope="cluster",version="v1",le="+Inf"} 4`,
      `${wl}_count{group="",resource="pods",scope="cluster",version="v1"} 4`,
      exposition(SLI, [
        { verb: 'GET', resource: 'pods', scope: 'resource', counts: { '0.05': 1 } },
      ]),
    ].join('\n');
    const rows = items(computeApiResponsivenessSimple({ start: one(''), end: one(text) }));
    const w = rows.find((x) => x.verb === 'WATCHLIST')!;
    expect(w.count).toBe(4);
    expect(w.Perc50).toBe(75);
  });

  it('applies thresholds: strict >, singleResourceThreshold, customThresholds, allowedSlowCalls, enableViolations', () => {
    // 100 POSTs, 10 of them between 1 and 1.25 s: p99 lands above 1 s; SlowCount = 10.
    const end = exposition(SLI, [
      { verb: 'POST', resource: 'pods', scope: 'resource', counts: { '1': 90, '1.25': 100 } },
    ]);
    const reportOnly = computeApiResponsivenessSimple({ start: one(''), end: one(end) });
    expect(reportOnly.status).toBe('pass');
    expect(reportOnly.verdicts[0]).toMatchObject({ pass: false, enforced: false, threshold: 1000 });
    expect(items(reportOnly)[0]!.slowCount).toBe(10);
    expect(reportOnly.reason).toMatch(/not enforced/);

    const enforced = computeApiResponsivenessSimple({
      start: one(''),
      end: one(end),
      params: { enableViolations: true },
    });
    expect(enforced.status).toBe('fail');

    const allowed = computeApiResponsivenessSimple({
      start: one(''),
      end: one(end),
      params: { enableViolations: true, allowedSlowCalls: 10 },
    });
    expect(allowed.status).toBe('pass');
    const tooMany = computeApiResponsivenessSimple({
      start: one(''),
      end: one(end),
      params: { enableViolations: true, allowedSlowCalls: 9 },
    });
    expect(tooMany.status).toBe('fail');

    const single = computeApiResponsivenessSimple({
      start: one(''),
      end: one(end),
      params: { enableViolations: true, singleResourceThreshold: '2s' },
    });
    expect(single.status).toBe('pass');
    expect(items(single)[0]!.thresholdMs).toBe(2000);

    const custom = computeApiResponsivenessSimple({
      start: one(''),
      end: one(end),
      params: {
        enableViolations: true,
        customThresholds:
          '- verb: POST\n  resource: pods\n  scope: resource\n  threshold: 1500ms\n',
      },
    });
    expect(items(custom)[0]!.thresholdMs).toBe(1500);
    expect(custom.status).toBe('pass');

    // Exactly at the threshold passes (CL2 fails only on >): p99 = 0.8 + 0.2 × 0.99 s = 998 ms.
    const exact = exposition(SLI, [
      { verb: 'POST', resource: 'pods', scope: 'resource', counts: { '0.8': 0, '1': 100 } },
    ]);
    const atThreshold = computeApiResponsivenessSimple({
      start: one(''),
      end: one(exact),
      params: { enableViolations: true, singleResourceThreshold: '990ms' },
    });
    expect(items(atThreshold)[0]!.Perc99).toBe(998);
    expect(atThreshold.status).toBe('fail');
    expect(() =>
      computeApiResponsivenessSimple({
        start: one(''),
        end: one(end),
        params: {
          customThresholds: [
            { verb: 'POST', resource: 'pods', scope: 'resource', threshold: '0s' },
          ],
        },
      }),
    ).toThrow(ConfigError);
  });

  it('is skipped, not passed, when nothing was called between the scrapes', () => {
    const text = exposition(SLI, [
      { verb: 'GET', resource: 'pods', scope: 'resource', counts: { '0.05': 5 } },
    ]);
    const r = computeApiResponsivenessSimple({ start: one(text), end: one(text) });
    expect(r.status).toBe('skipped');
    expect(r.reason).toMatch(/no API calls/);
  });
});

describe('APIResponsivenessPrometheus windowed', () => {
  const scrape = (fast: number, slow: number) =>
    one(
      exposition(SLI, [
        {
          verb: 'GET',
          resource: 'pods',
          scope: 'resource',
          counts: { '0.05': fast, '0.4': fast + slow },
        },
      ]),
    );

  it('is skipped with the reason when the run is shorter than 5 min + one window', () => {
    const w = new WindowedApiResponsiveness();
    for (let t = 0; t <= 300_000; t += 5000) w.addScrape(t, scrape(t / 1000, 0));
    const r = w.result();
    expect(r.status).toBe('skipped');
    expect(r.reason).toMatch(/needs at least 360 s/);
  });

  it('takes the p99 over time of 1-minute quantiles over the last D − 5m', () => {
    const w = new WindowedApiResponsiveness({}, { skipMs: 60_000, rateWindowMs: 10_000 });
    // 10 s ticks for 3 minutes; traffic: 10 fast calls per tick, and 10 slow calls in one tick at 150 s.
    let fast = 0;
    let slow = 0;
    for (let t = 0; t <= 180_000; t += 10_000) {
      fast += 10;
      if (t === 150_000) slow += 10;
      w.addScrape(t, scrape(fast, slow));
    }
    const r = w.result({ identifier: 'APIResponsivenessPrometheus' });
    expect(r.status).toBe('pass');
    expect(r.summaryName).toBe('APIResponsivenessPrometheus');
    const row = items(r)[0]!;
    // Windows in [60 s, 180 s]: 13 ticks; one window (150 s) has half slow calls → its p99 is
    // 0.2 + 0.2 × (19.8 − 10)/10 = 0.396 s, the others 0.0495 s. quantile_over_time(0.99) over
    // 13 values: rank 11.88 → 0.0495 × 0.12 + 0.396 × 0.88.
    expect(row.Perc99).toBeCloseTo((0.0495 * 0.12 + 0.396 * 0.88) * 1000, 3);
    expect(row.count).toBe(190);
  });
});
