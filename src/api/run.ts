/**
 * `hollowfleet run`: one scenario from start to report. Without a kubeconfig it starts the embedded
 * control plane and a local fleet; with one it drives a real cluster (and a local fleet against its
 * CloudCore, or an external fleet of shards it only waits for). Whatever happens — SLO breach,
 * error, Ctrl-C — the namespaces it created are deleted, the fleet is stopped and a report is
 * written, marked incomplete when the run did not finish.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, HollowfleetError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import { sleep } from '../common/sleep.js';
import { decodeHistogram } from '../common/histogram.js';
import type { EncodedHistogram } from '../common/histogram.js';
import type { CloudCoreAddress } from '../edge/hollow-node.js';
import { externalFleetSource } from '../deploy/fleet-source.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../embedded/cluster.js';
import { ExternalFleet } from '../fleet/external.js';
import { Fleet } from '../fleet/fleet.js';
import { remoteFaultControl } from '../fleet/remote-faults.js';
import { KubeClient } from '../kube/client.js';
import { countSchedulableNodes, isReady, listNodes } from '../kube/nodes.js';
import { loadKubeconfig, readJoinToken } from '../kube/token.js';
import { fleetHandles } from '../measure/faults.js';
import { ClusterTimeline } from '../measure/timeline.js';
import type {
  FleetControl,
  FleetSource,
  MeasurementContext,
  MeasurementResult,
} from '../measure/types.js';
import type { Phase } from '../scenario/config.js';
import { createRunDir, runDirectoryName } from '../report/index.js';
import { SUMMARY_SCHEMA, type ComparisonResult, type RunSummary } from '../report/model.js';
import {
  InterruptedError,
  MeasurementInstances,
  runSteps,
  type ExecutableStep,
} from '../scenario/executor.js';
import {
  createScenarioRuntime,
  loadScenarioForRun,
  type LoadedScenario,
} from './scenario-binding.js';
import { applyBaseline, writeReports } from './report-binding.js';

export const INTERRUPTED_EXIT_CODE = 130;
const DEFAULT_LOCAL_NODES = 100;
/** Failures that mean "not ready in time": exit 2. */
const TIMEOUT_CODES = new Set(['HF_TIMEOUT', 'HF_FLEET_NOT_READY']);

export interface RunOptions {
  scenario: string;
  /** `.Nodes`; for a local fleet also its size (default 100). */
  nodes?: number;
  testOverrides: readonly string[];
  kubeconfig?: string;
  cloudcore?: readonly CloudCoreAddress[];
  certServer?: string;
  token?: string;
  tlsServerName?: string;
  fleet: 'local' | 'external' | 'none';
  /** External fleet: shard snapshot URLs (metrics endpoints of `hollowfleet fleet`). */
  fleetUrls?: readonly string[];
  /** External fleet run by `hollowfleet deploy`: its shard pods, read through that cluster's API. */
  fleetPods?: { kubeconfig: string; namespace: string; labelSelector: string; port: number };
  /** External fleet: the fraction of the expected nodes that must be Ready (default 1). */
  readyFraction: number;
  readyTimeoutMs: number;
  workers?: number;
  reportsDir: string;
  stateDir: string;
  baseline?: string;
  tolerance: number;
  minDeltaMs: number;
  /** Unsupported measurements fail the run instead of being reported skipped. */
  strict: boolean;
  /** `CL2_*` variables are read from here. */
  env: Readonly<Record<string, string | undefined>>;
  seed?: number;
  toolVersion: string;
  signal: AbortSignal;
  onProgress?: (progress: RunProgress) => void;
  onLog?: (line: string) => void;
}

export interface RunProgress {
  stage: string;
  step?: string;
  nodesReady: number;
  nodesExpected: number;
  podsCreated: number;
  podsRunning: number;
  elapsedMs: number;
}

export interface RunOutcome {
  summary: RunSummary;
  runDir: string;
  files: string[];
  exitCode: number;
}

class TimeoutError extends HollowfleetError {
  constructor(message: string) {
    super('HF_TIMEOUT', message);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function runScenario(options: RunOptions): Promise<RunOutcome> {
  const startedAt = new Date();
  const started = performance.now();
  const log = options.onLog ?? (() => undefined);
  const progress: RunProgress = {
    stage: 'validating the scenario',
    nodesReady: 0,
    nodesExpected: 0,
    podsCreated: 0,
    podsRunning: 0,
    elapsedMs: 0,
  };
  const report = (patch: Partial<RunProgress>): void => {
    Object.assign(progress, patch, { elapsedMs: performance.now() - started });
    options.onProgress?.({ ...progress });
  };

  const embedded = !options.kubeconfig;
  if (!embedded && options.fleet === 'local' && !options.cloudcore?.length)
    throw new ConfigError(
      '--cloudcore is required with --kubeconfig and a local fleet (HOST:PORT of the CloudCore load balancer or instances); or use --fleet external',
    );
  if (!embedded && options.fleet === 'local' && !options.certServer)
    throw new ConfigError(
      '--cert-server is required with --kubeconfig and a local fleet (https://HOST:10002 of CloudCore)',
    );
  if (options.fleet === 'external' && !options.nodes)
    throw new ConfigError(
      '--nodes is required with --fleet external (the number of edge nodes the run waits for)',
    );
  // Render and validate everything we can before touching a cluster. A local fleet's size is
  // --nodes, else the scenario's `fleet.nodes`, else 100.
  const preliminary = loadScenarioForRun(options.scenario, {
    overrides: options.testOverrides,
    nodes: options.nodes ?? DEFAULT_LOCAL_NODES,
    env: options.env,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    strict: options.strict,
  });
  const localNodes = options.nodes ?? preliminary.fleet?.nodes ?? DEFAULT_LOCAL_NODES;
  if (options.fleet === 'local' && localNodes < 1)
    throw new ConfigError(
      `${options.scenario}: a local fleet needs at least one node (got ${localNodes}); pass --nodes N`,
    );
  const runId = runDirectoryName(startedAt.toISOString(), preliminary.name);

  const summary: RunSummary = {
    schema: SUMMARY_SCHEMA,
    tool: { name: 'hollowfleet', version: options.toolVersion },
    run: {
      id: runId,
      scenario: { name: preliminary.name, path: options.scenario, hash: preliminary.sha256 },
      params: preliminary.mapping,
      target: { kind: embedded ? 'embedded' : 'external', server: '' },
      nodes: options.nodes ?? 0,
      fleet: {
        mode: options.fleet,
        nodes: options.fleet === 'local' ? localNodes : (options.nodes ?? 0),
      },
      startedAt: startedAt.toISOString(),
      endedAt: '',
      durationMs: 0,
      complete: false,
      exitCode: ExitCode.HarnessError,
    },
    verdict: 'incomplete',
    steps: [],
    measurements: [],
    timeline: [],
  };
  // The directory exists from the start: measurements write raw files there during the run.
  const runDir = await createRunDir(options.reportsDir, summary);
  summary.run.id = path.basename(runDir);

  let cluster: EmbeddedCluster | undefined;
  let kube: KubeClient | undefined;
  let fleetKube: KubeClient | undefined;
  let fleetSource: FleetSource | undefined;
  let fleet: Fleet | undefined;
  let timeline: ClusterTimeline | undefined;
  let instances: MeasurementInstances | undefined;
  let scenario: LoadedScenario | undefined;
  let namespaces: { cleanup(): Promise<string[]> } | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  let failure: unknown;
  const cleanupErrors: string[] = [];
  const abort = new AbortController();
  const onOuterAbort = (): void => abort.abort(new InterruptedError('interrupted (SIGINT)'));
  options.signal.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal.aborted) onOuterAbort();
  const signal = abort.signal;

  try {
    // 1. Target.
    let kubeconfigPath = options.kubeconfig;
    let cloudcore: CloudCoreAddress[] = [...(options.cloudcore ?? [])];
    let certServer = options.certServer;
    let token = options.token;
    let tlsServerName = options.tlsServerName;
    if (embedded) {
      report({ stage: 'starting the embedded control plane' });
      cluster = await startEmbeddedCluster({
        dir: path.join(options.stateDir, 'cluster'),
        hubs: 2,
      });
      kubeconfigPath = cluster.info.kubeconfig;
      const [host, port] = cluster.info.cloudcore.split(':') as [string, string];
      cloudcore = [{ host, port: Number(port) }];
      certServer = cluster.info.certServer;
      token = cluster.token;
      tlsServerName ??= 'localhost';
      summary.run.target.kubernetesVersion = cluster.info.kubernetesVersion;
    }
    const kc = loadKubeconfig(kubeconfigPath!);
    // No abort signal: namespace cleanup must still reach the API server after Ctrl-C.
    kube = new KubeClient(kc);
    summary.run.target.server = kube.server;
    if (!embedded) {
      // First contact without the transient-error backoff (36 s in all): a wrong or dead server
      // should be reported at once, naming the server and where it came from.
      const version = await kube
        .request<{ gitVersion: string }>({ method: 'GET', path: '/version', retry: false })
        .catch((err: unknown) => {
          throw new HollowfleetError(
            'HF_UNREACHABLE',
            `cannot reach the API server ${kube!.server} (from --kubeconfig ${kubeconfigPath!}): ${messageOf(err)}; check that the cluster is up and the kubeconfig's server address is right`,
            { cause: err },
          );
        });
      summary.run.target.kubernetesVersion = version.gitVersion;
    }

    // 2. Fleet.
    let fleetControl: FleetControl | undefined;
    if (options.fleet === 'local') {
      token ??= await readJoinToken(kc);
      fleet = new Fleet({
        nodes: localNodes,
        ...(options.workers === undefined ? {} : { workers: options.workers }),
        prefix: preliminary.fleet?.prefix ?? 'hollow',
        targets: cloudcore,
        certServerUrl: certServer!,
        token,
        certDir: path.join(options.stateDir, 'certs'),
        ...(tlsServerName ? { tlsServerName } : {}),
        profile: preliminary.fleet?.profile ?? {},
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      });
      fleet.toolVersion = options.toolVersion;
      report({ stage: 'connecting hollow nodes', nodesExpected: localNodes });
      await fleet.start();
      ({ fleet: fleetSource, fleetControl } = fleetHandles(fleet));
      const fleetRef = fleet;
      // The fleet's own gate: on timeout it names the missing nodes and their errors.
      const ready = fleetRef.waitReady(options.readyFraction, options.readyTimeoutMs, () =>
        report({ nodesReady: fleetRef.gauge('ready') }),
      );
      // After Ctrl-C the gate loses the race and later fails when the fleet stops: not an error.
      ready.catch(() => undefined);
      await Promise.race([ready, untilAborted(signal)]);
      report({ nodesReady: fleetRef.gauge('ready') });
    }

    // 3. Timeline and node count.
    timeline = new ClusterTimeline(kube);
    await timeline.start();
    const timelineRef = timeline;
    progressTimer = setInterval(() => {
      const now = timelineRef.current();
      report({
        nodesReady: now.nodesReady,
        podsCreated: now.podsCreated,
        podsRunning: now.podsRunning,
      });
    }, 1_000);
    progressTimer.unref();
    if (options.fleet === 'external') {
      const expected = options.nodes!;
      report({ stage: 'waiting for the external fleet', nodesExpected: expected });
      const kubeRef = kube;
      let ready = 0;
      if (options.fleetUrls?.length || options.fleetPods) {
        // Shards answer for themselves: the gate names the missing ones, and their merged
        // histograms feed the edge SLIs.
        let shards: ExternalFleet;
        if (options.fleetPods) {
          fleetKube = new KubeClient(loadKubeconfig(options.fleetPods.kubeconfig));
          shards = new ExternalFleet({
            discovery: {
              kind: 'pods',
              kube: fleetKube,
              namespace: options.fleetPods.namespace,
              labelSelector: options.fleetPods.labelSelector,
              port: options.fleetPods.port,
            },
          });
        } else {
          shards = new ExternalFleet({
            discovery: { kind: 'urls', urls: [...(options.fleetUrls ?? [])] },
          });
          fleetControl = remoteFaultControl(options.fleetUrls ?? []);
        }
        fleetSource = externalFleetSource(shards);
        await shards.waitReady({
          expectedNodes: expected,
          fraction: options.readyFraction,
          timeoutMs: options.readyTimeoutMs,
          onProgress: (o) => report({ nodesReady: o.merged?.gauges.ready ?? 0 }),
        });
      }
      await waitFor(
        `${Math.ceil(expected * options.readyFraction)} of ${expected} edge nodes to be Ready`,
        () => ready >= Math.ceil(expected * options.readyFraction),
        options.readyTimeoutMs,
        signal,
        async () => {
          ready = (await listNodes(kubeRef)).filter(isReady).length;
          report({ nodesReady: ready });
        },
      );
    }
    const nodes =
      options.nodes ??
      (await waitForSchedulable(kube, options.fleet === 'local' ? localNodes : 1, signal));
    summary.run.nodes = nodes;
    if (nodes === 0)
      throw new ConfigError(
        'the cluster has no schedulable, Ready nodes (CL2 counts nodes without built-in NoSchedule/NoExecute taints); start a fleet or pass --nodes',
      );

    // 4. Scenario, rendered with the real node count.
    scenario = await loadScenarioForRun(options.scenario, {
      overrides: options.testOverrides,
      nodes,
      env: options.env,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      strict: options.strict,
    });
    summary.run.params = scenario.mapping;
    summary.run.scenario.hash = scenario.sha256;
    for (const warning of scenario.warnings) log(`warning: ${warning}`);
    await writeFile(
      path.join(runDir, `generatedConfig_${scenario.name}.yaml`),
      scenario.generatedConfig,
    );

    const context: MeasurementContext = {
      kube,
      apiserverMetricsUrls: [],
      ...(fleetSource ? { fleet: fleetSource } : {}),
      ...(fleetControl ? { fleetControl } : {}),
      ...(cluster ? { cloudcore: cluster.cloudcoreControl() } : {}),
      clientLatency: kube,
      runDir,
      now: () => Date.now(),
      monotonic: () => performance.timeOrigin + performance.now(),
      sleep: (ms) => sleep(ms, signal),
      log,
      signal,
    };
    const runtime = createScenarioRuntime(scenario, {
      kube,
      signal,
      log,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    });
    instances = new MeasurementInstances(runtime.registry, context);
    namespaces = runtime.namespaces;
    report({ stage: 'creating namespaces' });
    await runtime.namespaces.create();

    // 5. Steps.
    await runSteps(
      {
        steps: scenario.steps as ReadonlyArray<ExecutableStep<Phase>>,
        runPhase: (phase, phaseSignal) => runtime.runPhase(phase, phaseSignal),
        measurements: runtime.registry,
        signal,
        onStepStart: (_, step) => {
          log(step.name);
          report({ stage: 'running steps', step: step.name });
        },
        onResult: (result) => summary.measurements.push(result),
      },
      instances,
      summary.steps,
    );
    summary.run.complete = true;
  } catch (err) {
    failure = err;
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    report({ stage: 'cleaning up' });
    if (instances) cleanupErrors.push(...(await instances.disposeAll()));
    if (namespaces)
      cleanupErrors.push(...(await namespaces.cleanup().catch((e: unknown) => [messageOf(e)])));
    if (timeline) summary.timeline = timeline.stop();
    if (kube)
      summary.harness = {
        apiRetries: kube.retries,
        watchRecoveries: timeline?.watchRecoveries ?? 0,
      };
    if (fleetSource) {
      // Local or merged from shards: the same view the edge-SLI measurements read.
      try {
        const snap = await fleetSource.snapshot();
        summary.fleet = {
          histograms: { ...snap.histograms },
          counters: { ...snap.counters },
          errorsByCode: { ...snap.errorsByCode },
        };
      } catch (err) {
        cleanupErrors.push(`fleet snapshot: ${messageOf(err)}`);
      }
    }
    if (fleet)
      await fleet.stop().catch((e: unknown) => cleanupErrors.push(`fleet stop: ${messageOf(e)}`));
    fleetKube?.close();
    if (kube) {
      if (kube.retries > 0)
        log(`the harness re-sent ${kube.retries} API requests after transient errors`);
      if (!summary.measurements.some((m) => m.method === 'ClientSideApiLatency'))
        summary.measurements.push(clientLatencyResult(kube.histograms()));
      kube.close();
    }
    await cluster
      ?.close()
      .catch((e: unknown) => cleanupErrors.push(`control plane: ${messageOf(e)}`));
    options.signal.removeEventListener('abort', onOuterAbort);
  }

  const ended = new Date();
  summary.run.endedAt = ended.toISOString();
  summary.run.durationMs = ended.getTime() - startedAt.getTime();
  const interrupted = failure instanceof InterruptedError || options.signal.aborted;
  if (failure) summary.run.failureReason = messageOf(failure);
  if (cleanupErrors.length)
    summary.run.failureReason = [summary.run.failureReason, `cleanup: ${cleanupErrors.join('; ')}`]
      .filter(Boolean)
      .join('; ');

  const enforcedFailure =
    summary.measurements.some(
      (m) => m.status === 'fail' && m.verdicts.some((v) => !v.pass && v.enforced),
    ) || summary.measurements.some((m) => m.status === 'fail' && m.verdicts.length === 0);
  const errored = summary.measurements.some((m) => m.status === 'error');
  const stepErrors = summary.steps.some((s) => s.errors.length > 0);
  const strictSkip = options.strict && summary.measurements.some((m) => m.status === 'skipped');

  let exitCode: number;
  if (!summary.run.complete) {
    summary.verdict = 'incomplete';
    exitCode = interrupted
      ? INTERRUPTED_EXIT_CODE
      : failure instanceof ConfigError
        ? ExitCode.UsageError
        : failure instanceof TimeoutError ||
            (failure instanceof HollowfleetError && TIMEOUT_CODES.has(failure.code))
          ? ExitCode.Timeout
          : ExitCode.HarnessError;
  } else if (enforcedFailure || strictSkip) {
    summary.verdict = 'fail';
    exitCode = ExitCode.SloBreach;
  } else if (errored || stepErrors) {
    summary.verdict = 'fail';
    exitCode = ExitCode.HarnessError;
    summary.run.failureReason ??= summary.steps
      .flatMap((s) => s.errors)
      .slice(0, 3)
      .join('; ');
  } else {
    summary.verdict = 'pass';
    exitCode = ExitCode.Pass;
  }

  let comparison: ComparisonResult | undefined;
  if (options.baseline && summary.run.complete) {
    try {
      comparison = await applyBaseline(options.baseline, summary, {
        tolerance: options.tolerance,
        minDeltaMs: options.minDeltaMs,
      });
      summary.comparison = comparison;
      if (comparison.regressed && exitCode === ExitCode.Pass) exitCode = ExitCode.Regression;
    } catch (err) {
      summary.run.failureReason = `baseline: ${messageOf(err)}`;
      if (exitCode === ExitCode.Pass) exitCode = ExitCode.UsageError;
    }
  }
  summary.run.exitCode = exitCode;
  const written = await writeReports(summary, runDir, options.reportsDir);
  for (const error of written.errors) log(`report: ${error}`);
  return { summary, runDir, files: written.files, exitCode };
}

/** Rejects with InterruptedError when the run is aborted; never resolves otherwise. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => reject(new InterruptedError());
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

async function waitFor(
  what: string,
  done: () => boolean,
  timeoutMs: number,
  signal: AbortSignal,
  tick: () => void | Promise<void>,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    await tick();
    if (done()) return;
    if (performance.now() > deadline)
      throw new TimeoutError(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`,
      );
    await sleep(250, signal);
  }
}

/** Waits briefly for Ready nodes to lose their startup taints, then counts them as CL2 does. */
async function waitForSchedulable(
  kube: KubeClient,
  expected: number,
  signal: AbortSignal,
): Promise<number> {
  let count = 0;
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    count = await countSchedulableNodes(kube);
    if (count >= expected) break;
    await sleep(250, signal);
  }
  return count;
}

/** The harness's own requests, timed per (verb, resource, scope): always available. */
function clientLatencyResult(histograms: ReadonlyMap<string, EncodedHistogram>): MeasurementResult {
  const merged: Record<string, EncodedHistogram> = {};
  for (const [key, value] of histograms) merged[key] = value;
  let samples = 0;
  for (const value of histograms.values()) samples += decodeHistogram(value).totalCount;
  return {
    method: 'ClientSideApiLatency',
    identifier: 'harness',
    summaryName: 'ClientSideApiLatency',
    status: samples > 0 ? 'pass' : 'skipped',
    ...(samples > 0 ? {} : { reason: 'the harness made no API requests' }),
    source: 'client-side: every request the harness made, timed per (verb, resource, scope)',
    verdicts: [],
    data: { kind: 'histograms', histograms: merged },
  };
}
