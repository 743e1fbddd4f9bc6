/**
 * `npm run bench:measure`: the PodStartupLatency tracker under a synthetic pod watch-event stream.
 * Reports events/s on one core (tracker only, and with the JSON.parse a watch line costs) and the
 * heap retained per tracked pod after the events themselves are gone.
 *   npm run bench:measure -- --pods 200000 --json
 */
import { PodStartupTracker, podStartupResults, type PodLike } from '../src/measure/pod-startup.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const json = process.argv.includes('--json');
const pods = Number(arg('pods', '200000'));
const log = (s: string) => process.stderr.write(`${s}\n`);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  log('run with node --expose-gc (npm run bench:measure does)');
  process.exit(2);
}

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
function suffix(i: number, n: number): string {
  let s = '';
  for (let k = 0; k < n; k++) {
    s += ALPHABET[i % ALPHABET.length];
    i = Math.floor(i / ALPHABET.length);
  }
  return s;
}

/** A realistic watch object: ~1.5 KB of JSON per pod, as a Deployment's pod looks. */
function podObject(i: number, stage: 0 | 1 | 2): PodLike {
  const name = `web-${suffix(i >> 8, 10)}-${suffix(i, 5)}`;
  const namespace = `load-${i % 50}`;
  const pod = {
    metadata: {
      name,
      namespace,
      uid: `6f1c${i.toString(16).padStart(8, '0')}-2a4b-4c1d-9e8f-0123456789ab`,
      resourceVersion: String(1000 + i * 3 + stage),
      creationTimestamp: '2026-11-25T06:00:00Z',
      labels: { app: 'web', group: 'load', 'pod-template-hash': suffix(i >> 8, 10) },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `web-${suffix(i >> 8, 10)}`,
          uid: 'x',
          controller: true,
        },
      ],
    },
    spec: {
      nodeName: stage >= 1 ? `edge-node-${i % 5000}` : undefined,
      containers: [
        {
          name: 'c',
          image: 'registry.k8s.io/pause:3.9',
          resources: { requests: { cpu: '10m', memory: '10Mi' } },
        },
      ],
      volumes: [
        {
          name: 'kube-api-access',
          projected: { sources: [{ serviceAccountToken: { path: 'token' } }] },
        },
      ],
      schedulerName: 'default-scheduler',
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
    },
    status: {
      phase: stage === 2 ? 'Running' : 'Pending',
      conditions: [{ type: 'PodScheduled', status: stage >= 1 ? 'True' : 'False' }],
      containerStatuses:
        stage === 2
          ? [{ name: 'c', ready: true, state: { running: { startedAt: '2026-11-25T06:00:02Z' } } }]
          : undefined,
    },
  };
  return pod as PodLike;
}

const BATCH = 20_000;

/** Feeds 3 events per pod; times only `observe` (or parse + observe when `lines`). */
function feed(tracker: PodStartupTracker, lines: boolean): { events: number; ms: number } {
  let events = 0;
  let ms = 0;
  let clock = 0;
  for (let start = 0; start < pods; start += BATCH) {
    const end = Math.min(pods, start + BATCH);
    for (const stage of [0, 1, 2] as const) {
      const batch: Array<PodLike | string> = [];
      for (let i = start; i < end; i++) {
        const obj = podObject(i, stage);
        batch.push(
          lines ? JSON.stringify({ type: stage === 0 ? 'ADDED' : 'MODIFIED', object: obj }) : obj,
        );
      }
      const type = stage === 0 ? 'ADDED' : 'MODIFIED';
      const t0 = performance.now();
      for (const item of batch) {
        if (typeof item === 'string') {
          const e = JSON.parse(item) as { type: string; object: PodLike };
          tracker.observe(e.type, e.object, clock++);
        } else tracker.observe(type, item, clock++);
      }
      ms += performance.now() - t0;
      events += batch.length;
    }
  }
  return { events, ms };
}

gc();
gc();
const baseline = process.memoryUsage().heapUsed;
const tracker = new PodStartupTracker({ initialCapacity: 1024 });
const trackerOnly = feed(tracker, false);
gc();
gc();
const retained = process.memoryUsage().heapUsed - baseline;
const bytesPerPod = retained / pods;

const gatherStart = performance.now();
podStartupResults(tracker, {
  identifier: 'bench',
  thresholds: { perc50: 5000, perc90: 5000, perc99: 5000 },
});
const gatherMs = performance.now() - gatherStart;

const parsed = feed(new PodStartupTracker(), true);

const result = {
  pods,
  eventsPerSecond: Math.round((trackerOnly.events / trackerOnly.ms) * 1000),
  eventsPerSecondWithJsonParse: Math.round((parsed.events / parsed.ms) * 1000),
  retainedBytesPerPod: Math.round(bytesPerPod),
  gatherMs: Math.round(gatherMs),
  targets: { eventsPerSecond: 100_000, retainedBytesPerPod: 300 },
};

log('');
log(`  PodStartupLatency tracker, ${pods} pods × 3 watch events, one core`);
log(
  `  ${'events/s (tracker only)'.padEnd(34)} ${String(result.eventsPerSecond).padStart(12)}   target ≥ 100000`,
);
log(
  `  ${'events/s (JSON.parse + tracker)'.padEnd(34)} ${String(result.eventsPerSecondWithJsonParse).padStart(12)}`,
);
log(
  `  ${'retained bytes per tracked pod'.padEnd(34)} ${String(result.retainedBytesPerPod).padStart(12)}   target ≤ 300`,
);
log(`  ${'gather (3 groups × 6 transitions)'.padEnd(34)} ${`${result.gatherMs} ms`.padStart(12)}`);
log('');
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
