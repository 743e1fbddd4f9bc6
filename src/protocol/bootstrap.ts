import https from 'node:https';
import { certificateInfo, createNodeCsr, derToPem } from './csr.js';
import {
  CertRequestFailedError,
  CertRequestUnauthorizedError,
  classifyNetworkError,
} from './errors.js';
import { assertValidNodeName } from './node-name.js';
import { assertTokenFresh, parseJoinToken, verifyCaHash } from './token.js';

const MAX_BODY = 1 << 20;

export interface Identity {
  caPem: string;
  caDer: Buffer;
  certPem: string;
  keyPem: string;
  caHash: string;
  notAfter: Date;
}

export interface HttpsTarget {
  certServerUrl: string;
  timeoutMs?: number;
  /** Name to verify the cert server's certificate against, when the URL's host is not in it. */
  tlsServerName?: string;
  /** Explicit opt-out of server verification (never the default). */
  insecureSkipVerify?: boolean;
}

interface RawResponse {
  status: number;
  body: Buffer;
}

function request(
  url: URL,
  options: {
    headers?: Record<string, string | number>;
    body?: Buffer;
    ca?: string;
    verify: boolean;
    servername?: string;
    timeoutMs: number;
  },
  what: string,
): Promise<RawResponse> {
  const port = Number(url.port || 443);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: url.hostname,
        port,
        path: url.pathname,
        // /edge.crt is a GET with a body (protocol.md §1.4): fetch() refuses that, https.request does not.
        method: 'GET',
        headers: {
          ...(options.headers ?? {}),
          ...(options.body ? { 'Content-Length': options.body.length } : {}),
        },
        ca: options.ca,
        rejectUnauthorized: options.verify,
        servername: options.servername,
        timeout: options.timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY) {
            req.destroy(new Error(`response from ${what} is larger than 1 MiB`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
    );
    req.on('error', (err) => reject(classifyNetworkError(err, { host: url.hostname, port, what })));
    req.end(options.body);
  });
}

function parseUrl(base: string, path: string): URL {
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  return url;
}

/** `GET /ca.crt`: the CA certificate as raw DER. Not verified here, as EdgeCore does not: the token's hash checks it. */
export async function fetchCaCertificate(target: HttpsTarget): Promise<Buffer> {
  const url = parseUrl(target.certServerUrl, 'ca.crt');
  const res = await request(
    url,
    { verify: false, timeoutMs: target.timeoutMs ?? 30_000 },
    'the certificate server',
  );
  if (res.status !== 200)
    throw new CertRequestFailedError(url.toString(), res.status, res.body.toString('utf8'));
  return res.body;
}

export interface EdgeCertRequest extends HttpsTarget {
  caDer: Buffer;
  jwt: string;
  nodeName: string;
  csrDer: Buffer;
}

/** `GET /edge.crt` with the DER CSR as body; never presents a client certificate (that forces the rotation path). */
export async function requestEdgeCertificate(req: EdgeCertRequest): Promise<Buffer> {
  const url = parseUrl(req.certServerUrl, 'edge.crt');
  const res = await request(
    url,
    {
      headers: {
        Authorization: `Bearer ${req.jwt}`,
        NodeName: req.nodeName,
        'Content-Type': 'application/octet-stream',
      },
      body: req.csrDer,
      ca: derToPem(req.caDer),
      verify: req.insecureSkipVerify !== true,
      servername: req.tlsServerName,
      timeoutMs: req.timeoutMs ?? 30_000,
    },
    'the certificate server',
  );
  if (res.status === 401)
    throw new CertRequestUnauthorizedError(req.certServerUrl, res.body.toString('utf8'));
  if (res.status !== 200)
    throw new CertRequestFailedError(url.toString(), res.status, res.body.toString('utf8'));
  return res.body;
}

export interface BootstrapOptions extends HttpsTarget {
  token: string;
  nodeName: string;
  now?: number;
}

/** The whole token bootstrap of protocol.md §0.1: token → /ca.crt → hash check → key + CSR → /edge.crt. */
export async function bootstrapIdentity(options: BootstrapOptions): Promise<Identity> {
  assertValidNodeName(options.nodeName);
  const token = parseJoinToken(options.token);
  assertTokenFresh(token, options.now);
  const caDer = await fetchCaCertificate(options);
  verifyCaHash(token, caDer, options.certServerUrl);
  const { csrDer, keyPem } = await createNodeCsr(options.nodeName);
  const certDer = await requestEdgeCertificate({ ...options, caDer, jwt: token.jwt, csrDer });
  return {
    caDer,
    caPem: derToPem(caDer),
    certPem: derToPem(certDer),
    keyPem,
    caHash: token.caHash,
    notAfter: certificateInfo(certDer).notAfter,
  };
}
