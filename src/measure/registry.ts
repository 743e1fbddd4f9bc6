/**
 * The measurement methods hollowfleet knows, by CL2 method name and alias. CL2 methods that
 * hollowfleet does not implement answer `skipped: not supported by hollowfleet: <Method>`.
 */
import { sleepMethod, timerMethod, unsupportedMethod } from './basic.js';
import { apiResponsivenessMethod } from './api-responsiveness.js';
import { clientSideApiLatencyMethod, edgeSlisMethod } from './histogram-slis.js';
import { metricsForE2EMethod, testMetricsMethod } from './metrics-for-e2e.js';
import { podStartupLatencyMethod } from './pod-startup.js';
import { schedulingThroughputMethod } from './scheduling-throughput.js';
import { UNSUPPORTED_CL2_METHODS, type MeasurementMethod } from './types.js';
import { waitForControlledPodsRunningMethod } from './wait-for-controlled-pods.js';

export interface RegistryOptions {
  /** Poll interval of WaitForControlledPodsRunning checkers (CL2: 5 s). */
  waitPollIntervalMs?: number;
  /** Scrape period of the windowed APIResponsivenessPrometheus (CL2's Prometheus: 5 s). */
  apiScrapeIntervalMs?: number;
}

export function builtinMeasurementMethods(
  options: RegistryOptions = {},
): ReadonlyMap<string, MeasurementMethod> {
  const methods = new Map<string, MeasurementMethod>();
  for (const name of UNSUPPORTED_CL2_METHODS) methods.set(name, unsupportedMethod(name));
  const builtins: MeasurementMethod[] = [
    podStartupLatencyMethod,
    waitForControlledPodsRunningMethod({ pollIntervalMs: options.waitPollIntervalMs }),
    schedulingThroughputMethod,
    apiResponsivenessMethod({ scrapeIntervalMs: options.apiScrapeIntervalMs }),
    clientSideApiLatencyMethod,
    edgeSlisMethod,
    metricsForE2EMethod,
    testMetricsMethod,
    sleepMethod,
    timerMethod,
  ];
  for (const method of builtins) {
    methods.set(method.name, method);
    for (const alias of method.aliases ?? []) methods.set(alias, method);
  }
  return methods;
}

/** The scenario executor's view of the registry: method name or alias → implementation. */
export function builtinMeasurementRegistry(options: RegistryOptions = {}): {
  resolve(method: string): MeasurementMethod | undefined;
} {
  const methods = builtinMeasurementMethods(options);
  return { resolve: (method) => methods.get(method) };
}
