import { HollowfleetError } from '../common/errors.js';
import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeInto,
  type EncodedHistogram,
  type Histogram,
} from '../common/histogram.js';
import type { EdgeCounter, EdgeGauge, EdgeMetric } from '../edge/events.js';
import type { FleetSnapshot } from './fleet.js';

export class SnapshotMismatchError extends HollowfleetError {
  constructor(message: string) {
    super('HF_SNAPSHOT_MISMATCH', message);
  }
}

export interface MergedSnapshot {
  sources: number;
  nodes: number;
  gauges: Partial<Record<EdgeGauge, number>>;
  counters: Partial<Record<EdgeCounter, number>>;
  messages: Record<string, number>;
  errorsByCode: Record<string, number>;
  histograms: Partial<Record<EdgeMetric, Histogram>>;
}

function add<K extends string>(
  into: Partial<Record<K, number>>,
  from: Partial<Record<K, number>>,
): void {
  for (const [k, v] of Object.entries(from) as Array<[K, number]>) into[k] = (into[k] ?? 0) + v;
}

/**
 * Merges fleet snapshots from several processes or shards: counters are summed, histograms are
 * added bucket by bucket. Snapshots of different schemas or tool versions are refused, naming them.
 */
export function mergeSnapshots(
  snapshots: Array<{ source: string; snapshot: FleetSnapshot }>,
): MergedSnapshot {
  const first = snapshots[0];
  for (const { source, snapshot } of snapshots) {
    if (snapshot.schema !== 1 || snapshot.tool !== 'hollowfleet') {
      throw new SnapshotMismatchError(
        `${source}: not a hollowfleet fleet snapshot of schema 1 (tool ${String(snapshot.tool)}, schema ${String(snapshot.schema)})`,
      );
    }
    if (first && snapshot.toolVersion !== first.snapshot.toolVersion) {
      throw new SnapshotMismatchError(
        `${source} was made by hollowfleet ${snapshot.toolVersion} but ${first.source} by ${first.snapshot.toolVersion}: run every shard with the same version`,
      );
    }
  }
  const merged: MergedSnapshot = {
    sources: snapshots.length,
    nodes: 0,
    gauges: {},
    counters: {},
    messages: {},
    errorsByCode: {},
    histograms: {},
  };
  for (const { source, snapshot } of snapshots) {
    merged.nodes += snapshot.nodes;
    add(merged.gauges, snapshot.gauges);
    add(merged.counters, snapshot.counters);
    add(merged.messages, snapshot.messages);
    add(merged.errorsByCode, snapshot.errorsByCode);
    for (const [metric, encoded] of Object.entries(snapshot.histograms) as Array<
      [EdgeMetric, EncodedHistogram]
    >) {
      const h = (merged.histograms[metric] ??= createHistogram());
      mergeInto(h, decodeHistogram(encoded, source));
    }
  }
  return merged;
}

export function encodeMergedHistograms(
  merged: MergedSnapshot,
): Partial<Record<EdgeMetric, EncodedHistogram>> {
  const out: Partial<Record<EdgeMetric, EncodedHistogram>> = {};
  for (const [metric, h] of Object.entries(merged.histograms) as Array<[EdgeMetric, Histogram]>)
    out[metric] = encodeHistogram(h);
  return out;
}
