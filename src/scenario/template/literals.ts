/** Go literal syntax: strconv.Unquote, UnquoteChar, ParseInt(base 0) and ParseFloat. */
import { GoFloat } from './values.js';

export class SyntaxError extends Error {}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\u0007',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

function hexValue(text: string): number | undefined {
  return /^[0-9a-fA-F]+$/.test(text) ? parseInt(text, 16) : undefined;
}

/** strconv.UnquoteChar: decodes one (possibly escaped) character at `at`. */
function unquoteChar(text: string, at: number, quote: string): { char: string; next: number } {
  const first = text[at];
  if (first === undefined) throw new SyntaxError('invalid syntax');
  if (first === quote && (quote === "'" || quote === '"')) throw new SyntaxError('invalid syntax');
  if (first !== '\\') {
    const char = String.fromCodePoint(text.codePointAt(at)!);
    return { char, next: at + char.length };
  }
  const escape = text[at + 1];
  if (escape === undefined) throw new SyntaxError('invalid syntax');
  const simple = SIMPLE_ESCAPES[escape];
  if (simple !== undefined) return { char: simple, next: at + 2 };
  switch (escape) {
    case 'x':
    case 'u':
    case 'U': {
      const length = escape === 'x' ? 2 : escape === 'u' ? 4 : 8;
      const value = hexValue(text.slice(at + 2, at + 2 + length));
      if (value === undefined || text.slice(at + 2, at + 2 + length).length !== length) {
        throw new SyntaxError('invalid syntax');
      }
      if (escape !== 'x' && (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))) {
        throw new SyntaxError('invalid syntax');
      }
      return { char: String.fromCodePoint(value), next: at + 2 + length };
    }
    case "'":
    case '"':
      if (escape !== quote) throw new SyntaxError('invalid syntax');
      return { char: escape, next: at + 2 };
  }
  if (escape >= '0' && escape <= '7') {
    const digits = text.slice(at + 1, at + 4);
    if (!/^[0-7]{3}$/.test(digits)) throw new SyntaxError('invalid syntax');
    const value = parseInt(digits, 8);
    if (value > 255) throw new SyntaxError('invalid syntax');
    return { char: String.fromCharCode(value), next: at + 4 };
  }
  throw new SyntaxError('invalid syntax');
}

/** strconv.Unquote for "…" and `…` literals. */
export function unquote(quoted: string): string {
  const quote = quoted[0];
  if (quoted.length < 2 || quoted[quoted.length - 1] !== quote)
    throw new SyntaxError('invalid syntax');
  const body = quoted.slice(1, -1);
  if (quote === '`') {
    if (body.includes('`')) throw new SyntaxError('invalid syntax');
    return body.replaceAll('\r', '');
  }
  if (quote !== '"') throw new SyntaxError('invalid syntax');
  if (body.includes('\n')) throw new SyntaxError('invalid syntax');
  let out = '';
  for (let i = 0; i < body.length;) {
    const { char, next } = unquoteChar(body, i, '"');
    out += char;
    i = next;
  }
  return out;
}

/** The code point of a character constant such as `'a'` or `'\n'`. */
export function unquoteRune(text: string): number {
  const { char, next } = unquoteChar(text, 1, "'");
  if (text.slice(next) !== "'") throw new SyntaxError(`malformed character constant: ${text}`);
  return char.codePointAt(0)!;
}

/** Underscores may only separate digits, or follow a base prefix (strconv's underscoreOK). */
function underscoreOK(text: string): boolean {
  let saw = '^';
  let body = text;
  if (body[0] === '+' || body[0] === '-') body = body.slice(1);
  let i = 0;
  let hex = false;
  if (body.length >= 2 && body[0] === '0' && 'bBoOxX'.includes(body[1]!)) {
    i = 2;
    saw = '0';
    hex = body[1] === 'x' || body[1] === 'X';
  }
  for (; i < body.length; i++) {
    const char = body[i]!;
    if ((char >= '0' && char <= '9') || (hex && /[a-fA-F]/.test(char))) {
      saw = '0';
      continue;
    }
    if (char === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

export interface ParsedInteger {
  value: bigint;
  /** Fits int64. */
  signed: boolean;
}

/** strconv.ParseInt/ParseUint with base 0; undefined when the text is not an integer. */
export function parseGoInteger(text: string): ParsedInteger | undefined {
  const match = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(
    text,
  );
  if (!match || !underscoreOK(text)) return undefined;
  const negative = match[1] === '-';
  let digits = match[2]!.replaceAll('_', '');
  if (/^0[0-7]/.test(digits)) digits = '0o' + digits.slice(1);
  if (/^0[xXbBoO]$/.test(digits)) return undefined;
  const magnitude = BigInt(
    digits.replace(/^0([XBO])/, (_, letter: string) => '0' + letter.toLowerCase()),
  );
  const value = negative ? -magnitude : magnitude;
  if (value >= -(1n << 63n) && value < 1n << 63n) return { value, signed: true };
  if (!negative && value < 1n << 64n) return { value, signed: false };
  return undefined;
}

/** strconv.ParseFloat(text, 64); undefined when the text is not a float or is out of range. */
export function parseGoFloat(text: string): number | undefined {
  let body = text;
  let sign = 1;
  if (body[0] === '+' || body[0] === '-') {
    if (body[0] === '-') sign = -1;
    body = body.slice(1);
  }
  const lower = body.toLowerCase();
  if (lower === 'inf' || lower === 'infinity') return sign * Infinity;
  if (lower === 'nan' && body.length === text.length) return Number.NaN;
  if (!underscoreOK(text)) return undefined;
  const plain = body.replaceAll('_', '');
  const hexMatch = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/.exec(plain);
  if (hexMatch) {
    const integer = hexMatch[1]!;
    const fraction = hexMatch[2] ?? '';
    if (integer.length + fraction.length === 0) return undefined;
    const mantissa = BigInt('0x' + (integer + fraction || '0'));
    const value = Number(mantissa) * 2 ** (Number(hexMatch[3]) - 4 * fraction.length);
    return Number.isFinite(value) ? sign * value : undefined;
  }
  if (!/^([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(plain)) return undefined;
  const value = Number(plain);
  return Number.isFinite(value) ? sign * value : undefined;
}

/**
 * The value of a number literal in a template, as Go's untyped constants resolve with no other
 * context: integral spellings are ints, those with `.`, `e` or `p` are float64.
 */
export function numberLiteralValue(text: string): unknown {
  if (text.startsWith("'")) return unquoteRune(text);
  if (/i$/.test(text)) throw new SyntaxError(`complex constant ${text} is not supported`);
  const integer = parseGoInteger(text);
  const looksFloat = /[.eEpP]/.test(text) && !/^[+-]?0[xX][^pP]*$/.test(text);
  if (integer !== undefined && !looksFloat) {
    if (!integer.signed) throw new SyntaxError(`${text} overflows int`);
    const asNumber = Number(integer.value);
    return Number.isSafeInteger(asNumber) ? asNumber : integer.value;
  }
  const float = parseGoFloat(text);
  if (float === undefined) throw new SyntaxError(`illegal number syntax: ${JSON.stringify(text)}`);
  if (!/[.eEpP]/.test(text)) throw new SyntaxError(`integer overflow: ${JSON.stringify(text)}`);
  return new GoFloat(float);
}
