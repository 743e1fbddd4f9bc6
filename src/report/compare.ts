/**
 * Run-to-run comparison for CI gates. A metric regresses only when it moves the wrong way by more
 * than the relative tolerance AND by more than the absolute floor, so a 2 ms → 3 ms wobble is not
 * a "50 % regression". Figures produced by different methods are never compared: a watch-based pod
 * startup is not the legacy one, an SLI histogram is not the duration histogram.
 */
import { ConfigError } from '../common/errors.js';
import { decodeHistogram } from '../common/histogram.js';
import type { MeasurementResult } from '../measure/types.js';
import type { ComparisonResult, ComparisonRow, RunSummary } from './model.js';
import { paint, type Style } from './paint.js';
import { formatNumber } from './rows.js';

export interface CompareOptions {
  /** Relative tolerance, 0.10 = 10 %. */
  tolerance?: number;
  /** Absolute floor for time metrics, in ms. */
  minDeltaMs?: number;
  /** Where the baseline came from, recorded in the result. */
  baselinePath?: string;
}

interface Figure {
  metric: string;
  unit: string;
  value: number;
  higherIsBetter: boolean;
}

const PERCENTILES = ['Perc50', 'Perc90', 'Perc99'] as const;

function histogramP99Ms(
  encoded: Parameters<typeof decodeHistogram>[0],
  where: string,
): number | undefined {
  const h = decodeHistogram(encoded, where);
  return h.totalCount === 0 ? undefined : h.getValueAtPercentile(99) / 1000;
}

/** The comparable figures of one measurement result. */
function figuresOf(result: MeasurementResult): Figure[] {
  const name = result.summaryName || `${result.method}_${result.identifier}`;
  const data = result.data;
  const out: Figure[] = [];
  switch (data.kind) {
    case 'podStartup':
      for (const [transition, p] of Object.entries(data.transitions))
        if (p.samples > 0)
          for (const perc of PERCENTILES)
            out.push({
              metric: `${name} ${transition} ${perc}`,
              unit: 'ms',
              value: p[perc],
              higherIsBetter: false,
            });
      break;
    case 'apiLatency':
      for (const item of data.items) {
        if (item.count === 0) continue;
        const call = `${item.verb} ${item.resource}${item.subresource ? `/${item.subresource}` : ''} ${item.scope}`;
        out.push({
          metric: `${name} ${call} Perc99`,
          unit: 'ms',
          value: item.Perc99,
          higherIsBetter: false,
        });
      }
      break;
    case 'schedulingThroughput':
      if (data.samples.length > 0)
        out.push({ metric: `${name} max`, unit: 'pods/s', value: data.max, higherIsBetter: true });
      break;
    case 'histograms':
      for (const [metric, encoded] of Object.entries(data.histograms)) {
        const p99 = histogramP99Ms(encoded, `${name} ${metric}`);
        if (p99 !== undefined)
          out.push({
            metric: `${name} ${metric} p99`,
            unit: 'ms',
            value: p99,
            higherIsBetter: false,
          });
      }
      break;
    case 'gate':
    case 'none':
      break;
  }
  return out;
}

function fleetFigures(summary: RunSummary): Figure[] {
  const out: Figure[] = [];
  for (const [metric, encoded] of Object.entries(summary.fleet?.histograms ?? {})) {
    const p99 = histogramP99Ms(encoded, `fleet histogram ${metric}`);
    if (p99 !== undefined)
      out.push({ metric: `edge ${metric} p99`, unit: 'ms', value: p99, higherIsBetter: false });
  }
  return out;
}

/** What must be equal for two results of the same summary to be comparable. */
function methodIdentity(result: MeasurementResult): string {
  const metricName = result.data.kind === 'apiLatency' ? `, metric ${result.data.metricName}` : '';
  return `${result.method} via ${result.source}${metricName}`;
}

function resultKey(result: MeasurementResult): string {
  return result.summaryName || `${result.method}_${result.identifier}`;
}

function checkComparable(baseline: RunSummary, current: RunSummary): void {
  if (baseline.schema !== current.schema)
    throw new ConfigError(
      `cannot compare runs with different summary schemas: baseline ${baseline.run.id} has schema ${String(baseline.schema)}, current ${current.run.id} has schema ${String(current.schema)}; re-run the baseline with this hollowfleet version`,
    );
  const before = new Map(
    baseline.measurements.filter((m) => m.status !== 'skipped').map((m) => [resultKey(m), m]),
  );
  const mismatches: string[] = [];
  for (const m of current.measurements) {
    if (m.status === 'skipped') continue;
    const b = before.get(resultKey(m));
    if (b && methodIdentity(b) !== methodIdentity(m))
      mismatches.push(
        `${resultKey(m)}: baseline measured by ${methodIdentity(b)}, current by ${methodIdentity(m)}`,
      );
  }
  if (mismatches.length > 0)
    throw new ConfigError(
      `cannot compare figures produced by different methods (${mismatches.join('; ')}); use a baseline measured the same way`,
    );
}

function figuresOfRun(summary: RunSummary): Map<string, Figure> {
  const figures = new Map<string, Figure>();
  for (const m of summary.measurements)
    if (m.status !== 'skipped') for (const f of figuresOf(m)) figures.set(f.metric, f);
  for (const f of fleetFigures(summary)) figures.set(f.metric, f);
  return figures;
}

function absoluteFloor(unit: string, minDeltaMs: number): number {
  if (unit === 'ms') return minDeltaMs;
  if (unit === 's') return minDeltaMs / 1000;
  return 0;
}

export function compareRuns(
  baseline: RunSummary,
  current: RunSummary,
  options: CompareOptions = {},
): ComparisonResult {
  const tolerance = options.tolerance ?? 0.1;
  const minDeltaMs = options.minDeltaMs ?? 5;
  if (!Number.isFinite(tolerance) || tolerance < 0)
    throw new ConfigError(
      `tolerance ${tolerance}: expected a non-negative fraction such as 0.10 (10%)`,
    );
  if (!Number.isFinite(minDeltaMs) || minDeltaMs < 0)
    throw new ConfigError(
      `minimum delta ${minDeltaMs} ms: expected a non-negative number of milliseconds`,
    );
  checkComparable(baseline, current);
  const before = figuresOfRun(baseline);
  const after = figuresOfRun(current);
  const rows: ComparisonRow[] = [];
  for (const [metric, b] of before) {
    const c = after.get(metric);
    if (!c) {
      rows.push({
        metric,
        unit: b.unit,
        baseline: b.value,
        current: NaN,
        change: null,
        verdict: 'missing',
        higherIsBetter: b.higherIsBetter,
      });
      continue;
    }
    const delta = c.value - b.value;
    const change = b.value === 0 ? null : delta / b.value;
    const beyondRelative = change === null ? delta !== 0 : Math.abs(change) > tolerance;
    const beyondFloor = Math.abs(delta) > absoluteFloor(b.unit, minDeltaMs);
    let verdict: ComparisonRow['verdict'] = 'same';
    if (beyondRelative && beyondFloor) {
      const worse = b.higherIsBetter ? delta < 0 : delta > 0;
      verdict = worse ? 'regressed' : 'improved';
    }
    rows.push({
      metric,
      unit: b.unit,
      baseline: b.value,
      current: c.value,
      change,
      verdict,
      higherIsBetter: b.higherIsBetter,
    });
  }
  for (const [metric, c] of after)
    if (!before.has(metric))
      rows.push({
        metric,
        unit: c.unit,
        baseline: NaN,
        current: c.value,
        change: null,
        verdict: 'new',
        higherIsBetter: c.higherIsBetter,
      });
  return {
    baseline: { path: options.baselinePath ?? '', runId: baseline.run.id },
    tolerance,
    minDeltaMs,
    rows,
    regressed: rows.some((r) => r.verdict === 'regressed'),
  };
}

const MARK: Record<ComparisonRow['verdict'], [string, Style]> = {
  same: ['=', 'gray'],
  regressed: ['✗', 'red'],
  improved: ['✓', 'green'],
  new: ['+', 'cyan'],
  missing: ['?', 'yellow'],
};

/** NaN in memory, null once through JSON: the side of a new or missing metric. */
function absent(value: number | null): boolean {
  return value === null || Number.isNaN(value);
}

function fmt(value: number, unit: string): string {
  return absent(value) ? '–' : `${formatNumber(value)} ${unit}`;
}

function fmtChange(row: ComparisonRow): string {
  if (row.change === null)
    return row.verdict === 'same' || absent(row.baseline) || absent(row.current) ? '' : 'from 0';
  const pct = row.change * 100;
  return `${pct > 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

function comparisonLine(result: ComparisonResult): string {
  const n = (v: ComparisonRow['verdict']) => result.rows.filter((r) => r.verdict === v).length;
  const noise = `tolerance ${(result.tolerance * 100).toFixed(0)}% and ${result.minDeltaMs} ms`;
  return result.regressed
    ? `REGRESSED: ${n('regressed')} of ${result.rows.length} metrics worse than baseline ${result.baseline.runId} beyond ${noise}`
    : `NO REGRESSION against baseline ${result.baseline.runId} (${n('improved')} improved, ${n('same')} within ${noise}${n('missing') ? `, ${n('missing')} missing` : ''}${n('new') ? `, ${n('new')} new` : ''})`;
}

/** The comparison as a table for stderr; regressions first, colour only when asked. */
export function formatComparisonTable(
  result: ComparisonResult,
  /** `all`: also list the metrics within noise (by default only their count is shown). */
  options: { color?: boolean; all?: boolean } = {},
): string {
  const color = options.color === true;
  const order: ComparisonRow['verdict'][] = ['regressed', 'missing', 'improved', 'new', 'same'];
  const hidden = options.all ? 0 : result.rows.filter((r) => r.verdict === 'same').length;
  const rows = [...result.rows]
    .filter((r) => options.all || r.verdict !== 'same')
    .sort(
      (a, b) =>
        order.indexOf(a.verdict) - order.indexOf(b.verdict) || a.metric.localeCompare(b.metric),
    );
  const width = Math.max(6, ...rows.map((r) => r.metric.length));
  const lines = [
    `   ${'metric'.padEnd(width)} ${'baseline'.padStart(14)} ${'current'.padStart(14)} ${'change'.padStart(8)}  verdict`,
  ];
  for (const r of rows) {
    const [mark, style] = MARK[r.verdict];
    lines.push(
      ` ${paint(color, style, mark)} ${r.metric.padEnd(width)} ${fmt(r.baseline, r.unit).padStart(14)} ${fmt(r.current, r.unit).padStart(14)} ${fmtChange(r).padStart(8)}  ${paint(color, style, r.verdict)}`,
    );
  }
  if (rows.length === 0) lines.length = 0;
  if (hidden > 0) lines.push(`   (${hidden} metrics within noise not listed; --all lists them)`);
  lines.push('', paint(color, result.regressed ? 'red' : 'green', comparisonLine(result)));
  return lines.join('\n');
}

export function formatComparisonMarkdown(result: ComparisonResult): string {
  const icon: Record<ComparisonRow['verdict'], string> = {
    same: '',
    regressed: '❌',
    improved: '✅',
    new: '🆕',
    missing: '❔',
  };
  const interesting = result.rows.filter((r) => r.verdict !== 'same');
  const lines = [
    `### Against baseline \`${result.baseline.runId}\``,
    '',
    `**${comparisonLine(result)}**`,
    '',
  ];
  if (interesting.length > 0) {
    lines.push('| | metric | baseline | current | change |', '| --- | --- | ---: | ---: | ---: |');
    for (const r of interesting)
      lines.push(
        `| ${icon[r.verdict]} | ${r.metric} | ${fmt(r.baseline, r.unit)} | ${fmt(r.current, r.unit)} | ${fmtChange(r)} |`,
      );
  }
  return lines.join('\n');
}
