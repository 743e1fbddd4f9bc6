/** Run reports and CI gates: the public surface the run driver and the CLI use. */
export type {
  RunSummary,
  ComparisonResult,
  ComparisonRow,
  StepResult,
  TimelinePoint,
  RunVerdict,
} from './model.js';
export { SUMMARY_SCHEMA } from './model.js';
export {
  writeRunReport,
  rerenderReport,
  updateLatest,
  defaultReporters,
  summaryJsonReporter,
  cl2Reporter,
  junitReporter,
  markdownReporter,
  htmlReporter,
  fleetHistogramsReporter,
  rawDataReporter,
  compactUtc,
  createRunDir,
  runDirectoryName,
  type Reporter,
  type ReporterFailure,
  type RunReport,
  type RawRecords,
  type WriteRunReportOptions,
} from './run-report.js';
export { formatConsoleTable, type ConsoleTableOptions } from './console.js';
export { sloRows, verdictReason, verdictWord, type SloRow, type RowState } from './rows.js';
export { goJsonIndent } from './go-format.js';
export {
  compareRuns,
  formatComparisonTable,
  formatComparisonMarkdown,
  type CompareOptions,
} from './compare.js';
export { loadRunSummary, parseRunSummary } from './load.js';
export { renderJunit } from './junit.js';
export { renderMarkdown } from './markdown.js';
export { renderHtml } from './html.js';
export { cl2Files, cl2FileName } from './cl2-files.js';
export { RUN_SUMMARY_JSON_SCHEMA } from './schema.js';
