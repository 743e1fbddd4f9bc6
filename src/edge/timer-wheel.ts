import type { Scheduler, TimerHandle } from '../protocol/scheduler.js';

/** A pending timer; it is its own handle, so a timer costs one object and no closures. */
class WheelEntry implements TimerHandle {
  cancelled = false;

  constructor(
    private readonly owner: TimerWheel,
    public rounds: number,
    readonly fn: () => void,
    readonly slot: number,
  ) {}

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.owner.remove(this);
  }
}

export interface TimerWheelOptions {
  /** Resolution in ms: every timer fires on a tick boundary, up to one tick late, never early. */
  tickMs?: number;
  /** Number of slots; timers further than tickMs × slots away wait whole rounds. */
  slots?: number;
  now?: () => number;
}

/**
 * A coarse hashed timer wheel: one interval timer drives every keepalive, lease, status and request
 * timeout of thousands of nodes, instead of several `setTimeout`s per node (the undici timers idea).
 * When the event loop falls behind, the next tick catches up on the missed slots, so a busy process
 * delays its timers by the lag but does not stretch every period (a stretched keepalive would let
 * CloudCore drop the session).
 */
export class TimerWheel implements Scheduler {
  private readonly tickMs: number;
  private readonly wheel: Array<Set<WheelEntry>>;
  private cursor = 0;
  private interval: NodeJS.Timeout | undefined;
  private readonly clock: () => number;
  private size = 0;
  /** Clock reading at which the running interval started, and ticks processed since then. */
  private epoch = 0;
  private ticksDone = 0;

  constructor(options: TimerWheelOptions = {}) {
    this.tickMs = options.tickMs ?? 100;
    const slots = options.slots ?? 1024;
    if (!(this.tickMs > 0) || !Number.isInteger(slots) || slots < 2) {
      throw new RangeError('options.tickMs must be > 0 and options.slots an integer ≥ 2');
    }
    this.wheel = Array.from({ length: slots }, () => new Set<WheelEntry>());
    this.clock = options.now ?? Date.now;
  }

  now(): number {
    return this.clock();
  }

  /** Timers pending in the wheel. */
  get pending(): number {
    return this.size;
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    this.ensureRunning();
    // Count from the start of the current tick, so that a timer never fires before its delay.
    const intoTick = Math.max(0, this.clock() - (this.epoch + this.ticksDone * this.tickMs));
    const ticks = Math.max(1, Math.ceil((Math.max(0, delayMs) + intoTick) / this.tickMs));
    const slots = this.wheel.length;
    const slot = (this.cursor + ticks) % slots;
    const entry = new WheelEntry(this, Math.floor((ticks - 1) / slots), fn, slot);
    this.wheel[slot]!.add(entry);
    this.size++;
    return entry;
  }

  /** Called by a cancelled entry. */
  remove(entry: WheelEntry): void {
    if (this.wheel[entry.slot]!.delete(entry)) this.size--;
  }

  private ensureRunning(): void {
    if (this.interval) return;
    this.epoch = this.clock();
    this.ticksDone = 0;
    this.interval = setInterval(() => this.onInterval(), this.tickMs);
    this.interval.unref();
  }

  private onInterval(): void {
    const behind = Math.floor((this.clock() - this.epoch) / this.tickMs) - this.ticksDone;
    // At most one round per callback: a wall-clock jump must not spin through millions of ticks.
    const ticks = Math.min(Math.max(1, behind), this.wheel.length);
    for (let i = 0; i < ticks; i++) this.tick();
  }

  /** Advances one tick and fires what is due. Public for tests that drive the wheel by hand. */
  tick(): void {
    this.ticksDone++;
    this.cursor = (this.cursor + 1) % this.wheel.length;
    const bucket = this.wheel[this.cursor]!;
    if (bucket.size === 0) return;
    const due: WheelEntry[] = [];
    for (const entry of bucket) {
      if (entry.rounds > 0) entry.rounds--;
      else due.push(entry);
    }
    for (const entry of due) {
      bucket.delete(entry);
      this.size--;
    }
    for (const entry of due) {
      if (entry.cancelled) continue;
      entry.cancelled = true;
      try {
        entry.fn();
      } catch (err) {
        process.emitWarning(`timer callback failed: ${(err as Error).message}`);
      }
    }
  }

  stop(): void {
    if (this.interval) clearInterval(this.interval);
    this.interval = undefined;
    for (const bucket of this.wheel) {
      for (const entry of bucket) entry.cancelled = true;
      bucket.clear();
    }
    this.size = 0;
  }
}

/** `base` ± `fraction` uniformly, so periodic work of many nodes spreads across ticks. */
export function jittered(baseMs: number, fraction: number, random: () => number): number {
  return Math.max(1, baseMs * (1 - fraction + 2 * fraction * random()));
}
