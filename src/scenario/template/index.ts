/**
 * Go `text/template` for scenario files, with ClusterLoader2's function table, so that upstream
 * CL2 test configs and object templates render here as CL2 renders them.
 *
 * ```ts
 * const yaml = renderTemplate(text, { Nodes: 100 }, { name: 'scenarios/density.yaml' });
 * ```
 *
 * Supported, with Go's semantics and error messages: text and actions, `{{- -}}` trim markers,
 * comment actions, pipelines, parenthesised arguments, field chains on maps (`.A.B`, `$x.A`,
 * `(index .L 0).A`), variables (`:=`, `=`, `$`), `if`/`else if`/`else`, `with`/`else with`,
 * `range` over slices, maps (sorted keys) and ints with `$i, $v :=`, `else`, `break`/`continue`,
 * `define`/`template`/`block`, all literal kinds (ints and floats kept apart: `1` is an int, `1.0` a
 * float64), the builtins (`and`/`or` short-circuit, `eq` with several operands, comparison errors on
 * mixed types, `printf` with fmt's verbs, flags, widths and `%!verb(...)` diagnostics), the
 * `missingkey` option, and CL2's functions (cl2-functions.ts). A missing map key prints
 * `<no value>` and is passed to functions as nil, which is what makes `DefaultParam` work.
 *
 * Value model (values.ts): plain objects and `Map`s are Go maps, arrays are slices, integral
 * numbers are ints and others float64; wrap an integral float in {@link GoFloat} to keep it a float
 * (Go prints `float64(1e6)` as `1e+06`).
 *
 * Not supported: methods and struct fields (data is plain JSON-like values), complex numbers,
 * custom delimiters, channels and iterator functions in `range`, html/template's contextual
 * escaping, and safetext's YAML-injection check (its `StructuralData` is accepted as identity).
 * `RandDataWithSeed` is deterministic per seed string but does not reproduce Go's math/rand stream,
 * and `IncludeFile` resolves against `baseDir` (CL2: the binary's directory), expanding `$VARS`
 * before resolving. Division by zero in `DivideInt`/`DivideFloat` is an error, as in current CL2.
 */
import path from 'node:path';

import { createRng } from '../../common/random.js';
import { cl2Functions } from './cl2-functions.js';
import { SourceMap } from './errors.js';
import { executeTree } from './executor.js';
import type { MissingKey } from './executor.js';
import { builtinFunctions, specFor } from './functions.js';
import type { FunctionSpec, TemplateFunction, TemplateValue } from './functions.js';
import { parseTemplateText } from './parser.js';
import type { TreeSet } from './parser.js';

export { TemplateError } from './errors.js';
export { GoFloat, float64, goTypeName, isTrue, kindOf } from './values.js';
export type { GoKind } from './values.js';
export { withSignature } from './functions.js';
export type { FunctionSignature, ParamKind, TemplateFunction, TemplateValue } from './functions.js';
export type { MissingKey } from './executor.js';
export { formatValue, sprint, sprintf } from './gofmt.js';
export { marshalYamlString, yamlQuote } from './yaml-quote.js';

export interface RenderOptions {
  /** File name for error messages (e.g. 'scenarios/smoke.yaml'). */
  name: string;
  /** Directory that IncludeFile/IncludeEmbedFile resolve relative paths against (default: dirname of name). */
  baseDir?: string;
  /** Extra template functions, merged over the CL2 function table. */
  funcs?: Record<string, TemplateFunction>;
  /** Seed for RandInt/RandIntRange/RandData (default: random). */
  seed?: number;
  /** Reads files for IncludeFile; defaults to fs.readFileSync(utf8). */
  readFile?: (path: string) => string;
  /** Missing map keys: 'default' (CL2's setting) yields `<no value>`; 'zero' nil; 'error' fails. */
  missingKey?: MissingKey;
  /** Environment for `$VAR` in IncludeFile paths (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A parsed template text and the templates it defines; execute it as often as needed. */
export class Template {
  /** The top-level template's name: the file's base name. */
  readonly name: string;

  constructor(
    private readonly file: string,
    private readonly sourceMap: SourceMap,
    private readonly trees: TreeSet,
    private readonly functions: ReadonlyMap<string, FunctionSpec>,
    private readonly missingKey: MissingKey,
    name: string,
  ) {
    this.name = name;
  }

  /** Renders the top-level template with `data` as dot. Throws TemplateError. */
  execute(data: TemplateValue): string {
    return this.executeTemplate(this.name, data);
  }

  /** Renders one of the templates this text defines (`define`/`block`). */
  executeTemplate(name: string, data: TemplateValue): string {
    return executeTree(
      {
        file: this.file,
        sourceMap: this.sourceMap,
        trees: this.trees,
        functions: this.functions,
        missingKey: this.missingKey,
      },
      name,
      data,
    );
  }

  /** Names of the templates available to `{{template}}`, including the top-level one. */
  definedTemplates(): string[] {
    return [...this.trees.keys()].sort();
  }
}

function functionTable(options: RenderOptions): Map<string, FunctionSpec> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  const table = builtinFunctions();
  const cl2 = cl2Functions({
    baseDir: options.baseDir ?? path.dirname(options.name),
    rng: createRng(seed),
    ...(options.readFile ? { readFile: options.readFile } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  for (const [name, spec] of cl2) table.set(name, spec);
  for (const [name, fn] of Object.entries(options.funcs ?? {})) table.set(name, specFor(fn));
  return table;
}

/** Parses a template text; syntax errors, unknown functions and undefined variables throw TemplateError. */
export function parseTemplate(text: string, options: RenderOptions): Template {
  const functions = functionTable(options);
  const sourceMap = new SourceMap(text);
  const name = path.basename(options.name);
  const trees = parseTemplateText(text, name, {
    file: options.name,
    sourceMap,
    hasFunction: (functionName) => functions.has(functionName),
  });
  return new Template(
    options.name,
    sourceMap,
    trees,
    functions,
    options.missingKey ?? 'default',
    name,
  );
}

/** Parses and executes a template text once. Throws TemplateError. */
export function renderTemplate(text: string, data: TemplateValue, options: RenderOptions): string {
  return parseTemplate(text, options).execute(data);
}
