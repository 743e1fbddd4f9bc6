import { ConfigError } from '../common/errors.js';

/**
 * Deterministic, shardable node names: `<prefix>-<shard>-<index>`, zero-padded so names sort in
 * creation order and a restarted shard reconnects exactly the same nodes.
 */
export interface ShardSpec {
  /** 0-based shard index. */
  index: number;
  count: number;
}

export interface NamingOptions {
  prefix: string;
  shard: ShardSpec;
  /** Width of the zero-padded node index (default: enough digits for the shard's node count, at least 5). */
  indexWidth?: number;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Parses `--shard i/n` (0-based i). */
export function parseShard(text: string): ShardSpec {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match)
    throw new ConfigError(`--shard "${text}": expected INDEX/COUNT with a 0-based index, e.g. 0/4`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index >= count) {
    throw new ConfigError(
      `--shard "${text}": the index must be between 0 and ${Math.max(count - 1, 0)} for ${count} shards`,
    );
  }
  return { index, count };
}

export function validatePrefix(prefix: string): void {
  if (!DNS_LABEL.test(prefix) || prefix.length > 40) {
    throw new ConfigError(
      `--prefix "${prefix}": node name prefixes must be lowercase letters, digits and '-', start and end with a ` +
        'letter or digit, at most 40 characters (e.g. "hollow")',
    );
  }
}

export function nodeName(options: NamingOptions, index: number, total: number): string {
  const width = options.indexWidth ?? Math.max(5, String(Math.max(total - 1, 0)).length);
  return `${options.prefix}-${options.shard.index}-${String(index).padStart(width, '0')}`;
}

/** Splits `total` nodes into contiguous ranges, one per worker, sizes differing by at most one. */
export function splitRange(total: number, parts: number): Array<{ start: number; end: number }> {
  const ranges: Array<{ start: number; end: number }> = [];
  const base = Math.floor(total / parts);
  let extra = total % parts;
  let start = 0;
  for (let i = 0; i < parts; i++) {
    const size = base + (extra > 0 ? 1 : 0);
    if (extra > 0) extra--;
    ranges.push({ start, end: start + size });
    start += size;
  }
  return ranges.filter((r) => r.end > r.start);
}
