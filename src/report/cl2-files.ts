/**
 * ClusterLoader2 result files (cl2.md §4.1): one `<SummaryName>_<config name>_<RFC3339>.json` per
 * measurement result that carries a CL2 body, formatted byte-for-byte as Go writes them so perfdash
 * and existing CL2 tooling read them unchanged.
 */
import type { MeasurementResult } from '../measure/types.js';
import type { RunSummary } from './model.js';
import { goJsonIndent } from './go-format.js';

/** Go's time.RFC3339 at second precision, in UTC (`2026-08-07T16:16:53Z`). */
export function rfc3339Seconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * When a result was gathered: its own `gatheredAt`, else the end of the last step that ran this
 * (method, identifier), else the end of the run.
 */
export function gatherTime(summary: RunSummary, result: MeasurementResult): Date {
  if (result.gatheredAt) return new Date(result.gatheredAt);
  for (const step of [...summary.steps].reverse()) {
    const m = step.measurements?.find(
      (x) => x.method === result.method && x.identifier === result.identifier,
    );
    if (m) return new Date(Date.parse(step.startedAt) + m.durationMs);
  }
  return new Date(summary.run.endedAt);
}

export function cl2FileName(summary: RunSummary, result: MeasurementResult): string {
  return `${result.summaryName}_${summary.run.scenario.name}_${rfc3339Seconds(gatherTime(summary, result))}.json`;
}

/** The CL2 files of a run, name → content; a name taken twice gets `_2`, `_3`… before `.json`. */
export function cl2Files(summary: RunSummary): Map<string, string> {
  const files = new Map<string, string>();
  for (const result of summary.measurements) {
    if (result.cl2 === undefined) continue;
    let name = cl2FileName(summary, result);
    for (let n = 2; files.has(name); n++)
      name = cl2FileName(summary, result).replace(/\.json$/, `_${n}.json`);
    files.set(name, goJsonIndent(result.cl2));
  }
  return files;
}
