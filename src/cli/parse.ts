import { readFileSync } from 'node:fs';
import { ConfigError } from '../common/errors.js';
import type { CloudCoreAddress } from '../edge/hollow-node.js';

/** `host:port[,host:port…]`, IPv6 in brackets. */
export function parseAddresses(text: string, flag = '--cloudcore'): CloudCoreAddress[] {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new ConfigError(`${flag} needs at least one HOST:PORT`);
  return items.map((item) => {
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(item);
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535)
      throw new ConfigError(`${flag} "${item}": expected HOST:PORT, e.g. cloudcore.example:10000`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
  });
}

/** `99.9%` or `0.999` → 0.999. */
export function parseFraction(text: string, flag: string): number {
  const t = text.trim();
  const value = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t);
  if (!Number.isFinite(value) || value <= 0 || value > 1)
    throw new ConfigError(
      `${flag} "${text}": expected a percentage like 99.9% or a fraction like 0.999`,
    );
  return value;
}

/** `k=v,k2=v2` → labels. */
export function parseLabels(text: string, flag = '--node-labels'): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new ConfigError(`${flag} "${pair}": expected key=value`);
    labels[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return labels;
}

export function readTokenFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(
      `--token-file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
}

/** `10%` or `0.1` → 0.1: a relative change allowed before a metric counts as regressed. */
export function parseTolerance(text: string): number {
  const t = text.trim();
  const value = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t);
  if (t === '' || !Number.isFinite(value) || value < 0)
    throw new ConfigError(
      `--tolerance "${text}": expected a percentage like 10% or a fraction like 0.1`,
    );
  return value;
}
