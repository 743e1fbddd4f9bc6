/**
 * Fault control over fleets that run elsewhere (shard processes or pods started with `--fault-api`):
 * the same `inject` / `clear` as a local Fleet, sent to every shard's `/faults` endpoint. Each shard
 * selects among its own nodes with the request's seed, so `fraction` holds fleet-wide while `count`
 * is per shard.
 */
import { HollowfleetError } from '../common/errors.js';
import type { FaultInjection, FaultRequest } from '../edge/faults.js';

export class RemoteFaultError extends HollowfleetError {
  constructor(message: string) {
    super('HF_REMOTE_FAULT', message);
  }
}

export interface RemoteFaultControl {
  inject(request: FaultRequest): Promise<FaultInjection>;
  clear(id: string): Promise<number>;
}

interface ShardAnswer {
  id?: string;
  nodes?: string[] | number;
  error?: { code: string; message: string };
}

async function call(
  url: string,
  init: { method: 'POST' | 'DELETE'; body?: string },
  timeoutMs: number,
): Promise<ShardAnswer> {
  let res: Response;
  try {
    res = await fetch(url, {
      ...init,
      headers: { 'Content-Type': 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new RemoteFaultError(
      `fleet shard at ${url} did not answer (${(err as Error).message}); is it running with --metrics-port and --fault-api?`,
    );
  }
  const text = await res.text();
  let body: ShardAnswer = {};
  try {
    body = JSON.parse(text) as ShardAnswer;
  } catch {
    body = {};
  }
  if (!res.ok) {
    const why = body.error ? `${body.error.message} [${body.error.code}]` : text.slice(0, 200);
    const hint = res.status === 403 ? ' (start the shard with --fault-api)' : '';
    throw new RemoteFaultError(
      `fleet shard at ${url} refused the fault: HTTP ${res.status} ${why}${hint}`,
    );
  }
  return body;
}

/** `baseUrls`: each shard's metrics endpoint, e.g. `http://10.0.0.7:9464`. */
export function remoteFaultControl(
  baseUrls: readonly string[],
  options: { timeoutMs?: number } = {},
): RemoteFaultControl {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const bases = baseUrls.map((u) => u.replace(/\/+$/, ''));
  const byId = new Map<string, Array<{ base: string; id: string }>>();
  let seq = 0;
  return {
    async inject(request) {
      const answers = await Promise.all(
        bases.map(async (base) => ({
          base,
          answer: await call(
            `${base}/faults`,
            { method: 'POST', body: JSON.stringify(request) },
            timeoutMs,
          ),
        })),
      );
      const id = `remote-${++seq}`;
      byId.set(
        id,
        answers.map((a) => ({ base: a.base, id: a.answer.id ?? '' })),
      );
      return {
        id,
        nodes: answers.flatMap((a) => (Array.isArray(a.answer.nodes) ? a.answer.nodes : [])),
      };
    },
    async clear(id) {
      const parts = byId.get(id);
      if (!parts) return 0;
      byId.delete(id);
      const counts = await Promise.all(
        parts.map(
          async (p) =>
            (
              await call(
                `${p.base}/faults/${encodeURIComponent(p.id)}`,
                { method: 'DELETE' },
                timeoutMs,
              )
            ).nodes,
        ),
      );
      return counts.reduce<number>((sum, n) => sum + (typeof n === 'number' ? n : 0), 0);
    },
  };
}
