import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KubeApi } from '../../src/kube/api.js';
import { fleetHandles, type ControllableFleet } from '../../src/measure/faults.js';
import type { CloudCoreControl, MeasurementContext } from '../../src/measure/types.js';

/** Fault measurements never call the API server; any use of this one fails the test. */
export const noKubeApi: KubeApi = new Proxy({} as KubeApi, {
  get(_target, key) {
    throw new Error(
      `fault measurements must not use the Kubernetes client here (touched ${String(key)})`,
    );
  },
});

export async function faultContext(
  fleet: ControllableFleet | undefined,
  extra: { cloudcore?: CloudCoreControl; kube?: KubeApi } = {},
): Promise<MeasurementContext & { logs: string[] }> {
  const logs: string[] = [];
  const controller = new AbortController();
  const handles = fleet ? fleetHandles(fleet) : undefined;
  return {
    kube: extra.kube ?? noKubeApi,
    apiserverMetricsUrls: [],
    fleet: handles?.fleet,
    fleetControl: handles?.fleetControl,
    cloudcore: extra.cloudcore,
    runDir: await mkdtemp(path.join(tmpdir(), 'hf-fault-run-')),
    now: () => Date.now(),
    monotonic: () => performance.now(),
    sleep: (ms) =>
      new Promise((resolve, reject) => {
        if (controller.signal.aborted) return reject(controller.signal.reason as Error);
        const onAbort = () => {
          clearTimeout(t);
          reject(controller.signal.reason as Error);
        };
        const t = setTimeout(() => {
          controller.signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        controller.signal.addEventListener('abort', onAbort, { once: true });
      }),
    log: (m) => logs.push(m),
    signal: controller.signal,
    logs,
  };
}
