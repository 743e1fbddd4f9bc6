/**
 * The Prometheus text format and `histogram_quantile`, enough to compute apiserver latency
 * percentiles from two scrapes of `/metrics` without a Prometheus server (cl2.md §3.5).
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string, keep?: (name: string) => boolean): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const name = m[1]!;
    if (keep && !keep(name)) continue;
    const labels: Record<string, string> = {};
    for (const lm of (m[3] ?? '').matchAll(LABEL))
      labels[lm[1]!] = lm[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    samples.push({ name, labels, value });
  }
  return samples;
}

export interface Bucket {
  le: number;
  count: number;
}

/** Prometheus `histogram_quantile` (BucketQuantile): linear interpolation inside the bucket. */
export function histogramQuantile(q: number, input: Bucket[]): number {
  if (input.length === 0) return NaN;
  const buckets = [...input].sort((a, b) => a.le - b.le);
  if (buckets[buckets.length - 1]!.le !== Infinity) return NaN;
  const merged: Bucket[] = [];
  for (const b of buckets) {
    const last = merged[merged.length - 1];
    if (last && last.le === b.le) last.count += b.count;
    else merged.push({ ...b });
  }
  for (let i = 1; i < merged.length; i++)
    merged[i]!.count = Math.max(merged[i]!.count, merged[i - 1]!.count);
  if (merged.length < 2) return NaN;
  const total = merged[merged.length - 1]!.count;
  if (total === 0) return NaN;
  const rank = q * total;
  let b = merged.findIndex((x) => x.count >= rank);
  if (b === merged.length - 1) return merged[merged.length - 2]!.le;
  if (b === 0 && merged[0]!.le <= 0) return merged[0]!.le;
  let start = 0;
  let countBelow = 0;
  if (b > 0) {
    start = merged[b - 1]!.le;
    countBelow = merged[b - 1]!.count;
  }
  if (b < 0) b = merged.length - 1;
  const end = merged[b]!.le;
  const inBucket = merged[b]!.count - countBelow;
  return inBucket === 0 ? start : start + ((end - start) * (rank - countBelow)) / inBucket;
}
