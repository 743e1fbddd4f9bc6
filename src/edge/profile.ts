import { ConfigError } from '../common/errors.js';
import type { Rng } from '../common/random.js';

/** How long a hollow node takes to "start" a pod's containers. */
export type StartDelay =
  | { kind: 'constant'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'normal'; meanMs: number; stddevMs: number }
  | { kind: 'lognormal'; medianMs: number; sigma: number };

export interface PodFailureFractions {
  /** Pods that never start (stay Pending with no status from the node). */
  neverStart: number;
  /** Pods whose containers crash-loop (phase Running, containers waiting in CrashLoopBackOff). */
  crashLoop: number;
  /** Pods that run but never pass readiness (Running, Ready=False). */
  failReadiness: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface NodeIntervals {
  /** CloudCore drops a session after 30 s without one; EdgeCore sends one every 15 s. */
  keepaliveMs: number;
  /** Lease renewal; the kubelet renews every 10 s (a quarter of the 40 s lease). */
  leaseMs: number;
  /** Node status patch at least this often even when nothing changed (kubelet: 5 min). */
  statusReportMs: number;
  /** A registration unanswered for this long means CloudCore silently rejected the session. */
  registrationTimeoutMs: number;
  /** Timeout of one upstream request attempt. */
  requestTimeoutMs: number;
  /** Reconnect backoff: full jitter over min(cap, base × 2^attempt). */
  reconnectBaseMs: number;
  reconnectCapMs: number;
  /** Fraction of an interval used as ± jitter so thousands of nodes do not fire together. */
  jitter: number;
}

export interface NodeProfile {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  labels: Record<string, string>;
  taints: Taint[];
  intervals: NodeIntervals;
  startDelay: StartDelay;
  failures: PodFailureFractions;
  kubeletVersion: string;
  architecture: string;
  operatingSystem: string;
  projectId: string;
  /** Attempts per upstream request (EdgeCore's metaclient: 3). */
  requestAttempts: number;
}

export const EDGE_ROLE_LABEL = 'node-role.kubernetes.io/edge';

export function defaultNodeProfile(): NodeProfile {
  const resources = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    capacity: { ...resources },
    allocatable: { ...resources },
    labels: {},
    taints: [],
    intervals: {
      keepaliveMs: 15_000,
      leaseMs: 10_000,
      statusReportMs: 300_000,
      registrationTimeoutMs: 30_000,
      requestTimeoutMs: 20_000,
      reconnectBaseMs: 1_000,
      reconnectCapMs: 30_000,
      jitter: 0.1,
    },
    startDelay: { kind: 'constant', ms: 0 },
    failures: { neverStart: 0, crashLoop: 0, failReadiness: 0 },
    kubeletVersion: 'v1.32.10-kubeedge-v1.23.0',
    architecture: 'amd64',
    operatingSystem: 'linux',
    projectId: 'e632aba927ea4ac2b575ec1603d56f10',
    requestAttempts: 3,
  };
}

export type NodeProfileInput = Partial<Omit<NodeProfile, 'intervals' | 'failures'>> & {
  intervals?: Partial<NodeIntervals>;
  failures?: Partial<PodFailureFractions>;
};

/** Fills defaults and checks every field; errors name the field and the fix. */
export function resolveNodeProfile(
  input: NodeProfileInput = {},
  where = 'fleet profile',
): NodeProfile {
  const base = defaultNodeProfile();
  const profile: NodeProfile = {
    ...base,
    ...input,
    intervals: { ...base.intervals, ...(input.intervals ?? {}) },
    failures: { ...base.failures, ...(input.failures ?? {}) },
    capacity: { ...base.capacity, ...(input.capacity ?? {}) },
    allocatable: { ...(input.allocatable ?? input.capacity ?? base.allocatable) },
    labels: { ...(input.labels ?? {}) },
    taints: [...(input.taints ?? [])],
  };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(profile.intervals)) {
    if (key === 'jitter') {
      if (!(value >= 0 && value < 1))
        problems.push(`intervals.jitter must be in [0, 1), got ${value}`);
    } else if (!(Number.isFinite(value) && value > 0))
      problems.push(`intervals.${key} must be a positive number of ms, got ${value}`);
  }
  if (profile.intervals.keepaliveMs >= 30_000) {
    problems.push(
      `intervals.keepaliveMs is ${profile.intervals.keepaliveMs}: CloudCore drops sessions after 30 s without a keepalive, use less (EdgeCore: 15000)`,
    );
  }
  let failureSum = 0;
  for (const [key, value] of Object.entries(profile.failures)) {
    if (!(value >= 0 && value <= 1))
      problems.push(`failures.${key} must be a fraction in [0, 1], got ${value}`);
    failureSum += value;
  }
  if (failureSum > 1)
    problems.push(`failures add up to ${failureSum}; together they must not exceed 1`);
  problems.push(...validateStartDelay(profile.startDelay));
  for (const [i, taint] of profile.taints.entries()) {
    if (!taint.key || !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(taint.effect)) {
      problems.push(
        `taints[${i}] needs a key and an effect of NoSchedule, PreferNoSchedule or NoExecute`,
      );
    }
  }
  if (!Number.isInteger(profile.requestAttempts) || profile.requestAttempts < 1) {
    problems.push(`requestAttempts must be a positive integer, got ${profile.requestAttempts}`);
  }
  if (problems.length > 0) throw new ConfigError(`${where}: ${problems.join('; ')}`);
  return profile;
}

function validateStartDelay(d: StartDelay): string[] {
  const bad = (what: string) => [`startDelay: ${what}`];
  switch (d.kind) {
    case 'constant':
      return d.ms >= 0 ? [] : bad('ms must be ≥ 0');
    case 'uniform':
      return d.minMs >= 0 && d.maxMs >= d.minMs ? [] : bad('needs 0 ≤ minMs ≤ maxMs');
    case 'normal':
      return d.meanMs >= 0 && d.stddevMs >= 0 ? [] : bad('needs meanMs ≥ 0 and stddevMs ≥ 0');
    case 'lognormal':
      return d.medianMs > 0 && d.sigma >= 0 ? [] : bad('needs medianMs > 0 and sigma ≥ 0');
    default:
      return bad(
        `unknown kind "${(d as { kind: string }).kind}" (use constant, uniform, normal or lognormal)`,
      );
  }
}

/** Parses `constant:500ms`, `uniform:100ms-2s`, `normal:1s,200ms`, `lognormal:800ms,0.5`. */
export function parseStartDelay(text: string, where = `--pod-start-delay "${text}"`): StartDelay {
  const [kind, rest = ''] = text.split(':', 2) as [string, string?];
  const ms = (v: string | undefined) => parseDurationMs(v ?? '', where);
  switch (kind) {
    case 'constant':
      return { kind, ms: ms(rest) };
    case 'uniform': {
      const [a, b] = rest.split('-');
      return { kind, minMs: ms(a), maxMs: ms(b) };
    }
    case 'normal': {
      const [a, b] = rest.split(',');
      return { kind, meanMs: ms(a), stddevMs: ms(b) };
    }
    case 'lognormal': {
      const [a, b] = rest.split(',');
      return { kind, medianMs: ms(a), sigma: Number(b) };
    }
    default:
      throw new ConfigError(
        `${where}: use constant:500ms, uniform:100ms-2s, normal:1s,200ms or lognormal:800ms,0.5`,
      );
  }
}

/** Go-style durations (`1m30s`, `500ms`, `2h`) and bare numbers (ms). */
export function parseDurationMs(text: string, where: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  let total = 0;
  let consumed = 0;
  for (const m of t.matchAll(re)) {
    total += Number(m[1]) * units[m[2]!]!;
    consumed += m[0].length;
  }
  if (t.length === 0 || consumed !== t.length)
    throw new ConfigError(`${where}: "${text}" is not a duration (examples: 500ms, 2s, 1m30s)`);
  return total;
}

/** Draws one start delay. */
export function sampleStartDelay(d: StartDelay, rng: Rng): number {
  switch (d.kind) {
    case 'constant':
      return d.ms;
    case 'uniform':
      return d.minMs + (d.maxMs - d.minMs) * rng();
    case 'normal':
      return Math.max(0, d.meanMs + d.stddevMs * gaussian(rng));
    case 'lognormal':
      return d.medianMs * Math.exp(d.sigma * gaussian(rng));
  }
}

function gaussian(rng: Rng): number {
  const u = Math.max(rng(), Number.EPSILON);
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export type PodFate = 'run' | 'neverStart' | 'crashLoop' | 'failReadiness';

export function choosePodFate(failures: PodFailureFractions, draw: number): PodFate {
  let edge = failures.neverStart;
  if (draw < edge) return 'neverStart';
  edge += failures.crashLoop;
  if (draw < edge) return 'crashLoop';
  edge += failures.failReadiness;
  if (draw < edge) return 'failReadiness';
  return 'run';
}
