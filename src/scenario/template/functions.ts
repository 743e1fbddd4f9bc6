/** Function table types, and Go's builtin template functions over the value model of values.ts. */
import { formatValue, sprint, sprintf, sprintln, isPrintRune } from './gofmt.js';
import {
  byteLength,
  compareStringsBytewise,
  goTypeName,
  isTrue,
  kindOf,
  mapLookup,
  mapSize,
  toNumber,
} from './values.js';
import type { GoKind } from './values.js';

export type TemplateValue = unknown;
export type TemplateFunction = (...args: TemplateValue[]) => TemplateValue;

/**
 * The Go parameter type a function declares, which decides how literals and missing values are
 * passed: `any` is `interface{}` (a missing value arrives as `null`), the others reject mismatches
 * with Go's messages before the function runs.
 */
export type ParamKind = 'any' | 'string' | 'int' | 'float' | 'bool';

export interface FunctionSignature {
  /** Fixed parameters. */
  params: readonly ParamKind[];
  /** Kind of the trailing variadic parameter, if the function is variadic. */
  variadic?: ParamKind;
}

export interface FunctionSpec extends FunctionSignature {
  fn: TemplateFunction;
  /** and/or short-circuit and call invokes a function value: the executor handles these itself. */
  special?: 'and' | 'or' | 'call';
}

const signatures = new WeakMap<TemplateFunction, FunctionSignature>();

/**
 * Declares a function's Go signature so that calls are checked for argument count and types like
 * Go checks them. Functions without a declared signature accept any number of `interface{}` args.
 */
export function withSignature<F extends TemplateFunction>(fn: F, signature: FunctionSignature): F {
  signatures.set(fn, signature);
  return fn;
}

export function specFor(fn: TemplateFunction): FunctionSpec {
  const signature = signatures.get(fn) ?? { params: [], variadic: 'any' as const };
  return { fn, ...signature };
}

/** A Go runtime panic or returned error inside a function; the executor reports it with position. */
export class FunctionError extends Error {}

const VARIADIC_ANY: FunctionSignature = { params: [], variadic: 'any' };
const ONE_ANY: FunctionSignature = { params: ['any'] };
const TWO_ANY: FunctionSignature = { params: ['any', 'any'] };

function isAsciiOnly(text: string): boolean {
  return /^[\x00-\x7f]*$/.test(text);
}

/** indexArg: an int index within [0, cap]. */
function indexArgument(index: unknown, cap: number): number {
  const kind = kindOf(index);
  if (kind === 'invalid' || kind === 'nil')
    throw new FunctionError('cannot index slice/array with nil');
  if (kind !== 'int')
    throw new FunctionError(`cannot index slice/array with type ${goTypeName(index)}`);
  const value = Number(index);
  if (value < 0 || value > cap) throw new FunctionError(`index out of range: ${String(index)}`);
  return value;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new FunctionError('index of untyped nil');
  let current: unknown = item;
  for (const key of indexes) {
    if (current === undefined || current === null) throw new FunctionError('index of nil pointer');
    switch (kindOf(current)) {
      case 'string': {
        const text = current as string;
        const bytes = isAsciiOnly(text) ? undefined : Buffer.from(text, 'utf8');
        const length = bytes ? bytes.length : text.length;
        const at = indexArgument(key, length);
        if (at === length) throw new FunctionError('reflect: string index out of range');
        current = bytes ? bytes[at]! : text.charCodeAt(at);
        break;
      }
      case 'slice': {
        const slice = current as unknown[];
        const at = indexArgument(key, slice.length);
        if (at === slice.length) throw new FunctionError('reflect: slice index out of range');
        current = slice[at] ?? null;
        break;
      }
      case 'map': {
        const map = current as object;
        if (!(map instanceof Map)) {
          if (key === undefined || key === null)
            throw new FunctionError('value is nil; should be of type string');
          if (typeof key !== 'string') {
            throw new FunctionError(`value has type ${goTypeName(key)}; should be string`);
          }
        }
        const found = mapLookup(map, key);
        current = found.found ? found.value : null;
        break;
      }
      default:
        throw new FunctionError(`can't index item of type ${goTypeName(current)}`);
    }
  }
  return current;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new FunctionError('slice of untyped nil');
  if (indexes.length > 3) throw new FunctionError(`too many slice indexes: ${indexes.length}`);
  const kind = kindOf(item);
  let length: number;
  let bytes: Buffer | undefined;
  if (kind === 'string') {
    if (indexes.length === 3) throw new FunctionError('cannot 3-index slice a string');
    const text = item as string;
    bytes = isAsciiOnly(text) ? undefined : Buffer.from(text, 'utf8');
    length = bytes ? bytes.length : text.length;
  } else if (kind === 'slice') {
    length = (item as unknown[]).length;
  } else {
    throw new FunctionError(`can't slice item of type ${goTypeName(item)}`);
  }
  const bounds = [0, length, length];
  indexes.forEach((key, i) => {
    bounds[i] = indexArgument(key, length);
  });
  const [low, high, max] = bounds as [number, number, number];
  if (low > high) throw new FunctionError(`invalid slice index: ${low} > ${high}`);
  if (indexes.length === 3 && high > max)
    throw new FunctionError(`invalid slice index: ${high} > ${max}`);
  if (kind === 'string') {
    return bytes ? bytes.subarray(low, high).toString('utf8') : (item as string).slice(low, high);
  }
  return (item as unknown[]).slice(low, high);
}

function length(item: unknown): number {
  switch (kindOf(item)) {
    case 'invalid':
    case 'nil':
      throw new FunctionError('len of nil pointer');
    case 'string':
      return byteLength(item as string);
    case 'slice':
      return (item as unknown[]).length;
    case 'map':
      return mapSize(item as object);
    default:
      throw new FunctionError(`len of type ${goTypeName(item)}`);
  }
}

type BasicKind = 'invalid' | 'bool' | 'int' | 'float' | 'string';

function basicKind(value: unknown): BasicKind {
  const kind = kindOf(value);
  switch (kind) {
    case 'bool':
    case 'int':
    case 'float':
    case 'string':
      return kind;
    default:
      return 'invalid';
  }
}

function isNilValue(value: unknown): boolean {
  return value === undefined || value === null;
}

function equalBasic(kind: BasicKind, a: unknown, b: unknown): boolean {
  switch (kind) {
    case 'int':
      return typeof a === 'bigint' || typeof b === 'bigint'
        ? BigInt(a as number) === BigInt(b as number)
        : a === b;
    case 'float':
      return toNumber(a) === toNumber(b);
    default:
      return a === b;
  }
}

function eq(first: unknown, ...others: unknown[]): boolean {
  if (others.length === 0) throw new FunctionError('missing argument for comparison');
  const firstKind = basicKind(first);
  for (const other of others) {
    const otherKind = basicKind(other);
    let truth = false;
    if (firstKind !== otherKind) {
      if (!isNilValue(first) && !isNilValue(other)) {
        throw new FunctionError(
          `incompatible types for comparison: ${goTypeName(first)} and ${goTypeName(other)}`,
        );
      }
    } else if (firstKind !== 'invalid') {
      truth = equalBasic(firstKind, first, other);
    } else {
      const kindA: GoKind = isNilValue(first) ? 'invalid' : kindOf(first);
      const kindB: GoKind = isNilValue(other) ? 'invalid' : kindOf(other);
      if (kindA !== kindB && kindA !== 'invalid' && kindB !== 'invalid') {
        throw new FunctionError(
          `non-comparable types ${formatValue(first)}: ${goTypeName(first)}, ${goTypeName(other)}: ${formatValue(other)}`,
        );
      }
      if (isNilValue(first) || isNilValue(other)) {
        truth = isNilValue(first) === isNilValue(other);
      } else {
        throw new FunctionError(`non-comparable type ${formatValue(other)}: ${goTypeName(other)}`);
      }
    }
    if (truth) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const kindA = basicKind(a);
  const kindB = basicKind(b);
  if (kindA === 'invalid' || kindB === 'invalid')
    throw new FunctionError('invalid type for comparison');
  if (kindA !== kindB) {
    throw new FunctionError(
      `incompatible types for comparison: ${goTypeName(a)} and ${goTypeName(b)}`,
    );
  }
  switch (kindA) {
    case 'bool':
      throw new FunctionError('invalid type for comparison');
    case 'string':
      return compareStringsBytewise(a as string, b as string) < 0;
    case 'int':
      return typeof a === 'bigint' || typeof b === 'bigint'
        ? BigInt(a as number) < BigInt(b as number)
        : (a as number) < (b as number);
    default:
      return toNumber(a) < toNumber(b);
  }
}

function le(a: unknown, b: unknown): boolean {
  return lt(a, b) || eq(a, b);
}

/** The text of html/js/urlquery arguments: fmt.Sprint, but nil prints as `<no value>`. */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((arg) => (arg === undefined || arg === null ? '<no value>' : arg)));
}

export function htmlEscape(text: string): string {
  return text.replace(/["'&<>\0]/g, (char) => {
    switch (char) {
      case '"':
        return '&#34;';
      case "'":
        return '&#39;';
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      default:
        return '\uFFFD';
    }
  });
}

export function jsEscape(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    switch (char) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (code < 0x20) out += '\\u00' + code.toString(16).toUpperCase().padStart(2, '0');
    else if (code < 0x80 || isPrintRune(code)) out += char;
    else out += '\\u' + code.toString(16).toUpperCase().padStart(4, '0');
  }
  return out;
}

/** url.QueryEscape. */
export function queryEscape(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(char)) out += char;
    else if (char === ' ') out += '+';
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function unreachable(): never {
  throw new FunctionError('internal error: special builtin called directly');
}

/** Go's predefined global functions. */
export function builtinFunctions(): Map<string, FunctionSpec> {
  const table = new Map<string, FunctionSpec>();
  const add = (
    name: string,
    fn: TemplateFunction,
    signature: FunctionSignature,
    special?: FunctionSpec['special'],
  ) => table.set(name, { fn, ...signature, ...(special ? { special } : {}) });

  add('and', unreachable, { params: ['any'], variadic: 'any' }, 'and');
  add('or', unreachable, { params: ['any'], variadic: 'any' }, 'or');
  add('call', unreachable, { params: ['any'], variadic: 'any' }, 'call');
  add('not', (value) => !isTrue(value), ONE_ANY);
  add('len', length, ONE_ANY);
  add('index', index, { params: ['any'], variadic: 'any' });
  add('slice', slice, { params: ['any'], variadic: 'any' });
  add('print', (...args) => sprint(args), VARIADIC_ANY);
  add('println', (...args) => sprintln(args), VARIADIC_ANY);
  add('printf', (format, ...args) => sprintf(format as string, args), {
    params: ['string'],
    variadic: 'any',
  });
  add('html', (...args) => htmlEscape(evalArgs(args)), VARIADIC_ANY);
  add('js', (...args) => jsEscape(evalArgs(args)), VARIADIC_ANY);
  add('urlquery', (...args) => queryEscape(evalArgs(args)), VARIADIC_ANY);
  add('eq', (first, ...others) => eq(first, ...others), { params: ['any'], variadic: 'any' });
  add('ne', (a, b) => !eq(a, b), TWO_ANY);
  add('lt', (a, b) => lt(a, b), TWO_ANY);
  add('le', (a, b) => le(a, b), TWO_ANY);
  add('gt', (a, b) => !le(a, b), TWO_ANY);
  add('ge', (a, b) => !lt(a, b), TWO_ANY);
  return table;
}
