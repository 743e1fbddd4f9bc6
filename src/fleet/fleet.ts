/**
 * The fleet: a piscina pool of worker threads, each holding thousands of hollow nodes, driven and
 * observed from the main thread. Stats arrive as absolute counters and histogram deltas, and merge
 * exactly (HDR histograms, never averaged percentiles).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ConfigError, HollowfleetError, type ErrorPayload } from '../common/errors.js';
import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeInto,
  summarize,
  type EncodedHistogram,
  type Histogram,
  type HistogramSummary,
} from '../common/histogram.js';
import type { EdgeCounter, EdgeGauge, EdgeMetric } from '../edge/events.js';
import type { CloudCoreAddress } from '../edge/hollow-node.js';
import { resolveNodeProfile, type NodeProfileInput } from '../edge/profile.js';
import type { FaultInjection, FaultRequest, FaultSpec } from '../edge/faults.js';
import { CertStore, type CertStrategy } from '../protocol/cert-store.js';
import { planFault, splitTargets, type FleetLayout } from './faults.js';
import { WORKER_YOUNG_GENERATION_MB } from './heap.js';
import { nodeName, splitRange, validatePrefix, type ShardSpec } from './naming.js';
import {
  FLEET_PROTOCOL_VERSION,
  type FaultCommand,
  type FaultTarget,
  type WorkerFaultAck,
  type WorkerResult,
  type WorkerStart,
  type WorkerStats,
  type WorkerToMain,
} from './protocol.js';
import { createRampBuffer } from './ramp.js';

export interface FleetOptions {
  nodes: number;
  targets: CloudCoreAddress[];
  certServerUrl: string;
  token: string;
  prefix?: string;
  shard?: ShardSpec;
  workers?: number;
  certStrategy?: CertStrategy;
  certDir?: string;
  tlsServerName?: string;
  insecureSkipVerify?: boolean;
  profile?: NodeProfileInput;
  /** Connects started per second across all workers (0 = unlimited). */
  connectRate?: number;
  maxConcurrentHandshakes?: number;
  statsIntervalMs?: number;
  seed?: number;
  /** This fleet runs node indices [indexOffset, indexOffset + nodes) of a shard of shardNodes (several processes per shard). */
  indexOffset?: number;
  shardNodes?: number;
}

export interface FleetNotice {
  workerId: number;
  node: string;
  error: ErrorPayload;
}

export interface FleetSnapshot {
  schema: 1;
  tool: 'hollowfleet';
  toolVersion: string;
  shard: ShardSpec;
  prefix: string;
  nodes: number;
  takenAt: string;
  gauges: Partial<Record<EdgeGauge, number>>;
  counters: Partial<Record<EdgeCounter, number>>;
  messages: Record<string, number>;
  errorsByCode: Record<string, number>;
  histograms: Partial<Record<EdgeMetric, EncodedHistogram>>;
  workers: Array<{ workerId: number; eventLoopP99Ms: number; heapUsedBytes: number }>;
}

export class FleetError extends HollowfleetError {}

export class ReadinessTimeoutError extends HollowfleetError {
  constructor(message: string) {
    super('HF_FLEET_NOT_READY', message);
  }
}

interface WorkerState {
  stats: WorkerStats | undefined;
  port: MessagePort;
  task: Promise<WorkerResult>;
}

export function validateFleetOptions(
  options: FleetOptions,
): Required<
  Pick<
    FleetOptions,
    | 'prefix'
    | 'shard'
    | 'workers'
    | 'certStrategy'
    | 'statsIntervalMs'
    | 'seed'
    | 'connectRate'
    | 'maxConcurrentHandshakes'
  >
> {
  if (!Number.isInteger(options.nodes) || options.nodes < 1)
    throw new ConfigError(`--nodes must be a positive integer, got ${options.nodes}`);
  if (options.targets.length === 0)
    throw new ConfigError('--cloudcore needs at least one HOST:PORT');
  const prefix = options.prefix ?? 'hollow';
  validatePrefix(prefix);
  const workers =
    options.workers ?? Math.max(1, Math.min(os.availableParallelism(), options.nodes));
  if (!Number.isInteger(workers) || workers < 1)
    throw new ConfigError(`--workers must be a positive integer, got ${workers}`);
  resolveNodeProfile(options.profile ?? {});
  return {
    prefix,
    shard: options.shard ?? { index: 0, count: 1 },
    workers: Math.min(workers, options.nodes),
    certStrategy: options.certStrategy ?? 'shared',
    statsIntervalMs: options.statsIntervalMs ?? 1000,
    seed: options.seed ?? 1,
    connectRate: options.connectRate ?? 500,
    maxConcurrentHandshakes: options.maxConcurrentHandshakes ?? 100,
  };
}

function workerFile(): { filename: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts'))
    return { filename: fileURLToPath(new URL('./worker.ts', here)), execArgv: ['--import', 'tsx'] };
  return { filename: fileURLToPath(new URL('./worker.js', here)), execArgv: [] };
}

export class Fleet {
  readonly options: FleetOptions;
  readonly resolved: ReturnType<typeof validateFleetOptions>;
  private pool: Piscina | undefined;
  private readonly workers = new Map<number, WorkerState>();
  private readonly merged = new Map<EdgeMetric, Histogram>();
  readonly notices: FleetNotice[] = [];
  private listeners: Array<(notice: FleetNotice) => void> = [];
  private statsListeners: Array<() => void> = [];
  private startedAt = 0;
  private stopped = false;
  private ranges: Array<{ start: number; end: number }> = [];
  private faultSeq = 0;
  private readonly faultWaiters = new Map<string, (ack: WorkerFaultAck) => void>();
  toolVersion = '0.0.0';

  constructor(options: FleetOptions) {
    this.options = options;
    this.resolved = validateFleetOptions(options);
  }

  onNotice(listener: (notice: FleetNotice) => void): void {
    this.listeners.push(listener);
  }

  onStats(listener: () => void): void {
    this.statsListeners.push(listener);
  }

  /** Bootstraps the identity, starts the workers and their nodes; resolves once all tasks run. */
  async start(): Promise<void> {
    const r = this.resolved;
    const opts = this.options;
    let identity: WorkerStart['identity'];
    if (r.certStrategy === 'shared') {
      const store = new CertStore({
        certServerUrl: opts.certServerUrl,
        token: opts.token,
        strategy: 'shared',
        dir: opts.certDir,
        tlsServerName: opts.tlsServerName,
        insecureSkipVerify: opts.insecureSkipVerify,
        sharedName: `${r.prefix}-${r.shard.index}`,
      });
      const id = await store.getOrBootstrap(`${r.prefix}-${r.shard.index}`);
      identity = {
        caPem: id.caPem,
        certPem: id.certPem,
        keyPem: id.keyPem,
        renewAt: store.renewAt(id),
      };
    }
    const { filename, execArgv } = workerFile();
    this.pool = new Piscina({
      filename,
      minThreads: r.workers,
      maxThreads: r.workers,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      execArgv,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    const rampBuffer = createRampBuffer({
      connectRate: r.connectRate,
      maxConcurrentHandshakes: r.maxConcurrentHandshakes,
    });
    this.startedAt = Date.now();
    const offset = opts.indexOffset ?? 0;
    const shardNodes = opts.shardNodes ?? opts.nodes;
    const ranges = splitRange(opts.nodes, r.workers).map((x) => ({
      start: x.start + offset,
      end: x.end + offset,
    }));
    this.ranges = ranges;
    ranges.forEach((range, workerId) => {
      const channel = new MessageChannel();
      const start: WorkerStart = {
        version: FLEET_PROTOCOL_VERSION,
        workerId,
        range,
        shardNodes,
        globalOffset: r.shard.index * shardNodes,
        naming: { prefix: r.prefix, shard: r.shard },
        targets: opts.targets,
        certStrategy: r.certStrategy,
        identity,
        certServerUrl: opts.certServerUrl,
        // Workers bootstrap per-node identities, and renew any identity that expires mid-run.
        token: opts.token,
        certDir: opts.certDir,
        tlsServerName: opts.tlsServerName,
        insecureSkipVerify: opts.insecureSkipVerify === true,
        profile: opts.profile ?? {},
        rampBuffer,
        statsIntervalMs: r.statsIntervalMs,
        seed: r.seed,
        port: channel.port2,
      };
      channel.port1.on('message', (msg: WorkerToMain) => this.onWorkerMessage(msg));
      const task = this.pool!.run(start, {
        transferList: [channel.port2],
      }) as Promise<WorkerResult>;
      task.catch((err: unknown) => {
        const notice = {
          workerId,
          node: '',
          error: {
            code: 'HF_WORKER_FAILED',
            message: err instanceof Error ? err.message : String(err),
          },
        };
        this.notices.push(notice);
        for (const l of this.listeners) l(notice);
      });
      this.workers.set(workerId, { stats: undefined, port: channel.port1, task });
    });
  }

  private onWorkerMessage(msg: WorkerToMain): void {
    if (msg.version !== FLEET_PROTOCOL_VERSION) return;
    if (msg.type === 'notice') {
      const notice = { workerId: msg.workerId, node: msg.node, error: msg.error };
      this.notices.push(notice);
      for (const l of this.listeners) l(notice);
      return;
    }
    if (msg.type === 'faultAck') {
      this.faultWaiters.get(`${msg.workerId}/${msg.action}/${msg.id}`)?.(msg);
      return;
    }
    const state = this.workers.get(msg.workerId);
    if (!state) return;
    state.stats = msg;
    for (const [metric, encoded] of Object.entries(msg.histograms) as Array<
      [EdgeMetric, EncodedHistogram]
    >) {
      let h = this.merged.get(metric);
      if (!h) {
        h = createHistogram();
        this.merged.set(metric, h);
      }
      mergeInto(h, decodeHistogram(encoded, `worker ${msg.workerId}`));
    }
    for (const l of this.statsListeners) l();
  }

  gauge(name: EdgeGauge): number {
    let n = 0;
    for (const w of this.workers.values()) n += w.stats?.gauges[name] ?? 0;
    return n;
  }

  counter(name: EdgeCounter): number {
    let n = 0;
    for (const w of this.workers.values()) n += w.stats?.counters[name] ?? 0;
    return n;
  }

  errorsByCode(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const w of this.workers.values())
      for (const [code, n] of Object.entries(w.stats?.errorsByCode ?? {}))
        out[code] = (out[code] ?? 0) + n;
    return out;
  }

  messages(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const w of this.workers.values())
      for (const [k, n] of Object.entries(w.stats?.messages ?? {})) out[k] = (out[k] ?? 0) + n;
    return out;
  }

  histogram(metric: EdgeMetric): HistogramSummary {
    return summarize(this.merged.get(metric) ?? createHistogram());
  }

  workerStats(): Array<{ workerId: number; eventLoopP99Ms: number; heapUsedBytes: number }> {
    return [...this.workers.entries()].map(([workerId, w]) => ({
      workerId,
      eventLoopP99Ms: w.stats?.eventLoopP99Ms ?? 0,
      heapUsedBytes: w.stats?.heapUsedBytes ?? 0,
    }));
  }

  get elapsedMs(): number {
    return this.startedAt ? Date.now() - this.startedAt : 0;
  }

  snapshot(): FleetSnapshot {
    const gauges: Partial<Record<EdgeGauge, number>> = {};
    const counters: Partial<Record<EdgeCounter, number>> = {};
    for (const w of this.workers.values()) {
      for (const [k, v] of Object.entries(w.stats?.gauges ?? {}) as Array<[EdgeGauge, number]>)
        gauges[k] = (gauges[k] ?? 0) + v;
      for (const [k, v] of Object.entries(w.stats?.counters ?? {}) as Array<[EdgeCounter, number]>)
        counters[k] = (counters[k] ?? 0) + v;
    }
    const histograms: Partial<Record<EdgeMetric, EncodedHistogram>> = {};
    for (const [metric, h] of this.merged) histograms[metric] = encodeHistogram(h);
    return {
      schema: 1,
      tool: 'hollowfleet',
      toolVersion: this.toolVersion,
      shard: this.resolved.shard,
      prefix: this.resolved.prefix,
      nodes: this.options.nodes,
      takenAt: new Date().toISOString(),
      gauges,
      counters,
      messages: this.messages(),
      errorsByCode: this.errorsByCode(),
      histograms,
      workers: this.workerStats(),
    };
  }

  /** Asks every worker for fresh stats and waits for them (used before a final summary). */
  async flush(timeoutMs = 2000, type: 'flush' | 'gc' = 'flush'): Promise<void> {
    const before = new Map([...this.workers].map(([id, w]) => [id, w.stats]));
    for (const w of this.workers.values())
      w.port.postMessage({ type, version: FLEET_PROTOCOL_VERSION });
    const deadline = Date.now() + timeoutMs;
    while (
      Date.now() < deadline &&
      [...this.workers].some(([id, w]) => w.stats === before.get(id))
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Waits until `fraction` of the nodes are Ready. On timeout, fails with a diagnosis: how many are
   * missing, which nodes the first errors came from and the error counts by code.
   */
  async waitReady(fraction: number, timeoutMs: number, onProgress?: () => void): Promise<void> {
    const target = Math.ceil(this.options.nodes * fraction);
    const deadline = Date.now() + timeoutMs;
    while (this.gauge('ready') < target) {
      if (this.stopped)
        throw new FleetError('HF_FLEET_STOPPED', 'the fleet was stopped before it was ready');
      if (Date.now() > deadline) throw new ReadinessTimeoutError(this.diagnose(target, timeoutMs));
      onProgress?.();
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  diagnose(target: number, timeoutMs: number): string {
    const ready = this.gauge('ready');
    const lines = [
      `${ready} of ${this.options.nodes} nodes Ready after ${Math.round(timeoutMs / 1000)} s, ${target} required (${target - ready} missing).`,
    ];
    const byCode = Object.entries(this.errorsByCode()).sort((a, b) => b[1] - a[1]);
    if (byCode.length > 0) lines.push(`errors: ${byCode.map(([c, n]) => `${c} ×${n}`).join(', ')}`);
    for (const n of this.notices.slice(0, 5))
      lines.push(`  ${n.node || `worker ${n.workerId}`}: ${n.error.message} [${n.error.code}]`);
    if (byCode.length === 0)
      lines.push(
        'no errors were reported: CloudCore may be slow to answer registrations (raise --wait-timeout) or the connect rate is too low',
      );
    return lines.join('\n');
  }

  /** Which node indices this fleet runs, for fault selection. */
  layout(): FleetLayout {
    const offset = this.options.indexOffset ?? 0;
    return {
      naming: { prefix: this.resolved.prefix, shard: this.resolved.shard },
      start: offset,
      end: offset + this.options.nodes,
      shardNodes: this.options.shardNodes ?? this.options.nodes,
      profile: this.options.profile ?? {},
    };
  }

  /**
   * Applies a fault to the nodes the request selects (deterministic for its seed) and resolves once
   * every worker has it, with the id for `clear` and the selected names.
   */
  async inject(request: FaultRequest): Promise<FaultInjection> {
    const plan = planFault(this.layout(), request);
    const id = `fault-${process.pid}-${++this.faultSeq}`;
    await this.applyFault(id, request.fault, plan.targets);
    return { id, nodes: plan.nodes };
  }

  /** Applies a fault to nodes given by index (ProcessFleet selects across processes); returns nodes reached. */
  async applyFault(id: string, fault: FaultSpec, targets: readonly FaultTarget[]): Promise<number> {
    const byWorker = splitTargets(targets, this.ranges);
    return this.command((workerId) => ({
      type: 'fault',
      version: FLEET_PROTOCOL_VERSION,
      action: 'apply',
      id,
      fault,
      targets: byWorker[workerId] ?? [],
    }));
  }

  /** Ends a fault on every node it reached (links heal, flaps stop); returns nodes reached. */
  clear(id: string): Promise<number> {
    return this.command(() => ({
      type: 'fault',
      version: FLEET_PROTOCOL_VERSION,
      action: 'clear',
      id,
    }));
  }

  private async command(build: (workerId: number) => FaultCommand): Promise<number> {
    if (this.stopped)
      throw new FleetError('HF_FLEET_STOPPED', 'the fleet is stopped: no faults can be injected');
    const answers = [...this.workers].map(([workerId, w]) => {
      const msg = build(workerId);
      const key = `${workerId}/${msg.action}/${msg.id}`;
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.faultWaiters.delete(key);
          reject(
            new FleetError(
              'HF_FAULT_TIMEOUT',
              `worker ${workerId} did not confirm fault ${msg.id} (${msg.action}) within 10 s: it may be overloaded or stopped`,
            ),
          );
        }, 10_000);
        this.faultWaiters.set(key, (ack) => {
          clearTimeout(timer);
          this.faultWaiters.delete(key);
          resolve(ack.nodes);
        });
        w.port.postMessage(msg);
      });
    });
    return (await Promise.all(answers)).reduce((a, b) => a + b, 0);
  }

  /** Names of nodes owned by this fleet (for diagnostics). */
  nodeNames(): string[] {
    return Array.from({ length: this.options.nodes }, (_, i) =>
      nodeName({ prefix: this.resolved.prefix, shard: this.resolved.shard }, i, this.options.nodes),
    );
  }

  /** Stops every node (clean close frames), collects final stats, and ends the workers. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.workers.values())
      w.port.postMessage({ type: 'stop', version: FLEET_PROTOCOL_VERSION });
    await Promise.allSettled([...this.workers.values()].map((w) => w.task));
    // Let the final stats messages, posted just before the tasks resolved, arrive.
    await new Promise((r) => setTimeout(r, 50));
    for (const w of this.workers.values()) w.port.close();
    await this.pool?.destroy();
  }
}
