import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { classifyNetworkError } from '../../src/protocol/errors.js';
import { assertValidNodeName } from '../../src/protocol/node-name.js';
import {
  assertTokenFresh,
  caHashOf,
  mintJoinToken,
  mintJwt,
  parseJoinToken,
  verifyCaHash,
  verifyJwt,
} from '../../src/protocol/token.js';

const caDer = Buffer.from('not really a certificate, but hashed the same way');
const key = Buffer.from('ca-key-der');

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'no error';
}

describe('join token', () => {
  it('parses <sha256 of CA DER>.<JWT> and reads exp', () => {
    const token = mintJoinToken(caDer, key, 2_000_000_000);
    const parsed = parseJoinToken(token);
    expect(parsed.caHash).toBe(createHash('sha256').update(caDer).digest('hex'));
    expect(parsed.expiresAt?.toISOString()).toBe('2033-05-18T03:33:20.000Z');
    expect(parsed.jwt.split('.')).toHaveLength(3);
    expect(() => verifyCaHash(parsed, caDer, 'https://cc:10002')).not.toThrow();
    expect(codeOf(() => verifyCaHash(parsed, Buffer.from('other'), 'https://cc:10002'))).toBe(
      'HF_CA_HASH_MISMATCH',
    );
  });

  it.each([
    ['abc', /4 dot-separated parts/],
    ['a.b.c.d.e', /found 5/],
    [`${'0'.repeat(63)}.e30.e30.sig`, /64-character/],
    [`${'0'.repeat(64)}.e30.bm90IGpzb24.sig`, /payload is not base64url-encoded JSON/],
    [
      `${'0'.repeat(64)}.e30.${Buffer.from('{"exp":"x"}').toString('base64url')}.sig`,
      /"exp" is not a number/,
    ],
  ])('rejects %s with a message that says what is wrong', (token, message) => {
    expect(() => parseJoinToken(token)).toThrow(message);
    expect(codeOf(() => parseJoinToken(token))).toBe('HF_TOKEN_MALFORMED');
  });

  it('reports when an expired token expired, without printing the token', () => {
    const token = mintJoinToken(caDer, key, 1_700_000_000);
    try {
      assertTokenFresh(parseJoinToken(token), 1_800_000_000_000);
      expect.unreachable();
    } catch (err) {
      expect((err as Error & { code: string }).code).toBe('HF_TOKEN_EXPIRED');
      expect((err as Error).message).toContain('2023-11-14T22:13:20.000Z');
      expect((err as Error).message).not.toContain(token.split('.')[3]!);
    }
  });

  it('verifies JWTs the way the certificate server does, signature before expiry', () => {
    const now = 1_800_000_000_000;
    expect(verifyJwt(mintJwt(key, 1_900_000_000), key, now)).toBeUndefined();
    expect(verifyJwt('', key, now)).toBe('token validation failure, token is empty');
    expect(verifyJwt('a.b', key, now)).toMatch(/invalid number of segments/);
    expect(verifyJwt(mintJwt(Buffer.from('other'), 1_900_000_000), key, now)).toMatch(
      /signature is invalid/,
    );
    expect(verifyJwt(mintJwt(Buffer.from('other'), 1), key, now)).toMatch(/signature is invalid/);
    expect(verifyJwt(mintJwt(key, 1), key, now)).toMatch(/token is expired/);
    expect(caHashOf(caDer)).toHaveLength(64);
  });
});

describe('node names and network errors', () => {
  it('accepts DNS-1123 subdomains only', () => {
    expect(() => assertValidNodeName('hollow-0-00001')).not.toThrow();
    expect(() => assertValidNodeName('edge.zone-a.example')).not.toThrow();
    for (const bad of ['', 'Upper', '-lead', 'trail-', 'under_score', 'a'.repeat(254)]) {
      expect(
        codeOf(() => assertValidNodeName(bad)),
        bad,
      ).toBe('HF_NODE_NAME');
    }
  });

  it('classifies refused ports and missing client certificates', () => {
    const refused = classifyNetworkError(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      { host: '127.0.0.1', port: 1, what: 'CloudCore' },
    );
    expect(refused.code).toBe('HF_ENDPOINT_UNREACHABLE');
    expect(refused.message).toContain('127.0.0.1:1');
    const certRequired = classifyNetworkError(new Error('tlsv13 alert certificate required'), {
      host: 'h',
      port: 2,
      what: 'CloudCore',
    });
    expect(certRequired.code).toBe('HF_TLS');
    expect(certRequired.message).toMatch(/client certificate/);
    const badServer = classifyNetworkError(
      Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
      { host: 'h', port: 3, what: 'CloudCore' },
    );
    expect(badServer.message).toMatch(/--tls-server-name/);
  });
});
