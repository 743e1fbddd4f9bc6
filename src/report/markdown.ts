/**
 * summary.md: the verdict as GitHub-flavoured Markdown, for `$GITHUB_STEP_SUMMARY` or a PR comment.
 * Skipped measurements are listed with their reasons and an incomplete run says so first, so nobody
 * reads a half-finished run as a pass.
 */
import { decodeHistogram, summarize, type HistogramSummary } from '../common/histogram.js';
import type { RunSummary } from './model.js';
import { formatComparisonMarkdown } from './compare.js';
import {
  formatDuration,
  formatNumber,
  formatThreshold,
  formatValue,
  sloRows,
  verdictReason,
  verdictWord,
  type RowState,
} from './rows.js';

const ICON: Record<RowState, string> = {
  pass: '✅',
  fail: '❌',
  error: '❌',
  skipped: '⏭️',
  info: 'ℹ️',
};

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Decoded fleet histograms by metric name; unreadable ones are reported, not dropped silently. */
export function fleetHistogramSummaries(
  summary: RunSummary,
): Array<{ metric: string; stats?: HistogramSummary; error?: string }> {
  return Object.entries(summary.fleet?.histograms ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([metric, encoded]) => {
      try {
        return { metric, stats: summarize(decodeHistogram(encoded, `fleet histogram ${metric}`)) };
      } catch (err) {
        return { metric, error: err instanceof Error ? err.message : String(err) };
      }
    });
}

export function renderMarkdown(summary: RunSummary): string {
  const { run } = summary;
  const word = verdictWord(summary);
  const badge = summary.verdict === 'pass' ? '✅' : summary.verdict === 'fail' ? '❌' : '⚠️';
  const out: string[] = [`## ${badge} hollowfleet ${cell(run.scenario.name)}: ${word}`, ''];
  if (summary.verdict === 'incomplete')
    out.push(
      '> [!WARNING]',
      `> **Incomplete run**: ${cell(verdictReason(summary))}. The figures below cover only what was measured before it stopped.`,
      '',
    );
  else out.push(`**${cell(verdictReason(summary))}**`, '');

  const target = [
    run.target.kind,
    run.target.server,
    run.target.kubernetesVersion && `Kubernetes ${run.target.kubernetesVersion}`,
    run.target.kubeedgeVersion && `KubeEdge ${run.target.kubeedgeVersion}`,
  ]
    .filter(Boolean)
    .join(' · ');
  out.push(
    '| run | scenario | target | nodes | started | duration | exit |',
    '| --- | --- | --- | ---: | --- | ---: | ---: |',
    `| \`${cell(run.id)}\` | \`${cell(run.scenario.path)}\` | ${cell(target)} | ${formatNumber(run.nodes)} (fleet ${run.fleet.mode}: ${formatNumber(run.fleet.nodes)}) | ${run.startedAt} | ${formatDuration(run.durationMs)} | ${run.exitCode} |`,
    '',
  );

  const rows = sloRows(summary);
  const checked = rows.filter((r) => r.state !== 'skipped');
  const skipped = rows.filter((r) => r.state === 'skipped');
  out.push('### SLOs', '');
  if (checked.length === 0) out.push('_No SLO was checked in this run._', '');
  else {
    out.push(
      '| | metric | observed | threshold | samples | method |',
      '| --- | --- | ---: | ---: | ---: | --- |',
    );
    for (const r of checked) {
      const metric = `${cell(r.metric)}${r.note ? ` _(${cell(r.note)})_` : ''}`;
      out.push(
        `| ${ICON[r.state]} | ${metric} | ${formatValue(r.observed, r.unit)} | ${formatThreshold(r)} | ${r.samples === undefined ? '' : formatNumber(r.samples)} | ${cell(r.method)} |`,
      );
    }
    out.push('');
  }
  if (skipped.length > 0) {
    out.push(`### Skipped measurements (${skipped.length})`, '');
    for (const r of skipped)
      out.push(`- ⏭️ **${cell(r.measurement)}**: ${cell(r.note ?? 'skipped')}`);
    out.push('');
  }

  const edge = fleetHistogramSummaries(summary);
  if (edge.length > 0) {
    out.push(
      '### Edge SLIs (hollow nodes, ms)',
      '',
      '| metric | count | p50 | p90 | p99 | max |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const { metric, stats, error } of edge)
      out.push(
        stats
          ? `| ${cell(metric)} | ${formatNumber(stats.count)} | ${formatNumber(stats.p50Ms)} | ${formatNumber(stats.p90Ms)} | ${formatNumber(stats.p99Ms)} | ${formatNumber(stats.maxMs)} |`
          : `| ${cell(metric)} | unreadable: ${cell(error ?? '')} | | | | |`,
      );
    out.push('');
  }

  if (summary.comparison) out.push(formatComparisonMarkdown(summary.comparison), '');

  const failedSteps = summary.steps.filter(
    (s) => s.errors.length > 0 || (s.measurements ?? []).some((m) => m.errors.length > 0),
  );
  if (failedSteps.length > 0) {
    out.push('<details><summary>Step errors</summary>', '', '```');
    for (const s of failedSteps) {
      const errors = [...s.errors, ...(s.measurements ?? []).flatMap((m) => m.errors)];
      for (const e of new Set(errors)) out.push(`[step: ${String(s.index).padStart(2, '0')}] ${e}`);
    }
    out.push('```', '', '</details>', '');
  }
  out.push(
    `<sub>hollowfleet ${cell(summary.tool.version)} · summary schema ${summary.schema} · run ${cell(run.id)}</sub>`,
  );
  return `${out.join('\n')}\n`;
}
