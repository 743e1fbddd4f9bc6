import { describe, expect, it } from 'vitest';
import type {
  Measurement,
  MeasurementContext,
  MeasurementMethod,
  MeasurementParams,
  MeasurementResult,
} from '../../src/measure/types.js';
import type { StepResult } from '../../src/report/model.js';
import {
  InterruptedError,
  MeasurementInstances,
  runSteps,
  type ExecutableStep,
  type MeasurementRegistry,
} from '../../src/scenario/executor.js';

/** A counter measurement: start remembers, gather reports how many starts this instance saw. */
function counterMethod(log: string[]): MeasurementMethod {
  return {
    name: 'Counter',
    create(_context: MeasurementContext, identifier: string): Measurement {
      let starts = 0;
      return {
        async execute(params: MeasurementParams): Promise<MeasurementResult[]> {
          log.push(`${identifier}:${String(params.action)}`);
          if (params.action === 'start') {
            starts++;
            return [];
          }
          if (params.action === 'boom') throw new Error('exploded');
          const fail = params.failAbove !== undefined && starts > Number(params.failAbove);
          return [
            {
              method: 'Counter',
              identifier,
              summaryName: `Counter_${identifier}`,
              status: fail ? 'fail' : 'pass',
              ...(fail ? { reason: `starts ${starts} > ${String(params.failAbove)}` } : {}),
              source: 'test',
              verdicts: [],
              data: { kind: 'none' },
            },
          ];
        },
        async dispose() {
          log.push(`${identifier}:dispose`);
        },
      };
    },
  };
}

function registryOf(...methods: MeasurementMethod[]): MeasurementRegistry {
  const map = new Map(methods.map((m) => [m.name, m]));
  return { resolve: (name) => map.get(name) };
}

const context = {} as MeasurementContext;

describe('runSteps', () => {
  it('runs steps in order, phases of a step together, and keeps measurement instances across steps', async () => {
    const log: string[] = [];
    const registry = registryOf(counterMethod(log));
    const instances = new MeasurementInstances(registry, context);
    const steps: ExecutableStep<string>[] = [
      {
        name: '[step: 01] start',
        measurements: [{ method: 'Counter', identifier: 'a', params: { action: 'start' } }],
      },
      { name: '[step: 02] phases', phases: ['slow', 'fast'] },
      {
        name: '[step: 03] gather',
        measurements: [{ method: 'Counter', identifier: 'a', params: { action: 'gather' } }],
      },
    ];
    const results: StepResult[] = [];
    const gathered: MeasurementResult[] = [];
    await runSteps(
      {
        steps,
        measurements: registry,
        signal: new AbortController().signal,
        runPhase: async (phase) => {
          log.push(`${phase}:begin`);
          await new Promise((r) => setTimeout(r, phase === 'slow' ? 20 : 1));
          log.push(`${phase}:end`);
          return phase === 'fast' ? ['fast phase: 1 object failed'] : [];
        },
        onResult: (r) => gathered.push(r),
      },
      instances,
      results,
    );
    // Both phases began before either ended: they ran in parallel.
    expect(log.slice(1, 3).sort()).toEqual(['fast:begin', 'slow:begin']);
    expect(log.indexOf('a:gather')).toBeGreaterThan(log.indexOf('slow:end'));
    expect(results.map((r) => [r.index, r.kind, r.errors])).toEqual([
      [1, 'measurements', []],
      [2, 'phases', ['fast phase: 1 object failed']],
      [3, 'measurements', []],
    ]);
    expect(gathered).toHaveLength(1);
    expect(gathered[0]).toMatchObject({ identifier: 'a', status: 'pass' });
    expect(await instances.disposeAll()).toEqual([]);
    expect(log.at(-1)).toBe('a:dispose');
  });

  it('runs wrapper instances with merged params and reports failures in CL2 wording', async () => {
    const log: string[] = [];
    const registry = registryOf(counterMethod(log));
    const instances = new MeasurementInstances(registry, context);
    const results: StepResult[] = [];
    await runSteps(
      {
        steps: [
          {
            name: '[step: 01] wrapper',
            measurements: [
              {
                method: 'Counter',
                identifier: '',
                params: { action: 'start' },
                instances: [
                  { identifier: 'x', params: {} },
                  { identifier: 'y', params: {} },
                ],
              },
            ],
          },
          {
            name: '[step: 02] gather',
            measurements: [
              { method: 'Counter', identifier: 'x', params: { action: 'gather', failAbove: 0 } },
              { method: 'Counter', identifier: 'y', params: { action: 'boom' } },
            ],
          },
        ],
        measurements: registry,
        signal: new AbortController().signal,
        runPhase: async () => [],
      },
      instances,
      results,
    );
    expect(log.slice(0, 2).sort()).toEqual(['x:start', 'y:start']);
    expect(results[1]!.errors.sort()).toEqual([
      'measurement call Counter - x error: starts 1 > 0',
      'measurement call Counter - y error: exploded',
    ]);
    expect(results[1]!.measurements!.map((m) => m.identifier)).toEqual(['x', 'y']);
  });

  it('stops between steps when aborted and says so', async () => {
    const registry = registryOf();
    const abort = new AbortController();
    const results: StepResult[] = [];
    const run = runSteps(
      {
        steps: [
          { name: '[step: 01] one', phases: ['p'] },
          { name: '[step: 02] two', phases: ['q'] },
        ],
        measurements: registry,
        signal: abort.signal,
        runPhase: async () => {
          abort.abort();
          return [];
        },
      },
      new MeasurementInstances(registry, context),
      results,
    );
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
    expect(results.map((r) => r.name)).toEqual(['[step: 01] one']);
  });

  it('names an unregistered method', () => {
    const instances = new MeasurementInstances(registryOf(), context);
    expect(() => instances.get('Nope', 'x')).toThrow(/"Nope" is not registered/);
  });
});
