import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LoadBalancer } from '../../src/embedded/lb.js';
import { issueCertificate } from '../../src/embedded/pki.js';
import { buildAck, buildRequest, type BeehiveMessage } from '../../src/protocol/message.js';
import { startHubFixture, type HubFixture } from '../helpers/embedded.js';
import { waitFor } from '../helpers/wait.js';

let f: HubFixture;
let context: tls.SecureContext;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  f = await startHubFixture(
    {
      keepaliveIntervalMs: 600,
      ackResendIntervalMs: 150,
      ackMaxResends: 2,
      syncPeriodMs: 200,
      nodeLimit: 3,
    },
    2,
  );
  const client = await issueCertificate(f.ca, {
    subject: 'CN=system:node:any, O=system:nodes',
    usages: ['clientAuth'],
  });
  context = tls.createSecureContext({ ca: f.ca.certPem, cert: client.certPem, key: client.keyPem });
});
afterAll(async () => f.close());
afterEach(() => {
  for (const ws of sockets.splice(0)) ws.terminate();
});

interface Client {
  ws: WebSocket;
  received: BeehiveMessage[];
  closedWith: Promise<number>;
  send(msg: BeehiveMessage): void;
}

async function connect(
  nodeId: string,
  opts: { connectionUse?: string | null; port?: number; origin?: string } = {},
): Promise<Client> {
  const headers: Record<string, string> = { node_id: nodeId, project_id: 'p' };
  if (opts.connectionUse !== null) headers.ConnectionUse = opts.connectionUse ?? 'msg';
  const ws = new WebSocket(
    `wss://127.0.0.1:${opts.port ?? f.hubs[0]!.port}/e632/${nodeId}/events`,
    {
      secureContext: context,
      servername: 'localhost',
      headers,
      perMessageDeflate: false,
      origin: opts.origin,
    } as WebSocket.ClientOptions,
  );
  sockets.push(ws);
  const received: BeehiveMessage[] = [];
  ws.on('message', (d) => received.push(JSON.parse(d.toString())));
  const closedWith = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, received, closedWith, send: (msg) => ws.send(JSON.stringify(msg)) };
}

const keepalive = (): BeehiveMessage => ({
  header: { msg_id: `k${Math.random()}`, timestamp: Date.now() },
  route: { source: 'websocket', group: 'resource', resource: 'node', operation: 'keepalive' },
  content: 'ping',
});

function edgeNode(name: string) {
  return {
    metadata: { name, labels: { 'node-role.kubernetes.io/edge': '' } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

async function reply(c: Client, msg: BeehiveMessage): Promise<BeehiveMessage> {
  c.send(msg);
  return waitFor(`reply to ${msg.route.operation} ${msg.route.resource}`, () =>
    c.received.find((m) => m.header.parent_msg_id === msg.header.msg_id),
  );
}

describe('embedded hub: CloudCore session rules', () => {
  it('answers registration like CloudCore: no type meta and no header RV, AlreadyExists with the submitted node', async () => {
    const c = await connect('rule-reg');
    const r1 = await reply(c, buildRequest('insert', 'null/node/rule-reg', edgeNode('rule-reg')));
    expect(r1.route).toMatchObject({
      source: 'edgecontroller',
      group: 'resource',
      operation: 'response',
      resource: 'null/node/rule-reg',
    });
    expect(r1.header.resourceversion).toBeUndefined();
    const obj = (
      r1.content as {
        Object: Record<string, unknown> & {
          metadata: { uid?: string; annotations?: Record<string, string> };
        };
      }
    ).Object;
    expect(obj.kind).toBeUndefined();
    expect(obj.metadata.uid).toBeDefined();
    expect(obj.metadata.annotations?.cloudcore).toBe('127.0.0.1');
    const r2 = await reply(c, buildRequest('insert', 'null/node/rule-reg', edgeNode('rule-reg')));
    const content = r2.content as {
      Object: { metadata: { uid?: string } };
      Err: { ErrStatus: { reason: string; code: number } };
    };
    expect(content.Err.ErrStatus).toMatchObject({ reason: 'AlreadyExists', code: 409 });
    expect(content.Object.metadata.uid).toBeUndefined();
    // An ACK-mode node update follows registration, resent with the same msg_id until acked.
    const update = await waitFor('node update push', () =>
      c.received.find(
        (m) => m.route.operation === 'update' && m.route.resource === 'null/node/rule-reg',
      ),
    );
    await waitFor(
      'resend',
      () => c.received.filter((m) => m.header.msg_id === update.header.msg_id).length >= 2,
    );
    c.send(buildAck(update));
    const lease = await reply(c, buildRequest('query', 'kube-node-lease/lease/rule-reg', null));
    expect((lease.content as { Err: { ErrStatus: { reason: string } } }).Err.ErrStatus.reason).toBe(
      'NotFound',
    );
  });

  it('delivers pods serially in ACK mode: the second waits behind an unacked first', async () => {
    const c = await connect('rule-pods');
    await reply(c, buildRequest('insert', 'null/node/rule-pods', edgeNode('rule-pods')));
    const nodeUpdate = await waitFor('node update', () =>
      c.received.find(
        (m) => m.route.resource === 'null/node/rule-pods' && m.route.operation === 'update',
      ),
    );
    c.send(buildAck(nodeUpdate));
    for (const name of ['a', 'b']) {
      f.store.create('pods', {
        metadata: { name: `serial-${name}`, namespace: 'default' },
        spec: { nodeName: 'rule-pods', containers: [{ name: 'c', image: 'x' }] },
      });
    }
    const first = await waitFor('first pod', () =>
      c.received.find((m) => m.route.resource?.endsWith('/pod/serial-a')),
    );
    expect(first.route.operation).toBe('insert'); // pre-bound pods start with insert (probe-findings §3.6)
    expect(first.header.resourceversion).toBeDefined();
    await waitFor(
      'resend of the first',
      () => c.received.filter((m) => m.header.msg_id === first.header.msg_id).length >= 2,
    );
    expect(c.received.some((m) => m.route.resource?.endsWith('/pod/serial-b'))).toBe(false);
    c.send(buildAck(first));
    const second = await waitFor('second pod', () =>
      c.received.find((m) => m.route.resource?.endsWith('/pod/serial-b')),
    );
    c.send(buildAck(second));
  });

  it('never reads frames without ConnectionUse: msg, and drops the session at the keepalive timeout', async () => {
    const c = await connect('rule-nouse', { connectionUse: null });
    c.send(keepalive());
    c.send(buildRequest('query', 'null/node/rule-nouse', null));
    expect(await c.closedWith).toBe(1006);
    expect(c.received).toHaveLength(0);
  });

  it('keeps a session alive with keepalives and closes the older of two sessions with the same node_id', async () => {
    const a = await connect('rule-dup');
    const timer = setInterval(() => a.ws.readyState === WebSocket.OPEN && a.send(keepalive()), 200);
    try {
      await new Promise((r) => setTimeout(r, 900));
      expect(a.ws.readyState).toBe(WebSocket.OPEN);
      const b = await connect('rule-dup');
      expect(await a.closedWith).toBe(1006);
      expect(b.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      clearInterval(timer);
    }
  });

  it('answers reserved operations with "ack", drops upstream from cloud module sources, rejects foreign origins', async () => {
    const c = await connect('rule-ops');
    const ping: BeehiveMessage = {
      header: { msg_id: 'p1', timestamp: 1 },
      route: { source: 'edged', group: 'meta', operation: 'ping', resource: 'whatever' },
      content: null,
    };
    const ack = await reply(c, ping);
    expect(ack.content).toBe('ack');
    const spoofed = buildRequest('query', 'kube-node-lease/lease/x', null);
    spoofed.route.source = 'edgecontroller';
    c.send(spoofed);
    const control = await reply(c, buildRequest('query', 'kube-node-lease/lease/x', null));
    expect(control).toBeDefined();
    expect(c.received.some((m) => m.header.parent_msg_id === spoofed.header.msg_id)).toBe(false);
    await expect(connect('rule-origin', { origin: 'https://example.invalid' })).rejects.toThrow(
      /403/,
    );
  });

  it('keeps over-limit sessions open and silent while still processing their requests', async () => {
    const hub = f.hubs[1]!;
    const clients: Client[] = [];
    for (let i = 0; i < 3; i++) clients.push(await connect(`limit-${i}`, { port: hub.port }));
    await waitFor('three sessions', () => hub.stats.connected === 3);
    const over = await connect('limit-over', { port: hub.port });
    over.send(buildRequest('insert', 'null/node/limit-over', edgeNode('limit-over')));
    await waitFor('node created anyway', () => f.store.tryGet('nodes', undefined, 'limit-over'));
    await new Promise((r) => setTimeout(r, 300));
    expect(over.received).toHaveLength(0);
    expect(hub.stats.connected).toBe(3);
    const metrics = await hub.registry.metrics();
    expect(metrics).toMatch(/KubeEdge_CloudHub_connected_nodes 3/);
  });

  it('closes the socket when the Node is deleted, without a frame', async () => {
    const c = await connect('rule-del');
    await reply(c, buildRequest('insert', 'null/node/rule-del', edgeNode('rule-del')));
    const count = c.received.length;
    f.store.delete('nodes', undefined, 'rule-del');
    expect(await c.closedWith).toBe(1006);
    expect(c.received.length - count).toBeLessThanOrEqual(1); // at most the node update already in flight
  });

  it('balances across instances and lets clients reach the survivor when one stops', async () => {
    const lb = new LoadBalancer(f.hubs.map((h) => ({ host: '127.0.0.1', port: h.port })));
    await lb.start();
    try {
      const a = await connect('lb-a', { port: lb.port });
      const b = await connect('lb-b', { port: lb.port });
      const served = f.hubs.map(
        (h) => h.connectedNodes().filter((n) => n.startsWith('lb-')).length,
      );
      expect(served.reduce((x, y) => x + y, 0)).toBe(2);
      expect(a.ws.readyState).toBe(WebSocket.OPEN);
      expect(b.ws.readyState).toBe(WebSocket.OPEN);
      // A backend that refuses connections is skipped.
      lb.setBackends([
        { host: '127.0.0.1', port: 1 },
        { host: '127.0.0.1', port: f.hubs[0]!.port },
      ]);
      const c = await connect('lb-c', { port: lb.port });
      expect(c.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      await lb.close();
    }
  });
});
