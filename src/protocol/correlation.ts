import { HollowfleetError } from '../common/errors.js';
import type { BeehiveMessage } from './message.js';
import type { Scheduler, TimerHandle } from './scheduler.js';

export class RequestTimeoutError extends HollowfleetError {
  constructor(resource: string, operation: string, timeoutMs: number, attempts: number) {
    super(
      'HF_REQUEST_TIMEOUT',
      `no response to ${operation} ${resource} after ${attempts} attempt(s) of ${timeoutMs} ms; CloudCore may be ` +
        'overloaded, or it accepted the connection without a session (nodeLimit reached)',
    );
  }
}

export class DisconnectedError extends HollowfleetError {
  constructor(resource: string) {
    super('HF_DISCONNECTED', `the connection closed before ${resource} was answered`);
  }
}

export interface PendingResult {
  msg: BeehiveMessage;
  latencyMs: number;
}

interface Pending {
  request: BeehiveMessage;
  attempts: number;
  sentAt: number;
  timer: TimerHandle;
  resolve: (result: PendingResult) => void;
  reject: (err: HollowfleetError) => void;
}

export interface PendingRequestsOptions {
  scheduler: Scheduler;
  timeoutMs: number;
  /** Total attempts per request, the first included (EdgeCore's metaclient tries 3 times). */
  maxAttempts: number;
  /** Writes a message; returns false when the connection cannot take it. */
  send: (msg: BeehiveMessage) => boolean;
  /** Makes a new msg_id for a retried request (a response to the old id still settles it). */
  renew: (msg: BeehiveMessage) => BeehiveMessage;
}

/** Request/response correlation by `parent_msg_id` (protocol.md §3.7), with timeouts and bounded retries. */
export class PendingRequests {
  private readonly byId = new Map<string, Pending>();

  constructor(private readonly options: PendingRequestsOptions) {}

  get size(): number {
    return this.byId.size;
  }

  request(msg: BeehiveMessage): Promise<PendingResult> {
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        request: msg,
        attempts: 0,
        sentAt: 0,
        timer: { cancel: () => undefined },
        resolve,
        reject,
      };
      this.attempt(entry, msg);
    });
  }

  private attempt(entry: Pending, msg: BeehiveMessage): void {
    entry.attempts++;
    entry.request = msg;
    entry.sentAt = this.options.scheduler.now();
    this.byId.set(msg.header.msg_id, entry);
    entry.timer = this.options.scheduler.schedule(this.options.timeoutMs, () =>
      this.timeout(entry),
    );
    if (!this.options.send(msg)) {
      entry.timer.cancel();
      this.forget(entry);
      entry.reject(new DisconnectedError(msg.route.resource ?? ''));
    }
  }

  private timeout(entry: Pending): void {
    if (this.byId.get(entry.request.header.msg_id) !== entry) return;
    if (entry.attempts >= this.options.maxAttempts) {
      this.forget(entry);
      entry.reject(
        new RequestTimeoutError(
          entry.request.route.resource ?? '',
          entry.request.route.operation ?? '',
          this.options.timeoutMs,
          entry.attempts,
        ),
      );
      return;
    }
    // Keep the old id too: a late response to it still settles the request.
    this.attempt(entry, this.options.renew(entry.request));
  }

  private forget(entry: Pending): void {
    for (const [id, e] of this.byId) if (e === entry) this.byId.delete(id);
  }

  /** Settles the request a response answers; false when no request is waiting for it. */
  settle(response: BeehiveMessage): boolean {
    const parent = response.header.parent_msg_id;
    if (!parent) return false;
    const entry = this.byId.get(parent);
    if (!entry) return false;
    entry.timer.cancel();
    this.forget(entry);
    entry.resolve({ msg: response, latencyMs: this.options.scheduler.now() - entry.sentAt });
    return true;
  }

  rejectAll(makeError: (request: BeehiveMessage) => HollowfleetError): void {
    const entries = new Set(this.byId.values());
    this.byId.clear();
    for (const entry of entries) {
      entry.timer.cancel();
      entry.reject(makeError(entry.request));
    }
  }
}
