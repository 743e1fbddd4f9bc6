/**
 * Runs parsed templates. Semantics follow Go's text/template: a pipeline passes each command's
 * result to the next as its last argument, variables live until the end of the enclosing control
 * structure, a missing map key is "no value" (printed as `<no value>`, passed to functions as nil),
 * and every failure names the template, the action and its position.
 */
import type {
  AnyNode,
  ArgNode,
  BranchNode,
  CommandNode,
  ListNode,
  Node,
  PipeNode,
  TemplateNode,
} from './ast.js';
import { nodeToString } from './ast.js';
import type { SourceMap } from './errors.js';
import { TemplateError } from './errors.js';
import { formatValue, quoteString } from './gofmt.js';
import { FunctionError, specFor } from './functions.js';
import type { FunctionSpec, ParamKind } from './functions.js';
import type { TreeSet } from './parser.js';
import { GoFloat, goTypeName, isTrue, kindOf, mapLookup, sortedEntries } from './values.js';

/** What a map lookup of a missing key does (text/template's `missingkey` option). */
export type MissingKey = 'default' | 'zero' | 'error';

export interface ExecContext {
  file: string;
  sourceMap: SourceMap;
  trees: TreeSet;
  functions: ReadonlyMap<string, FunctionSpec>;
  missingKey: MissingKey;
}

/** Marks "nothing piped in": the first command of a pipeline gets no extra argument. */
const NOTHING_PIPED: unique symbol = Symbol('nothing piped');
type Piped = unknown;

/** How a list finished: normally, or by `{{break}}` / `{{continue}}` inside a range. */
type Flow = 'normal' | 'break' | 'continue';

// Go allows 100000 nested {{template}} calls; scenario files never nest deeply, and JavaScript
// runs out of stack long before 100000, so stop early with a clear message.
const MAX_TEMPLATE_DEPTH = 200;

const GO_PARAM_TYPES: Record<ParamKind, string> = {
  any: 'interface {}',
  string: 'string',
  int: 'int',
  float: 'float64',
  bool: 'bool',
};

interface Binding {
  name: string;
  value: unknown;
}

class Renderer {
  private readonly out: string[] = [];
  private bindings: Binding[];
  private templateName: string;
  private depth = 0;
  /** The node being evaluated: errors point at it. */
  private current: AnyNode | undefined;
  /** The function argument being evaluated, so that type errors can name it. */
  private argument: { functionName: string; index: number } | undefined;

  constructor(
    private readonly context: ExecContext,
    name: string,
    data: unknown,
  ) {
    this.templateName = name;
    this.bindings = [{ name: '$', value: data }];
  }

  result(): string {
    return this.out.join('');
  }

  fail(message: string, cause?: unknown): never {
    const node = this.current;
    const name = quoteString(this.templateName);
    if (node === undefined)
      throw new TemplateError(this.context.file, { line: 1, column: 1 }, `${name}: ${message}`);
    const position = this.context.sourceMap.position(node.pos);
    const detail = `executing ${name} at <${nodeToString(node)}>: ${message}`;
    throw new TemplateError(
      this.context.file,
      position,
      detail,
      cause === undefined ? undefined : { cause },
    );
  }

  /** A type error in a function argument: Go's message, prefixed with which argument of what. */
  private argumentFail(message: string): never {
    const argument = this.argument;
    if (argument === undefined) return this.fail(message);
    return this.fail(`argument ${argument.index} of ${argument.functionName}: ${message}`);
  }

  // Variables.

  private lookup(name: string): Binding {
    for (let i = this.bindings.length - 1; i >= 0; i--) {
      if (this.bindings[i]!.name === name) return this.bindings[i]!;
    }
    return this.fail(`undefined variable: ${name}`);
  }

  /** Runs `body` and then drops the variables it declared. */
  private scoped<T>(body: () => T): T {
    const size = this.bindings.length;
    try {
      return body();
    } finally {
      this.bindings.length = size;
    }
  }

  // Statements.

  run(node: Node, dot: unknown): Flow {
    this.current = node;
    switch (node.type) {
      case 'text':
        this.out.push(node.text);
        return 'normal';
      case 'action': {
        const value = this.pipeline(node.pipe, dot);
        if (node.pipe.decl.length === 0) this.print(node, value);
        return 'normal';
      }
      case 'list':
        for (const child of node.nodes) {
          const flow = this.run(child, dot);
          if (flow !== 'normal') return flow;
        }
        return 'normal';
      case 'if':
      case 'with':
        return this.scoped(() => {
          const value = this.pipeline(node.pipe, dot);
          if (isTrue(value)) return this.run(node.list, node.type === 'with' ? value : dot);
          return node.elseList ? this.run(node.elseList, dot) : 'normal';
        });
      case 'range':
        this.scoped(() => this.range(node, dot));
        return 'normal';
      case 'template':
        this.include(node, dot);
        return 'normal';
      case 'break':
      case 'continue':
        return node.type;
    }
  }

  private print(node: Node, value: unknown): void {
    this.current = node;
    if (value === undefined) this.out.push('<no value>');
    else if (typeof value === 'string') this.out.push(value);
    else if (typeof value === 'function')
      this.fail(`can't print ${nodeToString(node)} of type ${goTypeName(value)}`);
    else this.out.push(formatValue(value));
  }

  private range(node: BranchNode, dot: unknown): void {
    const collection = this.pipeline(node.pipe, dot);
    const { decl, isAssign } = node.pipe;
    // The pipeline declared its variables (bound to the collection); each pass rebinds them.
    const firstSlot = this.bindings.length - decl.length;
    const bind = (key: unknown, element: unknown): void => {
      if (decl.length === 0) return;
      const values = decl.length === 1 ? [element] : [key, element];
      values.forEach((value, i) => {
        if (isAssign) this.lookup(decl[i]!.ident[0]!).value = value;
        else this.bindings[firstSlot + i]!.value = value;
      });
    };
    const pass = (key: unknown, element: unknown): Flow =>
      this.scoped(() => {
        bind(key, element);
        return this.run(node.list, element);
      });

    let entries: Iterable<[unknown, unknown]>;
    switch (kindOf(collection)) {
      case 'slice':
        entries = (collection as unknown[]).map((element, i): [unknown, unknown] => [
          i,
          element ?? null,
        ]);
        break;
      case 'map':
        entries = sortedEntries(collection as object);
        break;
      case 'int': {
        this.current = node;
        if (decl.length > 1)
          this.fail(`can't use ${formatValue(collection)} to iterate over more than one variable`);
        const count = Number(collection);
        entries = Array.from({ length: Math.max(0, count) }, (_, i): [unknown, unknown] => [
          undefined,
          i,
        ]);
        break;
      }
      case 'invalid':
      case 'nil':
        entries = [];
        break;
      default:
        this.current = node;
        return this.fail(`range can't iterate over ${formatValue(collection)}`);
    }
    let empty = true;
    for (const [key, element] of entries) {
      empty = false;
      if (pass(key, element) === 'break') break;
    }
    if (empty && node.elseList) this.run(node.elseList, dot);
  }

  private include(node: TemplateNode, dot: unknown): void {
    this.current = node;
    const tree = this.context.trees.get(node.name);
    if (tree === undefined) this.fail(`template ${quoteString(node.name)} not defined`);
    if (this.depth >= MAX_TEMPLATE_DEPTH)
      this.fail(`exceeded maximum template depth (${MAX_TEMPLATE_DEPTH})`);
    const newDot = node.pipe ? this.pipeline(node.pipe, dot) : undefined;
    const saved = { bindings: this.bindings, name: this.templateName };
    this.bindings = [{ name: '$', value: newDot }];
    this.templateName = node.name;
    this.depth++;
    try {
      this.run(tree, newDot);
    } finally {
      this.depth--;
      this.bindings = saved.bindings;
      this.templateName = saved.name;
    }
  }

  // Expressions.

  private pipeline(pipe: PipeNode, dot: unknown): unknown {
    this.current = pipe;
    let value: unknown = NOTHING_PIPED;
    for (const command of pipe.cmds) {
      value = this.command(command, dot, value);
      // A nil interface leaving a command is "no value" in Go (reflect unwraps it).
      if (value === null) value = undefined;
    }
    for (const variable of pipe.decl) {
      const name = variable.ident[0]!;
      if (pipe.isAssign) this.lookup(name).value = value;
      else this.bindings.push({ name, value });
    }
    return value;
  }

  private rejectArguments(command: CommandNode, piped: Piped): void {
    if (command.args.length > 1 || piped !== NOTHING_PIPED) {
      this.fail(`can't give argument to non-function ${nodeToString(command.args[0]!)}`);
    }
  }

  private command(command: CommandNode, dot: unknown, piped: Piped): unknown {
    const head = command.args[0]!;
    this.current = head;
    const hasArguments = command.args.length > 1 || piped !== NOTHING_PIPED;
    switch (head.type) {
      case 'identifier':
        return this.call(head.name, command, command.args.slice(1), dot, piped);
      case 'field':
        return this.fieldPath(dot, head.ident, head, hasArguments);
      case 'chain':
        return this.fieldPath(
          this.chainBase(head.node, dot, head),
          head.fields,
          head,
          hasArguments,
        );
      case 'variable': {
        const value = this.lookup(head.ident[0]!).value;
        if (head.ident.length === 1) {
          this.rejectArguments(command, piped);
          return value;
        }
        return this.fieldPath(value, head.ident.slice(1), head, hasArguments);
      }
      case 'pipe':
        this.rejectArguments(command, piped);
        return this.pipeline(head, dot);
      case 'nil':
        this.rejectArguments(command, piped);
        return this.fail('nil is not a command');
      case 'dot':
        this.rejectArguments(command, piped);
        return dot;
      default:
        this.rejectArguments(command, piped);
        return this.literal(head, 'any');
    }
  }

  private chainBase(base: ArgNode, dot: unknown, chain: AnyNode): unknown {
    if (base.type === 'nil') {
      this.current = chain;
      this.fail(`indirection through explicit nil in ${nodeToString(chain)}`);
    }
    const value = this.evaluateArgument(base, dot, undefined);
    this.current = chain;
    return value;
  }

  /** Follows `.A.B.C` from `receiver`; only the last step may be given arguments (an error). */
  private fieldPath(
    receiver: unknown,
    names: readonly string[],
    node: AnyNode,
    hasArguments: boolean,
  ): unknown {
    let value = receiver;
    names.forEach((name, i) => {
      this.current = node;
      value = this.field(value, name, hasArguments && i === names.length - 1);
    });
    return value;
  }

  private field(receiver: unknown, name: string, hasArguments: boolean): unknown {
    if (receiver === undefined) {
      if (this.context.missingKey === 'error')
        this.fail(`nil data; no entry for key ${quoteString(name)}`);
      return undefined;
    }
    if (receiver === null) this.fail(`nil pointer evaluating interface {}.${name}`);
    if (kindOf(receiver) !== 'map')
      this.fail(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
    if (hasArguments) this.fail(`${name} is not a method but has arguments`);
    const found = mapLookup(receiver as object, name);
    if (found.found) return found.value;
    if (this.context.missingKey === 'error')
      this.fail(`map has no entry for key ${quoteString(name)}`);
    return this.context.missingKey === 'zero' ? null : undefined;
  }

  /** Evaluates one argument and converts it to the parameter kind (`undefined`: leave as is). */
  private evaluateArgument(node: ArgNode, dot: unknown, kind: ParamKind | undefined): unknown {
    this.current = node;
    switch (node.type) {
      case 'dot':
        return this.convert(dot, kind);
      case 'nil':
        if (kind === undefined || kind === 'any') return null;
        return this.argumentFail(`cannot assign nil to ${GO_PARAM_TYPES[kind]}`);
      case 'field':
        return this.convert(this.fieldPath(dot, node.ident, node, false), kind);
      case 'chain':
        return this.convert(
          this.fieldPath(this.chainBase(node.node, dot, node), node.fields, node, false),
          kind,
        );
      case 'variable': {
        const value = this.lookup(node.ident[0]!).value;
        return this.convert(this.fieldPath(value, node.ident.slice(1), node, false), kind);
      }
      case 'pipe':
        return this.convert(this.pipeline(node, dot), kind);
      case 'identifier':
        return this.convert(this.call(node.name, node, [], dot, NOTHING_PIPED), kind);
      default:
        return this.literal(node, kind ?? 'any');
    }
  }

  /** A literal passed where a parameter of `kind` is declared, with Go's constant rules. */
  private literal(
    node: ArgNode & { type: 'bool' | 'number' | 'string' },
    kind: ParamKind,
  ): unknown {
    this.current = node;
    const text = nodeToString(node);
    switch (kind) {
      case 'any':
        return node.type === 'string' ? node.text : node.value;
      case 'bool':
        return node.type === 'bool'
          ? node.value
          : this.argumentFail(`expected bool; found ${text}`);
      case 'string':
        return node.type === 'string'
          ? node.text
          : this.argumentFail(`expected string; found ${text}`);
      case 'int':
        if (node.type === 'number' && kindOf(node.value) === 'int') return node.value;
        if (node.type === 'number' && Number.isInteger(Number(node.value)))
          return Number(node.value);
        return this.argumentFail(`expected integer; found ${text}`);
      case 'float':
        if (node.type === 'number') return new GoFloat(Number(node.value));
        return this.argumentFail(`expected float; found ${text}`);
    }
  }

  /** An evaluated value passed where a parameter of `kind` is declared. */
  private convert(value: unknown, kind: ParamKind | undefined): unknown {
    if (kind === undefined) return value;
    if (kind === 'any') return value === undefined ? null : value;
    const type = GO_PARAM_TYPES[kind];
    if (value === undefined) this.argumentFail(`invalid value; expected ${type}`);
    if (value === null)
      this.argumentFail(`wrong type for value; expected ${type}; got interface {}`);
    if (!hasKind(value, kind))
      this.argumentFail(`wrong type for value; expected ${type}; got ${goTypeName(value)}`);
    return value;
  }

  private call(
    name: string,
    node: AnyNode,
    args: readonly ArgNode[],
    dot: unknown,
    piped: Piped,
  ): unknown {
    this.current = node;
    const spec = this.context.functions.get(name);
    if (spec === undefined) return this.fail(`${quoteString(name)} is not a defined function`);
    const hasPiped = piped !== NOTHING_PIPED;
    const count = args.length + (hasPiped ? 1 : 0);
    const fixed = spec.params.length;
    if (spec.variadic === undefined && count !== fixed) {
      this.fail(`wrong number of args for ${name}: want ${fixed} got ${count}`);
    }
    if (spec.variadic !== undefined && count < fixed) {
      this.fail(`wrong number of args for ${name}: want at least ${fixed} got ${count}`);
    }

    if (spec.special === 'and' || spec.special === 'or') {
      // Short-circuit: stop at the first false (and) or true (or) operand and return it.
      const stopAt = spec.special === 'or';
      let value: unknown;
      for (const arg of args) {
        value = this.evaluateArgument(arg, dot, 'any');
        if (isTrue(value) === stopAt) return value;
      }
      return hasPiped ? piped : value;
    }

    const paramKind = (i: number): ParamKind => spec.params[i] ?? spec.variadic ?? 'any';
    const values: unknown[] = [];
    const outer = this.argument;
    try {
      args.forEach((arg, i) => {
        this.argument = { functionName: name, index: i + 1 };
        values.push(this.evaluateArgument(arg, dot, paramKind(i)));
      });
      if (hasPiped) {
        this.argument = { functionName: name, index: count };
        values.push(this.convert(piped, paramKind(count - 1)));
      }
    } finally {
      this.argument = outer;
    }
    this.current = node;
    if (spec.special === 'call') {
      return this.callValue(args.length > 0 ? nodeToString(args[0]!) : formatValue(piped), values);
    }
    return this.invoke(name, spec, values);
  }

  private invoke(name: string, spec: FunctionSpec, values: unknown[]): unknown {
    const node = this.current;
    try {
      return spec.fn(...values);
    } catch (error) {
      if (error instanceof TemplateError) throw error;
      this.current = node;
      const message = error instanceof Error ? error.message : String(error);
      return this.fail(
        `error calling ${name}: ${message}`,
        error instanceof FunctionError ? undefined : error,
      );
    }
  }

  /** The `call` builtin: calls a function found in the data, checking its declared signature. */
  private callValue(calleeName: string, values: unknown[]): unknown {
    const [fn, ...rest] = values;
    const fail = (message: string): never => this.fail(`error calling call: ${message}`);
    if (fn === undefined || fn === null) fail('call of nil');
    if (typeof fn !== 'function') fail(`non-function ${calleeName} of type ${goTypeName(fn)}`);
    const spec = specFor(fn as (...args: unknown[]) => unknown);
    const fixed = spec.params.length;
    if (spec.variadic === undefined && rest.length !== fixed) {
      fail(`wrong number of args for ${calleeName}: got ${rest.length} want ${fixed}`);
    }
    if (spec.variadic !== undefined && rest.length < fixed) {
      fail(`wrong number of args for ${calleeName}: got ${rest.length} want at least ${fixed}`);
    }
    rest.forEach((value, i) => {
      const kind = spec.params[i] ?? spec.variadic ?? 'any';
      if (kind === 'any') return;
      if (value === undefined || value === null) {
        fail(`arg ${i}: value is nil; should be of type ${GO_PARAM_TYPES[kind]}`);
      }
      if (!hasKind(value, kind))
        fail(`arg ${i}: value has type ${goTypeName(value)}; should be ${GO_PARAM_TYPES[kind]}`);
    });
    return this.invoke(
      'call',
      spec,
      rest.map((value) => (value === undefined ? null : value)),
    );
  }
}

function hasKind(value: unknown, kind: ParamKind): boolean {
  switch (kind) {
    case 'any':
      return true;
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'int':
    case 'float':
      return kindOf(value) === kind;
  }
}

/** Renders the named tree of a template set with `data` as dot and `$`. */
export function executeTree(context: ExecContext, name: string, data: unknown): string {
  const renderer = new Renderer(context, name, data);
  const tree: ListNode | undefined = context.trees.get(name);
  if (tree === undefined)
    return renderer.fail(`no template ${quoteString(name)} associated with template`);
  try {
    renderer.run(tree, data);
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      renderer.fail('exceeded maximum template depth (JavaScript call stack exhausted)', error);
    }
    throw error;
  }
  return renderer.result();
}
