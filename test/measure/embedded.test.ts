/**
 * Measurements against the embedded control plane: a real API server with real request
 * histograms, a scheduler that writes Scheduled events, and workload controllers. Pods are
 * reported Running and Ready by patching their status, as a kubelet would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.js';
import { builtinMeasurementMethods } from '../../src/measure/registry.js';
import type { MeasurementContext, MeasurementResult } from '../../src/measure/types.js';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../src/kube/client.js';
import { testContext } from '../helpers/measure-context.js';
import { waitFor } from '../helpers/wait.js';

let cluster: EmbeddedCluster;
let kube: KubeClient;
let ctx: MeasurementContext & { logs: string[] };
const methods = builtinMeasurementMethods({ waitPollIntervalMs: 100, apiScrapeIntervalMs: 100 });

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'hf-measure-plane-'));
  cluster = await startEmbeddedCluster({ dir, hubs: 1 });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.info.kubeconfig);
  kube = new KubeClient(kc, { qps: 0 });
  ctx = await testContext(kube, { clientLatency: kube });
  await kube.request({
    method: 'POST',
    path: '/api/v1/nodes',
    body: { metadata: { name: 'n1', labels: {} } },
  });
  await kube.request({
    method: 'PATCH',
    path: '/api/v1/nodes/n1/status',
    body: {
      status: {
        conditions: [
          { type: 'Ready', status: 'True', lastHeartbeatTime: new Date().toISOString() },
        ],
        allocatable: { cpu: '64', memory: '256Gi', pods: '110' },
        capacity: { cpu: '64', memory: '256Gi', pods: '110' },
      },
    },
  });
}, 30_000);
afterAll(async () => cluster?.close());

async function namespace(name: string): Promise<void> {
  await kube.request({ method: 'POST', path: '/api/v1/namespaces', body: { metadata: { name } } });
}

function deployment(name: string, replicas: number, labels: Record<string, string>) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...labels } },
        spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }] },
      },
    },
  };
}

interface PodList {
  items: Array<{
    metadata: { name: string };
    spec?: { nodeName?: string };
    status?: { phase?: string };
  }>;
}

/** Marks every bound, not yet Running pod of the namespace Running and Ready (a kubelet's job). */
async function runBoundPods(ns: string): Promise<number> {
  const pods = await kube.request<PodList>({
    method: 'GET',
    path: `/api/v1/namespaces/${ns}/pods`,
  });
  let running = 0;
  for (const p of pods.items) {
    if (p.status?.phase === 'Running') {
      running++;
      continue;
    }
    if (!p.spec?.nodeName) continue;
    const now = new Date().toISOString();
    await kube.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/pods/${p.metadata.name}/status`,
      body: {
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: [{ name: 'c', ready: true, state: { running: { startedAt: now } } }],
        },
      },
    });
    running++;
  }
  return running;
}

describe('measurements against the embedded control plane', () => {
  it('PodStartupLatency, WaitForControlledPodsRunning and SchedulingThroughput over a Deployment', async () => {
    await namespace('m1');
    const podStartup = methods.get('PodStartupLatency')!.create(ctx, 'PodStartupLatency');
    const wait = methods
      .get('WaitForControlledPodsRunning')!
      .create(ctx, 'WaitForRunningDeployments');
    // SchedulingThroughput's interval ticks only when the test says so.
    const ticks: Array<() => void> = [];
    const tickCtx: MeasurementContext = {
      ...ctx,
      sleep: () => new Promise<void>((resolve) => ticks.push(resolve)),
    };
    const throughput = methods.get('SchedulingThroughput')!.create(tickCtx, 'SchedulingThroughput');
    await podStartup.execute({
      action: 'start',
      namespace: 'm1',
      labelSelector: 'group = latency',
      threshold: '20s',
    });
    await wait.execute({
      action: 'start',
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      namespace: 'm1',
      operationTimeout: '20s',
    });
    await throughput.execute({ action: 'start', namespace: 'm1', measurmentInterval: '1s' });
    await kube.request({
      method: 'POST',
      path: '/apis/apps/v1/namespaces/m1/deployments',
      body: deployment('web', 4, { group: 'latency' }),
    });
    await waitFor('4 pods running', async () => (await runBoundPods('m1')) === 4, 15_000);

    const [gate] = await wait.execute({ action: 'gather', syncTimeout: '10s' });
    expect(gate).toMatchObject({ status: 'pass', summaryName: 'WaitForControlledPodsRunning' });
    expect(gate!.data).toMatchObject({ kind: 'gate', objects: 1, done: 1, failedPods: [] });
    expect(gate!.cl2).toBeUndefined();

    const results = await podStartup.execute({ action: 'gather' });
    expect(results.map((r) => `${r.summaryName} ${r.status}`)).toEqual([
      'PodStartupLatency_PodStartupLatency pass',
      'StatelessPodStartupLatency_PodStartupLatency pass',
      'StatefulPodStartupLatency_PodStartupLatency skipped',
    ]);
    const all = results[0]!;
    if (all.data.kind !== 'podStartup') throw new Error('no pod startup data');
    expect(all.data.transitions.pod_startup!.samples).toBe(4);
    expect(all.data.transitions.pod_startup!.Perc99).toBeGreaterThan(0);
    // Legacy schedule times come from the embedded scheduler's Scheduled events.
    expect(all.data.transitions['legacy/create_to_schedule']!.samples).toBe(4);
    expect(all.files).toHaveLength(2);
    const rows = (await readFile(path.join(ctx.runDir, all.files![0]!), 'utf8')).trim().split('\n');
    expect(rows).toHaveLength(4);

    // One interval ends after all four pods were bound: one sample of 4 pods / 1 s.
    await waitFor('the sampler to wait for its first interval', () => ticks.length === 1);
    ticks.shift()!();
    await waitFor('the sampler to wait for its second interval', () => ticks.length === 1);
    const [tp] = await throughput.execute({ action: 'gather' });
    expect(tp!.status).toBe('pass');
    if (tp!.data.kind !== 'schedulingThroughput') throw new Error('no throughput data');
    expect(tp!.data.samples).toEqual([4]);
    expect(tp!.cl2).toEqual({ perc50: 4, perc90: 4, perc99: 4, max: 4 });
    await Promise.all([podStartup.dispose(), wait.dispose(), throughput.dispose()]);
  }, 40_000);

  it('WaitForControlledPodsRunning fails on timeout with the failed pods list', async () => {
    await namespace('m2');
    const wait = methods.get('WaitForControlledPodsRunning')!.create(ctx, 'WaitForStuck');
    await wait.execute({
      action: 'start',
      kind: 'Deployment',
      namespace: 'm2',
      operationTimeout: '1s',
    });
    await kube.request({
      method: 'POST',
      path: '/apis/apps/v1/namespaces/m2/deployments',
      body: deployment('stuck', 2, {}),
    });
    await waitFor('2 pods bound', async () => {
      const pods = await kube.request<PodList>({
        method: 'GET',
        path: '/api/v1/namespaces/m2/pods',
      });
      return pods.items.filter((p) => p.spec?.nodeName).length === 2;
    });
    const [r] = await wait.execute({ action: 'gather', syncTimeout: '5s' });
    expect(r!.status).toBe('fail');
    expect(r!.summaryName).toMatch(/^WaitForControlledPodsRunning_\d+_failedpods$/);
    expect(r!.reason).toMatch(/m2\/stuck: timed out \(0\/2 running and updated/);
    const failed = r!.cl2 as Array<{
      namespace: string;
      controlledBy: string;
      name: string;
      host: string;
      status: string;
    }>;
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({
      namespace: 'm2',
      controlledBy: 'm2/stuck',
      host: 'n1',
      status: 'Pending',
    });
    await wait.dispose();
  }, 30_000);

  it('WaitForControlledPodsRunning counts only pods derived from the current template', async () => {
    await namespace('m4');
    const replicaSet = (image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'rs' } },
        template: {
          metadata: { labels: { app: 'rs' } },
          spec: { containers: [{ name: 'c', image }] },
        },
      },
    });
    const judge = async (checkIfPodsAreUpdated: boolean) => {
      const wait = methods
        .get('WaitForControlledPodsRunning')!
        .create(ctx, `rs-${checkIfPodsAreUpdated}`);
      await wait.execute({
        action: 'start',
        kind: 'ReplicaSet',
        namespace: 'm4',
        operationTimeout: '1s',
        checkIfPodsAreUpdated,
      });
      const [r] = await wait.execute({ action: 'gather', syncTimeout: '5s' });
      await wait.dispose();
      return r!;
    };
    await kube.request({
      method: 'POST',
      path: '/apis/apps/v1/namespaces/m4/replicasets',
      body: replicaSet('pause:3.9'),
    });
    await waitFor('2 pods running', async () => (await runBoundPods('m4')) === 2, 15_000);
    expect((await judge(true)).status).toBe('pass');
    // A ReplicaSet does not replace its pods when the template changes: both are now outdated.
    await kube.request({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/m4/replicasets/rs',
      body: { spec: { template: { spec: { containers: [{ name: 'c', image: 'pause:3.10' }] } } } },
    });
    const outdated = await judge(true);
    expect(outdated.status).toBe('fail');
    expect(outdated.reason).toMatch(
      /m4\/rs: timed out \(0\/2 running and updated, 0 not running, 2 outdated\)/,
    );
    expect((await judge(false)).status).toBe('pass');
  }, 30_000);

  it('APIResponsivenessPrometheus (simple) end to end over the real apiserver histogram', async () => {
    await namespace('m3');
    const api = methods
      .get('APIResponsivenessPrometheus')!
      .create(ctx, 'APIResponsivenessPrometheusSimple');
    const client = methods.get('ClientSideApiLatency')!.create(ctx, 'client');
    await api.execute({ action: 'start', enableViolations: true });
    await client.execute({ action: 'start' });
    for (let i = 0; i < 25; i++)
      await kube.request({
        method: 'POST',
        path: '/api/v1/namespaces/m3/configmaps',
        body: { metadata: { name: `cm${i}` }, data: { k: 'v' } },
      });
    for (let i = 0; i < 10; i++)
      await kube.request({ method: 'GET', path: '/api/v1/namespaces/m3/configmaps/cm0' });
    const [c] = await client.execute({ action: 'gather' });
    const [r] = await api.execute({ action: 'gather' });
    expect(c!.source).toMatch(/client-side/);
    expect(
      c!.verdicts.find(
        (v) =>
          v.metric === 'POST configmaps namespace Perc99' ||
          v.metric === 'POST configmaps resource Perc99',
      ),
    ).toMatchObject({ samples: 25 });
    expect(r!.status).toBe('pass');
    expect(r!.summaryName).toBe('APIResponsivenessPrometheus_simple');
    expect(r!.source).toMatch(/apiserver_request_sli_duration_seconds, simple/);
    if (r!.data.kind !== 'apiLatency') throw new Error('no API data');
    const post = r!.data.items.find((x) => x.verb === 'POST' && x.resource === 'configmaps')!;
    expect(post).toMatchObject({ scope: 'resource', count: 25, thresholdMs: 1000 });
    expect(post.Perc99).toBeGreaterThan(0);
    expect(r!.data.items.find((x) => x.verb === 'GET' && x.resource === 'configmaps')!.count).toBe(
      10,
    );
    expect(r!.verdicts.every((v) => v.enforced)).toBe(true);
    const perf = r!.cl2 as { version: string; dataItems: Array<{ data: { Perc99: number } }> };
    expect(perf.version).toBe('v1');
    const p99s = perf.dataItems.map((d) => d.data.Perc99);
    expect(p99s).toEqual([...p99s].sort((a, b) => b - a));
  }, 20_000);

  it('APIResponsivenessPrometheus scrapes every listed apiserver instance over TLS and sums them', async () => {
    await namespace('m5');
    const url = `${cluster.info.apiServer}/metrics`;
    // The same server listed twice stands in for two instances: every delta is counted twice.
    const ha: MeasurementContext = { ...ctx, apiserverMetricsUrls: [url, `${url}?instance=b`] };
    const api = methods
      .get('APIResponsivenessPrometheus')!
      .create(ha, 'APIResponsivenessPrometheusSimple');
    await api.execute({ action: 'start' });
    for (let i = 0; i < 7; i++)
      await kube.request({
        method: 'POST',
        path: '/api/v1/namespaces/m5/secrets',
        body: { metadata: { name: `s${i}` } },
      });
    const [r] = await api.execute({ action: 'gather' });
    if (r!.data.kind !== 'apiLatency') throw new Error(`no API data: ${r!.reason}`);
    expect(r!.data.items.find((x) => x.verb === 'POST' && x.resource === 'secrets')!.count).toBe(
      14,
    );
  }, 20_000);

  it('APIResponsivenessPrometheus (windowed) scrapes periodically and says when the run is too short', async () => {
    let sleeps = 0;
    const counting: MeasurementContext = {
      ...ctx,
      sleep: (ms) => {
        sleeps++;
        return ctx.sleep(ms);
      },
    };
    const api = methods
      .get('APIResponsivenessPrometheus')!
      .create(counting, 'APIResponsivenessPrometheus');
    await api.execute({ action: 'start', interval: '50ms' });
    await waitFor('three scrape ticks', () => sleeps >= 3);
    const [r] = await api.execute({ action: 'gather' });
    expect(r).toMatchObject({ status: 'skipped', summaryName: 'APIResponsivenessPrometheus' });
    expect(r!.reason).toMatch(/needs at least 360 s.*useSimpleLatencyQuery/);
    await api.dispose();
  }, 20_000);

  it('APIResponsivenessPrometheus is skipped with the reason when /metrics is forbidden or unreachable', async () => {
    const forbidding = http.createServer((_req, res) => res.writeHead(403).end('forbidden'));
    await new Promise<void>((resolve) => forbidding.listen(0, '127.0.0.1', resolve));
    const port = (forbidding.address() as AddressInfo).port;
    try {
      const gatherWith = async (urls: string[]): Promise<MeasurementResult> => {
        const c: MeasurementContext = { ...ctx, apiserverMetricsUrls: urls };
        const m = methods
          .get('APIResponsivenessPrometheus')!
          .create(c, 'APIResponsivenessPrometheusSimple');
        await m.execute({ action: 'start' });
        return (await m.execute({ action: 'gather' }))[0]!;
      };
      const forbidden = await gatherWith([`http://127.0.0.1:${port}/metrics`]);
      expect(forbidden.status).toBe('skipped');
      expect(forbidden.reason).toMatch(/HTTP 403.*nonResourceURLs: \["\/metrics"\]/);
      forbidding.close();
      const unreachable = await gatherWith([`http://127.0.0.1:${port}/metrics`]);
      expect(unreachable.status).toBe('skipped');
      expect(unreachable.reason).toMatch(/unreachable/);
    } finally {
      forbidding.close();
    }
  }, 20_000);

  it('MetricsForE2E dumps /metrics raw and in CL2 JSON, and says why scheduler and controller-manager are missing', async () => {
    const [r, ...rest] = await methods
      .get('TestMetrics')!
      .create(ctx, 'TestMetrics')
      .execute({ action: 'gather' });
    expect(r!.method).toBe('MetricsForE2E');
    expect(r!.status).toBe('pass');
    expect(r!.reason).toMatch(/kube-scheduler skipped: no master node/);
    const body = r!.cl2 as {
      APIServerMetrics: Record<
        string,
        Array<{ metric: Record<string, string>; value: [number, string] }>
      >;
      SchedulerMetrics: unknown;
    };
    const sample = body.APIServerMetrics.apiserver_request_sli_duration_seconds_bucket![0]!;
    expect(sample.metric.__name__).toBe('apiserver_request_sli_duration_seconds_bucket');
    expect(typeof sample.value[0]).toBe('number');
    expect(typeof sample.value[1]).toBe('string');
    expect(body.SchedulerMetrics).toBeNull();
    const raw = await readFile(path.join(ctx.runDir, r!.files![0]!), 'utf8');
    expect(raw).toMatch(/^# (HELP|TYPE) /m);
    expect(rest.map((x) => x.status)).toEqual(rest.map(() => 'skipped'));
    expect(rest.map((x) => x.method)).toContain('EtcdMetrics');
  }, 20_000);
});
