/**
 * The ✓/✗ table printed on stderr at the end of a run: one row per checked SLO and per skipped
 * measurement, then one closing line that a CI log reader can grep (PASSED / FAILED / INCOMPLETE).
 */
import type { RunSummary } from './model.js';
import { fleetHistogramSummaries } from './markdown.js';
import { paint, type Style } from './paint.js';
import {
  formatNumber,
  formatThreshold,
  formatValue,
  sloRows,
  verdictReason,
  verdictWord,
  type RowState,
} from './rows.js';

const MARK: Record<RowState, [string, Style]> = {
  pass: ['✓', 'green'],
  fail: ['✗', 'red'],
  error: ['✗', 'red'],
  skipped: ['–', 'yellow'],
  info: ['·', 'gray'],
};

export interface ConsoleTableOptions {
  /** ANSI colour; pass true only for a TTY without NO_COLOR. */
  color?: boolean;
}

export function formatConsoleTable(summary: RunSummary, options: ConsoleTableOptions = {}): string {
  const color = options.color === true;
  const { run } = summary;
  const lines = [
    paint(
      color,
      'bold',
      `hollowfleet ${run.scenario.name} on ${run.target.kind} ${run.target.server}: ${formatNumber(run.nodes)} nodes (fleet ${run.fleet.mode}: ${formatNumber(run.fleet.nodes)})`,
    ),
    '',
  ];
  const rows = sloRows(summary);
  const width = Math.max(3, ...rows.map((r) => r.metric.length));
  lines.push(
    `   ${'SLO'.padEnd(width)} ${'observed'.padStart(12)} ${'threshold'.padStart(13)} ${'samples'.padStart(8)}  method`,
  );
  for (const r of rows) {
    const [mark, style] = MARK[r.state];
    if (r.state === 'skipped' || r.observed === undefined) {
      const word = r.state === 'skipped' ? 'skipped' : r.state === 'error' ? 'error' : 'failed';
      lines.push(
        ` ${paint(color, style, mark)} ${r.metric.padEnd(width)} ${paint(color, style, word.padStart(12))}  ${r.note ?? ''}  (${r.method})`,
      );
      continue;
    }
    const note = r.note ? `  [${r.note}]` : '';
    lines.push(
      ` ${paint(color, style, mark)} ${r.metric.padEnd(width)} ${formatValue(r.observed, r.unit).padStart(12)} ${formatThreshold(r).padStart(13)} ${(r.samples === undefined ? '' : formatNumber(r.samples)).padStart(8)}  ${r.method}${note}`,
    );
  }
  if (rows.length === 0) lines.push('   (no SLO was checked)');

  const edge = fleetHistogramSummaries(summary).filter((e) => e.stats && e.stats.count > 0);
  if (edge.length > 0) {
    const w = Math.max(14, ...edge.map((e) => e.metric.length));
    lines.push(
      '',
      `   ${'edge SLIs (ms)'.padEnd(w)} ${'count'.padStart(8)} ${'p50'.padStart(9)} ${'p99'.padStart(9)}`,
    );
    for (const { metric, stats } of edge)
      lines.push(
        `   ${metric.padEnd(w)} ${formatNumber(stats!.count).padStart(8)} ${formatNumber(stats!.p50Ms).padStart(9)} ${formatNumber(stats!.p99Ms).padStart(9)}`,
      );
  }
  const style: Style =
    summary.verdict === 'pass' ? 'green' : summary.verdict === 'fail' ? 'red' : 'yellow';
  lines.push('', paint(color, style, `${verdictWord(summary)}: ${verdictReason(summary)}`));
  return lines.join('\n');
}
