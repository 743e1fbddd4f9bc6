/**
 * `yaml.Marshal(&s)` of gopkg.in/yaml.v2 for a single string, which is what CL2's `YamlQuote`
 * builds on: the same choice between plain, single-quoted, double-quoted and literal block
 * styles, the same escapes and the same folding of long lines at 80 columns, so that a config
 * rendered here is byte-identical to one rendered by CL2.
 */

type ScalarStyle = 'plain' | 'single' | 'double' | 'literal';

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

const RESOLVES_TO_NON_STRING = new Set([
  'y',
  'Y',
  'yes',
  'Yes',
  'YES',
  'true',
  'True',
  'TRUE',
  'on',
  'On',
  'ON',
  'n',
  'N',
  'no',
  'No',
  'NO',
  'false',
  'False',
  'FALSE',
  'off',
  'Off',
  'OFF',
  '',
  '~',
  'null',
  'Null',
  'NULL',
  '.nan',
  '.NaN',
  '.NAN',
  '.inf',
  '.Inf',
  '.INF',
  '+.inf',
  '+.Inf',
  '+.INF',
  '-.inf',
  '-.Inf',
  '-.INF',
]);

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP_PREFIX = /^[0-9]{4}-/;
const TIMESTAMP_FORMATS = [
  /^\d{4}-\d{1,2}-\d{1,2}[Tt]\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  /^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?$/,
  /^\d{4}-\d{1,2}-\d{1,2}$/,
];

/** Whether yaml.v2 would read the unquoted text back as something other than a string. */
function resolvesToNonString(text: string): boolean {
  if (RESOLVES_TO_NON_STRING.has(text)) return true;
  const first = text[0];
  if (first === undefined) return true;
  if (first === '.') return isGoFloatSyntax(text);
  if (!(first === '+' || first === '-' || (first >= '0' && first <= '9'))) return false;
  if (TIMESTAMP_PREFIX.test(text) && TIMESTAMP_FORMATS.some((format) => format.test(text)))
    return true;
  const plain = text.replaceAll('_', '');
  if (isGoIntSyntax(plain)) return true;
  if (YAML_FLOAT.test(plain)) return true;
  if (/^-?0b[01]+$/.test(plain)) return true;
  return false;
}

/** strconv.ParseInt/ParseUint with base 0 (underscores already removed), within 64 bits. */
function isGoIntSyntax(text: string): boolean {
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]+|[1-9][0-9]*|0)$/.exec(text);
  if (!match) return false;
  const sign = match[1] === '-' ? -1n : 1n;
  let body = match[2]!;
  if (/^0[0-7]/.test(body)) body = '0o' + body.slice(1);
  const value = sign * BigInt(body.toLowerCase().replace(/^0o/, '0o'));
  return value >= -(1n << 63n) && value < 1n << 64n;
}

function isGoFloatSyntax(text: string): boolean {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text);
}

function isBreakCodePoint(codePoint: number): boolean {
  return (
    codePoint === 0x0d ||
    codePoint === 0x0a ||
    codePoint === 0x85 ||
    codePoint === 0x2028 ||
    codePoint === 0x2029
  );
}

/** yaml.v2's is_printable over a decoded code point (it is written over UTF-8 bytes). */
function isPrintable(codePoint: number): boolean {
  return (
    codePoint === 0x0a ||
    (codePoint >= 0x20 && codePoint <= 0x7e) ||
    (codePoint >= 0xa0 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd && codePoint !== 0xfeff)
  );
}

interface Analysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

function analyze(chars: readonly number[]): Analysis {
  if (chars.length === 0) {
    return {
      multiline: false,
      blockPlainAllowed: true,
      singleQuotedAllowed: true,
      blockAllowed: false,
    };
  }
  let blockIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let precededByWhitespace = true;

  const startsWith = (prefix: string): boolean =>
    chars.length >= 3 && String.fromCodePoint(...chars.slice(0, 3)) === prefix;
  if (startsWith('---') || startsWith('...')) blockIndicators = true;

  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    const next = chars[i + 1];
    const followedByWhitespace = next === undefined || next === 0x20 || next === 0x09;
    const symbol = String.fromCodePoint(char);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(symbol)) blockIndicators = true;
      else if ((symbol === '?' || symbol === ':' || symbol === '-') && followedByWhitespace)
        blockIndicators = true;
    } else if (symbol === ':' && followedByWhitespace) {
      blockIndicators = true;
    } else if (symbol === '#' && precededByWhitespace) {
      blockIndicators = true;
    }
    if (!isPrintable(char)) specialCharacters = true;
    if (char === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreakCodePoint(char)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = char === 0x20 || char === 0x09 || isBreakCodePoint(char) || char === 0;
  }

  const analysis: Analysis = {
    multiline: lineBreaks,
    blockPlainAllowed: true,
    singleQuotedAllowed: true,
    blockAllowed: true,
  };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak)
    analysis.blockPlainAllowed = false;
  if (trailingSpace) analysis.blockAllowed = false;
  if (breakSpace) {
    analysis.blockPlainAllowed = false;
    analysis.singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) {
    analysis.blockPlainAllowed = false;
    analysis.singleQuotedAllowed = false;
    analysis.blockAllowed = false;
  }
  if (lineBreaks) analysis.blockPlainAllowed = false;
  if (blockIndicators) analysis.blockPlainAllowed = false;
  return analysis;
}

/** The emitter's output state for one root scalar, indented by 2 inside the document. */
class Emitter {
  out = '';
  column = 0;
  whitespace = true;
  indention = true;
  readonly indent = BEST_INDENT;

  put(text: string): void {
    this.out += text;
    this.column += 1;
  }

  putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  writeBreak(char: number): void {
    if (char === 0x0a) {
      this.putBreak();
    } else {
      this.out += String.fromCodePoint(char);
      this.column = 0;
    }
  }

  writeIndent(): void {
    if (
      !this.indention ||
      this.column > this.indent ||
      (this.column === this.indent && !this.whitespace)
    ) {
      this.putBreak();
    }
    while (this.column < this.indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  writePlain(chars: readonly number[]): void {
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < chars.length; i++) {
      const char = chars[i]!;
      if (char === 0x20) {
        if (!spaces && this.column > BEST_WIDTH && chars[i + 1] !== 0x20) this.writeIndent();
        else this.put(' ');
        spaces = true;
      } else if (isBreakCodePoint(char)) {
        if (!breaks && char === 0x0a) this.putBreak();
        this.writeBreak(char);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(String.fromCodePoint(char));
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  writeSingleQuoted(chars: readonly number[]): void {
    this.put("'");
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < chars.length; i++) {
      const char = chars[i]!;
      if (char === 0x20) {
        if (
          !spaces &&
          this.column > BEST_WIDTH &&
          i > 0 &&
          i < chars.length - 1 &&
          chars[i + 1] !== 0x20
        ) {
          this.writeIndent();
        } else {
          this.put(' ');
        }
        spaces = true;
      } else if (isBreakCodePoint(char)) {
        if (!breaks && char === 0x0a) this.putBreak();
        this.writeBreak(char);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (char === 0x27) this.put("'");
        this.put(String.fromCodePoint(char));
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.put("'");
    this.whitespace = false;
    this.indention = false;
  }

  writeDoubleQuoted(chars: readonly number[]): void {
    this.put('"');
    const startsWithBom = chars[0] === 0xfeff;
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const char = chars[i]!;
      if (
        !isPrintable(char) ||
        startsWithBom ||
        isBreakCodePoint(char) ||
        char === 0x22 ||
        char === 0x5c
      ) {
        this.put('\\');
        this.put(doubleQuotedEscape(char));
        // put() counted one column for the whole escape; the emitter counts one per byte written.
        this.column += doubleQuotedEscape(char).length - 1;
        spaces = false;
      } else if (char === 0x20) {
        if (!spaces && this.column > BEST_WIDTH && i > 0 && i < chars.length - 1) {
          this.writeIndent();
          if (chars[i + 1] === 0x20) this.put('\\');
        } else {
          this.put(' ');
        }
        spaces = true;
      } else {
        this.put(String.fromCodePoint(char));
        spaces = false;
      }
    }
    this.put('"');
    this.whitespace = false;
    this.indention = false;
  }

  writeLiteral(chars: readonly number[]): void {
    this.put('|');
    if (chars[0] === 0x20 || isBreakCodePoint(chars[0] ?? 0)) this.put(String(BEST_INDENT));
    const last = chars[chars.length - 1];
    if (chars.length === 0 || !isBreakCodePoint(last!)) {
      this.put('-');
    } else if (chars.length === 1 || isBreakCodePoint(chars[chars.length - 2]!)) {
      this.put('+');
    }
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const char of chars) {
      if (isBreakCodePoint(char)) {
        this.writeBreak(char);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(String.fromCodePoint(char));
        this.indention = false;
        breaks = false;
      }
    }
  }

  /** The document end: a line break unless the scalar already ended on one. */
  finish(): void {
    const indent = 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) {
      this.putBreak();
    }
  }
}

function doubleQuotedEscape(char: number): string {
  switch (char) {
    case 0x00:
      return '0';
    case 0x07:
      return 'a';
    case 0x08:
      return 'b';
    case 0x09:
      return 't';
    case 0x0a:
      return 'n';
    case 0x0b:
      return 'v';
    case 0x0c:
      return 'f';
    case 0x0d:
      return 'r';
    case 0x1b:
      return 'e';
    case 0x22:
      return '"';
    case 0x5c:
      return '\\';
    case 0x85:
      return 'N';
    case 0xa0:
      return '_';
    case 0x2028:
      return 'L';
    case 0x2029:
      return 'P';
  }
  if (char <= 0xff) return 'x' + char.toString(16).toUpperCase().padStart(2, '0');
  if (char <= 0xffff) return 'u' + char.toString(16).toUpperCase().padStart(4, '0');
  return 'U' + char.toString(16).toUpperCase().padStart(8, '0');
}

/** The text yaml.v2's `Marshal` produces for a string (always ends with a newline). */
export function marshalYamlString(text: string): string {
  const chars = Array.from(text, (char) => char.codePointAt(0)!);
  const canUsePlain = !resolvesToNonString(text) && !BASE60_FLOAT.test(text);
  let style: ScalarStyle;
  if (text.includes('\n')) style = 'literal';
  else if (canUsePlain) style = 'plain';
  else style = 'double';

  const analysis = analyze(chars);
  if (style === 'plain' && !analysis.blockPlainAllowed) style = 'single';
  if (style === 'single' && !analysis.singleQuotedAllowed) style = 'double';
  if (style === 'literal' && !analysis.blockAllowed) style = 'double';

  const emitter = new Emitter();
  switch (style) {
    case 'plain':
      emitter.writePlain(chars);
      break;
    case 'single':
      emitter.writeSingleQuoted(chars);
      break;
    case 'double':
      emitter.writeDoubleQuoted(chars);
      break;
    case 'literal':
      emitter.writeLiteral(chars);
      break;
  }
  emitter.finish();
  return emitter.out;
}

/** CL2's `YamlQuote`: the marshalled string with every line break followed by `indent`×2 spaces. */
export function yamlQuote(text: string, indent: number): string {
  return marshalYamlString(text).replaceAll('\n', '\n' + '  '.repeat(indent));
}
