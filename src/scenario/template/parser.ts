/**
 * The text/template parser: builds the tree of one template text, collecting the templates it
 * defines (`define`, `block`) into a set shared with the top-level template. Function names and
 * variables are checked here, as Go does, so those mistakes surface before anything executes.
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

/** Control nodes that end an item list; never part of the finished tree. */
interface EndMarker {
  type: 'end';
  pos: number;
}
interface ElseMarker {
  type: 'else';
  pos: number;
}
type ListItem = Node | EndMarker | ElseMarker;

class Parser {
  private readonly tokens: Item[] = [];
  private peekCount = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private parenDepth = 0;
  private actionLine = 0;

  constructor(
    private readonly lexer: Lexer,
    private readonly context: ParseContext,
    private readonly treeSet: TreeSet,
  ) {}

  // Token stream with three-token lookahead, as Go's parser uses.

  private next(): Item {
    if (this.peekCount > 0) this.peekCount--;
    else this.tokens[0] = this.lexer.nextItem();
    return this.tokens[this.peekCount]!;
  }

  private backup(): void {
    this.peekCount++;
  }

  private backup2(first: Item): void {
    this.tokens[1] = first;
    this.peekCount = 2;
  }

  private backup3(second: Item, first: Item): void {
    this.tokens[1] = first;
    this.tokens[2] = second;
    this.peekCount = 3;
  }

  private peek(): Item {
    if (this.peekCount > 0) return this.tokens[this.peekCount - 1]!;
    this.peekCount = 1;
    this.tokens[0] = this.lexer.nextItem();
    return this.tokens[0];
  }

  private nextNonSpace(): Item {
    let token: Item;
    do token = this.next();
    while (token.type === 'space');
    return token;
  }

  private peekNonSpace(): Item {
    const token = this.nextNonSpace();
    this.backup();
    return token;
  }

  // Errors.

  error(message: string): never {
    const offset = this.tokens[0]?.pos ?? 0;
    throw new TemplateError(this.context.file, this.context.sourceMap.position(offset), message);
  }

  private expect(expected: ItemType, context: string): Item {
    const token = this.nextNonSpace();
    if (token.type !== expected) this.unexpected(token, context);
    return token;
  }

  private unexpected(token: Item, context: string): never {
    if (token.type === 'error') {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at ${this.context.file}:${this.actionLine}`;
        if (token.value.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.error(token.value + extra);
    }
    this.error(`unexpected ${describeItem(token)} in ${context}`);
  }

  // Grammar.

  /** The top level: text, actions and `define`s, to EOF. */
  parseTop(): ListNode {
    const root: ListNode = { type: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const delim = this.next();
        if (this.nextNonSpace().type === 'define') {
          new Parser(this.lexer, this.context, this.treeSet).parseDefinition();
          continue;
        }
        this.backup2(delim);
      }
      const node = this.textOrAction();
      if (node.type === 'end' || node.type === 'else') this.error(`unexpected {{${node.type}}}`);
      root.nodes.push(node);
    }
    return root;
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const nameToken = this.nextNonSpace();
    if (nameToken.type !== 'string' && nameToken.type !== 'rawString')
      this.unexpected(nameToken, context);
    const name = this.unquoteToken(nameToken);
    this.expect('rightDelim', context);
    const { list, next } = this.itemList();
    if (next.type !== 'end') this.error(`unexpected {{${next.type}}} in ${context}`);
    addTree(this, this.treeSet, name, list);
  }

  private itemList(): { list: ListNode; next: EndMarker | ElseMarker } {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().type !== 'eof') {
      const node = this.textOrAction();
      if (node.type === 'end' || node.type === 'else') return { list, next: node };
      list.nodes.push(node);
    }
    this.error('unexpected EOF');
  }

  private textOrAction(): ListItem {
    const token = this.nextNonSpace();
    switch (token.type) {
      case 'text':
        return { type: 'text', pos: token.pos, text: token.value };
      case 'leftDelim': {
        this.actionLine = token.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      }
      default:
        this.unexpected(token, 'input');
    }
  }

  private action(): ListItem {
    const token = this.nextNonSpace();
    switch (token.type) {
      case 'block':
        return this.blockControl();
      case 'break':
        return this.loopControl(token, 'break');
      case 'continue':
        return this.loopControl(token, 'continue');
      case 'else':
        return this.elseControl();
      case 'end':
        return { type: 'end', pos: this.expect('rightDelim', 'end').pos };
      case 'if':
        return this.branchControl('if');
      case 'range':
        return this.branchControl('range');
      case 'template':
        return this.templateControl();
      case 'with':
        return this.branchControl('with');
    }
    this.backup();
    const start = this.peek();
    return { type: 'action', pos: start.pos, pipe: this.pipeline('command', 'rightDelim') };
  }

  private loopControl(token: Item, keyword: 'break' | 'continue'): Node {
    const next = this.nextNonSpace();
    if (next.type !== 'rightDelim') this.unexpected(next, `{{${keyword}}}`);
    if (this.rangeDepth === 0) this.error(`{{${keyword}}} outside {{range}}`);
    return { type: keyword, pos: token.pos };
  }

  private pipeline(context: string, end: ItemType): PipeNode {
    const pipe: PipeNode = {
      type: 'pipe',
      pos: this.peekNonSpace().pos,
      isAssign: false,
      decl: [],
      cmds: [],
    };
    this.declarations(pipe, context);
    for (;;) {
      const token = this.nextNonSpace();
      if (token.type === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (token.type) {
        case 'bool':
        case 'charConstant':
        case 'complex':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(token, context);
      }
    }
  }

  private declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const variable = this.peekNonSpace();
      if (variable.type !== 'variable') return;
      this.next();
      const tokenAfterVariable = this.peek();
      const next = this.peekNonSpace();
      if (next.type === 'assign' || next.type === 'declare') {
        pipe.isAssign = next.type === 'assign';
        this.nextNonSpace();
        pipe.decl.push(newVariable(variable.pos, variable.value));
        this.vars.push(variable.value);
        return;
      }
      if (next.type === 'char' && next.value === ',') {
        this.nextNonSpace();
        pipe.decl.push(newVariable(variable.pos, variable.value));
        this.vars.push(variable.value);
        if (context === 'range' && pipe.decl.length < 2) {
          const following = this.peekNonSpace().type;
          if (following === 'variable' || following === 'rightDelim' || following === 'rightParen')
            continue;
          this.error('range can only initialize variables');
        }
        this.error(`too many declarations in ${context}`);
      }
      if (tokenAfterVariable.type === 'space') this.backup3(variable, tokenAfterVariable);
      else this.backup2(variable);
      return;
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.error(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((command, i) => {
      const first = command.args[0]!;
      switch (first.type) {
        case 'bool':
        case 'dot':
        case 'nil':
        case 'number':
        case 'string':
          this.error(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private branchControl(context: 'if' | 'range' | 'with'): BranchNode {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, 'rightDelim');
      if (context === 'range') this.rangeDepth++;
      let listResult: { list: ListNode; next: EndMarker | ElseMarker };
      try {
        listResult = this.itemList();
      } finally {
        if (context === 'range') this.rangeDepth--;
      }
      const { list, next } = listResult;
      let elseList: ListNode | undefined;
      if (next.type === 'else') {
        // `{{else if …}}` and `{{else with …}}` nest a whole if/with whose {{end}} closes both.
        if (context === 'if' && this.peek().type === 'if') {
          this.next();
          elseList = { type: 'list', pos: next.pos, nodes: [this.branchControl('if')] };
        } else if (context === 'with' && this.peek().type === 'with') {
          this.next();
          elseList = { type: 'list', pos: next.pos, nodes: [this.branchControl('with')] };
        } else {
          const rest = this.itemList();
          if (rest.next.type !== 'end') this.error(`expected end; found {{${rest.next.type}}}`);
          elseList = rest.list;
        }
      }
      return { type: context, pos: pipe.pos, pipe, list, elseList };
    } finally {
      this.vars.length = mark;
    }
  }

  private elseControl(): ElseMarker {
    const peek = this.peekNonSpace();
    if (peek.type === 'if' || peek.type === 'with') return { type: 'else', pos: peek.pos };
    const token = this.expect('rightDelim', 'else');
    return { type: 'else', pos: token.pos };
  }

  private blockControl(): TemplateNode {
    const context = 'block clause';
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    const pipe = this.pipeline(context, 'rightDelim');
    const block = new Parser(this.lexer, this.context, this.treeSet);
    const { list, next } = block.itemList();
    if (next.type !== 'end') this.error(`unexpected {{${next.type}}} in ${context}`);
    addTree(block, this.treeSet, name, list);
    return { type: 'template', pos: token.pos, name, pipe };
  }

  private templateControl(): TemplateNode {
    const context = 'template clause';
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().type !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { type: 'template', pos: token.pos, name, pipe };
  }

  private templateName(token: Item, context: string): string {
    if (token.type !== 'string' && token.type !== 'rawString') this.unexpected(token, context);
    return this.unquoteToken(token);
  }

  private unquoteToken(token: Item): string {
    try {
      return unquote(token.value);
    } catch (error) {
      if (error instanceof SyntaxError) this.error(error.message);
      throw error;
    }
  }

  private command(): CommandNode {
    const command: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand !== undefined) command.args.push(operand);
      const token = this.next();
      if (token.type === 'space') continue;
      if (token.type === 'rightDelim' || token.type === 'rightParen') this.backup();
      else if (token.type !== 'pipe') this.unexpected(token, 'operand');
      break;
    }
    if (command.args.length === 0) this.error('empty command');
    return command;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (node === undefined) return undefined;
    if (this.peek().type !== 'field') return node;
    // Go positions a chain at its second element; the start of the whole term reads better.
    const pos = node.pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().value.slice(1));
    switch (node.type) {
      case 'field':
        return { type: 'field', pos, ident: [...node.ident, ...fields] };
      case 'variable':
        return { type: 'variable', pos, ident: [...node.ident, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.error(`unexpected . after term ${goQuote(termText(node))}`);
      // falls through: error() never returns
      default:
        return { type: 'chain', pos, node, fields };
    }
  }

  private term(): ArgNode | undefined {
    const token = this.nextNonSpace();
    switch (token.type) {
      case 'identifier':
        if (!this.context.hasFunction(token.value))
          this.error(`function ${goQuote(token.value)} not defined`);
        return { type: 'identifier', pos: token.pos, name: token.value };
      case 'dot':
        return { type: 'dot', pos: token.pos };
      case 'nil':
        return { type: 'nil', pos: token.pos };
      case 'variable':
        return this.useVariable(token);
      case 'field':
        return { type: 'field', pos: token.pos, ident: token.value.slice(1).split('.') };
      case 'bool':
        return { type: 'bool', pos: token.pos, value: token.value === 'true' };
      case 'charConstant':
      case 'complex':
      case 'number':
        try {
          return {
            type: 'number',
            pos: token.pos,
            text: token.value,
            value: numberLiteralValue(token.value),
          };
        } catch (error) {
          if (error instanceof SyntaxError) this.error(error.message);
          throw error;
        }
      case 'leftParen': {
        if (this.parenDepth >= MAX_PAREN_DEPTH) this.error('max expression depth exceeded');
        this.parenDepth++;
        try {
          return this.pipeline('parenthesized pipeline', 'rightParen');
        } finally {
          this.parenDepth--;
        }
      }
      case 'string':
      case 'rawString':
        return {
          type: 'string',
          pos: token.pos,
          quoted: token.value,
          text: this.unquoteToken(token),
        };
    }
    this.backup();
    return undefined;
  }

  private useVariable(token: Item): VariableNode {
    const variable = newVariable(token.pos, token.value);
    if (!this.vars.includes(variable.ident[0]!))
      this.error(`undefined variable ${goQuote(variable.ident[0]!)}`);
    return variable;
  }
}

function newVariable(pos: number, text: string): VariableNode {
  return { type: 'variable', pos, ident: text.split('.') };
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

/** Go's item String(): keywords as `<end>`, long text cut to 10 runes. */
function describeItem(item: Item): string {
  if (item.type === 'eof') return 'EOF';
  if (item.type === 'error') return item.value;
  if (isKeyword(item.type)) return `<${item.value}>`;
  const runes = Array.from(item.value);
  if (runes.length > 10) return goQuote(runes.slice(0, 10).join('')) + '...';
  return goQuote(item.value);
}

/** Whether a tree holds nothing but white space (such a definition may be redefined). */
export function isEmptyTree(list: ListNode): boolean {
  return list.nodes.every((node) => node.type === 'text' && node.text.trim() === '');
}

function addTree(parser: Parser, treeSet: TreeSet, name: string, list: ListNode): void {
  const existing = treeSet.get(name);
  if (existing === undefined || isEmptyTree(existing)) {
    treeSet.set(name, list);
    return;
  }
  if (!isEmptyTree(list))
    parser.error(`template: multiple definition of template ${goQuote(name)}`);
}

/** Parses a template text; the top-level tree is stored under `topName`. */
export function parseTemplateText(text: string, topName: string, context: ParseContext): TreeSet {
  const lexer = new Lexer(text, {
    breakOK: !context.hasFunction('break'),
    continueOK: !context.hasFunction('continue'),
  });
  const treeSet: TreeSet = new Map();
  const parser = new Parser(lexer, context, treeSet);
  const root = parser.parseTop();
  addTree(parser, treeSet, topName, root);
  return treeSet;
}
