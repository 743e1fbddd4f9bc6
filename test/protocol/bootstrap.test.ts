import { mkdtemp, readdir, stat } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bootstrapIdentity, requestEdgeCertificate } from '../../src/protocol/bootstrap.js';
import { CertStore } from '../../src/protocol/cert-store.js';
import { createNodeCsr } from '../../src/protocol/csr.js';
import { classifyNetworkError } from '../../src/protocol/errors.js';
import { mintJoinToken, mintJwt, parseJoinToken } from '../../src/protocol/token.js';
import { startHubFixture, type HubFixture } from '../helpers/embedded.js';

let f: HubFixture;
beforeAll(async () => {
  f = await startHubFixture();
});
afterAll(async () => f.close());

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('certificate bootstrap', () => {
  it('creates an ECDSA P-256 CSR with EdgeCore subject', async () => {
    const { csrDer, keyPem } = await createNodeCsr('hollow-0-00001');
    const csr = new x509.Pkcs10CertificateRequest(csrDer);
    expect(csr.subject).toContain('CN=system:node:hollow-0-00001');
    expect(csr.subject).toContain('O=system:nodes');
    expect((csr.publicKey.algorithm as { namedCurve?: string }).namedCurve).toBe('P-256');
    expect(keyPem).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
  });

  it('bootstraps a client certificate: /ca.crt hash check, then /edge.crt as a GET with a DER body', async () => {
    const identity = await bootstrapIdentity({
      certServerUrl: f.certServer.url,
      token: f.token,
      nodeName: 'hollow-0-00001',
    });
    const cert = new X509Certificate(identity.certPem);
    expect(cert.subject).toBe('O=system:nodes\nCN=system:node:hollow-0-00001');
    expect(cert.checkIssued(new X509Certificate(identity.caDer))).toBe(true);
    expect(identity.caHash).toBe(parseJoinToken(f.token).caHash);
    expect(identity.notAfter.getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
  });

  it('reports a 401 with the server text, a CA hash mismatch and an unreachable port', async () => {
    const { csrDer } = await createNodeCsr('n1');
    const unauthorized = await rejection(
      requestEdgeCertificate({
        certServerUrl: f.certServer.url,
        caDer: f.ca.certDer,
        jwt: mintJwt(Buffer.from('wrong key'), 2e9),
        nodeName: 'n1',
        csrDer,
      }),
    );
    expect(unauthorized.code).toBe('HF_CERT_UNAUTHORIZED');
    expect(unauthorized.message).toContain('token signature is invalid');
    const otherCa = mintJoinToken(
      Buffer.from('another CA'),
      f.ca.keyDer,
      Math.floor(Date.now() / 1000) + 60,
    );
    const mismatch = await rejection(
      bootstrapIdentity({ certServerUrl: f.certServer.url, token: otherCa, nodeName: 'n1' }),
    );
    expect(mismatch.code).toBe('HF_CA_HASH_MISMATCH');
    const refused = await rejection(
      bootstrapIdentity({ certServerUrl: 'https://127.0.0.1:1', token: f.token, nodeName: 'n1' }),
    );
    expect(refused.code).toBe('HF_ENDPOINT_UNREACHABLE');
    expect(refused.message).toContain('127.0.0.1:1');
    const expired = await rejection(
      bootstrapIdentity({
        certServerUrl: f.certServer.url,
        token: mintJoinToken(f.ca.certDer, f.ca.keyDer, 1000),
        nodeName: 'n1',
      }),
    );
    expect(expired.code).toBe('HF_TOKEN_EXPIRED');
  });

  it('answers the token-less rotation path only for the node the certificate names', async () => {
    const identity = await bootstrapIdentity({
      certServerUrl: f.certServer.url,
      token: f.token,
      nodeName: 'rotating',
    });
    const { csrDer } = await createNodeCsr('rotating');
    const ask = (nodeName: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL('/edge.crt', f.certServer.url);
        const req = https.request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'GET',
            ca: identity.caPem,
            cert: identity.certPem,
            key: identity.keyPem,
            headers: { NodeName: nodeName, 'Content-Length': csrDer.length },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(csrDer);
      });
    expect(await ask('rotating')).toBe(200);
    expect(await ask('someone-else')).toBe(401);
  });

  it('caches identities on disk with mode 0600 and does not bootstrap again', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hf-certs-'));
    const store = new CertStore({
      certServerUrl: f.certServer.url,
      token: f.token,
      strategy: 'shared',
      dir,
    });
    const before = f.certServer.signed;
    const [a, b] = await Promise.all([store.getOrBootstrap('n1'), store.getOrBootstrap('n2')]);
    expect(a.certPem).toBe(b.certPem);
    expect(f.certServer.signed).toBe(before + 1);
    const again = new CertStore({
      certServerUrl: 'https://127.0.0.1:1',
      token: f.token,
      strategy: 'shared',
      dir,
    });
    expect((await again.getOrBootstrap('n3')).certPem).toBe(a.certPem);
    const sub = path.join(dir, parseJoinToken(f.token).caHash.slice(0, 16));
    expect((await stat(sub)).mode & 0o777).toBe(0o700);
    for (const file of await readdir(sub))
      expect((await stat(path.join(sub, file))).mode & 0o777, file).toBe(0o600);
    const perNode = new CertStore({
      certServerUrl: f.certServer.url,
      token: f.token,
      strategy: 'per-node',
      dir,
    });
    const p1 = await perNode.getOrBootstrap('node-a');
    expect(new X509Certificate(p1.certPem).subject).toContain('CN=system:node:node-a');
  });

  it('classifies a WebSocket handshake without a client certificate as a missing certificate', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${f.hubs[0]!.port}/`, {
      ca: f.ca.certPem,
      servername: 'localhost',
    } as WebSocket.ClientOptions);
    const err = await new Promise<Error>((resolve) => ws.on('error', resolve));
    const classified = classifyNetworkError(err, {
      host: '127.0.0.1',
      port: f.hubs[0]!.port,
      what: 'CloudCore',
    });
    expect(classified.code).toBe('HF_TLS');
    expect(classified.message).toMatch(/client certificate/);
  });
});
