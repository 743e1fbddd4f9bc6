/**
 * The small CL2 methods: `Sleep`, `Timer`, and the stand-in for methods hollowfleet does not
 * implement, which answers every action with `skipped` and the reason instead of a silent pass.
 */
import { ConfigError } from '../common/errors.js';
import { durationMs } from './duration.js';
import { actionOf, stringParam } from './result.js';
import type {
  Measurement,
  MeasurementContext,
  MeasurementMethod,
  MeasurementParams,
  MeasurementResult,
} from './types.js';

export const sleepMethod: MeasurementMethod = {
  name: 'Sleep',
  create: (context) => ({
    async execute(params: MeasurementParams): Promise<MeasurementResult[]> {
      const ms = durationMs(params.duration, 'Sleep duration');
      if (ms < 0)
        throw new ConfigError(
          `Sleep duration: must not be negative, got ${String(params.duration)}`,
        );
      await context.sleep(ms);
      return [];
    },
    async dispose() {},
  }),
};

/** CL2 `Timer`: start/stop per `label`, gather writes the elapsed seconds of every label. */
class TimerMeasurement implements Measurement {
  private readonly started = new Map<string, number>();
  private readonly elapsed = new Map<string, number>();

  constructor(
    private readonly context: MeasurementContext,
    private readonly identifier: string,
  ) {}

  async execute(params: MeasurementParams): Promise<MeasurementResult[]> {
    const action = actionOf(params);
    const given = stringParam(params, 'label');
    if ((action === 'start' || action === 'stop') && given === undefined)
      throw new ConfigError(`Timer ${this.identifier}: ${action} needs a label param`);
    const label = given ?? '';
    switch (action) {
      case 'start':
        this.started.set(label, this.context.monotonic());
        return [];
      case 'stop': {
        const t0 = this.started.get(label);
        if (t0 === undefined)
          throw new ConfigError(
            `Timer ${this.identifier}: stop for label "${label}" without a start; add an action: start step with the same label`,
          );
        this.elapsed.set(label, (this.context.monotonic() - t0) / 1000);
        this.started.delete(label);
        return [];
      }
      case 'gather': {
        const base = {
          method: 'Timer',
          identifier: this.identifier,
          summaryName: 'Timer',
          source: 'monotonic clock',
        };
        if (this.elapsed.size === 0)
          return [
            {
              ...base,
              status: 'skipped',
              reason: 'no timer was stopped before gather',
              verdicts: [],
              data: { kind: 'none' },
            },
          ];
        // CL2's shape: one item mapping each label to seconds, labelled test=phases.
        const items = [
          { data: Object.fromEntries(this.elapsed), unit: 's', labels: { test: 'phases' } },
        ];
        return [
          {
            ...base,
            status: 'pass',
            verdicts: [],
            data: { kind: 'none' },
            cl2: { version: 'v1', dataItems: items },
          },
        ];
      }
      default:
        throw new ConfigError(
          `Timer ${this.identifier}: unknown action "${action}"; use start, stop or gather`,
        );
    }
  }

  async dispose(): Promise<void> {}
}

export const timerMethod: MeasurementMethod = {
  name: 'Timer',
  create: (context, identifier) => new TimerMeasurement(context, identifier),
};

export function unsupportedReason(method: string): string {
  return `not supported by hollowfleet: ${method}`;
}

/** A method hollowfleet does not implement: `skipped` with the reason on every action. */
export function unsupportedMethod(name: string): MeasurementMethod {
  return {
    name,
    create: (_context, identifier) => ({
      async execute(): Promise<MeasurementResult[]> {
        return [
          {
            method: name,
            identifier,
            summaryName: identifier ? `${name}_${identifier}` : name,
            status: 'skipped',
            reason: unsupportedReason(name),
            source: 'none',
            verdicts: [],
            data: { kind: 'none' },
          },
        ];
      },
      async dispose() {},
    }),
  };
}
