import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import fc from 'fast-check';
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
import { decodeMessage, FrameDecodeError } from '../../src/protocol/codec.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Pod-shaped content whose fields have arbitrary types: what a buggy or hostile cloud might push. */
const podLike = fc.record(
  {
    metadata: fc.record(
      {
        uid: fc.oneof(fc.string(), fc.anything()),
        name: fc.anything(),
        namespace: fc.anything(),
        deletionTimestamp: fc.anything(),
      },
      { requiredKeys: [] },
    ),
    spec: fc.oneof(
      fc.anything(),
      fc.record(
        { containers: fc.anything(), initContainers: fc.anything(), hostNetwork: fc.anything() },
        { requiredKeys: [] },
      ),
    ),
    status: fc.anything(),
  },
  { requiredKeys: [] },
);

/** Beehive-shaped messages with arbitrary values in every field. */
const messageLike = fc
  .record(
    {
      header: fc.oneof(
        fc.anything(),
        fc.record(
          {
            msg_id: fc.oneof(fc.string(), fc.anything()),
            parent_msg_id: fc.oneof(fc.string(), fc.anything()),
            timestamp: fc.oneof(fc.integer(), fc.double(), fc.string()),
            resourceversion: fc.anything(),
            sync: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
      ),
      route: fc.oneof(
        fc.anything(),
        fc.record(
          {
            operation: fc.oneof(
              fc.constantFrom(
                'insert',
                'update',
                'delete',
                'response',
                'query',
                'keepalive',
                'patch',
              ),
              fc.anything(),
            ),
            resource: fc.oneof(
              fc.constantFrom(
                'default/pod/p',
                'null/node/hollow-0-00000',
                'default/configmap/c',
                'default/secret/s',
                'bad',
                '',
              ),
              fc.string(),
            ),
            source: fc.string(),
            group: fc.string(),
          },
          { requiredKeys: [] },
        ),
      ),
      content: fc.oneof(
        podLike,
        podLike.map((p) => JSON.stringify(p)),
        fc.anything(),
      ),
    },
    { requiredKeys: [] },
  )
  .map((m) => JSON.stringify(m) ?? 'undefined');

const frames: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.json(),
  messageLike,
  messageLike.map((m) => `${m}\n${m}`),
  messageLike.map((m) => m.slice(0, Math.floor(m.length / 2))),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
);

function decodes(frame: string | Buffer): boolean {
  try {
    decodeMessage(frame);
    return true;
  } catch {
    return false;
  }
}

describe('robustness against random and malformed frames', () => {
  it('the frame decoder returns a message with header and route objects or throws FrameDecodeError', () => {
    fc.assert(
      fc.property(frames, (frame) => {
        let msg;
        try {
          msg = decodeMessage(frame);
        } catch (err) {
          expect(err).toBeInstanceOf(FrameDecodeError);
          return;
        }
        expect(typeof msg.header).toBe('object');
        expect(msg.header).not.toBeNull();
        expect(typeof msg.route).toBe('object');
        expect(msg.route).not.toBeNull();
        expect('content' in msg).toBe(true);
      }),
      { numRuns: 3000, seed: 20261125 },
    );
  });

  it('a hollow node survives a stream of random frames, counts them as protocol errors and keeps serving', async () => {
    const hostile = (content: unknown, operation = 'insert') =>
      JSON.stringify({
        header: {
          msg_id: `h-${operation}-${JSON.stringify(content).length}`,
          timestamp: Date.now(),
        },
        route: { operation, resource: 'default/pod/p' },
        content,
      });
    const sample: Array<string | Buffer> = [
      // Well-framed pushes with fields of the wrong type, which random generation rarely hits.
      hostile({ metadata: { uid: 'u1' }, spec: { containers: 'not-a-list' } }),
      hostile({ metadata: { uid: 'u2' }, spec: { containers: [null, 7, { name: 3 }] } }),
      hostile({ metadata: { uid: 'u3' }, spec: { initContainers: {} } }),
      hostile({ metadata: { uid: 'u4', deletionTimestamp: 5 }, spec: 'x' }, 'update'),
      hostile({ metadata: { uid: 'u5' }, status: { conditions: 'x' } }),
      hostile('{"metadata":{"uid":"u6"},"spec":{"containers":{"length":2}}}'),
      ...fc.sample(frames, { numRuns: 400, seed: 7 }),
    ];
    const undecodable = sample.filter((f) => !decodes(f)).length;
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
    wss.on('connection', (ws) => {
      ws.on('message', (d) => upstream.push(d.toString()));
      for (const frame of sample) ws.send(frame, { binary: Buffer.isBuffer(frame) });
      // A well-formed push last: its ack proves the node read everything before it and is alive.
      ws.send(
        JSON.stringify({
          header: { msg_id: 'sentinel', timestamp: Date.now() },
          route: {
            source: 'edgecontroller',
            group: 'resource',
            operation: 'update',
            resource: 'default/configmap/c',
          },
          content: { metadata: { name: 'c', namespace: 'default' } },
        }),
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
    await waitFor('sentinel acked', () =>
      upstream.some((m) => m.includes('"parent_msg_id":"sentinel"')),
    );
    expect(undecodable).toBeGreaterThan(100);
    expect(sink.counter('protocolErrors')).toBeGreaterThanOrEqual(undecodable);
    expect(sink.counter('disconnects')).toBe(0);
    expect(node.state).toBe('registering');
  });
});
