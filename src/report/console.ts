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
  rowGroup,
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

function identifierOf(measurement: string): string {
  const i = measurement.indexOf(' - ');
  return i < 0 ? measurement : measurement.slice(i + 3);
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
  const all = sloRows(summary);
  // The terminal gets the verdicts; report.html keeps everything. Report-only figures that met
  // their threshold (legacy pod startup, violations switched off) and the Stateless/Stateful
  // splits that passed stay out.
  const rows = all.filter(
    (r) =>
      !(r.state === 'info' && r.pass !== false) &&
      !(
        /^State(less|ful)PodStartupLatency_/.test(r.summaryName) &&
        (r.state === 'pass' || r.state === 'skipped')
      ),
  );
  const width = Math.max(26, ...rows.map((r) => r.metric.length + 2));
  lines.push(
    `   ${'SLO'.padEnd(width)} ${'observed'.padStart(12)} ${'threshold'.padStart(13)} ${'samples'.padStart(8)}`,
  );
  let group = '';
  const skippedByIdentifier = new Map<string, number>();
  for (const r of rows)
    if (r.state === 'skipped') {
      const id = identifierOf(r.measurement);
      skippedByIdentifier.set(id, (skippedByIdentifier.get(id) ?? 0) + 1);
    }
  const collapsed = new Set<string>();
  for (const r of rows) {
    const [mark, style] = MARK[r.state];
    if (r.state === 'skipped' && (skippedByIdentifier.get(identifierOf(r.measurement)) ?? 0) > 2) {
      // A bundle (e.g. TestMetrics) whose parts are all unsupported: one line, not one per part.
      const id = identifierOf(r.measurement);
      if (collapsed.has(id)) continue;
      collapsed.add(id);
      const parts = rows
        .filter((x) => x.state === 'skipped' && identifierOf(x.measurement) === id)
        .map((x) => x.measurement.split(' - ')[0]);
      lines.push(
        ` ${paint(color, style, mark)} ${id.padEnd(width)} ${paint(color, style, 'skipped'.padStart(12))}  not supported by hollowfleet: ${parts.join(', ')}`,
      );
      group = '';
      continue;
    }
    if (r.state === 'skipped' || r.observed === undefined) {
      const word = r.state === 'skipped' ? 'skipped' : r.state === 'error' ? 'error' : 'failed';
      lines.push(
        ` ${paint(color, style, mark)} ${r.metric.padEnd(width)} ${paint(color, style, word.padStart(12))}  ${r.note ?? ''}`,
      );
      group = '';
      continue;
    }
    const header = rowGroup(r);
    if (header !== group) {
      group = header;
      lines.push(`   ${paint(color, 'bold', header)}  ${paint(color, 'gray', r.method)}`);
    }
    const note = r.note ? `  [${r.note}]` : '';
    lines.push(
      ` ${paint(color, style, mark)}   ${r.metric.padEnd(width - 2)} ${formatValue(r.observed, r.unit).padStart(12)} ${formatThreshold(r).padStart(13)} ${(r.samples === undefined ? '' : formatNumber(r.samples)).padStart(8)}${note}`,
    );
  }
  const hidden = all.length - rows.length;
  if (hidden > 0)
    lines.push(
      paint(
        color,
        'gray',
        `   (${hidden} more rows in report.html: report-only figures such as legacy pod startup, and the Stateless/Stateful splits)`,
      ),
    );
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
