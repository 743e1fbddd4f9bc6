/**
 * A fleet process started by ProcessFleet: it runs one Fleet and reports snapshots over IPC. Several
 * processes are how a machine holds more nodes than one process's descriptor limit allows.
 */
import { toErrorPayload } from '../common/errors.js';
import type { FaultSpec } from '../edge/faults.js';
import { Fleet, type FleetOptions } from './fleet.js';
import { compactOnEveryFullGc } from './heap.js';
import type { FaultTarget } from './protocol.js';

/** Faults arrive already selected (by index) from the parent, which sees the whole shard. */
export type ChildFaultMessage =
  | { type: 'fault'; action: 'apply'; id: string; fault: FaultSpec; targets: FaultTarget[] }
  | { type: 'fault'; action: 'clear'; id: string };

type ParentMessage =
  | { type: 'start'; options: FleetOptions; toolVersion: string; intervalMs: number }
  | { type: 'stop' }
  | { type: 'gc' }
  | ChildFaultMessage;

compactOnEveryFullGc();

let fleet: Fleet | undefined;
let timer: NodeJS.Timeout | undefined;

function send(msg: unknown): void {
  process.send?.(msg);
}

process.on('message', (msg: ParentMessage) => {
  if (msg.type === 'start') {
    fleet = new Fleet(msg.options);
    fleet.toolVersion = msg.toolVersion;
    fleet.onNotice((n) => send({ type: 'notice', notice: n }));
    fleet.start().then(
      () => {
        timer = setInterval(
          () => send({ type: 'snapshot', snapshot: fleet!.snapshot() }),
          msg.intervalMs,
        );
        send({ type: 'started' });
      },
      (err: Error) => {
        send({
          type: 'failed',
          error: { code: (err as { code?: string }).code ?? 'HF_INTERNAL', message: err.message },
        });
        process.exit(5);
      },
    );
  } else if (msg.type === 'fault') {
    const f = fleet;
    const done = f
      ? msg.action === 'apply'
        ? f.applyFault(msg.id, msg.fault, msg.targets)
        : f.clear(msg.id)
      : Promise.resolve(0);
    done.then(
      (nodes) => send({ type: 'fault-done', id: msg.id, action: msg.action, nodes }),
      (err: unknown) =>
        send({
          type: 'fault-done',
          id: msg.id,
          action: msg.action,
          nodes: 0,
          error: toErrorPayload(err),
        }),
    );
  } else if (msg.type === 'gc') {
    const f = fleet;
    void (async () => {
      await f?.flush(5_000, 'gc');
      (globalThis as { gc?: () => void }).gc?.();
      if (f) send({ type: 'snapshot', snapshot: f.snapshot() });
      send({ type: 'gc-done' });
    })();
  } else if (msg.type === 'stop') {
    if (timer) clearInterval(timer);
    const f = fleet;
    void (async () => {
      await f?.stop();
      if (f) send({ type: 'snapshot', snapshot: f.snapshot(), final: true });
      process.disconnect?.();
    })();
  }
});
process.on('disconnect', () => {
  void fleet?.stop().finally(() => process.exit(0));
});
// The parent handles Ctrl-C and stops children over IPC.
process.on('SIGINT', () => undefined);
