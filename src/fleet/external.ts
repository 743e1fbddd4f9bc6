/**
 * The driver's view of a fleet that runs elsewhere: shard processes or pods that each serve
 * `/snapshot` (src/fleet/metrics-server.ts). It finds the shards (a list of URLs, or pods by label
 * through the external cluster's API server and its pod proxy), scrapes them, merges their HDR
 * histograms exactly and gates on fleet-wide readiness.
 */
import http from 'node:http';
import https from 'node:https';
import { HollowfleetError } from '../common/errors.js';
import type { KubeApi } from '../kube/api.js';
import { ReadinessTimeoutError, type FleetSnapshot } from './fleet.js';
import { mergeSnapshots, type MergedSnapshot } from './merge.js';

/** The annotation (and, since Kubernetes 1.28, label) the Job controller puts on Indexed Job pods. */
export const COMPLETION_INDEX_KEY = 'batch.kubernetes.io/job-completion-index';

export type ShardDiscovery =
  | { kind: 'urls'; urls: readonly string[] }
  | {
      kind: 'pods';
      kube: KubeApi;
      namespace: string;
      labelSelector: string;
      /** The shards' metrics port, reached through `/api/v1/namespaces/<ns>/pods/<pod>:<port>/proxy/`. */
      port: number;
    };

export interface ShardPod {
  name: string;
  namespace: string;
  phase: string;
  nodeName?: string;
  podIP?: string;
  restarts: number;
  ready: boolean;
}

export interface ShardTarget {
  /** The URL or `namespace/pod`: how people find the shard. */
  id: string;
  /** Shard index when known before scraping (pod annotation). */
  index?: number;
  url?: string;
  pod?: ShardPod;
}

export interface ShardObservation {
  target: ShardTarget;
  snapshot?: FleetSnapshot;
  /** Why no snapshot was read: unreachable, not running, not a fleet. */
  problem?: string;
}

export interface FleetObservation {
  shards: ShardObservation[];
  /** Shard count the fleet declares (option, or the snapshots' `shard.count`). */
  expectedShards: number | undefined;
  /** Shard indexes that no target accounts for. */
  missingShardIndexes: number[];
  merged: MergedSnapshot | undefined;
}

export interface ExternalFleetOptions {
  discovery: ShardDiscovery;
  /** Shards the fleet should have; missing ones are named by index. */
  expectedShards?: number;
  requestTimeoutMs?: number;
  /** Clock and sleep for the readiness gate (tests inject fakes). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface WaitReadyOptions {
  expectedNodes: number;
  /** Share of expectedNodes that must be Ready, e.g. 0.999. */
  fraction: number;
  timeoutMs: number;
  pollMs?: number;
  onProgress?: (observation: FleetObservation) => void;
}

export class FleetUnreachableError extends HollowfleetError {
  constructor(message: string) {
    super('HF_FLEET_UNREACHABLE', message);
  }
}

function getText(url: string, timeoutMs: number): Promise<string> {
  const transport = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.get(url, { timeout: timeoutMs }, (res) => {
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode === 200) resolve(text);
        else reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

function snapshotUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return trimmed.endsWith('/snapshot') ? trimmed : `${trimmed}/snapshot`;
}

function describeFailure(err: unknown): string {
  if (err instanceof HollowfleetError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e?.code && e.message)
    return e.message.includes(e.code) ? e.message : `${e.code}: ${e.message}`;
  return err instanceof Error ? err.message : String(err);
}

function asFleetSnapshot(value: unknown, where: string): FleetSnapshot {
  const s = value as Partial<FleetSnapshot> | null;
  if (!s || typeof s !== 'object' || s.tool !== 'hollowfleet' || typeof s.nodes !== 'number')
    throw new HollowfleetError(
      'HF_SNAPSHOT_MISMATCH',
      `${where} did not answer with a hollowfleet fleet snapshot`,
    );
  return s as FleetSnapshot;
}

interface PodObject {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{ restartCount?: number }>;
  };
}

function shardIndexOf(pod: PodObject): number | undefined {
  const raw =
    pod.metadata.annotations?.[COMPLETION_INDEX_KEY] ?? pod.metadata.labels?.[COMPLETION_INDEX_KEY];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

/** A finished pod whose shard index another, live pod has taken over (the Job replaced it). */
function replacedShardPod(target: ShardTarget, all: readonly ShardTarget[]): boolean {
  if (target.index === undefined || !TERMINAL_PHASES.has(target.pod?.phase ?? '')) return false;
  return all.some(
    (other) =>
      other !== target &&
      other.index === target.index &&
      !TERMINAL_PHASES.has(other.pod?.phase ?? ''),
  );
}

/** Shards found, scraped and merged on every call; measurements read it through `externalFleetSource`. */
export class ExternalFleet {
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(readonly options: ExternalFleetOptions) {
    this.timeoutMs = options.requestTimeoutMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** The shards as configured or as the external cluster lists them (terminating pods left out). */
  async discover(): Promise<ShardTarget[]> {
    const d = this.options.discovery;
    if (d.kind === 'urls') return d.urls.map((url) => ({ id: url, url }));
    const list = await d.kube.request<{ items: PodObject[] }>({
      method: 'GET',
      path: `/api/v1/namespaces/${encodeURIComponent(d.namespace)}/pods`,
      query: { labelSelector: d.labelSelector },
    });
    return list.items
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => {
        const pod: ShardPod = {
          name: p.metadata.name,
          namespace: p.metadata.namespace ?? d.namespace,
          phase: p.status?.phase ?? 'Pending',
          nodeName: p.spec?.nodeName,
          podIP: p.status?.podIP,
          restarts: (p.status?.containerStatuses ?? []).reduce(
            (n, c) => n + (c.restartCount ?? 0),
            0,
          ),
          ready: (p.status?.conditions ?? []).some(
            (c) => c.type === 'Ready' && c.status === 'True',
          ),
        };
        return { id: `${pod.namespace}/${pod.name}`, index: shardIndexOf(p), pod };
      })
      .filter((target, _, all) => !replacedShardPod(target, all))
      .sort((a, b) => (a.index ?? Infinity) - (b.index ?? Infinity) || a.id.localeCompare(b.id));
  }

  private async scrapeOne(target: ShardTarget): Promise<ShardObservation> {
    const d = this.options.discovery;
    try {
      if (target.url) {
        const text = await getText(snapshotUrl(target.url), this.timeoutMs);
        return { target, snapshot: asFleetSnapshot(JSON.parse(text) as unknown, target.id) };
      }
      if (d.kind !== 'pods' || !target.pod) return { target, problem: 'no address' };
      if (target.pod.phase !== 'Running')
        return {
          target,
          problem: `pod is ${target.pod.phase}${target.pod.nodeName ? '' : ' (not scheduled)'}`,
        };
      const body = await d.kube.request<unknown>({
        method: 'GET',
        path: `/api/v1/namespaces/${encodeURIComponent(target.pod.namespace)}/pods/${encodeURIComponent(target.pod.name)}:${d.port}/proxy/snapshot`,
        timeoutMs: this.timeoutMs,
        // An unreachable shard is an answer, not a reason to back off for half a minute.
        retry: false,
      });
      return { target, snapshot: asFleetSnapshot(body, target.id) };
    } catch (err) {
      if (err instanceof HollowfleetError && err.code === 'HF_SNAPSHOT_MISMATCH') throw err;
      return { target, problem: `unreachable: ${describeFailure(err)}` };
    }
  }

  /**
   * Scrapes every shard and merges what answered. Snapshots of different tool versions or schemas
   * are refused (HF_SNAPSHOT_MISMATCH), naming the shards.
   */
  async observe(): Promise<FleetObservation> {
    const targets = await this.discover();
    const shards = await Promise.all(targets.map((t) => this.scrapeOne(t)));
    const answered = shards.filter((s) => s.snapshot);
    const merged =
      answered.length > 0
        ? mergeSnapshots(
            answered.map((s) => ({
              source: `shard ${s.snapshot!.shard.index} (${s.target.id})`,
              snapshot: s.snapshot!,
            })),
          )
        : undefined;
    const declared = answered.reduce((n, s) => Math.max(n, s.snapshot!.shard.count), 0);
    const expectedShards = this.options.expectedShards ?? (declared > 0 ? declared : undefined);
    const accounted = new Set<number>();
    for (const s of shards) {
      const index = s.snapshot?.shard.index ?? s.target.index;
      if (index !== undefined) accounted.add(index);
    }
    const missingShardIndexes: number[] = [];
    for (let i = 0; i < (expectedShards ?? 0); i++)
      if (!accounted.has(i)) missingShardIndexes.push(i);
    return { shards, expectedShards, missingShardIndexes, merged };
  }

  /** The merged snapshot of every shard that answers; fails when none does. */
  async mergedSnapshot(): Promise<MergedSnapshot> {
    const observation = await this.observe();
    if (!observation.merged)
      throw new FleetUnreachableError(
        `no fleet shard answered:\n${observation.shards.map((s) => `  ${s.target.id}: ${s.problem}`).join('\n') || '  (no shards found)'}`,
      );
    return observation.merged;
  }

  /**
   * Waits until `fraction` of `expectedNodes` are Ready across all shards. On timeout it fails with
   * HF_FLEET_NOT_READY, naming missing and unreachable shards, each shard's Ready count and the
   * most frequent errors.
   */
  async waitReady(options: WaitReadyOptions): Promise<FleetObservation> {
    const target = Math.ceil(options.expectedNodes * options.fraction);
    const started = this.now();
    const deadline = started + options.timeoutMs;
    const pollMs = options.pollMs ?? 2000;
    for (;;) {
      const observation = await this.observe();
      options.onProgress?.(observation);
      const ready = observation.merged?.gauges.ready ?? 0;
      if (ready >= target) return observation;
      if (this.now() >= deadline)
        throw new ReadinessTimeoutError(
          diagnoseFleet(observation, options.expectedNodes, target, this.now() - started),
        );
      await this.sleep(Math.min(pollMs, Math.max(0, deadline - this.now())));
    }
  }
}

/** One line per shard: index, where, Ready/connected counts or why it did not answer. */
export function describeShard(s: ShardObservation): string {
  const index = s.snapshot?.shard.index ?? s.target.index;
  const label = `shard ${index ?? '?'} (${s.target.id})`;
  if (!s.snapshot) return `${label}: ${s.problem ?? 'no snapshot'}`;
  const g = s.snapshot.gauges;
  const errors = topErrors(s.snapshot.errorsByCode, 3);
  return `${label}: ${g.ready ?? 0}/${s.snapshot.nodes} Ready, ${g.connected ?? 0} connected${errors ? `; ${errors}` : ''}`;
}

function topErrors(byCode: Record<string, number>, n: number): string {
  return Object.entries(byCode)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([code, count]) => `${code} ×${count}`)
    .join(', ');
}

export function diagnoseFleet(
  observation: FleetObservation,
  expectedNodes: number,
  target: number,
  elapsedMs: number,
): string {
  const ready = observation.merged?.gauges.ready ?? 0;
  const lines = [
    `${ready} of ${expectedNodes} hollow nodes Ready across the fleet after ${Math.round(elapsedMs / 1000)} s, ${target} required (${target - ready} missing).`,
  ];
  if (observation.missingShardIndexes.length > 0)
    lines.push(
      `missing shards (no pod or URL answers for them): ${observation.missingShardIndexes.join(', ')} of ${observation.expectedShards}`,
    );
  const unreachable = observation.shards.filter((s) => !s.snapshot);
  if (unreachable.length > 0)
    lines.push(`unreachable shards: ${unreachable.map((s) => s.target.id).join(', ')}`);
  for (const s of observation.shards) lines.push(`  ${describeShard(s)}`);
  const errors = observation.merged ? topErrors(observation.merged.errorsByCode, 5) : '';
  lines.push(
    errors ? `top errors: ${errors}` : 'no errors were reported by the shards that answered',
  );
  return lines.join('\n');
}
