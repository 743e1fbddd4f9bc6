import { quoteString } from './gofmt.js';

/**
 * The text/template scanner: splits a template into text and the tokens inside `{{ }}` actions,
 * applying the `{{- ` / ` -}}` trim markers and dropping comment actions on the way, exactly
 * as Go's text/template/parse lexer does.
 */

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
  value: string;
  line: number;
}

const KEYWORDS: ReadonlyMap<string, ItemType> = new Map<string, ItemType>([
  ['.', 'dot'],
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

export function isKeyword(type: ItemType): boolean {
  return (
    type === 'block' ||
    type === 'break' ||
    type === 'continue' ||
    type === 'dot' ||
    type === 'define' ||
    type === 'else' ||
    type === 'end' ||
    type === 'if' ||
    type === 'nil' ||
    type === 'range' ||
    type === 'template' ||
    type === 'with'
  );
}

const LEFT_DELIM = '{{';
const RIGHT_DELIM = '}}';
const LEFT_COMMENT = '/*';
const RIGHT_COMMENT = '*/';
const TRIM_MARKER_LENGTH = 2;

export function isSpace(char: string | undefined): boolean {
  return char === ' ' || char === '\t' || char === '\r' || char === '\n';
}

const LETTER_OR_DIGIT = /^[\p{L}\p{Nd}_]$/u;

export function isAlphaNumeric(char: string | undefined): boolean {
  if (char === undefined) return false;
  const code = char.charCodeAt(0);
  if (code < 0x80) {
    return (
      char === '_' ||
      (code >= 48 && code <= 57) ||
      (code >= 65 && code <= 90) ||
      (code >= 97 && code <= 122)
    );
  }
  return LETTER_OR_DIGIT.test(char);
}

function hasLeftTrimMarker(text: string, at: number): boolean {
  return text[at] === '-' && isSpace(text[at + 1]);
}

function hasRightTrimMarker(text: string, at: number): boolean {
  return isSpace(text[at]) && text[at + 1] === '-';
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

type StateFn = ((lexer: Lexer) => StateFn) | null;

export interface LexerOptions {
  /** `break`/`continue` are keywords unless a function of that name exists. */
  breakOK: boolean;
  continueOK: boolean;
}

export class Lexer {
  private pos = 0;
  private start = 0;
  private atEOF = false;
  private parenDepth = 0;
  private line = 1;
  private startLine = 1;
  private item: Item;
  private insideAction = false;
  private input: string;

  constructor(
    input: string,
    readonly options: LexerOptions,
  ) {
    this.input = input;
    this.item = { type: 'eof', pos: 0, value: 'EOF', line: 1 };
  }

  nextItem(): Item {
    this.item = { type: 'eof', pos: this.pos, value: 'EOF', line: this.startLine };
    let state: StateFn = this.insideAction ? lexInsideAction : lexText;
    while (state !== null) state = state(this);
    return this.item;
  }

  // Scanner primitives, on UTF-16 code points.

  next(): string | undefined {
    if (this.pos >= this.input.length) {
      this.atEOF = true;
      return undefined;
    }
    const codePoint = this.input.codePointAt(this.pos)!;
    const char = String.fromCodePoint(codePoint);
    this.pos += char.length;
    if (char === '\n') this.line++;
    return char;
  }

  peek(): string | undefined {
    const char = this.next();
    this.backup();
    return char;
  }

  backup(): void {
    if (!this.atEOF && this.pos > 0) {
      const low = this.input.charCodeAt(this.pos - 1);
      const width = low >= 0xdc00 && low <= 0xdfff && this.pos > 1 ? 2 : 1;
      this.pos -= width;
      if (this.input[this.pos] === '\n') this.line--;
    }
  }

  private thisItem(type: ItemType): Item {
    const item: Item = {
      type,
      pos: this.start,
      value: this.input.slice(this.start, this.pos),
      line: this.startLine,
    };
    this.start = this.pos;
    this.startLine = this.line;
    return item;
  }

  emit(type: ItemType): StateFn {
    return this.emitItem(this.thisItem(type));
  }

  emitItem(item: Item): StateFn {
    this.item = item;
    return null;
  }

  ignore(): void {
    this.line += countNewlines(this.input, this.start, this.pos);
    this.start = this.pos;
    this.startLine = this.line;
  }

  accept(valid: string): boolean {
    const char = this.next();
    if (char !== undefined && valid.includes(char)) return true;
    this.backup();
    return false;
  }

  acceptRun(valid: string): void {
    for (;;) {
      const char = this.next();
      if (char === undefined || !valid.includes(char)) break;
    }
    this.backup();
  }

  errorf(message: string): StateFn {
    this.item = { type: 'error', pos: this.start, value: message, line: this.startLine };
    this.start = 0;
    this.pos = 0;
    this.input = '';
    return null;
  }

  // States.

  lexText(): StateFn {
    const found = this.input.indexOf(LEFT_DELIM, this.pos);
    if (found >= 0) {
      if (found > this.pos) {
        this.pos = found;
        let trimLength = 0;
        const delimEnd = this.pos + LEFT_DELIM.length;
        if (hasLeftTrimMarker(this.input, delimEnd)) {
          while (
            this.pos - trimLength > this.start &&
            isSpace(this.input[this.pos - trimLength - 1])
          ) {
            trimLength++;
          }
        }
        this.pos -= trimLength;
        this.line += countNewlines(this.input, this.start, this.pos);
        const item = this.thisItem('text');
        this.pos += trimLength;
        this.ignore();
        if (item.value.length > 0) return this.emitItem(item);
      }
      return lexLeftDelim;
    }
    this.pos = this.input.length;
    if (this.pos > this.start) {
      this.line += countNewlines(this.input, this.start, this.pos);
      return this.emit('text');
    }
    return this.emit('eof');
  }

  atRightDelim(): { delim: boolean; trimSpaces: boolean } {
    if (
      hasRightTrimMarker(this.input, this.pos) &&
      this.input.startsWith(RIGHT_DELIM, this.pos + TRIM_MARKER_LENGTH)
    ) {
      return { delim: true, trimSpaces: true };
    }
    if (this.input.startsWith(RIGHT_DELIM, this.pos)) return { delim: true, trimSpaces: false };
    return { delim: false, trimSpaces: false };
  }

  private leftTrimLength(at: number): number {
    let i = at;
    while (i < this.input.length && isSpace(this.input[i])) i++;
    return i - at;
  }

  lexLeftDelim(): StateFn {
    this.pos += LEFT_DELIM.length;
    const trimSpace = hasLeftTrimMarker(this.input, this.pos);
    const afterMarker = trimSpace ? TRIM_MARKER_LENGTH : 0;
    if (this.input.startsWith(LEFT_COMMENT, this.pos + afterMarker)) {
      this.pos += afterMarker;
      this.ignore();
      return lexComment;
    }
    const item = this.thisItem('leftDelim');
    this.insideAction = true;
    this.pos += afterMarker;
    this.ignore();
    this.parenDepth = 0;
    return this.emitItem(item);
  }

  lexComment(): StateFn {
    this.pos += LEFT_COMMENT.length;
    const end = this.input.indexOf(RIGHT_COMMENT, this.pos);
    if (end < 0) return this.errorf('unclosed comment');
    this.pos = end + RIGHT_COMMENT.length;
    const { delim, trimSpaces } = this.atRightDelim();
    if (!delim) return this.errorf('comment ends before closing delimiter');
    this.line += countNewlines(this.input, this.start, this.pos);
    this.thisItem('text');
    if (trimSpaces) this.pos += TRIM_MARKER_LENGTH;
    this.pos += RIGHT_DELIM.length;
    if (trimSpaces) this.pos += this.leftTrimLength(this.pos);
    this.ignore();
    return lexText;
  }

  lexRightDelim(): StateFn {
    const { trimSpaces } = this.atRightDelim();
    if (trimSpaces) {
      this.pos += TRIM_MARKER_LENGTH;
      this.ignore();
    }
    this.pos += RIGHT_DELIM.length;
    const item = this.thisItem('rightDelim');
    if (trimSpaces) {
      this.pos += this.leftTrimLength(this.pos);
      this.ignore();
    }
    this.insideAction = false;
    return this.emitItem(item);
  }

  lexInsideAction(): StateFn {
    const { delim } = this.atRightDelim();
    if (delim) {
      if (this.parenDepth === 0) return lexRightDelim;
      return this.errorf('unclosed left paren');
    }
    const char = this.next();
    if (char === undefined) return this.errorf('unclosed action');
    if (isSpace(char)) {
      this.backup();
      return lexSpace;
    }
    switch (char) {
      case '=':
        return this.emit('assign');
      case ':':
        if (this.next() !== '=') return this.errorf('expected :=');
        return this.emit('declare');
      case '|':
        return this.emit('pipe');
      case '"':
        return lexQuote;
      case '`':
        return lexRawQuote;
      case '$':
        return lexVariable;
      case "'":
        return lexChar;
      case '(':
        this.parenDepth++;
        return this.emit('leftParen');
      case ')':
        this.parenDepth--;
        if (this.parenDepth < 0) return this.errorf('unexpected right paren');
        return this.emit('rightParen');
    }
    if (char === '.') {
      const following = this.input[this.pos];
      if (following !== undefined && (following < '0' || following > '9')) return lexField;
    }
    if (char === '.' || char === '+' || char === '-' || (char >= '0' && char <= '9')) {
      this.backup();
      return lexNumber;
    }
    if (isAlphaNumeric(char)) {
      this.backup();
      return lexIdentifier;
    }
    const code = char.codePointAt(0)!;
    if (code >= 0x20 && code < 0x7f) return this.emit('char');
    return this.errorf(`unrecognized character in action: ${describeRune(code)}`);
  }

  lexSpace(): StateFn {
    let spaces = 0;
    while (isSpace(this.peek())) {
      this.next();
      spaces++;
    }
    if (
      hasRightTrimMarker(this.input, this.pos - 1) &&
      this.input.startsWith(RIGHT_DELIM, this.pos - 1 + TRIM_MARKER_LENGTH)
    ) {
      this.backup();
      if (spaces === 1) return lexRightDelim;
    }
    return this.emit('space');
  }

  lexIdentifier(): StateFn {
    for (;;) {
      const char = this.next();
      if (isAlphaNumeric(char)) continue;
      this.backup();
      const word = this.input.slice(this.start, this.pos);
      if (!this.atTerminator())
        return this.errorf(`bad character ${describeRune(char?.codePointAt(0))}`);
      const keyword = KEYWORDS.get(word);
      if (keyword !== undefined && keyword !== 'dot') {
        if (
          (keyword === 'break' && !this.options.breakOK) ||
          (keyword === 'continue' && !this.options.continueOK)
        ) {
          return this.emit('identifier');
        }
        return this.emit(keyword);
      }
      if (word[0] === '.') return this.emit('field');
      if (word === 'true' || word === 'false') return this.emit('bool');
      return this.emit('identifier');
    }
  }

  lexFieldOrVariable(type: 'field' | 'variable'): StateFn {
    if (this.atTerminator()) return this.emit(type === 'variable' ? 'variable' : 'dot');
    let char: string | undefined;
    for (;;) {
      char = this.next();
      if (!isAlphaNumeric(char)) {
        this.backup();
        break;
      }
    }
    if (!this.atTerminator())
      return this.errorf(`bad character ${describeRune(char?.codePointAt(0))}`);
    return this.emit(type);
  }

  atTerminator(): boolean {
    const char = this.peek();
    if (isSpace(char)) return true;
    switch (char) {
      case undefined:
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
    }
    return this.input.startsWith(RIGHT_DELIM, this.pos);
  }

  lexChar(): StateFn {
    for (;;) {
      const char = this.next();
      if (char === '\\') {
        const escaped = this.next();
        if (escaped !== undefined && escaped !== '\n') continue;
        return this.errorf('unterminated character constant');
      }
      if (char === undefined || char === '\n')
        return this.errorf('unterminated character constant');
      if (char === "'") break;
    }
    return this.emit('charConstant');
  }

  lexNumber(): StateFn {
    if (!this.scanNumber())
      return this.errorf(`bad number syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
    const sign = this.peek();
    if (sign === '+' || sign === '-') {
      if (!this.scanNumber() || this.input[this.pos - 1] !== 'i') {
        return this.errorf(`bad number syntax: ${goQuote(this.input.slice(this.start, this.pos))}`);
      }
      return this.emit('complex');
    }
    return this.emit('number');
  }

  private scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i');
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }

  lexQuote(): StateFn {
    for (;;) {
      const char = this.next();
      if (char === '\\') {
        const escaped = this.next();
        if (escaped !== undefined && escaped !== '\n') continue;
        return this.errorf('unterminated quoted string');
      }
      if (char === undefined || char === '\n') return this.errorf('unterminated quoted string');
      if (char === '"') break;
    }
    return this.emit('string');
  }

  lexRawQuote(): StateFn {
    for (;;) {
      const char = this.next();
      if (char === undefined) return this.errorf('unterminated raw quoted string');
      if (char === '`') break;
    }
    return this.emit('rawString');
  }
}

const lexText = (lexer: Lexer): StateFn => lexer.lexText();
const lexLeftDelim = (lexer: Lexer): StateFn => lexer.lexLeftDelim();
const lexComment = (lexer: Lexer): StateFn => lexer.lexComment();
const lexRightDelim = (lexer: Lexer): StateFn => lexer.lexRightDelim();
const lexInsideAction = (lexer: Lexer): StateFn => lexer.lexInsideAction();
const lexSpace = (lexer: Lexer): StateFn => lexer.lexSpace();
const lexIdentifier = (lexer: Lexer): StateFn => lexer.lexIdentifier();
const lexField = (lexer: Lexer): StateFn => lexer.lexFieldOrVariable('field');
const lexVariable = (lexer: Lexer): StateFn =>
  lexer.atTerminator() ? lexer.emit('variable') : lexer.lexFieldOrVariable('variable');
const lexChar = (lexer: Lexer): StateFn => lexer.lexChar();
const lexNumber = (lexer: Lexer): StateFn => lexer.lexNumber();
const lexQuote = (lexer: Lexer): StateFn => lexer.lexQuote();
const lexRawQuote = (lexer: Lexer): StateFn => lexer.lexRawQuote();

/** Go's `%#U`: `U+0041 'A'`. */
function describeRune(codePoint: number | undefined): string {
  if (codePoint === undefined) return 'U+FFFFFFFFFFFFFFFF';
  const hex = 'U+' + codePoint.toString(16).toUpperCase().padStart(4, '0');
  return codePoint >= 0x20 && codePoint !== 0x7f
    ? `${hex} '${String.fromCodePoint(codePoint)}'`
    : hex;
}

/** Go's `%q`, for token text in messages. */
export function goQuote(text: string): string {
  return quoteString(text);
}
