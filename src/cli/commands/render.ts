import path from 'node:path';
import { stringify } from 'yaml';
import { supportedMethodNames } from '../../api/scenario-binding.js';
import { ExitCode } from '../../common/exit-codes.js';
import { renderPlan, type PlannedStep } from '../../scenario/render.js';
import type { ParsedArgs } from '../command.js';
import type { Output } from '../output.js';

function stepView(step: PlannedStep, withObjects: boolean): Record<string, unknown> {
  if (step.kind === 'measurements')
    return {
      step: step.name,
      measurements: step.measurements.map((m) => ({
        method: m.method,
        ...(m.identifier ? { identifier: m.identifier } : {}),
        ...(m.instances?.length ? { instances: m.instances } : {}),
        params: m.params,
        ...(m.skipped ? { skipped: 'not supported by hollowfleet' } : {}),
      })),
    };
  return {
    step: step.name,
    phases: step.phases.map((p) => ({
      tuningSet: p.tuningSet.name,
      namespaces: p.namespaces,
      replicasPerNamespace: p.replicasPerNamespace,
      actions: p.actions,
      ...(p.errors.length ? { errors: p.errors.map((e) => e.message) } : {}),
      ...(withObjects
        ? {
            objects: p.objects.map(
              (o) =>
                o.object ?? {
                  operation: o.operation,
                  kind: o.kind,
                  namespace: o.namespace,
                  name: o.name,
                },
            ),
            ...(p.objectsOmitted ? { objectsOmitted: p.objectsOmitted } : {}),
          }
        : {}),
    })),
  };
}

export async function renderHandler(args: ParsedArgs, out: Output): Promise<number> {
  const file = path.resolve(String(args.scenario));
  const plan = await renderPlan(file, {
    supportedMethods: supportedMethodNames(),
    nodes: Number(args.nodes),
    overrides: ((args.testoverrides as unknown[] | undefined) ?? []).map((f) =>
      path.resolve(String(f)),
    ),
    env: process.env,
    ...(args.seed === undefined ? {} : { seed: Number(args.seed) }),
  });
  const withObjects = args.objects === true;
  const view = {
    name: plan.name,
    file: path.relative(process.cwd(), plan.file) || plan.file,
    sha256: plan.sha256,
    namespaces: plan.namespaces,
    tuningSets: plan.tuningSets,
    ...(plan.fleet ? { fleet: { nodes: plan.fleet.nodes, prefix: plan.fleet.prefix } } : {}),
    steps: plan.steps.map((s) => stepView(s, withObjects)),
  };
  out.data(args.json ? JSON.stringify(view, null, 2) : stringify(view, { lineWidth: 0 }));
  for (const warning of plan.warnings) out.warn(warning);
  if (plan.skippedMethods.length)
    out.warn(
      `not supported by hollowfleet, reported skipped when run: ${plan.skippedMethods.join(', ')}`,
    );
  const phases = plan.steps.flatMap((s) => (s.kind === 'phases' ? s.phases : []));
  const errors = phases.flatMap((p) => p.errors);
  out.info(
    `${plan.name}: ${plan.steps.length} steps, ${plan.namespaces.length} namespaces, ${phases.reduce((n, p) => n + p.actions.create, 0)} object creations planned`,
  );
  if (errors.length) {
    for (const e of errors.slice(0, 10)) out.error(e.message);
    return ExitCode.UsageError;
  }
  return ExitCode.Pass;
}
