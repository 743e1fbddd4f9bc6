/**
 * Scenario validation before anything touches a cluster: CL2's rules (clusterloader2/api/
 * validation.go) plus the ones CL2 only finds at run time (unknown tuning set, missing template),
 * each with its own stable code and a path-precise message. Every problem is collected.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UNSUPPORTED_CL2_METHODS } from '../measure/types.js';
import {
  TUNING_SET_KINDS,
  type Config,
  type MeasurementDecl,
  type Phase,
  type StepDecl,
  type TuningSetDecl,
  type ValidationIssue,
} from './config.js';

export { ScenarioValidationError } from './config.js';

/** One code per rule; tests and tooling branch on these. */
export const VALIDATION_CODES = {
  namespaceNumber: 'namespace-number',
  automanagedNegative: 'automanaged-negative',
  tuningSetName: 'tuning-set-name',
  tuningSetDuplicate: 'tuning-set-duplicate',
  tuningSetLoadCount: 'tuning-set-load-count',
  tuningSetPositive: 'tuning-set-positive',
  stepsEmpty: 'steps-empty',
  stepExclusive: 'step-exclusive',
  stepEmpty: 'step-empty',
  modulePath: 'module-path',
  namespaceRangeAndList: 'namespace-range-and-list',
  namespaceRangeMin: 'namespace-range-min',
  namespaceRangeOrder: 'namespace-range-order',
  replicasNegative: 'replicas-negative',
  unknownTuningSet: 'unknown-tuning-set',
  basenameDns1123: 'basename-dns1123',
  templateMissing: 'template-missing',
  identifierXorInstances: 'identifier-xor-instances',
  instanceIdentifier: 'instance-identifier',
  moduleCycle: 'module-cycle',
  unknownMethod: 'unknown-method',
  decode: 'decode',
  duration: 'duration',
  fleet: 'fleet',
} as const;

const C = VALIDATION_CODES;

/** A step with where it came from: its path for messages and the directory its paths resolve in. */
export interface LocatedStep {
  step: StepDecl;
  /** e.g. `steps[3]` or `steps[2].module(modules/x.yaml).steps[0]`. */
  path: string;
  /** Directory of the file that declared the step. */
  baseDir: string;
}

export interface ValidateOptions {
  /** Measurement methods hollowfleet implements (the measurement registry's names). */
  supportedMethods: ReadonlySet<string>;
  /** Directory of the main config file: CL2 resolves object templates there. */
  rootDir: string;
  /** Defaults to fs.existsSync; injected by tests. */
  fileExists?: (file: string) => boolean;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** k8s.io/apimachinery IsDNS1123Subdomain, with its messages. */
export function dns1123SubdomainProblems(value: string): string[] {
  const problems: string[] = [];
  if (value.length > 253) problems.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(value))
    problems.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')",
    );
  return problems;
}

/** Where a template or module path points: next to the declaring file, else next to the config. */
export function resolveScenarioPath(
  file: string,
  baseDir: string,
  rootDir: string,
  exists: (file: string) => boolean = existsSync,
): string {
  if (path.isAbsolute(file)) return file;
  const local = path.resolve(baseDir, file);
  if (exists(local)) return local;
  const fromRoot = path.resolve(rootDir, file);
  return exists(fromRoot) ? fromRoot : local;
}

export function validateScenario(
  config: Config,
  steps: readonly LocatedStep[],
  options: ValidateOptions,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (code: string, p: string, message: string) => issues.push({ code, path: p, message });

  if (config.namespace.number <= 0)
    add(C.namespaceNumber, 'namespace.number', `must be positive, got ${config.namespace.number}`);

  const declared: string[] = [];
  config.tuningSets.forEach((ts, i) => {
    validateTuningSet(ts, `tuningSets[${i}]`, add);
    if (ts.name && declared.includes(ts.name))
      add(C.tuningSetDuplicate, `tuningSets[${i}].name`, `"${ts.name}" is declared twice`);
    if (ts.name) declared.push(ts.name);
  });

  if (config.steps.length === 0)
    add(C.stepsEmpty, 'steps', 'cannot be empty; add at least one step');
  for (const located of steps) validateStep(located, declared, options, add);
  return issues;
}

type Add = (code: string, path: string, message: string) => void;

function validateTuningSet(ts: TuningSetDecl, p: string, add: Add): void {
  if (!ts.name)
    add(C.tuningSetName, `${p}.name`, 'is required: phases refer to tuning sets by name');
  const kinds = TUNING_SET_KINDS.filter((k) => ts[k] !== undefined);
  if (kinds.length !== 1)
    add(
      C.tuningSetLoadCount,
      p,
      kinds.length === 0
        ? `must specify exactly 1 tuning set type, found none (use one of ${TUNING_SET_KINDS.join(', ')})`
        : `must specify exactly 1 tuning set type, found ${kinds.length}: ${kinds.join(', ')}`,
    );
  const positive = (value: number, field: string) => {
    if (!(value > 0))
      add(C.tuningSetPositive, `${p}.${field}`, `must have positive value, got ${value}`);
  };
  if (ts.qpsLoad) positive(ts.qpsLoad.qps, 'qpsLoad.qps');
  if (ts.randomizedLoad) positive(ts.randomizedLoad.averageQps, 'randomizedLoad.averageQps');
  if (ts.steppedLoad) {
    positive(ts.steppedLoad.burstSize, 'steppedLoad.burstSize');
    if (ts.steppedLoad.stepDelayMs < 0)
      add(C.tuningSetPositive, `${p}.steppedLoad.stepDelay`, 'must not be negative');
  }
  if (ts.timeLimitedLoad) positive(ts.timeLimitedLoad.timeLimitMs, 'timeLimitedLoad.timeLimit');
  if (ts.randomizedTimeLimitedLoad)
    positive(ts.randomizedTimeLimitedLoad.timeLimitMs, 'randomizedTimeLimitedLoad.timeLimit');
  if (ts.parallelismLimitedLoad)
    positive(ts.parallelismLimitedLoad.parallelismLimit, 'parallelismLimitedLoad.parallelismLimit');
  if (ts.globalQPSLoad) {
    positive(ts.globalQPSLoad.qps, 'globalQPSLoad.qps');
    positive(ts.globalQPSLoad.burst, 'globalQPSLoad.burst');
  }
  if (ts.poissonLoad)
    positive(ts.poissonLoad.expectedActionsPerSecond, 'poissonLoad.expectedActionsPerSecond');
}

function validateStep(
  located: LocatedStep,
  declared: readonly string[],
  options: ValidateOptions,
  add: Add,
): void {
  const { step, path: p } = located;
  const parts = [
    step.phases && step.phases.length > 0 ? 'phases' : undefined,
    step.measurements && step.measurements.length > 0 ? 'measurements' : undefined,
    step.module ? 'module' : undefined,
  ].filter((x): x is string => x !== undefined);
  if (parts.length === 0)
    add(C.stepEmpty, p, 'needs phases, measurements or a module; all are empty');
  else if (parts.length > 1)
    add(
      C.stepExclusive,
      p,
      `holds ${parts.join(' and ')}; a step has exactly one of phases, measurements or module — split it into several steps`,
    );
  if (step.module && !step.module.path)
    add(C.modulePath, `${p}.module.path`, 'is required: the module file to include');
  step.phases?.forEach((phase, i) =>
    validatePhase(phase, `${p}.phases[${i}]`, located, declared, options, add),
  );
  step.measurements?.forEach((m, i) =>
    validateMeasurement(m, `${p}.measurements[${i}]`, options, add),
  );
}

function validatePhase(
  phase: Phase,
  p: string,
  located: LocatedStep,
  declared: readonly string[],
  options: ValidateOptions,
  add: Add,
): void {
  if (phase.namespaceRange && phase.namespaceList)
    add(
      C.namespaceRangeAndList,
      p,
      'sets both namespaceRange and namespaceList; use one of them (neither means cluster-scoped)',
    );
  const range = phase.namespaceRange;
  if (range) {
    if (range.min < 0)
      add(C.namespaceRangeMin, `${p}.namespaceRange.min`, `must be non-negative, got ${range.min}`);
    if (range.max < range.min)
      add(
        C.namespaceRangeOrder,
        `${p}.namespaceRange.max`,
        `must be greater than or equal to min (min ${range.min}, max ${range.max})`,
      );
  }
  if (phase.replicasPerNamespace < 0)
    add(
      C.replicasNegative,
      `${p}.replicasPerNamespace`,
      `must be non-negative, got ${phase.replicasPerNamespace}`,
    );
  if (!phase.tuningSet)
    add(
      C.unknownTuningSet,
      `${p}.tuningSet`,
      `is required (declared: ${declared.join(', ') || 'none; add a tuningSets entry'})`,
    );
  else if (!declared.includes(phase.tuningSet))
    add(
      C.unknownTuningSet,
      `${p}.tuningSet`,
      `unknown tuning set "${phase.tuningSet}" (declared: ${declared.join(', ') || 'none'})`,
    );
  const exists = options.fileExists ?? existsSync;
  phase.objectBundle.forEach((o, i) => {
    const op = `${p}.objectBundle[${i}]`;
    for (const problem of dns1123SubdomainProblems(o.basename))
      add(C.basenameDns1123, `${op}.basename`, `${JSON.stringify(o.basename)}: ${problem}`);
    if (!o.objectTemplatePath) add(C.templateMissing, `${op}.objectTemplatePath`, 'is required');
    else {
      const file = resolveScenarioPath(
        o.objectTemplatePath,
        located.baseDir,
        options.rootDir,
        exists,
      );
      if (!exists(file))
        add(
          C.templateMissing,
          `${op}.objectTemplatePath`,
          `file ${JSON.stringify(o.objectTemplatePath)} must exist (looked for ${file})`,
        );
    }
  });
}

function validateMeasurement(
  m: MeasurementDecl,
  p: string,
  options: ValidateOptions,
  add: Add,
): void {
  if (!options.supportedMethods.has(m.method) && !UNSUPPORTED_CL2_METHODS.includes(m.method))
    add(
      C.unknownMethod,
      `${p}.Method`,
      `unknown measurement method ${JSON.stringify(m.method)} (supported: ${[
        ...options.supportedMethods,
      ]
        .sort()
        .join(', ')}; CL2 methods reported as skipped: ${UNSUPPORTED_CL2_METHODS.join(', ')})`,
    );
  const hasIdentifier = m.identifier !== undefined && m.identifier !== '';
  const hasInstances = m.instances !== undefined && m.instances.length > 0;
  if (hasIdentifier === hasInstances)
    add(
      C.identifierXorInstances,
      p,
      hasIdentifier
        ? 'sets both Identifier and Instances; use Identifier for one instance or Instances for several'
        : 'needs an Identifier (or Instances, each with an Identifier)',
    );
  m.instances?.forEach((inst, i) => {
    if (!inst.identifier)
      add(C.instanceIdentifier, `${p}.Instances[${i}].Identifier`, 'is required');
  });
}

/** True for a CL2 method hollowfleet accepts but does not implement: the run reports it skipped. */
export function isSkippedCl2Method(method: string, supported: ReadonlySet<string>): boolean {
  return !supported.has(method) && UNSUPPORTED_CL2_METHODS.includes(method);
}
