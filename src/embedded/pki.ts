/**
 * EMBEDDED CONTROL PLANE ONLY. Certificate authority of the embedded stand-in: one ECDSA P-256 CA
 * (like CloudCore's self-signed "KubeEdge" CA), server certificates for loopback listeners, and
 * client-certificate signing from CSRs.
 */
import { createPrivateKey, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN_ALG = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface CertificateAuthority {
  /** CA certificate, DER (what `/ca.crt` serves). */
  certDer: Buffer;
  certPem: string;
  /** CA private key as SEC1 DER: the HMAC key of CloudCore's join tokens (protocol.md §1.2). */
  keyDer: Buffer;
  keyPem: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  subject: string;
}

export interface IssuedCertificate {
  certDer: Buffer;
  certPem: string;
  keyPem: string;
}

async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function exportKey(key: CryptoKey): Promise<{ pem: string; sec1Der: Buffer }> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const keyObject = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return {
    pem: keyObject.export({ format: 'pem', type: 'sec1' }).toString(),
    sec1Der: keyObject.export({ format: 'der', type: 'sec1' }),
  };
}

function toPem(der: Buffer, label = 'CERTIFICATE'): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

export async function createCertificateAuthority(
  commonName = 'KubeEdge',
): Promise<CertificateAuthority> {
  const keys = await generateKeyPair();
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    keys,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 100 * 365 * 86_400_000),
    signingAlgorithm: SIGN_ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certDer = Buffer.from(cert.rawData);
  const key = await exportKey(keys.privateKey);
  return {
    certDer,
    certPem: toPem(certDer),
    keyDer: key.sec1Der,
    keyPem: key.pem,
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    subject: `CN=${commonName}`,
  };
}

export interface IssueOptions {
  /** Distinguished name, e.g. `CN=system:node:n1, O=system:nodes`. */
  subject: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  usages: Array<'serverAuth' | 'clientAuth'>;
  validDays?: number;
  /** Back-date notBefore/notAfter, for expiry tests. */
  notAfter?: Date;
}

/** Issues a certificate for a fresh key pair (server certificates, pre-minted client identities). */
export async function issueCertificate(
  ca: CertificateAuthority,
  options: IssueOptions,
): Promise<IssuedCertificate> {
  const keys = await generateKeyPair();
  const certDer = await signPublicKey(ca, keys.publicKey, options);
  const key = await exportKey(keys.privateKey);
  return { certDer, certPem: toPem(certDer), keyPem: key.pem };
}

/**
 * Signs a DER CSR the way CloudCore's `/edge.crt` does (protocol.md §1.4): only CN, O, SANs and the
 * public key are copied, the CSR signature is not checked, usages default to clientAuth.
 */
export async function signCsr(
  ca: CertificateAuthority,
  csrDer: Buffer,
  usages: Array<'serverAuth' | 'clientAuth'> = ['clientAuth'],
  validDays = 365,
): Promise<Buffer> {
  const csr = new x509.Pkcs10CertificateRequest(csrDer);
  const cn = csr.subjectName.getField('CN')[0];
  const o = csr.subjectName.getField('O')[0];
  const parts: string[] = [];
  if (o !== undefined) parts.push(`O=${escapeDn(o)}`);
  if (cn !== undefined) parts.push(`CN=${escapeDn(cn)}`);
  const san = csr.extensions.find(
    (e): e is x509.SubjectAlternativeNameExtension =>
      e instanceof x509.SubjectAlternativeNameExtension,
  );
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const name of san?.names.items ?? []) {
    if (name.type === 'dns') dnsNames.push(name.value);
    else if (name.type === 'ip') ipAddresses.push(name.value);
  }
  const publicKey = await csr.publicKey.export(EC_ALG, ['verify']);
  return signPublicKey(ca, publicKey, {
    subject: parts.join(', '),
    dnsNames,
    ipAddresses,
    usages,
    validDays,
  });
}

function escapeDn(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1');
}

async function signPublicKey(
  ca: CertificateAuthority,
  publicKey: CryptoKey,
  options: IssueOptions,
): Promise<Buffer> {
  const now = Date.now();
  const notAfter = options.notAfter ?? new Date(now + (options.validDays ?? 365) * 86_400_000);
  const notBefore = new Date(Math.min(now - 60_000, notAfter.getTime() - 60_000));
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension(
      options.usages.map((u) =>
        u === 'serverAuth' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
      ),
    ),
    await x509.AuthorityKeyIdentifierExtension.create(ca.publicKey),
  ];
  const altNames: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames));
  const cert = await x509.X509CertificateGenerator.create({
    subject: options.subject,
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: SIGN_ALG,
    extensions,
  });
  return Buffer.from(cert.rawData);
}

/** Loopback server certificate: `localhost`, 127.0.0.1 and ::1. */
export function issueLoopbackServerCertificate(
  ca: CertificateAuthority,
  extraNames: string[] = [],
): Promise<IssuedCertificate> {
  return issueCertificate(ca, {
    subject: 'CN=hollowfleet-embedded',
    dnsNames: ['localhost', ...extraNames],
    ipAddresses: ['127.0.0.1', '::1'],
    usages: ['serverAuth'],
  });
}

export function describeCertificate(der: Buffer): {
  subject: string;
  validTo: string;
  fingerprint256: string;
} {
  const c = new NodeX509(der);
  return { subject: c.subject, validTo: c.validTo, fingerprint256: c.fingerprint256 };
}

/** Loads a CA written by an earlier embedded control plane, so several processes share one CA. */
export async function loadCertificateAuthority(
  certPem: string,
  keyPem: string,
): Promise<CertificateAuthority> {
  const cert = new NodeX509(certPem);
  const keyObject = createPrivateKey(keyPem);
  const privateKey = await webcrypto.subtle.importKey(
    'pkcs8',
    keyObject.export({ format: 'der', type: 'pkcs8' }),
    EC_ALG,
    true,
    ['sign'],
  );
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    cert.publicKey.export({ format: 'der', type: 'spki' }),
    EC_ALG,
    true,
    ['verify'],
  );
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? 'KubeEdge';
  return {
    certDer: Buffer.from(cert.raw),
    certPem: toPem(Buffer.from(cert.raw)),
    keyDer: keyObject.export({ format: 'der', type: 'sec1' }),
    keyPem: keyObject.export({ format: 'pem', type: 'sec1' }).toString(),
    privateKey,
    publicKey,
    subject: `CN=${cn}`,
  };
}
