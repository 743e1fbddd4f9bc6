/**
 * Fault control on the fleet side: which of a fleet's nodes a fault request selects, and how the
 * selection is split between the workers (or processes) that own them.
 */
import { ConfigError } from '../common/errors.js';
import { selectNodes, type FaultRequest } from '../edge/faults.js';
import { NodeTemplate } from '../edge/node-template.js';
import { resolveNodeProfile, type NodeProfileInput } from '../edge/profile.js';
import { nodeName, type NamingOptions } from './naming.js';
import type { FaultTarget } from './protocol.js';

export interface FleetLayout {
  naming: NamingOptions;
  /** Node indices [start, end) run here. */
  start: number;
  end: number;
  /** Nodes in the whole shard (zero padding of names). */
  shardNodes: number;
  profile: NodeProfileInput;
}

export interface FaultPlan {
  nodes: string[];
  targets: FaultTarget[];
}

/** The nodes of `layout` that `request` selects, deterministic for the request's seed. */
export function planFault(layout: FleetLayout, request: FaultRequest): FaultPlan {
  validateSelector(request);
  const labels = new NodeTemplate(resolveNodeProfile(layout.profile)).labels;
  const candidates = [];
  for (let index = layout.start; index < layout.end; index++) {
    candidates.push({
      name: nodeName(layout.naming, index, layout.shardNodes),
      index,
      shard: layout.naming.shard.index,
      labels,
    });
  }
  const chosen = selectNodes(candidates, request.select);
  return {
    nodes: chosen.map((c) => c.name),
    targets: chosen.map((c) => ({ index: c.index, offsetMs: c.offsetMs })),
  };
}

function validateSelector(request: FaultRequest): void {
  const s = request.select;
  if (s.count !== undefined && !(Number.isInteger(s.count) && s.count >= 0))
    throw new ConfigError(`fault selector count must be a non-negative integer, got ${s.count}`);
  if (s.fraction !== undefined && !(s.fraction >= 0 && s.fraction <= 1))
    throw new ConfigError(`fault selector fraction must be in [0, 1], got ${s.fraction}`);
  if (s.spreadMs !== undefined && !(s.spreadMs >= 0))
    throw new ConfigError(`fault selector spreadMs must be ≥ 0, got ${s.spreadMs}`);
}

/** Splits targets by owner range ([start, end) per owner, in owner order). */
export function splitTargets(
  targets: readonly FaultTarget[],
  ranges: ReadonlyArray<{ start: number; end: number }>,
): FaultTarget[][] {
  const out = ranges.map((): FaultTarget[] => []);
  for (const t of targets) {
    const owner = ranges.findIndex((r) => t.index >= r.start && t.index < r.end);
    if (owner >= 0) out[owner]!.push(t);
  }
  return out;
}
