/**
 * The quick-start job: an embedded control plane, a local fleet of hollow nodes, a Deployment spread
 * over them, and the measurements a density test reports — pod startup from watch receive times,
 * API latency from the API server's /metrics deltas, and the edge SLIs from the fleet's
 * histograms — checked against the SLOs and written to a report.
 */
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { HollowfleetError } from '../common/errors.js';
import type { HistogramSummary } from '../common/histogram.js';
import type { EdgeMetric } from '../edge/events.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../embedded/cluster.js';
import { Fleet } from '../fleet/fleet.js';
import { ListWatch } from '../kube/list-watch.js';
import { loadKubeconfig } from '../kube/token.js';
import { apiResponsiveness, type ApiCallLatency } from '../measure/api-responsiveness.js';
import { monotonicNow, PodStartupTracker, podStartupTransitions } from '../measure/pod-startup.js';

export const SUMMARY_SCHEMA = 1;

export interface DemoOptions {
  nodes: number;
  podsPerNode: number;
  reportsDir: string;
  stateDir: string;
  workers?: number;
  timeoutMs: number;
  signal?: AbortSignal;
  toolVersion: string;
  onProgress?: (text: string) => void;
}

export interface SloVerdict {
  name: string;
  method: string;
  observed: number;
  threshold: number;
  unit: 'ms';
  samples: number;
  pass: boolean;
}

export interface DemoSummary {
  schema: number;
  tool: { name: 'hollowfleet'; version: string };
  scenario: string;
  target: { kind: 'embedded'; kubernetesVersion: string };
  nodes: number;
  pods: number;
  startedAt: string;
  finishedAt: string;
  status: 'passed' | 'failed' | 'incomplete';
  reason?: string;
  verdicts: SloVerdict[];
  measurements: {
    podStartup?: { methodology: string; transitions: ReturnType<typeof podStartupTransitions> };
    apiResponsiveness?: { methodology: string; calls: ApiCallLatency[] } | { skipped: string };
    edge?: {
      methodology: string;
      metrics: Partial<Record<EdgeMetric, HistogramSummary>>;
      counters: Record<string, number>;
    };
  };
}

export interface DemoResult {
  summary: DemoSummary;
  reportDir: string;
}

async function scrapeMetrics(kc: KubeConfig): Promise<string> {
  const server = kc.getCurrentCluster()!.server;
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = https.request(`${server}/metrics`, { ...opts, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(body)
          : reject(new Error(`/metrics answered HTTP ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

async function waitUntil(
  what: string,
  predicate: () => boolean,
  timeoutMs: number,
  signal?: AbortSignal,
  tick?: () => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (aborted(signal)) throw new HollowfleetError('HF_INTERRUPTED', 'interrupted');
    if (Date.now() > deadline)
      throw new HollowfleetError(
        'HF_TIMEOUT',
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`,
      );
    tick?.();
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const startedAt = new Date();
  const pods = options.nodes * options.podsPerNode;
  const summary: DemoSummary = {
    schema: SUMMARY_SCHEMA,
    tool: { name: 'hollowfleet', version: options.toolVersion },
    scenario: 'quick-start',
    target: { kind: 'embedded', kubernetesVersion: '' },
    nodes: options.nodes,
    pods,
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    status: 'incomplete',
    verdicts: [],
    measurements: {},
  };
  const progress = options.onProgress ?? (() => undefined);
  let cluster: EmbeddedCluster | undefined;
  let fleet: Fleet | undefined;
  let namespace: string | undefined;
  let core: CoreV1Api | undefined;
  let stopWatch: (() => void) | undefined;
  try {
    progress('starting the embedded control plane');
    cluster = await startEmbeddedCluster({ dir: options.stateDir, hubs: 2 });
    summary.target.kubernetesVersion = cluster.info.kubernetesVersion;
    const kc = loadKubeconfig(cluster.info.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const [host, port] = cluster.info.cloudcore.split(':') as [string, string];
    fleet = new Fleet({
      nodes: options.nodes,
      workers: options.workers,
      prefix: 'hollow',
      targets: [{ host, port: Number(port) }],
      certServerUrl: cluster.info.certServer,
      token: cluster.token,
      certDir: path.join(options.stateDir, 'certs'),
      tlsServerName: 'localhost',
      profile: { startDelay: { kind: 'lognormal', medianMs: 400, sigma: 0.4 } },
    });
    fleet.toolVersion = options.toolVersion;
    await fleet.start();
    await waitUntil(
      'the hollow nodes to be Ready',
      () => fleet!.gauge('ready') >= options.nodes,
      options.timeoutMs,
      options.signal,
      () => progress(`nodes Ready ${fleet!.gauge('ready')}/${options.nodes}`),
    );
    await waitUntil(
      'the nodes to be schedulable',
      () =>
        cluster!.store
          .list('nodes')
          .items.every((n) => !((n.spec as { taints?: unknown[] }).taints ?? []).length),
      30_000,
      options.signal,
    );

    namespace = `hollowfleet-quickstart-${randomBytes(3).toString('hex')}`;
    await core.createNamespace({
      body: { metadata: { name: namespace, labels: { 'hollowfleet.io/run': 'quick-start' } } },
    });
    const tracker = new PodStartupTracker();
    const podWatch = new ListWatch(kc, {
      path: `/api/v1/namespaces/${namespace}/pods`,
      now: monotonicNow,
      onEvent: (type, obj, receivedAt) =>
        tracker.observe(type, obj as Parameters<PodStartupTracker['observe']>[1], receivedAt),
    });
    await podWatch.start();
    stopWatch = () => podWatch.stop();
    const metricsBefore = await scrapeMetrics(kc).catch(() => undefined);
    progress(`creating ${pods} pods`);
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'latency' },
        spec: {
          replicas: pods,
          selector: { matchLabels: { group: 'latency' } },
          template: {
            metadata: { labels: { group: 'latency' } },
            spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }] },
          },
        },
      },
    });
    await waitUntil(
      `${pods} pods to be Running`,
      () => tracker.running() >= pods,
      options.timeoutMs,
      options.signal,
      () =>
        progress(
          `pods created ${tracker.size}/${pods}  Running ${tracker.running()}/${pods}  nodes Ready ${fleet!.gauge('ready')}/${options.nodes}`,
        ),
    );
    progress('gathering measurements');
    const metricsAfter = await scrapeMetrics(kc).catch(() => undefined);
    stopWatch();
    stopWatch = undefined;

    const transitions = podStartupTransitions(tracker);
    summary.measurements.podStartup = {
      methodology: 'watch-receive-time (ClusterLoader2 HEAD method)',
      transitions,
    };
    const startup = transitions.pod_startup;
    for (const [p, key] of [
      [50, 'Perc50'],
      [90, 'Perc90'],
      [99, 'Perc99'],
    ] as const) {
      summary.verdicts.push({
        name: `pod startup p${p}`,
        method: 'PodStartupLatency (watch receive time)',
        observed: startup[key],
        threshold: 5000,
        unit: 'ms',
        samples: startup.count,
        pass: !(startup[key] > 5000),
      });
    }
    if (metricsBefore && metricsAfter) {
      const calls = apiResponsiveness(metricsBefore, metricsAfter);
      summary.measurements.apiResponsiveness = {
        methodology: 'apiserver /metrics histogram delta (simple)',
        calls,
      };
      for (const c of calls) {
        summary.verdicts.push({
          name: `API ${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''} (${c.scope}) p99`,
          method: 'APIResponsivenessPrometheusSimple (/metrics delta)',
          observed: c.p99Ms,
          threshold: c.thresholdMs,
          unit: 'ms',
          samples: c.count,
          pass: c.pass,
        });
      }
    } else {
      summary.measurements.apiResponsiveness = {
        skipped: 'the API server /metrics endpoint could not be scraped',
      };
    }
    await fleet.flush();
    const metrics: Partial<Record<EdgeMetric, HistogramSummary>> = {};
    for (const m of [
      'registrationToReadyMs',
      'podDeliveryMs',
      'downstreamMs',
      'podStartMs',
      'podStatusRoundTripMs',
      'ackLatencyMs',
    ] as const)
      metrics[m] = fleet.histogram(m);
    summary.measurements.edge = {
      methodology: 'hollow-node HDR histograms merged across workers',
      metrics,
      counters: {
        registrations: fleet.counter('registrations'),
        rejected: fleet.counter('rejected'),
        acksSent: fleet.counter('acksSent'),
        requestTimeouts: fleet.counter('requestTimeouts'),
      },
    };
    summary.status = summary.verdicts.every((v) => v.pass) ? 'passed' : 'failed';
    if (summary.status === 'failed')
      summary.reason = `SLO breached: ${summary.verdicts
        .filter((v) => !v.pass)
        .map((v) => v.name)
        .join(', ')}`;
  } catch (err) {
    summary.status = 'incomplete';
    summary.reason = err instanceof Error ? err.message : String(err);
    if (!(err instanceof HollowfleetError)) throw err;
  } finally {
    stopWatch?.();
    if (namespace && core) {
      progress(`deleting namespace ${namespace}`);
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
      await waitUntil(
        'the namespace to be deleted',
        () => !cluster?.store.tryGet('namespaces', undefined, namespace!),
        60_000,
      ).catch(() => {
        summary.reason = `${summary.reason ? `${summary.reason}; ` : ''}namespace ${namespace} was not deleted within 60 s`;
      });
    }
    await fleet?.stop();
    await cluster?.close();
    summary.finishedAt = new Date().toISOString();
  }
  const reportDir = await writeReport(options.reportsDir, summary);
  return { summary, reportDir };
}

export async function writeReport(reportsDir: string, summary: DemoSummary): Promise<string> {
  const stamp = summary.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const dir = path.join(reportsDir, `${stamp}-${summary.scenario}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(path.join(dir, 'summary.md'), summaryMarkdown(summary));
  const latest = path.join(reportsDir, 'latest');
  await rm(latest, { force: true, recursive: false }).catch(() => undefined);
  await symlink(path.basename(dir), latest).catch(() => undefined);
  return dir;
}

export function summaryMarkdown(s: DemoSummary): string {
  const icon = (pass: boolean) => (pass ? '✓' : '✗');
  const lines = [
    `# hollowfleet ${s.scenario}: ${s.status.toUpperCase()}`,
    '',
    `Target: **${s.target.kind}** (${s.target.kubernetesVersion}) · ${s.nodes} hollow nodes · ${s.pods} pods · ${s.startedAt} → ${s.finishedAt}`,
    '',
  ];
  if (s.reason) lines.push(`> ${s.reason}`, '');
  lines.push('| | SLO | observed | threshold | samples | method |', '|---|---|---:|---:|---:|---|');
  for (const v of s.verdicts)
    lines.push(
      `| ${icon(v.pass)} | ${v.name} | ${v.observed.toFixed(1)} ms | ${v.threshold} ms | ${v.samples} | ${v.method} |`,
    );
  if (s.measurements.apiResponsiveness && 'skipped' in s.measurements.apiResponsiveness) {
    lines.push(
      `| – | API responsiveness | skipped | | | ${s.measurements.apiResponsiveness.skipped} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
