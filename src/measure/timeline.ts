/**
 * Nodes Ready and pods created / scheduled / Running over the run, sampled once per interval from
 * two list-watches (pods and nodes, cluster-wide). State is one small number per object in Maps;
 * the series halves its resolution instead of growing without bound on long runs.
 */
import type { KubeApi } from '../kube/api.js';
import { ListWatch, type WatchedObject } from '../kube/list-watch.js';

export interface ClusterTimelinePoint {
  /** Seconds since the run started. */
  t: number;
  nodesReady: number;
  podsCreated: number;
  podsScheduled: number;
  podsRunning: number;
}

type TimelinePoint = ClusterTimelinePoint;

const SCHEDULED = 1;
const RUNNING = 2;
const MAX_POINTS = 2_000;

interface PodView extends WatchedObject {
  spec?: { nodeName?: string };
  status?: { phase?: string };
}
interface NodeView extends WatchedObject {
  status?: { conditions?: Array<{ type?: string; status?: string }> };
}

export class ClusterTimeline {
  private readonly pods = new Map<string, number>();
  private readonly readyNodes = new Set<string>();
  private readonly watches: ListWatch[] = [];
  private readonly points: TimelinePoint[] = [];
  private timer: NodeJS.Timeout | undefined;
  private intervalMs: number;
  private started = 0;
  private lastSample = -Infinity;
  /** Watch failures the list-watches recovered from (reconnects, relists after 410). */
  watchRecoveries = 0;

  constructor(
    private readonly kube: KubeApi,
    options: { intervalMs?: number } = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1_000;
  }

  async start(): Promise<void> {
    this.started = performance.now();
    const pods = new ListWatch(this.kube.kubeConfig, {
      path: '/api/v1/pods',
      pageSize: 1000,
      onEvent: (type, object) => this.onPod(type, object as PodView),
      onError: () => this.watchRecoveries++,
    });
    const nodes = new ListWatch(this.kube.kubeConfig, {
      path: '/api/v1/nodes',
      pageSize: 1000,
      onEvent: (type, object) => this.onNode(type, object as NodeView),
      onError: () => this.watchRecoveries++,
    });
    this.watches.push(pods, nodes);
    await Promise.all(this.watches.map((w) => w.start()));
    this.sample();
    this.timer = setInterval(() => this.sample(), Math.min(this.intervalMs, 1_000));
    this.timer.unref();
  }

  /** Current counts, also used for live progress. */
  current(): Omit<TimelinePoint, 't'> {
    let scheduled = 0;
    let running = 0;
    for (const flags of this.pods.values()) {
      if (flags & SCHEDULED) scheduled++;
      if (flags & RUNNING) running++;
    }
    return {
      nodesReady: this.readyNodes.size,
      podsCreated: this.pods.size,
      podsScheduled: scheduled,
      podsRunning: running,
    };
  }

  series(): TimelinePoint[] {
    return [...this.points];
  }

  stop(): TimelinePoint[] {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.watches.length) this.sample(true);
    for (const watch of this.watches.splice(0)) watch.stop();
    return this.series();
  }

  private sample(force = false): void {
    const now = performance.now();
    if (!force && now - this.lastSample < this.intervalMs - 5) return;
    this.lastSample = now;
    this.points.push({ t: Math.round((now - this.started) / 100) / 10, ...this.current() });
    if (this.points.length > MAX_POINTS) {
      // Keep every other point and sample half as often from now on.
      const kept = this.points.filter((_, i) => i % 2 === 0);
      this.points.splice(0, this.points.length, ...kept);
      this.intervalMs *= 2;
    }
  }

  private onPod(type: string, pod: PodView): void {
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    if (type === 'DELETED') {
      this.pods.delete(key);
      return;
    }
    if (type === 'BOOKMARK') return;
    let flags = 0;
    if (pod.spec?.nodeName) flags |= SCHEDULED;
    if (pod.status?.phase === 'Running') flags |= RUNNING;
    this.pods.set(key, flags);
  }

  private onNode(type: string, node: NodeView): void {
    const name = node.metadata?.name ?? '';
    if (type === 'BOOKMARK') return;
    const ready =
      type !== 'DELETED' &&
      (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    if (ready) this.readyNodes.add(name);
    else this.readyNodes.delete(name);
  }
}
