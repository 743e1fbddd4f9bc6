/**
 * The typed, versioned protocol between the fleet's main thread and its workers. Each worker runs
 * one long-lived piscina task that owns a contiguous range of nodes; while it runs, the two sides
 * talk over a MessagePort handed to the task.
 */
import type { MessagePort } from 'node:worker_threads';
import type { EncodedHistogram } from '../common/histogram.js';
import type { ErrorPayload } from '../common/errors.js';
import type { EdgeCounter, EdgeGauge, EdgeMetric } from '../edge/events.js';
import type { FaultSpec } from '../edge/faults.js';
import type { NodeProfileInput } from '../edge/profile.js';
import type { CloudCoreAddress } from '../edge/hollow-node.js';
import type { CertStrategy } from '../protocol/cert-store.js';
import type { NamingOptions } from './naming.js';

/** 2: fault injection messages (`fault`, `faultAck`). */
export const FLEET_PROTOCOL_VERSION = 2;

export interface WorkerIdentity {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** When the shared certificate is due for renewal (ms since the epoch). */
  renewAt?: number;
}

/** Everything a worker needs; sent once as the task's data. */
export interface WorkerStart {
  version: number;
  workerId: number;
  /** Node indices [start, end) of this shard that this worker owns. */
  range: { start: number; end: number };
  /** Nodes in the whole shard (names are zero-padded for it). */
  shardNodes: number;
  /** Offset of this shard's first node in the whole fleet (derives unique IPs). */
  globalOffset: number;
  naming: NamingOptions;
  targets: CloudCoreAddress[];
  certStrategy: CertStrategy;
  /** The shared identity (strategy `shared`); per-node identities are bootstrapped in the worker. */
  identity?: WorkerIdentity;
  certServerUrl?: string;
  token?: string;
  certDir?: string;
  tlsServerName?: string;
  insecureSkipVerify: boolean;
  profile: NodeProfileInput;
  rampBuffer: SharedArrayBuffer;
  statsIntervalMs: number;
  seed: number;
  port: MessagePort;
}

export type MainToWorker =
  | { type: 'stop'; version: number }
  | { type: 'flush'; version: number }
  /** Collect garbage (when the process runs with --expose-gc), then report: benchmarks measure RSS after it. */
  | { type: 'gc'; version: number }
  | FaultCommand;

/** A node of a worker that a fault hits, by its index in the shard, and when (spread window). */
export interface FaultTarget {
  index: number;
  offsetMs: number;
}

/** Apply a fault to some of the worker's nodes, or clear it from every node it reached. */
export type FaultCommand =
  | {
      type: 'fault';
      version: number;
      action: 'apply';
      id: string;
      fault: FaultSpec;
      targets: FaultTarget[];
    }
  | { type: 'fault'; version: number; action: 'clear'; id: string };

/** The worker's answer to a FaultCommand: how many of its nodes the command reached. */
export interface WorkerFaultAck {
  type: 'faultAck';
  version: number;
  workerId: number;
  id: string;
  action: 'apply' | 'clear';
  nodes: number;
}

export interface WorkerStats {
  type: 'stats';
  version: number;
  workerId: number;
  /** Current levels (absolute). */
  gauges: Partial<Record<EdgeGauge, number>>;
  /** Totals since the worker started (absolute, monotonic). */
  counters: Partial<Record<EdgeCounter, number>>;
  messages: Record<string, number>;
  errorsByCode: Record<string, number>;
  /** Histogram deltas since the previous stats message. */
  histograms: Partial<Record<EdgeMetric, EncodedHistogram>>;
  eventLoopP99Ms: number;
  heapUsedBytes: number;
  final: boolean;
}

/** A notable event, sent at most once per error code per worker (the rest are counted). */
export interface WorkerNotice {
  type: 'notice';
  version: number;
  workerId: number;
  node: string;
  error: ErrorPayload;
}

export type WorkerToMain = WorkerStats | WorkerNotice | WorkerFaultAck;

export interface WorkerResult {
  workerId: number;
  nodes: number;
}
