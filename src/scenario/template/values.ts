/**
 * The Go value model the template engine works in, mapped onto JavaScript values:
 *
 * | Go                         | JavaScript                                             |
 * | -------------------------- | ------------------------------------------------------ |
 * | invalid reflect.Value      | `undefined` (a missing map key; prints `<no value>`)    |
 * | nil interface              | `null`                                                 |
 * | bool                       | `boolean`                                              |
 * | int / int64                | an integral `number`, or a `bigint` beyond 2^53        |
 * | float64                    | a non-integral `number`, or a {@link GoFloat}          |
 * | string                     | `string`                                               |
 * | slice                      | `Array`                                                |
 * | map                        | a plain object (string keys) or a `Map`                |
 * | func                       | a JavaScript function                                  |
 *
 * Go keeps `float64(2)` apart from `int(2)`: it prints `2` either way, but `1e+06` versus
 * `1000000`, and `eq 2.0 2` is an error. JavaScript cannot tell `2.0` from `2`, so float results
 * of the float functions and float literals are wrapped in {@link GoFloat}.
 */
export class GoFloat {
  constructor(readonly value: number) {}

  valueOf(): number {
    return this.value;
  }

  toString(): string {
    return String(this.value);
  }
}

/** Marks a number as a Go float64 even when it is integral. */
export function float64(value: number): GoFloat {
  return new GoFloat(value);
}

export type GoKind =
  'invalid' | 'nil' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map' | 'func';

export function kindOf(value: unknown): GoKind {
  switch (typeof value) {
    case 'undefined':
      return 'invalid';
    case 'boolean':
      return 'bool';
    case 'number':
      // Integral numbers outside int64 can only have come from a float64 (YAML `1e20`).
      return Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63 ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'string';
    case 'function':
      return 'func';
    case 'object':
      if (value === null) return 'nil';
      if (value instanceof GoFloat) return 'float';
      if (Array.isArray(value)) return 'slice';
      return 'map';
    default:
      return 'invalid';
  }
}

export function isNumberKind(kind: GoKind): boolean {
  return kind === 'int' || kind === 'float';
}

/** The numeric value of an int or float; NaN for anything else. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof GoFloat) return value.value;
  return Number.NaN;
}

const sliceTypeNames = new WeakMap<object, string>();

/** Records the Go element type of a slice built by a function (e.g. `[]int`), for `%T` and errors. */
export function tagSlice<T extends unknown[]>(slice: T, goType: string): T {
  sliceTypeNames.set(slice, goType);
  return slice;
}

/** The Go type name used by `%T`, error messages and `%!verb(type=value)`. */
export function goTypeName(value: unknown): string {
  switch (kindOf(value)) {
    case 'invalid':
    case 'nil':
      return '<nil>';
    case 'bool':
      return 'bool';
    case 'int':
      return typeof value === 'bigint' ? 'int64' : 'int';
    case 'float':
      return 'float64';
    case 'string':
      return 'string';
    case 'slice':
      return sliceTypeNames.get(value as object) ?? '[]interface {}';
    case 'map':
      return value instanceof Map ? 'map[interface {}]interface {}' : 'map[string]interface {}';
    case 'func':
      return 'func(...interface {}) interface {}';
  }
}

/** Go's truth for if/with/and/or/not: the zero value of a type and empty collections are false. */
export function isTrue(value: unknown): boolean {
  switch (kindOf(value)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'bool':
      return value as boolean;
    case 'int':
      return typeof value === 'bigint' ? value !== 0n : value !== 0;
    case 'float':
      return toNumber(value) !== 0;
    case 'string':
      return (value as string).length > 0;
    case 'slice':
      return (value as unknown[]).length > 0;
    case 'map':
      return mapSize(value as object) > 0;
    case 'func':
      return true;
  }
}

export function mapSize(map: object): number {
  if (map instanceof Map) return map.size;
  let size = 0;
  for (const key in map) {
    if (
      Object.prototype.hasOwnProperty.call(map, key) &&
      (map as Record<string, unknown>)[key] !== undefined
    )
      size++;
  }
  return size;
}

export interface MapLookup {
  found: boolean;
  value: unknown;
}

/** Looks a key up in a plain object or Map; own properties only, an `undefined` value is absent. */
export function mapLookup(map: object, key: unknown): MapLookup {
  if (map instanceof Map) {
    if (!map.has(key)) return { found: false, value: undefined };
    const value: unknown = map.get(key);
    return { found: value !== undefined, value };
  }
  if (typeof key !== 'string' || !Object.prototype.hasOwnProperty.call(map, key)) {
    return { found: false, value: undefined };
  }
  const value = (map as Record<string, unknown>)[key];
  return { found: value !== undefined, value };
}

/** Map entries in Go's `fmtsort` order: numbers numerically, strings bytewise, bools false first. */
export function sortedEntries(map: object): Array<[unknown, unknown]> {
  const entries: Array<[unknown, unknown]> = [];
  if (map instanceof Map) {
    for (const [key, value] of map) if (value !== undefined) entries.push([key, value]);
  } else {
    for (const key of Object.keys(map)) {
      const value = (map as Record<string, unknown>)[key];
      if (value !== undefined) entries.push([key, value]);
    }
  }
  return entries.sort((a, b) => compareKeys(a[0], b[0]));
}

const keyKindOrder: Record<GoKind, number> = {
  invalid: 0,
  nil: 0,
  bool: 1,
  int: 2,
  float: 3,
  string: 4,
  slice: 5,
  map: 6,
  func: 7,
};

function compareKeys(a: unknown, b: unknown): number {
  const kindA = kindOf(a);
  const kindB = kindOf(b);
  if (kindA !== kindB) return keyKindOrder[kindA] - keyKindOrder[kindB];
  switch (kindA) {
    case 'bool':
      return Number(a) - Number(b);
    case 'int':
    case 'float': {
      const x = toNumber(a);
      const y = toNumber(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'string':
      return compareStringsBytewise(a as string, b as string);
    default:
      return 0;
  }
}

/** Compares by code point, which orders like Go's bytewise comparison of UTF-8. */
export function compareStringsBytewise(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Go's `int(f)` for a float64: truncation toward zero; out-of-range values become MinInt64 (amd64). */
export function truncateToInt(value: number): number {
  if (!Number.isFinite(value) || Math.abs(value) >= 9223372036854775808)
    return -9223372036854775808;
  return Math.trunc(value) + 0;
}

/** UTF-8 byte length, which is what Go's `len` reports for a string. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
