/**
 * Ramp-up control shared by every worker thread of a fleet process: a global connect rate (nodes per
 * second) and a cap on TLS handshakes in flight. The state lives in one SharedArrayBuffer so that
 * workers coordinate without messages to the main thread.
 *
 * Layout (BigInt64 slots): [0] next free connect slot (ms since epoch, scaled ×1000 for µs precision),
 * [1] handshakes in flight, [2] handshake cap, [3] interval between connects (µs; 0 = unlimited).
 */
const SLOT_NEXT = 0;
const SLOT_IN_FLIGHT = 1;
const SLOT_CAP = 2;
const SLOT_INTERVAL = 3;
const SLOTS = 4;

export interface RampOptions {
  /** Connects started per second across all workers; 0 or Infinity = unlimited. */
  connectRate: number;
  /** Handshakes allowed in flight across all workers; 0 or Infinity = unlimited. */
  maxConcurrentHandshakes: number;
}

export function createRampBuffer(options: RampOptions): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(SLOTS * 8);
  const view = new BigInt64Array(buffer);
  const rate = options.connectRate;
  view[SLOT_INTERVAL] = rate > 0 && Number.isFinite(rate) ? BigInt(Math.round(1e6 / rate)) : 0n;
  const cap = options.maxConcurrentHandshakes;
  view[SLOT_CAP] = cap > 0 && Number.isFinite(cap) ? BigInt(Math.floor(cap)) : 0n;
  return buffer;
}

export interface HandshakePermit {
  release(): void;
}

export type Sleep = (ms: number) => Promise<void>;
const defaultSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref?.());

export class RampController {
  private readonly view: BigInt64Array;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private stopped = false;

  constructor(buffer: SharedArrayBuffer, options: { now?: () => number; sleep?: Sleep } = {}) {
    this.view = new BigInt64Array(buffer);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** Reserves the next connect slot; resolves when it is due. */
  async waitForConnectSlot(): Promise<void> {
    const interval = Atomics.load(this.view, SLOT_INTERVAL);
    if (interval === 0n) return;
    const nowUs = BigInt(Math.round(this.now() * 1000));
    let reserved: bigint;
    for (;;) {
      const next = Atomics.load(this.view, SLOT_NEXT);
      reserved = next > nowUs ? next : nowUs;
      if (Atomics.compareExchange(this.view, SLOT_NEXT, next, reserved + interval) === next) break;
    }
    const waitMs = Number(reserved - nowUs) / 1000;
    if (waitMs > 0) await this.sleep(waitMs);
  }

  /** Waits for a handshake permit under the shared cap. */
  async acquireHandshake(): Promise<HandshakePermit> {
    const cap = Atomics.load(this.view, SLOT_CAP);
    if (cap === 0n) return { release: () => undefined };
    let delay = 2;
    for (;;) {
      const inFlight = Atomics.load(this.view, SLOT_IN_FLIGHT);
      if (
        inFlight < cap &&
        Atomics.compareExchange(this.view, SLOT_IN_FLIGHT, inFlight, inFlight + 1n) === inFlight
      ) {
        let released = false;
        return {
          release: () => {
            if (released) return;
            released = true;
            Atomics.sub(this.view, SLOT_IN_FLIGHT, 1n);
          },
        };
      }
      if (this.stopped) return { release: () => undefined };
      await this.sleep(delay);
      delay = Math.min(delay * 2, 50);
    }
  }

  inFlight(): number {
    return Number(Atomics.load(this.view, SLOT_IN_FLIGHT));
  }

  stop(): void {
    this.stopped = true;
  }
}
