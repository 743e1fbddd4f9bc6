/**
 * The worker side of the fleet: one piscina task that runs a contiguous range of hollow nodes on one
 * timer wheel and one TLS context, until the main thread says stop.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { SecureContext } from 'node:tls';
import { toErrorPayload } from '../common/errors.js';
import type { CredentialSource } from '../edge/faults.js';
import { HollowNode, type ConnectGate } from '../edge/hollow-node.js';
import { NodeTemplate } from '../edge/node-template.js';
import { resolveNodeProfile } from '../edge/profile.js';
import { TimerWheel } from '../edge/timer-wheel.js';
import { CertStore } from '../protocol/cert-store.js';
import type { TimerHandle } from '../protocol/scheduler.js';
import { createClientContext } from '../protocol/tls.js';
import { nodeName } from './naming.js';
import {
  FLEET_PROTOCOL_VERSION,
  type FaultCommand,
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

  // With a token the worker can bootstrap: per-node identities, and renewals on expiry.
  const certStore =
    start.certServerUrl && start.token
      ? new CertStore({
          certServerUrl: start.certServerUrl,
          token: start.token,
          strategy: start.certStrategy,
          dir: start.certDir,
          tlsServerName: start.tlsServerName,
          insecureSkipVerify: start.insecureSkipVerify,
          sharedName: `${start.naming.prefix}-${start.naming.shard.index}`,
        })
      : undefined;
  const tlsFor = (context: SecureContext) => ({
    secureContext: context,
    servername: start.tlsServerName,
    insecureSkipVerify: start.insecureSkipVerify,
  });
  const credentialsFor = (name: string, renewAt?: number): CredentialSource | undefined =>
    certStore && {
      renewAt,
      async renew() {
        const identity = await certStore.renew(name);
        return {
          tls: tlsFor(createClientContext(identity)),
          renewAt: certStore.renewAt(identity),
        };
      },
    };
  // One SecureContext per worker for the shared identity, built once (wslimit.md), and one set of
  // connect options around it for all the nodes.
  const sharedContext: SecureContext | undefined = start.identity
    ? createClientContext(start.identity)
    : undefined;
  const sharedTls = sharedContext && tlsFor(sharedContext);

  const byIndex = new Map<number, HollowNode>();
  const sessions = new Map<string, Buffer>();
  let stopping = false;
  const launch = async (index: number) => {
    const name = nodeName(start.naming, index, start.shardNodes);
    let context = sharedContext;
    let renewAt = start.identity?.renewAt;
    if (!context && certStore) {
      try {
        const identity = await certStore.getOrBootstrap(name);
        context = createClientContext(identity);
        renewAt = certStore.renewAt(identity);
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
      tls: context === sharedContext && sharedTls ? sharedTls : tlsFor(context),
      credentials: credentialsFor(name, renewAt),
      template,
      scheduler: wheel,
      sink,
      gate,
      sessions,
      seed: start.seed ^ index,
    });
    byIndex.set(index, node);
    node.start();
  };

  // Faults by id: the nodes each one reached, and applications still waiting in its spread window.
  const faults = new Map<string, { nodes: Set<HollowNode>; pending: TimerHandle[] }>();
  const onFault = (msg: FaultCommand) => {
    let reached = 0;
    if (msg.action === 'apply') {
      const entry = faults.get(msg.id) ?? { nodes: new Set<HollowNode>(), pending: [] };
      for (const target of msg.targets) {
        const node = byIndex.get(target.index);
        if (!node) continue;
        reached++;
        entry.nodes.add(node);
        if (target.offsetMs <= 0) node.applyFault(msg.id, msg.fault);
        else
          entry.pending.push(
            wheel.schedule(target.offsetMs, () => node.applyFault(msg.id, msg.fault)),
          );
      }
      // One-shot faults need no memory once applied; lasting ones stay until cleared.
      const lasting =
        msg.fault.kind === 'degrade' || msg.fault.kind === 'halfOpen' || msg.fault.kind === 'flap';
      if (lasting || entry.pending.length > 0) faults.set(msg.id, entry);
    } else {
      const entry = faults.get(msg.id);
      faults.delete(msg.id);
      for (const t of entry?.pending ?? []) t.cancel();
      for (const node of entry?.nodes ?? []) node.clearFault(msg.id);
      reached = entry?.nodes.size ?? 0;
    }
    post({
      type: 'faultAck',
      version: FLEET_PROTOCOL_VERSION,
      workerId: start.workerId,
      id: msg.id,
      action: msg.action,
      nodes: reached,
    });
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
      if (msg.type === 'fault' && msg.version === FLEET_PROTOCOL_VERSION) onFault(msg);
    });
    port.on('close', () => resolve());
  });
  stopping = true;
  ramp.stop();
  clearInterval(statsTimer);
  await Promise.all([...byIndex.values()].map((n) => n.stop()));
  wheel.stop();
  report(true);
  loop.disable();
  port.close();
  return { workerId: start.workerId, nodes: byIndex.size };
}
