import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { CaHashMismatchError, TokenExpiredError, TokenMalformedError } from './errors.js';

/**
 * CloudCore's join token: `<lowercase hex sha256 of the CA DER>.<HS256 JWT>` whose only claim is
 * `exp`, HMAC-keyed with the CA private key's DER bytes (protocol.md §1.2).
 */
export interface JoinToken {
  caHash: string;
  jwt: string;
  expiresAt: Date | undefined;
}

export function parseJoinToken(token: string): JoinToken {
  const parts = token.trim().split('.');
  if (parts.length !== 4) {
    throw new TokenMalformedError(
      `expected 4 dot-separated parts (hash and the 3 JWT parts), found ${parts.length}`,
    );
  }
  const [caHash, header, payload, signature] = parts as [string, string, string, string];
  if (!/^[0-9a-f]{64}$/.test(caHash))
    throw new TokenMalformedError('the first part is not a 64-character lowercase hex SHA-256');
  const claims = decodeJwtPart(payload, 'payload');
  decodeJwtPart(header, 'header');
  if (signature.length === 0) throw new TokenMalformedError('the JWT has no signature');
  const exp = (claims as { exp?: unknown }).exp;
  if (exp !== undefined && typeof exp !== 'number')
    throw new TokenMalformedError('the JWT claim "exp" is not a number');
  return {
    caHash,
    jwt: `${header}.${payload}.${signature}`,
    expiresAt: typeof exp === 'number' ? new Date(exp * 1000) : undefined,
  };
}

function decodeJwtPart(part: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    if (value === null || typeof value !== 'object') throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new TokenMalformedError(`the JWT ${what} is not base64url-encoded JSON`);
  }
}

export function assertTokenFresh(token: JoinToken, now: number = Date.now()): void {
  if (token.expiresAt && token.expiresAt.getTime() <= now)
    throw new TokenExpiredError(token.expiresAt);
}

export function caHashOf(caDer: Buffer): string {
  return createHash('sha256').update(caDer).digest('hex');
}

export function verifyCaHash(token: JoinToken, caDer: Buffer, certServerUrl: string): void {
  const actual = caHashOf(caDer);
  if (actual !== token.caHash) throw new CaHashMismatchError(token.caHash, actual, certServerUrl);
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** Mints a token the way CloudCore does (used by the embedded hub and by tests). */
export function mintJoinToken(caDer: Buffer, caKeyDer: Buffer, expiresAtSeconds: number): string {
  return `${caHashOf(caDer)}.${mintJwt(caKeyDer, expiresAtSeconds)}`;
}

export function mintJwt(key: Buffer, expiresAtSeconds: number): string {
  const signingInput = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify({ exp: expiresAtSeconds }))}`;
  return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
}

/**
 * Server-side check of a JWT as CloudCore's /edge.crt does it. Returns undefined when valid, else the
 * reason text CloudCore answers with a 401. The signature is checked before `exp`, as there.
 */
export function verifyJwt(jwt: string, key: Buffer, now: number = Date.now()): string | undefined {
  if (jwt === '') return 'token validation failure, token is empty';
  const parts = jwt.split('.');
  if (parts.length !== 3)
    return 'token validation failure, err: token is malformed: token contains an invalid number of segments';
  const [header, payload, signature] = parts as [string, string, string];
  let headerJson: { alg?: unknown };
  let claims: { exp?: unknown };
  try {
    headerJson = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown };
  } catch {
    return 'token validation failure, err: token is malformed: could not JSON decode header';
  }
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
  } catch {
    return 'token validation failure, err: token is malformed: could not JSON decode claim';
  }
  if (typeof headerJson.alg !== 'string' || !headerJson.alg.startsWith('HS')) {
    return 'token validation failure, err: token is unverifiable: error while executing keyfunc: unexpected signing method';
  }
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return 'token validation failure, err: token signature is invalid: signature is invalid';
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= now) {
    return 'token validation failure, err: token has invalid claims: token is expired';
  }
  return undefined;
}
