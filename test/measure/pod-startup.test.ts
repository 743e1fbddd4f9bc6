import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/common/errors.js';
import {
  isStatelessVolumes,
  PodStartupTracker,
  podStartupResults,
  podStartupThresholds,
  writeRawTimings,
  type PodLike,
} from '../../src/measure/pod-startup.js';

const T0 = Date.parse('2026-11-25T06:00:00Z');

function pod(
  name: string,
  o: {
    node?: string;
    phase?: string;
    created?: number;
    started?: number[];
    volumes?: Array<Record<string, unknown>>;
  } = {},
): PodLike {
  return {
    metadata: {
      namespace: 'ns',
      name,
      creationTimestamp: new Date(o.created ?? T0).toISOString().replace('.000', ''),
    },
    spec: { nodeName: o.node, volumes: o.volumes },
    status: {
      phase: o.phase ?? 'Pending',
      containerStatuses: (o.started ?? []).map((t) => ({
        state: { running: { startedAt: new Date(t).toISOString() } },
      })),
    },
  };
}

const thresholds = { perc50: 5000, perc90: 5000, perc99: 5000 };

function transitions(r: ReturnType<typeof podStartupResults>[number]) {
  if (r.data.kind !== 'podStartup') throw new Error('not pod startup data');
  return r.data.transitions;
}

describe('PodStartupLatency tracker (HEAD: watch receive time)', () => {
  it('takes first sightings, tolerates out-of-order and missing phases, ignores deletes', () => {
    const t = new PodStartupTracker({ wallClock: () => T0 });
    t.observe('ADDED', pod('a'), 1000);
    t.observe('MODIFIED', pod('a', { node: 'n1' }), 1100);
    t.observe('MODIFIED', pod('a', { node: 'n1', phase: 'Running' }), 1600);
    t.observe('MODIFIED', pod('a', { node: 'n1', phase: 'Running' }), 9999); // later sightings ignored
    // Out of order: the first event already shows Running (a missed intermediate state).
    t.observe('ADDED', pod('b', { node: 'n1', phase: 'Running' }), 2000);
    // Running without nodeName ever seen (missing schedule phase).
    t.observe('ADDED', pod('c'), 3000);
    t.observe('MODIFIED', pod('c', { phase: 'Running' }), 3500);
    t.observe('ADDED', pod('d'), 4000); // never runs
    t.observe('DELETED', pod('e', { phase: 'Running' }), 5000);
    t.observe('BOOKMARK', pod('f'), 5000);
    expect(t.size).toBe(4);
    expect(t.running()).toBe(3);
    const [all] = podStartupResults(t, { identifier: 'X', thresholds });
    const tr = transitions(all!);
    // pod_startup samples: a 600, b 0, c 500 → sorted [0, 500, 600]; nearest rank.
    expect(tr.pod_startup).toEqual({ Perc50: 500, Perc90: 600, Perc99: 600, samples: 3 });
    expect(tr.create_to_run).toEqual(tr.pod_startup);
    expect(tr.create_to_schedule!.samples).toBe(2);
    expect(tr.schedule_to_run).toEqual({ Perc50: 0, Perc90: 500, Perc99: 500, samples: 2 });
    expect(tr.run_to_watch).toEqual({ Perc50: 0, Perc90: 0, Perc99: 0, samples: 3 });
    expect(tr.schedule_to_watch).toEqual(tr.schedule_to_run);
  });

  it('clamps negative latencies to zero', () => {
    const t = new PodStartupTracker();
    // A pod created "after" it was scheduled (clock reordering): schedule < create on receive.
    t.observe('ADDED', pod('a'), 1000);
    const cols = t.columns();
    cols.schedule[0] = 900;
    t.observe('MODIFIED', pod('a', { node: 'n', phase: 'Running' }), 1200);
    const tr = transitions(podStartupResults(t, { identifier: 'X', thresholds })[0]!);
    expect(tr.create_to_schedule!.Perc99).toBe(0);
    expect(tr.schedule_to_run!.Perc99).toBe(300);
  });

  it('fails only when a percentile is strictly greater than its threshold', () => {
    const t = new PodStartupTracker();
    for (let i = 0; i < 100; i++) {
      t.observe('ADDED', pod(`p${i}`), 0);
      t.observe('MODIFIED', pod(`p${i}`, { node: 'n', phase: 'Running' }), (i + 1) * 10); // 10…1000 ms
    }
    const judge = (th: { perc50: number; perc90: number; perc99: number }) =>
      podStartupResults(t, { identifier: 'X', thresholds: th })[0]!;
    expect(judge({ perc50: 500, perc90: 900, perc99: 990 }).status).toBe('pass'); // equal passes
    const p99 = judge({ perc50: 500, perc90: 900, perc99: 989 });
    expect(p99.status).toBe('fail');
    expect(p99.reason).toMatch(/pod_startup Perc99: got 990 ms, threshold 989 ms/);
    expect(judge({ perc50: 499, perc90: 5000, perc99: 5000 }).status).toBe('fail');
    expect(judge({ perc50: 5000, perc90: 899, perc99: 5000 }).status).toBe('fail');
    const v = judge(thresholds).verdicts.find((x) => x.metric === 'pod_startup Perc99')!;
    expect(v).toMatchObject({
      observed: 990,
      threshold: 5000,
      samples: 100,
      enforced: true,
      comparator: '<=',
    });
  });

  it('gives All/Stateless/Stateful summaries with CL2 names and PerfData 1.0 bodies', () => {
    const t = new PodStartupTracker();
    t.observe(
      'ADDED',
      pod('stateless', {
        volumes: [
          { name: 'v', configMap: { name: 'x' } },
          { name: 'p', projected: {} },
        ],
      }),
      0,
    );
    t.observe('MODIFIED', pod('stateless', { node: 'n', phase: 'Running', volumes: [] }), 100);
    t.observe(
      'ADDED',
      pod('stateful', { volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'c' } }] }),
      0,
    );
    t.observe('MODIFIED', pod('stateful', { node: 'n', phase: 'Running' }), 300);
    const results = podStartupResults(t, { identifier: 'PodStartupLatency', thresholds });
    expect(results.map((r) => r.summaryName)).toEqual([
      'PodStartupLatency_PodStartupLatency',
      'StatelessPodStartupLatency_PodStartupLatency',
      'StatefulPodStartupLatency_PodStartupLatency',
    ]);
    expect(results.map((r) => transitions(r).pod_startup!.Perc99)).toEqual([300, 100, 300]);
    const body = results[0]!.cl2 as {
      version: string;
      dataItems: Array<{ data: object; unit: string; labels: { Metric: string } }>;
    };
    expect(body.version).toBe('1.0');
    expect(body.dataItems.map((d) => d.labels.Metric)).toEqual([
      'create_to_schedule',
      'schedule_to_run',
      'run_to_watch',
      'schedule_to_watch',
      'pod_startup',
      'create_to_run',
    ]);
    expect(body.dataItems[4]).toEqual({
      data: { Perc50: 100, Perc90: 300, Perc99: 300 },
      unit: 'ms',
      labels: { Metric: 'pod_startup' },
    });
    expect(isStatelessVolumes([{ name: 'h', hostPath: { path: '/' } }])).toBe(false);
  });

  it('reports an empty group as skipped, not as a pass', () => {
    const t = new PodStartupTracker();
    t.observe('ADDED', pod('a'), 0);
    t.observe('MODIFIED', pod('a', { node: 'n', phase: 'Running' }), 10);
    const [all, stateless, stateful] = podStartupResults(t, { identifier: 'X', thresholds });
    expect(all!.status).toBe('pass');
    expect(stateless!.status).toBe('pass');
    expect(stateful!.status).toBe('skipped');
    expect(stateful!.reason).toMatch(/no stateful pod/);
    expect(
      podStartupResults(new PodStartupTracker(), { identifier: 'X', thresholds })[0]!.status,
    ).toBe('skipped');
  });

  it('computes the legacy method alongside, labelled and not enforced', () => {
    let wall = T0 + 4000;
    const t = new PodStartupTracker({ wallClock: () => wall });
    t.observe('ADDED', pod('a', { created: T0 }), 0);
    t.observe(
      'MODIFIED',
      pod('a', { node: 'n', phase: 'Running', created: T0, started: [T0 + 2000, T0 + 3000] }),
      50,
    );
    wall = T0 + 9000;
    t.observe('ADDED', pod('b', { created: T0 }), 0);
    t.observe(
      'MODIFIED',
      pod('b', { node: 'n', phase: 'Running', created: T0, started: [T0 + 1000] }),
      60,
    );
    const [all] = podStartupResults(t, {
      identifier: 'X',
      thresholds,
      schedulerEvents: [
        { namespace: 'ns', name: 'a', eventTime: new Date(T0 + 500).toISOString() },
        { namespace: 'ns', name: 'b', firstTimestamp: new Date(T0 + 1000).toISOString() },
        { namespace: 'ns', name: 'unknown', eventTime: new Date(T0).toISOString() },
      ],
    });
    const tr = transitions(all!);
    // legacy pod_startup = creationTimestamp → watch (wall clock at first Running): 4000, 9000.
    expect(tr['legacy/pod_startup']).toEqual({
      Perc50: 4000,
      Perc90: 9000,
      Perc99: 9000,
      samples: 2,
    });
    // legacy run = latest startedAt: a 3000, b 1000; schedule: a 500, b 1000.
    expect(tr['legacy/schedule_to_run']).toEqual({
      Perc50: 0,
      Perc90: 2500,
      Perc99: 2500,
      samples: 2,
    });
    expect(tr['legacy/run_to_watch']).toEqual({
      Perc50: 1000,
      Perc90: 8000,
      Perc99: 8000,
      samples: 2,
    });
    const legacy = all!.verdicts.find((v) => v.metric === 'legacy pod_startup Perc99')!;
    expect(legacy).toMatchObject({ observed: 9000, pass: false, enforced: false });
    expect(legacy.method).toMatch(/legacy/);
    // The enforced HEAD figures pass, so the result passes although the legacy figure is over 5 s.
    expect(all!.status).toBe('pass');
  });

  it('reads CL2 thresholds: threshold, per-percentile overrides, SLO table default, errors', () => {
    expect(podStartupThresholds({})).toEqual({ perc50: 5000, perc90: 5000, perc99: 5000 });
    expect(podStartupThresholds({ threshold: '1h' })).toEqual({
      perc50: 3_600_000,
      perc90: 3_600_000,
      perc99: 3_600_000,
    });
    expect(podStartupThresholds({ threshold: '10s', perc99Threshold: '3s' })).toEqual({
      perc50: 10_000,
      perc90: 10_000,
      perc99: 3000,
    });
    expect(podStartupThresholds({ slo: { 'podStartupLatency.perc99': '4s' } }).perc99).toBe(4000);
    expect(() => podStartupThresholds({ threshold: 'soon' })).toThrow(ConfigError);
    expect(() => podStartupThresholds({ slo: { 'podStartup.p99': '4s' } })).toThrow(/unknown SLO/);
  });

  it('writes per-pod raw timings for every pod and the worst 100', async () => {
    const t = new PodStartupTracker();
    for (let i = 0; i < 150; i++) {
      t.observe('ADDED', pod(`p${i}`), 1000);
      t.observe('MODIFIED', pod(`p${i}`, { node: 'n', phase: 'Running' }), 1000 + i);
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'hf-pods-'));
    const files = await writeRawTimings(t, dir, 'PodStartupLatency_X', { origin: 1000 });
    expect(files).toEqual(['PodStartupLatency_X.pods.ndjson', 'PodStartupLatency_X.worst.ndjson']);
    const all = (await readFile(path.join(dir, files[0]!), 'utf8')).trim().split('\n');
    expect(all).toHaveLength(150);
    const worst = (await readFile(path.join(dir, files[1]!), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; podStartupMs: number; createMs: number });
    expect(worst).toHaveLength(100);
    expect(worst[0]).toMatchObject({ name: 'p149', podStartupMs: 149, createMs: 0 });
  });
});
