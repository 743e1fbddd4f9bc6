/**
 * The measurement plug-in contract. A scenario step names a Method; the scenario engine keeps one
 * Measurement instance per (Method, Identifier), so `action: start` and a later `action: gather`
 * reach the same object, as in ClusterLoader2. Every result says which method produced its numbers
 * and, when a measurement could not be taken, says so as `skipped` with the reason — never `pass`.
 */
import type { EncodedHistogram } from '../common/histogram.js';
import type { FaultInjection, FaultRequest } from '../edge/faults.js';
import type { KubeApi } from '../kube/api.js';

export type MeasurementParams = Readonly<Record<string, unknown>>;

/** Read-only view of the edge fleet, local (in-process) or merged from shards. */
export interface FleetSource {
  /** Merged snapshot: counters, gauges and encoded HDR histograms (see src/fleet/fleet.ts). */
  snapshot(): Promise<FleetSnapshotView>;
}

export interface FleetSnapshotView {
  nodes: number;
  gauges: Readonly<Record<string, number>>;
  counters: Readonly<Record<string, number>>;
  histograms: Readonly<Record<string, EncodedHistogram>>;
  errorsByCode: Readonly<Record<string, number>>;
}

/** Client-side latency of every request the harness makes, per (verb, resource). */
export interface ClientLatencySource {
  /** Histograms keyed `VERB resource[/subresource] scope`. */
  histograms(): ReadonlyMap<string, EncodedHistogram>;
}

/** Injects connection-level faults into the fleet; Fleet and ProcessFleet implement it. */
export interface FleetControl {
  /** Applies a fault to the selected nodes; resolves once every worker has it. */
  inject(request: FaultRequest): Promise<FaultInjection>;
  /** Ends a fault early (links heal, flaps stop); resolves with the nodes it had reached. */
  clear(id: string): Promise<number>;
}

/** CloudCore instances the harness may stop, for failover measurements. */
export interface CloudCoreControl {
  instances(): string[];
  stop(instance: string): Promise<void>;
}

export interface MeasurementContext {
  kube: KubeApi;
  /**
   * kube-apiserver `/metrics` targets to scrape individually (HA control planes). Empty means
   * "scrape through the kube client's server URL".
   */
  apiserverMetricsUrls: readonly string[];
  fleet?: FleetSource;
  /** Fault injection into the fleet; fault measurements are `skipped` without it. */
  fleetControl?: FleetControl;
  /** Stops CloudCore instances (embedded: a hub); without it, failover deletes the pod via `kube`. */
  cloudcore?: CloudCoreControl;
  clientLatency?: ClientLatencySource;
  /** Run directory for raw dumps (per-pod timings, MetricsForE2E); written by the measurement. */
  runDir: string;
  /** Wall clock in ms since the epoch. */
  now(): number;
  /** Monotonic high-resolution clock in ms (performance.now() based). */
  monotonic(): number;
  /** Waits ms or until the run is aborted (rejects with the abort reason). */
  sleep(ms: number): Promise<void>;
  log(message: string): void;
  signal: AbortSignal;
}

export type ResultStatus = 'pass' | 'fail' | 'skipped' | 'error';

/** One checked number: what was observed, against what, by which method, over how many samples. */
export interface Verdict {
  /** e.g. `pod_startup Perc99`, `POST pods resource Perc99`, `SchedulingThroughput max`. */
  metric: string;
  observed: number;
  threshold: number;
  /** `<=`: observed must not exceed threshold (latencies); `>=`: must reach it (throughput). */
  comparator: '<=' | '>=';
  unit: 'ms' | 's' | 'pods/s' | 'count' | 'nodes' | '%';
  samples: number;
  method: string;
  pass: boolean;
  /** False when CL2 would only report it (e.g. enableViolations: false). */
  enforced: boolean;
}

/** Chart- and comparison-ready figures, by kind. */
export type MeasurementData =
  | {
      kind: 'podStartup';
      /** Transition → percentiles in ms (nearest rank) and sample count. */
      transitions: Record<
        string,
        { Perc50: number; Perc90: number; Perc99: number; samples: number }
      >;
      /** Transition → HDR histogram of all samples, for distribution charts and shard merges. */
      histograms?: Record<string, EncodedHistogram>;
    }
  | {
      kind: 'apiLatency';
      metricName: string;
      items: Array<{
        verb: string;
        resource: string;
        subresource: string;
        scope: string;
        Perc50: number;
        Perc90: number;
        Perc99: number;
        count: number;
        slowCount: number;
        thresholdMs: number;
      }>;
    }
  | {
      kind: 'schedulingThroughput';
      intervalS: number;
      samples: number[];
      perc50: number;
      perc90: number;
      perc99: number;
      max: number;
    }
  | {
      kind: 'histograms';
      /** Metric → encoded HDR histogram (edge SLIs, client-side latency). */
      histograms: Record<string, EncodedHistogram>;
      counters?: Record<string, number>;
    }
  | {
      kind: 'gate';
      objects: number;
      done: number;
      failedPods: Array<{
        namespace: string;
        controlledBy: string;
        name: string;
        host: string;
        status: string;
      }>;
    }
  | {
      kind: 'fault';
      /** The fault as injected (FaultSpec JSON), or `cloudcoreFailover`. */
      fault: unknown;
      /** What was injected when, relative to the first injection (ms). */
      injections: Array<{ id: string; atMs: number; nodes: number }>;
      /** Distinct nodes hit by the fault (instances stopped, for a failover). */
      affected: number;
      /** Fleet levels sampled around the fault; tMs relative to the first injection (negative: before). */
      timeline: Array<{ tMs: number; connected: number; ready: number; podsRunning: number }>;
      /** First injection → every level back to its baseline; null when it never came back in time. */
      recoveredAfterMs: number | null;
      /** Edge metric → summary of what was recorded during the measurement (ms). */
      recovery: Record<
        string,
        { count: number; p50: number; p90: number; p99: number; max: number }
      >;
      histograms: Record<string, EncodedHistogram>;
      /** Counter deltas over the measurement: disconnects, messages lost, delayed, duplicated… */
      counters: Record<string, number>;
    }
  | { kind: 'none' };

export interface MeasurementResult {
  method: string;
  identifier: string;
  /** CL2 SummaryName, e.g. `PodStartupLatency_PodStartupLatency`, `APIResponsivenessPrometheus_simple`. */
  summaryName: string;
  status: ResultStatus;
  /** Why it failed, errored or was skipped. */
  reason?: string;
  /** How the figures were produced, e.g. `watch receive time (HEAD)`, `apiserver /metrics diff, sli, simple`. */
  source: string;
  verdicts: Verdict[];
  data: MeasurementData;
  /** CL2-compatible file body (PerfData etc.), written as `<summaryName>_<config>_<time>.json`. */
  cl2?: unknown;
  /** Files this measurement wrote into the run directory (relative names). */
  files?: string[];
  /** When the result was gathered (RFC 3339); CL2 puts this time in the result file's name. */
  gatheredAt?: string;
}

export interface Measurement {
  /** Runs one action (`params.action`: start | gather | reset | stop | …); gathers return results. */
  execute(params: MeasurementParams): Promise<MeasurementResult[]>;
  /** Releases watches and timers; called once at the end of the run, also on failure. */
  dispose(): Promise<void>;
}

export interface MeasurementMethod {
  readonly name: string;
  /** CL2 method names that this one also answers to (none by default). */
  readonly aliases?: readonly string[];
  create(context: MeasurementContext, identifier: string): Measurement;
}

/** Methods CL2 has that hollowfleet does not implement: reported `skipped: not supported`. */
export const UNSUPPORTED_CL2_METHODS: readonly string[] = [
  'InClusterNetworkLatency',
  'DnsLookupLatency',
  'SLOMeasurement',
  'NetworkProgrammingLatency',
  'GenericPrometheusQuery',
  'EtcdMetrics',
  'SchedulingMetrics',
  'CPUProfile',
  'MemoryProfile',
  'BlockProfile',
  'SystemPodMetrics',
  'ClusterOOMsTracker',
  'ResourceUsageSummary',
  'APIAvailability',
];
