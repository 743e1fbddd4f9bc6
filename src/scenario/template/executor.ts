/**
 * Executes parsed templates with text/template's semantics: pipelines pass the previous value as
 * the last argument, variables are scoped to the enclosing control structure, map lookups of
 * missing keys yield "no value", and every failure names the action and its position.
 */
import type {
  AnyNode,
  ArgNode,
  BranchNode,
  ChainNode,
  CommandNode,
  FieldNode,
  IdentifierNode,
  ListNode,
  Node,
  PipeNode,
  TemplateNode,
  VariableNode,
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

/** No value passed down a pipeline yet (Go's missingVal), distinct from an invalid value. */
const MISSING: unique symbol = Symbol('missing');
type Final = unknown;

const enum Flow {
  Normal,
  Break,
  Continue,
}

interface Variable {
  name: string;
  value: unknown;
}

// Go allows 100000 nested {{template}} calls; scenario files never nest deeply, and JavaScript
// runs out of stack long before 100000, so stop early with a clear message.
const MAX_TEMPLATE_DEPTH = 200;

const PARAM_TYPE_NAMES: Record<ParamKind, string> = {
  any: 'interface {}',
  string: 'string',
  int: 'int',
  float: 'float64',
  bool: 'bool',
};

class Execution {
  private readonly chunks: string[] = [];
  private vars: Variable[];
  private node: AnyNode | undefined;
  private templateName: string;
  private depth = 0;
  /** The function argument being evaluated, so that type errors can name it. */
  private argument: { functionName: string; index: number } | undefined;

  constructor(
    private readonly context: ExecContext,
    name: string,
    dot: unknown,
  ) {
    this.templateName = name;
    this.vars = [{ name: '$', value: dot }];
  }

  output(): string {
    return this.chunks.join('');
  }

  error(message: string, cause?: unknown): never {
    const node = this.node;
    if (node === undefined) {
      throw new TemplateError(
        this.context.file,
        { line: 1, column: 1 },
        `${quoteString(this.templateName)}: ${message}`,
      );
    }
    const detail = `executing ${quoteString(this.templateName)} at <${nodeToString(node)}>: ${message}`;
    throw new TemplateError(this.context.file, this.context.sourceMap.position(node.pos), detail, {
      cause,
    });
  }

  private at(node: AnyNode): void {
    this.node = node;
  }

  // Variables.

  private mark(): number {
    return this.vars.length;
  }

  private pop(mark: number): void {
    this.vars.length = mark;
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const variable = this.vars[i]!;
      if (variable.name === name) {
        variable.value = value;
        return;
      }
    }
    this.error(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: unknown): void {
    this.vars[this.vars.length - n]!.value = value;
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const variable = this.vars[i]!;
      if (variable.name === name) return variable.value;
    }
    this.error(`undefined variable: ${name}`);
  }

  // Walking the tree.

  walk(dot: unknown, node: Node): Flow {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, value);
        return Flow.Normal;
      }
      case 'text':
        this.chunks.push(node.text);
        return Flow.Normal;
      case 'list':
        return this.walkList(dot, node);
      case 'if':
      case 'with':
        return this.walkIfOrWith(dot, node);
      case 'range':
        this.walkRange(dot, node);
        return Flow.Normal;
      case 'template':
        this.walkTemplate(dot, node);
        return Flow.Normal;
      case 'break':
        return Flow.Break;
      case 'continue':
        return Flow.Continue;
    }
  }

  private walkList(dot: unknown, list: ListNode): Flow {
    for (const node of list.nodes) {
      const flow = this.walk(dot, node);
      if (flow !== Flow.Normal) return flow;
    }
    return Flow.Normal;
  }

  private walkIfOrWith(dot: unknown, node: BranchNode): Flow {
    const mark = this.mark();
    try {
      const value = this.evalPipeline(dot, node.pipe);
      if (isTrue(value)) return this.walk(node.type === 'with' ? value : dot, node.list);
      if (node.elseList) return this.walk(dot, node.elseList);
      return Flow.Normal;
    } finally {
      this.pop(mark);
    }
  }

  private walkRange(dot: unknown, node: BranchNode): void {
    this.at(node);
    const outerMark = this.mark();
    try {
      const value = this.evalPipeline(dot, node.pipe);
      const mark = this.mark();
      const { decl, isAssign } = node.pipe;
      const oneIteration = (index: unknown, element: unknown): Flow => {
        if (decl.length > 0) {
          if (isAssign) this.setVar(decl[0]!.ident[0]!, decl.length > 1 ? index : element);
          else this.setTopVar(1, element);
        }
        if (decl.length > 1) {
          if (isAssign) this.setVar(decl[1]!.ident[0]!, element);
          else this.setTopVar(2, index);
        }
        try {
          return this.walk(element, node.list);
        } finally {
          this.pop(mark);
        }
      };
      let iterated = false;
      switch (kindOf(value)) {
        case 'int': {
          if (decl.length > 1) {
            this.at(node);
            this.error(`can't use ${formatValue(value)} to iterate over more than one variable`);
          }
          const count = Number(value);
          for (let i = 0; i < count; i++) {
            iterated = true;
            if (oneIteration(undefined, i) === Flow.Break) break;
          }
          break;
        }
        case 'slice': {
          const slice = value as unknown[];
          for (let i = 0; i < slice.length; i++) {
            iterated = true;
            if (oneIteration(i, slice[i] ?? null) === Flow.Break) break;
          }
          break;
        }
        case 'map':
          for (const [key, element] of sortedEntries(value as object)) {
            iterated = true;
            if (oneIteration(key, element) === Flow.Break) break;
          }
          break;
        case 'invalid':
        case 'nil':
          break;
        default:
          this.at(node);
          this.error(`range can't iterate over ${formatValue(value)}`);
      }
      if (!iterated && node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.pop(outerMark);
    }
  }

  private walkTemplate(dot: unknown, node: TemplateNode): void {
    this.at(node);
    const tree = this.context.trees.get(node.name);
    if (tree === undefined) this.error(`template ${quoteString(node.name)} not defined`);
    if (this.depth >= MAX_TEMPLATE_DEPTH)
      this.error(`exceeded maximum template depth (${MAX_TEMPLATE_DEPTH})`);
    const newDot = node.pipe ? this.evalPipeline(dot, node.pipe) : undefined;
    const savedVars = this.vars;
    const savedName = this.templateName;
    this.vars = [{ name: '$', value: newDot }];
    this.templateName = node.name;
    this.depth++;
    try {
      this.walk(newDot, tree);
    } finally {
      this.depth--;
      this.vars = savedVars;
      this.templateName = savedName;
    }
  }

  private printValue(node: AnyNode, value: unknown): void {
    this.at(node);
    if (value === undefined) {
      this.chunks.push('<no value>');
      return;
    }
    if (typeof value === 'function')
      this.error(`can't print ${nodeToString(node)} of type ${goTypeName(value)}`);
    this.chunks.push(typeof value === 'string' ? value : formatValue(value));
  }

  // Evaluation.

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at(pipe);
    let value: unknown = MISSING;
    for (const command of pipe.cmds) {
      value = this.evalCommand(dot, command, value);
      // An interface holding nil is no value at all once it leaves the command (Go unwraps it).
      if (value === null) value = undefined;
    }
    for (const variable of pipe.decl) {
      if (pipe.isAssign) this.setVar(variable.ident[0]!, value);
      else this.vars.push({ name: variable.ident[0]!, value });
    }
    return value;
  }

  private notAFunction(args: readonly ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) {
      this.error(`can't give argument to non-function ${nodeToString(args[0]!)}`);
    }
  }

  private evalCommand(dot: unknown, command: CommandNode, final: Final): unknown {
    const first = command.args[0]!;
    switch (first.type) {
      case 'field':
        return this.evalFieldNode(dot, first, command.args, final);
      case 'chain':
        return this.evalChainNode(dot, first, command.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, command, command.args.slice(1), final);
      case 'pipe':
        this.notAFunction(command.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariableNode(dot, first, command.args, final);
    }
    this.at(first);
    this.notAFunction(command.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.error('nil is not a command');
      // falls through: error() never returns
      case 'number':
        return first.value;
      case 'string':
        return first.text;
    }
  }

  private evalFieldNode(
    dot: unknown,
    field: FieldNode,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(
    dot: unknown,
    chain: ChainNode,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    this.at(chain);
    if (chain.node.type === 'nil')
      this.error(`indirection through explicit nil in ${nodeToString(chain)}`);
    const receiver = this.evalArg(dot, undefined, chain.node);
    return this.evalFieldChain(dot, receiver, chain, chain.fields, args, final);
  }

  private evalVariableNode(
    dot: unknown,
    variable: VariableNode,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    this.at(variable);
    const value = this.varValue(variable.ident[0]!);
    if (variable.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: AnyNode,
    idents: readonly string[],
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    const last = idents.length - 1;
    for (let i = 0; i < last; i++)
      receiver = this.evalField(idents[i]!, node, [], MISSING, receiver);
    return this.evalField(idents[last]!, node, args, final, receiver);
  }

  private evalField(
    fieldName: string,
    node: AnyNode,
    args: readonly ArgNode[],
    final: Final,
    receiver: unknown,
  ): unknown {
    if (receiver === undefined) {
      if (this.context.missingKey === 'error')
        this.error(`nil data; no entry for key ${quoteString(fieldName)}`);
      return undefined;
    }
    if (receiver === null) this.error(`nil pointer evaluating interface {}.${fieldName}`);
    if (kindOf(receiver) === 'map') {
      if (args.length > 1 || final !== MISSING)
        this.error(`${fieldName} is not a method but has arguments`);
      const found = mapLookup(receiver as object, fieldName);
      if (found.found) return found.value;
      switch (this.context.missingKey) {
        case 'error':
          this.error(`map has no entry for key ${quoteString(fieldName)}`);
        // falls through: error() never returns
        case 'zero':
          return null;
        default:
          return undefined;
      }
    }
    this.at(node);
    return this.error(`can't evaluate field ${fieldName} in type ${goTypeName(receiver)}`);
  }

  private evalFunction(
    dot: unknown,
    node: IdentifierNode,
    command: AnyNode,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    this.at(node);
    const spec = this.context.functions.get(node.name);
    if (spec === undefined) this.error(`${quoteString(node.name)} is not a defined function`);
    return this.evalCall(dot, spec, command, node.name, args, final);
  }

  private evalCall(
    dot: unknown,
    spec: FunctionSpec,
    node: AnyNode,
    name: string,
    args: readonly ArgNode[],
    final: Final,
  ): unknown {
    const hasFinal = final !== MISSING;
    const numIn = args.length + (hasFinal ? 1 : 0);
    const fixed = spec.params.length;
    if (spec.variadic !== undefined) {
      if (numIn < fixed)
        this.error(`wrong number of args for ${name}: want at least ${fixed} got ${args.length}`);
    } else if (numIn !== fixed) {
      this.error(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
    }

    if (spec.special === 'and' || spec.special === 'or') {
      let value: unknown = undefined;
      for (const arg of args) {
        value = this.evalArg(dot, 'any', arg);
        if (isTrue(value) === (spec.special === 'or')) return value;
      }
      if (hasFinal) value = final;
      return value;
    }

    const kindAt = (i: number): ParamKind =>
      i < fixed ? spec.params[i]! : (spec.variadic ?? 'any');
    const argv: unknown[] = [];
    const outerArgument = this.argument;
    try {
      args.forEach((arg, i) => {
        this.argument = { functionName: name, index: i + 1 };
        argv.push(this.evalArg(dot, kindAt(i), arg));
      });
      this.argument = { functionName: name, index: numIn };
      if (hasFinal) argv.push(this.validateType(final, kindAt(numIn - 1)));
    } finally {
      this.argument = outerArgument;
    }

    if (spec.special === 'call') {
      const calleeName = args.length > 0 ? nodeToString(args[0]!) : formatValue(final);
      return this.callFunctionValue(node, calleeName, argv);
    }
    return this.invoke(node, name, spec, argv);
  }

  private invoke(node: AnyNode, name: string, spec: FunctionSpec, argv: unknown[]): unknown {
    try {
      return spec.fn(...argv);
    } catch (error) {
      if (error instanceof TemplateError) throw error;
      this.at(node);
      const message = error instanceof Error ? error.message : String(error);
      this.error(
        `error calling ${name}: ${message}`,
        error instanceof FunctionError ? undefined : error,
      );
    }
  }

  /** The `call` builtin: invokes a function found in the data, checking its declared signature. */
  private callFunctionValue(node: AnyNode, calleeName: string, argv: unknown[]): unknown {
    const [fn, ...rest] = argv;
    const fail = (message: string): never => {
      this.at(node);
      return this.error(`error calling call: ${message}`);
    };
    if (fn === undefined || fn === null) fail('call of nil');
    if (typeof fn !== 'function') fail(`non-function ${calleeName} of type ${goTypeName(fn)}`);
    const spec = specFor(fn as (...args: unknown[]) => unknown);
    const fixed = spec.params.length;
    if (spec.variadic !== undefined) {
      if (rest.length < fixed)
        fail(`wrong number of args for ${calleeName}: got ${rest.length} want at least ${fixed}`);
    } else if (rest.length !== fixed) {
      fail(`wrong number of args for ${calleeName}: got ${rest.length} want ${fixed}`);
    }
    rest.forEach((value, i) => {
      const kind = i < fixed ? spec.params[i]! : (spec.variadic ?? 'any');
      if (kind === 'any') return;
      if (value === undefined || value === null)
        fail(`arg ${i}: value is nil; should be of type ${PARAM_TYPE_NAMES[kind]}`);
      if (!matchesKind(value, kind)) {
        fail(`arg ${i}: value has type ${goTypeName(value)}; should be ${PARAM_TYPE_NAMES[kind]}`);
      }
    });
    return this.invoke(
      node,
      'call',
      spec,
      rest.map((value) => (value === undefined ? null : value)),
    );
  }

  /** Converts an evaluated argument to the parameter's type as Go's validateType does. */
  private validateType(value: unknown, kind: ParamKind | undefined): unknown {
    if (kind === undefined) return value;
    if (kind === 'any') return value === undefined ? null : value;
    const typeName = PARAM_TYPE_NAMES[kind];
    if (value === undefined) this.argumentError(`invalid value; expected ${typeName}`);
    if (value === null)
      this.argumentError(`wrong type for value; expected ${typeName}; got interface {}`);
    if (!matchesKind(value, kind)) {
      this.argumentError(`wrong type for value; expected ${typeName}; got ${goTypeName(value)}`);
    }
    return value;
  }

  /** A type error in a function argument; Go's message, prefixed with which argument of which function. */
  private argumentError(message: string): never {
    const argument = this.argument;
    if (argument === undefined) return this.error(message);
    return this.error(`argument ${argument.index} of ${argument.functionName}: ${message}`);
  }

  private evalArg(dot: unknown, kind: ParamKind | undefined, node: ArgNode): unknown {
    this.at(node);
    switch (node.type) {
      case 'dot':
        return this.validateType(dot, kind);
      case 'nil':
        if (kind === undefined || kind === 'any') return null;
        return this.argumentError(`cannot assign nil to ${PARAM_TYPE_NAMES[kind]}`);
      case 'field':
        return this.validateType(this.evalFieldNode(dot, node, [node], MISSING), kind);
      case 'variable':
        return this.validateType(this.evalVariableNode(dot, node, [], MISSING), kind);
      case 'pipe':
        return this.validateType(this.evalPipeline(dot, node), kind);
      case 'identifier':
        return this.validateType(this.evalFunction(dot, node, node, [], MISSING), kind);
      case 'chain':
        return this.validateType(this.evalChainNode(dot, node, [], MISSING), kind);
    }
    switch (kind ?? 'any') {
      case 'any':
        return node.type === 'bool' ? node.value : node.type === 'number' ? node.value : node.text;
      case 'bool':
        if (node.type === 'bool') return node.value;
        return this.argumentError(`expected bool; found ${nodeToString(node)}`);
      case 'string':
        if (node.type === 'string') return node.text;
        return this.argumentError(`expected string; found ${nodeToString(node)}`);
      case 'int':
        if (node.type === 'number' && kindOf(node.value) === 'int') return node.value;
        if (node.type === 'number' && Number.isInteger(Number(node.value)))
          return Number(node.value);
        return this.argumentError(`expected integer; found ${nodeToString(node)}`);
      case 'float':
        if (node.type === 'number') return new GoFloat(Number(node.value));
        return this.argumentError(`expected float; found ${nodeToString(node)}`);
    }
  }
}

function matchesKind(value: unknown, kind: ParamKind): boolean {
  switch (kind) {
    case 'any':
      return true;
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'int':
      return kindOf(value) === 'int';
    case 'float':
      return kindOf(value) === 'float';
  }
}

/** Runs the named tree of a template set with `data` as dot and `$`. */
export function executeTree(context: ExecContext, name: string, data: unknown): string {
  const tree = context.trees.get(name);
  const execution = new Execution(context, name, data);
  if (tree === undefined)
    return execution.error(`no template ${quoteString(name)} associated with template`);
  try {
    execution.walk(data, tree);
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      execution.error('exceeded maximum template depth (JavaScript call stack exhausted)', error);
    }
    throw error;
  }
  return execution.output();
}
