/**
 * CL2's automanaged namespaces (pkg/framework/framework.go): `<prefix>-1..<prefix>-N`, created
 * before the steps and deleted after them with background propagation, waiting until they are gone
 * or deleteNamespaceTimeout passes. Deletion is idempotent and safe to call on failure or abort.
 */
import { ConfigError, HollowfleetError } from '../common/errors.js';
import { KubeApiError, type KubeApi } from '../kube/api.js';
import type { NamespaceConfig } from './config.js';
import { timerSleep } from './tuning-sets.js';

export class NamespaceError extends HollowfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HF_NAMESPACE', message, options);
  }
}

export interface NamespaceDeletion {
  /** Namespaces that are gone. */
  deleted: string[];
  /** Namespaces still present (terminating) when the wait ended. */
  remaining: string[];
  timedOut: boolean;
  errors: string[];
}

export interface AutomanagedNamespacesOptions {
  pollIntervalMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface NamespaceList {
  items?: Array<{ metadata?: { name?: string } }>;
}

export class AutomanagedNamespaces {
  /** The namespaces this run created (only those are deleted). */
  private readonly created = new Set<string>();
  private readonly pollIntervalMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    private readonly kube: KubeApi,
    readonly config: NamespaceConfig,
    options: AutomanagedNamespacesOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? timerSleep;
  }

  get names(): string[] {
    const out: string[] = [];
    for (let i = 1; i <= this.config.number; i++) out.push(`${this.config.prefix}-${i}`);
    return out;
  }

  private async existing(): Promise<Set<string>> {
    const list = await this.kube.request<NamespaceList>({
      method: 'GET',
      path: '/api/v1/namespaces',
    });
    return new Set((list.items ?? []).map((n) => n.metadata?.name ?? ''));
  }

  /**
   * Creates the namespaces. A namespace that already exists is an error unless
   * enableExistingNamespaces is set; with deleteStaleNamespaces, leftovers of an earlier run with
   * the same prefix are deleted (and awaited) first.
   */
  async create(signal?: AbortSignal): Promise<string[]> {
    let existing = await this.existing();
    const wanted = this.names;
    if (this.config.deleteStaleNamespaces) {
      const stale = [...existing].filter((n) => isAutomanagedName(n, this.config.prefix));
      if (stale.length > 0) {
        const outcome = await this.deleteAndWait(stale, signal);
        if (outcome.remaining.length > 0)
          throw new NamespaceError(
            `stale namespaces ${outcome.remaining.join(', ')} still terminating after ${this.config.deleteNamespaceTimeoutMs} ms; wait and run again`,
          );
        existing = await this.existing();
      }
    }
    const clash = wanted.filter((n) => existing.has(n));
    if (clash.length > 0 && !this.config.enableExistingNamespaces)
      throw new ConfigError(
        `automanaged namespace ${clash[0]} already exists${clash.length > 1 ? ` (and ${clash.length - 1} more)` : ''}; ` +
          'set namespace.enableExistingNamespaces: true to reuse them, namespace.deleteStaleNamespaces: true to delete them first, or choose another namespace.prefix',
      );
    for (const name of wanted) {
      if (signal?.aborted) break;
      if (existing.has(name)) continue;
      try {
        await this.kube.request({
          method: 'POST',
          path: '/api/v1/namespaces',
          body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
        });
        this.created.add(name);
      } catch (err) {
        if (err instanceof KubeApiError && err.isAlreadyExists) continue;
        throw new NamespaceError(`creating namespace ${name}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    return wanted;
  }

  /**
   * Deletes the namespaces this run created (all automanaged names when `all`), unless
   * deleteAutomanagedNamespaces is false, and waits up to deleteNamespaceTimeout for them to go.
   */
  async delete(options: { all?: boolean; signal?: AbortSignal } = {}): Promise<NamespaceDeletion> {
    if (!this.config.deleteAutomanagedNamespaces)
      return { deleted: [], remaining: [], timedOut: false, errors: [] };
    const names = options.all ? this.names : [...this.created];
    const outcome = await this.deleteAndWait(names, options.signal);
    for (const name of outcome.deleted) this.created.delete(name);
    return outcome;
  }

  private async deleteAndWait(names: string[], signal?: AbortSignal): Promise<NamespaceDeletion> {
    const errors: string[] = [];
    for (const name of names) {
      try {
        await this.kube.request({
          method: 'DELETE',
          path: `/api/v1/namespaces/${encodeURIComponent(name)}`,
          query: { propagationPolicy: 'Background' },
          body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
        });
      } catch (err) {
        if (err instanceof KubeApiError && err.isNotFound) continue;
        errors.push(`deleting namespace ${name}: ${(err as Error).message}`);
      }
    }
    const deadline = this.now() + this.config.deleteNamespaceTimeoutMs;
    let remaining = names;
    for (;;) {
      try {
        const existing = await this.existing();
        remaining = names.filter((n) => existing.has(n));
      } catch (err) {
        errors.push(`listing namespaces: ${(err as Error).message}`);
      }
      if (remaining.length === 0 || this.now() >= deadline || signal?.aborted) break;
      await this.sleep(Math.min(this.pollIntervalMs, Math.max(0, deadline - this.now())), signal);
    }
    return {
      deleted: names.filter((n) => !remaining.includes(n)),
      remaining,
      timedOut: remaining.length > 0,
      errors,
    };
  }
}

/** `<prefix>-<number>`: the names CL2 would have created for this prefix. */
export function isAutomanagedName(name: string, prefix: string): boolean {
  return name.startsWith(`${prefix}-`) && /^\d+$/.test(name.slice(prefix.length + 1));
}
