/**
 * The run driver's use of src/scenario and the measurement registries: load a scenario against
 * the methods hollowfleet implements, and the per-run runtime (tuning sets shared for the whole
 * run, phase state, automanaged namespaces).
 */
import { ConfigError } from '../common/errors.js';
import type { KubeApi } from '../kube/api.js';
import { faultMeasurementMethods } from '../measure/faults.js';
import { builtinMeasurementMethods } from '../measure/registry.js';
import type { MeasurementMethod } from '../measure/types.js';
import { UNSUPPORTED_CL2_METHODS } from '../measure/types.js';
import type { Phase } from '../scenario/config.js';
import type { MeasurementRegistry } from '../scenario/executor.js';
import { loadScenario, type LoadedScenario as Loaded } from '../scenario/load.js';
import { AutomanagedNamespaces } from '../scenario/namespaces.js';
import { ObjectClient } from '../scenario/objects.js';
import { PhaseRunner, phaseErrorMessages } from '../scenario/phase.js';
import { createTuningSetRegistry, defaultTuningSetRuntime } from '../scenario/tuning-sets.js';

export type LoadedScenario = Loaded;

/** Every method a scenario may name: hollowfleet's own, CL2's supported ones, the fault methods. */
export function measurementMethods(): ReadonlyMap<string, MeasurementMethod> {
  const all = new Map(builtinMeasurementMethods());
  for (const [name, method] of faultMeasurementMethods()) all.set(name, method);
  return all;
}

/** Names that do real work (not the `skipped: not supported` stand-ins). */
export function supportedMethodNames(): Set<string> {
  const unsupported = new Set(UNSUPPORTED_CL2_METHODS);
  return new Set([...measurementMethods().keys()].filter((name) => !unsupported.has(name)));
}

export interface LoadForRunOptions {
  overrides: readonly string[];
  nodes: number;
  env: Readonly<Record<string, string | undefined>>;
  seed?: number;
  strict: boolean;
}

export function loadScenarioForRun(file: string, options: LoadForRunOptions): LoadedScenario {
  const scenario = loadScenario(file, {
    supportedMethods: supportedMethodNames(),
    overrides: options.overrides,
    nodes: options.nodes,
    env: options.env,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  if (options.strict && scenario.skippedMethods.length > 0)
    throw new ConfigError(
      `${file}: --strict and the scenario uses measurement methods hollowfleet does not implement: ${scenario.skippedMethods.join(', ')}; remove them or run without --strict (they are then reported skipped)`,
    );
  return scenario;
}

export interface ScenarioRuntime {
  registry: MeasurementRegistry;
  namespaces: { create(): Promise<void>; cleanup(): Promise<string[]> };
  runPhase(phase: Phase, signal: AbortSignal): Promise<string[]>;
}

export function createScenarioRuntime(
  scenario: LoadedScenario,
  options: { kube: KubeApi; signal: AbortSignal; log: (line: string) => void; seed?: number },
): ScenarioRuntime {
  const methods = measurementMethods();
  const tuningSets = createTuningSetRegistry(
    scenario.tuningSets,
    defaultTuningSetRuntime(options.seed),
  );
  const phases = new PhaseRunner({
    objects: new ObjectClient(options.kube),
    tuningSets,
    mapping: scenario.mapping,
    namespacePrefix: scenario.config.namespace.prefix,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  const namespaces = new AutomanagedNamespaces(options.kube, scenario.config.namespace);
  return {
    registry: { resolve: (method) => methods.get(method) },
    namespaces: {
      async create() {
        const created = await namespaces.create(options.signal);
        if (created.length) options.log(`created namespaces ${created.join(', ')}`);
      },
      async cleanup() {
        // Not tied to the run's signal: cleanup must also run after Ctrl-C.
        const outcome = await namespaces.delete();
        if (outcome.deleted.length) options.log(`deleted namespaces ${outcome.deleted.join(', ')}`);
        const errors = [...outcome.errors];
        if (outcome.remaining.length)
          errors.push(
            `namespaces still terminating after ${Math.round(scenario.config.namespace.deleteNamespaceTimeoutMs / 1000)} s: ${outcome.remaining.join(', ')}`,
          );
        return errors;
      },
    },
    async runPhase(phase, signal) {
      return phaseErrorMessages(await phases.execute(phase, signal));
    },
  };
}
