/**
 * EMBEDDED CONTROL PLANE ONLY. An HTTPS listener on loopback with a certificate from the embedded CA,
 * optional client certificates, and a close() that drops every open connection.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { issueLoopbackServerCertificate, type CertificateAuthority } from './pki.js';

export class LoopbackHttpsServer {
  private server: https.Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly ca: CertificateAuthority,
    private readonly host = '127.0.0.1',
    private readonly listenPort = 0,
  ) {}

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  get url(): string {
    return `https://${this.host}:${this.port}`;
  }

  /** Listens with `handler`; client certificates are requested but verified by the handler. */
  async listen(
    handler: (req: IncomingMessage, res: ServerResponse) => void,
  ): Promise<https.Server> {
    const cert = await issueLoopbackServerCertificate(this.ca);
    const server = https.createServer(
      {
        key: cert.keyPem,
        cert: cert.certPem,
        ca: this.ca.certPem,
        requestCert: true,
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
      },
      handler,
    );
    server.keepAliveTimeout = 60_000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, this.host, () => resolve());
    });
    this.server = server;
    return server;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
