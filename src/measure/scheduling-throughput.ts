/**
 * SchedulingThroughput (cl2.md §3.3): every interval, the number of scheduled (non-terminating,
 * spec.nodeName set) matching pods is compared with the previous count and divided by the
 * interval's whole seconds. Gather reports nearest-rank perc50/90/99 and max in pods/s; with
 * `threshold` > 0 it fails when max < threshold (enableViolations defaults to true here).
 * As in CL2 the first sample counts from zero, so pods scheduled before start land in it.
 */
import { ConfigError } from '../common/errors.js';
import { ListWatch } from '../kube/list-watch.js';
import { optionalDurationMs } from './duration.js';
import { nearestRank, roundToNanosecondMs } from './percentile.js';
import { actionOf, boolParam, numberParam, stringParam } from './result.js';
import type {
  Measurement,
  MeasurementContext,
  MeasurementMethod,
  MeasurementParams,
  MeasurementResult,
} from './types.js';

export interface ThroughputSummary {
  perc50: number;
  perc90: number;
  perc99: number;
  max: number;
}

export function throughputSummary(samples: readonly number[]): ThroughputSummary {
  const sorted = Float64Array.from(samples).sort();
  return {
    perc50: nearestRank(sorted, 50),
    perc90: nearestRank(sorted, 90),
    perc99: nearestRank(sorted, 99),
    max: sorted.length === 0 ? 0 : sorted[sorted.length - 1]!,
  };
}

/** Takes one sample per interval from `scheduledCount()`, sleeping with the injected `sleep`. */
export class SchedulingThroughputSampler {
  readonly samples: number[] = [];
  private previous = 0;
  private stopped = false;
  private readonly intervalSeconds: number;
  readonly done: Promise<void>;

  constructor(
    private readonly options: {
      intervalMs: number;
      scheduledCount: () => number;
      sleep: (ms: number) => Promise<void>;
      maxSamples?: number;
    },
  ) {
    // CL2 divides by the interval's whole seconds (time.Duration / time.Second).
    this.intervalSeconds = Math.trunc(options.intervalMs / 1000);
    if (this.intervalSeconds < 1)
      throw new ConfigError(
        `SchedulingThroughput measurmentInterval: ${options.intervalMs} ms is under one second; CL2 divides by whole seconds, so use at least "1s"`,
      );
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    const max = this.options.maxSamples ?? 10_000_000;
    while (!this.stopped && this.samples.length < max) {
      try {
        await this.options.sleep(this.options.intervalMs);
      } catch {
        return;
      }
      if (this.stopped) return;
      const scheduled = this.options.scheduledCount();
      this.samples.push((scheduled - this.previous) / this.intervalSeconds);
      this.previous = scheduled;
    }
  }

  stop(): void {
    this.stopped = true;
  }
}

export function schedulingThroughputResult(
  identifier: string,
  samples: readonly number[],
  params: { threshold: number; enableViolations: boolean; intervalS: number },
): MeasurementResult {
  const s = throughputSummary(samples);
  const base = {
    method: 'SchedulingThroughput',
    identifier,
    summaryName: 'SchedulingThroughput',
    source: `scheduled pod count every ${params.intervalS} s (watch)`,
  };
  if (samples.length === 0)
    return {
      ...base,
      status: 'skipped',
      reason: `no sample: the measurement ran shorter than one interval (${params.intervalS} s)`,
      verdicts: [],
      data: { kind: 'schedulingThroughput', intervalS: params.intervalS, samples: [], ...s },
    };
  const verdicts =
    params.threshold > 0
      ? [
          {
            metric: 'SchedulingThroughput max',
            observed: s.max,
            threshold: params.threshold,
            comparator: '>=' as const,
            unit: 'pods/s' as const,
            samples: samples.length,
            method: 'SchedulingThroughput',
            pass: !(s.max < params.threshold),
            enforced: params.enableViolations,
          },
        ]
      : [];
  const failed = verdicts.some((v) => !v.pass);
  const result: MeasurementResult = {
    ...base,
    status: failed && params.enableViolations ? 'fail' : 'pass',
    verdicts,
    data: {
      kind: 'schedulingThroughput',
      intervalS: params.intervalS,
      samples: [...samples],
      ...s,
    },
    cl2: { perc50: s.perc50, perc90: s.perc90, perc99: s.perc99, max: s.max },
  };
  if (failed)
    result.reason = `scheduling throughput: max ${roundToNanosecondMs(s.max)} pods/s is below the threshold ${params.threshold} pods/s${params.enableViolations ? '' : ' (not enforced: enableViolations is false)'}`;
  if (params.threshold === 0)
    result.reason = 'no threshold set (threshold 0): figures reported, nothing checked';
  return result;
}

class SchedulingThroughputMeasurement implements Measurement {
  private sampler: SchedulingThroughputSampler | undefined;
  private watch: ListWatch | undefined;
  private intervalS = 0;
  private startParams: MeasurementParams = {};

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
    if (action === 'gather') return [this.gather(params)];
    throw new ConfigError(
      `SchedulingThroughput ${this.identifier}: unknown action "${action}"; use start or gather`,
    );
  }

  private async start(params: MeasurementParams): Promise<void> {
    if (this.sampler)
      throw new ConfigError(`SchedulingThroughput ${this.identifier}: already started`);
    this.startParams = params;
    const intervalMs = optionalDurationMs(
      params.measurmentInterval ?? params.measurementInterval,
      'SchedulingThroughput measurmentInterval',
      5000,
    );
    this.intervalS = Math.trunc(intervalMs / 1000);
    const scheduled = new Map<string, boolean>();
    let count = 0;
    const namespace = stringParam(params, 'namespace');
    this.watch = new ListWatch(this.context.kube.kubeConfig, {
      path: namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods` : '/api/v1/pods',
      labelSelector: stringParam(params, 'labelSelector'),
      fieldSelector: stringParam(params, 'fieldSelector'),
      onEvent: (type, object) => {
        const key = `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
        const was = scheduled.get(key) ?? false;
        const pod = object as {
          spec?: { nodeName?: string };
          metadata?: { deletionTimestamp?: string };
        };
        const now = type !== 'DELETED' && !!pod.spec?.nodeName && !pod.metadata?.deletionTimestamp;
        if (type === 'DELETED') scheduled.delete(key);
        else scheduled.set(key, now);
        count += (now ? 1 : 0) - (was ? 1 : 0);
      },
      onError: (err) =>
        this.context.log(`SchedulingThroughput ${this.identifier}: ${err.message} (watch resumes)`),
    });
    await this.watch.start();
    this.sampler = new SchedulingThroughputSampler({
      intervalMs,
      scheduledCount: () => count,
      sleep: (ms) => this.context.sleep(ms),
    });
  }

  private gather(params: MeasurementParams): MeasurementResult {
    if (!this.sampler)
      throw new ConfigError(
        `SchedulingThroughput ${this.identifier}: gather without start; add an action: start step before it`,
      );
    this.sampler.stop();
    this.watch?.stop();
    const merged = { ...this.startParams, ...params };
    const result = schedulingThroughputResult(this.identifier, this.sampler.samples, {
      threshold: numberParam(merged, 'threshold', 0),
      enableViolations: boolParam(merged, 'enableViolations', true),
      intervalS: this.intervalS,
    });
    this.sampler = undefined;
    this.watch = undefined;
    return result;
  }

  async dispose(): Promise<void> {
    this.sampler?.stop();
    this.watch?.stop();
  }
}

export const schedulingThroughputMethod: MeasurementMethod = {
  name: 'SchedulingThroughput',
  create: (context, identifier) => new SchedulingThroughputMeasurement(context, identifier),
};
