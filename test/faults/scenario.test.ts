import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseFault, parseSelector } from '../../src/edge/faults.js';
import { faultMeasurementMethods } from '../../src/measure/faults.js';

/**
 * Renders the scenario's template with its defaults, the little of Go templates it uses, so the
 * YAML and the fault params can be checked without the scenario loader.
 */
function renderWithDefaults(text: string, nodes: number): string {
  const values = new Map<string, string>();
  for (const m of text.matchAll(/\{\{\$(\w+) := DefaultParam \.\w+ (.+?)\}\}/g)) {
    const raw = m[2]!;
    values.set(
      m[1]!,
      raw.startsWith('"') ? raw.slice(1, -1) : /^\(/.test(raw) ? String(Math.min(nodes, 10)) : raw,
    );
  }
  return text
    .split('\n')
    .filter((line) => !/^\{\{(\$\w+ :=|if |end)/.test(line.trim()))
    .join('\n')
    .replace(/\{\{\.Nodes\}\}/g, String(nodes))
    .replace(/\{\{AddInt \$(\w+) (\d+)\}\}/g, (_, v: string, n: string) =>
      String(Number(values.get(v)) + Number(n)),
    )
    .replace(/\{\{MultiplyInt [^}]+\}\}/g, '4')
    .replace(
      /\{\{\$(\w+)\}\}/g,
      (_, v: string) =>
        values.get(v) ?? (v === 'namespaces' || v === 'podsPerNamespace' ? '2' : `MISSING-${v}`),
    );
}

describe('scenarios/edge-disconnect-storm.yaml', () => {
  const text = readFileSync(
    new URL('../../scenarios/edge-disconnect-storm.yaml', import.meta.url),
    'utf8',
  );
  const config = parse(renderWithDefaults(text, 20)) as {
    name: string;
    steps: Array<{
      name: string;
      measurements?: Array<{ Identifier: string; Method: string; Params: Record<string, unknown> }>;
    }>;
  };

  it('is CL2-model YAML whose steps hold either phases or measurements', () => {
    expect(renderWithDefaults(text, 20)).not.toMatch(/MISSING-|\{\{/);
    expect(config.name).toBe('edge-disconnect-storm');
    for (const step of config.steps) {
      expect(step.name).toBeTruthy();
      expect(Boolean(step.measurements) !== Boolean((step as { phases?: unknown }).phases)).toBe(
        true,
      );
    }
  });

  it('uses every fault method, with params their parsers accept', () => {
    const methods = faultMeasurementMethods();
    const used = new Map<string, Array<Record<string, unknown>>>();
    for (const step of config.steps)
      for (const m of step.measurements ?? [])
        if (methods.has(m.Method)) used.set(m.Method, [...(used.get(m.Method) ?? []), m.Params]);
    expect([...used.keys()].sort()).toEqual([
      'CloudCoreFailover',
      'EdgeDisconnectStorm',
      'EdgeHalfOpen',
      'EdgeLinkDegradation',
      'EdgeNodeFlap',
    ]);
    const kinds: Record<string, 'disconnect' | 'degrade' | 'halfOpen' | 'flap'> = {
      EdgeDisconnectStorm: 'disconnect',
      EdgeLinkDegradation: 'degrade',
      EdgeHalfOpen: 'halfOpen',
      EdgeNodeFlap: 'flap',
    };
    for (const [method, kind] of Object.entries(kinds)) {
      const start = used.get(method)!.find((p) => p.action === 'run' || p.action === 'start')!;
      expect(() => parseFault({ ...start, kind })).not.toThrow();
      expect(() => parseSelector(start)).not.toThrow();
    }
    const storm = used.get('EdgeDisconnectStorm')![0]!;
    expect(parseSelector(storm)).toMatchObject({ fraction: 0.5, spreadMs: 5000 });
    expect(parseFault({ ...storm, kind: 'disconnect' })).toEqual({
      kind: 'disconnect',
      reconnectDelay: { kind: 'uniform', minMs: 1000, maxMs: 10_000 },
    });
    const halfOpen = parseFault({ ...used.get('EdgeHalfOpen')![0]!, kind: 'halfOpen' });
    // Longer than CloudCore's 30 s keepalive timeout, so the cloud closes the sessions.
    expect(halfOpen).toMatchObject({ durationMs: 45_000, then: 'resume' });
    const actions = used.get('EdgeLinkDegradation')!.map((p) => p.action);
    expect(actions).toEqual(['start', 'stop', 'gather']);
  });
});
