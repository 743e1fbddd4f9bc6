/** A MeasurementContext for measurement tests: real clocks, a fresh run directory, captured logs. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KubeApi } from '../../src/kube/api.js';
import type { MeasurementContext } from '../../src/measure/types.js';

export async function testContext(
  kube: KubeApi,
  overrides: Partial<MeasurementContext> = {},
): Promise<MeasurementContext & { logs: string[] }> {
  const logs: string[] = [];
  return {
    kube,
    apiserverMetricsUrls: [],
    runDir: await mkdtemp(path.join(tmpdir(), 'hf-measure-')),
    now: () => Date.now(),
    monotonic: () => performance.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: (m) => logs.push(m),
    signal: new AbortController().signal,
    logs,
    ...overrides,
  };
}
