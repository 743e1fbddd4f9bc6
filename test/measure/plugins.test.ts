import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/common/errors.js';
import {
  createHistogram,
  encodeHistogram,
  recordMs,
  type EncodedHistogram,
} from '../../src/common/histogram.js';
import type { KubeApi } from '../../src/kube/api.js';
import { builtinMeasurementMethods } from '../../src/measure/registry.js';
import {
  SchedulingThroughputSampler,
  schedulingThroughputResult,
  throughputSummary,
} from '../../src/measure/scheduling-throughput.js';
import { resolveThresholds } from '../../src/measure/slo.js';
import { isDerivative, selectorMatcher } from '../../src/measure/wait-for-controlled-pods.js';
import {
  UNSUPPORTED_CL2_METHODS,
  type FleetSnapshotView,
  type MeasurementContext,
} from '../../src/measure/types.js';

/** A clock whose sleeps resolve only when the test advances it. */
class ManualClock {
  now = 0;
  private waiters: Array<{ at: number; resolve: () => void }> = [];
  sleep = (ms: number) =>
    new Promise<void>((resolve) => this.waiters.push({ at: this.now + ms, resolve }));
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    for (let guard = 0; guard < 10_000; guard++) {
      const due = this.waiters.filter((w) => w.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.waiters = this.waiters.filter((w) => w !== due);
      this.now = due.at;
      due.resolve();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
    this.now = target;
  }
}

function context(clock: ManualClock, extra: Partial<MeasurementContext> = {}): MeasurementContext {
  return {
    kube: {} as KubeApi,
    apiserverMetricsUrls: [],
    runDir: '/nonexistent',
    now: () => 1_700_000_000_000 + clock.now,
    monotonic: () => clock.now,
    sleep: clock.sleep,
    log: () => {},
    signal: new AbortController().signal,
    ...extra,
  };
}

describe('SchedulingThroughput', () => {
  it('samples (scheduled − previous) / whole interval seconds on an injected clock', async () => {
    const clock = new ManualClock();
    let scheduled = 7; // already scheduled at start: CL2 counts them in the first sample
    const sampler = new SchedulingThroughputSampler({
      intervalMs: 2500,
      scheduledCount: () => scheduled,
      sleep: clock.sleep,
    });
    await clock.advance(2500);
    scheduled = 27;
    await clock.advance(2500);
    scheduled = 31;
    await clock.advance(2500);
    sampler.stop();
    await clock.advance(2500);
    // Divided by trunc(2.5 s) = 2 s.
    expect(sampler.samples).toEqual([3.5, 10, 2]);
    expect(
      () =>
        new SchedulingThroughputSampler({
          intervalMs: 500,
          scheduledCount: () => 0,
          sleep: clock.sleep,
        }),
    ).toThrow(ConfigError);
  });

  it('uses nearest rank and max, and checks max against threshold (enableViolations default true)', () => {
    const samples = [1, 5, 3, 9, 7, 2, 8, 4, 6, 10];
    expect(throughputSummary(samples)).toEqual({ perc50: 5, perc90: 9, perc99: 10, max: 10 });
    const pass = schedulingThroughputResult('T', samples, {
      threshold: 10,
      enableViolations: true,
      intervalS: 1,
    });
    expect(pass.status).toBe('pass');
    expect(pass.cl2).toEqual({ perc50: 5, perc90: 9, perc99: 10, max: 10 });
    const fail = schedulingThroughputResult('T', samples, {
      threshold: 11,
      enableViolations: true,
      intervalS: 1,
    });
    expect(fail.status).toBe('fail');
    expect(fail.verdicts[0]).toMatchObject({
      observed: 10,
      threshold: 11,
      comparator: '>=',
      unit: 'pods/s',
      enforced: true,
    });
    const reportOnly = schedulingThroughputResult('T', samples, {
      threshold: 11,
      enableViolations: false,
      intervalS: 1,
    });
    expect(reportOnly.status).toBe('pass');
    expect(reportOnly.verdicts[0]!.enforced).toBe(false);
    expect(
      schedulingThroughputResult('T', [], { threshold: 1, enableViolations: true, intervalS: 5 })
        .status,
    ).toBe('skipped');
  });
});

describe('method registry', () => {
  it('reports every unsupported CL2 method as skipped with the reason, on every action', async () => {
    const methods = builtinMeasurementMethods();
    const clock = new ManualClock();
    for (const name of UNSUPPORTED_CL2_METHODS.filter((m) => m !== 'TestMetrics')) {
      const m = methods.get(name)!.create(context(clock), 'id');
      for (const action of ['start', 'gather']) {
        const [r] = await m.execute({ action });
        expect(r).toMatchObject({
          status: 'skipped',
          reason: `not supported by hollowfleet: ${name}`,
        });
      }
    }
    for (const name of [
      'PodStartupLatency',
      'WaitForControlledPodsRunning',
      'SchedulingThroughput',
      'APIResponsivenessPrometheus',
      'ClientSideApiLatency',
      'EdgeSLIs',
      'MetricsForE2E',
      'TestMetrics',
      'Sleep',
      'Timer',
    ])
      expect(methods.get(name)?.name).toBe(name);
  });

  it('Sleep waits its duration; Timer reports elapsed seconds per label', async () => {
    const clock = new ManualClock();
    const methods = builtinMeasurementMethods();
    const sleeping = methods.get('Sleep')!.create(context(clock), '').execute({ duration: '30s' });
    let done = false;
    void sleeping.then(() => (done = true));
    await clock.advance(29_999);
    expect(done).toBe(false);
    await clock.advance(1);
    expect(done).toBe(true);
    const timer = methods.get('Timer')!.create(context(clock), 'Timer');
    expect((await timer.execute({ action: 'gather' }))[0]!.status).toBe('skipped');
    await timer.execute({ action: 'start', label: 'saturation' });
    await clock.advance(1500);
    await timer.execute({ action: 'stop', label: 'saturation' });
    const [r] = await timer.execute({ action: 'gather' });
    expect(r!.cl2).toEqual({
      version: 'v1',
      dataItems: [{ data: { saturation: 1.5 }, unit: 's', labels: { test: 'phases' } }],
    });
    await expect(timer.execute({ action: 'start' })).rejects.toThrow(/needs a label/);
    await expect(timer.execute({ action: 'stop', label: 'other' })).rejects.toThrow(ConfigError);
  });
});

describe('SLO table', () => {
  it('has the official defaults and rejects unknown names', () => {
    const t = resolveThresholds();
    expect(t.get('podStartupLatency.perc99')!.threshold).toBe(5000);
    expect(t.get('apiCallLatency.resource')!.threshold).toBe(1000);
    expect(t.get('apiCallLatency.namespace')!.threshold).toBe(30_000);
    expect(t.get('apiCallLatency.cluster')!.threshold).toBe(30_000);
    expect(
      resolveThresholds({ 'apiCallLatency.resource': '500ms' }).get('apiCallLatency.resource'),
    ).toMatchObject({ threshold: 500, origin: 'override' });
    expect(() => resolveThresholds({ 'apiCallLatency.mutating': '1s' })).toThrow(ConfigError);
    expect(() => resolveThresholds({ 'podStartupLatency.perc99': '-1s' })).toThrow(ConfigError);
  });
});

function hist(values: number[]): EncodedHistogram {
  const h = createHistogram();
  for (const v of values) recordMs(h, v);
  return encodeHistogram(h);
}

describe('EdgeSLIs and ClientSideApiLatency', () => {
  it('windows fleet histograms between start and gather and applies per-percentile thresholds', async () => {
    const clock = new ManualClock();
    let snapshot: FleetSnapshotView = {
      nodes: 3,
      gauges: {},
      counters: {},
      errorsByCode: {},
      histograms: { podDeliveryMs: hist([10_000]) },
    };
    const ctx = context(clock, { fleet: { snapshot: async () => snapshot } });
    const m = builtinMeasurementMethods().get('EdgeSLIs')!.create(ctx, 'edge');
    await m.execute({
      action: 'start',
      thresholds: { registrationToReadyMs: { perc99: '5s' }, podDeliveryMs: { perc50: '100ms' } },
    });
    snapshot = {
      ...snapshot,
      histograms: {
        podDeliveryMs: hist([10_000, 20, 30, 40]), // the 10 s sample predates start
        registrationToReadyMs: hist(Array.from({ length: 100 }, (_, i) => (i + 1) * 10)),
      },
    };
    const [r] = await m.execute({ action: 'gather' });
    expect(r!.status).toBe('pass');
    expect(r!.verdicts.map((v) => `${v.metric} ${Math.round(v.observed)}`).sort()).toEqual([
      'podDeliveryMs Perc50 30',
      'registrationToReadyMs Perc99 990',
    ]);
    await expect(
      m.execute({ action: 'start', thresholds: { bogusMs: { perc99: '1s' } } }),
    ).rejects.toThrow(/unknown edge metric/);
    const noFleet = builtinMeasurementMethods().get('EdgeSLIs')!.create(context(clock), 'e');
    await noFleet.execute({ action: 'start' });
    expect((await noFleet.execute({ action: 'gather' }))[0]).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/no fleet source/),
    });
  });

  it('judges client-side latency per (verb, resource, scope) against 1 s / 30 s, labelled client-side', async () => {
    const clock = new ManualClock();
    const histograms = new Map<string, EncodedHistogram>([
      ['POST pods resource', hist([5, 2000])],
      ['LIST pods namespace', hist([2000])],
    ]);
    const ctx = context(clock, { clientLatency: { histograms: () => histograms } });
    const m = builtinMeasurementMethods().get('ClientSideApiLatency')!.create(ctx, 'client');
    await m.execute({ action: 'start', enableViolations: true });
    histograms.set('POST pods resource', hist([5, 2000, 1500]));
    histograms.set('LIST pods namespace', hist([2000, 2500]));
    const [r] = await m.execute({ action: 'gather' });
    expect(r!.source).toMatch(/client-side/);
    expect(r!.status).toBe('fail');
    const byMetric = Object.fromEntries(r!.verdicts.map((v) => [v.metric, v]));
    expect(byMetric['POST pods resource Perc99']).toMatchObject({
      threshold: 1000,
      samples: 1,
      pass: false,
    });
    expect(Object.keys(byMetric).sort()).toEqual([
      'LIST pods namespace Perc50',
      'LIST pods namespace Perc90',
      'LIST pods namespace Perc99',
      'POST pods resource Perc50',
      'POST pods resource Perc90',
      'POST pods resource Perc99',
    ]);
    expect(byMetric['LIST pods namespace Perc99']).toMatchObject({
      threshold: 30_000,
      samples: 1,
      pass: true,
    });
  });
});

describe('WaitForControlledPodsRunning helpers', () => {
  it('judges "updated" as Kubernetes DeepDerivative: fields the template sets must match', () => {
    const template = { containers: [{ name: 'c', image: 'pause:3.9' }], restartPolicy: '' };
    const pod = {
      containers: [{ name: 'c', image: 'pause:3.9', imagePullPolicy: 'IfNotPresent' }],
      nodeName: 'n1',
      restartPolicy: 'Always',
    };
    expect(isDerivative(template, pod)).toBe(true);
    expect(isDerivative({ containers: [{ name: 'c', image: 'pause:3.10' }] }, pod)).toBe(false);
    expect(isDerivative({ containers: [{ name: 'c' }, { name: 'd' }] }, pod)).toBe(false);
    expect(isDerivative({ volumes: [] }, pod)).toBe(true);
  });

  it('matches pods with LabelSelectors and ReplicationController maps', () => {
    const m = selectorMatcher('Deployment', {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    });
    expect(m({ app: 'web', tier: 'a' })).toBe(true);
    expect(m({ app: 'web', tier: 'c' })).toBe(false);
    expect(m({ app: 'web', tier: 'a', canary: '1' })).toBe(false);
    expect(selectorMatcher('ReplicationController', { app: 'web' })({ app: 'web', x: 'y' })).toBe(
      true,
    );
    expect(selectorMatcher('ReplicationController', {})({ app: 'web' })).toBe(false);
  });
});
