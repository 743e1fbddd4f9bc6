/**
 * Edge-network faults injected at the connection level, from the fleet side: what a flaky link, a
 * dead NAT entry or a restarted middlebox does to an EdgeCore session. The specs are plain JSON so
 * they cross worker threads, processes and scenario files unchanged.
 */
import { ConfigError } from '../common/errors.js';
import { createRng, hashString, type Rng } from '../common/random.js';
import type { ClientTlsOptions } from '../protocol/tls.js';
import { parseDurationMs, parseStartDelay, sampleStartDelay, type StartDelay } from './profile.js';

export type FaultSpec =
  /** Drop the connection now (no close frame) and stay away for a delay drawn from the distribution. */
  | { kind: 'disconnect'; reconnectDelay: StartDelay }
  /** Added latency (± jitter) and message loss on the link, for a duration or until cleared. */
  | {
      kind: 'degrade';
      latencyMs: number;
      jitterMs: number;
      /** Fraction of messages lost, per direction. */
      loss: number;
      direction: 'both' | 'up' | 'down';
      /** 0: until cleared. */
      durationMs: number;
    }
  /** Stop reading and writing without closing the socket; afterwards resume or close. */
  | { kind: 'halfOpen'; durationMs: number; then: 'resume' | 'close' }
  /** `count` short disconnects, one every `periodMs`, each away for a drawn delay. */
  | { kind: 'flap'; count: number; periodMs: number; downDelay: StartDelay }
  /** The node's certificate (or token) expires now: it re-bootstraps and reconnects. */
  | { kind: 'expireCredentials' };

export type FaultKind = FaultSpec['kind'];

/** Which nodes of a fleet a fault hits. Selection is deterministic for a given seed. */
export interface NodeSelector {
  /** Fraction of the matching nodes (0..1]; ignored when `count` is given. Default 1. */
  fraction?: number;
  count?: number;
  /** Only nodes of this shard index. */
  shard?: number;
  /** Only nodes whose labels have these values (`kubernetes.io/hostname` is the node name). */
  labels?: Record<string, string>;
  /** Only nodes whose name matches this glob (`*`, `?`). */
  namePattern?: string;
  seed?: number;
  /** Spread the fault's start over this window (ms), node by node in a deterministic order. */
  spreadMs?: number;
}

export interface FaultRequest {
  fault: FaultSpec;
  select: NodeSelector;
}

/** What an injection hit: its id (for `clear`) and the selected node names. */
export interface FaultInjection {
  id: string;
  nodes: string[];
}

export interface SelectableNode {
  name: string;
  index: number;
  shard: number;
  labels: Readonly<Record<string, string>>;
}

/**
 * Picks nodes: filter by shard, labels and name, then order by a seeded hash of the name and take
 * the first `count` (or `fraction` of the matches, rounded). The same seed picks the same nodes in
 * every process, so a sharded fleet agrees without talking.
 */
export function selectNodes<T extends SelectableNode>(
  nodes: readonly T[],
  selector: NodeSelector,
): Array<T & { offsetMs: number }> {
  const pattern = selector.namePattern ? globToRegExp(selector.namePattern) : undefined;
  const matching = nodes.filter(
    (n) =>
      (selector.shard === undefined || n.shard === selector.shard) &&
      (!pattern || pattern.test(n.name)) &&
      Object.entries(selector.labels ?? {}).every(
        ([k, v]) => (k === 'kubernetes.io/hostname' ? n.name : n.labels[k]) === v,
      ),
  );
  const seed = selector.seed ?? 1;
  const ranked = matching
    .map((n) => ({ n, rank: hashString(`${seed}/${n.name}`) }))
    .sort((a, b) => a.rank - b.rank || (a.n.name < b.n.name ? -1 : 1));
  const take =
    selector.count !== undefined
      ? Math.min(selector.count, ranked.length)
      : Math.round((selector.fraction ?? 1) * ranked.length);
  const spread = selector.spreadMs ?? 0;
  return ranked.slice(0, take).map((r, i) => ({
    ...r.n,
    offsetMs: take > 1 ? (spread * i) / (take - 1) : 0,
  }));
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

// ---- parsing (scenario params, CLI, HTTP) ---------------------------------------------------------

type Loose = Readonly<Record<string, unknown>>;

function duration(value: unknown, where: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new ConfigError(`${where} is required (e.g. 10s)`);
    return fallback;
  }
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') return parseDurationMs(value, where);
  throw new ConfigError(`${where}: expected a duration such as 500ms or 10s, got ${String(value)}`);
}

function distribution(value: unknown, where: string, fallback: StartDelay): StartDelay {
  if (value === undefined) return fallback;
  if (typeof value === 'number' || (typeof value === 'string' && !value.includes(':')))
    return { kind: 'constant', ms: duration(value, where) };
  if (typeof value === 'string') return parseStartDelay(value, where);
  throw new ConfigError(
    `${where}: use a duration (5s) or a distribution (uniform:1s-10s, normal:5s,1s, lognormal:3s,0.5)`,
  );
}

function fraction(value: unknown, where: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n =
    typeof value === 'string' && value.endsWith('%')
      ? Number(value.slice(0, -1)) / 100
      : Number(value);
  if (!(n >= 0 && n <= 1))
    throw new ConfigError(
      `${where}: expected a fraction in [0, 1] or a percentage, got ${String(value)}`,
    );
  return n;
}

function positiveInt(value: unknown, where: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new ConfigError(`${where}: expected a non-negative integer, got ${String(value)}`);
  return n;
}

/**
 * Reads a fault from loose input (scenario YAML params, JSON bodies): durations as `10s` or ms,
 * distributions as `uniform:1s-5s`. Errors name the field and an accepted form.
 */
export function parseFault(input: Loose, where = 'fault'): FaultSpec {
  const kind = input.kind;
  switch (kind) {
    case 'disconnect':
      return {
        kind,
        reconnectDelay: distribution(input.reconnectDelay, `${where}.reconnectDelay`, {
          kind: 'constant',
          ms: 0,
        }),
      };
    case 'degrade': {
      const direction = input.direction ?? 'both';
      if (direction !== 'both' && direction !== 'up' && direction !== 'down')
        throw new ConfigError(
          `${where}.direction must be both, up or down, got ${String(direction)}`,
        );
      return {
        kind,
        latencyMs: duration(input.latency, `${where}.latency`, 0),
        jitterMs: duration(input.jitter, `${where}.jitter`, 0),
        loss: fraction(input.loss, `${where}.loss`, 0),
        direction,
        durationMs: duration(input.duration, `${where}.duration`, 0),
      };
    }
    case 'halfOpen': {
      const then = input.then ?? 'resume';
      if (then !== 'resume' && then !== 'close')
        throw new ConfigError(`${where}.then must be resume or close, got ${String(then)}`);
      return { kind, durationMs: duration(input.duration, `${where}.duration`), then };
    }
    case 'flap': {
      // `flaps`, not `count`: in scenario params `count` selects how many nodes.
      const count = positiveInt(input.flaps ?? 3, `${where}.flaps`);
      const periodMs = duration(input.period, `${where}.period`, 5_000);
      if (count < 1 || periodMs <= 0)
        throw new ConfigError(`${where}: a flap needs flaps ≥ 1 and a period > 0`);
      return {
        kind,
        count,
        periodMs,
        downDelay: distribution(input.downDelay, `${where}.downDelay`, { kind: 'constant', ms: 0 }),
      };
    }
    case 'expireCredentials':
      return { kind };
    default:
      throw new ConfigError(
        `${where}.kind "${String(kind)}" is not a fault: use disconnect, degrade, halfOpen, flap or expireCredentials`,
      );
  }
}

/** Reads a node selector from loose input; `fraction` accepts `50%`. */
export function parseSelector(input: Loose, where = 'selector'): NodeSelector {
  const selector: NodeSelector = {};
  if (input.count !== undefined) selector.count = positiveInt(input.count, `${where}.count`);
  if (input.fraction !== undefined)
    selector.fraction = fraction(input.fraction, `${where}.fraction`, 1);
  if (input.shard !== undefined) selector.shard = positiveInt(input.shard, `${where}.shard`);
  if (input.namePattern !== undefined) {
    if (typeof input.namePattern !== 'string')
      throw new ConfigError(`${where}.namePattern must be a glob such as "hollow-0-000*"`);
    selector.namePattern = input.namePattern;
  }
  if (input.labels !== undefined) {
    const labels = input.labels;
    if (
      labels === null ||
      typeof labels !== 'object' ||
      Object.values(labels).some((v) => typeof v !== 'string')
    )
      throw new ConfigError(`${where}.labels must map label keys to string values`);
    selector.labels = { ...(labels as Record<string, string>) };
  }
  if (input.seed !== undefined) selector.seed = positiveInt(input.seed, `${where}.seed`);
  if (input.spread !== undefined) selector.spreadMs = duration(input.spread, `${where}.spread`);
  return selector;
}

// ---- the per-node side -------------------------------------------------------------------------

/**
 * A link impairment active on one node: degradation or half-open. The node consults it only when
 * one is set, so the healthy path pays a single field check.
 */
export class LinkImpairment {
  /** Delivery time of the last delayed message per direction: delayed messages keep their order. */
  upTail = 0;
  downTail = 0;
  /** The socket closed underneath a half-open link: the node learns of it when the fault ends. */
  closedUnderneath = false;
  private readonly rng: Rng;

  constructor(
    readonly id: string,
    readonly spec: Extract<FaultSpec, { kind: 'degrade' | 'halfOpen' }>,
    seed: number,
  ) {
    this.rng = createRng(seed);
  }

  get halfOpen(): boolean {
    return this.spec.kind === 'halfOpen';
  }

  /** Delay in ms for a message in this direction, or -1 when it is lost. */
  delayFor(direction: 'up' | 'down', now: number): number {
    const spec = this.spec;
    if (spec.kind === 'halfOpen') return -1;
    if (spec.direction !== 'both' && spec.direction !== direction) return 0;
    if (spec.loss > 0 && this.rng() < spec.loss) return -1;
    const own = Math.max(0, spec.latencyMs + spec.jitterMs * (2 * this.rng() - 1));
    const tail = direction === 'up' ? this.upTail : this.downTail;
    const at = Math.max(now + own, tail);
    if (direction === 'up') this.upTail = at;
    else this.downTail = at;
    return at - now;
  }
}

export function sampleDelay(d: StartDelay, rng: Rng): number {
  return sampleStartDelay(d, rng);
}

/** Where a node gets fresh credentials when its certificate (or token) expires. */
export interface CredentialSource {
  /** When to renew (ms since the epoch); undefined: only when told (expireCredentials). */
  renewAt?: number;
  /** Bootstraps again (token → CSR → certificate) and returns the TLS options to use from now on. */
  renew(): Promise<{ tls: ClientTlsOptions; renewAt?: number }>;
}
