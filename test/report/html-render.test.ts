import { describe, expect, it } from 'vitest';
import { chartPanels, thin } from '../../src/report/charts.js';
import { compareRuns } from '../../src/report/compare.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fixture } from './helpers.js';

describe('report.html rendering', () => {
  it('escapes every string from the summary, including those vega draws into the SVG', async () => {
    const summary = fixture('breach');
    const evil = '<script>alert(1)</script>';
    summary.run.scenario.name = evil;
    const api = summary.measurements[0]!;
    if (api.data.kind === 'apiLatency') api.data.items[0]!.resource = evil;
    summary.fleet!.histograms[evil] = summary.fleet!.histograms.ackLatencyMs!;
    summary.measurements[4]!.reason = evil;
    const html = await renderHtml(summary);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('does not modify the summary it renders', async () => {
    const summary = fixture('pass');
    const before = JSON.stringify(summary);
    await renderHtml(summary);
    expect(JSON.stringify(summary)).toBe(before);
    expect(summary.timeline[0]).toEqual(fixture('pass').timeline[0]);
    expect(Object.getOwnPropertySymbols(summary.timeline[0]!)).toEqual([]);
  });

  it('a chart with nothing to draw says why instead of drawing empty axes', () => {
    const summary = fixture('pass');
    summary.timeline = [];
    delete summary.fleet;
    summary.run.fleet.mode = 'none';
    summary.measurements = summary.measurements.filter((m) => m.data.kind !== 'podStartup');
    const panels = Object.fromEntries(chartPanels(summary).map((p) => [p.id, p]));
    expect(panels.timeline!.noData).toBe('the run recorded no timeline samples');
    expect(panels['edge-slis']!.noData).toBe('the run had no hollow-node fleet');
    expect(panels['pod-startup']!.noData).toBe('no pod-startup measurement in this run');
    expect(panels['api-latency']!.spec).toBeDefined();
    expect(panels.scheduling!.spec).toBeDefined();
  });

  it('draws the All summary of each pod-startup identifier, not its Stateless/Stateful splits', () => {
    const summary = fixture('pass');
    const all = summary.measurements.find((m) => m.data.kind === 'podStartup')!;
    summary.measurements.push(
      { ...all, summaryName: 'StatelessPodStartupLatency_PodStartupLatency' },
      { ...all, identifier: 'Saturation', summaryName: 'PodStartupLatency_Saturation' },
    );
    const spec = chartPanels(summary).find((p) => p.id === 'pod-startup')!.spec as unknown as {
      layer: Array<{ data?: { values: Array<{ series: string }> } }>;
    };
    const series = new Set(spec.layer[0]!.data!.values.map((v) => v.series));
    expect(series).toContain('PodStartupLatency: pod_startup');
    expect(series).toContain('Saturation: pod_startup');
    expect([...series].some((s) => s.includes('Stateless') || s.includes('legacy'))).toBe(false);
    expect(series.size).toBe(6);
  });

  it('thins a long timeline to at most 720 points, keeping the first and the last', () => {
    const points = Array.from({ length: 3601 }, (_, i) => i);
    const kept = thin(points);
    expect(kept.length).toBeLessThanOrEqual(721);
    expect(kept[0]).toBe(0);
    expect(kept.at(-1)).toBe(3600);
    expect(thin([1, 2, 3])).toEqual([1, 2, 3]);
  });

  it('renders the same bytes twice (stable SVG ids)', async () => {
    const [a, b] = [await renderHtml(fixture('breach')), await renderHtml(fixture('breach'))];
    expect(a === b).toBe(true);
    expect(a).toContain('id="hf-scheduling-1"');
  });
});

describe('a run compared with its baseline', () => {
  it('shows the regressions in report.html and summary.md', async () => {
    const summary = fixture('breach');
    summary.comparison = compareRuns(fixture('pass'), fixture('breach'), {
      baselinePath: 'reports/base',
    });
    const html = await renderHtml(summary);
    expect(html).toContain('<h2>Against baseline <code>20261125T073012Z-density-7f3a</code></h2>');
    expect(html).toMatch(
      /<tr class="cmp-regressed"><td class="metric">PodStartupLatency_PodStartupLatency pod_startup Perc99<\/td><td class="num">1,055 ms<\/td><td class="num">5,291 ms<\/td><td class="num">\+401\.3%<\/td><td>regressed<\/td><\/tr>/,
    );
    const md = renderMarkdown(summary);
    expect(md).toContain('### Against baseline `20261125T073012Z-density-7f3a`');
    expect(md).toContain(
      '| ❌ | PodStartupLatency_PodStartupLatency pod_startup Perc99 | 1,055 ms | 5,291 ms | +401.3% |',
    );
  });
});
