import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRng } from '../../src/common/random.js';
import type { TuningSet } from '../../src/scenario/config.js';
import {
  createTuningSetRegistry,
  timerSleep,
  TokenBucket,
  type TuningSetAction,
  type TuningSetRuntime,
} from '../../src/scenario/tuning-sets.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function runtime(seed = 7): TuningSetRuntime {
  return { now: () => performance.now(), sleep: timerSleep, random: createRng(seed) };
}

/** n actions that record their start offset and take `durationMs` to finish. */
function actions(n: number, durationMs = 0) {
  const starts: number[] = [];
  const list: TuningSetAction[] = Array.from({ length: n }, () => async () => {
    starts.push(performance.now());
    if (durationMs > 0) await new Promise((r) => setTimeout(r, durationMs));
  });
  return { starts, list };
}

async function run(ts: TuningSet, n: number, rt = runtime(), durationMs = 0) {
  const registry = createTuningSetRegistry([ts], rt);
  const { starts, list } = actions(n, durationMs);
  let doneAt = -1;
  const p = registry
    .get(ts.name)
    .execute(list)
    .then((outcome) => {
      doneAt = performance.now();
      return outcome;
    });
  await vi.runAllTimersAsync();
  const outcome = await p;
  return { starts, doneAt, outcome };
}

describe('tuning sets: CL2 timing', () => {
  it('qpsLoad sleeps floor(1e9/qps) ns after every start, the last included', async () => {
    const { starts, doneAt, outcome } = await run({ name: 'q', kind: 'qpsLoad', qps: 10 }, 4);
    expect(starts).toEqual([0, 100, 200, 300]);
    expect(doneAt).toBe(400);
    expect(outcome).toEqual({ started: 4, errors: [] });
  });

  it('qpsLoad with a gap that is not a whole ms does not drift', async () => {
    const { starts, doneAt } = await run({ name: 'q', kind: 'qpsLoad', qps: 3 }, 7);
    // Ideal: k × 333.333333 ms; timers have ms granularity.
    expect(starts).toEqual([0, 333, 666, 999, 1333, 1666, 1999]);
    expect(doneAt).toBe(2333);
  });

  it('randomizedLoad sleeps uniform [0, 2/averageQps) after each start', async () => {
    const draws = createRng(3);
    const expected: number[] = [];
    let t = 0;
    for (let i = 0; i < 5; i++) {
      expected.push(Math.trunc(t));
      t += Math.trunc((2 * draws() * 1e9) / 4) / 1e6;
    }
    const { starts } = await run(
      { name: 'r', kind: 'randomizedLoad', averageQps: 4 },
      5,
      runtime(3),
    );
    expect(starts).toEqual(expected);
    expect(Math.max(...starts.slice(1).map((s, i) => s - starts[i]!))).toBeLessThan(501);
  });

  it('steppedLoad starts burstSize back to back, then sleeps stepDelay', async () => {
    const { starts, doneAt } = await run(
      { name: 's', kind: 'steppedLoad', burstSize: 3, stepDelayMs: 1000 },
      7,
    );
    expect(starts).toEqual([0, 0, 0, 1000, 1000, 1000, 2000]);
    // 7 is not a multiple of 3: no sleep after the last start.
    expect(doneAt).toBe(2000);
  });

  it('timeLimitedLoad sleeps timeLimit/numActions between starts', async () => {
    const { starts, doneAt } = await run(
      { name: 't', kind: 'timeLimitedLoad', timeLimitMs: 1000 },
      4,
    );
    expect(starts).toEqual([0, 250, 500, 750]);
    expect(doneAt).toBe(1000);
  });

  it('randomizedTimeLimitedLoad gives every action its own uniform delay in [0, timeLimit)', async () => {
    const draws = createRng(11);
    const expected = Array.from({ length: 6 }, () =>
      Math.trunc(Math.floor(draws() * 2000 * 1e6) / 1e6),
    ).sort((a, b) => a - b);
    const { starts } = await run(
      { name: 'rt', kind: 'randomizedTimeLimitedLoad', timeLimitMs: 2000 },
      6,
      runtime(11),
    );
    expect(starts).toEqual(expected);
    expect(starts.every((s) => s >= 0 && s < 2000)).toBe(true);
  });

  it('parallelismLimitedLoad runs a worker pool of that size, no rate limit', async () => {
    const { starts, doneAt } = await run(
      { name: 'p', kind: 'parallelismLimitedLoad', parallelismLimit: 2 },
      5,
      runtime(),
      100,
    );
    expect(starts).toEqual([0, 0, 100, 100, 200]);
    expect(doneAt).toBe(300);
  });

  it('globalQPSLoad is a token bucket shared by every phase with that name', async () => {
    const ts: TuningSet = { name: 'g', kind: 'globalQPSLoad', qps: 10, burst: 2 };
    const registry = createTuningSetRegistry([ts], runtime());
    const a = actions(3);
    const b = actions(3);
    const both = Promise.all([
      registry.get('g').execute(a.list),
      registry.get('g').execute(b.list),
    ]);
    await vi.runAllTimersAsync();
    await both;
    // Burst 2 at t=0 (one per phase), then one token per 100 ms across both phases.
    expect([...a.starts, ...b.starts].sort((x, y) => x - y)).toEqual([0, 0, 100, 200, 300, 400]);
    // A later phase with the same name finds the bucket drained by the run so far.
    vi.setSystemTime(400);
    const c = actions(2);
    const later = registry.get('g').execute(c.list);
    await vi.runAllTimersAsync();
    await later;
    expect(c.starts).toEqual([500, 600]);
  });

  it('TokenBucket refills up to burst while idle', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, { now: () => now, sleep: timerSleep, random: () => 0 });
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([
      0, 0, 0, 500,
    ]);
    now = 10_000;
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([
      0, 0, 0, 500,
    ]);
  });

  it('poissonLoad gaps are exponential with mean 1/λ, first start at once', async () => {
    const draws = createRng(5);
    const expected: number[] = [];
    let next = 0;
    for (let i = 0; i < 5; i++) {
      expected.push(Math.trunc(next));
      next += Math.trunc((1e9 * -Math.log(1 - draws())) / 2) / 1e6;
    }
    const { starts, doneAt } = await run(
      { name: 'po', kind: 'poissonLoad', expectedActionsPerSecond: 2 },
      5,
      runtime(5),
    );
    expect(starts).toEqual(expected);
    // No sleep after the last start.
    expect(doneAt).toBe(starts[4]);
  });

  it('stops starting actions when aborted and still waits for the started ones', async () => {
    const registry = createTuningSetRegistry([{ name: 'q', kind: 'qpsLoad', qps: 10 }], runtime());
    const { starts, list } = actions(10, 1000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 250);
    let doneAt = -1;
    const p = registry
      .get('q')
      .execute(list, controller.signal)
      .then((o) => ((doneAt = performance.now()), o));
    await vi.runAllTimersAsync();
    expect(await p).toEqual({ started: 3, errors: [] });
    expect(starts).toEqual([0, 100, 200]);
    expect(doneAt).toBe(1200);
  });

  it('collects rejections of actions and resolves after all settled', async () => {
    const registry = createTuningSetRegistry(
      [{ name: 'p', kind: 'parallelismLimitedLoad', parallelismLimit: 3 }],
      runtime(),
    );
    const boom = new Error('boom');
    const outcome = await registry.get('p').execute([
      async () => {},
      async () => {
        throw boom;
      },
    ]);
    expect(outcome).toEqual({ started: 2, errors: [boom] });
  });

  it('an undeclared name is a ConfigError listing the declared ones', () => {
    const registry = createTuningSetRegistry([{ name: 'A', kind: 'qpsLoad', qps: 1 }]);
    expect(() => registry.get('B')).toThrow('unknown tuning set "B" (declared: A)');
  });
});
