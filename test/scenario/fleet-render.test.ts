import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { supportedMethodNames } from '../../src/api/scenario-binding.js';
import { resolveFleetSection } from '../../src/scenario/fleet.js';
import { renderPlan } from '../../src/scenario/render.js';
import { scenarioDir } from './files.js';

const scenarios = fileURLToPath(new URL('../../scenarios/', import.meta.url));
// The methods `hollowfleet run` registers: what the bundled scenarios are written against.
const supportedMethods = supportedMethodNames();
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('fleet: section (hollowfleet extension)', () => {
  it('maps onto the node profile, nodes defaulting to .Nodes', () => {
    const { fleet, issues } = resolveFleetSection(
      {
        prefix: 'edge',
        labels: { zone: 'a', tier: 2 },
        taints: [{ key: 'edge', value: 'true', effect: 'NoSchedule' }],
        capacity: { cpu: '8', memory: '16Gi', pods: 200 },
        podStartDelay: 'uniform:100ms-2s',
        failures: { neverStart: 0.01, failReadiness: 0.02 },
        intervals: { heartbeat: '10s', lease: '5s', status: '1m', jitter: 0.2 },
      },
      42,
    );
    expect(issues).toEqual([]);
    expect(fleet!.nodes).toBe(42);
    expect(fleet!.prefix).toBe('edge');
    expect(fleet!.profile).toMatchObject({
      labels: { zone: 'a', tier: '2' },
      taints: [{ key: 'edge', value: 'true', effect: 'NoSchedule' }],
      capacity: { cpu: '8', memory: '16Gi', pods: '200', 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: '8', memory: '16Gi', pods: '200' },
      startDelay: { kind: 'uniform', minMs: 100, maxMs: 2000 },
      failures: { neverStart: 0.01, crashLoop: 0, failReadiness: 0.02 },
      intervals: { keepaliveMs: 10_000, leaseMs: 5_000, statusReportMs: 60_000, jitter: 0.2 },
    });
  });

  it('reports every problem at its fleet.* path', () => {
    const { fleet, issues } = resolveFleetSection(
      {
        nodes: -1,
        prefix: 'Bad_Prefix',
        podStartDelay: 'sometimes',
        failures: { neverStart: 0.7, crashLoop: 0.6 },
        intervals: { heartbeat: '45s', lease: 'soon' },
        taints: [{ key: 'x', effect: 'Sometimes' }],
      },
      1,
    );
    expect(fleet).toBeUndefined();
    expect(issues.map((i) => i.path)).toEqual([
      'fleet.nodes',
      'fleet.prefix',
      'fleet.podStartDelay',
      'fleet.intervals.lease',
      'fleet.intervals.heartbeat',
      'fleet.failures',
      'fleet.taints[0]',
    ]);
    expect(issues.every((i) => i.code === 'fleet' || i.code === 'duration')).toBe(true);
    expect(issues[4]!.message).toContain('CloudCore drops sessions after 30 s');
    expect(issues[5]!.message).toContain('must not exceed 1');
  });
});

describe('renderPlan', () => {
  it('expands the bundled smoke scenario without a cluster', async () => {
    const plan = await renderPlan(path.join(scenarios, 'smoke.yaml'), {
      nodes: 10,
      env: {},
      supportedMethods,
      seed: 1,
    });
    expect(plan.name).toBe('smoke');
    expect(plan.namespaces).toEqual(['smoke-1']);
    expect(plan.skippedMethods).toEqual([]);
    expect(plan.fleet?.profile.startDelay).toEqual({
      kind: 'lognormal',
      medianMs: 400,
      sigma: 0.4,
    });
    const creating = plan.steps.find((s) => s.name === '[step: 03] Creating saturation pods');
    expect(creating?.kind).toBe('phases');
    if (creating?.kind !== 'phases') return;
    const [phase] = creating.phases;
    expect(phase!.tuningSet).toEqual({ name: 'Uniform5qps', kind: 'qpsLoad', qps: 5 });
    expect(phase!.objects).toHaveLength(1);
    expect(phase!.objects[0]).toMatchObject({
      operation: 'create',
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'smoke-1',
      name: 'saturation-deployment-0',
      object: { metadata: { name: 'saturation-deployment-0', namespace: 'smoke-1' } },
    });
  });

  it('follows the object state across steps: create, patch, scale down', async () => {
    const { dir, cleanup } = scenarioDir({
      'c.yaml': [
        'name: plan',
        'namespace: {number: 2, prefix: p}',
        'tuningSets: [{name: T, qpsLoad: {qps: 100}}]',
        'steps:',
        '- name: create',
        '  phases: [{namespaceRange: {min: 1, max: 2}, replicasPerNamespace: 2, tuningSet: T, objectBundle: [{basename: cm, objectTemplatePath: cm.yaml}]}]',
        '- name: update',
        '  phases: [{namespaceRange: {min: 1, max: 2}, replicasPerNamespace: 2, tuningSet: T, objectBundle: [{basename: cm, objectTemplatePath: cm.yaml, templateFillMap: {v: 2}}]}]',
        '- name: shrink',
        '  phases: [{namespaceRange: {min: 1, max: 1}, replicasPerNamespace: 1, tuningSet: T, objectBundle: [{basename: cm, objectTemplatePath: cm.yaml}]}]',
      ].join('\n'),
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\ndata: {v: "{{DefaultParam .v 1}}"}\n',
    });
    cleanups.push(cleanup);
    const plan = await renderPlan(path.join(dir, 'c.yaml'), {
      nodes: 1,
      env: {},
      supportedMethods,
      maxObjectsPerPhase: 3,
    });
    const ops = plan.steps.map((s) =>
      s.kind === 'phases'
        ? s.phases.map((p) => ({
            actions: p.actions,
            objects: p.objects.map(
              (o) =>
                `${o.operation} ${o.namespace}/${o.name} ${JSON.stringify(o.object?.['data'] ?? null)}`,
            ),
            omitted: p.objectsOmitted,
          }))
        : [],
    );
    expect(ops).toEqual([
      [
        {
          actions: { create: 4, patch: 0, delete: 0 },
          objects: [
            'create p-1/cm-0 {"v":"1"}',
            'create p-1/cm-1 {"v":"1"}',
            'create p-2/cm-0 {"v":"1"}',
          ],
          omitted: 1,
        },
      ],
      [
        {
          actions: { create: 0, patch: 4, delete: 0 },
          objects: [
            'patch p-1/cm-0 {"v":"2"}',
            'patch p-1/cm-1 {"v":"2"}',
            'patch p-2/cm-0 {"v":"2"}',
          ],
          omitted: 1,
        },
      ],
      [
        {
          actions: { create: 0, patch: 0, delete: 1 },
          objects: ['delete p-1/cm-1 null'],
          omitted: 0,
        },
      ],
    ]);
  });
});
