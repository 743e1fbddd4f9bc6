/**
 * The SLO threshold table (cl2.md §5): every threshold hollowfleet checks has a name here, an
 * official default where sig-scalability defines one, and can be overridden by scenario params.
 * A name that is not in the table is a configuration error, never a silently ignored threshold.
 */
import { ConfigError } from '../common/errors.js';
import { EDGE_METRICS, type EdgeMetric } from '../edge/events.js';
import { durationMs } from './duration.js';

export type SloUnit = 'ms' | 'pods/s';

export interface SloDefinition {
  /** Stable name used in scenario overrides, e.g. `podStartupLatency.perc99`. */
  metric: string;
  unit: SloUnit;
  /** `<=` for latencies (observed must not exceed), `>=` for throughput (must reach). */
  comparator: '<=' | '>=';
  /** Official default; undefined means "not checked unless the scenario sets one". */
  defaultThreshold?: number;
  /** Where the default comes from. */
  source: string;
}

export const EDGE_SLI_METRICS: readonly EdgeMetric[] = EDGE_METRICS;

const OFFICIAL_POD = 'sig-scalability pod_startup_latency.md: p99 ≤ 5 s (CL2 threshold default 5s)';
const OFFICIAL_API = 'sig-scalability api_call_latency.md';

export const SLO_METRICS = {
  podStartupP50: 'podStartupLatency.perc50',
  podStartupP90: 'podStartupLatency.perc90',
  podStartupP99: 'podStartupLatency.perc99',
  apiResource: 'apiCallLatency.resource',
  apiNamespace: 'apiCallLatency.namespace',
  apiCluster: 'apiCallLatency.cluster',
  schedulingThroughput: 'schedulingThroughput.max',
} as const;

export const SLO_TABLE: readonly SloDefinition[] = [
  {
    metric: SLO_METRICS.podStartupP50,
    unit: 'ms',
    comparator: '<=',
    defaultThreshold: 5000,
    source: OFFICIAL_POD,
  },
  {
    metric: SLO_METRICS.podStartupP90,
    unit: 'ms',
    comparator: '<=',
    defaultThreshold: 5000,
    source: OFFICIAL_POD,
  },
  {
    metric: SLO_METRICS.podStartupP99,
    unit: 'ms',
    comparator: '<=',
    defaultThreshold: 5000,
    source: OFFICIAL_POD,
  },
  {
    metric: SLO_METRICS.apiResource,
    unit: 'ms',
    comparator: '<=',
    defaultThreshold: 1000,
    source: `${OFFICIAL_API}: single-object mutating and read-only calls, p99 ≤ 1 s`,
  },
  {
    metric: SLO_METRICS.apiNamespace,
    unit: 'ms',
    comparator: '<=',
    defaultThreshold: 30_000,
    source: `${OFFICIAL_API}: namespace-scoped LIST, p99 ≤ 30 s`,
  },
  {
    metric: SLO_METRICS.apiCluster,
    unit: 'ms',
    comparator: '<=',
    defaultThreshold: 30_000,
    source: `${OFFICIAL_API}: cluster-scoped LIST, p99 ≤ 30 s`,
  },
  {
    metric: SLO_METRICS.schedulingThroughput,
    unit: 'pods/s',
    comparator: '>=',
    source: 'no official SLO; CL2 checks `threshold` only when > 0 (density 0, load 100)',
  },
  ...EDGE_SLI_METRICS.flatMap((name) =>
    (['perc50', 'perc90', 'perc99'] as const).map((p): SloDefinition => ({
      metric: `edge.${name}.${p}`,
      unit: 'ms',
      comparator: '<=',
      source: 'hollowfleet edge SLI; no official SLO, checked only when the scenario sets it',
    })),
  ),
];

export interface ResolvedThreshold {
  definition: SloDefinition;
  /** undefined: not checked. */
  threshold: number | undefined;
  origin: 'default' | 'override';
}

export type ResolvedThresholds = ReadonlyMap<string, ResolvedThreshold>;

const BY_NAME = new Map(SLO_TABLE.map((d) => [d.metric, d]));

/**
 * Applies scenario overrides (`{ "podStartupLatency.perc99": "3s", ... }`) to the official table.
 * Latency values are Go durations or ms; throughput values are numbers (pods/s). `null` disables.
 */
export function resolveThresholds(overrides?: unknown): ResolvedThresholds {
  const out = new Map<string, ResolvedThreshold>();
  for (const d of SLO_TABLE)
    out.set(d.metric, { definition: d, threshold: d.defaultThreshold, origin: 'default' });
  if (overrides === undefined || overrides === null) return out;
  if (typeof overrides !== 'object' || Array.isArray(overrides))
    throw new ConfigError(
      `slo: expected a map of SLO name → threshold, e.g. {"podStartupLatency.perc99": "5s"}, got ${JSON.stringify(overrides)}`,
    );
  for (const [name, value] of Object.entries(overrides as Record<string, unknown>)) {
    const d = BY_NAME.get(name);
    if (!d)
      throw new ConfigError(
        `slo: unknown SLO "${name}"; known names: ${SLO_TABLE.map((x) => x.metric).join(', ')}`,
      );
    out.set(name, {
      definition: d,
      threshold: parseThreshold(d, value, `slo.${name}`),
      origin: 'override',
    });
  }
  return out;
}

export function parseThreshold(d: SloDefinition, value: unknown, what: string): number | undefined {
  if (value === null) return undefined;
  if (d.unit === 'ms') {
    const ms = durationMs(value, what);
    if (!(ms > 0))
      throw new ConfigError(`${what}: a latency threshold must be positive, got ${String(value)}`);
    return ms;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new ConfigError(
      `${what}: expected a non-negative number of ${d.unit}, got ${JSON.stringify(value)}`,
    );
  return value;
}

/** The table entry an API call key is judged against by default (CL2: 1 s for scope=resource, else 30 s). */
export function apiCallSloMetric(scope: string): string {
  if (scope === 'resource') return SLO_METRICS.apiResource;
  if (scope === 'namespace') return SLO_METRICS.apiNamespace;
  return SLO_METRICS.apiCluster;
}

/** Threshold value of a table entry, or an error naming it when the entry is unknown. */
export function thresholdOf(table: ResolvedThresholds, metric: string): number | undefined {
  const entry = table.get(metric);
  if (!entry) throw new ConfigError(`slo: unknown SLO "${metric}"`);
  return entry.threshold;
}
