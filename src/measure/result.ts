/** Small helpers shared by the measurement plug-ins for building results honestly. */
import { ConfigError } from '../common/errors.js';
import type { MeasurementData, MeasurementResult, ResultStatus, Verdict } from './types.js';

export function skippedResult(
  base: { method: string; identifier: string; summaryName: string; source: string },
  reason: string,
  data: MeasurementData = { kind: 'none' },
): MeasurementResult {
  return { ...base, status: 'skipped', reason, verdicts: [], data };
}

export function errorResult(
  base: { method: string; identifier: string; summaryName: string; source: string },
  error: unknown,
): MeasurementResult {
  return {
    ...base,
    status: 'error',
    reason: error instanceof Error ? error.message : String(error),
    verdicts: [],
    data: { kind: 'none' },
  };
}

/** `fail` when an enforced verdict failed, else `pass`. */
export function statusOf(verdicts: readonly Verdict[]): ResultStatus {
  return verdicts.some((v) => v.enforced && !v.pass) ? 'fail' : 'pass';
}

export function describeFailures(verdicts: readonly Verdict[]): string {
  return verdicts
    .filter((v) => !v.pass)
    .map(
      (v) =>
        `${v.metric}: got ${round(v.observed)} ${v.unit}, threshold ${round(v.threshold)} ${v.unit}`,
    )
    .join('; ');
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Reads a param as a string, or the default; anything else is a config error by the caller. */
export function stringParam(
  params: Readonly<Record<string, unknown>>,
  name: string,
): string | undefined {
  const v = params[name];
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' ? v : String(v);
}

export function boolParam(
  params: Readonly<Record<string, unknown>>,
  name: string,
  fallback: boolean,
): boolean {
  const v = params[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigError(`${name}: expected true or false, got ${JSON.stringify(v)}`);
}

export function numberParam(
  params: Readonly<Record<string, unknown>>,
  name: string,
  fallback: number,
): number {
  const v = params[name];
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n))
    throw new ConfigError(`${name}: expected a number, got ${JSON.stringify(v)}`);
  return n;
}

/** The action of a measurement call (`start`, `gather`, …), lower-cased as CL2 compares it. */
export function actionOf(params: Readonly<Record<string, unknown>>): string {
  const a = params.action;
  return typeof a === 'string' ? a : '';
}
