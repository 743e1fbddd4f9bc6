import tls from 'node:tls';

export interface TlsIdentity {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * One SecureContext per identity, built once and shared by every connection that uses it: passing
 * key/cert/ca per connect builds a context per socket (+33 KiB and +2–3 ms each, wslimit.md).
 */
export function createClientContext(identity: TlsIdentity): tls.SecureContext {
  return tls.createSecureContext({
    ca: identity.caPem,
    cert: identity.certPem,
    key: identity.keyPem,
    minVersion: 'TLSv1.2',
  });
}

export interface ClientTlsOptions {
  secureContext: tls.SecureContext;
  /** Name checked against the server certificate (and sent as SNI) when the dialled address is not in it. */
  servername?: string;
  insecureSkipVerify?: boolean;
}

export function connectOptionsFor(options: ClientTlsOptions): tls.ConnectionOptions {
  const result: tls.ConnectionOptions = {
    secureContext: options.secureContext,
    rejectUnauthorized: options.insecureSkipVerify !== true,
    ALPNProtocols: ['http/1.1'],
    minVersion: 'TLSv1.2',
  };
  if (options.servername) {
    result.servername = options.servername;
    const expected = options.servername;
    result.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(expected, cert);
  }
  return result;
}
