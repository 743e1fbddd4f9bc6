/**
 * Recursive-descent parser for template texts. It builds the tree of the top-level template and
 * of every template the text defines (`define`, `block`), all into one set. Function names and
 * variables are checked while parsing, as Go does, so those mistakes surface before anything runs.
 */
import type {
  ArgNode,
  BranchNode,
  CommandNode,
  ListNode,
  Node,
  PipeNode,
  TemplateNode,
  VariableNode,
} from './ast.js';
import type { SourceMap } from './errors.js';
import { TemplateError } from './errors.js';
import type { Item, ItemType } from './lexer.js';
import { Lexer, goQuote, isKeyword } from './lexer.js';
import { SyntaxError, numberLiteralValue, unquote } from './literals.js';

export interface ParseContext {
  /** File name for error locations. */
  file: string;
  sourceMap: SourceMap;
  hasFunction: (name: string) => boolean;
}

/** A parsed template text: the top-level tree plus every `define`d or `block` template. */
export type TreeSet = Map<string, ListNode>;

const MAX_PAREN_DEPTH = 1000;

/** `{{end}}` and `{{else}}` close an item list; they never appear in a finished tree. */
interface ListEnd {
  type: 'end' | 'else';
  pos: number;
}

/** Token types that can start an operand. */
const OPERAND_START: ReadonlySet<ItemType> = new Set<ItemType>([
  'bool',
  'charConstant',
  'complex',
  'dot',
  'field',
  'identifier',
  'number',
  'nil',
  'rawString',
  'string',
  'variable',
  'leftParen',
]);

/** The token sequence of one text, shared by the parsers of the templates it defines. */
class TokenStream {
  private index = 0;
  private readonly tokens: Item[] = [];

  constructor(lexer: Lexer) {
    for (;;) {
      const token = lexer.nextItem();
      this.tokens.push(token);
      if (token.type === 'eof' || token.type === 'error') break;
    }
  }

  /** The next token, white space included. */
  peek(): Item {
    return this.tokens[this.index]!;
  }

  /** Consumes the next token; the final EOF or error token is never consumed. */
  take(): Item {
    const token = this.tokens[this.index]!;
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  peekNonSpace(): Item {
    while (this.peek().type === 'space') this.take();
    return this.peek();
  }

  takeNonSpace(): Item {
    this.peekNonSpace();
    return this.take();
  }

  mark(): number {
    return this.index;
  }

  reset(mark: number): void {
    this.index = mark;
  }
}

/** Parses one template's body; `define` and `block` bodies get a parser of their own. */
class Parser {
  /** Variables in scope, innermost last; `$` is always there. */
  private readonly vars: string[] = ['$'];
  private rangeDepth = 0;
  private parenDepth = 0;
  /** Line of the `{{` of the action being parsed, for "unclosed action started at" messages. */
  private actionLine = 0;

  constructor(
    private readonly stream: TokenStream,
    private readonly context: ParseContext,
    private readonly treeSet: TreeSet,
  ) {}

  error(message: string, pos: number): never {
    throw new TemplateError(this.context.file, this.context.sourceMap.position(pos), message);
  }

  private unexpected(token: Item, where: string): never {
    if (token.type === 'error') {
      let message = token.value;
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        const started = `started at ${this.context.file}:${this.actionLine}`;
        message += message.endsWith(' action') ? ` ${started}` : ` in action ${started}`;
      }
      this.error(message, token.pos);
    }
    this.error(`unexpected ${describeItem(token)} in ${where}`, token.pos);
  }

  private expect(type: ItemType, where: string): Item {
    const token = this.stream.takeNonSpace();
    if (token.type !== type) this.unexpected(token, where);
    return token;
  }

  /** The whole text: the top-level list, with `define`s split off into the tree set. */
  parseTop(): ListNode {
    const root: ListNode = { type: 'list', pos: this.stream.peek().pos, nodes: [] };
    while (this.stream.peek().type !== 'eof') {
      if (this.stream.peek().type === 'leftDelim') {
        const mark = this.stream.mark();
        this.stream.take();
        if (this.stream.peekNonSpace().type === 'define') {
          this.stream.take();
          new Parser(this.stream, this.context, this.treeSet).parseDefinition();
          continue;
        }
        this.stream.reset(mark);
      }
      const node = this.textOrAction();
      if (isListEnd(node)) this.error(`unexpected {{${node.type}}}`, node.pos);
      root.nodes.push(node);
    }
    return root;
  }

  private parseDefinition(): void {
    const where = 'define clause';
    const name = this.templateName(this.stream.takeNonSpace(), where);
    this.expect('rightDelim', where);
    const { list, end } = this.itemList();
    if (end.type !== 'end') this.error(`unexpected {{${end.type}}} in ${where}`, end.pos);
    addTree(this, this.treeSet, name, list, end.pos);
  }

  /** Text and actions up to the `{{end}}` or `{{else}}` that closes them. */
  private itemList(): { list: ListNode; end: ListEnd } {
    const list: ListNode = { type: 'list', pos: this.stream.peekNonSpace().pos, nodes: [] };
    while (this.stream.peekNonSpace().type !== 'eof') {
      const node = this.textOrAction();
      if (isListEnd(node)) return { list, end: node };
      list.nodes.push(node);
    }
    this.error('unexpected EOF', this.stream.peek().pos);
  }

  private textOrAction(): Node | ListEnd {
    const token = this.stream.takeNonSpace();
    if (token.type === 'text') return { type: 'text', pos: token.pos, text: token.value };
    if (token.type !== 'leftDelim') this.unexpected(token, 'input');
    this.actionLine = token.line;
    try {
      return this.action();
    } finally {
      this.actionLine = 0;
    }
  }

  /** What follows a `{{`: a control keyword or a pipeline to print. */
  private action(): Node | ListEnd {
    const token = this.stream.peekNonSpace();
    switch (token.type) {
      case 'block':
        this.stream.take();
        return this.blockControl();
      case 'break':
      case 'continue':
        this.stream.take();
        return this.loopControl(token, token.type);
      case 'else':
        this.stream.take();
        return this.elseControl();
      case 'end':
        this.stream.take();
        return { type: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'if':
      case 'range':
      case 'with':
        this.stream.take();
        return this.branchControl(token.type);
      case 'template':
        this.stream.take();
        return this.templateControl();
      default:
        return { type: 'action', pos: token.pos, pipe: this.pipeline('command', 'rightDelim') };
    }
  }

  private loopControl(token: Item, keyword: 'break' | 'continue'): Node {
    const next = this.stream.takeNonSpace();
    if (next.type !== 'rightDelim') this.unexpected(next, `{{${keyword}}}`);
    if (this.rangeDepth === 0) this.error(`{{${keyword}}} outside {{range}}`, token.pos);
    return { type: keyword, pos: token.pos };
  }

  private elseControl(): ListEnd {
    const next = this.stream.peekNonSpace();
    // `{{else if …}}` / `{{else with …}}`: leave the keyword for branchControl to chain on.
    if (next.type === 'if' || next.type === 'with') return { type: 'else', pos: next.pos };
    return { type: 'else', pos: this.expect('rightDelim', 'else').pos };
  }

  private branchControl(kind: 'if' | 'range' | 'with'): BranchNode {
    const scope = this.vars.length;
    try {
      const pipe = this.pipeline(kind, 'rightDelim');
      if (kind === 'range') this.rangeDepth++;
      let body: { list: ListNode; end: ListEnd };
      try {
        body = this.itemList();
      } finally {
        if (kind === 'range') this.rangeDepth--;
      }
      let elseList: ListNode | undefined;
      if (body.end.type === 'else') {
        const chained = this.stream.peekNonSpace().type;
        if ((kind === 'if' && chained === 'if') || (kind === 'with' && chained === 'with')) {
          // The chained if/with consumes the {{end}} that closes both.
          this.stream.take();
          elseList = { type: 'list', pos: body.end.pos, nodes: [this.branchControl(kind)] };
        } else {
          const rest = this.itemList();
          if (rest.end.type !== 'end')
            this.error(`expected end; found {{${rest.end.type}}}`, rest.end.pos);
          elseList = rest.list;
        }
      }
      return { type: kind, pos: pipe.pos, pipe, list: body.list, elseList };
    } finally {
      this.vars.length = scope;
    }
  }

  private blockControl(): TemplateNode {
    const where = 'block clause';
    const nameToken = this.stream.takeNonSpace();
    const name = this.templateName(nameToken, where);
    const pipe = this.pipeline(where, 'rightDelim');
    const body = new Parser(this.stream, this.context, this.treeSet);
    const { list, end } = body.itemList();
    if (end.type !== 'end') this.error(`unexpected {{${end.type}}} in ${where}`, end.pos);
    addTree(body, this.treeSet, name, list, nameToken.pos);
    return { type: 'template', pos: nameToken.pos, name, pipe };
  }

  private templateControl(): TemplateNode {
    const where = 'template clause';
    const nameToken = this.stream.takeNonSpace();
    const name = this.templateName(nameToken, where);
    let pipe: PipeNode | undefined;
    if (this.stream.peekNonSpace().type === 'rightDelim') this.stream.take();
    else pipe = this.pipeline(where, 'rightDelim');
    return { type: 'template', pos: nameToken.pos, name, pipe };
  }

  private templateName(token: Item, where: string): string {
    if (token.type !== 'string' && token.type !== 'rawString') this.unexpected(token, where);
    return this.unquoteToken(token);
  }

  private unquoteToken(token: Item): string {
    try {
      return unquote(token.value);
    } catch (error) {
      if (error instanceof SyntaxError) this.error(error.message, token.pos);
      throw error;
    }
  }

  /** Optional declarations, then commands separated by `|`, up to `end`. */
  private pipeline(where: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const start = this.stream.peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: start.pos, isAssign: false, decl: [], cmds: [] };
    this.declarations(pipe, where);
    for (;;) {
      const token = this.stream.peekNonSpace();
      if (token.type === end) {
        this.stream.take();
        this.checkPipeline(pipe, where, token);
        return pipe;
      }
      if (!OPERAND_START.has(token.type)) this.unexpected(this.stream.take(), where);
      pipe.cmds.push(this.command());
    }
  }

  /** `$x :=`, `$x =`, and in range `$i, $v :=`; anything else is left for the commands. */
  private declarations(pipe: PipeNode, where: string): void {
    for (;;) {
      const mark = this.stream.mark();
      const variable = this.stream.peekNonSpace();
      if (variable.type !== 'variable') return;
      this.stream.take();
      const next = this.stream.peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        this.stream.take();
        pipe.isAssign = next.type === 'assign';
        this.declare(pipe, variable);
        return;
      }
      if (next.type === 'char' && next.value === ',') {
        this.stream.take();
        this.declare(pipe, variable);
        if (where === 'range' && pipe.decl.length < 2) {
          const following = this.stream.peekNonSpace().type;
          if (following === 'variable' || following === 'rightDelim' || following === 'rightParen')
            continue;
          this.error('range can only initialize variables', next.pos);
        }
        this.error(`too many declarations in ${where}`, next.pos);
      }
      this.stream.reset(mark);
      return;
    }
  }

  private declare(pipe: PipeNode, token: Item): void {
    pipe.decl.push(newVariable(token.pos, token.value));
    this.vars.push(token.value);
  }

  private checkPipeline(pipe: PipeNode, where: string, endToken: Item): void {
    if (pipe.cmds.length === 0) this.error(`missing value for ${where}`, endToken.pos);
    pipe.cmds.forEach((command, i) => {
      if (i === 0) return;
      const first = command.args[0]!;
      if (['bool', 'dot', 'nil', 'number', 'string'].includes(first.type)) {
        this.error(`non executable command in pipeline stage ${i + 1}`, first.pos);
      }
    });
  }

  /** Operands separated by white space, up to `|` (consumed) or the closing `}}`/`)` (left). */
  private command(): CommandNode {
    const command: CommandNode = { type: 'command', pos: this.stream.peekNonSpace().pos, args: [] };
    for (;;) {
      this.stream.peekNonSpace();
      const operand = this.operand();
      if (operand !== undefined) command.args.push(operand);
      const token = this.stream.peek();
      if (token.type === 'space') {
        this.stream.take();
        continue;
      }
      if (token.type === 'pipe') this.stream.take();
      else if (token.type !== 'rightDelim' && token.type !== 'rightParen')
        this.unexpected(this.stream.take(), 'operand');
      break;
    }
    if (command.args.length === 0) this.error('empty command', command.pos);
    return command;
  }

  /** A term, followed by field names written right after it (`.A.B`, `$x.A`, `(…).A`). */
  private operand(): ArgNode | undefined {
    const node = this.term();
    if (node === undefined || this.stream.peek().type !== 'field') return node;
    const fields: string[] = [];
    while (this.stream.peek().type === 'field') fields.push(this.stream.take().value.slice(1));
    switch (node.type) {
      case 'field':
        return { type: 'field', pos: node.pos, ident: [...node.ident, ...fields] };
      case 'variable':
        return { type: 'variable', pos: node.pos, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return this.error(`unexpected . after term ${goQuote(termText(node))}`, node.pos);
      default:
        return { type: 'chain', pos: node.pos, node, fields };
    }
  }

  private term(): ArgNode | undefined {
    const token = this.stream.peekNonSpace();
    switch (token.type) {
      case 'identifier':
        this.stream.take();
        if (!this.context.hasFunction(token.value)) {
          this.error(`function ${goQuote(token.value)} not defined`, token.pos);
        }
        return { type: 'identifier', pos: token.pos, name: token.value };
      case 'dot':
        this.stream.take();
        return { type: 'dot', pos: token.pos };
      case 'nil':
        this.stream.take();
        return { type: 'nil', pos: token.pos };
      case 'variable':
        this.stream.take();
        if (!this.vars.includes(token.value))
          this.error(`undefined variable ${goQuote(token.value)}`, token.pos);
        return newVariable(token.pos, token.value);
      case 'field':
        this.stream.take();
        return { type: 'field', pos: token.pos, ident: [token.value.slice(1)] };
      case 'bool':
        this.stream.take();
        return { type: 'bool', pos: token.pos, value: token.value === 'true' };
      case 'charConstant':
      case 'complex':
      case 'number':
        this.stream.take();
        try {
          return {
            type: 'number',
            pos: token.pos,
            text: token.value,
            value: numberLiteralValue(token.value),
          };
        } catch (error) {
          if (error instanceof SyntaxError) this.error(error.message, token.pos);
          throw error;
        }
      case 'string':
      case 'rawString':
        this.stream.take();
        return {
          type: 'string',
          pos: token.pos,
          quoted: token.value,
          text: this.unquoteToken(token),
        };
      case 'leftParen':
        this.stream.take();
        if (this.parenDepth >= MAX_PAREN_DEPTH)
          this.error('max expression depth exceeded', token.pos);
        this.parenDepth++;
        try {
          return this.pipeline('parenthesized pipeline', 'rightParen');
        } finally {
          this.parenDepth--;
        }
      default:
        return undefined;
    }
  }
}

function isListEnd(node: Node | ListEnd): node is ListEnd {
  return node.type === 'end' || node.type === 'else';
}

function newVariable(pos: number, name: string): VariableNode {
  return { type: 'variable', pos, ident: [name] };
}

function termText(node: ArgNode): string {
  switch (node.type) {
    case 'bool':
      return node.value ? 'true' : 'false';
    case 'string':
      return node.quoted;
    case 'number':
      return node.text;
    case 'nil':
      return 'nil';
    default:
      return '.';
  }
}

/** A token as Go's messages show it: keywords as `<end>`, long text cut to 10 characters. */
function describeItem(item: Item): string {
  if (item.type === 'eof') return 'EOF';
  if (item.type === 'error') return item.value;
  if (isKeyword(item.type)) return `<${item.value}>`;
  const chars = Array.from(item.value);
  if (chars.length > 10) return goQuote(chars.slice(0, 10).join('')) + '...';
  return goQuote(item.value);
}

/** Whether a tree holds nothing but white space (such a definition may be redefined). */
export function isEmptyTree(list: ListNode): boolean {
  return list.nodes.every((node) => node.type === 'text' && node.text.trim() === '');
}

function addTree(
  parser: Parser,
  treeSet: TreeSet,
  name: string,
  list: ListNode,
  pos: number,
): void {
  const existing = treeSet.get(name);
  if (existing === undefined || isEmptyTree(existing)) {
    treeSet.set(name, list);
    return;
  }
  if (!isEmptyTree(list))
    parser.error(`template: multiple definition of template ${goQuote(name)}`, pos);
}

/** Parses a template text; the top-level tree is stored under `topName`. */
export function parseTemplateText(text: string, topName: string, context: ParseContext): TreeSet {
  const lexer = new Lexer(text, {
    breakOK: !context.hasFunction('break'),
    continueOK: !context.hasFunction('continue'),
  });
  const treeSet: TreeSet = new Map();
  const parser = new Parser(new TokenStream(lexer), context, treeSet);
  const root = parser.parseTop();
  addTree(parser, treeSet, topName, root, text.length);
  return treeSet;
}
