/**
 * The versioned result model of one run: what `summary.json` holds and what every other artifact
 * (CL2 files, junit.xml, report.html, summary.md, the console table, `compare`) is derived from.
 * Bump SUMMARY_SCHEMA on any incompatible change; `compare` refuses mixed schemas.
 */
import type { EncodedHistogram } from '../common/histogram.js';
import type { ClusterTimelinePoint } from '../measure/timeline.js';
import type { MeasurementResult } from '../measure/types.js';
import type { StepResult } from '../scenario/executor.js';

export type { StepResult };
export type TimelinePoint = ClusterTimelinePoint;

export const SUMMARY_SCHEMA = 2;

export type RunVerdict = 'pass' | 'fail' | 'incomplete';

export interface RunSummary {
  schema: typeof SUMMARY_SCHEMA;
  tool: { name: 'hollowfleet'; version: string };
  run: {
    id: string;
    /** Scenario identity: CL2 `name`, file path, sha256 of the rendered config. */
    scenario: { name: string; path: string; hash: string };
    /** The template mapping the scenario was rendered with (overrides, CL2_*, Nodes). */
    params: Record<string, unknown>;
    target: {
      kind: 'embedded' | 'external';
      server: string;
      kubernetesVersion?: string;
      kubeedgeVersion?: string;
    };
    /** `.Nodes` as the scenario saw it, and the fleet size. */
    nodes: number;
    fleet: { mode: 'local' | 'external' | 'none'; nodes: number; shards?: number };
    startedAt: string;
    endedAt: string;
    durationMs: number;
    /** False for interrupted or aborted runs; `failureReason` says why. */
    complete: boolean;
    failureReason?: string;
    /** Process exit code chosen for this run (see README "Exit codes"). */
    exitCode: number;
  };
  verdict: RunVerdict;
  steps: StepResult[];
  measurements: MeasurementResult[];
  /** Edge-side HDR histograms merged across workers and shards, and fleet counters. */
  fleet?: {
    histograms: Record<string, EncodedHistogram>;
    counters: Record<string, number>;
    errorsByCode: Record<string, number>;
  };
  timeline: TimelinePoint[];
  /** What the harness itself went through: API requests retried, watches that had to recover. */
  harness?: { apiRetries: number; watchRecoveries: number };
  /** Baseline comparison applied at the end of the run, if any. */
  comparison?: ComparisonResult;
}

export interface ComparisonRow {
  /** Stable key, e.g. `PodStartupLatency_PodStartupLatency pod_startup Perc99`. */
  metric: string;
  unit: string;
  baseline: number;
  current: number;
  /** (current − baseline) / baseline; null when the baseline is 0. */
  change: number | null;
  verdict: 'same' | 'regressed' | 'improved' | 'new' | 'missing';
  /** True when higher is better (throughput). */
  higherIsBetter: boolean;
}

export interface ComparisonResult {
  baseline: { path: string; runId: string };
  tolerance: number;
  minDeltaMs: number;
  rows: ComparisonRow[];
  regressed: boolean;
}
