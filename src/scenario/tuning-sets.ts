/**
 * CL2's tuning sets (clusterloader2/pkg/tuningset/*.go): how fast a phase's actions are started.
 * Timings follow the Go code to the nanosecond arithmetic (durations are truncated to whole ns,
 * then expressed here in fractional ms); the clock, sleep and random source are injected so that
 * tests can assert exact start times. Every tuning set resolves once all started actions have
 * settled; after an abort it starts nothing new but still waits for the started ones.
 */
import { ConfigError } from '../common/errors.js';
import { createRng, type Rng } from '../common/random.js';
import type { TuningSet } from './config.js';

export type TuningSetAction = () => Promise<void>;

export interface TuningSetRuntime {
  /** Monotonic ms. */
  now(): number;
  /** Resolves after ms, or early (never rejecting) when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Uniform in [0, 1). */
  random: Rng;
}

export interface TuningSetOutcome {
  /** Actions started (the rest were not started because of an abort). */
  started: number;
  /** Rejections of started actions, in start order; actions normally settle their own errors. */
  errors: unknown[];
}

export interface TuningSetRunner {
  readonly name: string;
  readonly kind: TuningSet['kind'];
  execute(actions: readonly TuningSetAction[], signal?: AbortSignal): Promise<TuningSetOutcome>;
}

/** setTimeout-based sleep (fake-timer friendly: setTimeout is looked up at call time). */
export function timerSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function defaultTuningSetRuntime(seed?: number): TuningSetRuntime {
  return {
    now: () => performance.now(),
    sleep: timerSleep,
    random: createRng(seed ?? Math.floor(Math.random() * 2 ** 32)),
  };
}

const NS_PER_MS = 1e6;
const NS_PER_S = 1e9;

/** A Go time.Duration (int64 ns, truncated) as ms. */
function goDurationMs(ns: number): number {
  return Math.trunc(ns) / NS_PER_MS;
}

/** Starts actions and collects their settlement. */
class Starter {
  private readonly pending: Promise<void>[] = [];
  readonly errors: unknown[] = [];
  started = 0;

  start(action: TuningSetAction): void {
    this.started++;
    const index = this.pending.length;
    this.pending.push(
      Promise.resolve()
        .then(action)
        .catch((err: unknown) => {
          this.errors[index] = err;
        }),
    );
  }

  async finish(): Promise<TuningSetOutcome> {
    await Promise.all(this.pending);
    return { started: this.started, errors: this.errors.filter((e) => e !== undefined) };
  }
}

async function pause(runtime: TuningSetRuntime, ms: number, signal?: AbortSignal): Promise<void> {
  // Go's time.Sleep(0) does not yield to a timer; neither do we.
  if (ms > 0) await runtime.sleep(ms, signal);
}

/**
 * Go x/time/rate's Limiter as CL2's globalQPSLoad uses it: starts full, one token per action,
 * reservations in call order, a wait of (missing tokens / rate).
 */
export class TokenBucket {
  private tokens: number;
  private last: number | undefined;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly runtime: TuningSetRuntime,
  ) {
    this.tokens = burst;
  }

  /** Reserves one token; returns how long to wait (ms) before acting. */
  reserve(): number {
    const now = this.runtime.now();
    if (this.last !== undefined) {
      const elapsed = Math.max(0, now - this.last);
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.qps) / 1000);
    }
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    return goDurationMs((-this.tokens / this.qps) * NS_PER_S);
  }

  /** Gives a reservation back (the caller was aborted before acting). */
  cancel(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }
}

type Executor = (
  actions: readonly TuningSetAction[],
  runtime: TuningSetRuntime,
  signal: AbortSignal | undefined,
) => Promise<TuningSetOutcome>;

/**
 * Start, then sleep `gap(i)` after every start (including the last), as qps/randomized/timeLimited
 * do. Sleeps run to the cumulative ideal time, so timer granularity (whole ms) and event-loop lag
 * never accumulate into drift.
 */
function startThenSleep(gap: (i: number, count: number) => number): Executor {
  return async (actions, runtime, signal) => {
    const starter = new Starter();
    let target = runtime.now();
    for (let i = 0; i < actions.length && !signal?.aborted; i++) {
      starter.start(actions[i]!);
      target += gap(i, actions.length);
      await pause(runtime, target - runtime.now(), signal);
    }
    return starter.finish();
  };
}

function executorFor(ts: TuningSet, bucket: TokenBucket | undefined): Executor {
  switch (ts.kind) {
    case 'qpsLoad': {
      const sleepMs = goDurationMs(Math.floor(NS_PER_S / ts.qps));
      return startThenSleep(() => sleepMs);
    }
    case 'randomizedLoad':
      return async (actions, runtime, signal) =>
        startThenSleep(() => goDurationMs((2 * runtime.random() * NS_PER_S) / ts.averageQps))(
          actions,
          runtime,
          signal,
        );
    case 'timeLimitedLoad':
      return startThenSleep((_i, count) =>
        goDurationMs(Math.trunc((ts.timeLimitMs * NS_PER_MS) / count)),
      );
    case 'steppedLoad':
      return async (actions, runtime, signal) => {
        const starter = new Starter();
        let target = runtime.now();
        for (let i = 0; i < actions.length && !signal?.aborted; i++) {
          starter.start(actions[i]!);
          if ((i + 1) % ts.burstSize === 0) {
            target += ts.stepDelayMs;
            await pause(runtime, target - runtime.now(), signal);
          }
        }
        return starter.finish();
      };
    case 'randomizedTimeLimitedLoad':
      return async (actions, runtime, signal) => {
        const starter = new Starter();
        const limitNs = Math.trunc(ts.timeLimitMs * NS_PER_MS);
        const delayed = actions.map(async (action) => {
          // rand.Int63n(timeLimit): a whole number of ns in [0, timeLimit).
          const delayMs = goDurationMs(Math.floor(runtime.random() * limitNs));
          await pause(runtime, delayMs, signal);
          if (!signal?.aborted) starter.start(action);
        });
        await Promise.all(delayed);
        return starter.finish();
      };
    case 'parallelismLimitedLoad':
      return async (actions, _runtime, signal) => {
        let next = 0;
        let started = 0;
        const errors: unknown[] = [];
        const worker = async () => {
          while (next < actions.length && !signal?.aborted) {
            const action = actions[next++]!;
            started++;
            try {
              await action();
            } catch (err) {
              errors.push(err);
            }
          }
        };
        const workers = Math.min(ts.parallelismLimit, actions.length);
        await Promise.all(Array.from({ length: workers }, worker));
        return { started, errors };
      };
    case 'globalQPSLoad':
      return async (actions, runtime, signal) => {
        const starter = new Starter();
        for (let i = 0; i < actions.length && !signal?.aborted; i++) {
          const waitMs = bucket!.reserve();
          await pause(runtime, waitMs, signal);
          if (signal?.aborted) {
            bucket!.cancel();
            break;
          }
          starter.start(actions[i]!);
        }
        return starter.finish();
      };
    case 'poissonLoad':
      return async (actions, runtime, signal) => {
        const starter = new Starter();
        let nextLaunch = runtime.now();
        for (let i = 0; i < actions.length && !signal?.aborted; i++) {
          await pause(runtime, nextLaunch - runtime.now(), signal);
          if (signal?.aborted) break;
          starter.start(actions[i]!);
          const p = runtime.random();
          nextLaunch += goDurationMs((NS_PER_S * -Math.log(1 - p)) / ts.expectedActionsPerSecond);
        }
        return starter.finish();
      };
  }
}

export interface TuningSetRegistry {
  /** The runner for a declared tuning set; throws ConfigError for an undeclared name. */
  get(name: string): TuningSetRunner;
  names(): string[];
}

/**
 * One registry per run. globalQPSLoad token buckets are created here, once per tuning-set name,
 * so every phase using that name shares one bucket for the whole run, as in CL2.
 */
export function createTuningSetRegistry(
  tuningSets: readonly TuningSet[],
  runtime: TuningSetRuntime = defaultTuningSetRuntime(),
): TuningSetRegistry {
  const runners = new Map<string, TuningSetRunner>();
  for (const ts of tuningSets) {
    const bucket =
      ts.kind === 'globalQPSLoad' ? new TokenBucket(ts.qps, ts.burst, runtime) : undefined;
    const executor = executorFor(ts, bucket);
    runners.set(ts.name, {
      name: ts.name,
      kind: ts.kind,
      execute: (actions, signal) =>
        actions.length === 0
          ? Promise.resolve({ started: 0, errors: [] })
          : executor(actions, runtime, signal),
    });
  }
  return {
    get(name) {
      const runner = runners.get(name);
      if (!runner)
        throw new ConfigError(
          `unknown tuning set "${name}" (declared: ${[...runners.keys()].join(', ') || 'none'})`,
        );
      return runner;
    },
    names: () => [...runners.keys()],
  };
}
