import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError, HollowfleetError } from '../common/errors.js';
import { createHistogram, summarize, type HistogramSummary } from '../common/histogram.js';
import type { EdgeCounter, EdgeGauge, EdgeMetric } from '../edge/events.js';
import type { FaultInjection, FaultRequest } from '../edge/faults.js';
import type { ErrorPayload } from '../common/errors.js';
import type { ChildFaultMessage } from './child.js';
import { planFault, splitTargets } from './faults.js';
import {
  ReadinessTimeoutError,
  validateFleetOptions,
  type FleetNotice,
  type FleetOptions,
  type FleetSnapshot,
} from './fleet.js';
import { encodeMergedHistograms, mergeSnapshots, type MergedSnapshot } from './merge.js';
import { splitRange } from './naming.js';

interface Child {
  gcDone?: () => void;
  faultDone: Map<string, (nodes: number, error?: ErrorPayload) => void>;
  range: { start: number; end: number };
  process: ChildProcess;
  snapshot: FleetSnapshot | undefined;
  exited: Promise<void>;
}

/**
 * A machine-level fleet of several processes (`--processes N`): each child runs a Fleet over a
 * contiguous slice of the shard's nodes, with names and IPs as if one process ran them all.
 */
export class ProcessFleet {
  private readonly children: Child[] = [];
  readonly notices: FleetNotice[] = [];
  private merged: MergedSnapshot | undefined;
  private readonly noticeListeners: Array<(notice: FleetNotice) => void> = [];
  private startedAt = 0;
  private faultSeq = 0;

  constructor(
    readonly options: FleetOptions,
    readonly processes: number,
    private readonly toolVersion: string,
    /** Start the fleet processes with --expose-gc so `collectGarbage()` can settle RSS before a measurement. */
    private readonly exposeGc = false,
  ) {
    if (!Number.isInteger(processes) || processes < 1)
      throw new ConfigError(`--processes must be a positive integer, got ${processes}`);
    if (processes > options.nodes)
      throw new ConfigError(`--processes ${processes} is more than --nodes ${options.nodes}`);
    validateFleetOptions(options);
  }

  async start(): Promise<void> {
    const here = import.meta.url;
    const file = fileURLToPath(new URL(here.endsWith('.ts') ? './child.ts' : './child.js', here));
    const execArgv = [
      ...(here.endsWith('.ts') ? ['--import', 'tsx'] : []),
      ...(this.exposeGc ? ['--expose-gc'] : []),
    ];
    const ranges = splitRange(this.options.nodes, this.processes);
    const rate = this.options.connectRate ?? 500;
    const handshakes = this.options.maxConcurrentHandshakes ?? 100;
    this.startedAt = Date.now();
    const started: Array<Promise<void>> = [];
    for (const range of ranges) {
      const child = fork(file, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const entry: Child = {
        faultDone: new Map(),
        range: {
          start: (this.options.indexOffset ?? 0) + range.start,
          end: (this.options.indexOffset ?? 0) + range.end,
        },
        process: child,
        snapshot: undefined,
        exited: new Promise((r) => child.once('exit', () => r())),
      };
      this.children.push(entry);
      started.push(
        new Promise<void>((resolve, reject) => {
          child.on(
            'message',
            (msg: {
              type: string;
              snapshot?: FleetSnapshot;
              notice?: FleetNotice;
              error?: { code: string; message: string };
              id?: string;
              action?: string;
              nodes?: number;
            }) => {
              if (msg.type === 'started') resolve();
              else if (msg.type === 'fault-done')
                entry.faultDone.get(`${msg.action}/${msg.id}`)?.(msg.nodes ?? 0, msg.error);
              else if (msg.type === 'gc-done') entry.gcDone?.();
              else if (msg.type === 'failed')
                reject(new HollowfleetError(msg.error!.code, msg.error!.message));
              else if (msg.type === 'snapshot' && msg.snapshot) {
                entry.snapshot = msg.snapshot;
                this.merged = undefined;
              } else if (msg.type === 'notice' && msg.notice) {
                this.notices.push(msg.notice);
                for (const l of this.noticeListeners) l(msg.notice);
              }
            },
          );
          child.once('exit', (code) =>
            reject(
              new HollowfleetError(
                'HF_FLEET_PROCESS',
                `a fleet process exited with code ${code} before it started`,
              ),
            ),
          );
        }),
      );
      child.send({
        type: 'start',
        toolVersion: this.toolVersion,
        intervalMs: 1000,
        options: {
          ...this.options,
          nodes: range.end - range.start,
          indexOffset: (this.options.indexOffset ?? 0) + range.start,
          shardNodes: this.options.shardNodes ?? this.options.nodes,
          // The ramp is per process: split the machine's budget between them.
          connectRate: rate > 0 ? rate / this.processes : 0,
          maxConcurrentHandshakes: Math.max(1, Math.floor(handshakes / this.processes)),
        },
      });
    }
    await Promise.all(started);
  }

  private view(): MergedSnapshot {
    this.merged ??= mergeSnapshots(
      this.children
        .filter((c) => c.snapshot)
        .map((c, i) => ({ source: `fleet process ${i}`, snapshot: c.snapshot! })),
    );
    return this.merged;
  }

  gauge(name: EdgeGauge): number {
    return this.view().gauges[name] ?? 0;
  }

  counter(name: EdgeCounter): number {
    return this.view().counters[name] ?? 0;
  }

  histogram(metric: EdgeMetric): HistogramSummary {
    return summarize(this.view().histograms[metric] ?? createHistogram());
  }

  errorsByCode(): Record<string, number> {
    return this.view().errorsByCode;
  }

  messages(): Record<string, number> {
    return this.view().messages;
  }

  workerStats(): Array<{ workerId: number; eventLoopP99Ms: number; heapUsedBytes: number }> {
    const out: Array<{ workerId: number; eventLoopP99Ms: number; heapUsedBytes: number }> = [];
    this.children.forEach((c, p) => {
      for (const w of c.snapshot?.workers ?? [])
        out.push({ ...w, workerId: p * 1000 + w.workerId });
    });
    return out;
  }

  onNotice(listener: (notice: FleetNotice) => void): void {
    this.noticeListeners.push(listener);
  }

  /** Waits for the next snapshot of every process. */
  async flush(timeoutMs = 3000): Promise<void> {
    const before = this.children.map((c) => c.snapshot);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.children.some((c, i) => c.snapshot === before[i]))
      await new Promise((r) => setTimeout(r, 50));
  }

  snapshot(): FleetSnapshot {
    const merged = this.view();
    const first = this.children[0]?.snapshot;
    return {
      schema: 1,
      tool: 'hollowfleet',
      toolVersion: this.toolVersion,
      shard: first?.shard ?? this.options.shard ?? { index: 0, count: 1 },
      prefix: first?.prefix ?? this.options.prefix ?? 'hollow',
      nodes: this.options.nodes,
      takenAt: new Date().toISOString(),
      gauges: merged.gauges,
      counters: merged.counters,
      messages: merged.messages,
      errorsByCode: merged.errorsByCode,
      histograms: encodeMergedHistograms(merged),
      workers: this.workerStats(),
    };
  }

  async waitReady(fraction: number, timeoutMs: number): Promise<void> {
    const target = Math.ceil(this.options.nodes * fraction);
    const deadline = Date.now() + timeoutMs;
    while (this.gauge('ready') < target) {
      if (Date.now() > deadline) {
        const byCode = Object.entries(this.errorsByCode())
          .map(([c, n]) => `${c} ×${n}`)
          .join(', ');
        const first = this.notices
          .slice(0, 5)
          .map((n) => `  ${n.node}: ${n.error.message} [${n.error.code}]`);
        throw new ReadinessTimeoutError(
          [
            `${this.gauge('ready')} of ${this.options.nodes} nodes Ready after ${Math.round(timeoutMs / 1000)} s, ${target} required.`,
            byCode ? `errors: ${byCode}` : 'no errors were reported',
            ...first,
          ].join('\n'),
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  get elapsedMs(): number {
    return this.startedAt ? Date.now() - this.startedAt : 0;
  }

  /** The worst worker event-loop delay p99 across processes, over the last stats interval. */
  eventLoopP99Ms(): number {
    let worst = 0;
    for (const c of this.children)
      for (const w of c.snapshot?.workers ?? []) worst = Math.max(worst, w.eventLoopP99Ms);
    return worst;
  }

  /** Asks every process and worker to collect garbage and report; resolves when all did. */
  async collectGarbage(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            c.gcDone = resolve;
            c.process.send({ type: 'gc' });
          }),
      ),
    );
  }

  /** As Fleet.inject, selecting across every process of the shard with one seed. */
  async inject(request: FaultRequest): Promise<FaultInjection> {
    const offset = this.options.indexOffset ?? 0;
    const plan = planFault(
      {
        naming: {
          prefix: this.options.prefix ?? 'hollow',
          shard: this.options.shard ?? { index: 0, count: 1 },
        },
        start: offset,
        end: offset + this.options.nodes,
        shardNodes: this.options.shardNodes ?? this.options.nodes,
        profile: this.options.profile ?? {},
      },
      request,
    );
    const id = `fault-${process.pid}-p${++this.faultSeq}`;
    const byChild = splitTargets(
      plan.targets,
      this.children.map((c) => c.range),
    );
    await this.command((i) => ({
      type: 'fault',
      action: 'apply',
      id,
      fault: request.fault,
      targets: byChild[i] ?? [],
    }));
    return { id, nodes: plan.nodes };
  }

  /** Ends a fault in every process; returns the nodes it had reached. */
  clear(id: string): Promise<number> {
    return this.command(() => ({ type: 'fault', action: 'clear', id }));
  }

  private async command(build: (child: number) => ChildFaultMessage): Promise<number> {
    const answers = this.children.map(
      (c, i) =>
        new Promise<number>((resolve, reject) => {
          const msg = build(i);
          const key = `${msg.action}/${msg.id}`;
          const timer = setTimeout(() => {
            c.faultDone.delete(key);
            reject(
              new HollowfleetError(
                'HF_FAULT_TIMEOUT',
                `fleet process ${i} did not confirm fault ${msg.id} (${msg.action}) within 15 s`,
              ),
            );
          }, 15_000);
          c.faultDone.set(key, (nodes, error) => {
            clearTimeout(timer);
            c.faultDone.delete(key);
            if (error) reject(new HollowfleetError(error.code, error.message));
            else resolve(nodes);
          });
          c.process.send(msg);
        }),
    );
    return (await Promise.all(answers)).reduce((a, b) => a + b, 0);
  }

  childPids(): number[] {
    return this.children.map((c) => c.process.pid ?? 0);
  }

  async stop(): Promise<void> {
    for (const c of this.children) if (c.process.connected) c.process.send({ type: 'stop' });
    await Promise.race([
      Promise.all(this.children.map((c) => c.exited)),
      new Promise((r) => setTimeout(r, 30_000)),
    ]);
    for (const c of this.children) if (c.process.exitCode === null) c.process.kill('SIGKILL');
  }
}
