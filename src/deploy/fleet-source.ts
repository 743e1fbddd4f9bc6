/**
 * The adapter between a fleet running elsewhere and the measurements: an ExternalFleet's merged
 * shard snapshots as the `FleetSource` that src/measure reads.
 */
import type { EncodedHistogram } from '../common/histogram.js';
import type { EdgeMetric } from '../edge/events.js';
import type { ExternalFleet } from '../fleet/external.js';
import { encodeMergedHistograms, type MergedSnapshot } from '../fleet/merge.js';
import type { FleetSnapshotView, FleetSource } from '../measure/types.js';

export function snapshotView(merged: MergedSnapshot): FleetSnapshotView {
  return {
    nodes: merged.nodes,
    gauges: { ...merged.gauges },
    counters: { ...merged.counters },
    histograms: encodeMergedHistograms(merged) as Partial<Record<EdgeMetric, EncodedHistogram>>,
    errorsByCode: { ...merged.errorsByCode },
  };
}

export function externalFleetSource(fleet: ExternalFleet): FleetSource {
  return { snapshot: async () => snapshotView(await fleet.mergedSnapshot()) };
}
