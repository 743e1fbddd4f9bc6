/**
 * APIResponsivenessPrometheus without a Prometheus server (cl2.md §3.4–3.5). The kube-apiserver
 * latency histogram of every instance is scraped from `/metrics`; per-series deltas are summed
 * across instances by (resource, subresource, verb, scope) and reduced with Prometheus'
 * `histogram_quantile`, reproducing CL2's queries:
 * - simple (`useSimpleLatencyQuery: true`, identifier `APIResponsivenessPrometheusSimple`): one
 *   histogram over the whole window [t0, t1];
 * - windowed (CL2's default query): 1-minute quantiles at every scrape tick, then the 99th
 *   percentile over time of each quantile series over the last D' = max(D − 5m, 1m).
 * Counts and slow counts follow CL2's count queries, including its zero-count-row quirk.
 */
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../common/errors.js';
import type { ServerVersion } from '../kube/api.js';
import { durationMs } from './duration.js';
import {
  deltaSamples,
  histogramQuantile,
  parseExposition,
  parseLe,
  prometheusQuantile,
  type Bucket,
  type Sample,
} from './prometheus.js';
import { actionOf, boolParam, describeFailures, numberParam, stringParam } from './result.js';
import { apiserverTargets, scrapeProblem, scrapeText } from './scrape.js';
import { apiCallSloMetric, resolveThresholds, type ResolvedThresholds } from './slo.js';
import type {
  Measurement,
  MeasurementContext,
  MeasurementMethod,
  MeasurementParams,
  MeasurementResult,
  Verdict,
} from './types.js';

export const SLI_METRIC = 'apiserver_request_sli_duration_seconds';
export const SLO_METRIC_DEPRECATED = 'apiserver_request_slo_duration_seconds';
export const DURATION_METRIC = 'apiserver_request_duration_seconds';
export const WATCH_LIST_METRIC = 'apiserver_watch_list_duration_seconds';
export const STREAMING_SUBRESOURCES: ReadonlySet<string> = new Set([
  'log',
  'exec',
  'portforward',
  'attach',
  'proxy',
]);
const QUANTILES = [0.5, 0.9, 0.99] as const;
const SKIP_WINDOW_MS = 5 * 60_000;
const RATE_WINDOW_MS = 60_000;

export type VersionLike = Pick<ServerVersion, 'major' | 'minor'>;

/**
 * The latency histogram CL2 queries for a server version (`GetApiserverSLI`). The minor version is
 * compared as a string, exactly as CL2 does: "9" sorts after "26", so a 1.9 server would get the sli
 * name, and "26+" (GKE style) counts as ≥ 26.
 */
export function apiserverLatencyMetric(version?: VersionLike): string {
  if (!version) return SLI_METRIC;
  if (version.major === '1' && version.minor < '23') return DURATION_METRIC;
  if (version.major === '1' && version.minor < '26') return SLO_METRIC_DEPRECATED;
  return SLI_METRIC;
}

/** One apiserver instance's `/metrics` text. */
export interface ApiserverScrape {
  instance: string;
  text: string;
}

export interface CustomThreshold {
  resource: string;
  subresource?: string;
  verb: string;
  scope: string;
  /** Go duration ("2s") or milliseconds; must be positive. */
  threshold: string | number;
}

export interface ApiResponsivenessParams {
  /** CL2 default false: violations are reported but do not fail the measurement. */
  enableViolations?: boolean;
  /** CL2 default 0 (slow counts ignored). */
  allowedSlowCalls?: number;
  /** Overrides the 1 s threshold of every scope=resource call (CL2 `singleResourceThreshold`). */
  singleResourceThreshold?: string | number;
  /** A list, or CL2's YAML string form of it. */
  customThresholds?: readonly CustomThreshold[] | string;
  /** The scenario's SLO table (slo.ts); defaults to the official SLOs. */
  thresholds?: ResolvedThresholds;
  /** Picks the histogram as CL2 does; ignored when `metricName` is given. */
  serverVersion?: VersionLike;
  metricName?: string;
}

export interface ApiCallRow {
  resource: string;
  subresource: string;
  verb: string;
  scope: string;
  perc50Ms: number;
  perc90Ms: number;
  perc99Ms: number;
  count: number;
  slowCount: number;
  thresholdMs: number;
  /** The SLO table key, `singleResourceThreshold` or `custom`. */
  thresholdSource: string;
  pass: boolean;
  /** Passed only because SlowCount ≤ allowedSlowCalls (> 0). */
  withinSlowCallBudget: boolean;
}

interface CallLabels {
  resource: string;
  subresource: string;
  verb: string;
  scope: string;
}

interface KeyQuantiles {
  labels: CallLabels;
  /** Seconds per quantile 0.5/0.9/0.99; undefined where PromQL returned NaN (dropped by CL2). */
  seconds: Array<number | undefined>;
}

function callKey(l: CallLabels): string {
  return `${l.resource}|${l.subresource}|${l.verb}|${l.scope}`;
}

function callLabels(labels: Record<string, string>): CallLabels {
  return {
    resource: labels.resource ?? '',
    subresource: labels.subresource ?? '',
    verb: labels.verb ?? '',
    scope: labels.scope ?? '',
  };
}

/** Go `math.Round`: half away from zero. */
function goRound(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/** Seconds → Go time.Duration (ns, truncated) → ms, as CL2 writes PerfData. */
export function secondsToCl2Ms(seconds: number): number {
  return Math.trunc(seconds * 1e9) / 1e6;
}

function relevantNames(metric: string): Set<string> {
  return new Set([
    `${metric}_bucket`,
    `${metric}_count`,
    `${WATCH_LIST_METRIC}_bucket`,
    `${WATCH_LIST_METRIC}_count`,
  ]);
}

type ParsedScrape = Map<string, Sample[]>;

function parseScrapes(scrapes: readonly ApiserverScrape[], metric: string): ParsedScrape {
  const names = relevantNames(metric);
  const parsed: ParsedScrape = new Map();
  for (const s of scrapes) {
    if (parsed.has(s.instance))
      throw new ConfigError(
        `apiserver scrape instance "${s.instance}" appears twice; give each apiserver instance a distinct name`,
      );
    parsed.set(
      s.instance,
      parseExposition(s.text, (n) => names.has(n)),
    );
  }
  return parsed;
}

/** Per-instance deltas, concatenated: summing them later is Prometheus' `sum by` across instances. */
function instanceDeltas(start: ParsedScrape, end: ParsedScrape): Sample[] {
  const out: Sample[] = [];
  for (const [instance, endSamples] of end)
    for (const d of deltaSamples(start.get(instance) ?? [], endSamples)) out.push(d);
  return out;
}

function filteredOut(labels: Record<string, string>): boolean {
  return labels.verb === 'WATCH' || STREAMING_SUBRESOURCES.has(labels.subresource ?? '');
}

function addBucket(groups: Map<string, Map<number, number>>, key: string, le: number, v: number) {
  let buckets = groups.get(key);
  if (!buckets) {
    buckets = new Map();
    groups.set(key, buckets);
  }
  buckets.set(le, (buckets.get(le) ?? 0) + v);
}

function quantilesOf(buckets: Map<number, number>): Array<number | undefined> {
  const list: Bucket[] = [...buckets].map(([le, count]) => ({ le, count }));
  return QUANTILES.map((q) => {
    const v = histogramQuantile(q, list);
    return Number.isNaN(v) ? undefined : v;
  });
}

/**
 * Latency quantiles per call key over one set of deltas: the simple queries (with the WATCHLIST
 * query), or CL2's recording rule (without it, and keeping all-NaN keys, which PromQL records).
 */
function latencyQuantiles(
  deltas: readonly Sample[],
  metric: string,
  mode: 'simple' | 'recording-rule' = 'simple',
): Map<string, KeyQuantiles> {
  const groups = new Map<string, Map<number, number>>();
  const labelsByKey = new Map<string, CallLabels>();
  const watchListGroups = new Map<string, Map<number, number>>();
  const watchListLabels = new Map<string, CallLabels>();
  for (const s of deltas) {
    const le = parseLe(s.labels.le);
    if (Number.isNaN(le)) continue;
    if (s.name === `${metric}_bucket`) {
      if (filteredOut(s.labels)) continue;
      const labels = callLabels(s.labels);
      const key = callKey(labels);
      labelsByKey.set(key, labels);
      addBucket(groups, key, le, s.value);
    } else if (mode === 'simple' && s.name === `${WATCH_LIST_METRIC}_bucket`) {
      const l = s.labels;
      const groupKey = `${l.group ?? ''}|${l.version ?? ''}|${l.resource ?? ''}|${l.scope ?? ''}`;
      watchListLabels.set(groupKey, {
        resource: l.resource ?? '',
        subresource: '',
        verb: 'WATCHLIST',
        scope: l.scope ?? '',
      });
      addBucket(watchListGroups, groupKey, le, s.value);
    }
  }
  const out = new Map<string, KeyQuantiles>();
  const put = (labels: CallLabels, buckets: Map<number, number>) => {
    const seconds = quantilesOf(buckets);
    if (mode === 'simple' && seconds.every((v) => v === undefined)) return;
    out.set(callKey(labels), { labels, seconds });
  };
  for (const [key, buckets] of groups) put(labelsByKey.get(key)!, buckets);
  // CL2 keys WATCHLIST by resource and scope only: the (group, version) processed last wins. Sorted
  // here so that "last" is deterministic.
  for (const groupKey of [...watchListGroups.keys()].sort())
    put(watchListLabels.get(groupKey)!, watchListGroups.get(groupKey)!);
  return out;
}

interface CallCounts {
  counts: Map<string, number>;
  fastCounts: Map<string, number>;
  labels: Map<string, CallLabels>;
}

/** CL2's count and fast-count queries (§3.4 "Count" and "Fast count"). */
function callCounts(deltas: readonly Sample[], metric: string): CallCounts {
  const rawCounts = new Map<string, number>();
  const rawFast = new Map<string, number>();
  const labels = new Map<string, CallLabels>();
  const add = (m: Map<string, number>, l: CallLabels, v: number) => {
    const key = callKey(l);
    labels.set(key, l);
    m.set(key, (m.get(key) ?? 0) + v);
  };
  for (const s of deltas) {
    if (s.name === `${metric}_count`) {
      if (!filteredOut(s.labels)) add(rawCounts, callLabels(s.labels), s.value);
    } else if (s.name === `${WATCH_LIST_METRIC}_count`) {
      add(rawCounts, { ...callLabels(s.labels), verb: 'WATCHLIST' }, s.value);
    } else if (s.name === `${metric}_bucket`) {
      // The fast-count filters run on the unfiltered metric: only `proxy` is excluded from the
      // GET/mutating filter, which is how CONNECT rows can end up with a negative SlowCount.
      const l = s.labels;
      const le = parseLe(l.le);
      const verb = l.verb ?? '';
      const scope = l.scope ?? '';
      const fast =
        (verb !== 'WATCH' && verb !== 'LIST' && l.subresource !== 'proxy' && le === 1) ||
        (scope !== 'cluster' && verb === 'LIST' && le === 5) ||
        (scope === 'cluster' && verb === 'LIST' && le === 30);
      if (fast) add(rawFast, callLabels(l), s.value);
    }
  }
  const counts = new Map<string, number>();
  for (const [key, v] of rawCounts) {
    const rounded = goRound(v);
    if (rounded !== 0) counts.set(key, rounded);
  }
  const fastCounts = new Map<string, number>();
  for (const [key, v] of rawFast) fastCounts.set(key, goRound(v));
  return { counts, fastCounts, labels };
}

interface ThresholdPlan {
  thresholds: ResolvedThresholds;
  singleResourceMs: number | undefined;
  custom: Map<string, number>;
}

function parseCustomThresholds(
  input: readonly CustomThreshold[] | string | undefined,
): CustomThreshold[] {
  if (input === undefined) return [];
  if (typeof input !== 'string') return [...input];
  if (input.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = parseYaml(input);
  } catch (err) {
    throw new ConfigError(
      `customThresholds: not valid YAML (${err instanceof Error ? err.message : String(err)}); expected a list of {resource, subresource, verb, scope, threshold}`,
    );
  }
  if (parsed === null || parsed === undefined) return [];
  if (!Array.isArray(parsed))
    throw new ConfigError(
      'customThresholds: expected a YAML list of {resource, subresource, verb, scope, threshold}',
    );
  return parsed.map((entry: unknown, i) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const field = (name: string) =>
      e[name] === undefined || e[name] === null ? '' : String(e[name]);
    const threshold = e.threshold;
    if (typeof threshold !== 'string' && typeof threshold !== 'number')
      throw new ConfigError(
        `customThresholds[${i}]: missing "threshold" (a duration such as "2s")`,
      );
    return {
      resource: field('resource'),
      subresource: field('subresource'),
      verb: field('verb'),
      scope: field('scope'),
      threshold,
    };
  });
}

function planThresholds(params: ApiResponsivenessParams): ThresholdPlan {
  const custom = new Map<string, number>();
  parseCustomThresholds(params.customThresholds).forEach((entry, i) => {
    const ms = durationMs(entry.threshold, `customThresholds[${i}].threshold`);
    if (!(ms > 0))
      throw new ConfigError(
        `customThresholds[${i}] (${entry.verb} ${entry.resource}): the threshold must be a positive duration, got ${String(entry.threshold)}`,
      );
    custom.set(
      callKey({
        resource: entry.resource,
        subresource: entry.subresource ?? '',
        verb: entry.verb,
        scope: entry.scope,
      }),
      ms,
    );
  });
  let singleResourceMs: number | undefined;
  if (params.singleResourceThreshold !== undefined) {
    singleResourceMs = durationMs(params.singleResourceThreshold, 'singleResourceThreshold');
    if (!(singleResourceMs > 0))
      throw new ConfigError('singleResourceThreshold: must be a positive duration such as "1s"');
  }
  return { thresholds: params.thresholds ?? resolveThresholds(), singleResourceMs, custom };
}

function buildRows(
  latency: Map<string, KeyQuantiles>,
  counted: CallCounts,
  plan: ThresholdPlan,
  allowedSlowCalls: number,
): ApiCallRow[] {
  const keys = new Map<string, CallLabels>();
  for (const [key, q] of latency) keys.set(key, q.labels);
  for (const key of counted.counts.keys()) keys.set(key, counted.labels.get(key)!);
  // CL2 looks the count up for every fast-count sample, which creates the row even when idle.
  for (const key of counted.fastCounts.keys()) keys.set(key, counted.labels.get(key)!);
  const rows: ApiCallRow[] = [];
  for (const [key, labels] of keys) {
    const seconds = latency.get(key)?.seconds ?? [];
    const [p50, p90, p99] = [0, 1, 2].map((i) => {
      const s = seconds[i];
      return s === undefined ? 0 : secondsToCl2Ms(s);
    }) as [number, number, number];
    const count = counted.counts.get(key) ?? 0;
    const fast = counted.fastCounts.get(key);
    const slowCount = fast === undefined ? 0 : count - fast;
    let thresholdMs: number;
    let thresholdSource: string;
    const custom = plan.custom.get(key);
    if (custom !== undefined) {
      thresholdMs = custom;
      thresholdSource = 'custom';
    } else if (labels.scope === 'resource' && plan.singleResourceMs !== undefined) {
      thresholdMs = plan.singleResourceMs;
      thresholdSource = 'singleResourceThreshold';
    } else {
      thresholdSource = apiCallSloMetric(labels.scope);
      thresholdMs = plan.thresholds.get(thresholdSource)?.threshold ?? Infinity;
    }
    const withinSlowCallBudget = allowedSlowCalls > 0 && slowCount <= allowedSlowCalls;
    const exceeds = p50 > thresholdMs || p90 > thresholdMs || p99 > thresholdMs;
    rows.push({
      ...labels,
      perc50Ms: p50,
      perc90Ms: p90,
      perc99Ms: p99,
      count,
      slowCount,
      thresholdMs,
      thresholdSource,
      pass: withinSlowCallBudget || !exceeds,
      withinSlowCallBudget,
    });
  }
  // CL2 sorts by Perc99 descending (unstable); ties broken by key here for reproducible files.
  return rows.sort(
    (a, b) =>
      b.perc99Ms - a.perc99Ms || (callKey(a) < callKey(b) ? -1 : callKey(a) > callKey(b) ? 1 : 0),
  );
}

function describeCall(row: CallLabels): string {
  return `${row.verb} ${row.resource}${row.subresource ? `/${row.subresource}` : ''} ${row.scope || 'noscope'}`;
}

export function apiPerfData(rows: readonly ApiCallRow[]): unknown {
  return {
    version: 'v1',
    dataItems: rows.map((r) => ({
      data: { Perc50: r.perc50Ms, Perc90: r.perc90Ms, Perc99: r.perc99Ms },
      unit: 'ms',
      labels: {
        Count: String(r.count),
        Resource: r.resource,
        Scope: r.scope,
        SlowCount: String(r.slowCount),
        Subresource: r.subresource,
        Verb: r.verb,
      },
    })),
  };
}

export type ApiVariant = 'simple' | 'windowed';

export interface ApiResultBase {
  identifier: string;
  summaryName: string;
  variant: ApiVariant;
}

export function apiSource(variant: ApiVariant, metric?: string): string {
  return variant === 'simple'
    ? `apiserver /metrics diff${metric ? `, ${metric}` : ''}, simple`
    : `apiserver /metrics periodic scrapes${metric ? `, ${metric}` : ''}, 1m windows, p99 over time`;
}

function skipped(base: ApiResultBase, reason: string, metric?: string): MeasurementResult {
  return {
    method: 'APIResponsivenessPrometheus',
    identifier: base.identifier,
    summaryName: base.summaryName,
    status: 'skipped',
    reason,
    source: apiSource(base.variant, metric),
    verdicts: [],
    data: { kind: 'none' },
  };
}

function finish(
  base: ApiResultBase,
  params: ApiResponsivenessParams,
  metric: string,
  latency: Map<string, KeyQuantiles>,
  counted: CallCounts,
  context: { instances: string[]; durationSeconds: number; sawMetric: boolean },
): MeasurementResult {
  if (!context.sawMetric)
    return skipped(
      base,
      `none of the scraped instances (${context.instances.join(', ') || 'none'}) exposes ${metric}_bucket, ` +
        `the histogram CL2 queries for this server version (sli ≥ 1.26, slo 1.23–1.25, duration < 1.23); ` +
        `check that the target is a kube-apiserver /metrics endpoint`,
      metric,
    );
  const plan = planThresholds(params);
  const enableViolations = params.enableViolations ?? false;
  const allowedSlowCalls = params.allowedSlowCalls ?? 0;
  if (!Number.isInteger(allowedSlowCalls) || allowedSlowCalls < 0)
    throw new ConfigError(
      `allowedSlowCalls: ${allowedSlowCalls} is not a non-negative integer number of calls`,
    );
  const rows = buildRows(latency, counted, plan, allowedSlowCalls);
  const method = `APIResponsivenessPrometheus (${apiSource(base.variant)})`;
  const verdicts: Verdict[] = rows
    .filter((r) => r.count > 0 || !r.pass)
    .map((r) => ({
      metric: `${describeCall(r)} Perc99`,
      observed: Math.max(r.perc50Ms, r.perc90Ms, r.perc99Ms),
      threshold: r.thresholdMs,
      comparator: '<=' as const,
      unit: 'ms' as const,
      samples: r.count,
      method,
      pass: r.pass,
      enforced: enableViolations,
    }));
  const notes: string[] = [];
  if (
    metric !== DURATION_METRIC &&
    rows.some((r) => r.count > 0 && r.perc99Ms > 0 && r.perc99Ms <= 50)
  )
    notes.push(
      `calls that all complete under the first bucket bound (50 ms) of ${metric} report p50/p90/p99 = 25/45/49.5 ms; their spread is invisible`,
    );
  const rowKeys = new Set(rows.map(callKey));
  const unmatched = [...plan.custom.keys()].filter((k) => !rowKeys.has(k));
  if (unmatched.length > 0)
    notes.push(
      `customThresholds matching no observed call (ignored, as CL2 does): ${unmatched.join(', ')}`,
    );
  const failing = verdicts.filter((v) => !v.pass);
  let status: MeasurementResult['status'] = 'pass';
  if (!rows.some((r) => r.count > 0)) {
    status = 'skipped';
    notes.unshift(
      `no API calls were recorded in ${metric} between the scrapes (${context.instances.length} instance(s), ${context.durationSeconds.toFixed(0)} s); nothing to judge`,
    );
  } else if (failing.length > 0 && enableViolations) {
    status = 'fail';
    notes.unshift(
      `top latency metric: ${failing.length} call type(s) above threshold: ${describeFailures(failing)}`,
    );
  } else if (failing.length > 0) {
    notes.unshift(
      `${failing.length} call type(s) above threshold, not enforced because enableViolations is false (the CL2 default): ${describeFailures(failing)}`,
    );
  }
  const result: MeasurementResult = {
    method: 'APIResponsivenessPrometheus',
    identifier: base.identifier,
    summaryName: base.summaryName,
    status,
    source: apiSource(base.variant, metric),
    verdicts,
    data: {
      kind: 'apiLatency',
      metricName: metric,
      items: rows.map((r) => ({
        verb: r.verb,
        resource: r.resource,
        subresource: r.subresource,
        scope: r.scope,
        Perc50: r.perc50Ms,
        Perc90: r.perc90Ms,
        Perc99: r.perc99Ms,
        count: r.count,
        slowCount: r.slowCount,
        thresholdMs: r.thresholdMs,
      })),
    },
    cl2: apiPerfData(rows),
  };
  if (notes.length > 0) result.reason = notes.join('; ');
  return result;
}

function sawMetric(parsed: ParsedScrape, metric: string): boolean {
  for (const samples of parsed.values())
    if (samples.some((s) => s.name === `${metric}_bucket`)) return true;
  return false;
}

/** The simple variant from one scrape per instance at start and at gather. */
export function computeApiResponsivenessSimple(input: {
  start: readonly ApiserverScrape[];
  end: readonly ApiserverScrape[];
  base?: Partial<ApiResultBase>;
  durationSeconds?: number;
  params?: ApiResponsivenessParams;
}): MeasurementResult {
  const params = input.params ?? {};
  const metric = params.metricName ?? apiserverLatencyMetric(params.serverVersion);
  const start = parseScrapes(input.start, metric);
  const end = parseScrapes(input.end, metric);
  const deltas = instanceDeltas(start, end);
  return finish(
    {
      identifier: input.base?.identifier ?? 'APIResponsivenessPrometheusSimple',
      summaryName: input.base?.summaryName ?? 'APIResponsivenessPrometheus_simple',
      variant: 'simple',
    },
    params,
    metric,
    latencyQuantiles(deltas, metric),
    callCounts(deltas, metric),
    {
      instances: [...end.keys()],
      durationSeconds: input.durationSeconds ?? 0,
      sawMetric: sawMetric(end, metric),
    },
  );
}

interface Tick {
  timeMs: number;
  scrape: ParsedScrape;
}

/**
 * The windowed (non-simple) variant, fed with periodic scrapes. It keeps the first scrape (for the
 * counts), the last minute of scrapes (for the 1-minute rate window) and, per call key and tick,
 * the three recording-rule values — a few numbers per key per tick.
 */
export class WindowedApiResponsiveness {
  private first: Tick | undefined;
  private recent: Tick[] = [];
  private readonly series = new Map<
    string,
    { labels: CallLabels; times: number[]; values: number[][] }
  >();
  private readonly instances = new Set<string>();
  private metricSeen = false;
  readonly metric: string;

  constructor(
    private readonly params: ApiResponsivenessParams = {},
    private readonly options: { skipMs?: number; rateWindowMs?: number } = {},
  ) {
    this.metric = params.metricName ?? apiserverLatencyMetric(params.serverVersion);
  }

  addScrape(timeMs: number, scrapes: readonly ApiserverScrape[]): void {
    const last = this.recent.at(-1);
    if (last && timeMs <= last.timeMs) return;
    const current: Tick = { timeMs, scrape: parseScrapes(scrapes, this.metric) };
    for (const s of scrapes) this.instances.add(s.instance);
    if (sawMetric(current.scrape, this.metric)) this.metricSeen = true;
    this.first ??= current;
    const rateWindowMs = this.options.rateWindowMs ?? RATE_WINDOW_MS;
    // A range selector [1m] at t covers the samples in [t − 1m, t]; rate uses the first and last.
    const windowStart = this.recent.find((s) => s.timeMs >= timeMs - rateWindowMs);
    this.recent.push(current);
    this.recent = this.recent.filter((s) => s.timeMs >= timeMs - rateWindowMs);
    if (!windowStart) return;
    const quantiles = latencyQuantiles(
      instanceDeltas(windowStart.scrape, current.scrape),
      this.metric,
      'recording-rule',
    );
    for (const [key, q] of quantiles) {
      let entry = this.series.get(key);
      if (!entry) {
        entry = { labels: q.labels, times: [], values: [[], [], []] };
        this.series.set(key, entry);
      }
      entry.times.push(timeMs);
      // The recording rule stores NaN for idle windows; quantile_over_time sorts NaN first.
      q.seconds.forEach((s, i) => entry.values[i]!.push(s ?? NaN));
    }
  }

  result(base: Partial<ApiResultBase> = {}): MeasurementResult {
    const b: ApiResultBase = {
      identifier: base.identifier ?? 'APIResponsivenessPrometheus',
      summaryName: base.summaryName ?? 'APIResponsivenessPrometheus',
      variant: 'windowed',
    };
    const first = this.first;
    const last = this.recent.at(-1);
    const skipMs = this.options.skipMs ?? SKIP_WINDOW_MS;
    const rateWindowMs = this.options.rateWindowMs ?? RATE_WINDOW_MS;
    const lastedMs = first && last ? last.timeMs - first.timeMs : 0;
    if (!first || !last || lastedMs < skipMs + rateWindowMs)
      return skipped(
        b,
        `the measurement lasted ${(lastedMs / 1000).toFixed(0)} s but the windowed query needs at least ${(skipMs + rateWindowMs) / 1000} s ` +
          `(CL2 leaves out the first ${skipMs / 60_000} min and evaluates 1-minute windows); use the simple variant (useSimpleLatencyQuery: true) for short runs`,
        this.metric,
      );
    // quantile_over_time(0.99, …[D']) at t1 with D' = max(D − 5m, 1m).
    const rangeStart = last.timeMs - Math.max(lastedMs - skipMs, rateWindowMs);
    const latency = new Map<string, KeyQuantiles>();
    for (const [key, entry] of this.series) {
      const seconds = entry.values.map((values) => {
        const inRange = values.filter((_, i) => entry.times[i]! >= rangeStart);
        const v = prometheusQuantile(0.99, inRange);
        return Number.isNaN(v) ? undefined : v;
      });
      if (seconds.some((s) => s !== undefined)) latency.set(key, { labels: entry.labels, seconds });
    }
    return finish(
      b,
      this.params,
      this.metric,
      latency,
      callCounts(instanceDeltas(first.scrape, last.scrape), this.metric),
      {
        instances: [...this.instances],
        durationSeconds: lastedMs / 1000,
        sawMetric: this.metricSeen,
      },
    );
  }
}

/** Reads the measurement params CL2 defines for APIResponsivenessPrometheus. */
export function apiResponsivenessParams(
  params: MeasurementParams,
  version?: VersionLike,
): ApiResponsivenessParams {
  const out: ApiResponsivenessParams = {
    enableViolations: boolParam(params, 'enableViolations', false),
    allowedSlowCalls: numberParam(params, 'allowedSlowCalls', 0),
    thresholds: resolveThresholds(params.slo),
    serverVersion: version,
  };
  if (params.singleResourceThreshold !== undefined)
    out.singleResourceThreshold = params.singleResourceThreshold as string | number;
  if (params.customThresholds !== undefined)
    out.customThresholds = params.customThresholds as readonly CustomThreshold[] | string;
  const metricName = stringParam(params, 'metricName');
  if (metricName) out.metricName = metricName;
  return out;
}

class ApiResponsivenessMeasurement implements Measurement {
  private startScrapes: ApiserverScrape[] | undefined;
  private startedAt = 0;
  private version: VersionLike | undefined;
  private windowed: WindowedApiResponsiveness | undefined;
  private ticker: AbortController | undefined;
  private tickerDone: Promise<void> | undefined;
  private startParams: MeasurementParams = {};
  private startProblem: string | undefined;

  constructor(
    private readonly context: MeasurementContext,
    private readonly identifier: string,
    private readonly defaultScrapeIntervalMs: number,
  ) {}

  private base(params: MeasurementParams): ApiResultBase {
    const simple = boolParam(
      params,
      'useSimpleLatencyQuery',
      this.identifier === 'APIResponsivenessPrometheusSimple',
    );
    return {
      identifier: this.identifier,
      summaryName:
        stringParam(params, 'summaryName') ??
        (simple ? 'APIResponsivenessPrometheus_simple' : 'APIResponsivenessPrometheus'),
      variant: simple ? 'simple' : 'windowed',
    };
  }

  private async scrape(): Promise<{ scrapes: ApiserverScrape[] } | { problem: string }> {
    const targets = apiserverTargets(this.context.apiserverMetricsUrls);
    const scrapes: ApiserverScrape[] = [];
    for (const target of targets) {
      try {
        scrapes.push({
          instance: target.instance,
          text: await scrapeText(this.context.kube, target),
        });
      } catch (err) {
        return { problem: scrapeProblem('kube-apiserver', target, err) };
      }
    }
    return { scrapes };
  }

  async execute(params: MeasurementParams): Promise<MeasurementResult[]> {
    const action = actionOf(params);
    if (action === 'start') {
      await this.start(params);
      return [];
    }
    if (action === 'gather') return [await this.gather(params)];
    throw new ConfigError(
      `APIResponsivenessPrometheus ${this.identifier}: unknown action "${action}"; use start or gather`,
    );
  }

  private async start(params: MeasurementParams): Promise<void> {
    this.startParams = params;
    const base = this.base(params);
    // Validate thresholds now: a bad threshold is a configuration error before the load, not after.
    apiResponsivenessParams(params);
    try {
      this.version = await this.context.kube.serverVersion();
    } catch (err) {
      this.context.log(
        `APIResponsivenessPrometheus: server version unknown (${err instanceof Error ? err.message : String(err)}); assuming ≥ 1.26`,
      );
    }
    this.startedAt = this.context.now();
    const first = await this.scrape();
    if ('problem' in first) {
      this.startProblem = first.problem;
      return;
    }
    if (base.variant === 'simple') {
      this.startScrapes = first.scrapes.map((s) => ({ instance: s.instance, text: s.text }));
      return;
    }
    const windowed = new WindowedApiResponsiveness(apiResponsivenessParams(params, this.version));
    windowed.addScrape(this.context.now(), first.scrapes);
    this.windowed = windowed;
    const intervalParam = params.interval ?? params.scrapeInterval;
    const intervalMs =
      intervalParam !== undefined
        ? durationMs(intervalParam, 'APIResponsivenessPrometheus interval')
        : this.defaultScrapeIntervalMs;
    if (!(intervalMs > 0))
      throw new ConfigError(
        `APIResponsivenessPrometheus interval: must be a positive duration such as "5s"`,
      );
    const ticker = new AbortController();
    this.ticker = ticker;
    this.tickerDone = (async () => {
      for (let tick = 0; tick < 10_000_000 && !ticker.signal.aborted; tick++) {
        try {
          await this.context.sleep(intervalMs);
        } catch {
          return;
        }
        if (ticker.signal.aborted) return;
        const next = await this.scrape();
        if ('problem' in next)
          this.context.log(
            `APIResponsivenessPrometheus: scrape failed, tick skipped: ${next.problem}`,
          );
        else windowed.addScrape(this.context.now(), next.scrapes);
      }
    })();
  }

  private stopTicker(): Promise<void> | undefined {
    this.ticker?.abort();
    this.ticker = undefined;
    return this.tickerDone;
  }

  private async gather(gatherParams: MeasurementParams): Promise<MeasurementResult> {
    const params = { ...this.startParams, ...gatherParams };
    const base = this.base(params);
    if (this.startProblem) return skipped(base, this.startProblem);
    if (!this.startScrapes && !this.windowed)
      throw new ConfigError(
        `APIResponsivenessPrometheus ${this.identifier}: gather without start; add an action: start step before it`,
      );
    const end = await this.scrape();
    if ('problem' in end) {
      await this.stopTicker();
      return skipped(base, end.problem);
    }
    const apiParams = apiResponsivenessParams(params, this.version);
    const durationSeconds = Math.trunc((this.context.now() - this.startedAt) / 1000);
    if (this.windowed) {
      await this.stopTicker();
      this.windowed.addScrape(this.context.now(), end.scrapes);
      const result = this.windowed.result(base);
      this.windowed = undefined;
      return result;
    }
    const result = computeApiResponsivenessSimple({
      start: this.startScrapes!,
      end: end.scrapes,
      base,
      durationSeconds,
      params: apiParams,
    });
    this.startScrapes = undefined;
    return result;
  }

  async dispose(): Promise<void> {
    await this.stopTicker();
    this.startScrapes = undefined;
    this.windowed = undefined;
  }
}

/** `scrapeIntervalMs`: the windowed variant's default scrape period (CL2's Prometheus: 5 s). */
export function apiResponsivenessMethod(
  options: { scrapeIntervalMs?: number } = {},
): MeasurementMethod {
  return {
    name: 'APIResponsivenessPrometheus',
    create: (context, identifier) =>
      new ApiResponsivenessMeasurement(context, identifier, options.scrapeIntervalMs ?? 5000),
  };
}
