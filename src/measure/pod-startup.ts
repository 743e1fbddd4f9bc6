import { latencyPercentiles, type LatencyPercentiles } from './percentile.js';

/**
 * Pod startup phases from watch receive times (cl2.md §3.1, CL2's current method): create = first
 * event seen for the pod, schedule = first event with spec.nodeName, run = first event with phase
 * Running. Times come from a monotonic clock mapped to the epoch once, so they are immune to clock
 * skew between the watcher, the control plane and the edge.
 */
export interface PodTimes {
  create: number;
  schedule: number;
  run: number;
}

interface PodLike {
  metadata?: { namespace?: string; name?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

const epochOffset = Date.now() - performance.now();
export function monotonicNow(): number {
  return epochOffset + performance.now();
}

export class PodStartupTracker {
  private readonly pods = new Map<string, PodTimes>();

  get size(): number {
    return this.pods.size;
  }

  /** Call from the watch event handler with the time the event was received. */
  observe(type: string, pod: PodLike, recvTime: number = monotonicNow()): void {
    if (type === 'DELETED' || type === 'BOOKMARK' || type === 'ERROR') return;
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    let times = this.pods.get(key);
    if (!times) {
      times = { create: recvTime, schedule: NaN, run: NaN };
      this.pods.set(key, times);
    }
    if (Number.isNaN(times.schedule) && pod.spec?.nodeName) times.schedule = recvTime;
    if (Number.isNaN(times.run) && pod.status?.phase === 'Running') times.run = recvTime;
  }

  running(): number {
    let n = 0;
    for (const t of this.pods.values()) if (!Number.isNaN(t.run)) n++;
    return n;
  }

  entries(): IterableIterator<[string, PodTimes]> {
    return this.pods.entries();
  }
}

export type Transition = 'create_to_schedule' | 'schedule_to_run' | 'pod_startup';

const TRANSITIONS: Record<Transition, [keyof PodTimes, keyof PodTimes]> = {
  create_to_schedule: ['create', 'schedule'],
  schedule_to_run: ['schedule', 'run'],
  pod_startup: ['create', 'run'],
};

/** Latency per transition over pods that have both ends, negatives clamped to 0, in ms. */
export function podStartupTransitions(
  tracker: PodStartupTracker,
): Record<Transition, LatencyPercentiles & { count: number }> {
  const out = {} as Record<Transition, LatencyPercentiles & { count: number }>;
  for (const [name, [from, to]] of Object.entries(TRANSITIONS) as Array<
    [Transition, [keyof PodTimes, keyof PodTimes]]
  >) {
    const values: number[] = [];
    for (const [, t] of tracker.entries()) {
      const a = t[from];
      const b = t[to];
      if (!Number.isNaN(a) && !Number.isNaN(b)) values.push(Math.max(0, b - a));
    }
    out[name] = { ...latencyPercentiles(values), count: values.length };
  }
  return out;
}
