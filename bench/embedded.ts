/**
 * The embedded control plane under a hollow fleet: the control plane runs in its own process
 * (`hollowfleet cluster`), N hollow nodes run here on one thread. Reports the ramp (nodes Ready per
 * second), steady-state memory and CPU per hollow node, event-loop delay, the control plane's RSS,
 * and how fast the embedded scheduler + hub bind and deliver pods (pods Running per second).
 *
 * Run: npm run build && node --expose-gc --import tsx bench/embedded.ts --nodes 10000 --pods 5000
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { spawnControlPlane } from './control-plane.js';
import { CountingSink } from '../src/edge/events.js';
import { HollowNode, type ConnectGate } from '../src/edge/hollow-node.js';
import { NodeTemplate } from '../src/edge/node-template.js';
import { resolveNodeProfile } from '../src/edge/profile.js';
import { TimerWheel } from '../src/edge/timer-wheel.js';
import { bootstrapIdentity } from '../src/protocol/bootstrap.js';
import { createClientContext } from '../src/protocol/tls.js';

export interface EmbeddedBenchResult {
  nodes: number;
  readyNodes: number;
  rampSeconds: number;
  readyPerSecond: number;
  rssPerNodeBytes: number;
  heapPerNodeBytes: number;
  cpuPerNodeUs: number;
  eventLoopP99Ms: number;
  controlPlaneRssBytes: number;
  controlPlaneRssPerNodeBytes: number;
  pods: number;
  podsRunning: number;
  podsRunningPerSecond: number;
  acksSent: number;
  rejected: number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

function startControlPlane(): ReturnType<typeof spawnControlPlane> {
  return spawnControlPlane(['--scheduler-qps', '5000']);
}

/** At most `limit` TLS handshakes in flight. */
function handshakeGate(limit: number): ConnectGate {
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  return {
    async acquire() {
      if (inFlight >= limit) await new Promise<void>((r) => waiting.push(r));
      inFlight++;
      return {
        release() {
          inFlight--;
          waiting.shift()?.();
        },
      };
    },
  };
}

export async function run(opts: {
  json: boolean;
  nodes: number;
  pods: number;
  steadySeconds: number;
}): Promise<EmbeddedBenchResult> {
  const log = (s: string) => opts.json || process.stderr.write(`${s}\n`);
  const { child, info } = await startControlPlane();
  try {
    const token = readFileSync(info.tokenFile, 'utf8').trim();
    const identity = await bootstrapIdentity({
      certServerUrl: info.certServer,
      token,
      nodeName: 'bench',
    });
    const context = createClientContext(identity);
    // Dial the hub directly: an in-process load balancer would double the control plane's sockets,
    // and the per-process descriptor limit (20,000 here) is the binding one (wslimit.md).
    const [host, port] = info.hubAddresses[0]!.split(':') as [string, string];
    const template = new NodeTemplate(resolveNodeProfile({}));
    const wheel = new TimerWheel({ tickMs: 100 });
    const sink = new CountingSink();
    const gate = handshakeGate(64);
    gc();
    const base = process.memoryUsage();
    const started = Date.now();
    const nodes: HollowNode[] = [];
    for (let i = 0; i < opts.nodes; i++) {
      const node = new HollowNode({
        name: `bench-0-${String(i).padStart(5, '0')}`,
        index: i,
        targets: [{ host, port: Number(port) }],
        tls: { secureContext: context, servername: 'localhost' },
        template,
        scheduler: wheel,
        sink,
        gate,
      });
      nodes.push(node);
      node.start();
    }
    await waitUntil(() => sink.gauge('ready') >= opts.nodes, 20 * 60_000);
    const rampSeconds = (Date.now() - started) / 1000;
    const readyNodes = sink.gauge('ready');
    log(`ramp: ${readyNodes}/${opts.nodes} nodes ready in ${rampSeconds.toFixed(1)} s`);

    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, opts.steadySeconds * 1000));
    const cpu = process.cpuUsage(cpu0);
    const elapsed = (Date.now() - t0) / 1000;
    loop.disable();
    gc();
    const steady = process.memoryUsage();
    const controlPlaneRssBytes = rssOf(child.pid!);
    log(
      `steady: ${((steady.rss - base.rss) / readyNodes / 1024).toFixed(1)} KiB RSS per node, event-loop p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`,
    );

    let podsRunning = 0;
    let podsRunningPerSecond = 0;
    if (opts.pods > 0) {
      const kc = new KubeConfig();
      kc.loadFromFile(info.kubeconfig);
      const apps = kc.makeApiClient(AppsV1Api);
      const before = sink.gauge('podsRunning');
      const t = Date.now();
      await apps.createNamespacedDeployment({
        namespace: 'default',
        body: {
          metadata: { name: 'bench' },
          spec: {
            replicas: opts.pods,
            selector: { matchLabels: { app: 'bench' } },
            template: {
              metadata: { labels: { app: 'bench' } },
              spec: { containers: [{ name: 'c', image: 'pause' }] },
            },
          },
        },
      });
      await waitUntil(() => sink.gauge('podsRunning') - before >= opts.pods, 10 * 60_000);
      podsRunning = sink.gauge('podsRunning') - before;
      podsRunningPerSecond = podsRunning / ((Date.now() - t) / 1000);
      log(
        `pods: ${podsRunning}/${opts.pods} Running at ${podsRunningPerSecond.toFixed(0)} pods/s (create → bind → deliver → status)`,
      );
    }
    await Promise.all(nodes.map((n) => n.stop()));
    wheel.stop();
    return {
      nodes: opts.nodes,
      readyNodes,
      rampSeconds,
      readyPerSecond: readyNodes / rampSeconds,
      rssPerNodeBytes: Math.round((steady.rss - base.rss) / readyNodes),
      heapPerNodeBytes: Math.round((steady.heapUsed - base.heapUsed) / readyNodes),
      cpuPerNodeUs: Math.round((cpu.user + cpu.system) / elapsed / readyNodes),
      eventLoopP99Ms: loop.percentile(99) / 1e6,
      controlPlaneRssBytes,
      controlPlaneRssPerNodeBytes: Math.round(controlPlaneRssBytes / readyNodes),
      pods: opts.pods,
      podsRunning,
      podsRunningPerSecond: Math.round(podsRunningPerSecond),
      acksSent: sink.counter('acksSent'),
      rejected: sink.counter('rejected'),
    };
  } finally {
    child.kill('SIGTERM');
  }
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const json = process.argv.includes('--json');
  const result = await run({
    json,
    nodes: flag('nodes', 1000),
    pods: flag('pods', 1000),
    steadySeconds: flag('steady', 30),
  });
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stderr.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}
