/**
 * PodStartupLatency (cl2.md §3.1), the way ClusterLoader2 measures it at HEAD and, alongside and
 * labelled, the legacy way every published number before mid-2026 used:
 * - HEAD (enforced): create = first watch event seen for the pod (pods already there at start: the
 *   start time), schedule = first event with spec.nodeName, run = watch = first event with phase
 *   Running, each stamped on a monotonic clock in the event handler. Immune to edge clock skew.
 * - legacy (reported, not enforced): create = metadata.creationTimestamp, schedule = the
 *   scheduler's `Scheduled` Event time listed at gather, run = the latest container startedAt,
 *   watch = wall-clock receive time of the first Running event.
 *
 * The tracker keeps one slot per pod in typed columns plus a Map from `namespace/name` to the slot,
 * so retained memory is a few dozen bytes of numbers and the key per pod.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { ConfigError } from '../common/errors.js';
import {
  createHistogram,
  encodeHistogram,
  recordMs,
  type EncodedHistogram,
} from '../common/histogram.js';
import { ListWatch } from '../kube/list-watch.js';
import { optionalDurationMs } from './duration.js';
import { percentilesOfSorted, roundToNanosecondMs, type LatencyPercentiles } from './percentile.js';
import { actionOf, describeFailures, errorResult, statusOf, stringParam } from './result.js';
import { resolveThresholds, SLO_METRICS, thresholdOf } from './slo.js';
import type {
  Measurement,
  MeasurementContext,
  MeasurementMethod,
  MeasurementParams,
  MeasurementResult,
  Verdict,
} from './types.js';

const epochOffset = Date.now() - performance.now();
/** performance.now() mapped to the epoch once: monotonic, comparable with wall-clock times. */
export function monotonicNow(): number {
  return epochOffset + performance.now();
}

export interface PodLike {
  metadata?: { namespace?: string; name?: string; creationTimestamp?: string };
  spec?: { nodeName?: string; volumes?: ReadonlyArray<Record<string, unknown>> };
  status?: {
    phase?: string;
    containerStatuses?: ReadonlyArray<{
      state?: { running?: { startedAt?: string } | null } | null;
    }>;
  };
}

const VOLUME_UNKNOWN = 0;
const VOLUME_STATELESS = 1;
const VOLUME_STATEFUL = 2;
const STATELESS_SOURCES = ['emptyDir', 'downwardAPI', 'configMap', 'secret', 'projected'];

/** CL2 `isPodStateless`: every volume is emptyDir, downwardAPI, configMap, secret or projected. */
export function isStatelessVolumes(
  volumes: ReadonlyArray<Record<string, unknown>> | undefined,
): boolean {
  for (const volume of volumes ?? [])
    if (!STATELESS_SOURCES.some((source) => volume[source] != null)) return false;
  return true;
}

function parseTime(text: string | undefined): number {
  return text ? Date.parse(text) : NaN;
}

function latestStartedAt(statuses: NonNullable<PodLike['status']>['containerStatuses']): number {
  let latest = NaN;
  for (const s of statuses ?? []) {
    const t = parseTime(s.state?.running?.startedAt ?? undefined);
    if (!Number.isNaN(t) && !(t <= latest)) latest = t;
  }
  return latest;
}

function nanColumn(n: number): Float64Array {
  return new Float64Array(n).fill(NaN);
}

export class PodStartupTracker {
  private readonly slots = new Map<string, number>();
  private capacity: number;
  private create: Float64Array;
  private schedule: Float64Array;
  private run: Float64Array;
  private legacyCreate: Float64Array;
  private legacyRun: Float64Array;
  private legacyWatch: Float64Array;
  private volumes: Uint8Array;
  private runningCount = 0;
  private readonly wallClock: () => number;

  constructor(options: { initialCapacity?: number; wallClock?: () => number } = {}) {
    this.capacity = Math.max(16, options.initialCapacity ?? 1024);
    this.wallClock = options.wallClock ?? Date.now;
    this.create = nanColumn(this.capacity);
    this.schedule = nanColumn(this.capacity);
    this.run = nanColumn(this.capacity);
    this.legacyCreate = nanColumn(this.capacity);
    this.legacyRun = nanColumn(this.capacity);
    this.legacyWatch = nanColumn(this.capacity);
    this.volumes = new Uint8Array(this.capacity);
  }

  get size(): number {
    return this.slots.size;
  }

  running(): number {
    return this.runningCount;
  }

  /**
   * Feed every watch event with the monotonic time it was received. Only ADDED and MODIFIED count
   * (CL2 ignores deletes); the first event for a pod fixes its create time.
   */
  observe(type: string, pod: PodLike, recvTimeMs: number = monotonicNow()): void {
    if (type !== 'ADDED' && type !== 'MODIFIED') return;
    const metadata = pod.metadata;
    if (!metadata?.name) return;
    const key = `${metadata.namespace ?? ''}/${metadata.name}`;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.slots.size;
      if (slot === this.capacity) this.grow();
      this.slots.set(key, slot);
      this.create[slot] = recvTimeMs;
    }
    const spec = pod.spec;
    if (spec) {
      if (this.volumes[slot] === VOLUME_UNKNOWN)
        this.volumes[slot] = isStatelessVolumes(spec.volumes) ? VOLUME_STATELESS : VOLUME_STATEFUL;
      if (spec.nodeName && Number.isNaN(this.schedule[slot]!)) this.schedule[slot] = recvTimeMs;
    }
    if (pod.status?.phase === 'Running' && Number.isNaN(this.run[slot]!)) {
      this.run[slot] = recvTimeMs;
      this.runningCount++;
      // Legacy phases were all captured together, when the pod was first seen Running.
      this.legacyCreate[slot] = parseTime(metadata.creationTimestamp);
      this.legacyRun[slot] = latestStartedAt(pod.status.containerStatuses);
      this.legacyWatch[slot] = this.wallClock();
    }
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const widen = (column: Float64Array) => {
      const next = nanColumn(capacity);
      next.set(column);
      return next;
    };
    this.create = widen(this.create);
    this.schedule = widen(this.schedule);
    this.run = widen(this.run);
    this.legacyCreate = widen(this.legacyCreate);
    this.legacyRun = widen(this.legacyRun);
    this.legacyWatch = widen(this.legacyWatch);
    const volumes = new Uint8Array(capacity);
    volumes.set(this.volumes);
    this.volumes = volumes;
    this.capacity = capacity;
  }

  /** @internal column access for the computations below. */
  columns(): TrackerColumns {
    return {
      slots: this.slots,
      create: this.create,
      schedule: this.schedule,
      run: this.run,
      legacyCreate: this.legacyCreate,
      legacyRun: this.legacyRun,
      legacyWatch: this.legacyWatch,
      volumes: this.volumes,
    };
  }
}

export interface TrackerColumns {
  slots: ReadonlyMap<string, number>;
  create: Float64Array;
  schedule: Float64Array;
  run: Float64Array;
  legacyCreate: Float64Array;
  legacyRun: Float64Array;
  legacyWatch: Float64Array;
  volumes: Uint8Array;
}

export const POD_STARTUP_TRANSITIONS = [
  'create_to_schedule',
  'schedule_to_run',
  'run_to_watch',
  'schedule_to_watch',
  'pod_startup',
  'create_to_run',
] as const;
export type Transition = (typeof POD_STARTUP_TRANSITIONS)[number];
type Phase = 'create' | 'schedule' | 'run' | 'watch';
const TRANSITION_PHASES: Record<Transition, [Phase, Phase]> = {
  create_to_schedule: ['create', 'schedule'],
  schedule_to_run: ['schedule', 'run'],
  run_to_watch: ['run', 'watch'],
  schedule_to_watch: ['schedule', 'watch'],
  pod_startup: ['create', 'watch'],
  create_to_run: ['create', 'run'],
};

export type TransitionLatency = LatencyPercentiles & { count: number };
export type TransitionTable = Record<Transition, TransitionLatency>;
export const POD_GROUPS = ['All', 'Stateless', 'Stateful'] as const;
export type PodGroup = (typeof POD_GROUPS)[number];

/** A scheduler Event for a pod, as listed at gather (legacy method). */
export interface SchedulerEvent {
  namespace: string;
  name: string;
  eventTime?: string;
  firstTimestamp?: string;
}

type PhaseColumns = Record<Phase, Float64Array>;

function headPhases(c: TrackerColumns): PhaseColumns {
  return { create: c.create, schedule: c.schedule, run: c.run, watch: c.run };
}

function legacyPhases(c: TrackerColumns, legacySchedule: Float64Array): PhaseColumns {
  return {
    create: c.legacyCreate,
    schedule: legacySchedule,
    run: c.legacyRun,
    watch: c.legacyWatch,
  };
}

function inGroup(group: PodGroup, volumeClass: number): boolean {
  if (group === 'All') return true;
  return (volumeClass === VOLUME_STATEFUL) === (group === 'Stateful');
}

export interface GroupComputation {
  table: TransitionTable;
  histograms: Record<Transition, EncodedHistogram>;
}

/** Latency per transition over pods with both ends, negatives clamped to 0, nearest-rank. */
export function transitionTables(
  columns: TrackerColumns,
  phases: PhaseColumns,
  withHistograms = false,
): Record<PodGroup, GroupComputation> {
  const n = columns.slots.size;
  const scratch = new Float64Array(n);
  const out = {} as Record<PodGroup, GroupComputation>;
  for (const group of POD_GROUPS) {
    const table = {} as TransitionTable;
    const histograms = {} as Record<Transition, EncodedHistogram>;
    for (const transition of POD_STARTUP_TRANSITIONS) {
      const [fromPhase, toPhase] = TRANSITION_PHASES[transition];
      const from = phases[fromPhase];
      const to = phases[toPhase];
      let count = 0;
      for (let slot = 0; slot < n; slot++) {
        if (!inGroup(group, columns.volumes[slot]!)) continue;
        const a = from[slot]!;
        const b = to[slot]!;
        if (Number.isNaN(a) || Number.isNaN(b)) continue;
        scratch[count++] = b > a ? b - a : 0;
      }
      const sorted = scratch.subarray(0, count).sort();
      const p = percentilesOfSorted(sorted);
      table[transition] = {
        Perc50: roundToNanosecondMs(p.Perc50),
        Perc90: roundToNanosecondMs(p.Perc90),
        Perc99: roundToNanosecondMs(p.Perc99),
        count,
      };
      if (withHistograms) {
        const h = createHistogram();
        for (let i = 0; i < count; i++) recordMs(h, sorted[i]!);
        histograms[transition] = encodeHistogram(h);
      }
    }
    out[group] = { table, histograms };
  }
  return out;
}

/** The legacy schedule column: the last `Scheduled` event listed per tracked pod that ran. */
export function legacyScheduleColumn(
  columns: TrackerColumns,
  events: readonly SchedulerEvent[],
): Float64Array {
  const column = nanColumn(columns.slots.size);
  for (const e of events) {
    const slot = columns.slots.get(`${e.namespace}/${e.name}`);
    if (slot === undefined || Number.isNaN(columns.run[slot]!)) continue;
    column[slot] = e.eventTime ? parseTime(e.eventTime) : parseTime(e.firstTimestamp);
  }
  return column;
}

/** Watch-method transitions over all tracked pods (the quick-start summary's shape). */
export function podStartupTransitions(tracker: PodStartupTracker): TransitionTable {
  const columns = tracker.columns();
  return transitionTables(columns, headPhases(columns)).All.table;
}

export interface PodStartupThresholds {
  perc50: number;
  perc90: number;
  perc99: number;
}

/** CL2 params: `threshold` (default 5 s from the SLO table) and perc50/90/99Threshold. */
export function podStartupThresholds(params: MeasurementParams): PodStartupThresholds {
  const table = resolveThresholds(params.slo);
  const pick = (name: string, metric: string) => {
    const fallback =
      params.threshold !== undefined
        ? optionalDurationMs(params.threshold, 'PodStartupLatency threshold', 0)
        : thresholdOf(table, metric);
    const ms = optionalDurationMs(params[name], `PodStartupLatency ${name}`, fallback ?? 0);
    if (!(ms > 0))
      throw new ConfigError(
        `PodStartupLatency ${name}: must be a positive duration such as "5s", got ${String(params[name] ?? params.threshold)}`,
      );
    return ms;
  };
  return {
    perc50: pick('perc50Threshold', SLO_METRICS.podStartupP50),
    perc90: pick('perc90Threshold', SLO_METRICS.podStartupP90),
    perc99: pick('perc99Threshold', SLO_METRICS.podStartupP99),
  };
}

export const HEAD_SOURCE = 'watch receive time (HEAD)';
export const LEGACY_SOURCE =
  'legacy CL2 (creationTimestamp, scheduler Scheduled event, latest container startedAt, watch time)';

function verdictsFor(
  startup: TransitionLatency,
  thresholds: PodStartupThresholds,
  method: string,
  enforced: boolean,
  prefix = '',
): Verdict[] {
  return (
    [
      ['Perc50', thresholds.perc50],
      ['Perc90', thresholds.perc90],
      ['Perc99', thresholds.perc99],
    ] as const
  ).map(([field, threshold]) => ({
    metric: `${prefix}pod_startup ${field}`,
    observed: startup[field],
    threshold,
    comparator: '<=' as const,
    unit: 'ms' as const,
    samples: startup.count,
    method,
    // CL2 fails only when strictly greater than the threshold.
    pass: !(startup[field] > threshold),
    enforced,
  }));
}

export function podStartupPerfData(table: TransitionTable): unknown {
  return {
    version: '1.0',
    dataItems: POD_STARTUP_TRANSITIONS.map((t) => ({
      data: { Perc50: table[t].Perc50, Perc90: table[t].Perc90, Perc99: table[t].Perc99 },
      unit: 'ms',
      labels: { Metric: t },
    })),
  };
}

export interface PodStartupGatherInput {
  identifier: string;
  thresholds: PodStartupThresholds;
  /** Scheduler events for the legacy method; undefined when they could not be listed. */
  schedulerEvents?: readonly SchedulerEvent[];
  schedulerEventsProblem?: string;
}

/** The three CL2 summaries (All, Stateless, Stateful), HEAD enforced and legacy alongside. */
export function podStartupResults(
  tracker: PodStartupTracker,
  input: PodStartupGatherInput,
): MeasurementResult[] {
  const columns = tracker.columns();
  const head = transitionTables(columns, headPhases(columns), true);
  const legacySchedule = legacyScheduleColumn(columns, input.schedulerEvents ?? []);
  const legacy = transitionTables(columns, legacyPhases(columns, legacySchedule));
  const method = 'PodStartupLatency';
  return POD_GROUPS.map((group) => {
    const summaryName = `${group === 'All' ? '' : group}PodStartupLatency_${input.identifier}`;
    const { table, histograms } = head[group];
    const legacyTable = legacy[group].table;
    const verdicts = [
      ...verdictsFor(table.pod_startup, input.thresholds, `${method} (${HEAD_SOURCE})`, true),
      ...verdictsFor(
        legacyTable.pod_startup,
        input.thresholds,
        `${method} (${LEGACY_SOURCE})`,
        false,
        'legacy ',
      ),
    ];
    const transitions: Record<
      string,
      { Perc50: number; Perc90: number; Perc99: number; samples: number }
    > = {};
    for (const t of POD_STARTUP_TRANSITIONS) {
      const h = table[t];
      transitions[t] = { Perc50: h.Perc50, Perc90: h.Perc90, Perc99: h.Perc99, samples: h.count };
      const l = legacyTable[t];
      transitions[`legacy/${t}`] = {
        Perc50: l.Perc50,
        Perc90: l.Perc90,
        Perc99: l.Perc99,
        samples: l.count,
      };
    }
    const result: MeasurementResult = {
      method,
      identifier: input.identifier,
      summaryName,
      status: statusOf(verdicts),
      source: `${HEAD_SOURCE}; legacy figures alongside, not enforced`,
      verdicts,
      data: { kind: 'podStartup', transitions, histograms },
      cl2: podStartupPerfData(table),
    };
    const notes: string[] = [];
    if (table.pod_startup.count === 0) {
      result.status = 'skipped';
      notes.push(
        group === 'All'
          ? `no tracked pod reached Running (${tracker.size} pods tracked); check the selector and that the pods started`
          : `no ${group.toLowerCase()} pod reached Running (CL2 writes zeros for an empty group; hollowfleet does not call that a pass)`,
      );
    } else if (result.status === 'fail') {
      notes.push(
        `pod startup: too high latency: ${describeFailures(verdicts.filter((v) => v.enforced))}`,
      );
    }
    if (input.schedulerEventsProblem)
      notes.push(`legacy schedule times unavailable: ${input.schedulerEventsProblem}`);
    if (notes.length > 0) result.reason = notes.join('; ');
    return result;
  });
}

interface RawRow {
  namespace: string;
  name: string;
  volumes: 'stateless' | 'stateful';
  /** HEAD times in ms since the measurement started (monotonic clock). */
  createMs: number | null;
  scheduleMs: number | null;
  runMs: number | null;
  podStartupMs: number | null;
  legacyCreate: string | null;
  legacySchedule: string | null;
  legacyRun: string | null;
  legacyWatch: string | null;
  legacyPodStartupMs: number | null;
}

function ms3(v: number): number | null {
  return Number.isNaN(v) ? null : Math.round(v * 1000) / 1000;
}
function iso(v: number): string | null {
  return Number.isNaN(v) ? null : new Date(v).toISOString();
}
function span(from: number, to: number): number | null {
  return Number.isNaN(from) || Number.isNaN(to) ? null : ms3(Math.max(0, to - from));
}

function rawRow(
  key: string,
  slot: number,
  c: TrackerColumns,
  legacySchedule: Float64Array,
  origin: number,
): RawRow {
  const slash = key.indexOf('/');
  return {
    namespace: key.slice(0, slash),
    name: key.slice(slash + 1),
    volumes: c.volumes[slot] === VOLUME_STATEFUL ? 'stateful' : 'stateless',
    createMs: ms3(c.create[slot]! - origin),
    scheduleMs: ms3(c.schedule[slot]! - origin),
    runMs: ms3(c.run[slot]! - origin),
    podStartupMs: span(c.create[slot]!, c.run[slot]!),
    legacyCreate: iso(c.legacyCreate[slot]!),
    legacySchedule: iso(legacySchedule[slot]!),
    legacyRun: iso(c.legacyRun[slot]!),
    legacyWatch: iso(c.legacyWatch[slot]!),
    legacyPodStartupMs: span(c.legacyCreate[slot]!, c.legacyWatch[slot]!),
  };
}

/**
 * Writes `<base>.pods.ndjson` (every tracked pod) and `<base>.worst.ndjson` (the `worst` slowest
 * by HEAD pod_startup) into `dir`; returns the file names.
 */
export async function writeRawTimings(
  tracker: PodStartupTracker,
  dir: string,
  base: string,
  options: { origin: number; schedulerEvents?: readonly SchedulerEvent[]; worst?: number },
): Promise<string[]> {
  const c = tracker.columns();
  const legacySchedule = legacyScheduleColumn(c, options.schedulerEvents ?? []);
  const allName = `${base}.pods.ndjson`;
  const out = createWriteStream(path.join(dir, allName), { mode: 0o644 });
  let batch = '';
  for (const [key, slot] of c.slots) {
    batch += `${JSON.stringify(rawRow(key, slot, c, legacySchedule, options.origin))}\n`;
    if (batch.length > 1 << 16) {
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  out.end(batch);
  await once(out, 'finish');
  const ranked: Array<[string, number, number]> = [];
  for (const [key, slot] of c.slots) {
    const d = c.run[slot]! - c.create[slot]!;
    if (!Number.isNaN(d)) ranked.push([key, slot, d]);
  }
  ranked.sort((a, b) => b[2] - a[2]);
  const worstName = `${base}.worst.ndjson`;
  const worst = ranked
    .slice(0, options.worst ?? 100)
    .map(
      ([key, slot]) => `${JSON.stringify(rawRow(key, slot, c, legacySchedule, options.origin))}\n`,
    )
    .join('');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path.join(dir, worstName), worst, { mode: 0o644 });
  return [allName, worstName];
}

interface EventList {
  metadata?: { continue?: string };
  items?: Array<{
    reason?: string;
    source?: { component?: string };
    reportingComponent?: string;
    involvedObject?: { namespace?: string; name?: string };
    eventTime?: string | null;
    firstTimestamp?: string | null;
  }>;
}

/** Lists the scheduler's `Scheduled` events (legacy method), paged by 10000 as CL2 does. */
export async function listSchedulerEvents(
  context: MeasurementContext,
  schedulerName: string,
): Promise<SchedulerEvent[]> {
  const events: SchedulerEvent[] = [];
  let token: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const list = await context.kube.request<EventList>({
      method: 'GET',
      path: '/api/v1/events',
      query: {
        // CL2 selects source=<scheduler>; reason=Scheduled narrows the same set, and the source is
        // checked here so that servers without the `source` field alias give the same answer.
        fieldSelector: 'involvedObject.kind=Pod,reason=Scheduled',
        limit: 10_000,
        continue: token,
      },
    });
    for (const e of list.items ?? []) {
      if (e.reason !== 'Scheduled' || !e.involvedObject?.name) continue;
      const source = e.source?.component ?? e.reportingComponent;
      if (source !== schedulerName) continue;
      events.push({
        namespace: e.involvedObject.namespace ?? '',
        name: e.involvedObject.name,
        eventTime: e.eventTime ?? undefined,
        firstTimestamp: e.firstTimestamp ?? undefined,
      });
    }
    token = list.metadata?.continue || undefined;
    if (!token) break;
  }
  return events;
}

class PodStartupLatencyMeasurement implements Measurement {
  private tracker: PodStartupTracker | undefined;
  private watch: ListWatch | undefined;
  private thresholds: PodStartupThresholds | undefined;
  private startMono = 0;

  constructor(
    private readonly context: MeasurementContext,
    private readonly identifier: string,
  ) {}

  async execute(params: MeasurementParams): Promise<MeasurementResult[]> {
    const action = actionOf(params);
    if (action === 'start') {
      await this.start(params);
      return [];
    }
    if (action === 'gather') return this.gather(params);
    throw new ConfigError(
      `PodStartupLatency ${this.identifier}: unknown action "${action}"; use start or gather`,
    );
  }

  private async start(params: MeasurementParams): Promise<void> {
    if (this.watch)
      throw new ConfigError(
        `PodStartupLatency ${this.identifier}: already started; gather it before starting it again`,
      );
    this.thresholds = podStartupThresholds(params);
    const ctx = this.context;
    const tracker = new PodStartupTracker({ wallClock: () => ctx.now() });
    this.tracker = tracker;
    this.startMono = ctx.monotonic();
    const namespace = stringParam(params, 'namespace');
    let synced = false;
    const startMono = this.startMono;
    this.watch = new ListWatch(ctx.kube.kubeConfig, {
      path: namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods` : '/api/v1/pods',
      labelSelector: stringParam(params, 'labelSelector'),
      fieldSelector: stringParam(params, 'fieldSelector'),
      now: () => ctx.monotonic(),
      // Pods that exist when the measurement starts count as created at the start time (CL2).
      onEvent: (type, object, receivedAt) =>
        tracker.observe(type, object as PodLike, synced ? receivedAt : startMono),
      onSynced: () => {
        synced = true;
      },
      onError: (err) =>
        ctx.log(`PodStartupLatency ${this.identifier}: ${err.message} (watch resumes)`),
    });
    await this.watch.start();
  }

  private async gather(params: MeasurementParams): Promise<MeasurementResult[]> {
    const base = {
      method: 'PodStartupLatency',
      identifier: this.identifier,
      summaryName: `PodStartupLatency_${this.identifier}`,
      source: HEAD_SOURCE,
    };
    const tracker = this.tracker;
    if (!tracker || !this.thresholds)
      return [
        errorResult(
          base,
          new ConfigError(
            `PodStartupLatency ${this.identifier}: gather without start; add an action: start step before it`,
          ),
        ),
      ];
    this.watch?.stop();
    this.watch = undefined;
    const thresholds =
      params.threshold !== undefined ||
      params.perc99Threshold !== undefined ||
      params.perc50Threshold !== undefined ||
      params.perc90Threshold !== undefined
        ? podStartupThresholds(params)
        : this.thresholds;
    let schedulerEvents: SchedulerEvent[] | undefined;
    let problem: string | undefined;
    try {
      schedulerEvents = await listSchedulerEvents(
        this.context,
        stringParam(params, 'schedulerName') ?? 'default-scheduler',
      );
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
    const results = podStartupResults(tracker, {
      identifier: this.identifier,
      thresholds,
      schedulerEvents,
      schedulerEventsProblem: problem,
    });
    try {
      const files = await writeRawTimings(
        tracker,
        this.context.runDir,
        `PodStartupLatency_${this.identifier}`,
        {
          origin: this.startMono,
          schedulerEvents,
        },
      );
      results[0]!.files = files;
    } catch (err) {
      const note = `per-pod timings not written: ${err instanceof Error ? err.message : String(err)}`;
      results[0]!.reason = results[0]!.reason ? `${results[0]!.reason}; ${note}` : note;
    }
    this.tracker = undefined;
    return results;
  }

  async dispose(): Promise<void> {
    this.watch?.stop();
    this.watch = undefined;
    this.tracker = undefined;
  }
}

export const podStartupLatencyMethod: MeasurementMethod = {
  name: 'PodStartupLatency',
  create: (context, identifier) => new PodStartupLatencyMeasurement(context, identifier),
};
