import type { ClientRequest, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { HollowfleetError, toErrorPayload } from '../common/errors.js';
import { createRng, hashString, type Rng } from '../common/random.js';
import { decodeMessage, encodeMessage, FrameDecodeError } from '../protocol/codec.js';
import { DisconnectedError, PendingRequests, type PendingResult } from '../protocol/correlation.js';
import { classifyNetworkError } from '../protocol/errors.js';
import {
  asObjectResponse,
  asStatusError,
  buildAck,
  buildKeepalive,
  buildRequest,
  contentAsObject,
  isResponse,
  needsAck,
  newMessageId,
  type BeehiveMessage,
  type OperationName,
} from '../protocol/message.js';
import { buildResourcePath, parseResourcePath } from '../protocol/path.js';
import type { Scheduler, TimerHandle } from '../protocol/scheduler.js';
import { connectOptionsFor, type ClientTlsOptions } from '../protocol/tls.js';
import type { EdgeEventSink } from './events.js';
import { LinkImpairment, sampleDelay, type CredentialSource, type FaultSpec } from './faults.js';
import type { NodeTemplate } from './node-template.js';
import { hostIpFor, isoMicros, isoSeconds, podIpFor } from './node-template.js';
import { choosePodFate, sampleStartDelay, type PodFate } from './profile.js';
import { jittered } from './timer-wheel.js';

export interface CloudCoreAddress {
  host: string;
  port: number;
}

/** Paces connects across a fleet (global connect rate and handshake cap). */
export interface ConnectGate {
  acquire(): Promise<{ release(): void }>;
}

export interface HollowNodeOptions {
  name: string;
  /** Global index of the node in its fleet: derives its host IP and pod IPs. */
  index: number;
  /** CloudCore WebSocket addresses; reconnects walk the list. */
  targets: CloudCoreAddress[];
  tls: ClientTlsOptions;
  template: NodeTemplate;
  scheduler: Scheduler;
  sink: EdgeEventSink;
  gate?: ConnectGate;
  seed?: number;
  /**
   * TLS session tickets by CloudCore address, shared by the nodes of a worker: one ticket per target
   * instead of one per node keeps reconnect storms cheap without a buffer per node.
   */
  sessions?: Map<string, Buffer>;
  /** Fresh credentials on certificate or token expiry; without it the node cannot re-bootstrap. */
  credentials?: CredentialSource;
}

export type NodeState = 'idle' | 'connecting' | 'registering' | 'ready' | 'backoff' | 'stopped';

const enum PodPhase {
  Starting,
  Patching,
  Running,
  Held,
  Deleting,
}

/** What a hollow node remembers of a pod: ids, state and times, never the Pod object. */
interface PodRecord {
  namespace: string;
  name: string;
  phase: PodPhase;
  fate: PodFate;
  slot: number;
  receivedAt: number;
  containers: string[];
  images: string[];
  initContainers: string[];
  hostNetwork: boolean;
  timer: TimerHandle | undefined;
  deleteWanted: boolean;
  running: boolean;
  /** When a disconnect cut off or held back this pod's status (0: not waiting). */
  interruptedAt: number;
}

interface LeaseObject {
  metadata: { resourceVersion?: string; [k: string]: unknown };
  spec: Record<string, unknown>;
  [k: string]: unknown;
}

const SHORT_SESSION_MS = 10_000;

const TIMER_NAMES = ['keepalive', 'lease', 'status', 'reconnect', 'register'] as const;
type TimerName = (typeof TIMER_NAMES)[number];

const CONNECTION = Symbol('hollowfleet.connection');

/** One connection attempt, kept on its socket for the listeners all sockets share. */
interface Connection {
  readonly node: HollowNode;
  readonly target: CloudCoreAddress;
  /** The connect slot from the fleet's gate, held until the socket opens or fails. */
  permit: { release(): void } | undefined;
}

type OwnedSocket = WebSocket & { [CONNECTION]: Connection };

function connectionOf(ws: WebSocket): Connection {
  return (ws as OwnedSocket)[CONNECTION];
}

function releasePermit(connection: Connection): void {
  const permit = connection.permit;
  connection.permit = undefined;
  permit?.release();
}

/**
 * One simulated EdgeCore (protocol.md §4.2): a few kilobytes of state driven by a shared scheduler.
 * It registers, keeps its lease and status, acks every push at once, runs pods by reporting them
 * Running and finalizes them on delete, and reconnects with backoff.
 */
export class HollowNode {
  readonly name: string;
  state: NodeState = 'idle';
  uid: string | undefined;
  private readonly opts: HollowNodeOptions;
  private readonly rng: Rng;
  private readonly hostIp: string;
  private ws: WebSocket | undefined;
  private readonly sessions: Map<string, Buffer>;
  private targetIndex: number;
  private attempt = 0;
  private connectStartedAt = 0;
  private disconnectedAt = 0;
  private readySince = 0;
  private shortSessions = 0;
  private duplicateReported = false;
  private readonly pods = new Map<string, PodRecord>();
  /** UIDs whose delete was already sent, so resync updates never send it twice. */
  private deletesSent: Set<string> | undefined;
  private podSlot = 0;
  /** The lease as CloudCore last returned it, kept as its resourceVersion only. */
  private leaseRv: string | undefined;
  private leaseMissing = true;
  private readyTransition: string;
  // Every key present from the start and never deleted: the object keeps one fast shape.
  private readonly timers: Record<TimerName, TimerHandle | undefined> = {
    keepalive: undefined,
    lease: undefined,
    status: undefined,
    reconnect: undefined,
    register: undefined,
  };
  private pending: PendingRequests;
  private repairInFlight = false;
  /** Kinds of unsupported pushes already reported (created on the first one). */
  private reportedKinds: Set<string> | undefined;
  // ---- faults (src/edge/faults.ts): all unset on the healthy path ----
  private link: LinkImpairment | undefined;
  private linkTimer: TimerHandle | undefined;
  private flap: { id: string; remaining: number; timer: TimerHandle | undefined } | undefined;
  private faultRng: Rng | undefined;
  /** Overrides the backoff of the next reconnect (an injected outage or a certificate rotation). */
  private nextReconnectDelayMs: number | undefined;
  private nextReconnectIsOutage = false;
  /** When the injected outage ended and the node was free to come back (0: none pending). */
  private outageEndedAt = 0;
  private lastAckedId = '';
  private renewing = false;
  private renewalStartedAt = 0;
  private renewalTimer: TimerHandle | undefined;

  constructor(options: HollowNodeOptions) {
    this.opts = options;
    this.name = options.name;
    this.rng = createRng(options.seed ?? hashString(options.name));
    this.hostIp = hostIpFor(options.index);
    this.targetIndex = options.index % Math.max(1, options.targets.length);
    this.readyTransition = isoSeconds(options.scheduler.now());
    this.pending = this.newPending();
    this.sessions = options.sessions ?? new Map();
  }

  private get intervals() {
    return this.opts.template.profile.intervals;
  }

  private newPending(): PendingRequests {
    return new PendingRequests({
      scheduler: this.opts.scheduler,
      timeoutMs: this.intervals.requestTimeoutMs,
      maxAttempts: this.opts.template.profile.requestAttempts,
      send: (msg) => this.send(msg),
      renew: (msg) => ({
        ...msg,
        header: { ...msg.header, msg_id: newMessageId(), timestamp: this.opts.scheduler.now() },
      }),
    });
  }

  /** Starts connecting; returns at once. */
  start(): void {
    if (this.state !== 'idle') return;
    this.scheduleRenewal(this.opts.credentials?.renewAt);
    void this.connect();
  }

  /** Closes the connection cleanly (close frame) and cancels every timer. */
  stop(): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve();
    const wasState = this.state;
    this.state = 'stopped';
    this.cancelTimers();
    this.cancelFaults();
    for (const pod of this.pods.values()) pod.timer?.cancel();
    this.pending.rejectAll((req) => new DisconnectedError(req.route.resource ?? ''));
    const ws = this.ws;
    this.ws = undefined;
    if (wasState === 'registering' || wasState === 'ready') this.opts.sink.adjust('connected', -1);
    this.leaveState(wasState);
    this.dropPodGauges();
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => resolve();
      ws.once('close', done);
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'hollowfleet stopping');
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2_000);
      t.unref();
    });
  }

  /** Abruptly drops the connection as a failed link would (no close frame); the node reconnects. */
  dropConnection(): void {
    this.ws?.terminate();
  }

  // ---- faults ----------------------------------------------------------------------------------

  /** Applies a fault to this node (src/edge/faults.ts); `id` names it for `clearFault`. */
  applyFault(id: string, fault: FaultSpec): void {
    if (this.state === 'stopped') return;
    this.opts.sink.count('faultsApplied');
    const rng = (this.faultRng ??= createRng(
      (this.opts.seed ?? hashString(this.name)) ^ 0x5bd1e995,
    ));
    switch (fault.kind) {
      case 'disconnect':
        this.injectDisconnect(sampleDelay(fault.reconnectDelay, rng));
        return;
      case 'degrade':
      case 'halfOpen': {
        this.endLink();
        this.link = new LinkImpairment(id, fault, Math.floor(rng() * 2 ** 32));
        if (fault.durationMs > 0)
          this.linkTimer = this.opts.scheduler.schedule(fault.durationMs, () => this.endLink());
        return;
      }
      case 'flap': {
        this.flap?.timer?.cancel();
        const flap = { id, remaining: fault.count, timer: undefined as TimerHandle | undefined };
        this.flap = flap;
        const step = () => {
          if (this.flap !== flap || this.state === 'stopped') return;
          flap.remaining--;
          this.injectDisconnect(sampleDelay(fault.downDelay, rng));
          if (flap.remaining > 0) flap.timer = this.opts.scheduler.schedule(fault.periodMs, step);
          else this.flap = undefined;
        };
        step();
        return;
      }
      case 'expireCredentials':
        void this.renewCredentials();
        return;
    }
  }

  /** Ends the fault `id` early: a degraded or half-open link heals, a flap stops flapping. */
  clearFault(id: string): void {
    if (this.link?.id === id) this.endLink();
    if (this.flap?.id === id) {
      this.flap.timer?.cancel();
      this.flap = undefined;
    }
  }

  /** The fault currently shaping this node's link, if any. */
  get activeLinkFault(): string | undefined {
    return this.link?.id;
  }

  private injectDisconnect(awayMs: number): void {
    // A link that heals and breaks at once: a half-open impairment ends without its own close.
    if (this.link?.halfOpen) {
      this.link = undefined;
      this.linkTimer?.cancel();
    }
    if (this.restartConnection(awayMs, true)) this.opts.sink.count('faultDisconnects');
  }

  /**
   * Drops the session (or the pending reconnect) and comes back after `delayMs`. False when there
   * is nothing to drop: the node is idle or waiting for a connect slot, and will connect anyway.
   */
  private restartConnection(delayMs: number, outage: boolean): boolean {
    const ws = this.ws;
    if (this.state !== 'backoff' && !ws) return false;
    this.nextReconnectDelayMs = delayMs;
    this.nextReconnectIsOutage = outage;
    if (this.state === 'backoff') {
      this.timers.reconnect?.cancel();
      this.scheduleReconnect();
    } else if (ws!.readyState === WebSocket.CLOSED) {
      this.ws = undefined;
      this.onClose();
    } else ws!.terminate();
    return true;
  }

  private endLink(): void {
    const link = this.link;
    if (!link) return;
    this.link = undefined;
    this.linkTimer?.cancel();
    this.linkTimer = undefined;
    if (link.spec.kind !== 'halfOpen') return;
    const ws = this.ws;
    if (link.closedUnderneath) {
      this.outageEndedAt = this.opts.scheduler.now();
      this.ws = undefined;
      this.onClose();
    } else if (link.spec.then === 'close' && ws) {
      this.outageEndedAt = this.opts.scheduler.now();
      ws.terminate();
    }
  }

  private cancelFaults(): void {
    this.link = undefined;
    this.linkTimer?.cancel();
    this.flap?.timer?.cancel();
    this.flap = undefined;
    this.renewalTimer?.cancel();
    this.outageEndedAt = 0;
  }

  /** Re-reads the state after an await (the compiler keeps the narrowing from before it). */
  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  private scheduleRenewal(at: number | undefined): void {
    this.renewalTimer?.cancel();
    this.renewalTimer = undefined;
    if (at === undefined || this.state === 'stopped') return;
    const delay = Math.max(0, at - this.opts.scheduler.now());
    this.renewalTimer = this.opts.scheduler.schedule(delay, () => void this.renewCredentials());
  }

  /** Certificate or token expiry: bootstrap again, then reconnect on the new certificate. */
  private async renewCredentials(): Promise<void> {
    const source = this.opts.credentials;
    if (!source) {
      this.opts.sink.count('certRenewalFailures');
      this.opts.sink.error(
        this.name,
        'HF_NO_CREDENTIAL_SOURCE',
        `node ${this.name} was told its credentials expired but has no way to bootstrap again: give the fleet --cert-server and a token`,
      );
      return;
    }
    if (this.renewing || this.state === 'stopped') return;
    this.renewing = true;
    const startedAt = this.opts.scheduler.now();
    try {
      const fresh = await source.renew();
      if (this.isStopped()) return;
      this.opts.tls = fresh.tls;
      this.opts.sink.count('certRenewals');
      this.renewalStartedAt = startedAt;
      this.scheduleRenewal(fresh.renewAt);
      // EdgeCore restarts its cloud connection on the rotated certificate.
      this.restartConnection(0, false);
    } catch (err) {
      if (this.isStopped()) return;
      const payload = toErrorPayload(err);
      this.opts.sink.count('certRenewalFailures');
      this.opts.sink.error(
        this.name,
        payload.code,
        `certificate renewal failed: ${payload.message}`,
      );
      // Keep the current certificate and try again later, as EdgeCore's rotation loop does.
      this.scheduleRenewal(this.opts.scheduler.now() + this.intervals.reconnectCapMs);
    } finally {
      this.renewing = false;
    }
  }

  get podCount(): number {
    return this.pods.size;
  }

  // ---- connection ----------------------------------------------------------------------------

  private async connect(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    const permit = this.opts.gate ? await this.opts.gate.acquire() : undefined;
    if (this.state !== 'connecting') {
      permit?.release();
      return;
    }
    const target = this.opts.targets[this.targetIndex % this.opts.targets.length]!;
    this.connectStartedAt = this.opts.scheduler.now();
    this.opts.sink.count('connectAttempts');
    const profile = this.opts.template.profile;
    const url = `wss://${formatHost(target.host)}:${target.port}/${profile.projectId}/${this.name}/events`;
    const ticketKey = `${target.host}:${target.port}`;
    const ws = new WebSocket(url, {
      ...connectOptionsFor(this.opts.tls),
      headers: { node_id: this.name, project_id: profile.projectId, ConnectionUse: 'msg' },
      perMessageDeflate: false,
      handshakeTimeout: 30_000,
      session: this.sessions.get(ticketKey),
      followRedirects: false,
    } as WebSocket.ClientOptions) as OwnedSocket;
    ws[CONNECTION] = { node: this, target, permit };
    this.ws = ws;
    // One ticket per target is enough for the whole worker; listening for tickets on every socket
    // would keep a serialized session per connection alive.
    if (!this.sessions.has(ticketKey)) ws.on('upgrade', HollowNode.onSocketUpgrade);
    ws.on('unexpected-response', HollowNode.onSocketUnexpectedResponse);
    ws.on('open', HollowNode.onSocketOpen);
    ws.on('message', HollowNode.onSocketMessage);
    ws.on('error', HollowNode.onSocketError);
    ws.on('close', HollowNode.onSocketClose);
  }

  // Every socket shares these listeners (`this` is the socket): a closure per listener and
  // connection would cost each hollow node several hundred bytes for as long as it is connected.

  private static onSocketUpgrade(this: WebSocket, res: IncomingMessage): void {
    const { node, target } = connectionOf(this);
    (res.socket as TLSSocket).once('session', (session: Buffer) =>
      node.sessions.set(`${target.host}:${target.port}`, session),
    );
  }

  private static onSocketUnexpectedResponse(
    this: WebSocket,
    _req: ClientRequest,
    res: IncomingMessage,
  ): void {
    const { node, target } = connectionOf(this);
    node.opts.sink.error(
      node.name,
      'HF_WS_UPGRADE',
      `CloudCore at ${target.host}:${target.port} answered the WebSocket upgrade with HTTP ${res.statusCode}`,
    );
    this.terminate();
  }

  private static onSocketOpen(this: WebSocket): void {
    const connection = connectionOf(this);
    releasePermit(connection);
    if (connection.node.ws === this) connection.node.onOpen();
  }

  private static onSocketMessage(
    this: WebSocket,
    data: WebSocket.RawData,
    isBinary: boolean,
  ): void {
    const node = connectionOf(this).node;
    if (node.ws === this) node.onFrame(data as Buffer | ArrayBuffer | Buffer[], isBinary);
  }

  private static onSocketError(this: WebSocket, err: Error): void {
    const connection = connectionOf(this);
    releasePermit(connection);
    const { node, target } = connection;
    const classified = classifyNetworkError(err, {
      host: target.host,
      port: target.port,
      what: 'CloudCore',
    });
    node.opts.sink.error(node.name, classified.code, classified.message);
  }

  private static onSocketClose(this: WebSocket): void {
    const connection = connectionOf(this);
    releasePermit(connection);
    const node = connection.node;
    if (node.ws !== this) return;
    if (node.link?.halfOpen) {
      // Nothing is read or written on a half-open link: the node only learns when it ends.
      node.link.closedUnderneath = true;
      node.opts.sink.count('halfOpenClosedByCloud');
      return;
    }
    node.ws = undefined;
    node.onClose();
  }

  private onOpen(): void {
    this.opts.sink.observe('connectMs', this.opts.scheduler.now() - this.connectStartedAt);
    this.opts.sink.adjust('connected', 1);
    this.state = 'registering';
    this.sendKeepalive();
    this.scheduleKeepalive();
    void this.register();
  }

  private onClose(): void {
    const now = this.opts.scheduler.now();
    const wasState = this.state;
    this.cancelTimers();
    this.pending.rejectAll((req) => new DisconnectedError(req.route.resource ?? ''));
    this.pending = this.newPending();
    for (const pod of this.pods.values()) {
      // A status patch cut off by the disconnect is sent again after the reconnect.
      if (pod.phase === PodPhase.Patching) pod.phase = PodPhase.Starting;
      if (pod.phase === PodPhase.Starting && !pod.timer && pod.interruptedAt === 0)
        pod.interruptedAt = now;
    }
    if (wasState === 'stopped') return;
    if (wasState === 'registering' || wasState === 'ready') this.opts.sink.adjust('connected', -1);
    this.leaveState(wasState);
    this.opts.sink.count('disconnects');
    if (wasState === 'ready' && now - this.readySince < SHORT_SESSION_MS) this.noteShortSession();
    else if (wasState === 'ready') this.shortSessions = 0;
    this.disconnectedAt = now;
    this.scheduleReconnect();
  }

  private noteShortSession(): void {
    this.shortSessions++;
    // CloudCore closes the older of two sessions with the same node_id at once (protocol.md §2.6):
    // a node that keeps losing fresh sessions is most likely sharing its name with another edge.
    if (this.shortSessions >= 3 && !this.duplicateReported) {
      this.duplicateReported = true;
      this.opts.sink.error(
        this.name,
        'HF_DUPLICATE_NODE',
        `node ${this.name} lost ${this.shortSessions} sessions within ${SHORT_SESSION_MS / 1000} s of becoming ready: another edge node ` +
          'probably uses the same name (CloudCore keeps only the newest connection per node_id); give each fleet a distinct --prefix or --shard',
      );
    }
  }

  private leaveState(state: NodeState): void {
    if (state === 'ready') {
      this.opts.sink.adjust('ready', -1);
      this.opts.sink.adjust('registered', -1);
    }
  }

  private dropPodGauges(): void {
    for (const pod of this.pods.values()) {
      if (pod.running) this.opts.sink.adjust('podsRunning', -1);
      this.opts.sink.adjust('podsTracked', -1);
    }
    this.pods.clear();
  }

  private scheduleReconnect(): void {
    if (this.state === 'stopped') return;
    this.state = 'backoff';
    const i = this.intervals;
    let delay: number;
    if (this.nextReconnectDelayMs !== undefined) {
      delay = this.nextReconnectDelayMs;
      if (this.nextReconnectIsOutage) this.outageEndedAt = this.opts.scheduler.now() + delay;
      this.nextReconnectDelayMs = undefined;
      this.nextReconnectIsOutage = false;
    } else {
      const ceiling = Math.min(
        i.reconnectCapMs,
        i.reconnectBaseMs * 2 ** Math.min(this.attempt, 16),
      );
      this.attempt++;
      delay = this.rng() * ceiling;
    }
    this.targetIndex = (this.targetIndex + 1) % Math.max(1, this.opts.targets.length);
    this.timers.reconnect = this.opts.scheduler.schedule(delay, () => {
      this.opts.sink.count('reconnects');
      void this.connect();
    });
  }

  private cancelTimers(): void {
    for (const key of TIMER_NAMES) {
      this.timers[key]?.cancel();
      this.timers[key] = undefined;
    }
  }

  private send(msg: BeehiveMessage): boolean {
    const ws = this.ws;
    if (!ws) return false;
    if (this.link !== undefined) return this.sendImpaired(ws, msg, this.link);
    if (ws.readyState !== WebSocket.OPEN) return false;
    ws.send(encodeMessage(msg));
    this.opts.sink.message('out', msg.route.operation ?? '');
    return true;
  }

  /** The send path under a link fault: the node believes it sent; the link decides. */
  private sendImpaired(ws: WebSocket, msg: BeehiveMessage, link: LinkImpairment): boolean {
    if (!link.halfOpen && ws.readyState !== WebSocket.OPEN) return false;
    const operation = msg.route.operation ?? '';
    this.opts.sink.message('out', operation);
    const delay = link.delayFor('up', this.opts.scheduler.now());
    if (delay < 0) {
      this.opts.sink.count('faultDroppedUp');
      // The node writes nothing but acks with operation "response" (protocol.md §3.6).
      if (operation === 'response') this.opts.sink.count('faultAcksLost');
      return true;
    }
    const data = encodeMessage(msg);
    if (delay === 0) {
      ws.send(data);
      return true;
    }
    this.opts.sink.count('faultDelayedUp');
    this.opts.sink.observe('faultDelayMs', delay);
    this.opts.scheduler.schedule(delay, () => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    });
    return true;
  }

  private request(
    operation: OperationName,
    resource: string,
    content: unknown,
  ): Promise<PendingResult> {
    const result = this.pending.request(
      buildRequest(operation, resource, content, () => this.opts.scheduler.now()),
    );
    result.then(
      (r) => this.opts.sink.observe('requestMs', r.latencyMs),
      (err: unknown) => {
        if ((err as HollowfleetError).code === 'HF_REQUEST_TIMEOUT')
          this.opts.sink.count('requestTimeouts');
      },
    );
    return result;
  }

  // ---- keepalive, registration, lease, status -----------------------------------------------

  private sendKeepalive(): void {
    this.send(buildKeepalive(() => this.opts.scheduler.now()));
  }

  private scheduleKeepalive(): void {
    const i = this.intervals;
    this.timers.keepalive = this.opts.scheduler.schedule(
      jittered(i.keepaliveMs, i.jitter, this.rng),
      () => {
        this.sendKeepalive();
        this.scheduleKeepalive();
      },
    );
  }

  private async register(): Promise<void> {
    const ws = this.ws;
    const now = this.opts.scheduler.now();
    const nowIso = isoSeconds(now);
    const node = this.opts.template.build(this.name, this.hostIp, nowIso);
    // CloudCore leaves an over-limit session open and silent: no answer in time means rejected.
    this.timers.register = this.opts.scheduler.schedule(
      this.intervals.registrationTimeoutMs,
      () => {
        if (this.ws !== ws || this.state !== 'registering') return;
        this.opts.sink.count('rejected');
        this.opts.sink.error(
          this.name,
          'HF_REGISTRATION_REJECTED',
          `CloudCore accepted the connection of ${this.name} but did not answer its registration within ` +
            `${this.intervals.registrationTimeoutMs} ms: it is probably at its nodeLimit (default 500 per replica)`,
        );
        ws?.terminate();
      },
    );
    try {
      const insert = await this.request(
        'insert',
        buildResourcePath(undefined, 'node', this.name),
        node,
      );
      if (this.ws !== ws) return;
      const resp = asObjectResponse<{ metadata?: { uid?: string } }>(insert.msg.content);
      const reason = resp?.Err?.ErrStatus?.reason;
      if (resp?.Err && reason !== 'AlreadyExists') {
        throw new HollowfleetError(
          'HF_REGISTRATION_FAILED',
          `CloudCore refused to register ${this.name}: ${resp.Err.ErrStatus.message ?? reason}`,
        );
      }
      this.uid = resp?.Err ? undefined : resp?.Object?.metadata?.uid;
      if (!this.uid) await this.queryUid();
      if (reason === 'AlreadyExists') {
        // The node may be NotReady or Unknown from an earlier life: report Ready explicitly.
        await this.request(
          'patch',
          buildResourcePath(undefined, 'nodepatch', this.name),
          this.readyPatch(),
        );
      }
      if (this.ws !== ws) return;
      this.opts.sink.count('registrations');
      await this.refreshLease();
      if (this.ws !== ws || this.state !== 'registering') return;
      this.timers.register?.cancel();
      this.becomeReady();
    } catch (err) {
      if (this.ws !== ws || err instanceof DisconnectedError) return;
      const payload = toErrorPayload(err);
      if (payload.code === 'HF_REQUEST_TIMEOUT') return; // the registration timer reports and reconnects
      this.opts.sink.error(this.name, payload.code, payload.message);
      ws?.terminate();
    }
  }

  private async queryUid(): Promise<void> {
    const query = await this.request(
      'query',
      buildResourcePath(undefined, 'node', this.name),
      null,
    );
    const obj = contentAsObject<{
      metadata?: { uid?: string };
      Object?: { metadata?: { uid?: string } };
    }>(query.msg.content);
    this.uid = obj?.metadata?.uid ?? obj?.Object?.metadata?.uid;
  }

  private becomeReady(): void {
    const now = this.opts.scheduler.now();
    this.state = 'ready';
    this.readySince = now;
    this.attempt = 0;
    this.opts.sink.adjust('registered', 1);
    this.opts.sink.adjust('ready', 1);
    this.opts.sink.observe('registrationToReadyMs', now - this.connectStartedAt);
    if (this.disconnectedAt > 0)
      this.opts.sink.observe('reconnectToReadyMs', now - this.disconnectedAt);
    if (this.outageEndedAt > 0) {
      this.opts.sink.observe('faultRecoveryMs', Math.max(0, now - this.outageEndedAt));
      this.outageEndedAt = 0;
    }
    if (this.renewalStartedAt > 0) {
      this.opts.sink.observe('certRenewalMs', now - this.renewalStartedAt);
      this.renewalStartedAt = 0;
    }
    this.scheduleLease();
    this.scheduleStatus();
    for (const [uid, pod] of this.pods) {
      if (pod.phase === PodPhase.Starting && !pod.timer) this.reportPodStatus(uid, pod);
      if (pod.deleteWanted && pod.phase !== PodPhase.Patching) this.sendPodDelete(uid, pod);
    }
  }

  private readyPatch(): string {
    return this.opts.template.readyPatch(
      isoSeconds(this.opts.scheduler.now()),
      this.readyTransition,
    );
  }

  private leasePath(): string {
    return buildResourcePath('kube-node-lease', 'lease', this.name);
  }

  private async refreshLease(): Promise<void> {
    if (this.leaseMissing || this.leaseRv === undefined) {
      const query = await this.request('query', this.leasePath(), null);
      const resp = asObjectResponse<LeaseObject>(query.msg.content);
      const notFound =
        resp?.Err?.ErrStatus?.reason === 'NotFound' ||
        asStatusError(query.msg.content)?.reason === 'NotFound';
      if (resp?.Object) {
        this.keepLease(resp.Object);
      } else if (notFound) {
        const created = await this.request('insert', this.leasePath(), this.leaseObject(undefined));
        const createdResp = asObjectResponse<LeaseObject>(created.msg.content);
        if (createdResp?.Object) this.keepLease(createdResp.Object);
        else this.leaseMissing = true;
        return;
      }
    }
    if (this.leaseRv === undefined) return;
    const update = await this.request('update', this.leasePath(), this.leaseObject(this.leaseRv));
    const resp = asObjectResponse<LeaseObject>(update.msg.content);
    if (resp?.Object && !resp.Err) this.keepLease(resp.Object);
    else this.leaseMissing = true; // Conflict or any error: query again next time
  }

  private keepLease(lease: LeaseObject): void {
    this.leaseRv = lease.metadata.resourceVersion;
    this.leaseMissing = this.leaseRv === undefined;
  }

  /** The Lease the kubelet would write, rebuilt each time so no object is kept per node. */
  private leaseObject(resourceVersion: string | undefined): LeaseObject {
    const metadata: LeaseObject['metadata'] = { name: this.name, namespace: 'kube-node-lease' };
    if (resourceVersion !== undefined) metadata.resourceVersion = resourceVersion;
    if (this.uid)
      metadata.ownerReferences = [
        { apiVersion: 'v1', kind: 'Node', name: this.name, uid: this.uid },
      ];
    return {
      kind: 'Lease',
      apiVersion: 'coordination.k8s.io/v1',
      metadata,
      spec: {
        holderIdentity: this.name,
        leaseDurationSeconds: 40,
        renewTime: isoMicros(this.opts.scheduler.now()),
      },
    };
  }

  private scheduleLease(): void {
    const i = this.intervals;
    this.timers.lease = this.opts.scheduler.schedule(
      jittered(i.leaseMs, i.jitter, this.rng),
      () => {
        this.refreshLease().catch(() => undefined);
        if (this.state === 'ready') this.scheduleLease();
      },
    );
  }

  private scheduleStatus(): void {
    const i = this.intervals;
    this.timers.status = this.opts.scheduler.schedule(
      jittered(i.statusReportMs, i.jitter, this.rng),
      () => {
        this.request(
          'patch',
          buildResourcePath(undefined, 'nodepatch', this.name),
          this.readyPatch(),
        ).catch(() => undefined);
        if (this.state === 'ready') this.scheduleStatus();
      },
    );
  }

  // ---- downstream ----------------------------------------------------------------------------

  private onFrame(data: Buffer | ArrayBuffer | Buffer[], _isBinary: boolean): void {
    const link = this.link;
    if (link !== undefined) {
      const delay = link.delayFor('down', this.opts.scheduler.now());
      if (delay < 0) {
        this.opts.sink.count('faultDroppedDown');
        return;
      }
      if (delay > 0) {
        this.opts.sink.count('faultDelayedDown');
        this.opts.sink.observe('faultDelayMs', delay);
        const ws = this.ws;
        this.opts.scheduler.schedule(delay, () => {
          if (this.ws === ws && this.state !== 'stopped') this.processFrame(data);
        });
        return;
      }
    }
    this.processFrame(data);
  }

  private processFrame(data: Buffer | ArrayBuffer | Buffer[]): void {
    let msg: BeehiveMessage;
    try {
      msg = decodeMessage(data);
    } catch (err) {
      const kind = err instanceof FrameDecodeError ? err.kind : 'undecodable';
      this.protocolError(`frame:${kind}`, err instanceof Error ? err.message : String(err));
      return;
    }
    const now = this.opts.scheduler.now();
    this.opts.sink.message('in', msg.route.operation ?? '');
    // Ack first, before any other work: CloudCore's queue for this node is serial (protocol.md §3.6).
    if (needsAck(msg)) {
      // CloudCore resends the message in flight with its msg_id until acked (protocol.md §3.6).
      const msgId = msg.header.msg_id ?? '';
      if (msgId !== '' && msgId === this.lastAckedId) this.opts.sink.count('duplicatePushes');
      this.lastAckedId = msgId;
      this.send(buildAck(msg, () => now));
      this.opts.sink.count('acksSent');
      if (typeof msg.header.timestamp === 'number')
        this.opts.sink.observe('ackLatencyMs', Math.max(0, now - msg.header.timestamp));
    }
    if (isResponse(msg)) {
      if (!this.pending.settle(msg) && msg.route.operation !== 'response')
        this.protocolError('response:unexpected-operation', msg.route.operation ?? '');
      return;
    }
    if (typeof msg.header.timestamp === 'number')
      this.opts.sink.observe('downstreamMs', Math.max(0, now - msg.header.timestamp));
    const path = parseResourcePath(msg.route.resource ?? '');
    if (!path) {
      this.protocolError('push:bad-resource', msg.route.resource ?? '(none)');
      return;
    }
    try {
      switch (path.type) {
        case 'pod':
          this.onPodPush(msg, now);
          return;
        case 'node':
          this.onNodePush(msg);
          return;
        case 'configmap':
        case 'secret':
        case 'serviceaccountaccess':
          return; // pods here mount nothing real; acked above
        default:
          this.protocolError(`push:unhandled-type:${path.type}`, msg.route.resource ?? '');
      }
    } catch (err) {
      // Content of an unexpected shape must cost one push, never the node (or its worker).
      this.protocolError(
        `push:malformed-${path.type}`,
        err instanceof Error ? err.message : String(err),
      );
    }
  }

  private protocolError(kind: string, detail: string): void {
    this.opts.sink.count('protocolErrors');
    const reported = (this.reportedKinds ??= new Set());
    if (reported.has(kind)) return;
    reported.add(kind);
    this.opts.sink.error(
      this.name,
      'HF_PROTOCOL_FRAME',
      `unexpected message from CloudCore (${kind}): ${detail.slice(0, 200)}`,
    );
  }

  private onNodePush(msg: BeehiveMessage): void {
    if (msg.route.operation !== 'update' || this.state !== 'ready' || this.repairInFlight) return;
    const node = contentAsObject<{
      status?: { conditions?: Array<{ type?: string; status?: string }> };
    }>(msg.content);
    const conditions = node?.status?.conditions;
    const ready = Array.isArray(conditions)
      ? conditions.find((c) => c?.type === 'Ready')
      : undefined;
    // After a lease lapse the node controller marks the node Unknown, and renewals alone never
    // bring it back (probe-findings §3.2): the kubelet reports Ready again in its status loop.
    if (!ready || ready.status === 'True') return;
    this.repairInFlight = true;
    this.readyTransition = isoSeconds(this.opts.scheduler.now());
    this.opts.sink.count('readyRepairs');
    this.request('patch', buildResourcePath(undefined, 'nodepatch', this.name), this.readyPatch())
      .catch(() => undefined)
      .finally(() => {
        this.repairInFlight = false;
      });
  }

  private onPodPush(msg: BeehiveMessage, now: number): void {
    const pod = contentAsObject<PodLike>(msg.content);
    const uid = pod?.metadata?.uid;
    const operation = msg.route.operation;
    if (!pod || typeof uid !== 'string' || uid === '') {
      this.protocolError('push:pod-without-uid', msg.route.resource ?? '');
      return;
    }
    if (operation === 'delete') {
      const record = this.pods.get(uid);
      if (record) this.forgetPod(uid, record);
      this.deletesSent?.delete(uid);
      return;
    }
    if (operation !== 'insert' && operation !== 'update') return;
    let record = this.pods.get(uid);
    if (!record) {
      if (pod.metadata?.deletionTimestamp) {
        // Unknown pod being deleted (a restarted simulator): finalize it anyway (protocol.md §4.6).
        this.sendPodDeleteFor(uid, pod.metadata.namespace ?? '', pod.metadata.name ?? '');
        return;
      }
      record = this.trackPod(uid, pod, now);
      this.observeDelivery(pod, now);
    }
    if (pod.metadata?.deletionTimestamp) {
      record.deleteWanted = true;
      record.timer?.cancel();
      record.timer = undefined;
      if (record.phase !== PodPhase.Patching) this.sendPodDelete(uid, record);
    }
  }

  private observeDelivery(pod: PodLike, now: number): void {
    const conditions = pod.status?.conditions;
    const scheduled = Array.isArray(conditions)
      ? conditions.find((c) => c?.type === 'PodScheduled' && c.status === 'True')
      : undefined;
    const at =
      typeof scheduled?.lastTransitionTime === 'string'
        ? Date.parse(scheduled.lastTransitionTime)
        : NaN;
    if (Number.isFinite(at)) this.opts.sink.observe('podDeliveryMs', Math.max(0, now - at));
  }

  private trackPod(uid: string, pod: PodLike, now: number): PodRecord {
    const spec = pod.spec ?? {};
    const podRng = createRng(hashString(uid));
    const record: PodRecord = {
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      phase: PodPhase.Starting,
      fate: choosePodFate(this.opts.template.profile.failures, podRng()),
      slot: this.podSlot++,
      receivedAt: now,
      containers: containerFields(spec.containers, 'name'),
      images: containerFields(spec.containers, 'image'),
      initContainers: containerFields(spec.initContainers, 'name'),
      hostNetwork: spec.hostNetwork === true,
      timer: undefined,
      deleteWanted: false,
      running: false,
      interruptedAt: 0,
    };
    this.pods.set(uid, record);
    this.opts.sink.count('podsReceived');
    this.opts.sink.adjust('podsTracked', 1);
    if (record.fate === 'neverStart') {
      record.phase = PodPhase.Held;
      return record;
    }
    const delay = sampleStartDelay(this.opts.template.profile.startDelay, podRng);
    record.timer = this.opts.scheduler.schedule(delay, () => {
      record.timer = undefined;
      if (this.state === 'ready') this.reportPodStatus(uid, record);
      else if (this.disconnectedAt > 0) record.interruptedAt = this.opts.scheduler.now();
    });
    return record;
  }

  private reportPodStatus(uid: string, record: PodRecord): void {
    if (record.phase !== PodPhase.Starting || record.deleteWanted) return;
    record.phase = PodPhase.Patching;
    const sentAt = this.opts.scheduler.now();
    const content = JSON.stringify(this.podStatusPatch(uid, record, sentAt));
    this.opts.sink.count('podStatusPatches');
    this.request(
      'patch',
      buildResourcePath(record.namespace, 'podpatch', record.name),
      content,
    ).then(
      (result) => {
        if (this.pods.get(uid) !== record) return;
        const err = asObjectResponse(result.msg.content)?.Err;
        if (err) {
          this.opts.sink.error(
            this.name,
            'HF_POD_STATUS_REJECTED',
            `CloudCore rejected the status of pod ${record.namespace}/${record.name}: ${err.ErrStatus.message ?? err.ErrStatus.reason}`,
          );
        }
        record.phase = PodPhase.Running;
        const now = this.opts.scheduler.now();
        if (record.interruptedAt > 0) {
          this.opts.sink.observe('podStatusRecoveryMs', now - record.interruptedAt);
          record.interruptedAt = 0;
        }
        this.opts.sink.observe('podStatusRoundTripMs', result.latencyMs);
        this.opts.sink.observe('podStartMs', now - record.receivedAt);
        if (!err) {
          record.running = true;
          this.opts.sink.count('podsStarted');
          this.opts.sink.adjust('podsRunning', 1);
        }
        if (record.deleteWanted) this.sendPodDelete(uid, record);
      },
      () => {
        if (this.pods.get(uid) !== record) return;
        // Never answered: try again once connected and ready (never twice for an answered patch).
        record.phase = PodPhase.Starting;
        if (record.deleteWanted) this.sendPodDelete(uid, record);
        else if (this.state === 'ready') {
          record.timer = this.opts.scheduler.schedule(this.intervals.reconnectBaseMs, () => {
            record.timer = undefined;
            if (this.state === 'ready') this.reportPodStatus(uid, record);
          });
        }
      },
    );
  }

  private sendPodDelete(uid: string, record: PodRecord): void {
    if (this.state !== 'ready') return; // sent after the reconnect (becomeReady)
    record.phase = PodPhase.Deleting;
    this.sendPodDeleteFor(uid, record.namespace, record.name);
  }

  private sendPodDeleteFor(uid: string, namespace: string, name: string): void {
    if (this.state !== 'ready' || this.deletesSent?.has(uid)) return;
    (this.deletesSent ??= new Set()).add(uid);
    // Object content: a string would be read as a legacy bare UID (protocol.md §3.1).
    this.request('delete', buildResourcePath(namespace, 'pod', name), {
      gracePeriodSeconds: 0,
      preconditions: { uid },
    }).then(
      () => this.opts.sink.count('podsDeleted'),
      () => this.deletesSent?.delete(uid),
    );
  }

  private forgetPod(uid: string, record: PodRecord): void {
    record.timer?.cancel();
    this.pods.delete(uid);
    this.opts.sink.adjust('podsTracked', -1);
    if (record.running) this.opts.sink.adjust('podsRunning', -1);
  }

  /** The kubelet's Running status for a pod (protocol.md §4.4), with the fate's failure applied. */
  private podStatusPatch(uid: string, record: PodRecord, now: number): Record<string, unknown> {
    const t = isoSeconds(now);
    const ready = record.fate === 'run';
    const containersReady = ready ? 'True' : 'False';
    const podIp = record.hostNetwork ? this.hostIp : podIpFor(this.opts.index, record.slot);
    const containerStatuses = record.containers.map((name, i) => {
      const base = {
        name,
        lastState: {},
        image: record.images[i] ?? '',
        imageID: `${(record.images[i] ?? 'image').split(':')[0]}@sha256:${'0'.repeat(64)}`,
        containerID: `containerd://${containerId(uid, i)}`,
      };
      if (record.fate === 'crashLoop') {
        return {
          ...base,
          state: {
            waiting: {
              reason: 'CrashLoopBackOff',
              message: `back-off 10s restarting failed container=${name} pod=${record.name}`,
            },
          },
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: t, finishedAt: t } },
          ready: false,
          started: false,
          restartCount: 1,
        };
      }
      return {
        ...base,
        state: { running: { startedAt: t } },
        ready,
        started: true,
        restartCount: 0,
      };
    });
    const status: Record<string, unknown> = {
      phase: 'Running',
      conditions: [
        {
          type: 'PodReadyToStartContainers',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: t,
        },
        { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: t },
        {
          type: 'ContainersReady',
          status: containersReady,
          lastProbeTime: null,
          lastTransitionTime: t,
        },
        { type: 'Ready', status: containersReady, lastProbeTime: null, lastTransitionTime: t },
      ],
      hostIP: this.hostIp,
      hostIPs: [{ ip: this.hostIp }],
      podIP: podIp,
      podIPs: [{ ip: podIp }],
      startTime: t,
      containerStatuses,
    };
    if (record.initContainers.length > 0) {
      status.initContainerStatuses = record.initContainers.map((name, i) => ({
        name,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t, finishedAt: t } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: '',
        imageID: '',
        containerID: `containerd://${containerId(uid, 100 + i)}`,
      }));
    }
    return { metadata: { uid }, status };
  }
}

interface PodLike {
  metadata?: { uid?: string; name?: string; namespace?: string; deletionTimestamp?: string };
  spec?: {
    containers?: Array<{ name?: string; image?: string }>;
    initContainers?: Array<{ name?: string; image?: string }>;
    hostNetwork?: boolean;
  };
  status?: { conditions?: Array<{ type?: string; status?: string; lastTransitionTime?: string }> };
}

/** One string field of each container; anything not shaped like a container list reads as empty. */
function containerFields(list: unknown, key: 'name' | 'image'): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((c: unknown) => {
    const value =
      c !== null && typeof c === 'object' ? (c as Record<string, unknown>)[key] : undefined;
    return typeof value === 'string' ? value : '';
  });
}

function containerId(uid: string, i: number): string {
  const h1 = hashString(`${uid}/${i}`).toString(16).padStart(8, '0');
  const h2 = hashString(`${i}/${uid}`).toString(16).padStart(8, '0');
  return (h1 + h2).repeat(4);
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
