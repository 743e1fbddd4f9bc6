/**
 * The report's charts as vega-lite specs, compiled with vega-lite and rendered to SVG with vega at
 * report time (no browser, no script in the page). A chart without data says why instead of
 * drawing empty axes.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { decodeHistogram, type EncodedHistogram } from '../common/histogram.js';
import type { MeasurementData, MeasurementResult } from '../measure/types.js';
import type { RunSummary } from './model.js';

export interface ChartPanel {
  id: string;
  title: string;
  /** What the chart shows and how the numbers were produced. */
  caption: string;
  spec?: TopLevelSpec;
  /** Set when there is nothing to draw. */
  noData?: string;
}

export interface RenderedChart extends ChartPanel {
  svg?: string;
}

const WIDTH = 820;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
export const PALETTE = [
  '#2563eb',
  '#d97706',
  '#059669',
  '#7c3aed',
  '#db2777',
  '#0891b2',
  '#65a30d',
  '#dc2626',
  '#4b5563',
];
const PASS = '#15803d';
const FAIL = '#b91c1c';

const CONFIG = {
  font: FONT,
  background: '#ffffff',
  padding: 8,
  view: { stroke: null },
  axis: {
    labelColor: '#4b5563',
    titleColor: '#374151',
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 600,
    gridColor: '#e5e7eb',
    domainColor: '#9ca3af',
    tickColor: '#9ca3af',
  },
  legend: {
    labelColor: '#374151',
    titleColor: '#374151',
    labelFontSize: 11,
    titleFontSize: 11,
    orient: 'bottom',
    direction: 'horizontal',
    columns: 3,
    labelLimit: 260,
    columnPadding: 24,
    symbolStrokeWidth: 3,
  },
  range: { category: PALETTE },
  line: { strokeWidth: 2 },
  point: { size: 40, filled: true },
} as const;

/** Log axes start here: latencies below 10 µs are drawn at 10 µs rather than stretching the axis. */
const FLOOR_MS = 0.01;

/** Percentiles drawn on a "nines" axis: x = −log10(1 − p), so 90, 99 and 99.9 are evenly spaced. */
const CURVE_PERCENTILES = [
  1, 5, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 93, 95, 97, 98, 99, 99.5, 99.8, 99.9,
];
const NINES_TICKS = [50, 90, 99, 99.9].map((p) => -Math.log10(1 - p / 100));
const ninesAxis = {
  title: 'percentile',
  values: NINES_TICKS,
  labelExpr: "format(100 - 100 * pow(10, -datum.value), '.3~f') + '%'",
  grid: true,
};

/** 1-2-5 ticks per decade inside [min, max]: readable labels and grid lines on a log axis. */
function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let decade = Math.floor(Math.log10(min)); decade <= Math.ceil(Math.log10(max)); decade++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** decade;
      if (v >= min && v <= max) ticks.push(Number(v.toPrecision(3)));
    }
  return ticks;
}

interface CurvePoint {
  series: string;
  percentile: number;
  nines: number;
  ms: number;
}

function nines(p: number): number {
  return -Math.log10(1 - p / 100);
}

function histogramCurve(series: string, encoded: EncodedHistogram, where: string): CurvePoint[] {
  const h = decodeHistogram(encoded, where);
  if (h.totalCount === 0) return [];
  return CURVE_PERCENTILES.map((p) => ({
    series,
    percentile: p,
    nines: nines(p),
    ms: Math.max(h.getValueAtPercentile(p) / 1000, FLOOR_MS),
  }));
}

function withThreshold(
  layers: unknown[],
  thresholdMs: number | undefined,
  label: string,
): unknown[] {
  if (thresholdMs === undefined) return layers;
  return [
    ...layers,
    {
      data: { values: [{ y: thresholdMs, label }] },
      mark: { type: 'rule', color: FAIL, strokeDash: [6, 4], strokeWidth: 1.5 },
      encoding: { y: { field: 'y', type: 'quantitative' } },
    },
    {
      data: { values: [{ y: thresholdMs, label }] },
      mark: {
        type: 'text',
        color: FAIL,
        align: 'right',
        baseline: 'bottom',
        dx: -2,
        dy: -3,
        x: 'width',
        fontSize: 11,
        fontWeight: 600,
      },
      encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
    },
  ];
}

function curveSpec(
  points: CurvePoint[],
  thresholdMs: number | undefined,
  thresholdLabel: string,
): TopLevelSpec {
  const maxY = Math.max(...points.map((p) => p.ms), thresholdMs ?? 0);
  const minY = Math.min(...points.map((p) => p.ms));
  const line = {
    data: { values: points },
    mark: { type: 'line', point: true, interpolate: 'monotone' },
    encoding: {
      x: { field: 'nines', type: 'quantitative', axis: ninesAxis, scale: { domain: [0, 3.04] } },
      y: {
        field: 'ms',
        type: 'quantitative',
        title: 'latency (ms, log scale)',
        scale: { type: 'log', domain: [Math.max(minY / 1.5, FLOOR_MS), maxY * 1.5], nice: false },
        axis: { format: ',~r', values: logTicks(Math.max(minY / 1.5, FLOOR_MS), maxY * 1.5) },
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        sort: null,
        legend: { symbolType: 'stroke', columns: 2, labelLimit: 400 },
      },
      // The SLO curve is drawn last and heavier: it sits on schedule_to_run when scheduling is fast.
      strokeWidth: {
        condition: { test: "indexof(datum.series, 'pod_startup') >= 0", value: 3.5 },
        value: 2,
      },
    },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: 260,
    config: CONFIG,
    layer: withThreshold([line], thresholdMs, thresholdLabel),
  } as TopLevelSpec;
}

type PodStartupData = Extract<MeasurementData, { kind: 'podStartup' }>;

const TRANSITION_ORDER = [
  'create_to_schedule',
  'schedule_to_run',
  'pod_startup',
  'create_to_run',
  'schedule_to_watch',
];

function transitionOrder<T>(transitions: Record<string, T>): Array<[string, T]> {
  const rank = (name: string) =>
    TRANSITION_ORDER.includes(name) ? TRANSITION_ORDER.indexOf(name) : TRANSITION_ORDER.length;
  return Object.entries(transitions).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

function skippedReason(results: MeasurementResult[], what: string): string {
  const skipped = results.find((m) => m.status === 'skipped' || m.status === 'error');
  return skipped
    ? `${skipped.method} ${skipped.status}: ${skipped.reason ?? 'no reason given'}`
    : `no ${what} measurement in this run`;
}

function podStartupChart(summary: RunSummary): ChartPanel {
  const all = summary.measurements.filter(
    (m) => m.method === 'PodStartupLatency' || m.data.kind === 'podStartup',
  );
  // One gather yields three CL2 summaries; the chart draws the All one (Stateless/Stateful are in
  // the SLO table), and only the watch-based transitions (legacy figures are in the table too).
  const results = all.filter(
    (m) =>
      m.data.kind === 'podStartup' &&
      m.status !== 'skipped' &&
      !/^State(less|ful)PodStartupLatency_/.test(m.summaryName),
  );
  const base = {
    id: 'pod-startup',
    title: 'Pod startup latency by phase',
    caption:
      'Latency at each percentile for every startup transition (nearest rank; from the merged HDR histograms where recorded, else p50/p90/p99). Dashed: the pod startup SLO.',
  };
  const points: CurvePoint[] = [];
  let threshold: number | undefined;
  const sources = new Set<string>();
  for (const m of results) {
    const data = m.data as PodStartupData;
    const prefix = results.length > 1 ? `${m.identifier || m.summaryName}: ` : '';
    const drawn: Array<{ Perc50: number; Perc90: number; Perc99: number; samples: number }> = [];
    for (const [transition, p] of transitionOrder(data.transitions)) {
      if (p.samples === 0 || transition === 'run_to_watch' || transition.startsWith('legacy'))
        continue;
      // At HEAD create_to_run equals pod_startup and schedule_to_watch equals schedule_to_run.
      if (
        drawn.some(
          (d) =>
            d.Perc50 === p.Perc50 &&
            d.Perc90 === p.Perc90 &&
            d.Perc99 === p.Perc99 &&
            d.samples === p.samples,
        )
      )
        continue;
      drawn.push(p);
      const encoded = data.histograms?.[transition];
      const series = `${prefix}${transition}`;
      if (encoded)
        points.push(...histogramCurve(series, encoded, `${m.summaryName} ${transition}`));
      else
        for (const [perc, value] of [
          [50, p.Perc50],
          [90, p.Perc90],
          [99, p.Perc99],
        ] as const)
          points.push({
            series,
            percentile: perc,
            nines: nines(perc),
            ms: Math.max(value, FLOOR_MS),
          });
    }
    sources.add(m.source);
    const slo = m.verdicts.find(
      (v) => v.enforced && /pod_startup/.test(v.metric) && /99/.test(v.metric),
    );
    // The tightest enforced threshold is the SLO line (saturation pods carry a generous one).
    if (slo) {
      const ms = slo.unit === 's' ? slo.threshold * 1000 : slo.threshold;
      threshold = threshold === undefined ? ms : Math.min(threshold, ms);
    }
  }
  const drawable = points;
  if (drawable.length === 0)
    return {
      ...base,
      noData:
        results.length > 0
          ? 'the pod-startup measurement tracked no pod that reached Running'
          : skippedReason(all, 'pod-startup'),
    };
  return {
    ...base,
    caption: `${base.caption} Method: ${[...sources].join('; ')}.`,
    spec: curveSpec(
      drawable,
      threshold,
      threshold === undefined
        ? ''
        : `SLO ${threshold >= 1000 ? `${threshold / 1000} s` : `${threshold} ms`}`,
    ),
  };
}

const MAX_API_ROWS = 24;

function apiLatencyChart(summary: RunSummary): ChartPanel {
  const all = summary.measurements.filter(
    (m) => m.data.kind === 'apiLatency' || m.method.startsWith('APIResponsiveness'),
  );
  const results = all.filter((m) => m.data.kind === 'apiLatency' && m.status !== 'skipped');
  const base = {
    id: 'api-latency',
    title: 'API call latency p99 by resource and verb',
    caption:
      'p99 of each (verb, resource, scope) against its threshold (black tick: 1 s for single objects, 30 s for collections, or the custom threshold).',
  };
  const rows: Array<{
    call: string;
    p99: number;
    threshold: number;
    count: number;
    state: string;
  }> = [];
  let metricName = '';
  for (const m of results) {
    if (m.data.kind !== 'apiLatency') continue;
    metricName = m.data.metricName;
    for (const item of m.data.items) {
      if (item.count === 0) continue;
      const call = `${item.verb} ${item.resource}${item.subresource ? `/${item.subresource}` : ''} (${item.scope})${results.length > 1 ? ` · ${m.identifier}` : ''}`;
      rows.push({
        call,
        p99: Math.max(item.Perc99, 0.1),
        threshold: item.thresholdMs,
        count: item.count,
        state: item.Perc99 > item.thresholdMs ? 'over threshold' : 'within threshold',
      });
    }
  }
  if (rows.length === 0)
    return {
      ...base,
      noData:
        results.length > 0
          ? 'the API server served no measured call in the window'
          : skippedReason(all, 'API latency'),
    };
  rows.sort((a, b) => b.p99 - a.p99);
  const shown = rows.slice(0, MAX_API_ROWS);
  const maxX = Math.max(...shown.map((r) => Math.max(r.p99, r.threshold))) * 1.6;
  const minX = Math.min(...shown.map((r) => r.p99)) >= 2 ? 1 : 0.1;
  const y = { field: 'call', type: 'nominal', sort: null, title: null, axis: { labelLimit: 260 } };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH - 260,
    height: { step: 20 },
    config: CONFIG,
    data: { values: shown },
    layer: [
      {
        mark: { type: 'bar', height: 12, cornerRadiusEnd: 2 },
        encoding: {
          y,
          x: {
            field: 'p99',
            type: 'quantitative',
            title: `p99 (ms, log scale) — ${metricName}`,
            scale: { type: 'log', domain: [minX, maxX], nice: false },
            axis: { format: ',~r', values: logTicks(minX, maxX) },
          },
          x2: { datum: minX },
          color: {
            field: 'state',
            type: 'nominal',
            title: null,
            scale: { domain: ['within threshold', 'over threshold'], range: [PASS, FAIL] },
            legend: { symbolType: 'square' },
          },
        },
      },
      {
        mark: { type: 'tick', color: '#111827', thickness: 2, size: 16 },
        encoding: { y, x: { field: 'threshold', type: 'quantitative' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#374151' },
        encoding: {
          y,
          x: { field: 'p99', type: 'quantitative' },
          text: { field: 'p99', type: 'quantitative', format: '.3~s' },
        },
      },
    ],
  } as unknown as TopLevelSpec;
  const more =
    rows.length > shown.length
      ? ` Showing the ${shown.length} slowest of ${rows.length} call types.`
      : '';
  return { ...base, caption: `${base.caption}${more}`, spec };
}

/** At most MAX_TIMELINE_POINTS samples (every k-th and the last): a long run's SVG stays small. */
const MAX_TIMELINE_POINTS = 720;
export function thin<T>(points: readonly T[], max = MAX_TIMELINE_POINTS): T[] {
  if (points.length <= max) return [...points];
  const step = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % step === 0);
  if ((points.length - 1) % step !== 0) out.push(points[points.length - 1]!);
  return out;
}

function timelineChart(summary: RunSummary): ChartPanel {
  const base = {
    id: 'timeline',
    title: 'Nodes Ready and pods over time',
    caption:
      'Hollow nodes Ready and pods created, scheduled and Running, sampled by the run driver.',
  };
  if (summary.timeline.length === 0)
    return { ...base, noData: 'the run recorded no timeline samples' };
  const series: Array<[keyof (typeof summary.timeline)[number], string]> = [
    ['nodesReady', 'nodes Ready'],
    ['podsCreated', 'pods created'],
    ['podsScheduled', 'pods scheduled'],
    ['podsRunning', 'pods Running'],
  ];
  const timeline = thin(summary.timeline);
  const values = timeline.flatMap((p) =>
    series.slice(1).map(([key, label]) => ({ t: p.t, series: label, count: p[key] })),
  );
  const x = { field: 't', type: 'quantitative', title: 'seconds since start' };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    spacing: 18,
    vconcat: [
      {
        width: WIDTH,
        height: 110,
        data: { values: timeline.map((p) => ({ ...p })) },
        mark: {
          type: 'area',
          interpolate: 'step-after',
          line: { color: PALETTE[2] },
          color: '#d1fae5',
        },
        encoding: {
          x: { ...x, title: null },
          y: { field: 'nodesReady', type: 'quantitative', title: 'nodes Ready' },
        },
      },
      {
        width: WIDTH,
        height: 170,
        data: { values },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x,
          y: { field: 'count', type: 'quantitative', title: 'pods' },
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            sort: series.slice(1).map(([, l]) => l),
            scale: { range: [PALETTE[1], PALETTE[3], PALETTE[0]] },
            legend: { symbolType: 'stroke' },
          },
        },
      },
    ],
  } as unknown as TopLevelSpec;
  const note = summary.run.complete
    ? ''
    : ' The run was interrupted: the timeline stops where it stopped.';
  return { ...base, caption: `${base.caption}${note}`, spec };
}

function schedulingChart(summary: RunSummary): ChartPanel {
  const base = { id: 'scheduling', title: 'Scheduling throughput', caption: '' };
  const results = summary.measurements.filter(
    (m) => m.data.kind === 'schedulingThroughput' && m.status !== 'skipped',
  );
  let values: Array<{ t: number; rate: number }> = [];
  let threshold: number | undefined;
  let caption: string;
  let xTitle = 'seconds since start';
  const measured = results.find(
    (m) => m.data.kind === 'schedulingThroughput' && m.data.samples.length > 0,
  );
  if (measured && measured.data.kind === 'schedulingThroughput') {
    const d = measured.data;
    // Sample i covers [i·interval, (i+1)·interval): drawn as a step over its interval.
    values = d.samples.map((rate, i) => ({ t: i * d.intervalS, rate }));
    values.push({ t: d.samples.length * d.intervalS, rate: d.samples.at(-1)! });
    xTitle = `seconds since ${measured.method} started`;
    const slo = measured.verdicts.find((v) => v.comparator === '>=' && v.threshold > 0);
    threshold = slo?.threshold;
    const who =
      measured.identifier && measured.identifier !== measured.method
        ? `, ${measured.identifier}`
        : '';
    caption = `Pods scheduled per second in each ${d.intervalS} s interval (${measured.method}${who}): p50 ${d.perc50}, p99 ${d.perc99}, max ${d.max} pods/s.${threshold ? ' Dashed: the required max.' : ''}`;
  } else {
    const t = summary.timeline;
    for (let i = 1; i < t.length; i++) {
      const dt = t[i]!.t - t[i - 1]!.t;
      if (dt > 0)
        values.push({
          t: t[i - 1]!.t,
          rate: Math.max(0, (t[i]!.podsScheduled - t[i - 1]!.podsScheduled) / dt),
        });
    }
    caption =
      'Pods scheduled per second, derived from the timeline samples (no SchedulingThroughput measurement in this run).';
    if (values.every((v) => v.rate === 0))
      return {
        ...base,
        caption,
        noData:
          results.length > 0
            ? 'SchedulingThroughput recorded no interval'
            : `${skippedReason(
                summary.measurements.filter((m) => m.method === 'SchedulingThroughput'),
                'scheduling-throughput',
              )}, and the timeline shows no pod scheduled`,
      };
  }
  const area = {
    data: { values },
    mark: {
      type: 'area',
      line: { color: PALETTE[0] },
      color: {
        x1: 1,
        y1: 1,
        x2: 1,
        y2: 0,
        gradient: 'linear',
        stops: [
          { offset: 0, color: '#ffffff' },
          { offset: 1, color: '#bfdbfe' },
        ],
      },
      interpolate: 'step-after',
    },
    encoding: {
      x: { field: 't', type: 'quantitative', title: xTitle },
      y: { field: 'rate', type: 'quantitative', title: 'pods/s' },
    },
  };
  const layers: unknown[] = [area];
  if (threshold !== undefined)
    layers.push({
      data: { values: [{ y: threshold }] },
      mark: { type: 'rule', color: FAIL, strokeDash: [6, 4] },
      encoding: { y: { field: 'y', type: 'quantitative' } },
    });
  return {
    ...base,
    caption,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: WIDTH,
      height: 200,
      config: CONFIG,
      layer: layers,
    } as TopLevelSpec,
  };
}

function edgeChart(summary: RunSummary): ChartPanel {
  const base = {
    id: 'edge-slis',
    title: 'Edge SLIs (hollow nodes)',
    caption:
      'Latency at each percentile from the HDR histograms merged across every fleet worker and shard (never averaged percentiles).',
  };
  if (!summary.fleet)
    return {
      ...base,
      noData:
        summary.run.fleet.mode === 'none'
          ? 'the run had no hollow-node fleet'
          : 'the fleet reported no histograms',
    };
  const points: CurvePoint[] = [];
  for (const [metric, encoded] of Object.entries(summary.fleet.histograms).sort(([a], [b]) =>
    a.localeCompare(b),
  ))
    points.push(...histogramCurve(metric.replace(/Ms$/, ''), encoded, `fleet histogram ${metric}`));
  if (points.length === 0)
    return { ...base, noData: 'every fleet histogram is empty (no edge event was recorded)' };
  return { ...base, spec: curveSpec(points, undefined, '') };
}

export function chartPanels(summary: RunSummary): ChartPanel[] {
  const builders = [podStartupChart, apiLatencyChart, timelineChart, schedulingChart, edgeChart];
  return builders.map((build, i) => {
    try {
      return build(summary);
    } catch (err) {
      return {
        id: `chart-${i}`,
        title: 'Chart',
        caption: '',
        noData: `could not be built: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  });
}

/**
 * vega numbers gradient and clip-path ids from a process-wide counter: renumber them per chart so
 * a re-rendered report is byte-identical and ids never collide between the inline SVGs of a page.
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/\bid="([^"]+)"/g))
    if (!ids.has(m[1]!)) ids.set(m[1]!, `${prefix}-${ids.size + 1}`);
  if (ids.size === 0) return svg;
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${ids.get(id)}"`)
    .replace(/url\(#([^)]+)\)/g, (whole, id: string) =>
      ids.has(id) ? `url(#${ids.get(id)})` : whole,
    )
    .replace(/href="#([^"]+)"/g, (whole, id: string) =>
      ids.has(id) ? `href="#${ids.get(id)}"` : whole,
    );
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Every chart, rendered; a chart whose rendering fails becomes a no-data panel that says so. */
export async function renderCharts(summary: RunSummary): Promise<RenderedChart[]> {
  const out: RenderedChart[] = [];
  for (const panel of chartPanels(summary)) {
    if (!panel.spec) {
      out.push(panel);
      continue;
    }
    try {
      out.push({ ...panel, svg: scopeSvgIds(await renderSvg(panel.spec), `hf-${panel.id}`) });
    } catch (err) {
      out.push({
        ...panel,
        spec: undefined,
        noData: `rendering failed: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }
  return out;
}
