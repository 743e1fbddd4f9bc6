import path from 'node:path';
import { runDemo, type DemoSummary } from '../../api/demo.js';
import { ExitCode } from '../../common/exit-codes.js';
import type { ParsedArgs } from '../command.js';
import { toolVersion } from '../main.js';
import { paint, type Output } from '../output.js';
import { ProgressLine } from '../progress.js';

/** Exit code for a run stopped by Ctrl-C (the shell convention for SIGINT). */
export const INTERRUPTED = 130;

export function sloTable(summary: DemoSummary, color: boolean): string {
  const rows = [
    paint(
      color,
      'bold',
      `hollowfleet ${summary.scenario} on the ${summary.target.kind} control plane: ${summary.nodes} hollow nodes, ${summary.pods} pods`,
    ),
    '',
    `   ${'SLO'.padEnd(48)} ${'observed'.padStart(10)} ${'threshold'.padStart(10)} ${'samples'.padStart(8)}  method`,
  ];
  for (const v of summary.verdicts) {
    const mark = v.pass ? paint(color, 'green', '✓') : paint(color, 'red', '✗');
    rows.push(
      ` ${mark} ${v.name.padEnd(48)} ${`${v.observed.toFixed(1)} ms`.padStart(10)} ${`${v.threshold} ms`.padStart(10)} ${String(v.samples).padStart(8)}  ${v.method}`,
    );
  }
  const api = summary.measurements.apiResponsiveness;
  if (api && 'skipped' in api)
    rows.push(
      ` ${paint(color, 'yellow', '–')} ${'API responsiveness'.padEnd(48)} skipped: ${api.skipped}`,
    );
  const edge = summary.measurements.edge;
  if (edge) {
    rows.push('', '   edge SLIs (ms)                     count      p50      p99');
    for (const [name, s] of Object.entries(edge.metrics)) {
      if (!s || s.count === 0) continue;
      rows.push(
        `   ${name.padEnd(32)} ${String(s.count).padStart(7)} ${s.p50Ms.toFixed(1).padStart(8)} ${s.p99Ms.toFixed(1).padStart(8)}`,
      );
    }
  }
  const verdict =
    summary.status === 'passed'
      ? paint(color, 'green', 'PASSED: every SLO met')
      : summary.status === 'failed'
        ? paint(color, 'red', `FAILED: ${summary.reason ?? 'SLO breached'}`)
        : paint(color, 'yellow', `INCOMPLETE: ${summary.reason ?? 'the run did not finish'}`);
  rows.push('', verdict);
  return rows.join('\n');
}

export async function demoHandler(args: ParsedArgs, out: Output): Promise<number> {
  const abort = new AbortController();
  const onSignal = () => {
    out.warn('interrupted: cleaning up and writing an incomplete report…');
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = new ProgressLine(out, 5_000);
  try {
    const { summary, reportDir } = await runDemo({
      nodes: Number(args.nodes),
      podsPerNode: Number(args['pods-per-node']),
      workers: args.workers === undefined ? undefined : Number(args.workers),
      reportsDir: path.resolve(String(args.reports)),
      stateDir: path.resolve(String(args.dir)),
      timeoutMs: Number(args['timeout-seconds']) * 1000,
      signal: abort.signal,
      toolVersion: await toolVersion(),
      onProgress: (text) => progress.update(text),
    });
    progress.done();
    if (args.json) out.data(JSON.stringify(summary));
    out.info(sloTable(summary, out.color));
    out.info(`report: ${reportDir}`);
    if (abort.signal.aborted) return INTERRUPTED;
    if (summary.status === 'passed') return ExitCode.Pass;
    if (summary.status === 'failed') return ExitCode.SloBreach;
    return /timed out/.test(summary.reason ?? '') ? ExitCode.Timeout : ExitCode.HarnessError;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
