import * as hdr from 'hdr-histogram-js';
import { HollowfleetError } from './errors.js';

/**
 * HDR histograms are the unit of exchange between workers, processes and shards: they merge
 * exactly, percentiles do not (never average percentiles). Values are recorded in microseconds from
 * 1 µs to 1 hour with 3 significant digits; summaries are reported in milliseconds.
 */
export const HISTOGRAM_SCHEMA = 1;
const LOWEST_US = 1;
const HIGHEST_US = 3_600_000_000;
const DIGITS = 3;

export type Histogram = hdr.Histogram;

export interface EncodedHistogram {
  schema: number;
  unit: 'us';
  /** Compressed base64 HdrHistogram V2 encoding. */
  data: string;
}

export interface HistogramSummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export class HistogramSchemaError extends HollowfleetError {
  constructor(found: unknown, where: string) {
    super(
      'HF_HISTOGRAM_SCHEMA',
      `${where}: histogram schema ${String(found)} is not supported by this hollowfleet (schema ${HISTOGRAM_SCHEMA}); run every shard and the driver with the same hollowfleet version`,
    );
  }
}

export function createHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: LOWEST_US,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: DIGITS,
    bitBucketSize: 32,
    useWebAssembly: false,
  });
}

/** Records a latency given in ms; values outside [1 µs, 1 h] are clamped. */
export function recordMs(histogram: Histogram, ms: number): void {
  if (!Number.isFinite(ms)) return;
  const us = Math.min(HIGHEST_US, Math.max(LOWEST_US, Math.round(ms * 1000)));
  histogram.recordValue(us);
}

export function encodeHistogram(histogram: Histogram): EncodedHistogram {
  return { schema: HISTOGRAM_SCHEMA, unit: 'us', data: hdr.encodeIntoCompressedBase64(histogram) };
}

export function decodeHistogram(encoded: EncodedHistogram, where = 'histogram'): Histogram {
  if (encoded?.schema !== HISTOGRAM_SCHEMA || encoded.unit !== 'us')
    throw new HistogramSchemaError(encoded?.schema, where);
  const decoded = hdr.decodeFromCompressedBase64(encoded.data, 32, false);
  const histogram = createHistogram();
  histogram.add(decoded);
  return histogram;
}

/** Adds `source` into `target` (exact: counts per bucket are summed). */
export function mergeInto(target: Histogram, source: Histogram): void {
  target.add(source);
}

export function summarize(histogram: Histogram): HistogramSummary {
  const ms = (us: number) => us / 1000;
  if (histogram.totalCount === 0)
    return { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  return {
    count: histogram.totalCount,
    minMs: ms(histogram.minNonZeroValue),
    meanMs: ms(histogram.mean),
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p90Ms: ms(histogram.getValueAtPercentile(90)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    p999Ms: ms(histogram.getValueAtPercentile(99.9)),
    maxMs: ms(histogram.maxValue),
  };
}
