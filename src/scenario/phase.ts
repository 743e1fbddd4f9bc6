/**
 * Phase reconciliation as CL2's ExecutePhase/ExecuteObject do it (pkg/test/simple_test_executor.go):
 * per (namespace, basename, kind, API group) a current and a desired instance count; one action per
 * bundle instance — deletes of indices in [desired, current) in reverse bundle order, patches of
 * every index when current == desired, creates of indices in [current, desired) in bundle order —
 * all started through the phase's tuning set. Errors are collected and returned, never thrown, so
 * that the run goes on as CL2's does.
 */
import { toErrorPayload, type ErrorPayload } from '../common/errors.js';
import { labelSelectorToString, type ObjectBundleEntry, type Phase } from './config.js';
import { objectMapping, ObjectTemplates } from './object-templates.js';
import type { ObjectClient } from './objects.js';
import type { TemplateMapping } from './params.js';
import type { TuningSetAction, TuningSetRegistry } from './tuning-sets.js';

interface InstancesState {
  current: number;
  desired: number;
}

/** The run's object state, shared by every phase (CL2's NamespacesState). */
export class ObjectState {
  private readonly states = new Map<string, InstancesState>();

  static key(namespace: string, basename: string, kinds: string): string {
    return `${namespace}\u0000${basename}\u0000${kinds}`;
  }

  get(key: string): InstancesState | undefined {
    return this.states.get(key);
  }

  set(key: string, state: InstancesState): void {
    this.states.set(key, state);
  }

  /** Current instance count of a bundle object in a namespace (0 when never created). */
  current(namespace: string, basename: string, kinds: string): number {
    return this.states.get(ObjectState.key(namespace, basename, kinds))?.current ?? 0;
  }
}

export type PhaseOperation = 'create' | 'patch' | 'delete';

export interface PhaseObjectError extends ErrorPayload {
  operation: PhaseOperation | 'prepare';
  namespace: string;
  /** `<basename>-<index>`, or the basename for bundle-level problems. */
  name: string;
  objectTemplatePath: string;
}

export interface PhaseResult {
  namespaces: string[];
  actions: Record<PhaseOperation, number>;
  /** API calls that succeeded, per operation (empty renderings count as none). */
  objects: Record<PhaseOperation, number>;
  /** Actions not started because the run was aborted. */
  notStarted: number;
  errors: PhaseObjectError[];
}

/** The object operations a phase needs (ObjectClient, or a recorder for dry runs). */
export type PhaseObjectApi = Pick<ObjectClient, 'create' | 'patch' | 'delete' | 'list'>;

export interface PhaseContext {
  objects: PhaseObjectApi;
  tuningSets: TuningSetRegistry;
  state: ObjectState;
  templates: ObjectTemplates;
  mapping: TemplateMapping;
  /** Automanaged namespace prefix: `namespaceRange` without basename means `<prefix>-i`. */
  namespacePrefix: string;
  signal?: AbortSignal;
}

/** The namespaces a phase works in: a range, a list, or `''` for cluster-scoped objects. */
export function phaseNamespaces(phase: Phase, namespacePrefix: string): string[] {
  if (phase.namespaceList) return [...phase.namespaceList];
  const range = phase.namespaceRange;
  if (!range) return [''];
  const base = range.basename ?? namespacePrefix;
  const out: string[] = [];
  for (let i = range.min; i <= range.max; i++) out.push(`${base}-${i}`);
  return out;
}

export function objectName(basename: string, index: number): string {
  return `${basename}-${index}`;
}

/** Runs one phase to completion; resolves when every API call of it has finished. */
export async function executePhase(phase: Phase, ctx: PhaseContext): Promise<PhaseResult> {
  const result: PhaseResult = {
    namespaces: phaseNamespaces(phase, ctx.namespacePrefix),
    actions: { create: 0, patch: 0, delete: 0 },
    objects: { create: 0, patch: 0, delete: 0 },
    notStarted: 0,
    errors: [],
  };
  const fail = (
    operation: PhaseObjectError['operation'],
    namespace: string,
    name: string,
    entry: ObjectBundleEntry,
    err: unknown,
  ) =>
    result.errors.push({
      ...toErrorPayload(err),
      operation,
      namespace,
      name,
      objectTemplatePath: entry.objectTemplatePath,
    });

  let tuningSet;
  try {
    tuningSet = ctx.tuningSets.get(phase.tuningSet);
  } catch (err) {
    result.errors.push({
      ...toErrorPayload(err),
      operation: 'prepare',
      namespace: '',
      name: '',
      objectTemplatePath: '',
    });
    return result;
  }

  const bundle = phase.objectBundle;
  const actions: TuningSetAction[] = [];
  const commits: Array<() => void> = [];

  const runObject = async (
    operation: PhaseOperation,
    entry: ObjectBundleEntry,
    namespace: string,
    index: number,
  ): Promise<boolean> => {
    const name = objectName(entry.basename, index);
    try {
      if (operation === 'delete') {
        const identity = ctx.templates.identity(entry.objectTemplatePath);
        for (const o of identity.objects) {
          await ctx.objects.delete({ apiVersion: o.apiVersion, kind: o.kind, namespace, name });
          result.objects.delete++;
        }
        return true;
      }
      const rendered = ctx.templates.render(
        entry.objectTemplatePath,
        objectMapping(ctx.mapping, entry.templateFillMap, {
          name,
          index,
          basename: entry.basename,
          namespace,
        }),
      );
      for (const obj of rendered.objects) {
        if (operation === 'create') await ctx.objects.create(obj, namespace, name);
        else await ctx.objects.patch(obj, namespace, name);
        result.objects[operation]++;
      }
      return true;
    } catch (err) {
      fail(operation, namespace, name, entry, err);
      return false;
    }
  };

  for (const namespace of result.namespaces) {
    const states: InstancesState[] = [];
    const keys: string[] = [];
    try {
      for (const entry of bundle) {
        const identity = ctx.templates.identity(entry.objectTemplatePath);
        const key = ObjectState.key(namespace, entry.basename, identity.kinds);
        let state = ctx.state.get(key);
        if (!state) {
          let current = 0;
          const selector = entry.listUnknownObjectOptions?.labelSelector;
          if (selector) {
            const first = identity.objects[0];
            // CL2 counts a failed list as 0 objects and goes on (getReplicaCountOfNewObject).
            if (first)
              current = await ctx.objects
                .list(
                  { apiVersion: first.apiVersion, kind: first.kind, namespace },
                  { labelSelector: labelSelectorToString(selector) },
                )
                .then(
                  (items) => items.length,
                  () => 0,
                );
          }
          state = { current, desired: 0 };
        }
        // The desired count is not stored until the phase commits, so a failing phase leaves
        // the state as it was.
        states.push({ current: state.current, desired: phase.replicasPerNamespace });
        keys.push(key);
      }
    } catch (err) {
      // CL2 abandons the whole phase when it cannot tell the bundle's state.
      const entry = bundle[states.length]!;
      fail('prepare', namespace, entry.basename, entry, err);
      return result;
    }
    if (states.length === 0) continue;
    const current = states[0]!.current;
    if (states.some((s) => s.current !== current)) {
      const entry = bundle[0]!;
      fail(
        'prepare',
        namespace,
        entry.basename,
        entry,
        new Error(
          `objects of one bundle have different instance counts (${states.map((s, i) => `${bundle[i]!.basename}=${s.current}`).join(', ')}); every object of a bundle must be created and deleted together`,
        ),
      );
      return result;
    }
    const desired = phase.replicasPerNamespace;

    for (let index = desired; index < current; index++) {
      result.actions.delete++;
      actions.push(async () => {
        for (let j = bundle.length - 1; j >= 0; j--)
          if (index < states[j]!.current) await runObject('delete', bundle[j]!, namespace, index);
      });
    }
    if (current === desired) {
      for (let index = 0; index < desired; index++) {
        result.actions.patch++;
        actions.push(async () => {
          for (const entry of bundle)
            if (!(await runObject('patch', entry, namespace, index))) break;
        });
      }
    }
    for (let index = current; index < desired; index++) {
      result.actions.create++;
      actions.push(async () => {
        for (const entry of bundle)
          if (!(await runObject('create', entry, namespace, index))) break;
      });
    }
    commits.push(() => {
      for (const [j, key] of keys.entries()) {
        const s = states[j]!;
        ctx.state.set(key, { current: s.desired, desired: s.desired });
      }
    });
  }

  const outcome = await tuningSet.execute(actions, ctx.signal);
  result.notStarted = actions.length - outcome.started;
  for (const err of outcome.errors)
    result.errors.push({
      ...toErrorPayload(err),
      operation: 'prepare',
      namespace: '',
      name: '',
      objectTemplatePath: '',
    });
  // After an abort the objects' counts are unknown; the run is ending and deletes its namespaces.
  if (!ctx.signal?.aborted) for (const commit of commits) commit();
  return result;
}

/** One line per error, for step results and logs. */
export function phaseErrorMessages(result: PhaseResult): string[] {
  return result.errors.map((e) =>
    e.operation === 'prepare' && e.objectTemplatePath
      ? `${e.namespace ? `${e.namespace}: ` : ''}${e.name} (${e.objectTemplatePath}): ${e.message}`
      : e.message,
  );
}

export interface PhaseRunnerOptions {
  objects: PhaseObjectApi;
  tuningSets: TuningSetRegistry;
  mapping: TemplateMapping;
  namespacePrefix: string;
  /** Seed for the object templates' random functions. */
  seed?: number;
}

/** Holds the run-wide state (object counts, template cache) and runs phases against it. */
export class PhaseRunner {
  readonly state = new ObjectState();
  readonly templates: ObjectTemplates;

  constructor(private readonly options: PhaseRunnerOptions) {
    this.templates = new ObjectTemplates(options.seed === undefined ? {} : { seed: options.seed });
  }

  execute(phase: Phase, signal?: AbortSignal): Promise<PhaseResult> {
    return executePhase(phase, {
      objects: this.options.objects,
      tuningSets: this.options.tuningSets,
      state: this.state,
      templates: this.templates,
      mapping: this.options.mapping,
      namespacePrefix: this.options.namespacePrefix,
      ...(signal ? { signal } : {}),
    });
  }
}
