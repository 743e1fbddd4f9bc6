import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Phase } from '../../src/scenario/config.js';
import type { ExecutableStep } from '../../src/scenario/executor.js';
import { loadScenario } from '../../src/scenario/load.js';
import { AutomanagedNamespaces } from '../../src/scenario/namespaces.js';
import { ObjectClient } from '../../src/scenario/objects.js';
import { PhaseRunner } from '../../src/scenario/phase.js';
import { createTuningSetRegistry } from '../../src/scenario/tuning-sets.js';
import { scenarioDir } from './files.js';
import { startApiFixture, type ApiFixture } from './kube-fixture.js';

let api: ApiFixture;
beforeAll(async () => {
  api = await startApiFixture({ controllers: true });
});
afterAll(() => api.close());

describe('load → namespaces → phases → cleanup', () => {
  it('runs a module-based scenario against the embedded API server', async () => {
    const { dir, cleanup } = scenarioDir({
      'config.yaml': [
        '{{$perNs := DefaultParam .CL2_PER_NS 2}}',
        'name: pipeline',
        'namespace: {number: 2, prefix: pipe, deleteNamespaceTimeout: 10s}',
        'tuningSets:',
        '- {name: Global, globalQPSLoad: {qps: 500, burst: 5}}',
        '- {name: Pool, parallelismLimitedLoad: {parallelismLimit: 4}}',
        'steps:',
        '- module: {path: modules/scale.yaml, params: {replicas: {{$perNs}}, ts: Global}}',
        '- module: {path: modules/scale.yaml, params: {replicas: 1, ts: Pool}}',
      ].join('\n'),
      'modules/scale.yaml': [
        'steps:',
        '- name: scale to {{.replicas}}',
        '  phases:',
        '  - namespaceRange: {min: 1, max: 2}',
        '    replicasPerNamespace: {{.replicas}}',
        '    tuningSet: {{.ts}}',
        '    objectBundle:',
        '    - basename: svc',
        '      objectTemplatePath: objects/service.yaml',
        '    - basename: deploy',
        '      objectTemplatePath: objects/deployment.yaml',
        '      templateFillMap: {Replicas: 0}',
      ].join('\n'),
      'modules/objects/service.yaml':
        'apiVersion: v1\nkind: Service\nspec:\n  selector: {app: {{.BaseName}}}\n  ports: [{port: 80}]\n',
      'modules/objects/deployment.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {labels: {group: pipeline}}',
        'spec:',
        '  replicas: {{.Replicas}}',
        '  selector: {matchLabels: {name: {{.Name}}}}',
        '  template:',
        '    metadata: {labels: {name: {{.Name}}}}',
        '    spec: {containers: [{name: pause, image: {{.ImageRegistry}}/pause:3.9}]}',
      ].join('\n'),
    });
    try {
      const scenario = loadScenario(path.join(dir, 'config.yaml'), {
        supportedMethods: new Set(),
        nodes: 1,
        env: { CL2_PER_NS: '3' },
        seed: 9,
      });
      expect(scenario.steps.map((s) => s.name)).toEqual([
        '[step: 01] scale to 3',
        '[step: 02] scale to 1',
      ]);
      // The loaded steps are what the step loop takes.
      const executable: ReadonlyArray<ExecutableStep<Phase>> = scenario.steps;
      expect(executable).toHaveLength(2);
      const namespaces = new AutomanagedNamespaces(api.kube, scenario.config.namespace, {
        pollIntervalMs: 20,
      });
      await namespaces.create();
      const runner = new PhaseRunner({
        objects: new ObjectClient(api.kube),
        tuningSets: createTuningSetRegistry(scenario.tuningSets),
        mapping: scenario.mapping,
        namespacePrefix: scenario.config.namespace.prefix,
      });
      const counts: number[] = [];
      for (const step of scenario.steps) {
        if (step.kind !== 'phases') continue;
        const results = await Promise.all(step.phases.map((p) => runner.execute(p)));
        expect(results.flatMap((r) => r.errors)).toEqual([]);
        counts.push(
          api.store.list('deployments', { labelSelector: 'group=pipeline' }).items.length,
        );
      }
      expect(counts).toEqual([6, 2]);
      expect(
        api.store
          .list('services', { namespace: 'pipe-2' })
          .items.map((s) => s.metadata.name)
          .sort(),
      ).toEqual(['svc-0']);

      const deletion = await namespaces.delete();
      expect(deletion).toMatchObject({ deleted: ['pipe-1', 'pipe-2'], timedOut: false });
      expect(api.store.list('deployments', { labelSelector: 'group=pipeline' }).items).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
