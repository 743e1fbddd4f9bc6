import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Phase } from '../../src/scenario/config.js';
import { ObjectClient, pluralOfKind } from '../../src/scenario/objects.js';
import { PhaseRunner, phaseErrorMessages, phaseNamespaces } from '../../src/scenario/phase.js';
import { createTuningSetRegistry } from '../../src/scenario/tuning-sets.js';
import { startApiFixture, type ApiFixture } from './kube-fixture.js';
import { scenarioDir } from './files.js';

const run = promisify(execFile);

let api: ApiFixture;
let dir: string;
let cleanup: () => void;
let kubeconfigFile: string;

beforeAll(async () => {
  api = await startApiFixture();
  for (const ns of ['t-1', 't-2']) api.store.create('namespaces', { metadata: { name: ns } });
  ({ dir, cleanup } = scenarioDir({
    'cm.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels:\n    group: {{.group}}\ndata:\n  index: "{{.Index}}"\n  name: {{.Name}}\n  base: {{.BaseName}}\n  ns: {{.Namespace}}\n  nodes: "{{.Nodes}}"\n',
    'secret.yaml':
      'apiVersion: v1\nkind: Secret\nmetadata:\n  annotations:\n    ns: {{.Namespace}}\n{{if .extra}}    extra: "{{.extra}}"\n{{end}}type: Opaque\n',
    'multi.yaml':
      'apiVersion: v1\nkind: ConfigMap\ndata: {a: "1"}\n---\napiVersion: v1\nkind: Service\nspec:\n  ports: [{port: 80}]\n',
    'first-only.yaml':
      '{{if eq .Index 0}}apiVersion: v1\nkind: ConfigMap\ndata: {only: "first"}\n{{end}}',
    'ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  labels: {made-by: phase}\n',
    'deploy.yaml':
      'apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 0\n  selector: {matchLabels: {app: "{{.Name}}"}}\n  template:\n    metadata: {labels: {app: "{{.Name}}"}}\n    spec: {containers: [{name: c, image: "{{.ImageRegistry}}/pause:3.9"}]}\n',
  }));
  kubeconfigFile = path.join(dir, 'kubeconfig.json');
  writeFileSync(kubeconfigFile, api.kubeConfig.exportConfig(), { mode: 0o600 });
});

afterAll(async () => {
  await api.close();
  cleanup();
});

function runner() {
  return new PhaseRunner({
    objects: new ObjectClient(api.kube),
    tuningSets: createTuningSetRegistry([
      { name: 'serial', kind: 'parallelismLimitedLoad', parallelismLimit: 1 },
      { name: 'fast', kind: 'qpsLoad', qps: 1000 },
    ]),
    mapping: { Nodes: 5, ImageRegistry: 'registry.k8s.io', group: 'global' },
    namespacePrefix: 't',
    seed: 1,
  });
}

const bundle = (fill: Record<string, unknown> = {}): Phase['objectBundle'] => [
  { basename: 'cm', objectTemplatePath: path.join(dir, 'cm.yaml'), templateFillMap: fill },
  { basename: 'sec', objectTemplatePath: path.join(dir, 'secret.yaml'), templateFillMap: fill },
];

interface ListedObject {
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: { template: { spec: { containers: Array<{ image: string }> } } };
}

async function kubectlJson(args: string[]): Promise<{ items: ListedObject[] }> {
  const { stdout } = await run('kubectl', ['--kubeconfig', kubeconfigFile, ...args, '-o', 'json']);
  return JSON.parse(stdout) as { items: ListedObject[] };
}

function calls(from: number): string[] {
  return api.kube.log
    .slice(from)
    .filter((l) => !l.startsWith('GET /api/v1 ') && l !== 'GET /api/v1');
}

describe('phase reconciliation against the embedded API server', () => {
  it('creates, patches, scales down and deletes in CL2 order', async () => {
    const r = runner();
    const phase = (replicas: number, fill: Record<string, unknown> = {}): Phase => ({
      namespaceRange: { min: 1, max: 2 },
      replicasPerNamespace: replicas,
      tuningSet: 'serial',
      objectBundle: bundle(fill),
    });

    // Create: indices [0, 3) per namespace, bundle order within an instance.
    let mark = api.kube.log.length;
    const created = await r.execute(phase(3));
    expect(created.errors).toEqual([]);
    expect(created.actions).toEqual({ create: 6, patch: 0, delete: 0 });
    expect(calls(mark)).toEqual(
      ['t-1', 't-2'].flatMap((ns) =>
        [0, 1, 2].flatMap(() => [
          `POST /api/v1/namespaces/${ns}/configmaps`,
          `POST /api/v1/namespaces/${ns}/secrets`,
        ]),
      ),
    );
    const cms = await kubectlJson(['get', 'configmaps', '-n', 't-2']);
    expect(cms.items.map((i) => i.data)).toEqual([
      { index: '0', name: 'cm-0', base: 'cm', ns: 't-2', nodes: '5' },
      { index: '1', name: 'cm-1', base: 'cm', ns: 't-2', nodes: '5' },
      { index: '2', name: 'cm-2', base: 'cm', ns: 't-2', nodes: '5' },
    ]);
    expect(cms.items.map((i) => i.metadata.labels)).toEqual(Array(3).fill({ group: 'global' }));

    // Same count again: every index is patched (GET then merge PATCH); templateFillMap wins over
    // the mapping.
    mark = api.kube.log.length;
    const patched = await r.execute(phase(3, { group: 'filled', extra: 'x' }));
    expect(patched.errors).toEqual([]);
    expect(patched.actions).toEqual({ create: 0, patch: 6, delete: 0 });
    expect(calls(mark).slice(0, 4)).toEqual([
      'GET /api/v1/namespaces/t-1/configmaps/cm-0',
      'PATCH /api/v1/namespaces/t-1/configmaps/cm-0',
      'GET /api/v1/namespaces/t-1/secrets/sec-0',
      'PATCH /api/v1/namespaces/t-1/secrets/sec-0',
    ]);
    const labels = await kubectlJson(['get', 'configmaps', '-n', 't-1', '-l', 'group=filled']);
    expect(labels.items).toHaveLength(3);
    // A field the template adds on re-render reaches the live object.
    expect(api.store.get('secrets', 't-1', 'sec-2').metadata.annotations).toEqual({
      ns: 't-1',
      extra: 'x',
    });

    // Scale down to 1: indices [1, 3) deleted, each instance in reverse bundle order.
    mark = api.kube.log.length;
    const scaled = await r.execute(phase(1));
    expect(scaled.errors).toEqual([]);
    expect(scaled.actions).toEqual({ create: 0, patch: 0, delete: 4 });
    expect(calls(mark)).toEqual(
      ['t-1', 't-2'].flatMap((ns) =>
        [1, 2].flatMap((i) => [
          `DELETE /api/v1/namespaces/${ns}/secrets/sec-${i}`,
          `DELETE /api/v1/namespaces/${ns}/configmaps/cm-${i}`,
        ]),
      ),
    );
    expect(
      (await kubectlJson(['get', 'configmaps', '-n', 't-1'])).items.map((i) => i.metadata.name),
    ).toEqual(['cm-0']);

    // Scale up from 1 to 2 creates only index 1.
    mark = api.kube.log.length;
    const up = await r.execute(phase(2));
    expect(up.actions).toEqual({ create: 2, patch: 0, delete: 0 });
    expect(calls(mark)).toEqual([
      'POST /api/v1/namespaces/t-1/configmaps',
      'POST /api/v1/namespaces/t-1/secrets',
      'POST /api/v1/namespaces/t-2/configmaps',
      'POST /api/v1/namespaces/t-2/secrets',
    ]);

    // To zero: everything goes.
    const gone = await r.execute(phase(0));
    expect(gone.actions).toEqual({ create: 0, patch: 0, delete: 4 });
    expect(api.store.list('configmaps', { namespace: 't-1' }).items).toEqual([]);
    expect(api.store.list('secrets', { namespace: 't-2' }).items).toEqual([]);
    expect(r.state.current('t-1', 'cm', 'ConfigMap.')).toBe(0);
  });

  it('creates cluster-scoped objects, multi-document and partly empty templates', async () => {
    const r = runner();
    const result = await r.execute({
      replicasPerNamespace: 2,
      tuningSet: 'fast',
      objectBundle: [
        {
          basename: 'phase-ns',
          objectTemplatePath: path.join(dir, 'ns.yaml'),
          templateFillMap: {},
        },
      ],
    });
    expect(result.errors).toEqual([]);
    expect(result.namespaces).toEqual(['']);
    const made = await kubectlJson(['get', 'namespaces', '-l', 'made-by=phase']);
    expect(made.items.map((i) => i.metadata.name)).toEqual(['phase-ns-0', 'phase-ns-1']);

    const multi = await r.execute({
      namespaceList: ['phase-ns-0'],
      replicasPerNamespace: 2,
      tuningSet: 'fast',
      objectBundle: [
        { basename: 'm', objectTemplatePath: path.join(dir, 'multi.yaml'), templateFillMap: {} },
        {
          basename: 'f',
          objectTemplatePath: path.join(dir, 'first-only.yaml'),
          templateFillMap: {},
        },
      ],
    });
    expect(multi.errors).toEqual([]);
    // Two documents per instance for m, and f renders only for index 0.
    expect(multi.objects.create).toBe(5);
    const cmNames = (await kubectlJson(['get', 'configmaps', '-n', 'phase-ns-0'])).items.map(
      (i) => i.metadata.name,
    );
    expect(cmNames).toEqual(['f-0', 'm-0', 'm-1']);
    const svcNames = (await kubectlJson(['get', 'services', '-n', 'phase-ns-0'])).items.map(
      (i) => i.metadata.name,
    );
    expect(svcNames).toEqual(['m-0', 'm-1']);

    // Deleting a multi-document object deletes every document's kind.
    const removed = await r.execute({
      namespaceList: ['phase-ns-0'],
      replicasPerNamespace: 0,
      tuningSet: 'fast',
      objectBundle: [
        { basename: 'm', objectTemplatePath: path.join(dir, 'multi.yaml'), templateFillMap: {} },
      ],
    });
    expect(removed.errors).toEqual([]);
    expect(api.store.list('services', { namespace: 'phase-ns-0' }).items).toEqual([]);
  });

  it('resolves group resources through discovery, once per group-version', async () => {
    const r = runner();
    const mark = api.kube.log.length;
    const result = await r.execute({
      namespaceList: ['t-1'],
      replicasPerNamespace: 3,
      tuningSet: 'fast',
      objectBundle: [
        { basename: 'd', objectTemplatePath: path.join(dir, 'deploy.yaml'), templateFillMap: {} },
      ],
    });
    expect(result.errors).toEqual([]);
    const log = api.kube.log.slice(mark);
    expect(log.filter((l) => l === 'GET /apis/apps/v1')).toHaveLength(1);
    expect(log.filter((l) => l === 'POST /apis/apps/v1/namespaces/t-1/deployments')).toHaveLength(
      3,
    );
    const deployments = await kubectlJson(['get', 'deployments', '-n', 't-1']);
    expect(deployments.items.map((i) => i.spec?.template.spec.containers[0]?.image)).toEqual(
      Array(3).fill('registry.k8s.io/pause:3.9'),
    );
  });

  it('counts existing objects with listUnknownObjectOptions and deletes them', async () => {
    for (const i of [0, 1])
      api.store.create('configmaps', {
        metadata: { name: `orphan-${i}`, namespace: 't-2', labels: { app: 'orphan' } },
      });
    const result = await runner().execute({
      namespaceList: ['t-2'],
      replicasPerNamespace: 0,
      tuningSet: 'fast',
      objectBundle: [
        {
          basename: 'orphan',
          objectTemplatePath: path.join(dir, 'cm.yaml'),
          templateFillMap: {},
          listUnknownObjectOptions: {
            labelSelector: { matchLabels: { app: 'orphan' }, matchExpressions: [] },
          },
        },
      ],
    });
    expect(result.errors).toEqual([]);
    expect(result.actions.delete).toBe(2);
    expect(api.store.list('configmaps', { namespace: 't-2' }).items).toEqual([]);
  });

  it('accumulates errors, skips the rest of a failed bundle instance and carries on', async () => {
    const r = runner();
    const result = await r.execute({
      namespaceList: ['missing-ns', 't-1'],
      replicasPerNamespace: 1,
      tuningSet: 'fast',
      objectBundle: bundle(),
    });
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({
      operation: 'create',
      namespace: 'missing-ns',
      name: 'cm-0',
      code: 'HF_OBJECT',
    });
    expect(result.errors[0]!.message).toContain('create ConfigMap missing-ns/cm-0');
    // The secret of the failed instance was never attempted; the other namespace went through.
    expect(result.objects.create).toBe(2);
    expect(api.store.tryGet('secrets', 't-1', 'sec-0')).toBeDefined();
    // An already-existing object counts as created.
    const again = await runner().execute({
      namespaceList: ['t-1'],
      replicasPerNamespace: 1,
      tuningSet: 'fast',
      objectBundle: bundle(),
    });
    expect(again.errors).toEqual([]);
  });

  it('starts nothing after an abort and leaves the state as it was', async () => {
    const r = runner();
    const controller = new AbortController();
    controller.abort();
    const result = await r.execute(
      {
        namespaceList: ['t-2'],
        replicasPerNamespace: 2,
        tuningSet: 'fast',
        objectBundle: bundle(),
      },
      controller.signal,
    );
    expect(result.actions.create).toBe(2);
    expect(result.notStarted).toBe(2);
    expect(result.objects.create).toBe(0);
    expect(r.state.current('t-2', 'cm', 'ConfigMap.')).toBe(0);
  });

  it('refuses a bundle whose objects have different counts', async () => {
    const r = runner();
    const one = { namespaceList: ['t-2'], tuningSet: 'fast' };
    await r.execute({ ...one, replicasPerNamespace: 1, objectBundle: bundle().slice(0, 1) });
    const mixed = await r.execute({ ...one, replicasPerNamespace: 2, objectBundle: bundle() });
    expect(phaseErrorMessages(mixed)).toEqual([
      `t-2: cm (${path.join(dir, 'cm.yaml')}): objects of one bundle have different instance counts (cm=1, sec=0); every object of a bundle must be created and deleted together`,
    ]);
    expect(mixed.objects.create).toBe(0);
    await r.execute({ ...one, replicasPerNamespace: 0, objectBundle: bundle().slice(0, 1) });
  });

  it('lists phase namespaces as CL2 does', () => {
    expect(phaseNamespaces({ namespaceRange: { min: 1, max: 3 } } as Phase, 'p')).toEqual([
      'p-1',
      'p-2',
      'p-3',
    ]);
    expect(
      phaseNamespaces({ namespaceRange: { min: 0, max: 1, basename: 'b' } } as Phase, 'p'),
    ).toEqual(['b-0', 'b-1']);
    expect(phaseNamespaces({ namespaceList: ['x'] } as Phase, 'p')).toEqual(['x']);
    expect(phaseNamespaces({} as Phase, 'p')).toEqual(['']);
  });

  it('guesses plurals with the Go namer rules', () => {
    expect(
      [
        'Pod',
        'Endpoints',
        'Ingress',
        'NetworkPolicy',
        'Gateway',
        'Mesh',
        'Batch',
        'Leaf',
        'Knife',
      ].map(pluralOfKind),
    ).toEqual([
      'pods',
      'endpoints',
      'ingresses',
      'networkpolicies',
      'gateways',
      'meshes',
      'batches',
      'leaves',
      'knives',
    ]);
  });
});
