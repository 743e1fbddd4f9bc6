/**
 * Durations as ClusterLoader2 configs write them (Go `time.ParseDuration`: "5s", "1m30s", "250ms",
 * "1.5h") or plain milliseconds, as hollowfleet's own params may give them.
 */
import { ConfigError } from '../common/errors.js';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;

/** Parses a Go duration string or a number of milliseconds; `what` names the param in errors. */
export function durationMs(value: unknown, what: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new ConfigError(`${what}: ${value} is not a finite number of milliseconds`);
    return value;
  }
  if (typeof value !== 'string')
    throw new ConfigError(
      `${what}: expected a duration such as "5s" or "250ms", got ${JSON.stringify(value)}`,
    );
  const text = value.trim();
  if (text === '0') return 0;
  let sign = 1;
  let rest = text;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  PART.lastIndex = 0;
  let total = 0;
  let matched = 0;
  for (let m = PART.exec(rest); m; m = PART.exec(rest)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = PART.lastIndex;
  }
  if (rest === '' || matched !== rest.length)
    throw new ConfigError(
      `${what}: "${value}" is not a Go duration; write it like "5s", "1m30s" or "250ms"`,
    );
  return sign * total;
}

/** An optional duration param with a default. */
export function optionalDurationMs(value: unknown, what: string, fallbackMs: number): number {
  return value === undefined || value === null ? fallbackMs : durationMs(value, what);
}
