/**
 * report.html: one self-contained page (inline CSS and SVG, no script, no font or network fetch —
 * its Content-Security-Policy forbids them), rendered at report time so it opens anywhere, prints
 * cleanly and can be attached to a CI run as a single artifact.
 */
import type { RunSummary } from './model.js';
import { renderCharts, type RenderedChart } from './charts.js';
import { fleetHistogramSummaries } from './markdown.js';
import {
  formatDuration,
  formatNumber,
  formatThreshold,
  formatValue,
  rowGroup,
  sloRows,
  verdictReason,
  verdictWord,
  type RowState,
  type SloRow,
} from './rows.js';
import type { ComparisonResult } from './model.js';
import { cl2Files } from './cl2-files.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
const e = escapeHtml;

const STATE_LABEL: Record<RowState, string> = {
  pass: 'pass',
  fail: 'fail',
  error: 'error',
  skipped: 'skipped',
  info: 'report only',
};
const STATE_ICON: Record<RowState, string> = {
  pass: '✓',
  fail: '✗',
  error: '!',
  skipped: '–',
  info: 'i',
};

const CSS = `
:root { --ink:#111827; --muted:#6b7280; --line:#e5e7eb; --soft:#f9fafb; --pass:#15803d; --pass-bg:#ecfdf5; --fail:#b91c1c; --fail-bg:#fef2f2; --warn:#b45309; --warn-bg:#fffbeb; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: #f3f4f6; color: var(--ink); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 32px 24px 48px; }
h1 { font-size: 13px; font-weight: 600; letter-spacing: .08em; text-transform: uppercase; color: var(--muted); margin: 0 0 10px; }
h2 { font-size: 17px; margin: 0 0 4px; }
h3 { font-size: 15px; margin: 0 0 2px; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
section, figure { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 20px 24px; margin: 0 0 18px; }
.section-note { color: var(--muted); margin: 0 0 14px; font-size: 13px; }
.banner { display: flex; gap: 18px; align-items: center; border-left-width: 8px; }
.banner .icon { flex: none; width: 52px; height: 52px; border-radius: 50%; display: grid; place-items: center; font-size: 28px; font-weight: 700; color: #fff; }
.banner .word { font-size: 28px; font-weight: 750; letter-spacing: .02em; line-height: 1.1; }
.banner .reason { font-size: 15px; margin-top: 4px; }
.banner .sub { color: var(--muted); font-size: 13px; margin-top: 2px; }
.banner.pass { background: var(--pass-bg); border-color: var(--pass); } .banner.pass .icon { background: var(--pass); } .banner.pass .word { color: var(--pass); }
.banner.fail { background: var(--fail-bg); border-color: var(--fail); } .banner.fail .icon { background: var(--fail); } .banner.fail .word { color: var(--fail); }
.banner.incomplete { background: var(--warn-bg); border-color: var(--warn); } .banner.incomplete .icon { background: var(--warn); } .banner.incomplete .word { color: var(--warn); }
.meta { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 14px 20px; margin: 0; }
.meta div { min-width: 0; }
.meta dt { color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: .06em; }
.meta dd { margin: 2px 0 0; font-weight: 550; overflow-wrap: anywhere; }
.meta .wide { grid-column: span 2; }
details { margin-top: 14px; } summary { cursor: pointer; color: var(--muted); font-size: 13px; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; font-size: 11.5px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); font-weight: 600; padding: 6px 10px; border-bottom: 2px solid var(--line); }
td { padding: 8px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.method { color: var(--muted); font-size: 12.5px; }
.metric { font-weight: 600; } .measurement { display: block; color: var(--muted); font-size: 12px; font-weight: 400; }
.state { display: inline-grid; place-items: center; width: 22px; height: 22px; border-radius: 50%; font-weight: 700; font-size: 13px; color: #fff; }
tr.pass .state { background: var(--pass); }
tr.fail .state, tr.error .state { background: var(--fail); }
tr.fail td, tr.error td { background: var(--fail-bg); }
tr.fail .observed { color: var(--fail); font-weight: 700; }
tr.info .state { background: #6b7280; }
tr.skipped td { background: repeating-linear-gradient(135deg, #fafafa 0 8px, #f3f4f6 8px 16px); color: var(--muted); }
tr.skipped .state { background: #fff; color: var(--warn); border: 2px dashed var(--warn); }
.badge { display: inline-block; border-radius: 999px; padding: 1px 8px; font-size: 11px; font-weight: 700; letter-spacing: .05em; text-transform: uppercase; }
.badge.skipped { background: var(--warn-bg); color: var(--warn); border: 1px solid #fcd34d; }
.badge.info { background: #f3f4f6; color: #4b5563; border: 1px solid var(--line); }
.reason { font-style: italic; }
.banner .reason { font-style: normal; font-weight: 550; }
tr.group td { background: var(--soft); border-bottom: 1px solid var(--line); padding: 7px 10px; }
tr.group + tr td { border-top: 0; }
.group-name { font-weight: 650; margin-right: 10px; }
.group-method { color: var(--muted); font-size: 12.5px; }
.group-method::before { content: "method: "; }
tr.skipped-group .group-method::before { content: ""; }
td.state-cell { width: 34px; }
td.metric { font-weight: 600; }
table.slo td.metric { width: 50%; }
table.slo td.num { width: 16%; }
figure { margin: 0 0 18px; }
figcaption { color: var(--muted); font-size: 13px; margin: 0 0 12px; }
figure svg { display: block; max-width: 100%; height: auto; }
.no-data { border: 2px dashed #d1d5db; border-radius: 10px; padding: 28px; text-align: center; color: var(--muted); background: var(--soft); }
.no-data strong { display: block; color: #374151; font-size: 14px; margin-bottom: 4px; }
.cmp-regressed td { background: var(--fail-bg); } .cmp-improved td { background: var(--pass-bg); }
ul.files { margin: 0; padding-left: 18px; columns: 2; column-gap: 28px; } ul.files li { margin: 2px 0; break-inside: avoid; overflow-wrap: anywhere; }
a { color: #1d4ed8; text-decoration: none; } a:hover { text-decoration: underline; }
.muted { color: var(--muted); font-size: 12.5px; }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 28px; }
@media (max-width: 760px) { .meta { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
@media print {
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  section, figure { border: 0; border-radius: 0; padding: 0; margin: 0 0 16pt; break-inside: avoid; }
  .banner { border: 1px solid; border-left-width: 6pt; padding: 10pt 14pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  details > *:not(summary) { display: block; }
}
`;

/** Rows grouped by CL2 summary (name and method once, in a header row); skipped ones last. */
function sloTable(rows: SloRow[]): string {
  if (rows.length === 0) return '<p class="section-note">No SLO was checked in this run.</p>';
  const stateCell = (r: SloRow) =>
    `<td class="state-cell"><span class="state" title="${STATE_LABEL[r.state]}">${STATE_ICON[r.state]}</span></td>`;
  const groups = new Map<string, SloRow[]>();
  for (const r of rows.filter((x) => x.state !== 'skipped')) {
    const key = `${rowGroup(r)}\u0000${r.method}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: string[] = [];
  for (const [key, group] of groups) {
    const [measurement, method] = key.split('\u0000') as [string, string];
    out.push(
      `<tr class="group"><td colspan="5"><span class="group-name">${e(measurement)}</span><span class="group-method">${e(method)}</span></td></tr>`,
    );
    for (const r of group) {
      if (r.observed === undefined) {
        out.push(
          `<tr class="${r.state}">${stateCell(r)}<td class="metric">${e(r.metric)}</td><td colspan="3"><span class="badge info">${STATE_LABEL[r.state]}</span> <span class="reason">${e(r.note ?? '')}</span></td></tr>`,
        );
        continue;
      }
      const note = r.note ? ` <span class="badge info">${e(r.note)}</span>` : '';
      out.push(
        `<tr class="${r.state}">${stateCell(r)}<td class="metric">${e(r.metric)}${note}</td><td class="num observed">${e(formatValue(r.observed, r.unit))}</td><td class="num">${e(formatThreshold(r))}</td><td class="num">${r.samples === undefined ? '' : e(formatNumber(r.samples))}</td></tr>`,
      );
    }
  }
  const skipped = rows.filter((r) => r.state === 'skipped');
  if (skipped.length > 0) {
    out.push(
      `<tr class="group skipped-group"><td colspan="5"><span class="group-name">Not measured</span><span class="group-method">skipped measurements never count as a pass</span></td></tr>`,
    );
    for (const r of skipped)
      out.push(
        `<tr class="skipped">${stateCell(r)}<td class="metric">${e(rowGroup(r))}</td><td colspan="3"><span class="badge skipped">skipped</span> <span class="reason">${e(r.note ?? '')}</span></td></tr>`,
      );
  }
  return `<table class="slo"><thead><tr><th></th><th>SLO</th><th class="num">observed</th><th class="num">threshold</th><th class="num">samples</th></tr></thead><tbody>\n${out.join('\n')}\n</tbody></table>`;
}

function chartFigure(c: RenderedChart): string {
  const content = c.svg
    ? c.svg
    : `<div class="no-data"><strong>No data</strong>no data: ${e(c.noData ?? 'nothing to draw')}</div>`;
  return `<figure class="chart" data-chart="${e(c.id)}"${c.svg ? '' : ' data-no-data="true"'}><h3>${e(c.title)}</h3>${c.caption ? `<figcaption>${e(c.caption)}</figcaption>` : ''}${content}</figure>`;
}

function metaGrid(summary: RunSummary): string {
  const { run } = summary;
  const item = (label: string, value: string, wide = false) =>
    `<div${wide ? ' class="wide"' : ''}><dt>${e(label)}</dt><dd>${value}</dd></div>`;
  const versions = [
    run.target.kubernetesVersion && `Kubernetes ${run.target.kubernetesVersion}`,
    run.target.kubeedgeVersion && `KubeEdge ${run.target.kubeedgeVersion}`,
  ]
    .filter(Boolean)
    .join(' · ');
  const fleet = `${formatNumber(run.fleet.nodes)} hollow (${run.fleet.mode}${run.fleet.shards ? `, ${run.fleet.shards} shards` : ''})`;
  const params =
    Object.keys(run.params).length > 0
      ? `<details><summary>Scenario parameters (${Object.keys(run.params).length})</summary><pre>${e(JSON.stringify(run.params, null, 2))}</pre></details>`
      : '';
  return `<dl class="meta">
${item('scenario', `<code>${e(run.scenario.path)}</code>`, true)}
${item('target', `${e(run.target.kind)} · <code>${e(run.target.server)}</code>`, true)}
${item('nodes', `${e(formatNumber(run.nodes))}`)}
${item('fleet', e(fleet))}
${item('versions', e(versions || 'not reported'))}
${item('exit code', `<code>${run.exitCode}</code>`)}
${item('started', `<span class="mono">${e(run.startedAt)}</span>`)}
${item('ended', `<span class="mono">${e(run.endedAt)}</span>`)}
${item('duration', e(formatDuration(run.durationMs)))}
${item('run id', `<code>${e(run.id)}</code>`)}
${item('config hash', `<code title="${e(run.scenario.hash)}">${e(run.scenario.hash.slice(0, 16))}</code>`)}
${item('tool', e(`${summary.tool.name} ${summary.tool.version}`))}
${item('summary schema', String(summary.schema))}
${item('steps', String(summary.steps.length))}
${summary.harness ? item('harness', e(`${formatNumber(summary.harness.apiRetries)} API retries · ${formatNumber(summary.harness.watchRecoveries)} watch recoveries`)) : ''}
</dl>${params}`;
}

function edgeTable(summary: RunSummary): string {
  const rows = fleetHistogramSummaries(summary);
  if (rows.length === 0) return '';
  const counters = Object.entries(summary.fleet?.counters ?? {}).filter(([, v]) => v !== 0);
  const errors = Object.entries(summary.fleet?.errorsByCode ?? {});
  const body = rows
    .map(({ metric, stats, error }) =>
      stats
        ? `<tr><td class="metric">${e(metric)}</td><td class="num">${e(formatNumber(stats.count))}</td><td class="num">${e(formatNumber(stats.p50Ms))}</td><td class="num">${e(formatNumber(stats.p90Ms))}</td><td class="num">${e(formatNumber(stats.p99Ms))}</td><td class="num">${e(formatNumber(stats.p999Ms))}</td><td class="num">${e(formatNumber(stats.maxMs))}</td></tr>`
        : `<tr class="error"><td class="metric">${e(metric)}</td><td colspan="6" class="reason">unreadable: ${e(error ?? '')}</td></tr>`,
    )
    .join('\n');
  const extra = [
    counters.length > 0
      ? `<p class="section-note">Counters: ${counters.map(([k, v]) => `${e(k)} <strong>${e(formatNumber(v))}</strong>`).join(' · ')}</p>`
      : '',
    errors.length > 0
      ? `<p class="section-note">Errors by code: ${errors.map(([k, v]) => `<code>${e(k)}</code> <strong>${e(formatNumber(v))}</strong>`).join(' · ')}</p>`
      : '',
  ].join('');
  return `<section><h2>Edge SLIs</h2><p class="section-note">Milliseconds, from the fleet's merged HDR histograms.</p><table><thead><tr><th>metric</th><th class="num">count</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">p99.9</th><th class="num">max</th></tr></thead><tbody>${body}</tbody></table>${extra}</section>`;
}

function comparisonSection(c: ComparisonResult | undefined): string {
  if (!c) return '';
  const rows = c.rows.filter((r) => r.verdict !== 'same');
  const fmt = (v: number | null, unit: string) =>
    v === null || Number.isNaN(v) ? '–' : `${formatNumber(v)} ${unit}`;
  const body = rows
    .map(
      (r) =>
        `<tr class="cmp-${r.verdict}"><td class="metric">${e(r.metric)}</td><td class="num">${e(fmt(r.baseline, r.unit))}</td><td class="num">${e(fmt(r.current, r.unit))}</td><td class="num">${r.change === null ? '' : e(`${r.change > 0 ? '+' : ''}${(r.change * 100).toFixed(1)}%`)}</td><td>${e(r.verdict)}</td></tr>`,
    )
    .join('\n');
  const same = c.rows.length - rows.length;
  return `<section><h2>Against baseline <code>${e(c.baseline.runId)}</code></h2><p class="section-note">${c.regressed ? '<strong style="color:var(--fail)">Regressed.</strong> ' : ''}Tolerance ${(c.tolerance * 100).toFixed(0)}% and at least ${c.minDeltaMs} ms; ${same} metrics within noise.</p>${rows.length > 0 ? `<table><thead><tr><th>metric</th><th class="num">baseline</th><th class="num">current</th><th class="num">change</th><th>verdict</th></tr></thead><tbody>${body}</tbody></table>` : ''}</section>`;
}

function stepsSection(summary: RunSummary): string {
  if (summary.steps.length === 0) return '';
  const body = summary.steps
    .map((s) => {
      const errors = [
        ...new Set([...s.errors, ...(s.measurements ?? []).flatMap((m) => m.errors)]),
      ];
      const ms = (s.measurements ?? [])
        .map((m) => `${m.method}${m.identifier ? ` - ${m.identifier}` : ''}`)
        .join(', ');
      return `<tr class="${errors.length > 0 ? 'fail' : ''}"><td class="num">${String(s.index).padStart(2, '0')}</td><td><span class="metric">${e(s.name)}</span>${ms ? `<span class="measurement">${e(ms)}</span>` : ''}${errors.length > 0 ? `<pre>${e(errors.join('\n'))}</pre>` : ''}</td><td>${e(s.kind)}</td><td class="num">${e(formatDuration(s.durationMs))}</td></tr>`;
    })
    .join('\n');
  return `<section><h2>Steps</h2><table><thead><tr><th class="num">#</th><th>step</th><th>kind</th><th class="num">duration</th></tr></thead><tbody>${body}</tbody></table></section>`;
}

/** The run directory's artifacts as relative links (they sit next to report.html). */
function filesSection(summary: RunSummary): string {
  const files: Array<[string, string]> = [
    ['summary.json', 'the run summary every other file is derived from'],
    ['summary.md', 'verdict as Markdown (CI step summary, PR comment)'],
    ['junit.xml', 'ClusterLoader2-compatible JUnit'],
    ...[...cl2Files(summary).keys()].map((f): [string, string] => [
      f,
      'ClusterLoader2 result (perfdash)',
    ]),
  ];
  if (summary.fleet) files.push(['fleet-histograms.json', 'encoded HDR histograms of the fleet']);
  for (const m of summary.measurements)
    for (const f of m.files ?? [])
      files.push([f, `raw data of ${m.method}${m.identifier ? ` - ${m.identifier}` : ''}`]);
  const items = files
    .map(
      ([f, what]) =>
        `<li><a href="./${e(encodeURI(f))}"><code>${e(f)}</code></a> <span class="muted">${e(what)}</span></li>`,
    )
    .join('');
  return `<section><h2>Files</h2><ul class="files">${items}</ul></section>`;
}

export async function renderHtml(summary: RunSummary): Promise<string> {
  const charts = await renderCharts(summary);
  const rows = sloRows(summary);
  const word = verdictWord(summary);
  const icon = summary.verdict === 'pass' ? '✓' : summary.verdict === 'fail' ? '✗' : '!';
  const skipped = rows.filter((r) => r.state === 'skipped').length;
  const checked = rows.filter((r) => r.state === 'pass' || r.state === 'fail').length;
  const { run } = summary;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${e(`${word} · ${run.scenario.name} · hollowfleet`)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>hollowfleet run report</h1>
<section class="banner ${summary.verdict}" data-verdict="${summary.verdict}">
<div class="icon" aria-hidden="true">${icon}</div>
<div><div class="word">${word}</div><div class="reason">${e(verdictReason(summary))}</div><div class="sub">${e(run.scenario.name)} · ${e(formatNumber(run.nodes))} nodes · ${e(run.target.kind)} target · ${e(formatDuration(run.durationMs))}${run.complete ? '' : ' · <strong>incomplete run: figures cover only what was measured before it stopped</strong>'}</div></div>
</section>
<section><h2>Run</h2>${metaGrid(summary)}</section>
<section><h2>SLOs</h2><p class="section-note">${checked} checked${skipped > 0 ? `, ${skipped} skipped (not measured: never counted as a pass)` : ''}. A value equal to its threshold passes.</p>${sloTable(rows)}</section>
${comparisonSection(summary.comparison)}
${charts.map(chartFigure).join('\n')}
${edgeTable(summary)}
${stepsSection(summary)}
${filesSection(summary)}
<footer>Generated by ${e(summary.tool.name)} ${e(summary.tool.version)} from summary.json (schema ${summary.schema}) · run ${e(run.id)}</footer>
</main>
</body>
</html>
`;
}
