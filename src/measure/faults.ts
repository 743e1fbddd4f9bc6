/**
 * Edge-network fault measurements: inject a fault into the fleet (or stop a CloudCore instance),
 * watch the fleet's connected and Ready levels around it, and report how the nodes recovered —
 * reconnect → Ready and pod-status recovery histograms, and the messages lost, delayed or
 * duplicated. Scenario steps use them as `action: start` / `stop` / `gather`, or `run` for one shot.
 *
 * Params (durations as `500ms`, `10s`; distributions as `uniform:1s-10s`, `lognormal:3s,0.5`):
 * - every fault method: selection `fraction` (0.5 or `50%`) or `count`, `shard`, `labels`,
 *   `namePattern` (glob), `seed`, `spread`, flat or under `selector`; `recoveryTimeout` (2m),
 *   `sampleInterval` (1s), `baselineWindow` (0), `reconnectToReadyP99` (optional threshold)
 * - EdgeDisconnectStorm: `reconnectDelay` (0); `hold` (0) before gathering when run
 * - EdgeLinkDegradation: `latency`, `jitter`, `loss`, `direction` (both | up | down), `duration`
 *   (0: until stop)
 * - EdgeHalfOpen: `duration` (required), `then` (resume | close)
 * - EdgeNodeFlap: `flaps` (3), `period` (5s), `downDelay` (0)
 * - CloudCoreFailover: `instance` (embedded hub id, or the CloudCore pod on a real cluster),
 *   `namespace` (kubeedge)
 */
import { ConfigError } from '../common/errors.js';
import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  summarize,
  type EncodedHistogram,
  type Histogram,
} from '../common/histogram.js';
import type { FaultInjection, FaultSpec, NodeSelector } from '../edge/faults.js';
import { parseFault, parseSelector } from '../edge/faults.js';
import { parseDurationMs } from '../edge/profile.js';
import type {
  FleetControl,
  FleetSnapshotView,
  FleetSource,
  Measurement,
  MeasurementContext,
  MeasurementData,
  MeasurementMethod,
  MeasurementParams,
  MeasurementResult,
  Verdict,
} from './types.js';

/** Counters whose change over a fault measurement is reported. */
const FAULT_COUNTERS = [
  'faultsApplied',
  'faultDisconnects',
  'disconnects',
  'reconnects',
  'connectAttempts',
  'faultDroppedUp',
  'faultDroppedDown',
  'faultDelayedUp',
  'faultDelayedDown',
  'faultAcksLost',
  'duplicatePushes',
  'halfOpenClosedByCloud',
  'requestTimeouts',
  'protocolErrors',
  'readyRepairs',
  'certRenewals',
  'certRenewalFailures',
] as const;

/** Edge metrics whose samples during a fault measurement make its recovery histograms. */
const RECOVERY_METRICS = [
  'reconnectToReadyMs',
  'faultRecoveryMs',
  'podStatusRecoveryMs',
  'faultDelayMs',
  'requestMs',
  'certRenewalMs',
] as const;

interface Levels {
  connected: number;
  ready: number;
  podsRunning: number;
}

function levels(s: FleetSnapshotView): Levels {
  return {
    connected: s.gauges.connected ?? 0,
    ready: s.gauges.ready ?? 0,
    podsRunning: s.gauges.podsRunning ?? 0,
  };
}

function durationParam(params: MeasurementParams, key: string, fallback: number): number {
  const v = params[key];
  if (v === undefined) return fallback;
  if (typeof v === 'number' && v >= 0) return v;
  if (typeof v === 'string') return parseDurationMs(v, `Params.${key}`);
  throw new ConfigError(`Params.${key}: expected a duration such as 30s, got ${String(v)}`);
}

function histogramDelta(
  after: EncodedHistogram | undefined,
  before: EncodedHistogram | undefined,
  where: string,
): Histogram {
  const h = after ? decodeHistogram(after, where) : createHistogram();
  if (before) h.subtract(decodeHistogram(before, where));
  return h;
}

type Kind = 'disconnect' | 'degrade' | 'halfOpen' | 'flap' | 'failover';

interface MethodShape {
  name: string;
  kind: Kind;
  summaryName: string;
  /** Turns the step's params into the fault spec (not for failover). */
  fault?: (params: MeasurementParams) => FaultSpec;
}

/**
 * One fault measurement instance. `start` records the baseline, injects and starts sampling;
 * `stop` clears a fault that lasts until cleared; `gather` waits for recovery and reports; `run`
 * does all three, waiting out the fault's own duration in between.
 */
class FaultMeasurement implements Measurement {
  private baseline: FleetSnapshotView | undefined;
  private baseLevels: Levels | undefined;
  private startedAt = 0;
  private readonly injections: Array<FaultInjection & { atMs: number }> = [];
  private readonly affectedNodes = new Set<string>();
  private timeline: Array<{ tMs: number } & Levels> = [];
  private sampling: Promise<void> | undefined;
  private samplingStopped = false;
  private skipReason: string | undefined;
  private fault: FaultSpec | { kind: 'cloudcoreFailover'; instance: string | null } | undefined;
  private stoppedInstances: string[] = [];
  private sampleMs = 1000;

  constructor(
    private readonly ctx: MeasurementContext,
    private readonly identifier: string,
    private readonly shape: MethodShape,
  ) {}

  async execute(params: MeasurementParams): Promise<MeasurementResult[]> {
    const action = String(params.action ?? 'run');
    switch (action) {
      case 'start':
        await this.start(params);
        return [];
      case 'stop':
        await this.clear();
        return [];
      case 'gather':
        return [await this.gather(params)];
      case 'run': {
        await this.start(params);
        if (!this.skipReason) await this.ctx.sleep(this.faultLastsMs(params));
        await this.clear();
        return [await this.gather(params)];
      }
      default:
        throw new ConfigError(
          `${this.shape.name} (${this.identifier}): action "${action}" is not one of start, stop, gather, run`,
        );
    }
  }

  /** How long `run` waits before it clears and gathers. */
  private faultLastsMs(params: MeasurementParams): number {
    const spec = this.fault;
    switch (spec?.kind) {
      case 'degrade':
      case 'halfOpen':
        return spec.durationMs;
      case 'flap':
        return spec.count * spec.periodMs;
      default:
        return durationParam(params, 'hold', 0);
    }
  }

  private missingHandle(): string | undefined {
    if (!this.ctx.fleet)
      return 'no fleet view in this run (the fleet is not driven by this harness)';
    if (this.shape.kind === 'failover') {
      if (!this.ctx.cloudcore && !this.ctx.kube)
        return 'no CloudCore control and no Kubernetes client to delete a CloudCore pod';
      return undefined;
    }
    if (!this.ctx.fleetControl)
      return 'no fleet control handle in this run: faults need a fleet started by this harness';
    return undefined;
  }

  private async start(params: MeasurementParams): Promise<void> {
    this.skipReason = this.missingHandle();
    if (this.skipReason) return;
    this.sampleMs = durationParam(params, 'sampleInterval', 1000);
    const fleet = this.ctx.fleet!;
    if (!this.baseline) {
      this.baseline = await fleet.snapshot();
      this.baseLevels = levels(this.baseline);
      this.startedAt = this.ctx.monotonic();
      this.timeline.push({ tMs: 0, ...this.baseLevels });
      // A few samples before the fault, so the timeline shows the levels it started from.
      const before = durationParam(params, 'baselineWindow', 0);
      for (let waited = 0; waited < before; waited += this.sampleMs) {
        await this.ctx.sleep(Math.min(this.sampleMs, before - waited));
        const s = await fleet.snapshot();
        this.timeline.push({ tMs: this.ctx.monotonic() - this.startedAt, ...levels(s) });
      }
    }
    if (this.shape.kind === 'failover') await this.failover(params);
    else await this.inject(params, this.ctx.fleetControl!);
    this.sampling ??= this.sample(fleet);
  }

  private async inject(params: MeasurementParams, control: FleetControl): Promise<void> {
    const spec = this.shape.fault!(params);
    const select: NodeSelector = parseSelector(
      { ...((params.selector as Record<string, unknown> | undefined) ?? {}), ...pick(params) },
      `${this.shape.name} Params`,
    );
    this.fault = spec;
    const injection = await control.inject({ fault: spec, select });
    this.injections.push({ ...injection, atMs: this.ctx.monotonic() - this.startedAt });
    for (const n of injection.nodes) this.affectedNodes.add(n);
    this.ctx.log(
      `${this.shape.name}: ${spec.kind} on ${injection.nodes.length} nodes (${injection.id})`,
    );
  }

  private async failover(params: MeasurementParams): Promise<void> {
    const wanted = params.instance === undefined ? undefined : String(params.instance);
    this.fault = { kind: 'cloudcoreFailover', instance: wanted ?? null };
    const at = this.ctx.monotonic() - this.startedAt;
    if (this.ctx.cloudcore) {
      const instances = this.ctx.cloudcore.instances();
      const instance = wanted ?? instances[0];
      if (!instance || !instances.includes(instance))
        throw new ConfigError(
          `${this.shape.name}: CloudCore instance "${String(instance)}" is not running (running: ${instances.join(', ') || 'none'}); set Params.instance to one of them`,
        );
      await this.ctx.cloudcore.stop(instance);
      this.stoppedInstances.push(instance);
      this.injections.push({ id: instance, nodes: [], atMs: at });
      return;
    }
    // A real cluster: delete the CloudCore pod and let its Deployment replace it.
    const namespace = String(params.namespace ?? 'kubeedge');
    if (!wanted)
      throw new ConfigError(
        `${this.shape.name}: set Params.instance to the CloudCore pod to delete (namespace ${namespace})`,
      );
    await this.ctx.kube.request({
      method: 'DELETE',
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(wanted)}`,
    });
    this.stoppedInstances.push(wanted);
    this.injections.push({ id: wanted, nodes: [], atMs: at });
  }

  private async sample(fleet: FleetSource): Promise<void> {
    while (!this.samplingStopped && !this.ctx.signal.aborted) {
      try {
        await this.ctx.sleep(this.sampleMs);
      } catch {
        return;
      }
      if (this.samplingStopped) return;
      try {
        const s = await fleet.snapshot();
        this.timeline.push({ tMs: this.ctx.monotonic() - this.startedAt, ...levels(s) });
      } catch (err) {
        // The fleet went away (stopped or failed): the gather reports what was sampled so far.
        this.ctx.log(`${this.shape.name}: timeline sampling stopped: ${(err as Error).message}`);
        return;
      }
    }
  }

  private async clear(): Promise<void> {
    if (this.skipReason || !this.ctx.fleetControl) return;
    for (const injection of this.injections) {
      if (injection.nodes.length > 0) await this.ctx.fleetControl.clear(injection.id);
    }
  }

  private async gather(params: MeasurementParams): Promise<MeasurementResult> {
    const base = {
      method: this.shape.name,
      identifier: this.identifier,
      summaryName: `${this.shape.summaryName}_${this.identifier}`,
      verdicts: [] as Verdict[],
    };
    if (this.skipReason || !this.baseline || !this.baseLevels) {
      return {
        ...base,
        status: 'skipped',
        reason: this.skipReason ?? 'gather before start: no fault was injected',
        source: 'fleet fault control',
        data: { kind: 'none' },
      };
    }
    const fleet = this.ctx.fleet!;
    const timeoutMs = durationParam(params, 'recoveryTimeout', 120_000);
    const deadline = this.ctx.monotonic() + timeoutMs;
    const target = this.baseLevels;
    let recoveredAfterMs: number | null = null;
    let last = await fleet.snapshot();
    // Recovery: every level back to its baseline, after the fault has visibly bitten (or right away
    // for faults that do not lower the levels, such as degradation).
    for (;;) {
      const l = levels(last);
      const now = this.ctx.monotonic();
      this.timeline.push({ tMs: now - this.startedAt, ...l });
      if (
        l.connected >= target.connected &&
        l.ready >= target.ready &&
        l.podsRunning >= target.podsRunning
      ) {
        if (this.bitten(last)) {
          recoveredAfterMs = now - this.startedAt - (this.injections[0]?.atMs ?? 0);
          break;
        }
      }
      if (now >= deadline) break;
      await this.ctx.sleep(Math.min(this.sampleMs, 250));
      last = await fleet.snapshot();
    }
    this.samplingStopped = true;
    await this.sampling;
    const data = this.figures(last, recoveredAfterMs);
    const verdicts = this.verdicts(data, params, timeoutMs);
    return {
      ...base,
      status: verdicts.every((v) => v.pass || !v.enforced) ? 'pass' : 'fail',
      ...(recoveredAfterMs === null
        ? { reason: `the fleet did not return to its baseline levels within ${timeoutMs} ms` }
        : {}),
      source:
        'hollow-node fault injection; fleet counters and HDR histograms diffed over the measurement',
      verdicts,
      data,
    };
  }

  /** Whether the fault's effect has shown up in the fleet's counters (so recovery can be judged). */
  private bitten(s: FleetSnapshotView): boolean {
    const delta = (k: string) => (s.counters[k] ?? 0) - (this.baseline!.counters[k] ?? 0);
    const spec = this.fault;
    switch (spec?.kind) {
      case 'disconnect':
      case 'flap': {
        const perNode = spec.kind === 'flap' ? spec.count : 1;
        const expected = this.injections.reduce((n, i) => n + i.nodes.length, 0) * perNode;
        return delta('faultDisconnects') >= expected && delta('disconnects') >= expected;
      }
      case 'halfOpen': {
        // Nodes whose socket the cloud closed meanwhile must have noticed and come back.
        const mustReconnect =
          spec.then === 'close' ? this.affectedNodes.size : delta('halfOpenClosedByCloud');
        return (
          delta('faultsApplied') >= this.affectedNodes.size && delta('disconnects') >= mustReconnect
        );
      }
      case 'cloudcoreFailover':
        return delta('disconnects') > 0;
      default:
        return true;
    }
  }

  private figures(
    last: FleetSnapshotView,
    recoveredAfterMs: number | null,
  ): Extract<MeasurementData, { kind: 'fault' }> {
    const counters: Record<string, number> = {};
    for (const k of FAULT_COUNTERS)
      counters[k] = (last.counters[k] ?? 0) - (this.baseline!.counters[k] ?? 0);
    const recovery: Extract<MeasurementData, { kind: 'fault' }>['recovery'] = {};
    const histograms: Record<string, EncodedHistogram> = {};
    for (const metric of RECOVERY_METRICS) {
      const h = histogramDelta(
        last.histograms[metric],
        this.baseline!.histograms[metric],
        `${this.shape.name} ${metric}`,
      );
      if (h.totalCount === 0) continue;
      const s = summarize(h);
      recovery[metric] = { count: s.count, p50: s.p50Ms, p90: s.p90Ms, p99: s.p99Ms, max: s.maxMs };
      histograms[metric] = encodeHistogram(h);
    }
    return {
      kind: 'fault',
      fault: this.fault,
      injections: this.injections.map((i) => ({ id: i.id, atMs: i.atMs, nodes: i.nodes.length })),
      affected:
        this.shape.kind === 'failover' ? this.stoppedInstances.length : this.affectedNodes.size,
      // Relative to the first injection: the baseline samples come out negative.
      timeline: this.timeline.map((p) => ({ ...p, tMs: p.tMs - (this.injections[0]?.atMs ?? 0) })),
      recoveredAfterMs,
      recovery,
      histograms,
      counters,
    };
  }

  private verdicts(
    data: Extract<MeasurementData, { kind: 'fault' }>,
    params: MeasurementParams,
    timeoutMs: number,
  ): Verdict[] {
    const method = `${this.shape.name} (fleet levels and edge histograms)`;
    const last = data.timeline[data.timeline.length - 1]!;
    const verdicts: Verdict[] = [
      {
        metric: 'Ready nodes after recovery',
        observed: last.ready,
        threshold: this.baseLevels!.ready,
        comparator: '>=',
        unit: 'nodes',
        samples: data.timeline.length,
        method,
        pass: last.ready >= this.baseLevels!.ready,
        enforced: true,
      },
      {
        metric: 'recovery time',
        observed: data.recoveredAfterMs ?? timeoutMs,
        threshold: timeoutMs,
        comparator: '<=',
        unit: 'ms',
        samples: 1,
        method,
        pass: data.recoveredAfterMs !== null,
        enforced: true,
      },
    ];
    if (this.shape.kind === 'disconnect' || this.shape.kind === 'flap') {
      const perNode = this.fault?.kind === 'flap' ? this.fault.count : 1;
      const expected = data.affected * perNode;
      const reconnected = data.recovery.reconnectToReadyMs?.count ?? 0;
      verdicts.push({
        metric: 'reconnects back to Ready',
        observed: reconnected,
        threshold: expected,
        comparator: '>=',
        unit: 'count',
        samples: reconnected,
        method,
        pass: reconnected >= expected,
        enforced: true,
      });
    }
    const p99Threshold = params.reconnectToReadyP99;
    if (p99Threshold !== undefined && data.recovery.reconnectToReadyMs) {
      const threshold = durationParam(params, 'reconnectToReadyP99', 0);
      const observed = data.recovery.reconnectToReadyMs.p99;
      verdicts.push({
        metric: 'reconnectToReady Perc99',
        observed,
        threshold,
        comparator: '<=',
        unit: 'ms',
        samples: data.recovery.reconnectToReadyMs.count,
        method,
        pass: observed <= threshold,
        enforced: true,
      });
    }
    return verdicts;
  }

  async dispose(): Promise<void> {
    this.samplingStopped = true;
    await this.clear().catch(() => undefined);
    await this.sampling?.catch(() => undefined);
  }
}

/** Selector fields may be given flat in Params, as CL2 configs usually do. */
function pick(params: MeasurementParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['fraction', 'count', 'shard', 'labels', 'namePattern', 'seed', 'spread'])
    if (params[k] !== undefined) out[k] = params[k];
  return out;
}

function faultFrom(kind: FaultSpec['kind']) {
  return (params: MeasurementParams): FaultSpec =>
    parseFault({ ...params, kind }, `Params (${kind})`);
}

const SHAPES: MethodShape[] = [
  {
    name: 'EdgeDisconnectStorm',
    kind: 'disconnect',
    summaryName: 'EdgeDisconnectStorm',
    fault: faultFrom('disconnect'),
  },
  {
    name: 'EdgeLinkDegradation',
    kind: 'degrade',
    summaryName: 'EdgeLinkDegradation',
    fault: faultFrom('degrade'),
  },
  {
    name: 'EdgeHalfOpen',
    kind: 'halfOpen',
    summaryName: 'EdgeHalfOpen',
    fault: faultFrom('halfOpen'),
  },
  { name: 'EdgeNodeFlap', kind: 'flap', summaryName: 'EdgeNodeFlap', fault: faultFrom('flap') },
  { name: 'CloudCoreFailover', kind: 'failover', summaryName: 'CloudCoreFailover' },
];

/** The fault measurement methods by name, for the measurement registry. */
export function faultMeasurementMethods(): Map<string, MeasurementMethod> {
  const methods = new Map<string, MeasurementMethod>();
  for (const shape of SHAPES) {
    methods.set(shape.name, {
      name: shape.name,
      create: (context, identifier) => new FaultMeasurement(context, identifier, shape),
    });
  }
  return methods;
}

/** What a Fleet or ProcessFleet offers that the fault measurements need. */
export interface ControllableFleet extends FleetControl {
  flush(): Promise<void>;
  snapshot(): {
    nodes: number;
    gauges: Partial<Record<string, number>>;
    counters: Partial<Record<string, number>>;
    histograms: Partial<Record<string, EncodedHistogram>>;
    errorsByCode: Record<string, number>;
  };
}

/** The fleet view and fault control of a fleet run in this process, for a MeasurementContext. */
export function fleetHandles(fleet: ControllableFleet): {
  fleet: FleetSource;
  fleetControl: FleetControl;
} {
  const defined = <T>(record: Partial<Record<string, T>>): Record<string, T> =>
    Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Record<
      string,
      T
    >;
  return {
    fleet: {
      async snapshot() {
        await fleet.flush();
        const s = fleet.snapshot();
        return {
          nodes: s.nodes,
          gauges: defined(s.gauges),
          counters: defined(s.counters),
          histograms: defined(s.histograms),
          errorsByCode: s.errorsByCode,
        };
      },
    },
    fleetControl: {
      inject: (request) => fleet.inject(request),
      clear: (id) => fleet.clear(id),
    },
  };
}
