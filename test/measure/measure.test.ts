import { describe, expect, it } from 'vitest';
import {
  computeApiResponsivenessSimple,
  SLI_METRIC,
} from '../../src/measure/api-responsiveness.js';
import { latencyPercentiles, nearestRank } from '../../src/measure/percentile.js';
import { PodStartupTracker, podStartupTransitions } from '../../src/measure/pod-startup.js';
import { histogramQuantile, parseExposition } from '../../src/measure/prometheus.js';

const LES = [
  '0.05',
  '0.1',
  '0.2',
  '0.4',
  '0.6',
  '0.8',
  '1',
  '1.25',
  '1.5',
  '2',
  '3',
  '4',
  '5',
  '6',
  '8',
  '10',
  '15',
  '20',
  '30',
  '45',
  '60',
  '+Inf',
];

function scrape(series: Array<{ labels: string; counts: Record<string, number> }>): string {
  const lines = [
    '# HELP apiserver_request_sli_duration_seconds x',
    '# TYPE apiserver_request_sli_duration_seconds histogram',
  ];
  for (const s of series) {
    let last = 0;
    for (const le of LES) {
      last = s.counts[le] ?? last;
      lines.push(`apiserver_request_sli_duration_seconds_bucket{${s.labels},le="${le}"} ${last}`);
    }
    // CL2 takes counts from _count, not from the +Inf bucket.
    lines.push(`apiserver_request_sli_duration_seconds_count{${s.labels}} ${last}`);
  }
  return lines.join('\n');
}

describe('nearest-rank percentiles', () => {
  it('uses sorted[ceil(n·p/100) − 1] and zeros for no samples', () => {
    expect(nearestRank([], 99)).toBe(0);
    expect(latencyPercentiles([5, 1, 3, 2, 4])).toEqual({ Perc50: 3, Perc90: 5, Perc99: 5 });
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(latencyPercentiles(hundred)).toEqual({ Perc50: 50, Perc90: 90, Perc99: 99 });
  });
});

describe('histogram_quantile', () => {
  it('reproduces the worked example of cl2.md §3.5', () => {
    const buckets = [
      { le: 0.05, count: 4000 },
      { le: 0.1, count: 4900 },
      { le: 0.2, count: 4990 },
      { le: 0.4, count: 5000 },
      { le: Infinity, count: 5000 },
    ];
    expect(histogramQuantile(0.5, buckets) * 1000).toBeCloseTo(31.25, 2);
    expect(histogramQuantile(0.9, buckets) * 1000).toBeCloseTo(77.78, 2);
    expect(histogramQuantile(0.99, buckets) * 1000).toBeCloseTo(155.56, 2);
  });

  it('handles +Inf, missing +Inf, empty histograms and unsorted buckets', () => {
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: Infinity, count: 10 },
      ]),
    ).toBe(1);
    expect(histogramQuantile(0.5, [{ le: 1, count: 1 }])).toBeNaN();
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: Infinity, count: 0 },
      ]),
    ).toBeNaN();
    expect(
      histogramQuantile(0.5, [
        { le: Infinity, count: 4 },
        { le: 0.05, count: 4 },
      ]),
    ).toBeCloseTo(0.025);
  });
});

describe('API responsiveness from two scrapes', () => {
  it('diffs buckets, sums instances, drops WATCH, and applies the 1 s / 30 s thresholds', () => {
    const pods =
      'verb="POST",group="",version="v1",resource="pods",subresource="",scope="resource",component="apiserver"';
    const list =
      'verb="LIST",group="",version="v1",resource="pods",subresource="",scope="namespace",component="apiserver"';
    const watch =
      'verb="WATCH",group="",version="v1",resource="pods",subresource="",scope="namespace",component="apiserver"';
    const start = scrape([{ labels: pods, counts: { '0.05': 100, '+Inf': 100 } }]);
    const end = scrape([
      { labels: pods, counts: { '0.05': 4100, '0.1': 5000, '0.2': 5090, '0.4': 5100 } },
      { labels: list, counts: { '1': 0, '2': 10 } },
      { labels: watch, counts: { '60': 5 } },
    ]);
    const result = computeApiResponsivenessSimple({
      start: [{ instance: 'apiserver', text: start }],
      end: [{ instance: 'apiserver', text: end }],
      params: { metricName: SLI_METRIC },
    });
    if (result.data.kind !== 'apiLatency') throw new Error('expected API latency data');
    const rows = result.data.items.filter((r) => r.count > 0);
    expect(rows.map((r) => `${r.verb} ${r.scope}`).sort()).toEqual([
      'LIST namespace',
      'POST resource',
    ]);
    const post = rows.find((r) => r.verb === 'POST')!;
    expect(post.count).toBe(5000);
    expect(post.Perc50).toBeCloseTo(31.25, 2);
    const listRow = rows.find((r) => r.verb === 'LIST')!;
    expect(listRow.thresholdMs).toBe(30_000);
    expect(listRow.Perc99).toBeCloseTo(1995, 0); // 1.5 s + 0.5 s × 9.9/10
    expect(result.verdicts.every((v) => v.pass)).toBe(true);
    expect(result.status).toBe('pass');
    expect(parseExposition('a{x="q\\"uote"} 1 1700000000').at(0)).toEqual({
      name: 'a',
      labels: { x: 'q"uote' },
      value: 1,
      timestampMs: 1700000000,
    });
  });
});

describe('pod startup from watch receive times', () => {
  it('takes the first sighting of each phase, clamps negatives, and skips pods missing a phase', () => {
    const t = new PodStartupTracker();
    const pod = (name: string, nodeName?: string, phase = 'Pending') => ({
      metadata: { namespace: 'n', name },
      spec: { nodeName },
      status: { phase },
    });
    t.observe('ADDED', pod('a'), 1000);
    t.observe('MODIFIED', pod('a', 'n1'), 1100);
    t.observe('MODIFIED', pod('a', 'n1', 'Running'), 1600);
    t.observe('MODIFIED', pod('a', 'n1', 'Running'), 9999);
    t.observe('ADDED', pod('b', 'n1', 'Running'), 2000);
    t.observe('ADDED', pod('c'), 3000);
    const tr = podStartupTransitions(t);
    expect(tr.pod_startup).toEqual({ Perc50: 0, Perc90: 600, Perc99: 600, count: 2 });
    expect(tr.create_to_schedule.count).toBe(2);
    expect(tr.schedule_to_run.Perc99).toBe(500);
    expect(t.running()).toBe(2);
  });
});
