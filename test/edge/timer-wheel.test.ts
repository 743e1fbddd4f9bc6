import { afterEach, describe, expect, it, vi } from 'vitest';
import { jittered, TimerWheel } from '../../src/edge/timer-wheel.js';
import { createRng } from '../../src/common/random.js';

afterEach(() => vi.useRealTimers());

describe('TimerWheel', () => {
  it('fires timers in order on tick boundaries, across rounds, and never cancelled ones', () => {
    vi.useFakeTimers();
    const wheel = new TimerWheel({ tickMs: 100, slots: 8 });
    const fired: string[] = [];
    wheel.schedule(250, () => fired.push('a'));
    wheel.schedule(50, () => fired.push('b'));
    const c = wheel.schedule(150, () => fired.push('c'));
    wheel.schedule(2_000, () => fired.push('far'));
    c.cancel();
    expect(wheel.pending).toBe(3);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual(['b']);
    vi.advanceTimersByTime(200);
    expect(fired).toEqual(['b', 'a']);
    vi.advanceTimersByTime(1_600);
    expect(fired).toEqual(['b', 'a']);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual(['b', 'a', 'far']);
    expect(wheel.pending).toBe(0);
    wheel.stop();
  });

  it('drives ten thousand timers with one interval timer', () => {
    vi.useFakeTimers();
    const wheel = new TimerWheel({ tickMs: 100 });
    let count = 0;
    for (let i = 0; i < 10_000; i++) wheel.schedule(15_000, () => count++);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(15_000);
    expect(count).toBe(10_000);
    wheel.stop();
  });

  it('spreads jittered periods over the whole ±fraction window', () => {
    const rng = createRng(7);
    const values = Array.from({ length: 2_000 }, () => jittered(10_000, 0.1, rng));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(9_000);
    expect(Math.max(...values)).toBeLessThanOrEqual(11_000);
    const buckets = new Set(values.map((v) => Math.floor(v / 100)));
    expect(buckets.size).toBeGreaterThanOrEqual(19);
  });

  it('keeps firing when a callback throws', () => {
    vi.useFakeTimers();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const wheel = new TimerWheel({ tickMs: 10 });
    let ok = false;
    wheel.schedule(10, () => {
      throw new Error('boom');
    });
    wheel.schedule(10, () => (ok = true));
    vi.advanceTimersByTime(10);
    expect(ok).toBe(true);
    expect(warn).toHaveBeenCalled();
    wheel.stop();
  });

  it('catches up on ticks a blocked event loop missed, instead of stretching every period', () => {
    vi.useFakeTimers();
    const wheel = new TimerWheel({ tickMs: 100, slots: 64 });
    const fired: number[] = [];
    wheel.schedule(1_000, () => fired.push(Date.now()));
    const start = Date.now();
    // The process was busy for 1.2 s: no interval callback ran, the clock moved on.
    vi.setSystemTime(start + 1_200);
    vi.advanceTimersByTime(100); // one callback
    expect(fired).toHaveLength(1);
    expect(fired[0]! - start).toBeGreaterThanOrEqual(1_000);
    wheel.stop();
  });

  it('never fires a timer before its delay, even when scheduled late in a tick', () => {
    vi.useFakeTimers();
    const wheel = new TimerWheel({ tickMs: 100, slots: 64 });
    wheel.schedule(10_000, () => undefined); // starts the wheel's interval
    const start = Date.now();
    vi.advanceTimersByTime(90); // 90 ms into the current tick
    let firedAt = 0;
    wheel.schedule(100, () => (firedAt = Date.now()));
    vi.advanceTimersByTime(300);
    expect(firedAt - (start + 90)).toBeGreaterThanOrEqual(100);
    wheel.stop();
  });
});
