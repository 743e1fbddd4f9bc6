/**
 * Measurements over HDR histograms that hollowfleet itself records:
 * - `ClientSideApiLatency`: the harness's own request latency per (verb, resource, scope), judged
 *   against the same 1 s / 30 s thresholds as the API SLO, labelled client-side (it includes the
 *   network and client queueing, so it is an upper bound of the server-side SLI).
 * - `EdgeSLIs`: the hollow nodes' edge latencies (registration → Ready, pod delivery, status
 *   round trip, …) from fleet snapshots, with optional per-percentile thresholds.
 * Both window the histograms: the snapshot taken at `start` is subtracted at `gather`.
 */
import { ConfigError } from '../common/errors.js';
import {
  decodeHistogram,
  encodeHistogram,
  type EncodedHistogram,
  type Histogram,
} from '../common/histogram.js';
import { actionOf, boolParam, describeFailures } from './result.js';
import {
  apiCallSloMetric,
  EDGE_SLI_METRICS,
  parseThreshold,
  resolveThresholds,
  SLO_TABLE,
  thresholdOf,
} from './slo.js';
import type {
  Measurement,
  MeasurementContext,
  MeasurementMethod,
  MeasurementParams,
  MeasurementResult,
  Verdict,
} from './types.js';

const PERCENTILES = [
  ['perc50', 'Perc50', 50],
  ['perc90', 'Perc90', 90],
  ['perc99', 'Perc99', 99],
] as const;

/** gather − start, per key; keys new at gather count from zero. */
export function windowHistograms(
  start: ReadonlyMap<string, EncodedHistogram> | undefined,
  end: ReadonlyMap<string, EncodedHistogram>,
): Map<string, Histogram> {
  const out = new Map<string, Histogram>();
  for (const [key, encoded] of end) {
    const h = decodeHistogram(encoded, key);
    const before = start?.get(key);
    if (before) {
      const b = decodeHistogram(before, key);
      // A shard restart can make the start snapshot larger: then the end snapshot is the window.
      if (b.totalCount <= h.totalCount) h.subtract(b);
    }
    out.set(key, h);
  }
  return out;
}

function percentileMs(h: Histogram, p: number): number {
  return h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000;
}

class ClientSideApiLatencyMeasurement implements Measurement {
  private start: Map<string, EncodedHistogram> | undefined;
  private startParams: MeasurementParams = {};

  constructor(
    private readonly context: MeasurementContext,
    private readonly identifier: string,
  ) {}

  private base() {
    return {
      method: 'ClientSideApiLatency',
      identifier: this.identifier,
      summaryName: `ClientSideApiLatency_${this.identifier}`,
      source: 'client-side (hollowfleet kube client, HDR histograms)',
    };
  }

  async execute(params: MeasurementParams): Promise<MeasurementResult[]> {
    const action = actionOf(params);
    const source = this.context.clientLatency;
    if (action === 'start') {
      resolveThresholds(params.slo);
      this.startParams = params;
      this.start = source ? new Map(source.histograms()) : undefined;
      return [];
    }
    if (action !== 'gather')
      throw new ConfigError(
        `ClientSideApiLatency ${this.identifier}: unknown action "${action}"; use start or gather`,
      );
    if (!source)
      return [
        {
          ...this.base(),
          status: 'skipped',
          reason:
            'no client-side latency source: the kube client in use does not record request latency',
          verdicts: [],
          data: { kind: 'none' },
        },
      ];
    const merged = { ...this.startParams, ...params };
    const table = resolveThresholds(merged.slo);
    const enforced = boolParam(merged, 'enableViolations', false);
    const windowed = windowHistograms(this.start, source.histograms());
    const verdicts: Verdict[] = [];
    const histograms: Record<string, EncodedHistogram> = {};
    const counters: Record<string, number> = {};
    for (const [key, h] of [...windowed].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (h.totalCount === 0) continue;
      histograms[key] = encodeHistogram(h);
      counters[key] = h.totalCount;
      const scope = key.split(' ')[2] ?? '';
      const threshold = thresholdOf(table, apiCallSloMetric(scope));
      if (threshold === undefined) continue;
      // The same check as CL2's API call metric: each of p50/p90/p99 against the threshold.
      for (const [, field, p] of PERCENTILES) {
        const observed = percentileMs(h, p);
        verdicts.push({
          metric: `${key} ${field}`,
          observed,
          threshold,
          comparator: '<=',
          unit: 'ms',
          samples: h.totalCount,
          method: 'ClientSideApiLatency (client-side)',
          pass: !(observed > threshold),
          enforced,
        });
      }
    }
    const result: MeasurementResult = {
      ...this.base(),
      status: verdicts.some((v) => v.enforced && !v.pass) ? 'fail' : 'pass',
      verdicts,
      data: { kind: 'histograms', histograms, counters },
    };
    if (Object.keys(histograms).length === 0) {
      result.status = 'skipped';
      result.reason = 'the kube client made no requests between start and gather';
    } else if (verdicts.some((v) => !v.pass)) result.reason = describeFailures(verdicts);
    this.start = undefined;
    return [result];
  }

  async dispose(): Promise<void> {
    this.start = undefined;
  }
}

export const clientSideApiLatencyMethod: MeasurementMethod = {
  name: 'ClientSideApiLatency',
  create: (context, identifier) => new ClientSideApiLatencyMeasurement(context, identifier),
};

/**
 * `thresholds: { registrationToReadyMs: { perc99: "5s" } }` → `edge.<metric>.<perc>` entries of the
 * SLO table; names outside the table are configuration errors.
 */
export function edgeThresholds(params: MeasurementParams): Map<string, number> {
  const table = resolveThresholds(params.slo);
  const out = new Map<string, number>();
  for (const d of SLO_TABLE) {
    if (!d.metric.startsWith('edge.')) continue;
    const v = table.get(d.metric)?.threshold;
    if (v !== undefined) out.set(d.metric, v);
  }
  const given = params.thresholds;
  if (given === undefined || given === null) return out;
  if (typeof given !== 'object' || Array.isArray(given))
    throw new ConfigError(
      `EdgeSLIs thresholds: expected {<metric>: {perc50|perc90|perc99: <duration>}}, got ${JSON.stringify(given)}`,
    );
  for (const [metric, byPerc] of Object.entries(given as Record<string, unknown>)) {
    if (!(EDGE_SLI_METRICS as readonly string[]).includes(metric))
      throw new ConfigError(
        `EdgeSLIs thresholds: unknown edge metric "${metric}"; known: ${EDGE_SLI_METRICS.join(', ')}`,
      );
    if (typeof byPerc !== 'object' || byPerc === null || Array.isArray(byPerc))
      throw new ConfigError(
        `EdgeSLIs thresholds.${metric}: expected {perc50|perc90|perc99: <duration>}`,
      );
    for (const [perc, value] of Object.entries(byPerc as Record<string, unknown>)) {
      const name = `edge.${metric}.${perc}`;
      const d = SLO_TABLE.find((x) => x.metric === name);
      if (!d)
        throw new ConfigError(
          `EdgeSLIs thresholds.${metric}.${perc}: unknown percentile; use perc50, perc90 or perc99`,
        );
      const ms = parseThreshold(d, value, `EdgeSLIs thresholds.${metric}.${perc}`);
      if (ms === undefined) out.delete(name);
      else out.set(name, ms);
    }
  }
  return out;
}

class EdgeSlisMeasurement implements Measurement {
  private start: Map<string, EncodedHistogram> | undefined;
  private startParams: MeasurementParams = {};

  constructor(
    private readonly context: MeasurementContext,
    private readonly identifier: string,
  ) {}

  private base() {
    return {
      method: 'EdgeSLIs',
      identifier: this.identifier,
      summaryName: `EdgeSLIs_${this.identifier}`,
      source: 'hollow-node fleet snapshots (HDR histograms, merged across workers and shards)',
    };
  }

  async execute(params: MeasurementParams): Promise<MeasurementResult[]> {
    const action = actionOf(params);
    const fleet = this.context.fleet;
    if (action === 'start') {
      edgeThresholds(params);
      this.startParams = params;
      this.start = fleet ? new Map(Object.entries((await fleet.snapshot()).histograms)) : undefined;
      return [];
    }
    if (action !== 'gather')
      throw new ConfigError(
        `EdgeSLIs ${this.identifier}: unknown action "${action}"; use start or gather`,
      );
    if (!fleet)
      return [
        {
          ...this.base(),
          status: 'skipped',
          reason:
            'no fleet source: this run has no hollow nodes attached (local fleet or --shard endpoints)',
          verdicts: [],
          data: { kind: 'none' },
        },
      ];
    const merged = { ...this.startParams, ...params };
    const thresholds = edgeThresholds(merged);
    const snapshot = await fleet.snapshot();
    const windowed = windowHistograms(this.start, new Map(Object.entries(snapshot.histograms)));
    const histograms: Record<string, EncodedHistogram> = {};
    const verdicts: Verdict[] = [];
    for (const [metric, h] of windowed) {
      histograms[metric] = encodeHistogram(h);
      for (const [perc, field, p] of PERCENTILES) {
        const threshold = thresholds.get(`edge.${metric}.${perc}`);
        if (threshold === undefined) continue;
        const observed = percentileMs(h, p);
        verdicts.push({
          metric: `${metric} ${field}`,
          observed,
          threshold,
          comparator: '<=',
          unit: 'ms',
          samples: h.totalCount,
          method: 'EdgeSLIs (hollow-node clock)',
          pass: h.totalCount > 0 && !(observed > threshold),
          enforced: true,
        });
      }
    }
    for (const name of thresholds.keys()) {
      const metric = name.split('.')[1]!;
      if (!windowed.has(metric))
        verdicts.push({
          metric: `${metric} ${name.split('.')[2]}`,
          observed: NaN,
          threshold: thresholds.get(name)!,
          comparator: '<=',
          unit: 'ms',
          samples: 0,
          method: 'EdgeSLIs (hollow-node clock)',
          pass: false,
          enforced: true,
        });
    }
    const result: MeasurementResult = {
      ...this.base(),
      status: verdicts.some((v) => !v.pass) ? 'fail' : 'pass',
      verdicts,
      data: {
        kind: 'histograms',
        histograms,
        counters: { ...snapshot.counters, nodes: snapshot.nodes },
      },
    };
    const failing = verdicts.filter((v) => !v.pass);
    if (failing.length > 0)
      result.reason = failing
        .map((v) =>
          v.samples === 0
            ? `${v.metric}: no samples, threshold ${v.threshold} ms cannot be met`
            : describeFailures([v]),
        )
        .join('; ');
    else if (verdicts.length === 0) result.reason = 'figures reported, no threshold set';
    if (Object.values(histograms).length === 0 && verdicts.length === 0) {
      result.status = 'skipped';
      result.reason = 'the fleet recorded no edge latency between start and gather';
    }
    this.start = undefined;
    return [result];
  }

  async dispose(): Promise<void> {
    this.start = undefined;
  }
}

export const edgeSlisMethod: MeasurementMethod = {
  name: 'EdgeSLIs',
  create: (context, identifier) => new EdgeSlisMeasurement(context, identifier),
};
