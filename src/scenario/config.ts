/**
 * The ClusterLoader2 test-config model (perf-tests clusterloader2/api/types.go) and its decoder.
 *
 * CL2 decodes YAML → JSON → Go structs, so struct field names match case-insensitively (an exact
 * match wins), unknown fields are ignored, and map keys (`params`, `templateFillMap`) keep their
 * case. Decoding never throws for a wrong field: it records a problem with the field's path, so
 * that the loader can report every problem of a file at once.
 *
 * hollowfleet adds one optional top-level section, `fleet:`, that CL2 would ignore (see fleet.ts).
 */
import { ConfigError } from '../common/errors.js';

export interface NamespaceConfig {
  /** Automanaged namespaces `<prefix>-1..<prefix>-number` (CL2 default 1; must be > 0). */
  number: number;
  /** CL2 default: `test-` followed by 6 random DNS characters. */
  prefix: string;
  deleteStaleNamespaces: boolean;
  deleteAutomanagedNamespaces: boolean;
  enableExistingNamespaces: boolean;
  /** CL2 default 10m. */
  deleteNamespaceTimeoutMs: number;
}

export interface QpsLoad {
  qps: number;
}
export interface RandomizedLoad {
  averageQps: number;
}
export interface SteppedLoad {
  burstSize: number;
  stepDelayMs: number;
}
export interface TimeLimitedLoad {
  timeLimitMs: number;
}
export interface ParallelismLimitedLoad {
  parallelismLimit: number;
}
export interface GlobalQpsLoad {
  qps: number;
  burst: number;
}
export interface PoissonLoad {
  expectedActionsPerSecond: number;
}

/** The load types, keyed by their YAML names. */
export interface TuningSetLoads {
  qpsLoad?: QpsLoad;
  randomizedLoad?: RandomizedLoad;
  steppedLoad?: SteppedLoad;
  timeLimitedLoad?: TimeLimitedLoad;
  randomizedTimeLimitedLoad?: TimeLimitedLoad;
  parallelismLimitedLoad?: ParallelismLimitedLoad;
  globalQPSLoad?: GlobalQpsLoad;
  poissonLoad?: PoissonLoad;
}

export const TUNING_SET_KINDS = [
  'qpsLoad',
  'randomizedLoad',
  'steppedLoad',
  'timeLimitedLoad',
  'randomizedTimeLimitedLoad',
  'parallelismLimitedLoad',
  'globalQPSLoad',
  'poissonLoad',
] as const satisfies readonly (keyof TuningSetLoads)[];

export type TuningSetKind = (typeof TUNING_SET_KINDS)[number];

/** A tuning set as declared: validation checks that exactly one load type is set. */
export interface TuningSetDecl extends TuningSetLoads {
  name: string;
  /** Declared by CL2 but never read there; kept only so that configs round-trip. */
  initialDelayMs?: number;
}

/** A validated tuning set: exactly one load type. */
export type TuningSet = { name: string } & (
  | ({ kind: 'qpsLoad' } & QpsLoad)
  | ({ kind: 'randomizedLoad' } & RandomizedLoad)
  | ({ kind: 'steppedLoad' } & SteppedLoad)
  | ({ kind: 'timeLimitedLoad' } & TimeLimitedLoad)
  | ({ kind: 'randomizedTimeLimitedLoad' } & TimeLimitedLoad)
  | ({ kind: 'parallelismLimitedLoad' } & ParallelismLimitedLoad)
  | ({ kind: 'globalQPSLoad' } & GlobalQpsLoad)
  | ({ kind: 'poissonLoad' } & PoissonLoad)
);

export interface NamespaceRange {
  min: number;
  max: number;
  basename?: string;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values: string[];
}

export interface LabelSelector {
  matchLabels: Record<string, string>;
  matchExpressions: LabelSelectorRequirement[];
}

export interface ObjectBundleEntry {
  basename: string;
  objectTemplatePath: string;
  templateFillMap: Record<string, unknown>;
  listUnknownObjectOptions?: { labelSelector?: LabelSelector };
}

export interface Phase {
  namespaceRange?: NamespaceRange;
  namespaceList?: string[];
  replicasPerNamespace: number;
  tuningSet: string;
  objectBundle: ObjectBundleEntry[];
}

export interface MeasurementInstance {
  identifier: string;
  params: Record<string, unknown>;
}

export interface MeasurementDecl {
  method: string;
  identifier?: string;
  instances?: MeasurementInstance[];
  params: Record<string, unknown>;
}

export interface ModuleRef {
  path: string;
  params: Record<string, unknown>;
}

/** A step as declared: validation checks that exactly one of phases/measurements/module is set. */
export interface StepDecl {
  name?: string;
  phases?: Phase[];
  measurements?: MeasurementDecl[];
  module?: ModuleRef;
}

export interface Dependency {
  name: string;
  method: string;
  timeoutMs?: number;
  params: Record<string, unknown>;
}

export interface Config {
  name: string;
  namespace: NamespaceConfig;
  tuningSets: TuningSetDecl[];
  steps: StepDecl[];
  dependencies: Dependency[];
  /** Kept verbatim; hollowfleet does not run CL2's chaos monkey (see fleet failure fractions). */
  chaosMonkey?: Record<string, unknown>;
  /** hollowfleet extension, raw; resolved by fleet.ts. */
  fleet?: Record<string, unknown>;
}

/** A module file: only steps. */
export interface ModuleFile {
  steps: StepDecl[];
}

/** A decode or validation problem, with the JSON-path-like location CL2 would print. */
export interface ValidationIssue {
  /** Stable kind of problem, one per CL2 rule (see validate.ts). */
  code: string;
  /** e.g. `steps[3].phases[0].tuningSet`; prefixed with the module chain for module steps. */
  path: string;
  message: string;
}

export function formatIssue(issue: ValidationIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** Every problem of a scenario, decode and validation together. */
export class ScenarioValidationError extends ConfigError {
  constructor(
    readonly file: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    super(
      `${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}, fix and run again:\n` +
        issues.map((i) => `  - ${formatIssue(i)}`).join('\n'),
    );
  }
}

export const DEFAULT_DELETE_NAMESPACE_TIMEOUT_MS = 10 * 60_000;
const DNS_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** CL2's default prefix: `test-` + 6 random characters from the DNS-safe alphabet of rand.String. */
export function defaultNamespacePrefix(random: () => number): string {
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += DNS_ALPHABET[Math.floor(random() * DNS_ALPHABET.length)]!;
  return `test-${suffix}`;
}

// ---------------------------------------------------------------------------------------------
// Go durations

const DURATION_UNITS_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * Go's time.ParseDuration (`30s`, `1h5m`, `1.5m`, `-2s`, `0`), in milliseconds. Returns undefined
 * when the text is not a Go duration; callers turn that into a message naming the field.
 */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let totalNs = 0;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m) return undefined;
    totalNs += Number(m[1]) * DURATION_UNITS_NS[m[2]!]!;
    s = s.slice(m[0].length);
  }
  return (sign * totalNs) / 1e6;
}

export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

// ---------------------------------------------------------------------------------------------
// Decoding helpers

type Obj = Record<string, unknown>;

export class Decoder {
  readonly issues: ValidationIssue[] = [];
  readonly warnings: string[] = [];

  constructor(readonly pathPrefix = '') {}

  at(path: string): string {
    if (!this.pathPrefix) return path;
    return path ? `${this.pathPrefix}.${path}` : this.pathPrefix;
  }

  problem(path: string, message: string, code = 'decode'): void {
    this.issues.push({ code, path: this.at(path), message });
  }

  /**
   * Go JSON struct decoding: each key goes to the field it names exactly, else case-insensitively;
   * a later key for the same field wins; unknown keys are ignored (noted as warnings).
   */
  fields(value: unknown, path: string, known: readonly string[]): Map<string, unknown> {
    const out = new Map<string, unknown>();
    if (value === undefined || value === null) return out;
    if (!isPlainObject(value)) {
      this.problem(path, `expected a mapping, got ${describe(value)}`);
      return out;
    }
    for (const [key, v] of Object.entries(value)) {
      const field = known.includes(key)
        ? key
        : known.find((k) => k.toLowerCase() === key.toLowerCase());
      if (field === undefined) {
        this.warnings.push(`${this.at(join(path, key))}: unknown field, ignored`);
        continue;
      }
      out.set(field, v);
    }
    return out;
  }

  string(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    this.problem(path, `expected a string, got ${describe(value)}`);
    return undefined;
  }

  int(value: unknown, path: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    this.problem(path, `expected an integer, got ${describe(value)}`);
    return undefined;
  }

  float(value: unknown, path: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    this.problem(path, `expected a number, got ${describe(value)}`);
    return undefined;
  }

  bool(value: unknown, path: string): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'boolean') return value;
    this.problem(path, `expected true or false, got ${describe(value)}`);
    return undefined;
  }

  duration(value: unknown, path: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') {
      const ms = parseGoDuration(value.trim());
      if (ms !== undefined) return ms;
    }
    this.problem(
      path,
      `${describe(value)} is not a Go duration; write a number with a unit, e.g. 30s, 1h5m, 10m or 500ms`,
      'duration',
    );
    return undefined;
  }

  map(value: unknown, path: string): Record<string, unknown> {
    if (value === undefined || value === null) return {};
    if (isPlainObject(value)) return { ...value };
    this.problem(path, `expected a mapping, got ${describe(value)}`);
    return {};
  }

  list(value: unknown, path: string): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value)) return value;
    this.problem(path, `expected a list, got ${describe(value)}`);
    return undefined;
  }
}

export function isPlainObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// The config

export interface DecodeConfigOptions {
  /** Source of randomness for the default namespace prefix. */
  random?: () => number;
}

/** Decodes a parsed YAML document into a Config; problems go to `decoder.issues`. */
export function decodeConfig(
  doc: unknown,
  decoder: Decoder,
  options: DecodeConfigOptions = {},
): Config {
  const f = decoder.fields(doc, '', [
    'name',
    'namespace',
    'automanagedNamespaces',
    'dependencies',
    'tuningSets',
    'chaosMonkey',
    'steps',
    'fleet',
  ]);
  const ns = decodeNamespace(
    f.get('namespace'),
    'namespace',
    decoder,
    options.random ?? Math.random,
  );
  const automanaged = decoder.int(f.get('automanagedNamespaces'), 'automanagedNamespaces');
  if (automanaged !== undefined) {
    if (automanaged < 0)
      decoder.problem('automanagedNamespaces', 'must be non-negative', 'automanaged-negative');
    // CL2: the deprecated field still sets the number when namespace.number is not given.
    else if (automanaged > 0 && ns.numberWasDefault) ns.config.number = automanaged;
  }
  const tuningSets = (decoder.list(f.get('tuningSets'), 'tuningSets') ?? []).map((t, i) =>
    decodeTuningSet(t, `tuningSets[${i}]`, decoder),
  );
  const dependencies = (decoder.list(f.get('dependencies'), 'dependencies') ?? []).map((d, i) =>
    decodeDependency(d, `dependencies[${i}]`, decoder),
  );
  const config: Config = {
    name: decoder.string(f.get('name'), 'name') ?? '',
    namespace: ns.config,
    tuningSets,
    steps: decodeSteps(f.get('steps'), 'steps', decoder),
    dependencies,
  };
  if (f.get('chaosMonkey') != null)
    config.chaosMonkey = decoder.map(f.get('chaosMonkey'), 'chaosMonkey');
  if (f.get('fleet') != null) config.fleet = decoder.map(f.get('fleet'), 'fleet');
  return config;
}

export function decodeModule(doc: unknown, decoder: Decoder): ModuleFile {
  const f = decoder.fields(doc, '', ['steps']);
  return { steps: decodeSteps(f.get('steps'), 'steps', decoder) };
}

function decodeNamespace(
  value: unknown,
  path: string,
  d: Decoder,
  random: () => number,
): { config: NamespaceConfig; numberWasDefault: boolean } {
  const f = d.fields(value, path, [
    'number',
    'prefix',
    'deleteStaleNamespaces',
    'deleteAutomanagedNamespaces',
    'enableExistingNamespaces',
    'deleteNamespaceTimeout',
  ]);
  const number = d.int(f.get('number'), `${path}.number`);
  const prefix = d.string(f.get('prefix'), `${path}.prefix`);
  return {
    numberWasDefault: number === undefined,
    config: {
      number: number ?? 1,
      prefix: prefix || defaultNamespacePrefix(random),
      deleteStaleNamespaces:
        d.bool(f.get('deleteStaleNamespaces'), `${path}.deleteStaleNamespaces`) ?? false,
      deleteAutomanagedNamespaces:
        d.bool(f.get('deleteAutomanagedNamespaces'), `${path}.deleteAutomanagedNamespaces`) ?? true,
      enableExistingNamespaces:
        d.bool(f.get('enableExistingNamespaces'), `${path}.enableExistingNamespaces`) ?? false,
      deleteNamespaceTimeoutMs:
        d.duration(f.get('deleteNamespaceTimeout'), `${path}.deleteNamespaceTimeout`) ??
        DEFAULT_DELETE_NAMESPACE_TIMEOUT_MS,
    },
  };
}

function decodeTuningSet(value: unknown, path: string, d: Decoder): TuningSetDecl {
  const f = d.fields(value, path, ['name', 'initialDelay', ...TUNING_SET_KINDS]);
  const decl: TuningSetDecl = { name: d.string(f.get('name'), `${path}.name`) ?? '' };
  const initialDelay = d.duration(f.get('initialDelay'), `${path}.initialDelay`);
  if (initialDelay !== undefined) decl.initialDelayMs = initialDelay;
  const sub = (kind: TuningSetKind, keys: string[]) => {
    const raw = f.get(kind);
    return raw === undefined || raw === null ? undefined : d.fields(raw, `${path}.${kind}`, keys);
  };
  const p = (kind: string, key: string) => `${path}.${kind}.${key}`;
  let s = sub('qpsLoad', ['qps']);
  if (s) decl.qpsLoad = { qps: d.float(s.get('qps'), p('qpsLoad', 'qps')) ?? 0 };
  s = sub('randomizedLoad', ['averageQps']);
  if (s)
    decl.randomizedLoad = {
      averageQps: d.float(s.get('averageQps'), p('randomizedLoad', 'averageQps')) ?? 0,
    };
  s = sub('steppedLoad', ['burstSize', 'stepDelay']);
  if (s)
    decl.steppedLoad = {
      burstSize: d.int(s.get('burstSize'), p('steppedLoad', 'burstSize')) ?? 0,
      stepDelayMs: d.duration(s.get('stepDelay'), p('steppedLoad', 'stepDelay')) ?? 0,
    };
  s = sub('timeLimitedLoad', ['timeLimit']);
  if (s)
    decl.timeLimitedLoad = {
      timeLimitMs: d.duration(s.get('timeLimit'), p('timeLimitedLoad', 'timeLimit')) ?? 0,
    };
  s = sub('randomizedTimeLimitedLoad', ['timeLimit']);
  if (s)
    decl.randomizedTimeLimitedLoad = {
      timeLimitMs: d.duration(s.get('timeLimit'), p('randomizedTimeLimitedLoad', 'timeLimit')) ?? 0,
    };
  s = sub('parallelismLimitedLoad', ['parallelismLimit']);
  if (s)
    decl.parallelismLimitedLoad = {
      parallelismLimit:
        d.int(s.get('parallelismLimit'), p('parallelismLimitedLoad', 'parallelismLimit')) ?? 0,
    };
  s = sub('globalQPSLoad', ['qps', 'burst']);
  if (s)
    decl.globalQPSLoad = {
      qps: d.float(s.get('qps'), p('globalQPSLoad', 'qps')) ?? 0,
      burst: d.int(s.get('burst'), p('globalQPSLoad', 'burst')) ?? 0,
    };
  s = sub('poissonLoad', ['expectedActionsPerSecond']);
  if (s)
    decl.poissonLoad = {
      expectedActionsPerSecond:
        d.float(s.get('expectedActionsPerSecond'), p('poissonLoad', 'expectedActionsPerSecond')) ??
        0,
    };
  return decl;
}

function decodeDependency(value: unknown, path: string, d: Decoder): Dependency {
  const f = d.fields(value, path, ['name', 'method', 'timeout', 'params']);
  const dep: Dependency = {
    name: d.string(f.get('name'), `${path}.name`) ?? '',
    method: d.string(f.get('method'), `${path}.method`) ?? '',
    params: d.map(f.get('params'), `${path}.params`),
  };
  const timeout = d.duration(f.get('timeout'), `${path}.timeout`);
  if (timeout !== undefined) dep.timeoutMs = timeout;
  return dep;
}

export function decodeSteps(value: unknown, path: string, d: Decoder): StepDecl[] {
  return (d.list(value, path) ?? []).map((s, i) => decodeStep(s, `${path}[${i}]`, d));
}

function decodeStep(value: unknown, path: string, d: Decoder): StepDecl {
  const f = d.fields(value, path, ['name', 'phases', 'measurements', 'module']);
  const step: StepDecl = {};
  const name = d.string(f.get('name'), `${path}.name`);
  if (name !== undefined) step.name = name;
  const phases = d.list(f.get('phases'), `${path}.phases`);
  if (phases) step.phases = phases.map((p, i) => decodePhase(p, `${path}.phases[${i}]`, d));
  const measurements = d.list(f.get('measurements'), `${path}.measurements`);
  if (measurements)
    step.measurements = measurements.map((m, i) =>
      decodeMeasurement(m, `${path}.measurements[${i}]`, d),
    );
  const module = f.get('module');
  if (module !== undefined && module !== null) {
    const mf = d.fields(module, `${path}.module`, ['path', 'params']);
    step.module = {
      path: d.string(mf.get('path'), `${path}.module.path`) ?? '',
      params: d.map(mf.get('params'), `${path}.module.params`),
    };
  }
  return step;
}

function decodePhase(value: unknown, path: string, d: Decoder): Phase {
  const f = d.fields(value, path, [
    'namespaceRange',
    'namespaceList',
    'replicasPerNamespace',
    'tuningSet',
    'objectBundle',
  ]);
  const phase: Phase = {
    replicasPerNamespace: d.int(f.get('replicasPerNamespace'), `${path}.replicasPerNamespace`) ?? 0,
    tuningSet: d.string(f.get('tuningSet'), `${path}.tuningSet`) ?? '',
    objectBundle: (d.list(f.get('objectBundle'), `${path}.objectBundle`) ?? []).map((o, i) =>
      decodeObject(o, `${path}.objectBundle[${i}]`, d),
    ),
  };
  const range = f.get('namespaceRange');
  if (range !== undefined && range !== null) {
    const rf = d.fields(range, `${path}.namespaceRange`, ['min', 'max', 'basename']);
    phase.namespaceRange = {
      min: d.int(rf.get('min'), `${path}.namespaceRange.min`) ?? 0,
      max: d.int(rf.get('max'), `${path}.namespaceRange.max`) ?? 0,
    };
    const basename = d.string(rf.get('basename'), `${path}.namespaceRange.basename`);
    if (basename !== undefined) phase.namespaceRange.basename = basename;
  }
  const list = d.list(f.get('namespaceList'), `${path}.namespaceList`);
  if (list)
    phase.namespaceList = list.map((n, i) => d.string(n, `${path}.namespaceList[${i}]`) ?? '');
  return phase;
}

function decodeObject(value: unknown, path: string, d: Decoder): ObjectBundleEntry {
  const f = d.fields(value, path, [
    'basename',
    'objectTemplatePath',
    'templateFillMap',
    'listUnknownObjectOptions',
  ]);
  const entry: ObjectBundleEntry = {
    basename: d.string(f.get('basename'), `${path}.basename`) ?? '',
    objectTemplatePath: d.string(f.get('objectTemplatePath'), `${path}.objectTemplatePath`) ?? '',
    templateFillMap: d.map(f.get('templateFillMap'), `${path}.templateFillMap`),
  };
  const unknown = f.get('listUnknownObjectOptions');
  if (unknown !== undefined && unknown !== null) {
    const uf = d.fields(unknown, `${path}.listUnknownObjectOptions`, ['labelSelector']);
    entry.listUnknownObjectOptions = {};
    const sel = uf.get('labelSelector');
    if (sel !== undefined && sel !== null)
      entry.listUnknownObjectOptions.labelSelector = decodeLabelSelector(
        sel,
        `${path}.listUnknownObjectOptions.labelSelector`,
        d,
      );
  }
  return entry;
}

function decodeLabelSelector(value: unknown, path: string, d: Decoder): LabelSelector {
  const f = d.fields(value, path, ['matchLabels', 'matchExpressions']);
  const matchLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.map(f.get('matchLabels'), `${path}.matchLabels`)))
    matchLabels[k] = d.string(v, `${path}.matchLabels.${k}`) ?? '';
  const matchExpressions = (
    d.list(f.get('matchExpressions'), `${path}.matchExpressions`) ?? []
  ).map((e, i) => {
    const p = `${path}.matchExpressions[${i}]`;
    const ef = d.fields(e, p, ['key', 'operator', 'values']);
    return {
      key: d.string(ef.get('key'), `${p}.key`) ?? '',
      operator: d.string(ef.get('operator'), `${p}.operator`) ?? '',
      values: (d.list(ef.get('values'), `${p}.values`) ?? []).map(
        (v, j) => d.string(v, `${p}.values[${j}]`) ?? '',
      ),
    };
  });
  return { matchLabels, matchExpressions };
}

/** metav1.LabelSelector → the `labelSelector` query string. */
export function labelSelectorToString(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions) {
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${e.values.join(',')})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${e.values.join(',')})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
      default:
        throw new ConfigError(
          `label selector operator "${e.operator}" for key "${e.key}": use In, NotIn, Exists or DoesNotExist`,
        );
    }
  }
  return parts.join(',');
}

function decodeMeasurement(value: unknown, path: string, d: Decoder): MeasurementDecl {
  const f = d.fields(value, path, ['method', 'identifier', 'instances', 'params']);
  const m: MeasurementDecl = {
    method: d.string(f.get('method'), `${path}.Method`) ?? '',
    params: d.map(f.get('params'), `${path}.Params`),
  };
  const identifier = d.string(f.get('identifier'), `${path}.Identifier`);
  if (identifier !== undefined) m.identifier = identifier;
  const instances = d.list(f.get('instances'), `${path}.Instances`);
  if (instances)
    m.instances = instances.map((inst, i) => {
      const p = `${path}.Instances[${i}]`;
      const inf = d.fields(inst, p, ['identifier', 'params']);
      return {
        identifier: d.string(inf.get('identifier'), `${p}.Identifier`) ?? '',
        params: d.map(inf.get('params'), `${p}.Params`),
      };
    });
  return m;
}

/** A validated declaration → its single load type. Call only after validation. */
export function resolveTuningSet(decl: TuningSetDecl): TuningSet {
  for (const kind of TUNING_SET_KINDS) {
    const load = decl[kind];
    if (load) return { name: decl.name, kind, ...load } as TuningSet;
  }
  throw new ConfigError(
    `tuning set "${decl.name}" declares no load type; use one of ${TUNING_SET_KINDS.join(', ')}`,
  );
}
