import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { CountingSink } from '../../src/edge/events.js';
import { HollowNode } from '../../src/edge/hollow-node.js';
import { NodeTemplate } from '../../src/edge/node-template.js';
import { resolveNodeProfile } from '../../src/edge/profile.js';
import { TimerWheel } from '../../src/edge/timer-wheel.js';
import {
  createCertificateAuthority,
  issueCertificate,
  issueLoopbackServerCertificate,
} from '../../src/embedded/pki.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('hollow node facing a misbehaving cloud', () => {
  it('counts malformed and unexpected frames by kind, reports each kind once, and keeps running', async () => {
    const ca = await createCertificateAuthority();
    const serverCert = await issueLoopbackServerCertificate(ca);
    const client = await issueCertificate(ca, {
      subject: 'CN=system:node:x, O=system:nodes',
      usages: ['clientAuth'],
    });
    const server = https.createServer({
      key: serverCert.keyPem,
      cert: serverCert.certPem,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const wss = new WebSocketServer({ server });
    const upstream: string[] = [];
    wss.on('connection', (ws, req) => {
      expect(req.headers.origin).toBeUndefined();
      expect(req.headers['sec-websocket-extensions']).toBeUndefined();
      expect(req.headers.connectionuse).toBe('msg');
      ws.on('message', (d) => upstream.push(d.toString()));
      for (const frame of [
        'not json',
        '[1]',
        '{"route":{}}',
        'not json again',
        '{"header":{"msg_id":"1"},"route":{"operation":"update","resource":"default/widget/w"},"content":{}}',
      ])
        ws.send(frame);
      ws.send(
        Buffer.from(
          '{"header":{"msg_id":"2","parent_msg_id":"nobody"},"route":{"operation":"response","resource":"null/node/x"},"content":"OK"}',
        ),
        { binary: true },
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(
      () => new Promise<void>((r) => server.close(() => r())),
      () => wss.close(),
    );
    const wheel = new TimerWheel({ tickMs: 10 });
    cleanups.push(() => wheel.stop());
    const sink = new CountingSink();
    const node = new HollowNode({
      name: 'hollow-0-00000',
      index: 0,
      targets: [{ host: '127.0.0.1', port: (server.address() as AddressInfo).port }],
      tls: {
        secureContext: tls.createSecureContext({
          ca: ca.certPem,
          cert: client.certPem,
          key: client.keyPem,
        }),
        servername: 'localhost',
      },
      template: new NodeTemplate(
        resolveNodeProfile({ intervals: { registrationTimeoutMs: 60_000 } }),
      ),
      scheduler: wheel,
      sink,
    });
    cleanups.push(() => node.stop());
    node.start();
    await waitFor('frames counted', () => sink.counter('protocolErrors') >= 5);
    const kinds = sink.errors
      .filter((e) => e.code === 'HF_PROTOCOL_FRAME')
      .map((e) => /\(([^)]+)\)/.exec(e.message)?.[1]);
    expect(kinds.sort()).toEqual([
      'frame:no-header',
      'frame:not-json',
      'frame:not-object',
      'push:unhandled-type:widget',
    ]);
    expect(node.state).toBe('registering');
    // The unknown push was acked all the same, and the node registered.
    await waitFor(
      'ack and insert sent',
      () =>
        upstream.some((m) => m.includes('"parent_msg_id":"1"')) &&
        upstream.some((m) => m.includes('"operation":"insert"')),
    );
  });
});
