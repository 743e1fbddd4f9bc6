import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/common/errors.js';
import { ScenarioValidationError } from '../../src/scenario/config.js';
import { loadScenario, measurementInstances } from '../../src/scenario/load.js';
import { buildMapping, loadCl2Env, typeEnvValue } from '../../src/scenario/params.js';
import { GoFloat, renderTemplate } from '../../src/scenario/template/index.js';
import { scenarioDir } from './files.js';

const supportedMethods = new Set(['PodStartupLatency', 'WaitForControlledPodsRunning']);
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function dir(files: Record<string, string>) {
  const d = scenarioDir(files);
  cleanups.push(d.cleanup);
  return d.dir;
}

describe('template mapping (CL2 GetMapping)', () => {
  it('types CL2_* values int → float → bool → string', () => {
    expect(typeEnvValue('1')).toBe(1);
    expect(typeEnvValue('-42')).toBe(-42);
    const f = typeEnvValue('2.5');
    expect(f).toBeInstanceOf(GoFloat);
    expect(Number(f)).toBe(2.5);
    expect(typeEnvValue('1e3')).toBeInstanceOf(GoFloat);
    expect(typeEnvValue('true')).toBe(true);
    expect(typeEnvValue('F')).toBe(false);
    expect(typeEnvValue('yes')).toBe('yes');
    expect(typeEnvValue('')).toBe('');
    expect(loadCl2Env({ CL2_A: '3', PATH: '/bin', CL2_B: 'x' })).toEqual({ CL2_A: 3, CL2_B: 'x' });
    // A float env value prints as Go prints a float64.
    expect(renderTemplate('{{.CL2_X}}', loadCl2Env({ CL2_X: '1000000.0' }), { name: 't' })).toBe(
      '1e+06',
    );
  });

  it('applies override files in order, then sets Nodes and ImageRegistry, then adds env', () => {
    const d = dir({
      'a.yaml': 'A: 1\nB: first\nNodes: 999\n',
      'b.yaml': 'B: second\nCL2_SAME: 5\n',
    });
    const mapping = buildMapping({
      overrides: [path.join(d, 'a.yaml'), path.join(d, 'b.yaml')],
      nodes: 7,
      env: { CL2_SAME: '5', CL2_NEW: 'true', OTHER: '1' },
    });
    expect(mapping).toEqual({
      A: 1,
      B: 'second',
      Nodes: 7,
      ImageRegistry: 'registry.k8s.io',
      CL2_SAME: 5,
      CL2_NEW: true,
    });
  });

  it('an env value that differs from an override is a merge conflict', () => {
    const d = dir({ 'o.yaml': 'CL2_QPS: 5\n' });
    expect(() =>
      buildMapping({ overrides: [path.join(d, 'o.yaml')], nodes: 1, env: { CL2_QPS: '10' } }),
    ).toThrow(
      new ConfigError(
        "merge conflict for key 'CL2_QPS': old value=5 (test overrides), new value=10 (environment); unset CL2_QPS in the environment or remove it from the overrides file",
      ),
    );
  });

  it('rejects override files that are not flat maps, naming the file', () => {
    const d = dir({ 'o.yaml': '- a\n- b\n' });
    expect(() => buildMapping({ overrides: [path.join(d, 'o.yaml')], nodes: 1, env: {} })).toThrow(
      /o\.yaml: expected a map of KEY: value, got a list/,
    );
    expect(() =>
      buildMapping({ overrides: [path.join(d, 'missing.yaml')], nodes: 1, env: {} }),
    ).toThrow(/missing\.yaml cannot be read/);
  });
});

describe('loadScenario', () => {
  const cm = 'apiVersion: v1\nkind: ConfigMap\ndata:\n  i: "{{.Index}}"\n';

  it('renders the config with the mapping, flattens modules recursively and names steps', () => {
    const d = dir({
      'config.yaml': [
        '{{$ns := DefaultParam .CL2_NS 2}}',
        'name: load',
        'namespace: {number: {{$ns}}, prefix: t}',
        'tuningSets: [{name: Q, qpsLoad: {qps: {{.QPS}}}}]',
        'steps:',
        '- name: start',
        '  measurements: [{Method: PodStartupLatency, Identifier: p, Params: {action: start}}]',
        '- module:',
        '    path: modules/create.yaml',
        '    params: {replicas: 3, QPS: 99}',
        '- measurements: [{Method: PodStartupLatency, Identifier: p, Params: {action: gather}}]',
      ].join('\n'),
      'overrides.yaml': 'QPS: 10\n',
      'modules/create.yaml': [
        'steps:',
        '- name: create {{.replicas}} at {{.QPS}}',
        '  phases:',
        '  - namespaceRange: {min: 1, max: {{.CL2_NS}}}',
        '    replicasPerNamespace: {{.replicas}}',
        '    tuningSet: Q',
        '    objectBundle: [{basename: cm, objectTemplatePath: cm.yaml}]',
        '- module: {path: nested.yaml, params: {what: deep}}',
      ].join('\n'),
      'modules/nested.yaml':
        'steps:\n- name: nested {{.what}} {{.replicas}}\n  measurements: [{Method: WaitForControlledPodsRunning, Identifier: w}]\n',
      'modules/cm.yaml': cm,
    });
    const s = loadScenario(path.join(d, 'config.yaml'), {
      supportedMethods,
      nodes: 5,
      overrides: [path.join(d, 'overrides.yaml')],
      env: { CL2_NS: '3' },
      seed: 1,
    });
    expect(s.name).toBe('load');
    expect(s.config.namespace.number).toBe(3);
    expect(s.tuningSets).toEqual([{ name: 'Q', kind: 'qpsLoad', qps: 10 }]);
    expect(s.steps.map((st) => [st.name, st.rawName, st.origin])).toEqual([
      ['[step: 01] start', 'start', 'steps[0]'],
      [
        '[step: 02] create 3 at 99',
        'create 3 at 99',
        'steps[1].module(modules/create.yaml).steps[0]',
      ],
      [
        // Params of the including module do not leak into the nested one.
        '[step: 03] nested deep <no value>',
        'nested deep <no value>',
        'steps[1].module(modules/create.yaml).steps[1].module(nested.yaml).steps[0]',
      ],
      ['[step: 04] [autogenerated, please name your step in the test config]', '', 'steps[2]'],
    ]);
    const phases = s.steps[1]!.kind === 'phases' ? s.steps[1]!.phases : [];
    expect(phases[0]).toMatchObject({
      namespaceRange: { min: 1, max: 3 },
      replicasPerNamespace: 3,
      objectBundle: [{ basename: 'cm', objectTemplatePath: path.join(d, 'modules/cm.yaml') }],
    });
    expect(s.renderedModules.map((m) => path.relative(d, m.file))).toEqual([
      'modules/create.yaml',
      'modules/nested.yaml',
    ]);
    expect(s.renderedText).toContain('namespace: {number: 3, prefix: t}');
    expect(s.generatedConfig).toContain('name: create 3 at 99');
    expect(s.generatedConfig).toContain('objectTemplatePath: modules/cm.yaml');
    expect(s.sha256).toBe(createHash('sha256').update(s.generatedConfig).digest('hex'));
  });

  it('reports errors inside modules with the module chain in the path', () => {
    const d = dir({
      'config.yaml':
        'tuningSets: [{name: Q, qpsLoad: {qps: 1}}]\nsteps:\n- module: {path: m.yaml}\n- module: {path: gone.yaml}\n',
      'm.yaml': 'steps:\n- phases:\n  - {tuningSet: X, replicasPerNamespace: -1}\n',
    });
    try {
      loadScenario(path.join(d, 'config.yaml'), { supportedMethods, nodes: 1, env: {} });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ScenarioValidationError);
      expect((err as ScenarioValidationError).issues.map((i) => `${i.code} ${i.path}`)).toEqual([
        'module-path steps[1].module.path',
        'replicas-negative steps[0].module(m.yaml).steps[0].phases[0].replicasPerNamespace',
        'unknown-tuning-set steps[0].module(m.yaml).steps[0].phases[0].tuningSet',
      ]);
    }
  });

  it('detects module cycles', () => {
    const d = dir({
      'config.yaml': 'steps:\n- module: {path: a.yaml}\n',
      'a.yaml': 'steps:\n- module: {path: b.yaml}\n',
      'b.yaml': 'steps:\n- module: {path: a.yaml}\n',
    });
    expect(() =>
      loadScenario(path.join(d, 'config.yaml'), { supportedMethods, nodes: 1, env: {} }),
    ).toThrow(/module a\.yaml includes itself \(config\.yaml → a\.yaml → b\.yaml → a\.yaml\)/);
  });

  it('names the line of a rendered config that is not YAML', () => {
    const d = dir({ 'config.yaml': 'name: x\nsteps: [\n' });
    expect(() =>
      loadScenario(path.join(d, 'config.yaml'), { supportedMethods, nodes: 1, env: {} }),
    ).toThrow(/config\.yaml:\d+:\d+: the rendered scenario is not valid YAML/);
  });

  it('expands wrapper measurements: shared params overridden per instance', () => {
    expect(
      measurementInstances({
        method: 'M',
        params: { action: 'start', a: 1 },
        instances: [
          { identifier: 'x', params: { a: 2 } },
          { identifier: 'y', params: {} },
        ],
      }),
    ).toEqual([
      { identifier: 'x', params: { action: 'start', a: 2 } },
      { identifier: 'y', params: { action: 'start', a: 1 } },
    ]);
  });
});
