import {
  createHistogram,
  encodeHistogram,
  recordMs,
  type EncodedHistogram,
  type Histogram,
} from '../common/histogram.js';
import type { EdgeCounter, EdgeEventSink, EdgeGauge, EdgeMetric } from '../edge/events.js';

/**
 * A worker's EdgeEventSink: plain totals and one HDR histogram per metric, drained as deltas into
 * each stats message. The first error of each code is passed on with its node; the rest are counted.
 */
export class WorkerSink implements EdgeEventSink {
  readonly gauges = new Map<EdgeGauge, number>();
  readonly counters = new Map<EdgeCounter, number>();
  readonly messages = new Map<string, number>();
  readonly errorsByCode = new Map<string, number>();
  private histograms = new Map<EdgeMetric, Histogram>();

  constructor(
    private readonly onFirstError: (node: string, code: string, message: string) => void,
  ) {}

  adjust(gauge: EdgeGauge, delta: number): void {
    this.gauges.set(gauge, (this.gauges.get(gauge) ?? 0) + delta);
  }

  count(counter: EdgeCounter, n = 1): void {
    this.counters.set(counter, (this.counters.get(counter) ?? 0) + n);
  }

  observe(metric: EdgeMetric, ms: number): void {
    let h = this.histograms.get(metric);
    if (!h) {
      h = createHistogram();
      this.histograms.set(metric, h);
    }
    recordMs(h, ms);
  }

  message(direction: 'in' | 'out', operation: string): void {
    const key = `${direction}:${operation}`;
    this.messages.set(key, (this.messages.get(key) ?? 0) + 1);
  }

  error(node: string, code: string, message: string): void {
    const seen = this.errorsByCode.get(code) ?? 0;
    this.errorsByCode.set(code, seen + 1);
    if (seen === 0) this.onFirstError(node, code, message);
  }

  /** The histograms recorded since the last call, encoded; the sink starts fresh ones. */
  drainHistograms(): Partial<Record<EdgeMetric, EncodedHistogram>> {
    const out: Partial<Record<EdgeMetric, EncodedHistogram>> = {};
    for (const [metric, h] of this.histograms)
      if (h.totalCount > 0) out[metric] = encodeHistogram(h);
    this.histograms = new Map();
    return out;
  }
}
