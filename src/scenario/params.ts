/**
 * The template mapping, built as CL2's GetMapping builds it (pkg/config/template_provider.go):
 * override files in order (later keys win), then `Nodes` and `ImageRegistry` set over them, then
 * every `CL2_*` environment variable typed int → float → bool → string, where a key that the
 * overrides already hold with a different value is a merge conflict.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../common/errors.js';
import { isPlainObject } from './config.js';
import { float64 } from './template/index.js';

export type TemplateMapping = Record<string, unknown>;

export const DEFAULT_IMAGE_REGISTRY = 'registry.k8s.io';

export interface MappingOptions {
  /** `--testoverrides` files, in order. */
  overrides?: readonly string[];
  /** `.Nodes`: from `--nodes` or the schedulable-node count. */
  nodes: number;
  imageRegistry?: string;
  /** Environment to take `CL2_*` variables from (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (file: string) => string;
  /** Wraps float64 values for the template engine (its `float64`). */
  asFloat?: (n: number) => unknown;
}

/** Reads one override file: a flat YAML map. */
export function loadOverrideFile(
  file: string,
  readFile: (file: string) => string = (f) => readFileSync(f, 'utf8'),
): TemplateMapping {
  let text: string;
  try {
    text = readFile(file);
  } catch (err) {
    throw new ConfigError(
      `test overrides file ${file} cannot be read (${(err as Error).message}); check the --testoverrides path`,
      { cause: err },
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`test overrides file ${file}: not YAML (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (doc === null || doc === undefined) return {};
  if (!isPlainObject(doc))
    throw new ConfigError(
      `test overrides file ${file}: expected a map of KEY: value, got ${Array.isArray(doc) ? 'a list' : typeof doc}`,
    );
  return { ...doc };
}

/** Go's strconv.ParseInt(s, 10, 64). */
function parseGoInt(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = BigInt(text);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
  return Number(n);
}

/** Go's strconv.ParseFloat(s, 64), decimal and special forms. */
function parseGoFloatText(text: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  const t = text.replaceAll('_', '');
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  if (t !== text && !/^[+-]?\d+(_\d+)*(\.\d+(_\d+)*)?([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(t);
}

const GO_BOOLS: Record<string, boolean> = {
  '1': true,
  t: true,
  T: true,
  TRUE: true,
  true: true,
  True: true,
  '0': false,
  f: false,
  F: false,
  FALSE: false,
  false: false,
  False: false,
};

/**
 * CL2's unpackStringValue: int64, else float64, else bool, else the string. `asFloat` marks a
 * float64 for the template engine (Go prints float64(2) and int(2) alike, but not 1e+06).
 */
export function typeEnvValue(text: string, asFloat: (n: number) => unknown = float64): unknown {
  const i = parseGoInt(text);
  if (i !== undefined) return i;
  const f = parseGoFloatText(text);
  if (f !== undefined) return asFloat(f);
  if (text in GO_BOOLS) return GO_BOOLS[text];
  return text;
}

/** The `CL2_*` variables of an environment, typed. */
export function loadCl2Env(
  env: Readonly<Record<string, string | undefined>>,
  asFloat?: (n: number) => unknown,
): TemplateMapping {
  const out: TemplateMapping = {};
  for (const key of Object.keys(env).sort()) {
    const value = env[key];
    if (!key.startsWith('CL2_') || value === undefined) continue;
    out[key] = typeEnvValue(value, asFloat);
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  const num = (v: unknown) =>
    typeof v === 'number' ? v : v instanceof Object && 'valueOf' in v ? v.valueOf() : v;
  const x = num(a);
  const y = num(b);
  if (typeof x === 'number' && typeof y === 'number') return x === y;
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'valueOf' in value)
    return String(value.valueOf());
  return JSON.stringify(value);
}

/** Merges `extra` into `mapping`; a key present with a different value is a merge conflict. */
export function mergeMappings(mapping: TemplateMapping, extra: TemplateMapping): void {
  for (const [key, value] of Object.entries(extra)) {
    if (!(key in mapping)) {
      mapping[key] = value;
      continue;
    }
    if (!sameValue(mapping[key], value))
      throw new ConfigError(
        `merge conflict for key '${key}': old value=${show(mapping[key])} (test overrides), new value=${show(value)} (environment); ` +
          `unset ${key} in the environment or remove it from the overrides file`,
      );
  }
}

/** The mapping every template of a run sees. */
export function buildMapping(options: MappingOptions): TemplateMapping {
  const mapping: TemplateMapping = {};
  for (const file of options.overrides ?? [])
    Object.assign(mapping, loadOverrideFile(file, options.readFile));
  mapping['Nodes'] = options.nodes;
  mapping['ImageRegistry'] = options.imageRegistry ?? DEFAULT_IMAGE_REGISTRY;
  mergeMappings(mapping, loadCl2Env(options.env ?? process.env, options.asFloat));
  return mapping;
}

/** A module's or an object's own values copied over the mapping: the overlay wins. */
export function overlayMapping(
  base: TemplateMapping,
  ...overlays: TemplateMapping[]
): TemplateMapping {
  return Object.assign({}, base, ...overlays) as TemplateMapping;
}
