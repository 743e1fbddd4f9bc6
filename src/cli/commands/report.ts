import { ExitCode } from '../../common/exit-codes.js';
import {
  compareRuns,
  formatComparisonTable,
  formatConsoleTable,
  loadRunSummary,
  rerenderReport,
} from '../../report/index.js';
import { parseDurationMs } from '../../edge/profile.js';
import type { ParsedArgs } from '../command.js';
import type { Output } from '../output.js';
import { parseTolerance } from '../parse.js';

export async function compareHandler(args: ParsedArgs, out: Output): Promise<number> {
  const tolerance = parseTolerance(String(args.tolerance));
  const minDeltaMs = parseDurationMs(String(args['min-delta']), '--min-delta');
  const baselinePath = String(args.baseline);
  const baseline = await loadRunSummary(baselinePath);
  const current = await loadRunSummary(String(args.current));
  const result = compareRuns(baseline, current, { tolerance, minDeltaMs, baselinePath });
  if (args.json) out.data(JSON.stringify(result));
  out.info(formatComparisonTable(result, { color: out.color, all: args.all === true }));
  return result.regressed ? ExitCode.Regression : ExitCode.Pass;
}

export async function reportHandler(args: ParsedArgs, out: Output): Promise<number> {
  const dir = String(args.dir);
  const { runDir, files, errors } = await rerenderReport(dir);
  out.info(formatConsoleTable(await loadRunSummary(runDir), { color: out.color }));
  for (const e of errors) out.error(`${e.reporter}: ${e.message}`);
  out.info(`re-rendered ${files.join(', ') || 'nothing'} in ${runDir}`);
  return errors.length > 0 ? ExitCode.HarnessError : ExitCode.Pass;
}
