/**
 * EMBEDDED CONTROL PLANE ONLY. Shared pieces of the embedded controllers.
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject, ObjectStore } from '../apiserver/store-api.js';

/** A de-duplicating work queue drained in bounded batches, so one controller never blocks the loop. */
export class WorkQueue {
  private readonly keys = new Set<string>();
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly process: (key: string) => void,
    private readonly batch = 500,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    this.keys.add(key);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    let n = 0;
    for (const key of this.keys) {
      if (n++ >= this.batch || this.stopped) break;
      this.keys.delete(key);
      try {
        this.process(key);
      } catch (err) {
        process.emitWarning(`embedded controller failed on ${key}: ${(err as Error).message}`);
      }
    }
    if (this.keys.size > 0) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.keys.clear();
  }
}

export function objectKey(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return { namespace: i > 0 ? key.slice(0, i) : undefined, name: key.slice(i + 1) };
}

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function microIso(): string {
  return new Date().toISOString().replace(/Z$/, '000Z');
}

/** Records an Event as the named component does (CL2's legacy pod-startup method reads them). */
export function recordEvent(
  store: ObjectStore,
  involved: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component: string,
): void {
  const namespace = involved.metadata.namespace ?? 'default';
  const t = nowIso();
  try {
    store.create('events', {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        kind: involved.kind,
        namespace: involved.metadata.namespace,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component },
      reportingComponent: component,
      reportingInstance: `${component}-embedded`,
      firstTimestamp: t,
      lastTimestamp: t,
      eventTime: microIso(),
      count: 1,
      type,
      action: reason === 'Scheduled' ? 'Binding' : reason,
    });
  } catch {
    // The namespace may be terminating; events are best effort, as in Kubernetes.
  }
}

const SUFFIX = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n = 5): string {
  let s = '';
  for (const b of randomBytes(n)) s += SUFFIX[b % SUFFIX.length];
  return s;
}

/** A stable short hash in the alphabet Kubernetes uses for pod-template-hash. */
export function templateHash(value: unknown): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const text = JSON.stringify(value);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  let out = '';
  for (const h of [h1 >>> 0, h2 >>> 0]) {
    let v = h;
    for (let i = 0; i < 5; i++) {
      out += SUFFIX[v % SUFFIX.length];
      v = Math.floor(v / SUFFIX.length);
    }
  }
  return out;
}

export function parseCpuMilli(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const s = String(q);
  if (s.endsWith('m')) return Number(s.slice(0, -1));
  return Math.round(Number(s) * 1000);
}

const MEM_UNITS: Record<string, number> = {
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

export function parseBytes(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const m = /^([0-9.]+)([A-Za-z]*)$/.exec(String(q));
  if (!m) return 0;
  return Number(m[1]) * (MEM_UNITS[m[2]!] ?? 1);
}

export function isPodReady(pod: KubeObject): boolean {
  const conditions = (
    pod.status as { conditions?: Array<{ type: string; status: string }> } | undefined
  )?.conditions;
  return conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

export function isPodTerminal(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function controllerOf(
  obj: KubeObject,
): { uid: string; kind: string; name: string } | undefined {
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller);
  return ref ? { uid: ref.uid, kind: ref.kind, name: ref.name } : undefined;
}
