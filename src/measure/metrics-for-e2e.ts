/**
 * MetricsForE2E (cl2.md §3.6): the apiserver's `/metrics` (cumulative since it started) dumped raw
 * into the run directory and converted to CL2's JSON shape; scheduler and controller-manager are
 * read through the pod proxy of the master node's static pods, and reported as skipped with the
 * reason when there is no registered master (managed and edge control planes). `TestMetrics` runs
 * it on gather and reports the rest of CL2's bundle as not supported.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseExposition } from './prometheus.js';
import { actionOf } from './result.js';
import { apiserverTargets, scrapeProblem, scrapeText } from './scrape.js';
import { unsupportedReason } from './basic.js';
import type {
  Measurement,
  MeasurementContext,
  MeasurementMethod,
  MeasurementParams,
  MeasurementResult,
} from './types.js';

export interface PrometheusSampleJson {
  metric: Record<string, string>;
  value: [number, string];
}

export type ComponentMetricsJson = Record<string, PrometheusSampleJson[]>;

/** Go's strconv.FormatFloat(v, 'f', -1, 64) as Prometheus model JSON prints sample values. */
function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return v.toFixed(0);
  const s = String(v);
  if (!/e/i.test(s)) return s;
  return v.toFixed(20).replace(/\.?0+$/, '');
}

/** Text exposition → `metricName → [{metric: {__name__, labels…}, value: [unix seconds, "v"]}]`. */
export function exposionToCl2Json(text: string, timeMs: number): ComponentMetricsJson {
  const out: ComponentMetricsJson = {};
  const t = timeMs / 1000;
  for (const s of parseExposition(text)) {
    (out[s.name] ??= []).push({
      metric: { __name__: s.name, ...s.labels },
      value: [t, goFloat(s.value)],
    });
  }
  return out;
}

interface NodeList {
  items?: Array<{ metadata?: { name?: string } }>;
}

async function masterName(context: MeasurementContext): Promise<string | undefined> {
  for (const selector of [
    'node-role.kubernetes.io/control-plane',
    'node-role.kubernetes.io/master',
  ]) {
    const nodes = await context.kube.request<NodeList>({
      method: 'GET',
      path: '/api/v1/nodes',
      query: { labelSelector: selector, limit: 1 },
    });
    const name = nodes.items?.[0]?.metadata?.name;
    if (name) return name;
  }
  return undefined;
}

export async function metricsForE2E(
  context: MeasurementContext,
  identifier: string,
): Promise<MeasurementResult> {
  const base = {
    method: 'MetricsForE2E',
    identifier,
    summaryName: 'MetricsForE2E',
    source: 'apiserver /metrics (cumulative)',
  };
  const timeMs = context.now();
  const target = apiserverTargets(context.apiserverMetricsUrls)[0]!;
  let apiserverText: string;
  try {
    apiserverText = await scrapeText(context.kube, target);
  } catch (err) {
    return {
      ...base,
      status: 'skipped',
      reason: scrapeProblem('kube-apiserver', target, err),
      verdicts: [],
      data: { kind: 'none' },
    };
  }
  const files: string[] = [];
  const notes: string[] = [];
  const rawName = `MetricsForE2E_${identifier || 'apiserver'}.apiserver.metrics.txt`;
  try {
    await writeFile(path.join(context.runDir, rawName), apiserverText, { mode: 0o644 });
    files.push(rawName);
  } catch (err) {
    notes.push(`raw dump not written: ${err instanceof Error ? err.message : String(err)}`);
  }
  const component = async (
    name: 'scheduler' | 'controller-manager',
  ): Promise<ComponentMetricsJson | null> => {
    let master: string | undefined;
    try {
      master = await masterName(context);
    } catch (err) {
      notes.push(
        `kube-${name} skipped: listing nodes failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      return null;
    }
    if (!master) {
      notes.push(
        `kube-${name} skipped: no master node is registered (as on managed and edge control planes)`,
      );
      return null;
    }
    const port = name === 'scheduler' ? 10259 : 10257;
    const proxy = `/api/v1/namespaces/kube-system/pods/https:kube-${name}-${master}:${port}/proxy/metrics`;
    try {
      return exposionToCl2Json(await context.kube.requestText(proxy), context.now());
    } catch (err) {
      notes.push(
        `kube-${name} skipped: ${scrapeProblem(`kube-${name}`, { instance: proxy, url: undefined }, err)}`,
      );
      return null;
    }
  };
  const SchedulerMetrics = await component('scheduler');
  const ControllerManagerMetrics = await component('controller-manager');
  notes.push('kubelet metrics not gathered (gatherKubeletsMetrics is not supported)');
  const result: MeasurementResult = {
    ...base,
    status: 'pass',
    verdicts: [],
    data: { kind: 'none' },
    cl2: {
      APIServerMetrics: exposionToCl2Json(apiserverText, timeMs),
      ControllerManagerMetrics,
      KubeletMetrics: {},
      SchedulerMetrics,
      ClusterAutoscalerMetrics: null,
    },
    files,
    reason: notes.join('; '),
  };
  return result;
}

export const metricsForE2EMethod: MeasurementMethod = {
  name: 'MetricsForE2E',
  create: (context, identifier) => ({
    execute: async () => [await metricsForE2E(context, identifier)],
    async dispose() {},
  }),
};

/** What CL2's TestMetrics bundles besides MetricsForE2E. */
export const TEST_METRICS_BUNDLE = [
  'EtcdMetrics',
  'SchedulingMetrics',
  'ResourceUsageSummary',
  'CPUProfile',
  'MemoryProfile',
  'SystemPodMetrics',
  'ClusterOOMsTracker',
] as const;

class TestMetricsMeasurement implements Measurement {
  constructor(
    private readonly context: MeasurementContext,
    private readonly identifier: string,
  ) {}

  async execute(params: MeasurementParams): Promise<MeasurementResult[]> {
    const action = actionOf(params);
    if (action !== 'gather') return [];
    const e2e = await metricsForE2E(this.context, this.identifier);
    const rest: MeasurementResult[] = TEST_METRICS_BUNDLE.map((method) => ({
      method,
      identifier: this.identifier,
      summaryName: method,
      status: 'skipped',
      reason: `${unsupportedReason(method)} (part of the TestMetrics bundle)`,
      source: 'none',
      verdicts: [],
      data: { kind: 'none' },
    }));
    return [e2e, ...rest];
  }

  async dispose(): Promise<void> {}
}

export const testMetricsMethod: MeasurementMethod = {
  name: 'TestMetrics',
  create: (context, identifier) => new TestMetricsMeasurement(context, identifier),
};
