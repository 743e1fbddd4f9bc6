import 'reflect-metadata';
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface CsrBundle {
  /** The certificate request, DER: the body of `GET /edge.crt`. */
  csrDer: Buffer;
  /** The private key, PEM `EC PRIVATE KEY` (SEC1), as EdgeCore stores it. */
  keyPem: string;
}

/**
 * An ECDSA P-256 key and a CSR with EdgeCore's subject (protocol.md §1.4):
 * `C=CN, ST=Zhejiang, L=Hangzhou, O=system:nodes, CN=system:node:<name>`, no SANs.
 */
export async function createNodeCsr(nodeName: string): Promise<CsrBundle> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(alg, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `C=CN, ST=Zhejiang, L=Hangzhou, O=system:nodes, CN=system:node:${nodeName}`,
    keys: keys as unknown as CryptoKeyPairLike,
    signingAlgorithm: alg,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'sec1' })
    .toString();
  return { csrDer: Buffer.from(csr.rawData), keyPem };
}

type CryptoKeyPairLike = Parameters<
  typeof x509.Pkcs10CertificateRequestGenerator.create
>[0]['keys'];

export interface CertificateInfo {
  subject: string;
  commonName: string | undefined;
  issuer: string;
  notAfter: Date;
  fingerprint256: string;
}

export function certificateInfo(cert: Buffer | string): CertificateInfo {
  const c = new X509Certificate(cert);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(c.subject)?.[1];
  return {
    subject: c.subject,
    commonName: cn,
    issuer: c.issuer,
    notAfter: new Date(c.validTo),
    fingerprint256: c.fingerprint256,
  };
}

export function derToPem(der: Buffer, label = 'CERTIFICATE'): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}
