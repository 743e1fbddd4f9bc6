/**
 * `hollowfleet render`: the expanded step plan of a scenario and the objects each phase would
 * create, patch or delete, without a cluster. Phases go through the same reconciliation code as a
 * real run (executePhase), with an object recorder in place of the API server and tuning sets that
 * do not sleep, so the plan shows exactly what a run would send, in the same order.
 */
import type { TuningSet } from './config.js';
import { loadScenario, type LoadedScenario, type MeasurementCall } from './load.js';
import type { KubeObject, ObjectRef } from './objects.js';
import { executePhase, ObjectState, type PhaseObjectApi, type PhaseResult } from './phase.js';
import { ObjectTemplates } from './object-templates.js';
import { createTuningSetRegistry } from './tuning-sets.js';
import type { TemplateMapping } from './params.js';

export interface PlannedObject {
  operation: 'create' | 'patch' | 'delete';
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** The rendered object for create and patch. */
  object?: KubeObject;
}

export interface PlannedPhase {
  tuningSet: TuningSet;
  namespaces: string[];
  replicasPerNamespace: number;
  actions: PhaseResult['actions'];
  /** In the order a run would send them (up to maxObjectsPerPhase). */
  objects: PlannedObject[];
  objectsOmitted: number;
  errors: PhaseResult['errors'];
}

export type PlannedStep =
  | { index: number; name: string; origin: string; kind: 'phases'; phases: PlannedPhase[] }
  | {
      index: number;
      name: string;
      origin: string;
      kind: 'measurements';
      measurements: MeasurementCall[];
    };

export interface ScenarioPlan {
  name: string;
  file: string;
  sha256: string;
  namespacePrefix: string;
  namespaces: string[];
  mapping: TemplateMapping;
  tuningSets: TuningSet[];
  steps: PlannedStep[];
  generatedConfig: string;
  warnings: string[];
  skippedMethods: string[];
  fleet: LoadedScenario['fleet'];
}

export interface RenderPlanOptions {
  overrides?: readonly string[];
  nodes?: number;
  env?: Readonly<Record<string, string | undefined>>;
  seed?: number;
  supportedMethods: ReadonlySet<string>;
  /** Objects listed per phase (default 1000); the rest are counted in objectsOmitted. */
  maxObjectsPerPhase?: number;
}

class ObjectRecorder implements PhaseObjectApi {
  objects: PlannedObject[] = [];
  omitted = 0;

  constructor(private readonly limit: number) {}

  private record(entry: PlannedObject): void {
    if (this.objects.length < this.limit) this.objects.push(entry);
    else this.omitted++;
  }

  async create(object: KubeObject, namespace: string, name: string): Promise<void> {
    this.record({
      operation: 'create',
      apiVersion: object.apiVersion ?? '',
      kind: object.kind ?? '',
      namespace,
      name,
      object: withName(object, namespace, name),
    });
  }

  async patch(object: KubeObject, namespace: string, name: string): Promise<void> {
    this.record({
      operation: 'patch',
      apiVersion: object.apiVersion ?? '',
      kind: object.kind ?? '',
      namespace,
      name,
      object: withName(object, namespace, name),
    });
  }

  async delete(ref: ObjectRef): Promise<void> {
    this.record({
      operation: 'delete',
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      namespace: ref.namespace ?? '',
      name: ref.name,
    });
  }

  /** No cluster: objects matched by listUnknownObjectOptions count as none. */
  async list(): Promise<KubeObject[]> {
    return [];
  }
}

function withName(object: KubeObject, namespace: string, name: string): KubeObject {
  return {
    ...object,
    metadata: { ...(object.metadata ?? {}), name, ...(namespace ? { namespace } : {}) },
  };
}

export async function renderPlan(file: string, options: RenderPlanOptions): Promise<ScenarioPlan> {
  const seed = options.seed ?? 0;
  const scenario = loadScenario(file, {
    supportedMethods: options.supportedMethods,
    seed,
    ...(options.overrides ? { overrides: options.overrides } : {}),
    ...(options.nodes !== undefined ? { nodes: options.nodes } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  const limit = options.maxObjectsPerPhase ?? 1000;
  const tuningSets = createTuningSetRegistry(scenario.tuningSets, {
    now: () => 0,
    sleep: async () => {},
    random: () => 0,
  });
  const state = new ObjectState();
  const templates = new ObjectTemplates({ seed });
  const namespacePrefix = scenario.config.namespace.prefix;
  const steps: PlannedStep[] = [];
  for (const step of scenario.steps) {
    const head = { index: step.index, name: step.name, origin: step.origin };
    if (step.kind === 'measurements') {
      steps.push({ ...head, kind: 'measurements', measurements: step.measurements });
      continue;
    }
    // Phases of a step run in parallel in a real run; here in declaration order, each recorded
    // on its own.
    const phases: PlannedPhase[] = [];
    for (const phase of step.phases) {
      const recorder = new ObjectRecorder(limit);
      const result = await executePhase(phase, {
        objects: recorder,
        tuningSets,
        state,
        templates,
        mapping: scenario.mapping,
        namespacePrefix,
      });
      phases.push({
        tuningSet: scenario.tuningSets.find((t) => t.name === phase.tuningSet)!,
        namespaces: result.namespaces,
        replicasPerNamespace: phase.replicasPerNamespace,
        actions: result.actions,
        objects: recorder.objects,
        objectsOmitted: recorder.omitted,
        errors: result.errors,
      });
    }
    steps.push({ ...head, kind: 'phases', phases });
  }
  return {
    name: scenario.name,
    file: scenario.file,
    sha256: scenario.sha256,
    namespacePrefix,
    namespaces: Array.from(
      { length: scenario.config.namespace.number },
      (_, i) => `${namespacePrefix}-${i + 1}`,
    ),
    mapping: scenario.mapping,
    tuningSets: scenario.tuningSets,
    steps,
    generatedConfig: scenario.generatedConfig,
    warnings: scenario.warnings,
    skippedMethods: scenario.skippedMethods,
    fleet: scenario.fleet,
  };
}
