/**
 * EMBEDDED CONTROL PLANE ONLY. CloudHub's HTTPS certificate server (protocol.md §1, port 10002):
 * `/ca.crt`, `/edge.crt` (token path and rotation path) and `/node/{name}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { verifyJwt } from '../../protocol/token.js';
import type { ObjectStore } from '../apiserver/store-api.js';
import { LoopbackHttpsServer } from '../https-server.js';
import { signCsr, type CertificateAuthority } from '../pki.js';

export interface CertServerOptions {
  ca: CertificateAuthority;
  store: ObjectStore;
  host?: string;
  port?: number;
  validDays?: number;
}

const MAX_CSR = 1 << 20;

export class CertServer {
  private readonly listener: LoopbackHttpsServer;
  signed = 0;

  constructor(private readonly opts: CertServerOptions) {
    this.listener = new LoopbackHttpsServer(opts.ca, opts.host, opts.port);
  }

  get port(): number {
    return this.listener.port;
  }

  get url(): string {
    return this.listener.url;
  }

  async start(): Promise<void> {
    await this.listener.listen((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) text(res, 500, err instanceof Error ? err.message : String(err));
      });
    });
  }

  close(): Promise<void> {
    return this.listener.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    if (req.method === 'GET' && path === '/ca.crt') {
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': this.opts.ca.certDer.length,
      });
      res.end(this.opts.ca.certDer);
      return;
    }
    if (req.method === 'GET' && path === '/edge.crt') return this.edgeCert(req, res);
    const nodeMatch = /^\/node\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && nodeMatch) {
      const found = this.opts.store.tryGet('nodes', undefined, decodeURIComponent(nodeMatch[1]!));
      text(res, found ? 200 : 404, found ? 'Node found' : 'Node not found');
      return;
    }
    text(res, 404, '404 page not found');
  }

  private async edgeCert(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const nodeName = header(req, 'nodename') ?? '';
    const body = await readBody(req, MAX_CSR);
    if (body === undefined) return text(res, 413, 'request body too large');
    const peer = (req.socket as TLSSocket).getPeerCertificate?.();
    const presented = peer && Object.keys(peer).length > 0;
    if (presented) {
      // Rotation path: the presented certificate must be ours and name this node (protocol.md §1.5).
      const cert = new X509Certificate(peer.raw);
      const ok = cert.verify(new X509Certificate(this.opts.ca.certDer).publicKey);
      const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
      const o = /(?:^|\n)O=([^\n]*)/.exec(cert.subject)?.[1];
      if (!ok) return text(res, 401, 'failed to verify the certificate chain');
      if (o !== 'system:nodes' || cn !== `system:node:${nodeName}`)
        return text(res, 401, 'request node name is not match with the certificate');
    } else {
      const authorization = header(req, 'authorization') ?? '';
      const parts = authorization.split(' ');
      if (authorization === '') return text(res, 401, 'token validation failure, token is empty');
      if (parts.length !== 2)
        return text(res, 401, 'token validation failure, token cannot be split');
      const reason = verifyJwt(parts[1]!, this.opts.ca.keyDer);
      if (reason) return text(res, 401, reason);
    }
    let usages: Array<'serverAuth' | 'clientAuth'> = ['clientAuth'];
    const eku = header(req, 'extkeyusages');
    if (eku) {
      try {
        const codes = JSON.parse(eku) as number[];
        usages = codes.map((c) => (c === 1 ? 'serverAuth' : 'clientAuth'));
      } catch {
        return text(
          res,
          500,
          `failed to sign certs for edgenode ${nodeName}: invalid ExtKeyUsages header`,
        );
      }
    }
    let der: Buffer;
    try {
      der = await signCsr(this.opts.ca, body, usages, this.opts.validDays ?? 365);
    } catch (err) {
      return text(
        res,
        500,
        `failed to sign certs for edgenode ${nodeName}: failed to parse csr: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    this.signed++;
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': der.length,
    });
    res.end(der);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(body);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startCertServer(options: CertServerOptions): Promise<CertServer> {
  const server = new CertServer(options);
  await server.start();
  return server;
}
