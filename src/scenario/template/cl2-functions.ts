/**
 * ClusterLoader2's template functions (`GetFuncs` in perf-tests clusterloader2/pkg/config/
 * template_functions.go), with the same conversions: numbers go through float64, `*Int` results
 * are truncated toward zero, and misuse fails with the messages CL2's panics and errors carry.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { createRng, type Rng } from '../../common/random.js';
import { formatValue } from './gofmt.js';
import { FunctionError } from './functions.js';
import type { FunctionSignature, FunctionSpec, TemplateFunction } from './functions.js';
import { parseGoFloat } from './literals.js';
import { GoFloat, goTypeName, kindOf, tagSlice, toNumber, truncateToInt } from './values.js';
import { yamlQuote } from './yaml-quote.js';

export interface Cl2FunctionOptions {
  /** Directory relative IncludeFile and IncludeEmbedFile paths resolve against. */
  baseDir: string;
  /** Random source for RandInt, RandIntRange and RandData. */
  rng: Rng;
  readFile?: (path: string) => string;
  /** Environment for `$VAR` expansion in IncludeFile paths. */
  env?: Readonly<Record<string, string | undefined>>;
}

const RAND_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** CL2's toFloat64: numbers and numeric strings; anything else panics (naming the 1-based argument). */
function toFloat64(value: unknown, argument: number): number {
  switch (kindOf(value)) {
    case 'int':
    case 'float':
      return toNumber(value);
    case 'string': {
      const parsed = parseGoFloat(value as string);
      if (parsed !== undefined) return parsed;
      break;
    }
  }
  throw new FunctionError(`argument ${argument}: cannot cast ${formatValue(value)} to float64`);
}

function toInt(value: unknown, argument = 1): number {
  return truncateToInt(toFloat64(value, argument));
}

function makeSliceLength(size: number): number {
  if (size < 0) throw new FunctionError('runtime error: makeslice: len out of range');
  return size;
}

/** Go's rand.Intn over the seeded source. */
function intn(rng: Rng, n: number): number {
  if (n <= 0) throw new FunctionError('invalid argument to Intn');
  return Math.floor(rng() * n);
}

function randomString(rng: Rng, size: number): string {
  let out = '';
  for (let i = 0; i < size; i++) out += RAND_ALPHABET[Math.floor(rng() * RAND_ALPHABET.length)];
  return out;
}

/** A deterministic stream from the first 8 bytes of sha256(seed), as CL2 seeds RandDataWithSeed. */
function seededRng(seed: string): Rng {
  const digest = createHash('sha256').update(seed, 'utf8').digest();
  return createRng(digest.readUInt32BE(0) ^ digest.readUInt32BE(4));
}

function addFloat(...numbers: unknown[]): number {
  let sum = 0;
  numbers.forEach((number, i) => {
    sum += toFloat64(number, i + 1);
  });
  return sum;
}

function multiplyFloat(...numbers: unknown[]): number {
  let product = 1;
  numbers.forEach((number, i) => {
    product *= toFloat64(number, i + 1);
  });
  return product;
}

function divideFloat(a: unknown, b: unknown): number {
  const dividend = toFloat64(a, 1);
  const divisor = toFloat64(b, 2);
  if (divisor === 0) throw new FunctionError('division by zero');
  return dividend / divisor;
}

function maxFloat(...numbers: unknown[]): number {
  if (numbers.length === 0) throw new FunctionError('maximum undefined');
  let result = toFloat64(numbers[0], 1);
  numbers.forEach((number, i) => {
    result = Math.max(result, toFloat64(number, i + 1));
  });
  return result;
}

function minFloat(...numbers: unknown[]): number {
  if (numbers.length === 0) throw new FunctionError('minimum undefined');
  let result = toFloat64(numbers[0], 1);
  numbers.forEach((number, i) => {
    result = Math.min(result, toFloat64(number, i + 1));
  });
  return result;
}

function requireString(value: unknown): string {
  if (typeof value !== 'string') {
    throw new FunctionError(`incorrect argument type: got: ${goTypeName(value)} want: string`);
  }
  return value;
}

/** os.ExpandEnv: `$NAME` and `${NAME}`; unset variables expand to nothing. */
function expandEnv(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(
    /\$(?:\{([^}]*)\}|([A-Za-z0-9_]+)|([*#$@!?\-]))/g,
    (_, braced?: string, bare?: string, special?: string) => {
      const name = braced ?? bare ?? special ?? '';
      return env[name] ?? '';
    },
  );
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** io/fs.ValidPath: unrooted, slash-separated, no `.`/`..`/empty elements (except "."). */
function isValidFsPath(name: string): boolean {
  if (name === '.') return true;
  if (name === '') return false;
  return name.split('/').every((element) => element !== '' && element !== '.' && element !== '..');
}

/** CL2's function table, keyed by the names configs use. */
export function cl2Functions(options: Cl2FunctionOptions): Map<string, FunctionSpec> {
  const { rng, baseDir } = options;
  const readFile = options.readFile ?? ((file: string) => readFileSync(file, 'utf8'));
  const env = options.env ?? process.env;
  const table = new Map<string, FunctionSpec>();
  const add = (name: string, fn: TemplateFunction, signature: FunctionSignature) =>
    table.set(name, { fn, ...signature });
  const variadicAny: FunctionSignature = { params: [], variadic: 'any' };
  const oneAny: FunctionSignature = { params: ['any'] };
  const twoAny: FunctionSignature = { params: ['any', 'any'] };

  const sliceOfZeros = (size: unknown): number[] =>
    tagSlice(new Array<number>(makeSliceLength(toInt(size))).fill(0), '[]int');

  add('AddFloat', (...numbers) => new GoFloat(addFloat(...numbers)), variadicAny);
  add('AddInt', (...numbers) => truncateToInt(addFloat(...numbers)), variadicAny);
  add('Ceil', (value) => new GoFloat(Math.ceil(toFloat64(value, 1))), oneAny);
  add(
    'DefaultParam',
    (param, fallback) => (param === null || param === undefined ? fallback : param),
    twoAny,
  );
  add('DivideFloat', (a, b) => new GoFloat(divideFloat(a, b)), twoAny);
  add('DivideInt', (a, b) => truncateToInt(divideFloat(a, b)), twoAny);
  add(
    'IfThenElse',
    (condition, then, otherwise) => {
      if (typeof condition !== 'boolean') {
        throw new FunctionError(
          `incorrect argument type: got: ${goTypeName(condition)} want: bool`,
        );
      }
      return condition ? then : otherwise;
    },
    { params: ['any', 'any', 'any'] },
  );
  add(
    'IncludeFile',
    (file) => {
      const expanded = expandEnv(requireString(file), env);
      const resolved = path.isAbsolute(expanded) ? expanded : path.join(baseDir, expanded);
      try {
        return readFile(resolved);
      } catch (error) {
        throw new FunctionError(
          `unable to read file: open ${resolved}: ${describeReadError(error)}`,
        );
      }
    },
    oneAny,
  );
  add(
    'IncludeEmbedFile',
    (file) => {
      const name = requireString(file);
      if (!isValidFsPath(name))
        throw new FunctionError(`unable to read file: open ${name}: invalid argument`);
      try {
        return readFile(path.join(baseDir, name));
      } catch (error) {
        throw new FunctionError(`unable to read file: open ${name}: ${describeReadError(error)}`);
      }
    },
    oneAny,
  );
  add(
    'Loop',
    (size) =>
      tagSlice(
        Array.from({ length: makeSliceLength(toInt(size)) }, (_, i) => i),
        '[]int',
      ),
    oneAny,
  );
  add('Lowercase', (text) => (text as string).toLowerCase(), { params: ['string'] });
  add('MaxFloat', (...numbers) => new GoFloat(maxFloat(...numbers)), variadicAny);
  add('MaxInt', (...numbers) => truncateToInt(maxFloat(...numbers)), variadicAny);
  add('MinFloat', (...numbers) => new GoFloat(minFloat(...numbers)), variadicAny);
  add('MinInt', (...numbers) => truncateToInt(minFloat(...numbers)), variadicAny);
  add(
    'Mod',
    (a, b) => {
      const dividend = toInt(a, 1);
      const divisor = toInt(b, 2);
      if (divisor === 0) throw new FunctionError('runtime error: integer divide by zero');
      return (dividend % divisor) + 0;
    },
    twoAny,
  );
  add('MultiplyFloat', (...numbers) => new GoFloat(multiplyFloat(...numbers)), variadicAny);
  add('MultiplyInt', (...numbers) => truncateToInt(multiplyFloat(...numbers)), variadicAny);
  add('RandData', (size) => randomString(rng, makeSliceLength(toInt(size))), oneAny);
  add(
    'RandDataWithSeed',
    (size, seed) => {
      const length = toInt(size);
      if (length === 0) return '';
      if (typeof seed !== 'string') {
        throw new FunctionError(
          `interface conversion: interface {} is ${goTypeName(seed)}, not string`,
        );
      }
      return randomString(seededRng(seed), makeSliceLength(length));
    },
    twoAny,
  );
  add('RandInt', (limit) => intn(rng, toInt(limit) + 1), oneAny);
  add(
    'RandIntRange',
    (low, high) => {
      const min = toInt(low, 1);
      const max = toInt(high, 2);
      if (min >= max) return min;
      return min + intn(rng, max - min + 1);
    },
    twoAny,
  );
  add('Seq', sliceOfZeros, oneAny);
  add('SliceOfZeros', sliceOfZeros, oneAny);
  add('StringSplit', (text) => tagSlice((text as string).split(','), '[]string'), {
    params: ['string'],
  });
  add('SubtractFloat', (a, b) => new GoFloat(toFloat64(a, 1) - toFloat64(b, 2)), twoAny);
  add('SubtractInt', (a, b) => truncateToInt(toFloat64(a, 1) - toFloat64(b, 2)), twoAny);
  add(
    'YamlQuote',
    (text, indent) => {
      const value = requireString(text);
      if (typeof indent !== 'number' || !Number.isInteger(indent)) {
        throw new FunctionError(`incorrect argument type: got: ${goTypeName(indent)} want: int`);
      }
      if (indent < 0) throw new FunctionError('strings: negative Repeat count');
      return yamlQuote(value, indent);
    },
    twoAny,
  );
  add('Concat', (...items) => items.join(''), { params: [], variadic: 'string' });
  // From safetext's yamltemplate, which CL2 renders with: passes structure through unchecked.
  add('StructuralData', (value) => value, oneAny);
  return table;
}
