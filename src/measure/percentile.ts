/**
 * ClusterLoader2's nearest-rank percentiles (cl2.md §3.1): value = sorted[ceil(n·p/100) − 1], no
 * interpolation, all zeros for an empty sample.
 */
export interface LatencyPercentiles {
  Perc50: number;
  Perc90: number;
  Perc99: number;
}

export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const index = Math.max(0, Math.ceil((n * p) / 100) - 1);
  return sorted[Math.min(index, n - 1)]!;
}

export function latencyPercentiles(values: number[]): LatencyPercentiles {
  const sorted = Float64Array.from(values).sort();
  return {
    Perc50: nearestRank(sorted, 50),
    Perc90: nearestRank(sorted, 90),
    Perc99: nearestRank(sorted, 99),
  };
}
