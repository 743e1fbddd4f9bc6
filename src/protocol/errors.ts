import { HollowfleetError } from '../common/errors.js';

/** Errors of the cloud–edge protocol layer, each with a stable code and a message that says what to do. */

export class TokenMalformedError extends HollowfleetError {
  constructor(detail: string) {
    super(
      'HF_TOKEN_MALFORMED',
      `the join token is malformed: ${detail}. A KubeEdge token has the form <sha256 of the CA>.<JWT>; ` +
        'get one with `keadm gettoken` or from Secret kubeedge/tokensecret, key tokendata',
    );
  }
}

export class TokenExpiredError extends HollowfleetError {
  readonly expiredAt: Date;
  constructor(expiredAt: Date) {
    super(
      'HF_TOKEN_EXPIRED',
      `the join token expired at ${expiredAt.toISOString()}; get a fresh one with \`keadm gettoken\` or from ` +
        'Secret kubeedge/tokensecret (CloudCore renews it every tokenRefreshDuration, 12 h by default)',
    );
    this.expiredAt = expiredAt;
  }
}

export class CaHashMismatchError extends HollowfleetError {
  constructor(expected: string, actual: string, certServerUrl: string) {
    super(
      'HF_CA_HASH_MISMATCH',
      `the CA served by ${certServerUrl}/ca.crt has SHA-256 ${actual.slice(0, 16)}…, but the token expects ` +
        `${expected.slice(0, 16)}…: the token belongs to another CloudCore, or --cert-server points at the wrong host`,
    );
  }
}

export class CertRequestUnauthorizedError extends HollowfleetError {
  constructor(certServerUrl: string, serverText: string) {
    super(
      'HF_CERT_UNAUTHORIZED',
      `${certServerUrl}/edge.crt refused the token (401): ${serverText.trim() || '(no reason given)'}; ` +
        'check that the token is current and belongs to this CloudCore',
    );
  }
}

export class CertRequestFailedError extends HollowfleetError {
  constructor(url: string, status: number, serverText: string) {
    super(
      'HF_CERT_REQUEST_FAILED',
      `${url} answered HTTP ${status}: ${serverText.trim() || '(empty body)'}`,
    );
  }
}

export class EndpointUnreachableError extends HollowfleetError {
  constructor(what: string, host: string, port: number, cause: string) {
    super(
      'HF_ENDPOINT_UNREACHABLE',
      `cannot reach ${what} at ${host}:${port} (${cause}); check the address and port, that the service is ` +
        'running, and that a firewall or load balancer lets the connection through',
    );
  }
}

export class TlsHandshakeError extends HollowfleetError {
  constructor(what: string, host: string, port: number, detail: string) {
    super('HF_TLS', `TLS handshake with ${what} at ${host}:${port} failed: ${detail}`);
  }
}

export class InvalidNodeNameError extends HollowfleetError {
  constructor(name: string, why: string) {
    super(
      'HF_NODE_NAME',
      `node name "${name}" is not a valid DNS-1123 subdomain: ${why} (valid example: "hollow-0-00001")`,
    );
  }
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
]);

/** Maps a Node.js socket or TLS error to one of the errors above. */
export function classifyNetworkError(
  err: unknown,
  target: { host: string; port: number; what: string },
): HollowfleetError {
  if (err instanceof HollowfleetError) return err;
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (UNREACHABLE_CODES.has(code))
    return new EndpointUnreachableError(target.what, target.host, target.port, code);
  if (
    /certificate required/i.test(message) ||
    code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'
  ) {
    return new TlsHandshakeError(
      target.what,
      target.host,
      target.port,
      'the server requires a client certificate and none was presented; bootstrap a certificate first (token + /edge.crt) or pass --cert/--key',
    );
  }
  if (
    /self[- ]signed|unable to verify|unable to get local issuer|certificate has expired|Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME_INVALID/i.test(
      message,
    ) ||
    code.startsWith('ERR_TLS') ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'CERT_HAS_EXPIRED'
  ) {
    return new TlsHandshakeError(
      target.what,
      target.host,
      target.port,
      `the server certificate did not verify against the CloudCore CA (${code || message}); if you dial a load ` +
        'balancer whose address is not in the certificate, pass --tls-server-name with a name that is; ' +
        '--insecure-skip-tls-verify turns verification off',
    );
  }
  if (/alert|handshake|SSL/i.test(message))
    return new TlsHandshakeError(target.what, target.host, target.port, message);
  return new EndpointUnreachableError(target.what, target.host, target.port, code || message);
}
