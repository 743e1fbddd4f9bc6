/**
 * The subset of Go's `fmt` and `strconv` that templates reach through `print`, `printf`, `println`
 * and the default printing of action results (fmt's `%v`), over the value model of values.ts.
 */
import { GoFloat, goTypeName, kindOf, sortedEntries, toNumber } from './values.js';

interface FormatSpec {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  widPresent: boolean;
  wid: number;
  precPresent: boolean;
  prec: number;
}

function newSpec(): FormatSpec {
  return {
    plus: false,
    minus: false,
    sharp: false,
    space: false,
    zero: false,
    plusV: false,
    sharpV: false,
    widPresent: false,
    wid: 0,
    precPresent: false,
    prec: 0,
  };
}

const LOWER_DIGITS = '0123456789abcdefx';
const UPPER_DIGITS = '0123456789ABCDEFX';

function runeCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function padding(spec: FormatSpec, count: number, allowZero = true): string {
  if (count <= 0) return '';
  return (allowZero && spec.zero ? '0' : ' ').repeat(count);
}

/** Pads to the width in runes, on the left unless `-`; zeros only where Go allows them. */
function pad(spec: FormatSpec, text: string, allowZero = true): string {
  if (!spec.widPresent || spec.wid === 0) return text;
  const fill = padding(spec, spec.wid - runeCount(text), allowZero && !spec.minus);
  return spec.minus ? text + fill : fill + text;
}

// ---------------------------------------------------------------------------------------------
// Quoting (strconv.Quote and friends)

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrintRune(codePoint: number): boolean {
  if (codePoint < 0x80) return codePoint >= 0x20 && codePoint < 0x7f;
  return PRINTABLE.test(String.fromCodePoint(codePoint));
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0');
}

function escapeRune(codePoint: number, quote: string, asciiOnly: boolean): string {
  const char = String.fromCodePoint(codePoint);
  if (char === quote || char === '\\') return '\\' + char;
  if (asciiOnly ? codePoint < 0x80 && isPrintRune(codePoint) : isPrintRune(codePoint)) return char;
  switch (codePoint) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x0b:
      return '\\v';
  }
  if (codePoint < 0x20 || codePoint === 0x7f) return '\\x' + hex(codePoint, 2);
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return '\\ufffd';
  if (codePoint < 0x10000) return '\\u' + hex(codePoint, 4);
  return '\\U' + hex(codePoint, 8);
}

/** strconv.Quote (or QuoteToASCII). */
export function quoteString(text: string, asciiOnly = false): string {
  let out = '"';
  for (const char of text) out += escapeRune(char.codePointAt(0)!, '"', asciiOnly);
  return out + '"';
}

function quoteRune(codePoint: number, asciiOnly: boolean): string {
  if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) codePoint = 0xfffd;
  return "'" + escapeRune(codePoint, "'", asciiOnly) + "'";
}

function canBackquote(text: string): boolean {
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    if (char === '`' || codePoint === 0xfeff) return false;
    if (codePoint < 0x20 && char !== '\t') return false;
    if (codePoint === 0x7f) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Floating point (strconv.FormatFloat)

/** Decimal digits without leading/trailing zeros and the decimal point position: 0.d1d2… × 10^dp. */
interface Decimal {
  digits: string;
  dp: number;
}

const float64View = new DataView(new ArrayBuffer(8));

function floatBits(value: number): { mantissa: bigint; exponent: number } {
  float64View.setFloat64(0, value);
  const bits = float64View.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  if (biased === 0) return { mantissa: fraction, exponent: -1074 };
  return { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/** The exact decimal expansion of a finite, non-negative double. */
function exactDecimal(value: number): Decimal {
  if (value === 0) return { digits: '', dp: 0 };
  const { mantissa, exponent } = floatBits(value);
  let digits: string;
  let dp: number;
  if (exponent >= 0) {
    digits = (mantissa << BigInt(exponent)).toString();
    dp = digits.length;
  } else {
    // m / 2^k = m·5^k / 10^k.
    const k = -exponent;
    digits = (mantissa * 5n ** BigInt(k)).toString();
    dp = digits.length - k;
  }
  return trimDecimal({ digits, dp });
}

function trimDecimal(decimal: Decimal): Decimal {
  let { digits } = decimal;
  let start = 0;
  while (start < digits.length && digits[start] === '0') start++;
  let end = digits.length;
  while (end > start && digits[end - 1] === '0') end--;
  const dp = decimal.dp - start;
  digits = digits.slice(start, end);
  return digits === '' ? { digits: '', dp: 0 } : { digits, dp };
}

/** Rounds to `nd` significant digits, half to even on the exact value (as strconv does). */
function roundDecimal(decimal: Decimal, nd: number): Decimal {
  const { digits, dp } = decimal;
  if (nd < 0 || nd >= digits.length) return nd < 0 ? { digits: '', dp: 0 } : decimal;
  const next = digits.charCodeAt(nd) - 48;
  let roundUp: boolean;
  if (next > 5) roundUp = true;
  else if (next < 5) roundUp = false;
  else if (nd + 1 < digits.length)
    roundUp = true; // digits are trimmed, so anything after is > 0
  else roundUp = nd > 0 && (digits.charCodeAt(nd - 1) - 48) % 2 === 1;
  if (!roundUp) return trimDecimal({ digits: digits.slice(0, nd), dp });
  const kept = digits.slice(0, nd);
  let i = kept.length - 1;
  while (i >= 0 && kept[i] === '9') i--;
  if (i < 0) return { digits: '1', dp: dp + 1 };
  return trimDecimal({
    digits: kept.slice(0, i) + String.fromCharCode(kept.charCodeAt(i) + 1),
    dp,
  });
}

/** The shortest decimal that reads back as the same double (what Go's `%v` prints). */
function shortestDecimal(value: number): Decimal {
  if (value === 0) return { digits: '', dp: 0 };
  const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  return trimDecimal({ digits, dp: Number(exponent) + 1 });
}

function formatExponentDigits(exponent: number): string {
  const sign = exponent < 0 ? '-' : '+';
  const magnitude = Math.abs(exponent);
  return sign + (magnitude < 10 ? '0' + magnitude : String(magnitude));
}

function formatE(decimal: Decimal, prec: number, letter: string): string {
  const { digits } = decimal;
  let out = digits.length > 0 ? digits[0]! : '0';
  if (prec > 0) {
    out += '.';
    const fraction = digits.slice(1, 1 + prec);
    out += fraction + '0'.repeat(prec - fraction.length);
  }
  const exponent = digits.length === 0 ? 0 : decimal.dp - 1;
  return out + letter + formatExponentDigits(exponent);
}

function formatF(decimal: Decimal, prec: number): string {
  const { digits, dp } = decimal;
  let out: string;
  if (dp > 0) {
    const integer = digits.slice(0, dp);
    out = integer + '0'.repeat(dp - integer.length);
  } else {
    out = '0';
  }
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = dp + i - 1;
      out += j >= 0 && j < digits.length ? digits[j] : '0';
    }
  }
  return out;
}

function formatHexFloat(value: number, prec: number, upper: boolean): string {
  let { mantissa, exponent } = floatBits(value);
  let out: string;
  if (mantissa === 0n) {
    exponent = 0;
    mantissa = 0n;
  } else {
    // Normalise so the leading 1 sits at bit 52.
    while (mantissa < 1n << 52n) {
      mantissa <<= 1n;
      exponent--;
    }
    exponent += 52;
  }
  let fraction = mantissa & ((1n << 52n) - 1n);
  let leading = mantissa === 0n ? 0n : 1n;
  let fractionDigits = fraction.toString(16).padStart(13, '0');
  if (prec >= 0 && prec < 13) {
    // Round the 52-bit fraction to prec hex digits, half to even.
    const shift = BigInt((13 - prec) * 4);
    const half = 1n << (shift - 1n);
    const remainder = fraction & ((1n << shift) - 1n);
    let kept = fraction >> shift;
    if (remainder > half || (remainder === half && (kept & 1n) === 1n)) kept++;
    if (kept >> BigInt(prec * 4) !== 0n) {
      kept = 0n;
      leading += 1n;
      if (leading === 2n) {
        leading = 1n;
        exponent++;
      }
    }
    fraction = kept;
    fractionDigits = prec === 0 ? '' : fraction.toString(16).padStart(prec, '0');
  } else if (prec < 0) {
    fractionDigits = fractionDigits.replace(/0+$/, '');
  } else {
    fractionDigits = fractionDigits + '0'.repeat(prec - 13);
  }
  out = '0x' + leading.toString() + (fractionDigits.length > 0 ? '.' + fractionDigits : '');
  out += 'p' + formatExponentDigits(exponent);
  return upper ? out.toUpperCase() : out;
}

/** strconv.FormatFloat for fmt 'e', 'E', 'f', 'g', 'G', 'b', 'x', 'X'; prec −1 means shortest. */
export function formatFloat(value: number, format: string, prec: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  const negative = value < 0 || Object.is(value, -0);
  const sign = negative ? '-' : '';
  const magnitude = Math.abs(value);
  if (format === 'b') {
    const { mantissa, exponent } = floatBits(magnitude);
    return sign + mantissa.toString() + 'p' + (exponent >= 0 ? '+' : '') + exponent;
  }
  if (format === 'x' || format === 'X')
    return sign + formatHexFloat(magnitude, prec, format === 'X');
  const shortest = prec < 0;
  let decimal: Decimal;
  if (shortest) {
    decimal = shortestDecimal(magnitude);
    switch (format) {
      case 'e':
      case 'E':
        prec = Math.max(decimal.digits.length - 1, 0);
        break;
      case 'f':
        prec = Math.max(decimal.digits.length - decimal.dp, 0);
        break;
      default:
        prec = decimal.digits.length;
    }
  } else {
    const exact = exactDecimal(magnitude);
    switch (format) {
      case 'e':
      case 'E':
        decimal = roundDecimal(exact, prec + 1);
        break;
      case 'f':
        decimal = roundDecimal(exact, exact.dp + prec);
        break;
      default:
        if (prec === 0) prec = 1;
        decimal = roundDecimal(exact, prec);
    }
  }
  switch (format) {
    case 'e':
    case 'E':
      return sign + formatE(decimal, prec, format);
    case 'f':
      return sign + formatF(decimal, prec);
    default: {
      let eprec = prec;
      const nd = decimal.digits.length;
      if (eprec > nd && nd >= decimal.dp) eprec = nd;
      if (shortest) eprec = 6;
      const exponent = decimal.dp - 1;
      if (nd > 0 && (exponent < -4 || exponent >= eprec)) {
        if (prec > nd) prec = nd;
        return sign + formatE(decimal, prec - 1, format === 'G' ? 'E' : 'e');
      }
      if (prec > decimal.dp) prec = nd;
      return sign + formatF(decimal, Math.max(prec - decimal.dp, 0));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The printer (fmt's pp)

class Printer {
  out = '';
  spec: FormatSpec = newSpec();

  printArg(arg: unknown, verb: string, depth = 0): void {
    const kind = kindOf(arg);
    if (kind === 'invalid' || kind === 'nil') {
      if (depth > 0 || verb === 'T' || verb === 'v') this.out += pad(this.spec, '<nil>');
      else this.badVerb(verb, arg);
      return;
    }
    if (verb === 'T') {
      this.out += pad(this.spec, goTypeName(arg));
      return;
    }
    switch (kind) {
      case 'bool':
        if (verb === 't' || verb === 'v') this.out += pad(this.spec, arg ? 'true' : 'false');
        else this.badVerb(verb, arg);
        return;
      case 'int':
        this.printInteger(arg as number | bigint, verb);
        return;
      case 'float':
        this.printFloat(toNumber(arg), verb, arg);
        return;
      case 'string':
        this.printString(arg as string, verb);
        return;
      case 'slice':
        this.printSlice(arg as unknown[], verb, depth);
        return;
      case 'map':
        this.printMap(arg as object, verb, depth);
        return;
      case 'func':
        if (verb === 'v' || verb === 'p') this.out += pad(this.spec, '0x0');
        else this.badVerb(verb, arg);
        return;
    }
  }

  private badVerb(verb: string, arg: unknown): void {
    this.out += '%!' + verb + '(';
    if (arg === undefined || arg === null) {
      this.out += '<nil>';
    } else {
      this.out += goTypeName(arg) + '=';
      this.printArg(arg, 'v');
    }
    this.out += ')';
  }

  private printInteger(value: number | bigint, verb: string): void {
    const spec = this.spec;
    switch (verb) {
      case 'v':
      case 'd':
        this.out += formatInteger(spec, value, 10, verb, LOWER_DIGITS);
        return;
      case 'b':
        this.out += formatInteger(spec, value, 2, verb, LOWER_DIGITS);
        return;
      case 'o':
      case 'O':
        this.out += formatInteger(spec, value, 8, verb, LOWER_DIGITS);
        return;
      case 'x':
        this.out += formatInteger(spec, value, 16, verb, LOWER_DIGITS);
        return;
      case 'X':
        this.out += formatInteger(spec, value, 16, verb, UPPER_DIGITS);
        return;
      case 'c':
        this.out += pad(spec, runeString(Number(value)));
        return;
      case 'q':
        this.out += pad(spec, quoteRune(Number(value), spec.plus));
        return;
      case 'U': {
        const codePoint = Number(value);
        let text = 'U+' + hex(codePoint < 0 ? 0 : codePoint, 4).toUpperCase();
        if (spec.sharp && codePoint >= 0 && codePoint <= 0x10ffff && isPrintRune(codePoint)) {
          text += " '" + String.fromCodePoint(codePoint) + "'";
        }
        this.out += pad(spec, text, false);
        return;
      }
      default:
        this.badVerb(verb, value);
    }
  }

  private printFloat(value: number, verb: string, original: unknown): void {
    switch (verb) {
      case 'v':
        this.out += formatFloatWithFlags(this.spec, value, 'g', -1);
        return;
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        this.out += formatFloatWithFlags(this.spec, value, verb, -1);
        return;
      case 'f':
      case 'e':
      case 'E':
      case 'F':
        this.out += formatFloatWithFlags(this.spec, value, verb === 'F' ? 'f' : verb, 6);
        return;
      default:
        this.badVerb(verb, original instanceof GoFloat ? original : value);
    }
  }

  private printString(value: string, verb: string): void {
    const spec = this.spec;
    switch (verb) {
      case 'v':
        this.out += spec.sharpV ? formatQuoted(spec, value) : formatPlain(spec, value);
        return;
      case 's':
        this.out += formatPlain(spec, value);
        return;
      case 'x':
        this.out += formatHexBytes(spec, value, LOWER_DIGITS);
        return;
      case 'X':
        this.out += formatHexBytes(spec, value, UPPER_DIGITS);
        return;
      case 'q':
        this.out += formatQuoted(spec, value);
        return;
      default:
        this.badVerb(verb, value);
    }
  }

  private printSlice(value: unknown[], verb: string, depth: number): void {
    if (this.spec.sharpV) {
      this.out += goTypeName(value) + '{';
      value.forEach((element, i) => {
        if (i > 0) this.out += ', ';
        this.printArg(element, verb, depth + 1);
      });
      this.out += '}';
      return;
    }
    this.out += '[';
    value.forEach((element, i) => {
      if (i > 0) this.out += ' ';
      this.printArg(element, verb, depth + 1);
    });
    this.out += ']';
  }

  private printMap(value: object, verb: string, depth: number): void {
    const entries = sortedEntries(value);
    if (this.spec.sharpV) {
      this.out += goTypeName(value) + '{';
      entries.forEach(([key, element], i) => {
        if (i > 0) this.out += ', ';
        this.printArg(key, verb, depth + 1);
        this.out += ':';
        this.printArg(element, verb, depth + 1);
      });
      this.out += '}';
      return;
    }
    this.out += 'map[';
    entries.forEach(([key, element], i) => {
      if (i > 0) this.out += ' ';
      this.printArg(key, verb, depth + 1);
      this.out += ':';
      this.printArg(element, verb, depth + 1);
    });
    this.out += ']';
  }
}

function runeString(codePoint: number): string {
  if (codePoint < 0 || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) {
    return '\ufffd';
  }
  return String.fromCodePoint(codePoint);
}

function truncateRunes(spec: FormatSpec, text: string): string {
  if (!spec.precPresent) return text;
  let out = '';
  let count = 0;
  for (const char of text) {
    if (count === spec.prec) break;
    out += char;
    count++;
  }
  return out;
}

function formatPlain(spec: FormatSpec, text: string): string {
  return pad(spec, truncateRunes(spec, text), false);
}

function formatQuoted(spec: FormatSpec, text: string): string {
  const truncated = truncateRunes(spec, text);
  if (spec.sharp && canBackquote(truncated)) return pad(spec, '`' + truncated + '`', false);
  return pad(spec, quoteString(truncated, spec.plus), false);
}

function formatHexBytes(spec: FormatSpec, text: string, digits: string): string {
  const bytes = Buffer.from(text, 'utf8');
  let length = bytes.length;
  if (spec.precPresent && spec.prec < length) length = spec.prec;
  let width = 2 * length;
  if (width > 0) {
    if (spec.space) {
      if (spec.sharp) width *= 2;
      width += length - 1;
    } else if (spec.sharp) {
      width += 2;
    }
  } else {
    return spec.widPresent ? ' '.repeat(spec.wid) : '';
  }
  let body = '';
  if (spec.sharp) body += '0' + digits[16];
  for (let i = 0; i < length; i++) {
    if (spec.space && i > 0) {
      body += ' ';
      if (spec.sharp) body += '0' + digits[16];
    }
    const byte = bytes[i]!;
    body += digits[byte >> 4]! + digits[byte & 0xf]!;
  }
  const fill = spec.widPresent && spec.wid > width ? ' '.repeat(spec.wid - width) : '';
  return spec.minus ? body + fill : fill + body;
}

function formatInteger(
  spec: FormatSpec,
  value: number | bigint,
  base: number,
  verb: string,
  digits: string,
): string {
  // Integral doubles beyond 2^53 print exactly, as the int64 they stand for.
  if (typeof value === 'number' && !Number.isSafeInteger(value)) value = BigInt(value);
  const negative = value < 0;
  const magnitude = typeof value === 'bigint' ? (negative ? -value : value) : Math.abs(value);
  let prec = 0;
  if (spec.precPresent) {
    prec = spec.prec;
    if (prec === 0 && magnitude == 0) return spec.widPresent ? ' '.repeat(spec.wid) : '';
  } else if (spec.zero && !spec.minus && spec.widPresent) {
    prec = spec.wid;
    if (negative || spec.plus || spec.space) prec--;
  }
  let body = magnitude.toString(base);
  if (digits === UPPER_DIGITS) body = body.toUpperCase();
  if (body.length < prec) body = '0'.repeat(prec - body.length) + body;
  if (spec.sharp) {
    if (base === 2) body = '0b' + body;
    else if (base === 8 && body[0] !== '0') body = '0' + body;
    else if (base === 16) body = '0' + digits[16] + body;
  }
  if (verb === 'O') body = '0o' + body;
  if (negative) body = '-' + body;
  else if (spec.plus) body = '+' + body;
  else if (spec.space) body = ' ' + body;
  return pad(spec, body, false);
}

function formatFloatWithFlags(
  spec: FormatSpec,
  value: number,
  verb: string,
  defaultPrec: number,
): string {
  const prec = spec.precPresent ? spec.prec : defaultPrec;
  let num = formatFloat(value, verb, prec);
  if (num[0] !== '-' && num[0] !== '+') num = '+' + num;
  if (spec.space && num[0] === '+' && !spec.plus) num = ' ' + num.slice(1);
  if (num[1] === 'I' || num[1] === 'N') {
    if (num[1] === 'N' && !spec.space && !spec.plus) num = num.slice(1);
    return pad(spec, num, false);
  }
  if (spec.sharp && verb !== 'b') num = applySharpFloat(num, verb, prec);
  if (spec.plus || num[0] !== '+') {
    if (spec.zero && !spec.minus && spec.widPresent && spec.wid > num.length) {
      return num[0] + '0'.repeat(spec.wid - num.length) + num.slice(1);
    }
    return pad(spec, num, false);
  }
  return pad(spec, num.slice(1), false);
}

/** `#` keeps the decimal point, and for %g keeps trailing zeros up to the precision. */
function applySharpFloat(num: string, verb: string, prec: number): string {
  let digits = 0;
  if (verb === 'v' || verb === 'g' || verb === 'G' || verb === 'x') digits = prec === -1 ? 6 : prec;
  let tail = '';
  let body = num;
  let hasDecimalPoint = false;
  let sawNonzeroDigit = false;
  for (let i = 1; i < body.length; i++) {
    const char = body[i]!;
    if (char === '.') {
      hasDecimalPoint = true;
    } else if (
      char === 'p' ||
      char === 'P' ||
      ((char === 'e' || char === 'E') && verb !== 'x' && verb !== 'X')
    ) {
      tail = body.slice(i);
      body = body.slice(0, i);
      break;
    } else {
      if (char !== '0') sawNonzeroDigit = true;
      if (sawNonzeroDigit) digits--;
    }
  }
  if (!hasDecimalPoint) {
    if (body.length === 2 && body[1] === '0') digits--;
    body += '.';
  }
  if (digits > 0) body += '0'.repeat(digits);
  return body + tail;
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** fmt.Sprint: spaces only between operands when neither is a string. */
export function sprint(args: readonly unknown[]): string {
  const printer = new Printer();
  let previousIsString = false;
  args.forEach((arg, i) => {
    const isString = typeof arg === 'string';
    if (i > 0 && !isString && !previousIsString) printer.out += ' ';
    printer.spec = newSpec();
    printer.printArg(arg, 'v');
    previousIsString = isString;
  });
  return printer.out;
}

/** fmt.Sprintln: spaces between all operands and a trailing newline. */
export function sprintln(args: readonly unknown[]): string {
  const printer = new Printer();
  args.forEach((arg, i) => {
    if (i > 0) printer.out += ' ';
    printer.spec = newSpec();
    printer.printArg(arg, 'v');
  });
  return printer.out + '\n';
}

/** Formats one value as fmt's `%v` does (used to print action results). */
export function formatValue(value: unknown): string {
  const printer = new Printer();
  printer.printArg(value, 'v');
  return printer.out;
}

const MAX_NUMBER = 1e6;

function parseNumber(
  format: string,
  start: number,
  end: number,
): { value: number; ok: boolean; next: number } {
  if (start >= end) return { value: 0, ok: false, next: end };
  let value = 0;
  let ok = false;
  let i = start;
  while (i < end && format.charCodeAt(i) >= 48 && format.charCodeAt(i) <= 57) {
    if (value > MAX_NUMBER) return { value: -1, ok: false, next: end };
    value = value * 10 + (format.charCodeAt(i) - 48);
    ok = true;
    i++;
  }
  return { value, ok, next: i };
}

function intFromArg(
  args: readonly unknown[],
  argNum: number,
): { value: number; ok: boolean; next: number } {
  if (argNum >= args.length) return { value: 0, ok: false, next: argNum };
  const arg = args[argNum];
  if (kindOf(arg) === 'int') {
    const value = Number(arg);
    if (Math.abs(value) > MAX_NUMBER) return { value: 0, ok: false, next: argNum + 1 };
    return { value, ok: true, next: argNum + 1 };
  }
  return { value: 0, ok: false, next: argNum + 1 };
}

/** fmt.Sprintf with Go's verbs, flags, widths, precisions, `*` and `[n]` argument indexes. */
export function sprintf(format: string, args: readonly unknown[]): string {
  const printer = new Printer();
  const end = format.length;
  let argNum = 0;
  let afterIndex = false;
  let reordered = false;
  let goodArgNum = true;

  const argNumber = (i: number): { argNum: number; i: number; found: boolean } => {
    if (i >= end || format[i] !== '[') return { argNum, i, found: false };
    reordered = true;
    const close = format.indexOf(']', i + 1);
    if (close < 0 || end - i < 3) {
      goodArgNum = false;
      return { argNum, i: i + 1, found: false };
    }
    const parsed = parseNumber(format, i + 1, close);
    if (!parsed.ok || parsed.next !== close) {
      goodArgNum = false;
      return { argNum, i: close + 1, found: false };
    }
    const index = parsed.value - 1;
    if (index >= 0 && index < args.length) return { argNum: index, i: close + 1, found: true };
    goodArgNum = false;
    return { argNum, i: close + 1, found: true };
  };

  let i = 0;
  while (i < end) {
    goodArgNum = true;
    const textStart = i;
    while (i < end && format[i] !== '%') i++;
    if (i > textStart) printer.out += format.slice(textStart, i);
    if (i >= end) break;
    i++;
    const spec = newSpec();
    printer.spec = spec;
    flags: for (; i < end; i++) {
      switch (format[i]) {
        case '#':
          spec.sharp = true;
          break;
        case '0':
          spec.zero = !spec.minus;
          break;
        case '+':
          spec.plus = true;
          break;
        case '-':
          spec.minus = true;
          spec.zero = false;
          break;
        case ' ':
          spec.space = true;
          break;
        default:
          break flags;
      }
    }

    let index = argNumber(i);
    argNum = index.argNum;
    i = index.i;
    afterIndex = index.found;

    if (i < end && format[i] === '*') {
      i++;
      const width = intFromArg(args, argNum);
      spec.wid = width.value;
      spec.widPresent = width.ok;
      argNum = width.next;
      if (!spec.widPresent) printer.out += '%!(BADWIDTH)';
      if (spec.wid < 0) {
        spec.wid = -spec.wid;
        spec.minus = true;
        spec.zero = false;
      }
      afterIndex = false;
    } else {
      const width = parseNumber(format, i, end);
      spec.wid = width.value;
      spec.widPresent = width.ok;
      i = width.next;
      if (afterIndex && spec.widPresent) goodArgNum = false;
    }

    if (i + 1 < end && format[i] === '.') {
      i++;
      if (afterIndex) goodArgNum = false;
      index = argNumber(i);
      argNum = index.argNum;
      i = index.i;
      afterIndex = index.found;
      if (i < end && format[i] === '*') {
        i++;
        const precision = intFromArg(args, argNum);
        spec.prec = precision.value;
        spec.precPresent = precision.ok;
        argNum = precision.next;
        if (spec.prec < 0) {
          spec.prec = 0;
          spec.precPresent = false;
        }
        if (!spec.precPresent) printer.out += '%!(BADPREC)';
        afterIndex = false;
      } else {
        const precision = parseNumber(format, i, end);
        spec.prec = precision.value;
        spec.precPresent = precision.ok;
        i = precision.next;
        if (!spec.precPresent) {
          spec.prec = 0;
          spec.precPresent = true;
        }
      }
    }

    if (!afterIndex) {
      index = argNumber(i);
      argNum = index.argNum;
      i = index.i;
      afterIndex = index.found;
    }

    if (i >= end) {
      printer.out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;

    if (verb === '%') {
      printer.out += '%';
    } else if (!goodArgNum) {
      printer.out += '%!' + verb + '(BADINDEX)';
    } else if (argNum >= args.length) {
      printer.out += '%!' + verb + '(MISSING)';
    } else {
      if (verb === 'v') {
        spec.sharpV = spec.sharp;
        spec.sharp = false;
        spec.plusV = spec.plus;
        spec.plus = false;
      }
      printer.printArg(args[argNum], verb);
      argNum++;
    }
  }

  if (!reordered && argNum < args.length) {
    printer.spec = newSpec();
    printer.out += '%!(EXTRA ';
    args.slice(argNum).forEach((arg, n) => {
      if (n > 0) printer.out += ', ';
      if (arg === undefined || arg === null) {
        printer.out += '<nil>';
      } else {
        printer.out += goTypeName(arg) + '=';
        printer.printArg(arg, 'v');
      }
    });
    printer.out += ')';
  }
  return printer.out;
}
