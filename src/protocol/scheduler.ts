/** What protocol-level code needs from a timer source: the fleet plugs in a coarse timer wheel. */
export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  now(): number;
  schedule(delayMs: number, fn: () => void): TimerHandle;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  schedule(delayMs, fn) {
    const t = setTimeout(fn, delayMs);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
