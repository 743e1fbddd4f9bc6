import { ConfigError } from '../../common/errors.js';

/** Where in a template file something went wrong: 1-based line and column (UTF-16 units). */
export interface SourcePosition {
  line: number;
  column: number;
}

/** Maps offsets in a template's text to line and column, for error messages. */
export class SourceMap {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1))
      this.lineStarts.push(i + 1);
  }

  position(offset: number): SourcePosition {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - this.lineStarts[low]! + 1 };
  }
}

/**
 * A template that does not parse or fails while executing. The message reads like Go's
 * text/template errors, prefixed by `file:line:column`:
 * `scenarios/x.yaml:12:7: executing "x.yaml" at <.Foo.Bar>: nil pointer evaluating interface {}.Bar`.
 * A bad template is bad user input, so this is a ConfigError (code HF_CONFIG, exit code 1).
 */
export class TemplateError extends ConfigError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(
    file: string,
    position: SourcePosition,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}:${position.line}:${position.column}: ${detail}`, options);
    this.file = file;
    this.line = position.line;
    this.column = position.column;
    this.detail = detail;
  }
}
