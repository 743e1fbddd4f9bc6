import { histogramQuantile, parseExposition, type Bucket, type Sample } from './prometheus.js';

/**
 * APIResponsivenessPrometheusSimple without Prometheus (cl2.md §3.4–3.5): the SLI histogram of each
 * apiserver is scraped at start and at gather, the bucket deltas are summed by (resource,
 * subresource, verb, scope) with WATCH and streaming subresources dropped, and p50/p90/p99 come
 * from Prometheus' histogram_quantile.
 */
export const SLI_METRIC = 'apiserver_request_sli_duration_seconds';
const STREAMING = new Set(['log', 'exec', 'portforward', 'attach', 'proxy']);

export interface ApiCallLatency {
  resource: string;
  subresource: string;
  verb: string;
  scope: string;
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  thresholdMs: number;
  pass: boolean;
}

function seriesKey(s: Sample): string {
  return JSON.stringify(Object.entries(s.labels).sort());
}

/** Δ per series; a series missing at start counts from zero, and a reset counts from zero too. */
function deltas(start: Sample[], end: Sample[]): Sample[] {
  const before = new Map(start.map((s) => [seriesKey(s), s.value]));
  return end.map((s) => {
    const v0 = before.get(seriesKey(s)) ?? 0;
    return { ...s, value: s.value >= v0 ? s.value - v0 : s.value };
  });
}

export function apiResponsiveness(
  startText: string,
  endText: string,
  metric = SLI_METRIC,
): ApiCallLatency[] {
  const keep = (n: string) => n === `${metric}_bucket`;
  const d = deltas(parseExposition(startText, keep), parseExposition(endText, keep));
  const groups = new Map<
    string,
    {
      labels: { resource: string; subresource: string; verb: string; scope: string };
      buckets: Map<number, number>;
    }
  >();
  for (const s of d) {
    const { resource = '', subresource = '', verb = '', scope = '', le } = s.labels;
    if (verb === 'WATCH' || STREAMING.has(subresource) || le === undefined) continue;
    const key = `${resource}|${subresource}|${verb}|${scope}`;
    let g = groups.get(key);
    if (!g) {
      g = { labels: { resource, subresource, verb, scope }, buckets: new Map() };
      groups.set(key, g);
    }
    const bound = le === '+Inf' ? Infinity : Number(le);
    g.buckets.set(bound, (g.buckets.get(bound) ?? 0) + s.value);
  }
  const out: ApiCallLatency[] = [];
  for (const g of groups.values()) {
    const buckets: Bucket[] = [...g.buckets].map(([le, count]) => ({ le, count }));
    const count = g.buckets.get(Infinity) ?? 0;
    if (count === 0) continue;
    const q = (p: number) => histogramQuantile(p, buckets) * 1000;
    const thresholdMs = g.labels.scope === 'resource' ? 1000 : 30_000;
    const p50Ms = q(0.5);
    const p90Ms = q(0.9);
    const p99Ms = q(0.99);
    out.push({
      ...g.labels,
      count: Math.round(count),
      p50Ms,
      p90Ms,
      p99Ms,
      thresholdMs,
      pass: !(p50Ms > thresholdMs || p90Ms > thresholdMs || p99Ms > thresholdMs),
    });
  }
  return out.sort((a, b) => b.p99Ms - a.p99Ms);
}
