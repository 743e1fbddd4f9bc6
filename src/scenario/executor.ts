/**
 * The step loop, as ClusterLoader2 runs it: steps one after another; inside a step, every phase in
 * parallel or every measurement in parallel; errors pile up and the run goes on (only an abort
 * stops it). Measurement instances live for the whole run, keyed by (Method, Identifier), so a
 * `start` and a later `gather` reach the same object.
 */
import { HollowfleetError } from '../common/errors.js';
import type {
  Measurement,
  MeasurementContext,
  MeasurementMethod,
  MeasurementParams,
  MeasurementResult,
} from '../measure/types.js';

export interface StepResult {
  /** 1-based, as in CL2's `[step: NN]`. */
  index: number;
  name: string;
  kind: 'phases' | 'measurements';
  startedAt: string;
  durationMs: number;
  /** Error strings, CL2 style: `measurement call <Method> - <Identifier> error: <msg>`. */
  errors: string[];
  /** For measurement steps: the (Method, Identifier) of each measurement, in step order. */
  measurements?: Array<{
    method: string;
    identifier: string;
    durationMs: number;
    errors: string[];
  }>;
}

export interface MeasurementCall {
  method: string;
  /** Empty for a wrapper measurement (Instances). */
  identifier: string;
  params: MeasurementParams;
  instances?: ReadonlyArray<{ identifier: string; params: MeasurementParams }>;
}

export interface ExecutableStep<Phase> {
  /** CL2 display name, `[step: NN] <name>`. */
  name: string;
  phases?: readonly Phase[];
  measurements?: readonly MeasurementCall[];
}

export interface StepLoopOptions<Phase> {
  steps: ReadonlyArray<ExecutableStep<Phase>>;
  /** Runs one phase to the end of its API calls; returns its errors (CL2 keeps going). */
  runPhase(phase: Phase, signal: AbortSignal): Promise<string[]>;
  measurements: MeasurementRegistry;
  signal: AbortSignal;
  onStepStart?(index: number, step: ExecutableStep<Phase>): void;
  onResult?(result: MeasurementResult): void;
}

/** Resolves method names (and aliases) to implementations; unknown names never get this far. */
export interface MeasurementRegistry {
  resolve(method: string): MeasurementMethod | undefined;
}

export class InterruptedError extends HollowfleetError {
  constructor(reason = 'interrupted') {
    super('HF_INTERRUPTED', reason);
  }
}

/** Keeps one Measurement per (Method, Identifier) for the whole run. */
export class MeasurementInstances {
  private readonly instances = new Map<string, Measurement>();

  constructor(
    private readonly registry: MeasurementRegistry,
    private readonly context: MeasurementContext,
  ) {}

  get(method: string, identifier: string): Measurement {
    const key = `${method}\u0000${identifier}`;
    let instance = this.instances.get(key);
    if (!instance) {
      const implementation = this.registry.resolve(method);
      if (!implementation)
        throw new HollowfleetError(
          'HF_UNKNOWN_MEASUREMENT',
          `measurement method "${method}" is not registered`,
        );
      instance = implementation.create(this.context, identifier);
      this.instances.set(key, instance);
    }
    return instance;
  }

  /** Disposes every instance; failures are returned, not thrown, so cleanup always completes. */
  async disposeAll(): Promise<string[]> {
    const errors: string[] = [];
    for (const [key, instance] of this.instances) {
      try {
        await instance.dispose();
      } catch (err) {
        errors.push(`dispose ${key.replace('\u0000', ' - ')}: ${messageOf(err)}`);
      }
    }
    this.instances.clear();
    return errors;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs the steps; returns one StepResult per step that started. Rejects only when aborted. */
export async function runSteps<Phase>(
  options: StepLoopOptions<Phase>,
  instances: MeasurementInstances,
  results: StepResult[],
): Promise<void> {
  for (const [i, step] of options.steps.entries()) {
    if (options.signal.aborted) throw new InterruptedError(abortReason(options.signal));
    options.onStepStart?.(i, step);
    const started = performance.now();
    const result: StepResult = {
      index: i + 1,
      name: step.name,
      kind: step.phases ? 'phases' : 'measurements',
      startedAt: new Date().toISOString(),
      durationMs: 0,
      errors: [],
    };
    results.push(result);
    if (step.phases) {
      const settled = await Promise.allSettled(
        step.phases.map((phase) => options.runPhase(phase, options.signal)),
      );
      for (const outcome of settled)
        if (outcome.status === 'fulfilled') result.errors.push(...outcome.value);
        else result.errors.push(messageOf(outcome.reason));
    } else {
      const calls = step.measurements ?? [];
      result.measurements = calls.map((call) => ({
        method: call.method,
        identifier: call.identifier,
        durationMs: 0,
        errors: [],
      }));
      await Promise.all(
        calls.map(async (call, m) => {
          const record = result.measurements![m]!;
          const errors = await runMeasurementCall(call, instances, options.onResult);
          record.errors.push(...errors);
          record.durationMs = performance.now() - started;
          result.errors.push(...errors);
        }),
      );
    }
    result.durationMs = performance.now() - started;
    if (options.signal.aborted) throw new InterruptedError(abortReason(options.signal));
  }
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error
    ? reason.message
    : typeof reason === 'string'
      ? reason
      : 'interrupted';
}

/** One measurement (or wrapper) call; returns CL2-style error strings. */
async function runMeasurementCall(
  call: MeasurementCall,
  instances: MeasurementInstances,
  onResult: ((result: MeasurementResult) => void) | undefined,
): Promise<string[]> {
  const targets = call.instances?.length
    ? call.instances.map((instance) => ({
        identifier: instance.identifier,
        params: { ...call.params, ...instance.params },
      }))
    : [{ identifier: call.identifier, params: call.params }];
  const errors: string[] = [];
  await Promise.all(
    targets.map(async ({ identifier, params }) => {
      try {
        const produced = await instances.get(call.method, identifier).execute(params);
        for (const result of produced) {
          onResult?.(result);
          if (result.status === 'fail' || result.status === 'error')
            errors.push(
              `measurement call ${call.method} - ${identifier} error: ${result.reason ?? result.status}`,
            );
        }
      } catch (err) {
        errors.push(`measurement call ${call.method} - ${identifier} error: ${messageOf(err)}`);
      }
    }),
  );
  return errors;
}
