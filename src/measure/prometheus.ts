/**
 * The Prometheus text exposition format (0.0.4) and the PromQL pieces needed to compute apiserver
 * latency percentiles from scrapes of `/metrics` without a Prometheus server (cl2.md §3.5):
 * per-series two-scrape deltas, `histogram_quantile` (Prometheus `BucketQuantile`, v2.40 rules) and
 * the linear-interpolated `quantile` used by `quantile_over_time`.
 */
import { HollowfleetError } from '../common/errors.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface MetricFamilyInfo {
  help?: string;
  type?: string;
}

export interface Exposition {
  samples: Sample[];
  families: Map<string, MetricFamilyInfo>;
}

export class ExpositionParseError extends HollowfleetError {
  constructor(line: number, text: string, problem: string) {
    super(
      'HF_PROM_PARSE',
      `metrics exposition line ${line}: ${problem}: ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)}; is this a Prometheus text-format (0.0.4) /metrics response?`,
    );
  }
}

function isLetterOrUnderscore(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
const isLabelStart = isLetterOrUnderscore;
const isLabelChar = (c: number) => isLetterOrUnderscore(c) || isDigit(c);
const isNameStart = (c: number) => isLetterOrUnderscore(c) || c === 58;
const isNameChar = (c: number) => isLabelChar(c) || c === 58;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INF = /^([+-]?)inf(?:inity)?$/i;
const TIMESTAMP = /^-?\d+$/;

/** Go ParseFloat as the exposition uses it: decimals, exponents, ±Inf and NaN (any case). */
export function parsePromFloat(text: string): number {
  if (FLOAT.test(text)) return Number(text);
  const inf = INF.exec(text);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  return Number.NaN;
}

function isPromFloat(text: string): boolean {
  return FLOAT.test(text) || INF.test(text) || /^nan$/i.test(text);
}

/** Parses `le` bucket bounds as numbers ("1", "1.0", "+Inf"); NaN when unparseable. */
export function parseLe(text: string | undefined): number {
  return text === undefined ? NaN : parsePromFloat(text.trim());
}

function unescapeHelp(text: string): string {
  return text.replace(/\\([\\n])/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/**
 * Parses a whole exposition. `keep(name)` filters samples by metric name before their labels are
 * parsed, which is what makes multi-megabyte apiserver scrapes cheap. Malformed lines are errors:
 * silently skipping them could drop buckets and skew quantiles.
 */
export function parseExpositionDetailed(
  text: string,
  keep?: (name: string) => boolean,
): Exposition {
  const samples: Sample[] = [];
  const families = new Map<string, MetricFamilyInfo>();
  let lineNumber = 0;
  let pos = 0;
  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    lineNumber++;
    const line = text.slice(pos, end).replace(/\r$/, '');
    pos = end + 1;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (trimmed[0] === '#') {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(trimmed);
      if (m) {
        const info = families.get(m[2]!) ?? {};
        if (m[1] === 'HELP') info.help = unescapeHelp(m[3] ?? '');
        else info.type = (m[3] ?? '').trim();
        families.set(m[2]!, info);
      }
      continue;
    }
    const sample = parseSampleLine(trimmed, lineNumber, keep);
    if (sample) samples.push(sample);
  }
  return { samples, families };
}

export function parseExposition(text: string, keep?: (name: string) => boolean): Sample[] {
  return parseExpositionDetailed(text, keep).samples;
}

function parseSampleLine(
  line: string,
  lineNumber: number,
  keep: ((name: string) => boolean) | undefined,
): Sample | undefined {
  let i = 0;
  if (!isNameStart(line.charCodeAt(0)))
    throw new ExpositionParseError(lineNumber, line, 'bad metric name');
  while (i < line.length && isNameChar(line.charCodeAt(i))) i++;
  const name = line.slice(0, i);
  if (keep && !keep(name)) return undefined;
  const labels: Record<string, string> = {};
  while (line[i] === ' ' || line[i] === '\t') i++;
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const labelStart = i;
      if (i >= line.length || !isLabelStart(line.charCodeAt(i)))
        throw new ExpositionParseError(lineNumber, line, 'bad label name');
      while (i < line.length && isLabelChar(line.charCodeAt(i))) i++;
      const labelName = line.slice(labelStart, i);
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] !== '=')
        throw new ExpositionParseError(lineNumber, line, 'expected "=" after a label name');
      i++;
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] !== '"')
        throw new ExpositionParseError(lineNumber, line, 'expected a quoted label value');
      i++;
      let value = '';
      let segmentStart = i;
      let closed = false;
      while (i < line.length) {
        const c = line.charCodeAt(i);
        if (c === 92) {
          value += line.slice(segmentStart, i);
          const next = line[i + 1];
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else value += `\\${next ?? ''}`;
          i += 2;
          segmentStart = i;
        } else if (c === 34) {
          value += line.slice(segmentStart, i);
          closed = true;
          i++;
          break;
        } else i++;
      }
      if (!closed) throw new ExpositionParseError(lineNumber, line, 'unterminated label value');
      labels[labelName] = value;
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] === ',') i++;
      else if (line[i] !== '}')
        throw new ExpositionParseError(lineNumber, line, 'expected "," or "}" after a label value');
    }
  }
  const rest = line
    .slice(i)
    .trim()
    .split(/[ \t]+/);
  const valueText = rest[0] ?? '';
  if (rest.length > 2 || valueText === '' || !isPromFloat(valueText))
    throw new ExpositionParseError(lineNumber, line, 'expected "<value> [timestamp]"');
  const sample: Sample = { name, labels, value: parsePromFloat(valueText) };
  if (rest.length === 2) {
    if (!TIMESTAMP.test(rest[1]!))
      throw new ExpositionParseError(
        lineNumber,
        line,
        'the timestamp must be integer milliseconds',
      );
    sample.timestampMs = Number(rest[1]);
  }
  return sample;
}

/** Canonical identity of a series: name plus its sorted label pairs. */
export function seriesKey(name: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  let key = name;
  for (const k of keys) key += `\u0000${k}\u0001${labels[k]}`;
  return key;
}

/**
 * Per-series increase between two scrapes of the same target (cl2.md §3.5 step 3):
 * Δ = v1 − v0; a series missing at t0 counts from zero (Δ = v1), a counter reset (v1 < v0, the
 * process restarted) also counts from zero (Δ = v1). Series gone at t1 have no result, as in PromQL.
 */
export function deltaSamples(start: readonly Sample[], end: readonly Sample[]): Sample[] {
  const before = new Map<string, number>();
  for (const s of start) before.set(seriesKey(s.name, s.labels), s.value);
  return end.map((s) => {
    const v0 = before.get(seriesKey(s.name, s.labels));
    const value = v0 === undefined || s.value < v0 ? s.value : s.value - v0;
    return { name: s.name, labels: s.labels, value };
  });
}

export interface Bucket {
  /** Upper bound in the metric's unit; Infinity for `+Inf`. */
  le: number;
  /** Cumulative count. */
  count: number;
}

export interface HistogramSeries {
  /** All labels but `le`. */
  labels: Record<string, string>;
  buckets: Bucket[];
  count?: number;
  sum?: number;
}

/** Groups `<base>_bucket`, `_count` and `_sum` samples into one histogram per label set. */
export function histogramSeries(samples: readonly Sample[], baseName: string): HistogramSeries[] {
  const byKey = new Map<string, HistogramSeries>();
  const get = (labels: Record<string, string>) => {
    const key = seriesKey('', labels);
    let series = byKey.get(key);
    if (!series) {
      series = { labels, buckets: [] };
      byKey.set(key, series);
    }
    return series;
  };
  for (const s of samples) {
    if (s.name === `${baseName}_bucket`) {
      const { le, ...rest } = s.labels;
      const bound = parseLe(le);
      if (Number.isNaN(bound)) continue;
      get(rest).buckets.push({ le: bound, count: s.value });
    } else if (s.name === `${baseName}_count`) get(s.labels).count = s.value;
    else if (s.name === `${baseName}_sum`) get(s.labels).sum = s.value;
  }
  for (const series of byKey.values()) series.buckets.sort((a, b) => a.le - b.le);
  return [...byKey.values()];
}

/**
 * Prometheus `histogram_quantile` (promql/quantile.go `bucketQuantile`, v2.40 as deployed by CL2):
 * buckets sorted by `le`; top bucket not +Inf → NaN; equal bounds merged; cumulative counts forced
 * non-decreasing; fewer than 2 buckets or no observations → NaN; a rank in the +Inf bucket returns
 * the largest finite bound; otherwise linear interpolation inside the bucket, the first bucket
 * starting at 0 (or returning its bound if that is ≤ 0).
 */
export function histogramQuantile(q: number, input: readonly Bucket[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (input.length === 0) return NaN;
  const sorted = [...input].sort((a, b) => a.le - b.le);
  if (sorted[sorted.length - 1]!.le !== Infinity) return NaN;
  const buckets: Bucket[] = [];
  for (const b of sorted) {
    const last = buckets[buckets.length - 1];
    if (last && last.le === b.le) last.count += b.count;
    else buckets.push({ le: b.le, count: b.count });
  }
  let max = -Infinity;
  for (const b of buckets) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
  if (buckets.length < 2) return NaN;
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  // First index in [0, n−1) whose cumulative count reaches the rank; n−1 (the +Inf bucket) if none.
  let b = buckets.length - 1;
  for (let i = 0; i < buckets.length - 1; i++) {
    if (buckets[i]!.count >= rank) {
      b = i;
      break;
    }
  }
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.le;
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;
  let bucketStart = 0;
  const bucketEnd = buckets[b]!.le;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.le;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/**
 * Prometheus `quantile` over a set of values, as `quantile_over_time` uses it: NaN values sort
 * first, rank = q·(n−1), linear interpolation between the neighbours; n = 0 → NaN.
 */
export function prometheusQuantile(q: number, values: readonly number[]): number {
  if (values.length === 0) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...values].sort((a, b) =>
    Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : Number.isNaN(b) ? 1 : a - b,
  );
  const n = sorted.length;
  const rank = q * (n - 1);
  const lowerIndex = Math.max(0, Math.floor(rank));
  const upperIndex = Math.min(n - 1, lowerIndex + 1);
  const weight = rank - Math.floor(rank);
  return sorted[lowerIndex]! * (1 - weight) + sorted[upperIndex]! * weight;
}
