/**
 * ClusterLoader2's nearest-rank percentiles (cl2.md §3.1, `NewLatencyMetric`):
 * value = sorted[ceil(n·p/100) − 1], no interpolation, no p100, and all zeros for an empty sample.
 * Pod startup latency and scheduling throughput use exactly this; Prometheus-style interpolated
 * quantiles live in prometheus.ts.
 */
export interface LatencyPercentiles {
  Perc50: number;
  Perc90: number;
  Perc99: number;
}

/** `sorted` must be ascending. `p` is a percentage (50, 90, 99). */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  // n·p is an exact integer product; dividing afterwards matches Go's float64(n*p)/100.
  const index = Math.ceil((n * p) / 100) - 1;
  return sorted[Math.min(Math.max(index, 0), n - 1)]!;
}

/** Sorts a copy ascending (numeric, typed) and returns the CL2 latency metric, in the input unit. */
export function latencyPercentiles(values: ArrayLike<number>): LatencyPercentiles {
  const sorted = Float64Array.from(values).sort();
  return percentilesOfSorted(sorted);
}

export function percentilesOfSorted(sorted: ArrayLike<number>): LatencyPercentiles {
  return {
    Perc50: nearestRank(sorted, 50),
    Perc90: nearestRank(sorted, 90),
    Perc99: nearestRank(sorted, 99),
  };
}

/**
 * Rounds a millisecond value to whole nanoseconds, the resolution of the Go durations CL2 writes
 * (ns / 1e6), so float noise such as 600.0000000001 does not leak into reports.
 */
export function roundToNanosecondMs(ms: number): number {
  return Math.round(ms * 1e6) / 1e6;
}
