/**
 * Splits a template into text and the tokens of its `{{ }}` actions. Trim markers (`{{- ` and
 * ` -}}`) are applied to the neighbouring text here, and comment actions are dropped, so the
 * parser only sees text, delimiters and action tokens. The whole input is tokenised up front; a
 * lexical error becomes the last token, so the parser reports any earlier syntax error first.
 */
import { quoteString } from './gofmt.js';

export type ItemType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'complex'
  | 'assign'
  | 'declare'
  | 'eof'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  // Keywords.
  | 'block'
  | 'break'
  | 'continue'
  | 'dot'
  | 'define'
  | 'else'
  | 'end'
  | 'if'
  | 'nil'
  | 'range'
  | 'template'
  | 'with';

export interface Item {
  type: ItemType;
  /** Offset of the token in the template text. */
  pos: number;
  /** The token's text, or the message of an `error` item. */
  value: string;
  /** 1-based line of `pos`. */
  line: number;
}

const KEYWORDS: ReadonlyMap<string, ItemType> = new Map<string, ItemType>([
  ['block', 'block'],
  ['break', 'break'],
  ['continue', 'continue'],
  ['define', 'define'],
  ['else', 'else'],
  ['end', 'end'],
  ['if', 'if'],
  ['range', 'range'],
  ['nil', 'nil'],
  ['template', 'template'],
  ['with', 'with'],
]);

const KEYWORD_TYPES: ReadonlySet<ItemType> = new Set<ItemType>([...KEYWORDS.values(), 'dot']);

export function isKeyword(type: ItemType): boolean {
  return KEYWORD_TYPES.has(type);
}

export interface LexerOptions {
  /** `break` and `continue` are keywords unless a function of that name exists. */
  breakOK: boolean;
  continueOK: boolean;
}

const OPEN = '{{';
const CLOSE = '}}';
const COMMENT_OPEN = '/*';
const COMMENT_CLOSE = '*/';

export function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\t' || char === '\r' || char === '\n';
}

const UNICODE_WORD_CHAR = /^[\p{L}\p{Nd}_]$/u;

/** Letters, digits and `_`, which make up identifiers, field and variable names. */
export function isAlphaNumeric(char: string | undefined): boolean {
  if (char === undefined) return false;
  if (char.charCodeAt(0) < 0x80) return /^[A-Za-z0-9_]$/.test(char);
  return UNICODE_WORD_CHAR.test(char);
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

/** Go's `%#U` of a rune, as its messages name bad characters: `U+0041 'A'`. */
function describeRune(char: string | undefined): string {
  if (char === undefined) return 'U+FFFFFFFFFFFFFFFF';
  const codePoint = char.codePointAt(0)!;
  const hex = 'U+' + codePoint.toString(16).toUpperCase().padStart(4, '0');
  return codePoint >= 0x20 && codePoint !== 0x7f ? `${hex} '${char}'` : hex;
}

/** Go's `%q`, for token text in messages. */
export function goQuote(text: string): string {
  return quoteString(text);
}

class LexicalError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/** Tokenises one template text; `nextItem` hands the tokens out in order, then EOF (or the error). */
export class Lexer {
  private readonly items: Item[] = [];
  private next = 0;
  private readonly lineStarts: number[] = [0];

  constructor(
    private readonly input: string,
    private readonly options: LexerOptions,
  ) {
    for (let i = input.indexOf('\n'); i >= 0; i = input.indexOf('\n', i + 1))
      this.lineStarts.push(i + 1);
    try {
      this.scanAll();
    } catch (error) {
      if (!(error instanceof LexicalError)) throw error;
      this.items.push({
        type: 'error',
        pos: error.pos,
        value: error.message,
        line: this.lineOf(error.pos),
      });
    }
  }

  nextItem(): Item {
    const item = this.items[Math.min(this.next, this.items.length - 1)]!;
    if (this.next < this.items.length) this.next++;
    return item;
  }

  private lineOf(pos: number): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle]! <= pos) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }

  private push(type: ItemType, start: number, end: number): void {
    this.items.push({
      type,
      pos: start,
      value: this.input.slice(start, end),
      line: this.lineOf(start),
    });
  }

  /** `-` plus one white-space character right after `{{` asks to trim the text before it. */
  private hasLeftTrim(at: number): boolean {
    return this.input[at] === '-' && isSpace(this.input[at + 1]);
  }

  /** One white-space character plus `-` right before `}}` asks to trim the text after it. */
  private hasRightTrim(at: number): boolean {
    return (
      isSpace(this.input[at]) && this.input[at + 1] === '-' && this.input.startsWith(CLOSE, at + 2)
    );
  }

  private skipSpace(from: number): number {
    let at = from;
    while (isSpace(this.input[at])) at++;
    return at;
  }

  private scanAll(): void {
    let at = 0;
    while (at < this.input.length) {
      const open = this.input.indexOf(OPEN, at);
      if (open < 0) {
        this.push('text', at, this.input.length);
        break;
      }
      const trimBefore = this.hasLeftTrim(open + OPEN.length);
      let textEnd = open;
      if (trimBefore) while (textEnd > at && isSpace(this.input[textEnd - 1])) textEnd--;
      if (textEnd > at) this.push('text', at, textEnd);
      const body = open + OPEN.length + (trimBefore ? 2 : 0);
      at = this.input.startsWith(COMMENT_OPEN, body)
        ? this.skipComment(open, body)
        : this.scanAction(open, body);
    }
    this.items.push({
      type: 'eof',
      pos: this.input.length,
      value: 'EOF',
      line: this.lineOf(this.input.length),
    });
  }

  /** Skips a comment action; returns where the following text starts. */
  private skipComment(open: number, body: number): number {
    const close = this.input.indexOf(COMMENT_CLOSE, body + COMMENT_OPEN.length);
    if (close < 0) throw new LexicalError('unclosed comment', open);
    const after = close + COMMENT_CLOSE.length;
    if (this.input.startsWith(CLOSE, after)) return after + CLOSE.length;
    if (this.hasRightTrim(after)) return this.skipSpace(after + 2 + CLOSE.length);
    throw new LexicalError('comment ends before closing delimiter', open);
  }

  /** Emits the tokens of one action; returns where the following text starts. */
  private scanAction(open: number, body: number): number {
    this.push('leftDelim', open, open + OPEN.length);
    let parenDepth = 0;
    let at = body;
    for (;;) {
      const char = this.input[at];
      if (char === undefined) throw new LexicalError('unclosed action', at);
      if (this.input.startsWith(CLOSE, at)) {
        if (parenDepth > 0) throw new LexicalError('unclosed left paren', at);
        this.push('rightDelim', at, at + CLOSE.length);
        return at + CLOSE.length;
      }
      if (isSpace(char)) {
        const end = this.skipSpace(at);
        // The last white-space character may belong to a ` -}}` closing delimiter.
        if (this.hasRightTrim(end - 1)) {
          if (parenDepth > 0) throw new LexicalError('unclosed left paren', end - 1);
          if (end - 1 > at) this.push('space', at, end - 1);
          this.push('rightDelim', end + 1, end + 1 + CLOSE.length);
          return this.skipSpace(end + 1 + CLOSE.length);
        }
        this.push('space', at, end);
        at = end;
        continue;
      }
      at = this.scanToken(at, char, (delta) => {
        parenDepth += delta;
        if (parenDepth < 0) throw new LexicalError('unexpected right paren', at);
      });
    }
  }

  /** Emits one token starting at `start` (not white space, not `}}`); returns where it ends. */
  private scanToken(start: number, char: string, paren: (delta: number) => void): number {
    switch (char) {
      case '=':
        this.push('assign', start, start + 1);
        return start + 1;
      case ':':
        if (this.input[start + 1] !== '=') throw new LexicalError('expected :=', start);
        this.push('declare', start, start + 2);
        return start + 2;
      case '|':
        this.push('pipe', start, start + 1);
        return start + 1;
      case '(':
        paren(1);
        this.push('leftParen', start, start + 1);
        return start + 1;
      case ')':
        paren(-1);
        this.push('rightParen', start, start + 1);
        return start + 1;
      case '"':
        return this.scanQuoted(start, '"', 'string', 'unterminated quoted string');
      case "'":
        return this.scanQuoted(start, "'", 'charConstant', 'unterminated character constant');
      case '`': {
        const close = this.input.indexOf('`', start + 1);
        if (close < 0) throw new LexicalError('unterminated raw quoted string', start);
        this.push('rawString', start, close + 1);
        return close + 1;
      }
      case '$':
        return this.scanName(start, 'variable');
    }
    if (char === '.' && !isDigit(this.input[start + 1])) return this.scanName(start, 'field');
    if (char === '.' || char === '+' || char === '-' || isDigit(char))
      return this.scanNumber(start);
    if (isAlphaNumeric(char)) return this.scanWord(start);
    const codePoint = char.codePointAt(0)!;
    if (codePoint >= 0x20 && codePoint < 0x7f) {
      this.push('char', start, start + 1);
      return start + 1;
    }
    throw new LexicalError(
      `unrecognized character in action: ${describeRune(String.fromCodePoint(codePoint))}`,
      start,
    );
  }

  /** Whether a name or word may end at `at`. */
  private atTerminator(at: number): boolean {
    const char = this.input[at];
    if (char === undefined || isSpace(char) || '.,|:()'.includes(char)) return true;
    return this.input.startsWith(CLOSE, at);
  }

  private wordEnd(from: number): number {
    let at = from;
    for (;;) {
      const codePoint = this.input.codePointAt(at);
      if (codePoint === undefined) return at;
      const char = String.fromCodePoint(codePoint);
      if (!isAlphaNumeric(char)) return at;
      at += char.length;
    }
  }

  private badCharacter(at: number): LexicalError {
    const codePoint = this.input.codePointAt(at);
    return new LexicalError(
      `bad character ${describeRune(codePoint === undefined ? undefined : String.fromCodePoint(codePoint))}`,
      at,
    );
  }

  /** `$name` / `.Name`; a bare `$` is the root variable and a bare `.` is dot. */
  private scanName(start: number, type: 'variable' | 'field'): number {
    const end = this.wordEnd(start + 1);
    if (!this.atTerminator(end)) throw this.badCharacter(end);
    this.push(type === 'field' && end === start + 1 ? 'dot' : type, start, end);
    return end;
  }

  private scanWord(start: number): number {
    const end = this.wordEnd(start);
    if (!this.atTerminator(end)) throw this.badCharacter(end);
    const word = this.input.slice(start, end);
    let type: ItemType = KEYWORDS.get(word) ?? 'identifier';
    if (
      (type === 'break' && !this.options.breakOK) ||
      (type === 'continue' && !this.options.continueOK)
    ) {
      type = 'identifier';
    }
    if (word === 'true' || word === 'false') type = 'bool';
    this.push(type, start, end);
    return end;
  }

  private scanQuoted(start: number, quote: string, type: ItemType, unterminated: string): number {
    let at = start + 1;
    for (;;) {
      const char = this.input[at];
      if (char === undefined || char === '\n') throw new LexicalError(unterminated, start);
      if (char === '\\') {
        const escaped = this.input[at + 1];
        if (escaped === undefined || escaped === '\n') throw new LexicalError(unterminated, start);
        at += 2;
        continue;
      }
      at++;
      if (char === quote) break;
    }
    this.push(type, start, at);
    return at;
  }

  /**
   * A number's extent, permissively (validity is checked when the parser converts it): sign,
   * base prefix, digits with `_`, fraction, exponent, imaginary `i`. A real part followed by a
   * signed imaginary part (`1+2i`) makes a complex constant.
   */
  private scanNumber(start: number): number {
    const end = this.numberEnd(start);
    if (end === undefined) throw this.badNumber(start, this.wordEnd(start + 1));
    const sign = this.input[end];
    if (sign === '+' || sign === '-') {
      const imaginaryEnd = this.numberEnd(end);
      if (imaginaryEnd === undefined || this.input[imaginaryEnd - 1] !== 'i') {
        throw this.badNumber(start, imaginaryEnd ?? end + 1);
      }
      this.push('complex', start, imaginaryEnd);
      return imaginaryEnd;
    }
    this.push('number', start, end);
    return end;
  }

  private badNumber(start: number, end: number): LexicalError {
    return new LexicalError(`bad number syntax: ${goQuote(this.input.slice(start, end))}`, start);
  }

  /** Where the number starting at `from` ends, or undefined when letters run into it. */
  private numberEnd(from: number): number | undefined {
    const text = this.input;
    let at = from;
    if (text[at] === '+' || text[at] === '-') at++;
    let digits = /[0-9_]/;
    let exponent = /[eE]/;
    if (text[at] === '0' && /[xXoObB]/.test(text[at + 1] ?? '')) {
      const base = text[at + 1]!.toLowerCase();
      digits = base === 'x' ? /[0-9a-fA-F_]/ : base === 'o' ? /[0-7_]/ : /[01_]/;
      exponent = base === 'x' ? /[pP]/ : /$^/;
      at += 2;
    }
    const run = (): void => {
      while (at < text.length && digits.test(text[at]!)) at++;
    };
    run();
    if (text[at] === '.') {
      at++;
      run();
    }
    if (exponent.test(text[at] ?? '')) {
      at++;
      if (text[at] === '+' || text[at] === '-') at++;
      while (at < text.length && /[0-9_]/.test(text[at]!)) at++;
    }
    if (text[at] === 'i') at++;
    if (isAlphaNumeric(text[at])) return undefined;
    return at;
  }
}
