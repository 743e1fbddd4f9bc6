import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/common/errors.js';
import { parseGoDuration, ScenarioValidationError } from '../../src/scenario/config.js';
import { loadScenario } from '../../src/scenario/load.js';
import { scenarioDir } from './files.js';

const supportedMethods = new Set(['PodStartupLatency', 'WaitForControlledPodsRunning']);
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

const CM = 'apiVersion: v1\nkind: ConfigMap\ndata:\n  a: "{{.Index}}"\n';

function load(config: string, extra: Record<string, string> = {}) {
  const { dir, cleanup } = scenarioDir({ 'config.yaml': config, 'cm.yaml': CM, ...extra });
  cleanups.push(cleanup);
  return loadScenario(path.join(dir, 'config.yaml'), { supportedMethods, nodes: 3, env: {} });
}

function issuesOf(config: string, extra: Record<string, string> = {}) {
  try {
    load(config, extra);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioValidationError);
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ScenarioValidationError).issues;
  }
  throw new Error('expected a ScenarioValidationError');
}

const TS = 'tuningSets:\n- name: Uniform5qps\n  qpsLoad:\n    qps: 5\n';
const phase = (body: string) =>
  `${TS}steps:\n- name: s\n  phases:\n  - ${body.trim().split('\n').join('\n    ')}\n`;
const okBundle = 'objectBundle:\n- basename: cm\n  objectTemplatePath: cm.yaml';

describe('scenario validation: one error kind per rule, all collected', () => {
  it('accepts a valid scenario', () => {
    const s = load(
      phase(
        `namespaceRange: {min: 1, max: 2}\nreplicasPerNamespace: 1\ntuningSet: Uniform5qps\n${okBundle}`,
      ),
    );
    expect(s.steps).toHaveLength(1);
  });

  it('warns about namespace ranges beyond the automanaged namespaces', () => {
    const s = load(
      `namespace: {number: 2, prefix: w}\n${phase(`namespaceRange: {min: 1, max: 3}\ntuningSet: Uniform5qps\n${okBundle}`)}`,
    );
    expect(s.warnings).toEqual([
      'steps[0].phases[0].namespaceRange: w-1..w-3 reaches past the automanaged w-1..w-2; those namespaces must exist already',
    ]);
  });

  it('namespace.number must be positive', () => {
    const issues = issuesOf(
      `namespace:\n  number: 0\n${phase(`tuningSet: Uniform5qps\n${okBundle}`)}`,
    );
    expect(issues.map((i) => [i.code, i.path])).toEqual([['namespace-number', 'namespace.number']]);
  });

  it('exactly one load type per tuning set, and positive parameters', () => {
    const issues = issuesOf(
      'tuningSets:\n- name: A\n  qpsLoad: {qps: 0}\n  randomizedLoad: {averageQps: 1}\n- name: B\n' +
        '- name: C\n  globalQPSLoad: {qps: 1, burst: 0}\nsteps:\n- measurements:\n  - {Method: PodStartupLatency, Identifier: x}\n',
    );
    expect(issues.map((i) => `${i.code} ${i.path}`)).toEqual([
      'tuning-set-load-count tuningSets[0]',
      'tuning-set-positive tuningSets[0].qpsLoad.qps',
      'tuning-set-load-count tuningSets[1]',
      'tuning-set-positive tuningSets[2].globalQPSLoad.burst',
    ]);
    expect(issues[0]!.message).toContain('found 2: qpsLoad, randomizedLoad');
  });

  it('tuning sets need a unique name; automanagedNamespaces must not be negative', () => {
    const issues = issuesOf(
      'automanagedNamespaces: -1\ntuningSets:\n- {name: A, qpsLoad: {qps: 1}}\n- {name: A, qpsLoad: {qps: 2}}\n- {qpsLoad: {qps: 3}}\n' +
        'steps:\n- measurements:\n  - {Method: PodStartupLatency, Identifier: x}\n',
    );
    expect(issues.map((i) => `${i.code} ${i.path}`)).toEqual([
      'automanaged-negative automanagedNamespaces',
      'tuning-set-duplicate tuningSets[1].name',
      'tuning-set-name tuningSets[2].name',
    ]);
  });

  it('the deprecated automanagedNamespaces sets the number when namespace.number is absent', () => {
    const s = load(
      'automanagedNamespaces: 4\nsteps:\n- measurements:\n  - {Method: PodStartupLatency, Identifier: x}\n',
    );
    expect(s.config.namespace.number).toBe(4);
  });

  it('a step holds exactly one of phases, measurements, module', () => {
    const issues = issuesOf(
      `${TS}steps:\n- name: both\n  phases:\n  - {tuningSet: Uniform5qps, ${okBundle.replace('\n', ' ').replace('- ', '[{').replace('\n', ',')}}]}\n  measurements:\n  - {Method: PodStartupLatency, Identifier: x}\n- name: none\n`,
    );
    expect(issues.map((i) => `${i.code} ${i.path}`)).toEqual([
      'step-exclusive steps[0]',
      'step-empty steps[1]',
    ]);
  });

  it('namespaceRange and namespaceList are exclusive; min ≥ 0; min ≤ max', () => {
    const issues = issuesOf(
      phase(
        `namespaceRange: {min: -1, max: -2}\nnamespaceList: [a]\ntuningSet: Uniform5qps\n${okBundle}`,
      ),
    );
    expect(issues.map((i) => `${i.code} ${i.path}`)).toEqual([
      'namespace-range-and-list steps[0].phases[0]',
      'namespace-range-min steps[0].phases[0].namespaceRange.min',
      'namespace-range-order steps[0].phases[0].namespaceRange.max',
    ]);
  });

  it('replicasPerNamespace must be ≥ 0', () => {
    const issues = issuesOf(phase(`replicasPerNamespace: -1\ntuningSet: Uniform5qps\n${okBundle}`));
    expect(issues.map((i) => `${i.code} ${i.path}`)).toEqual([
      'replicas-negative steps[0].phases[0].replicasPerNamespace',
    ]);
  });

  it('an unknown tuning set is named with the declared ones', () => {
    const issues = issuesOf(
      `${TS}steps:\n- measurements:\n  - {Method: PodStartupLatency, Identifier: x}\n- measurements:\n  - {Method: PodStartupLatency, Identifier: y}\n` +
        `- measurements:\n  - {Method: PodStartupLatency, Identifier: z}\n- phases:\n  - tuningSet: Uniform10qps\n    objectBundle: [{basename: cm, objectTemplatePath: cm.yaml}]\n`,
    );
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'steps[3].phases[0].tuningSet: unknown tuning set "Uniform10qps" (declared: Uniform5qps)',
    ]);
    expect(issues[0]!.code).toBe('unknown-tuning-set');
  });

  it('basenames must be DNS-1123 subdomains and templates must exist', () => {
    const issues = issuesOf(
      phase(
        'tuningSet: Uniform5qps\nobjectBundle:\n- basename: Big_Name\n  objectTemplatePath: cm.yaml\n- basename: ok\n  objectTemplatePath: missing.yaml',
      ),
    );
    expect(issues.map((i) => `${i.code} ${i.path}`)).toEqual([
      'basename-dns1123 steps[0].phases[0].objectBundle[0].basename',
      'template-missing steps[0].phases[0].objectBundle[1].objectTemplatePath',
    ]);
    expect(issues[1]!.message).toContain('"missing.yaml" must exist');
  });

  it('Identifier XOR Instances; unknown methods are listed with the supported ones', () => {
    const issues = issuesOf(
      'steps:\n- measurements:\n  - {Method: PodStartupLatency}\n  - {Method: PodStartupLatency, Identifier: a, Instances: [{Identifier: b}]}\n' +
        '  - {Method: Nope, Identifier: c}\n  - {Method: EtcdMetrics, Identifier: d}\n',
    );
    expect(issues.map((i) => `${i.code} ${i.path}`)).toEqual([
      'identifier-xor-instances steps[0].measurements[0]',
      'identifier-xor-instances steps[0].measurements[1]',
      'unknown-method steps[0].measurements[2].Method',
    ]);
    expect(issues[2]!.message).toContain(
      'unknown measurement method "Nope" (supported: PodStartupLatency, WaitForControlledPodsRunning;',
    );
  });

  it('every instance of a wrapper measurement needs an Identifier', () => {
    const issues = issuesOf(
      'steps:\n- measurements:\n  - {Method: PodStartupLatency, Instances: [{Identifier: a}, {Params: {x: 1}}]}\n',
    );
    expect(issues.map((i) => `${i.code} ${i.path}`)).toEqual([
      'instance-identifier steps[0].measurements[0].Instances[1].Identifier',
    ]);
  });

  it('CL2 methods hollowfleet does not implement are valid and reported skipped', () => {
    const s = load('steps:\n- measurements:\n  - {Method: EtcdMetrics, Identifier: d}\n');
    expect(s.skippedMethods).toEqual(['EtcdMetrics']);
    expect(s.steps[0]).toMatchObject({ kind: 'measurements', measurements: [{ skipped: true }] });
  });

  it('steps cannot be empty', () => {
    expect(issuesOf('name: x\n').map((i) => i.code)).toEqual(['steps-empty']);
  });

  it('durations are Go durations, with a clear message', () => {
    expect(parseGoDuration('30s')).toBe(30_000);
    expect(parseGoDuration('1h5m')).toBe(3_900_000);
    expect(parseGoDuration('10m')).toBe(600_000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('250us')).toBe(0.25);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('30')).toBeUndefined();
    expect(parseGoDuration('3 s')).toBeUndefined();
    const issues = issuesOf(
      'namespace:\n  deleteNamespaceTimeout: 30\ntuningSets:\n- name: T\n  timeLimitedLoad: {timeLimit: ten}\nsteps:\n- measurements:\n  - {Method: PodStartupLatency, Identifier: x}\n',
    );
    expect(issues.map((i) => `${i.code} ${i.path}`)).toEqual([
      'duration namespace.deleteNamespaceTimeout',
      'duration tuningSets[0].timeLimitedLoad.timeLimit',
      'tuning-set-positive tuningSets[0].timeLimitedLoad.timeLimit',
    ]);
    expect(issues[0]!.message).toBe(
      '30 is not a Go duration; write a number with a unit, e.g. 30s, 1h5m, 10m or 500ms',
    );
  });

  it('wrong types are decode errors at their path', () => {
    const issues = issuesOf(
      phase(`replicasPerNamespace: "3"\ntuningSet: Uniform5qps\n${okBundle}`),
    );
    expect(issues.map((i) => `${i.code} ${i.path}: ${i.message}`)).toEqual([
      'decode steps[0].phases[0].replicasPerNamespace: expected an integer, got "3"',
    ]);
  });

  it('keys match case-insensitively, as Go JSON decoding does; defaults are CL2 defaults', () => {
    const s = load(
      'Name: ci\nNamespace:\n  NUMBER: 4\nTuningSets:\n- Name: T\n  QpsLoad: {QPS: 2}\nSteps:\n- Name: m\n  Measurements:\n  - method: PodStartupLatency\n    identifier: x\n    params: {Action: start}\n',
    );
    expect(s.name).toBe('ci');
    expect(s.config.namespace).toMatchObject({
      number: 4,
      deleteAutomanagedNamespaces: true,
      enableExistingNamespaces: false,
      deleteStaleNamespaces: false,
      deleteNamespaceTimeoutMs: 600_000,
    });
    expect(s.config.namespace.prefix).toMatch(/^test-[a-z0-9]{6}$/);
    expect(s.tuningSets).toEqual([{ name: 'T', kind: 'qpsLoad', qps: 2 }]);
    // Map keys keep their case.
    expect(s.steps[0]).toMatchObject({ measurements: [{ params: { Action: 'start' } }] });
  });

  it('the error message lists every problem with its path', () => {
    try {
      load(
        `namespace:\n  number: 0\n${phase('replicasPerNamespace: -2\ntuningSet: Nope\n' + okBundle)}`,
      );
      expect.unreachable();
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('3 problems');
      expect(message).toContain('  - namespace.number: must be positive, got 0');
      expect(message).toContain(
        '  - steps[0].phases[0].replicasPerNamespace: must be non-negative, got -2',
      );
      expect(message).toContain(
        '  - steps[0].phases[0].tuningSet: unknown tuning set "Nope" (declared: Uniform5qps)',
      );
    }
  });
});
