/** The run driver's use of src/report: write every artifact, compare with a baseline, the table. */
import {
  compareRuns,
  formatComparisonTable,
  formatConsoleTable,
  loadRunSummary,
  writeRunReport,
  type ComparisonResult,
  type RunSummary,
} from '../report/index.js';

export async function writeReports(
  summary: RunSummary,
  runDir: string,
  reportsDir: string,
): Promise<{ files: string[]; errors: string[] }> {
  const report = await writeRunReport(summary, { reportsDir, runDir });
  return {
    files: report.files,
    errors: report.errors.map((e) => `${e.reporter}: ${e.message}`),
  };
}

export async function applyBaseline(
  baseline: string,
  current: RunSummary,
  options: { tolerance: number; minDeltaMs: number },
): Promise<ComparisonResult> {
  const base = await loadRunSummary(baseline);
  const result = compareRuns(base, current, options);
  result.baseline.path = baseline;
  return result;
}

export function formatRunTable(summary: RunSummary, color: boolean): string {
  const table = formatConsoleTable(summary, { color });
  if (!summary.comparison) return table;
  return `${formatComparisonTable(summary.comparison, { color })}\n\n${table}`;
}
