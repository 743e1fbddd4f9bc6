/**
 * The 100k density scenario as ClusterLoader2 reads it before rendering: with every template
 * action removed (CL2's own way of reading GVKs), it must still be a config of the CL2 model whose
 * object templates exist and whose measurements and tuning sets are declared.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const dir = fileURLToPath(new URL('../../scenarios/', import.meta.url));

function stripActions(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*\{\{\$[A-Za-z]\w* :=.*\}\}\s*$/.test(line))
    .map((line) => line.replace(/\{\{[^}]*\}\}/g, '0'))
    .join('\n');
}

interface Step {
  name: string;
  phases?: Array<{
    namespaceRange: { min: number; max: number };
    replicasPerNamespace: number;
    tuningSet: string;
    objectBundle: Array<{
      basename: string;
      objectTemplatePath: string;
      templateFillMap?: Record<string, unknown>;
    }>;
  }>;
  measurements?: Array<{ Identifier: string; Method: string; Params: { action: string } }>;
}

describe('scenarios/edge-density-100k.yaml', () => {
  const raw = readFileSync(path.join(dir, 'edge-density-100k.yaml'), 'utf8');
  const config = parse(stripActions(raw)) as {
    name: string;
    namespace: { number: number; prefix: string };
    tuningSets: Array<{ name: string }>;
    steps: Step[];
  };

  it('declares the 100k shape as parameters with defaults', () => {
    expect(raw).toMatch(/DefaultParam \.CL2_PODS_PER_NODE 10\}\}/);
    expect(raw).toMatch(/DefaultParam \.CL2_PODS_PER_NAMESPACE 2500\}\}/);
    // 100,000 nodes × 10 pods ÷ 2,500 pods per namespace = 400 namespaces.
    expect(raw).toMatch(/\$namespaces := MaxInt 1 \(DivideInt \$totalPods \$podsPerNamespace\)/);
    expect(raw).toMatch(/\$totalPods := MultiplyInt \.Nodes \$podsPerNode/);
    expect(config.name).toBe('edge-density-100k');
    expect(config.namespace.prefix).toBe('edge-density');
  });

  it('has steps of either phases or measurements, using declared tuning sets and existing templates', () => {
    const tuningSets = new Set(config.tuningSets.map((t) => t.name));
    for (const step of config.steps) {
      expect(Boolean(step.phases) !== Boolean(step.measurements), step.name).toBe(true);
      for (const phase of step.phases ?? []) {
        expect(tuningSets.has(phase.tuningSet), phase.tuningSet).toBe(true);
        for (const object of phase.objectBundle) {
          expect(object.basename).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
          expect(
            existsSync(path.join(dir, object.objectTemplatePath)),
            object.objectTemplatePath,
          ).toBe(true);
        }
      }
    }
  });

  it('starts and gathers the same (Method, Identifier) pairs, with the density measurements', () => {
    const started = new Set<string>();
    const gathered = new Set<string>();
    for (const step of config.steps)
      for (const m of step.measurements ?? []) {
        const key = `${m.Method}/${m.Identifier}`;
        if (m.Params.action === 'start') started.add(key);
        else if (m.Params.action === 'gather') {
          expect(started.has(key), `${key} gathered before it was started`).toBe(true);
          gathered.add(key);
        }
      }
    expect([...started].sort()).toEqual([...gathered].sort());
    const methods = new Set([...started].map((k) => k.split('/')[0]));
    for (const method of [
      'PodStartupLatency',
      'WaitForControlledPodsRunning',
      'SchedulingThroughput',
      'APIResponsivenessPrometheus',
    ])
      expect(methods.has(method), method).toBe(true);
  });

  it('pins the pods to edge nodes in a Deployment template that parses the same way', () => {
    const template = parse(
      stripActions(readFileSync(path.join(dir, 'templates/edge-deployment.yaml'), 'utf8')),
    ) as { kind: string; spec: { template: { spec: Record<string, unknown> } } };
    expect(template.kind).toBe('Deployment');
    expect(JSON.stringify(template.spec.template.spec.affinity)).toMatch(/"operator":"Exists"/);
    expect(raw).toMatch(/DefaultParam \.CL2_EDGE_NODE_LABEL "node-role\.kubernetes\.io\/edge"/);
  });
});
