/**
 * The SLO rows every human-facing artifact shows (console table, summary.md, report.html), derived
 * once from the measurement results so the three never disagree.
 */
import type { MeasurementResult, Verdict } from '../measure/types.js';
import type { RunSummary } from './model.js';

export type RowState = 'pass' | 'fail' | 'skipped' | 'error' | 'info';

export interface SloRow {
  state: RowState;
  /** Measurement identity, e.g. `PodStartupLatency - PodStartupLatency`. */
  measurement: string;
  /** The CL2 summary the row belongs to, e.g. `StatelessPodStartupLatency_PodStartupLatency`. */
  summaryName: string;
  metric: string;
  observed?: number;
  threshold?: number;
  comparator?: '<=' | '>=';
  unit?: Verdict['unit'];
  samples?: number;
  /** How the figure was produced (the measurement's `source`). */
  method: string;
  /** For a verdict row: whether the figure met its threshold (also for report-only rows). */
  pass?: boolean;
  /** Why skipped / errored; for report-only verdicts, that they are not enforced. */
  note?: string;
}

function measurementLabel(m: MeasurementResult): string {
  return m.identifier && m.identifier !== m.method ? `${m.method} - ${m.identifier}` : m.method;
}

/**
 * The heading a row is shown under: its CL2 summary (one PodStartupLatency gather yields
 * PodStartupLatency_X, StatelessPodStartupLatency_X and StatefulPodStartupLatency_X), or the
 * measurement itself for gates such as WaitForControlledPodsRunning that write no summary.
 */
export function rowGroup(row: SloRow): string {
  return row.summaryName.includes('_') ? row.summaryName : row.measurement;
}

export function sloRows(summary: RunSummary): SloRow[] {
  const rows: SloRow[] = [];
  for (const m of summary.measurements) {
    const measurement = measurementLabel(m);
    const summaryName = m.summaryName || measurement;
    if (m.status === 'skipped' || (m.status === 'error' && m.verdicts.length === 0)) {
      rows.push({
        state: m.status,
        measurement,
        summaryName,
        metric: measurement,
        method: m.source || m.method,
        note: m.reason ?? (m.status === 'skipped' ? 'skipped' : 'error'),
      });
      continue;
    }
    for (const v of m.verdicts) {
      rows.push({
        state: v.enforced ? (v.pass ? 'pass' : 'fail') : 'info',
        measurement,
        summaryName,
        metric: v.metric,
        observed: v.observed,
        threshold: v.threshold,
        comparator: v.comparator,
        unit: v.unit,
        samples: v.samples,
        pass: v.pass,
        method: v.method || m.source,
        note: v.enforced ? undefined : `not enforced${v.pass ? '' : ' (would fail)'}`,
      });
    }
    if (m.status === 'fail' && m.verdicts.every((v) => v.pass || !v.enforced))
      rows.push({
        state: 'fail',
        measurement,
        summaryName,
        metric: m.summaryName || m.method,
        method: m.source || m.method,
        note: m.reason ?? 'failed',
      });
    if (m.status === 'error' && m.verdicts.length > 0)
      rows.push({
        state: 'error',
        measurement,
        summaryName,
        metric: m.summaryName || m.method,
        method: m.source || m.method,
        note: m.reason ?? 'error',
      });
  }
  return rows;
}

/** One line that says why the run got its verdict. */
export function verdictReason(summary: RunSummary): string {
  if (summary.verdict === 'incomplete')
    return summary.run.failureReason ?? 'the run did not finish (no reason recorded)';
  const rows = sloRows(summary);
  const failed = rows.filter((r) => r.state === 'fail' || r.state === 'error');
  const skipped = rows.filter((r) => r.state === 'skipped').length;
  if (summary.verdict === 'fail') {
    const names = failed.map((r) => `${r.metric}${r.note ? ` (${r.note})` : ''}`);
    return names.length > 0
      ? `SLO breached: ${names.join(', ')}`
      : (summary.run.failureReason ?? 'the run failed');
  }
  const checked = rows.filter((r) => r.state === 'pass').length;
  return `every SLO met (${checked} checked${skipped > 0 ? `, ${skipped} skipped` : ''})`;
}

export function verdictWord(summary: RunSummary): 'PASSED' | 'FAILED' | 'INCOMPLETE' {
  return summary.verdict === 'pass'
    ? 'PASSED'
    : summary.verdict === 'fail'
      ? 'FAILED'
      : 'INCOMPLETE';
}

/** Numbers as people read them: integers above 1000 (thousands separated), 1 decimal above 10. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (Number.isInteger(value) || abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 10) return value.toFixed(1);
  return String(Number(value.toPrecision(3)));
}

export function formatValue(value: number | undefined, unit: string | undefined): string {
  if (value === undefined) return '';
  const suffix = unit === undefined || unit === 'count' ? '' : unit === '%' ? '%' : ` ${unit}`;
  return `${formatNumber(value)}${suffix}`;
}

export function formatThreshold(row: SloRow): string {
  if (row.threshold === undefined) return '';
  return `${row.comparator === '>=' ? '≥' : '≤'} ${formatValue(row.threshold, row.unit)}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
