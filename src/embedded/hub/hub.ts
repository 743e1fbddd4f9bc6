/**
 * EMBEDDED CONTROL PLANE ONLY. A CloudHub-compatible WebSocket hub: one instance of the
 * CloudCore stand-in, with CloudCore's session rules (protocol.md §2, probe-findings) and its
 * reliable per-node delivery (§3.6). Several instances share one store, one CA and one ObjectSync
 * table, as CloudCore replicas share the API server.
 */
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Counter, Gauge, Registry } from 'prom-client';
import WebSocket, { WebSocketServer } from 'ws';
import { TimerWheel } from '../../edge/timer-wheel.js';
import { decodeMessage } from '../../protocol/codec.js';
import {
  buildPush,
  buildResponse,
  CLOUD_MODULE_SOURCES,
  RESERVED_OPERATIONS,
  type BeehiveMessage,
  type OperationName,
} from '../../protocol/message.js';
import type { TimerHandle } from '../../protocol/scheduler.js';
import type { KubeObject, ObjectStore, Watch, WatchEvent } from '../apiserver/store-api.js';
import { issueLoopbackServerCertificate, type CertificateAuthority } from '../pki.js';
import { ObjectSyncTable } from './object-sync.js';
import { handleUpstream } from './upstream.js';

const EDGE_LABEL = 'node-role.kubernetes.io/edge';

export interface HubOptions {
  store: ObjectStore;
  ca: CertificateAuthority;
  syncTable?: ObjectSyncTable;
  host?: string;
  port?: number;
  /** Sessions per instance; CloudCore's default is 500. */
  nodeLimit?: number;
  keepaliveIntervalMs?: number;
  ackResendIntervalMs?: number;
  ackMaxResends?: number;
  syncPeriodMs?: number;
  instanceId?: string;
  advertiseAddress?: string;
  /** Timer resolution of the hub's own wheel. */
  tickMs?: number;
}

interface Delivery {
  uid: string;
  rv: number;
  msg: BeehiveMessage;
  resource: 'pods' | 'nodes';
  isDelete: boolean;
}

interface Session {
  nodeId: string;
  ws: WebSocket;
  readsFrames: boolean;
  keepaliveTimer: TimerHandle | undefined;
  /** ACK-mode queue: latest message per object UID, in arrival order. */
  queue: Map<string, Delivery>;
  inFlight: Delivery | undefined;
  inFlightTimer: TimerHandle | undefined;
  resends: number;
  closed: boolean;
}

export interface HubStats {
  connected: number;
  silent: number;
  messagesIn: number;
  messagesOut: number;
  acks: number;
  resends: number;
  ackTimeouts: number;
}

export class Hub {
  readonly registry = new Registry();
  readonly syncTable: ObjectSyncTable;
  private readonly opts: Required<Omit<HubOptions, 'syncTable'>>;
  private readonly sessions = new Map<string, Session>();
  /** Over-limit connections: open and read, but never answered (protocol.md §2.6). */
  private readonly silent = new Set<WebSocket>();
  private readonly wheel: TimerWheel;
  private server: https.Server | undefined;
  private wss: WebSocketServer | undefined;
  private watches: Watch[] = [];
  private syncTimer: NodeJS.Timeout | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly connectedGauge: Gauge;
  private readonly messagesCounter: Counter<'direction' | 'operation'>;
  private readonly ackCounter: Counter;
  private readonly resendCounter: Counter;
  private readonly ackTimeoutCounter: Counter;
  readonly stats: HubStats = {
    connected: 0,
    silent: 0,
    messagesIn: 0,
    messagesOut: 0,
    acks: 0,
    resends: 0,
    ackTimeouts: 0,
  };

  constructor(options: HubOptions) {
    this.opts = {
      host: '127.0.0.1',
      port: 0,
      nodeLimit: 500,
      keepaliveIntervalMs: 30_000,
      ackResendIntervalMs: 5_000,
      ackMaxResends: 4,
      syncPeriodMs: 5_000,
      instanceId: 'cloudcore-0',
      advertiseAddress: '127.0.0.1',
      tickMs: 50,
      ...options,
    };
    this.syncTable = options.syncTable ?? new ObjectSyncTable();
    this.wheel = new TimerWheel({ tickMs: this.opts.tickMs, slots: 2048 });
    this.connectedGauge = new Gauge({
      name: 'KubeEdge_CloudHub_connected_nodes',
      help: 'Number of nodes connected to this CloudHub instance',
      registers: [this.registry],
    });
    this.messagesCounter = new Counter({
      name: 'hollowfleet_embedded_hub_messages_total',
      help: 'Messages through the embedded hub by direction and operation',
      labelNames: ['direction', 'operation'],
      registers: [this.registry],
    });
    this.ackCounter = new Counter({
      name: 'hollowfleet_embedded_hub_acks_total',
      help: 'ACK-mode deliveries acknowledged',
      registers: [this.registry],
    });
    this.resendCounter = new Counter({
      name: 'hollowfleet_embedded_hub_resends_total',
      help: 'ACK-mode resends',
      registers: [this.registry],
    });
    this.ackTimeoutCounter = new Counter({
      name: 'hollowfleet_embedded_hub_ack_timeouts_total',
      help: 'ACK-mode deliveries given up after every resend went unacknowledged (lost acks)',
      registers: [this.registry],
    });
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  get host(): string {
    return this.opts.host;
  }

  get instanceId(): string {
    return this.opts.instanceId;
  }

  connectedNodes(): string[] {
    return [...this.sessions.keys()];
  }

  async start(): Promise<void> {
    const serverCert = await issueLoopbackServerCertificate(this.opts.ca);
    this.server = https.createServer({
      key: serverCert.keyPem,
      cert: serverCert.certPem,
      ca: this.opts.ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ALPNProtocols: ['http/1.1'],
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('request', (_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain' }).end('upgrade required');
    });
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: 64 * 1024 * 1024,
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.watches.push(this.opts.store.watch('pods', {}, (e) => this.onPodEvent(e)));
    this.watches.push(this.opts.store.watch('nodes', {}, (e) => this.onNodeEvent(e)));
    this.syncTimer = setInterval(() => this.syncAll(), this.opts.syncPeriodMs);
    this.syncTimer.unref();
  }

  /** Stops accepting and drops every connection without a close frame, as a killed CloudCore would. */
  async close(): Promise<void> {
    for (const w of this.watches) w.stop();
    this.watches = [];
    if (this.syncTimer) clearInterval(this.syncTimer);
    for (const session of this.sessions.values()) this.endSession(session);
    for (const ws of this.silent) ws.terminate();
    this.silent.clear();
    this.wheel.stop();
    for (const socket of this.sockets) socket.destroy();
    this.wss?.close();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
    this.server = undefined;
  }

  // ---- sessions ------------------------------------------------------------------------------

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const origin = req.headers.origin;
    if (origin) {
      // gorilla's default origin check: a present Origin must match the Host.
      let sameHost = false;
      try {
        sameHost = new URL(origin).host === req.headers.host;
      } catch {
        sameHost = false;
      }
      if (!sameHost) {
        socket.end(
          'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nForbidden\n',
        );
        return;
      }
    }
    const tlsSocket = socket as TLSSocket;
    if (!tlsSocket.authorized) {
      socket.destroy();
      return;
    }
    const nodeId = headerValue(req, 'node_id');
    const connectionUse = headerValue(req, 'connectionuse');
    this.wss!.handleUpgrade(req, socket, head, (ws) =>
      this.onConnection(ws, nodeId ?? '', connectionUse === 'msg'),
    );
  }

  private onConnection(ws: WebSocket, nodeId: string, readsFrames: boolean): void {
    if (this.sessions.size >= this.opts.nodeLimit) {
      // CloudCore logs "reach node limit" and returns without a session or a close: upstream
      // messages are still processed, nothing ever goes back (protocol.md §2.6).
      this.silent.add(ws);
      this.stats.silent = this.silent.size;
      ws.on('message', (data) => {
        if (readsFrames) this.onFrame(undefined, nodeId, data as Buffer);
      });
      ws.on('close', () => {
        this.silent.delete(ws);
        this.stats.silent = this.silent.size;
      });
      ws.on('error', () => undefined);
      return;
    }
    const previous = this.sessions.get(nodeId);
    if (previous) this.endSession(previous); // last connection wins; the old socket gets no close frame
    const session: Session = {
      nodeId,
      ws,
      readsFrames,
      keepaliveTimer: undefined,
      queue: new Map(),
      inFlight: undefined,
      inFlightTimer: undefined,
      resends: 0,
      closed: false,
    };
    this.sessions.set(nodeId, session);
    this.updateConnected();
    this.armKeepalive(session);
    ws.on('message', (data) => {
      if (session.readsFrames && !session.closed) this.onFrame(session, nodeId, data as Buffer);
    });
    ws.on('close', () => this.endSession(session));
    ws.on('error', () => this.endSession(session));
    this.annotateNode(nodeId);
  }

  private annotateNode(nodeId: string): void {
    // On connect CloudCore records which instance serves the node (a GET and maybe an UPDATE).
    const node = this.opts.store.tryGet('nodes', undefined, nodeId);
    if (!node || node.metadata.annotations?.cloudcore === this.opts.advertiseAddress) return;
    try {
      this.opts.store.patch('nodes', undefined, nodeId, 'merge', {
        metadata: { annotations: { cloudcore: this.opts.advertiseAddress } },
      });
    } catch {
      // the node may be gone; CloudCore only logs this
    }
  }

  private armKeepalive(session: Session): void {
    session.keepaliveTimer?.cancel();
    session.keepaliveTimer = this.wheel.schedule(this.opts.keepaliveIntervalMs, () => {
      // "timeout to receive keepalive": the socket is closed without a close frame.
      if (!session.closed) this.endSession(session);
    });
  }

  private endSession(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    session.keepaliveTimer?.cancel();
    session.inFlightTimer?.cancel();
    session.queue.clear();
    if (this.sessions.get(session.nodeId) === session) this.sessions.delete(session.nodeId);
    session.ws.terminate();
    this.updateConnected();
  }

  private updateConnected(): void {
    this.stats.connected = this.sessions.size;
    this.connectedGauge.set(this.sessions.size);
  }

  // ---- upstream ------------------------------------------------------------------------------

  private onFrame(session: Session | undefined, nodeId: string, data: Buffer): void {
    let msg: BeehiveMessage;
    try {
      msg = decodeMessage(data);
    } catch {
      // CloudCore terminates a session whose reader fails.
      if (session) this.endSession(session);
      return;
    }
    this.stats.messagesIn++;
    const op = msg.route.operation ?? '';
    this.messagesCounter.inc({ direction: 'in', operation: op });
    if (op === 'keepalive') {
      if (session) this.armKeepalive(session);
      return;
    }
    if (RESERVED_OPERATIONS.has(op)) {
      // viaduct swallows ping/pong/config and answers "ack".
      if (session) this.write(session, buildResponse(msg, 'ack'));
      return;
    }
    if (op === 'response') {
      if (session) this.onAck(session, msg.header.parent_msg_id ?? '');
      return;
    }
    if (op === 'error') return; // logged by CloudCore; not an ack
    if (msg.route.resource === 'k8s/ca.crt') {
      if (session) {
        const reply = buildResponse(msg, this.opts.ca.certPem);
        reply.route.source = 'cloudhub';
        this.write(session, reply);
      }
      return;
    }
    if (CLOUD_MODULE_SOURCES.has(msg.route.source ?? '')) return;
    const reply = handleUpstream(
      {
        store: this.opts.store,
        nodeId,
        advertiseAddress: this.opts.advertiseAddress,
        caPem: this.opts.ca.certPem,
      },
      msg,
    );
    if (!reply || !session) return; // silent sessions never get answers
    const response = buildResponse(msg, reply.content, Date.now, reply.resourceVersion);
    response.route.source = 'edgecontroller';
    response.route.group = 'resource';
    this.write(session, response);
  }

  private write(session: Session, msg: BeehiveMessage): void {
    if (session.closed || session.ws.readyState !== WebSocket.OPEN) return;
    // Go's encoder ends every document with a newline.
    session.ws.send(`${JSON.stringify(msg)}\n`);
    this.stats.messagesOut++;
    this.messagesCounter.inc({ direction: 'out', operation: msg.route.operation ?? '' });
  }

  // ---- downstream: reliable delivery ---------------------------------------------------------

  private isEdgeNode(name: string): boolean {
    const node = this.opts.store.tryGet('nodes', undefined, name);
    return node !== undefined && node.metadata.labels?.[EDGE_LABEL] !== undefined;
  }

  private onPodEvent(event: WatchEvent): void {
    const pod = event.object;
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    const uid = pod.metadata.uid;
    if (!nodeName || !uid || event.type === 'BOOKMARK') return;
    if (event.type === 'DELETED') {
      if (!this.syncTable.get(nodeName, uid)) return;
      this.enqueue(nodeName, {
        uid,
        rv: Number(pod.metadata.resourceVersion),
        resource: 'pods',
        isDelete: true,
        msg: this.push('delete', pod, 'pod'),
      });
      return;
    }
    if (!this.isEdgeNode(nodeName)) return; // pods bound before the node is an edge node are never replayed
    const known = this.syncTable.get(nodeName, uid) !== undefined;
    this.syncTable.ensure(nodeName, {
      resource: 'pods',
      namespace: pod.metadata.namespace,
      name: pod.metadata.name ?? '',
      uid,
    });
    const op: OperationName = event.type === 'ADDED' && !known ? 'insert' : 'update';
    this.enqueue(nodeName, {
      uid,
      rv: Number(pod.metadata.resourceVersion),
      resource: 'pods',
      isDelete: false,
      msg: this.push(op, pod, 'pod'),
    });
  }

  private onNodeEvent(event: WatchEvent): void {
    const node = event.object;
    const name = node.metadata.name ?? '';
    if (event.type === 'BOOKMARK') return;
    if (event.type === 'DELETED') {
      // The queued node delete is never written: the session is closed instead (protocol.md §2.6).
      const session = this.sessions.get(name);
      if (session) this.endSession(session);
      this.syncTable.removeNode(name);
      return;
    }
    if (node.metadata.labels?.[EDGE_LABEL] === undefined || !node.metadata.uid) return;
    this.syncTable.ensure(name, {
      resource: 'nodes',
      namespace: undefined,
      name,
      uid: node.metadata.uid,
    });
    this.enqueue(name, {
      uid: node.metadata.uid,
      rv: Number(node.metadata.resourceVersion),
      resource: 'nodes',
      isDelete: false,
      msg: this.push('update', node, 'node'),
    });
  }

  private push(op: OperationName, obj: KubeObject, type: string): BeehiveMessage {
    const ns = obj.metadata.namespace ?? 'null';
    return buildPush(
      op,
      `${ns}/${type}/${obj.metadata.name ?? ''}`,
      obj,
      obj.metadata.resourceVersion,
    );
  }

  private enqueue(nodeName: string, delivery: Delivery): void {
    const session = this.sessions.get(nodeName);
    if (!session || session.closed) return; // the sync loop delivers it after the next connect
    if (!delivery.isDelete) {
      const acked = this.syncTable.get(nodeName, delivery.uid)?.ackedRv ?? 0;
      if (delivery.rv <= acked) return;
      const queued = session.queue.get(delivery.uid);
      if (queued && (queued.isDelete || queued.rv >= delivery.rv)) return;
      if (session.inFlight?.uid === delivery.uid && session.inFlight.rv >= delivery.rv) return;
    }
    session.queue.delete(delivery.uid);
    session.queue.set(delivery.uid, delivery);
    this.sendNext(session);
  }

  private sendNext(session: Session): void {
    if (session.inFlight || session.closed) return;
    const first = session.queue.entries().next();
    if (first.done) return;
    const [uid, delivery] = first.value;
    session.queue.delete(uid);
    session.inFlight = delivery;
    session.resends = 0;
    this.write(session, delivery.msg);
    this.armResend(session);
  }

  private armResend(session: Session): void {
    session.inFlightTimer = this.wheel.schedule(this.opts.ackResendIntervalMs, () => {
      const delivery = session.inFlight;
      if (!delivery || session.closed) return;
      if (session.resends < this.opts.ackMaxResends) {
        // Resends keep the msg_id, so one late ack releases them all.
        session.resends++;
        this.stats.resends++;
        this.resendCounter.inc();
        this.write(session, delivery.msg);
        this.armResend(session);
        return;
      }
      // Give up for now: requeue at the back and move on (the 25 s stall of probe-findings row c).
      this.stats.ackTimeouts++;
      this.ackTimeoutCounter.inc();
      session.inFlight = undefined;
      if (!session.queue.has(delivery.uid)) session.queue.set(delivery.uid, delivery);
      this.sendNext(session);
    });
  }

  private onAck(session: Session, parentId: string): void {
    const delivery = session.inFlight;
    if (!delivery || delivery.msg.header.msg_id !== parentId) return; // unknown parents are ignored
    session.inFlightTimer?.cancel();
    session.inFlight = undefined;
    this.stats.acks++;
    this.ackCounter.inc();
    if (delivery.isDelete) this.syncTable.remove(session.nodeId, delivery.uid);
    else this.syncTable.ack(session.nodeId, delivery.uid, delivery.rv);
    this.sendNext(session);
  }

  /** SyncController: re-send what a connected node has not acknowledged (protocol.md §3.6). */
  syncAll(): void {
    for (const session of this.sessions.values()) {
      for (const record of [...this.syncTable.recordsOf(session.nodeId)]) {
        const obj = this.opts.store.tryGet(record.resource, record.namespace, record.name);
        if (!obj || obj.metadata.uid !== record.uid) {
          if (record.resource === 'nodes') continue;
          const gone: KubeObject = {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: record.name, namespace: record.namespace, uid: record.uid },
          };
          this.enqueue(session.nodeId, {
            uid: record.uid,
            rv: 0,
            resource: 'pods',
            isDelete: true,
            msg: this.push('delete', gone, 'pod'),
          });
          continue;
        }
        const rv = Number(obj.metadata.resourceVersion);
        if (rv > record.ackedRv) {
          const type = record.resource === 'pods' ? 'pod' : 'node';
          this.enqueue(session.nodeId, {
            uid: record.uid,
            rv,
            resource: record.resource,
            isDelete: false,
            msg: this.push('update', obj, type),
          });
        }
      }
    }
  }
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export async function startHub(options: HubOptions): Promise<Hub> {
  const hub = new Hub(options);
  await hub.start();
  return hub;
}
