/**
 * The worker side of the fleet: one piscina task that runs a contiguous range of hollow nodes on one
 * timer wheel and one TLS context, until the main thread says stop.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { SecureContext } from 'node:tls';
import { toErrorPayload } from '../common/errors.js';
import { HollowNode, type ConnectGate } from '../edge/hollow-node.js';
import { NodeTemplate } from '../edge/node-template.js';
import { resolveNodeProfile } from '../edge/profile.js';
import { TimerWheel } from '../edge/timer-wheel.js';
import { CertStore } from '../protocol/cert-store.js';
import { createClientContext } from '../protocol/tls.js';
import { nodeName } from './naming.js';
import {
  FLEET_PROTOCOL_VERSION,
  type MainToWorker,
  type WorkerResult,
  type WorkerStart,
  type WorkerToMain,
} from './protocol.js';
import { RampController } from './ramp.js';
import { WorkerSink } from './worker-sink.js';

export default async function runWorker(start: WorkerStart): Promise<WorkerResult> {
  if (start.version !== FLEET_PROTOCOL_VERSION) {
    throw new Error(
      `fleet worker protocol ${start.version} does not match this worker's ${FLEET_PROTOCOL_VERSION}`,
    );
  }
  const port = start.port;
  const post = (msg: WorkerToMain) => port.postMessage(msg);
  const sink = new WorkerSink((node, code, message) =>
    post({
      type: 'notice',
      version: FLEET_PROTOCOL_VERSION,
      workerId: start.workerId,
      node,
      error: { code, message },
    }),
  );
  const wheel = new TimerWheel({ tickMs: 100 });
  const ramp = new RampController(start.rampBuffer);
  const gate: ConnectGate = {
    async acquire() {
      await ramp.waitForConnectSlot();
      return ramp.acquireHandshake();
    },
  };
  const template = new NodeTemplate(resolveNodeProfile(start.profile));
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();

  const certStore =
    start.certStrategy === 'per-node' && start.certServerUrl && start.token
      ? new CertStore({
          certServerUrl: start.certServerUrl,
          token: start.token,
          strategy: 'per-node',
          dir: start.certDir,
          tlsServerName: start.tlsServerName,
          insecureSkipVerify: start.insecureSkipVerify,
        })
      : undefined;
  // One SecureContext per worker for the shared identity, built once (wslimit.md).
  const sharedContext: SecureContext | undefined = start.identity
    ? createClientContext(start.identity)
    : undefined;

  const nodes: HollowNode[] = [];
  const sessions = new Map<string, Buffer>();
  let stopping = false;
  const launch = async (index: number) => {
    const name = nodeName(start.naming, index, start.shardNodes);
    let context = sharedContext;
    if (!context && certStore) {
      try {
        context = createClientContext(await certStore.getOrBootstrap(name));
      } catch (err) {
        const e = toErrorPayload(err);
        sink.error(name, e.code, e.message);
        return;
      }
    }
    if (!context || stopping) return;
    const node = new HollowNode({
      name,
      index: start.globalOffset + index,
      targets: start.targets,
      tls: {
        secureContext: context,
        servername: start.tlsServerName,
        insecureSkipVerify: start.insecureSkipVerify,
      },
      template,
      scheduler: wheel,
      sink,
      gate,
      sessions,
      seed: start.seed ^ index,
    });
    nodes.push(node);
    node.start();
  };
  for (let i = start.range.start; i < start.range.end; i++) void launch(i);

  const report = (final: boolean) => {
    post({
      type: 'stats',
      version: FLEET_PROTOCOL_VERSION,
      workerId: start.workerId,
      gauges: Object.fromEntries(sink.gauges),
      counters: Object.fromEntries(sink.counters),
      messages: Object.fromEntries(sink.messages),
      errorsByCode: Object.fromEntries(sink.errorsByCode),
      histograms: sink.drainHistograms(),
      eventLoopP99Ms: loop.percentile(99) / 1e6,
      heapUsedBytes: process.memoryUsage().heapUsed,
      final,
    });
    loop.reset();
  };
  const statsTimer = setInterval(() => report(false), start.statsIntervalMs);

  await new Promise<void>((resolve) => {
    port.on('message', (msg: MainToWorker) => {
      if (msg.type === 'gc') (globalThis as { gc?: () => void }).gc?.();
      if (msg.type === 'flush' || msg.type === 'gc') report(false);
      if (msg.type === 'stop') resolve();
    });
    port.on('close', () => resolve());
  });
  stopping = true;
  ramp.stop();
  clearInterval(statsTimer);
  await Promise.all(nodes.map((n) => n.stop()));
  wheel.stop();
  report(true);
  loop.disable();
  port.close();
  return { workerId: start.workerId, nodes: nodes.length };
}
