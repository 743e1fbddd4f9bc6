import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bootstrapIdentity, type HttpsTarget, type Identity } from './bootstrap.js';
import { caHashOf, parseJoinToken } from './token.js';
import { certificateInfo } from './csr.js';

/**
 * `shared`: one certificate for the whole fleet (valid while CloudCore's authorization is off, the
 * default). `per-node`: one certificate per node name, CN `system:node:<name>`, for
 * `authorization.enable: true` (protocol.md §1.6).
 */
export type CertStrategy = 'shared' | 'per-node';

export interface CertStoreOptions extends HttpsTarget {
  token: string;
  strategy: CertStrategy;
  /** Cache directory; default `~/.cache/hollowfleet/certs`. */
  dir?: string;
  /** Name used for the shared identity's CSR. */
  sharedName?: string;
  now?: () => number;
}

const SHARED_KEY = '_shared';

/** Renew within the last tenth of a year-long certificate, as EdgeCore rotates at 70–90 %. */
export const RENEW_BEFORE_MS = 36.5 * 86_400_000;

export function defaultCertDir(): string {
  return path.join(os.homedir(), '.cache', 'hollowfleet', 'certs');
}

/**
 * Identities cached on disk (0600 files in 0700 folders) keyed by CA hash and node name, so a rerun
 * does not bootstrap thousands of nodes again.
 */
export class CertStore {
  private readonly inFlight = new Map<string, Promise<Identity>>();
  private readonly dir: string;
  private readonly caHash: string;
  private readonly now: () => number;
  bootstraps = 0;

  constructor(private readonly options: CertStoreOptions) {
    this.caHash = parseJoinToken(options.token).caHash;
    this.dir = path.join(options.dir ?? defaultCertDir(), this.caHash.slice(0, 16));
    this.now = options.now ?? Date.now;
  }

  /** The identity for a node (or the shared one), bootstrapping only when nothing usable is cached. */
  getOrBootstrap(nodeName: string): Promise<Identity> {
    return this.obtain(nodeName, false);
  }

  /**
   * Bootstraps again whatever is cached (the certificate expired or was revoked mid-run); an expired
   * join token fails here with HF_TOKEN_EXPIRED and the cached identity stays in use.
   */
  renew(nodeName: string): Promise<Identity> {
    return this.obtain(nodeName, true);
  }

  /** When an identity should be renewed (ms since the epoch). */
  renewAt(identity: Identity): number {
    return identity.notAfter.getTime() - RENEW_BEFORE_MS;
  }

  private obtain(nodeName: string, force: boolean): Promise<Identity> {
    const key = this.options.strategy === 'shared' ? SHARED_KEY : nodeName;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const promise = (force ? Promise.resolve(undefined) : this.load(key)).then(async (cached) => {
      if (cached) return cached;
      const csrName = key === SHARED_KEY ? (this.options.sharedName ?? nodeName) : nodeName;
      this.bootstraps++;
      const identity = await bootstrapIdentity({
        ...this.options,
        nodeName: csrName,
        now: this.now(),
      });
      await this.save(key, identity);
      return identity;
    });
    this.inFlight.set(key, promise);
    promise.then(
      () => this.inFlight.delete(key),
      () => this.inFlight.delete(key),
    );
    return promise;
  }

  private files(key: string): { cert: string; key: string; ca: string } {
    return {
      cert: path.join(this.dir, `${key}.crt`),
      key: path.join(this.dir, `${key}.key`),
      ca: path.join(this.dir, 'ca.crt'),
    };
  }

  private async load(key: string): Promise<Identity | undefined> {
    const files = this.files(key);
    try {
      const [certPem, keyPem, caPem] = await Promise.all([
        readFile(files.cert, 'utf8'),
        readFile(files.key, 'utf8'),
        readFile(files.ca, 'utf8'),
      ]);
      const caDer = Buffer.from(caPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
      if (caHashOf(caDer) !== this.caHash) return undefined;
      const cert = certificateInfo(certPem);
      const lifetimeLeft = cert.notAfter.getTime() - this.now();
      if (lifetimeLeft < RENEW_BEFORE_MS) return undefined;
      return { caPem, caDer, certPem, keyPem, caHash: this.caHash, notAfter: cert.notAfter };
    } catch {
      return undefined;
    }
  }

  private async save(key: string, identity: Identity): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const files = this.files(key);
    await writeAtomic(files.ca, identity.caPem);
    await writeAtomic(files.cert, identity.certPem);
    await writeAtomic(files.key, identity.keyPem);
  }
}

async function writeAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  await rename(tmp, file);
}
