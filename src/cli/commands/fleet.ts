import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../common/errors.js';
import { ExitCode } from '../../common/exit-codes.js';
import { PROFILE_KEYS } from '../../deploy/render.js';
import { parseDurationMs, parseStartDelay, type NodeProfileInput } from '../../edge/profile.js';
import { Fleet, ReadinessTimeoutError, type FleetOptions } from '../../fleet/fleet.js';
import { ProcessFleet } from '../../fleet/process-fleet.js';
import { compactOnEveryFullGc } from '../../fleet/heap.js';
import { startFleetServer, type FleetHandle } from '../../fleet/metrics-server.js';
import { parseShard } from '../../fleet/naming.js';
import { loadKubeconfig, readJoinToken } from '../../kube/token.js';
import type { ParsedArgs } from '../command.js';
import { toolVersion } from '../main.js';
import { paint, type Output } from '../output.js';
import { parseAddresses, parseFraction, parseLabels, readTokenFile } from '../parse.js';
import { formatDuration, ProgressLine } from '../progress.js';

async function resolveToken(args: ParsedArgs): Promise<string> {
  if (typeof args.token === 'string' && args.token) return args.token;
  if (typeof args['token-file'] === 'string' && args['token-file'])
    return readTokenFile(args['token-file']);
  if (typeof args.kubeconfig === 'string' && args.kubeconfig)
    return readJoinToken(loadKubeconfig(args.kubeconfig));
  throw new ConfigError(
    'no join token: pass --token, --token-file, or --kubeconfig to read Secret kubeedge/tokensecret',
  );
}

export function profileFromArgs(args: ParsedArgs): NodeProfileInput {
  const ms = (flag: string) =>
    args[flag] === undefined ? undefined : parseDurationMs(String(args[flag]), `--${flag}`);
  const intervals: NonNullable<NodeProfileInput['intervals']> = {};
  const keepalive = ms('keepalive');
  const lease = ms('lease-interval');
  const status = ms('status-interval');
  if (keepalive !== undefined) intervals.keepaliveMs = keepalive;
  if (lease !== undefined) intervals.leaseMs = lease;
  if (status !== undefined) intervals.statusReportMs = status;
  const profile: NodeProfileInput = { intervals };
  if (typeof args['node-labels'] === 'string' && args['node-labels'])
    profile.labels = parseLabels(args['node-labels']);
  if (typeof args['pod-start-delay'] === 'string')
    profile.startDelay = parseStartDelay(args['pod-start-delay']);
  if (typeof args.pods === 'string') profile.capacity = { pods: args.pods };
  return profile;
}

/** Fills profile flags that the command line left unset from a `--profile` YAML file. */
export function applyProfileFile(args: ParsedArgs): void {
  const file = typeof args.profile === 'string' && args.profile ? args.profile : undefined;
  if (!file) return;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`--profile ${file}: ${(err as Error).message}`);
  }
  let values: unknown;
  try {
    values = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(`--profile ${file}: not YAML (${(err as Error).message})`);
  }
  if (typeof values !== 'object' || Array.isArray(values) || values === null)
    throw new ConfigError(`--profile ${file}: expected a map of flag names to values`);
  for (const [key, value] of Object.entries(values)) {
    if (!(PROFILE_KEYS as readonly string[]).includes(key))
      throw new ConfigError(
        `--profile ${file}: unknown key "${key}"; known keys: ${PROFILE_KEYS.join(', ')}`,
      );
    if (args[key] === undefined && value !== null && value !== undefined)
      args[key] = String(value as string | number);
  }
}

export async function fleetHandler(args: ParsedArgs, out: Output): Promise<number> {
  applyProfileFile(args);
  const fleetOptions: FleetOptions = {
    nodes: Number(args.nodes),
    targets: parseAddresses(String(args.cloudcore ?? '')),
    certServerUrl: String(args['cert-server']),
    token: await resolveToken(args),
    prefix: String(args.prefix),
    shard: args.shard ? parseShard(String(args.shard)) : undefined,
    workers: args.workers === undefined ? undefined : Number(args.workers),
    certStrategy: args['cert-strategy'] === 'per-node' ? 'per-node' : 'shared',
    certDir: typeof args['cert-dir'] === 'string' ? args['cert-dir'] : undefined,
    tlsServerName:
      typeof args['tls-server-name'] === 'string' ? args['tls-server-name'] : undefined,
    insecureSkipVerify: args['insecure-skip-tls-verify'] === true,
    connectRate: Number(args['connect-rate']),
    maxConcurrentHandshakes: Number(args['max-handshakes']),
    profile: profileFromArgs(args),
  };
  const processes = args.processes === undefined ? 1 : Number(args.processes);
  const version = await toolVersion();
  let fleet: FleetHandle;
  if (processes > 1) fleet = new ProcessFleet(fleetOptions, processes, version);
  else {
    // This process only holds hollow nodes (the children of --processes do the same for theirs).
    compactOnEveryFullGc();
    const single = new Fleet(fleetOptions);
    single.toolVersion = version;
    fleet = single;
  }
  const labels = { shard: fleetOptions.shard?.index ?? 0, prefix: fleetOptions.prefix ?? 'hollow' };
  const waitFraction = args['wait-ready']
    ? parseFraction(String(args['wait-ready']), '--wait-ready')
    : undefined;
  const waitTimeoutMs = parseDurationMs(String(args['wait-timeout']), '--wait-timeout');
  const durationMs = args.duration
    ? parseDurationMs(String(args.duration), '--duration')
    : undefined;
  if (!args.json) {
    fleet.onNotice((n) =>
      out.warn(
        `${n.node || `worker ${n.workerId}`}: ${n.error.message} [${n.error.code}] (further errors with this code are counted, not printed)`,
      ),
    );
  }
  const progress = new ProgressLine(out);
  const line = () => {
    const n = fleet.options.nodes;
    const errors = Object.values(fleet.errorsByCode()).reduce((a, b) => a + b, 0);
    const rate =
      fleet.elapsedMs > 0
        ? (fleet.counter('registrations') / (fleet.elapsedMs / 1000)).toFixed(0)
        : '0';
    return `${formatDuration(fleet.elapsedMs)}  connected ${fleet.gauge('connected')}/${n}  ready ${fleet.gauge('ready')}/${n}  ${rate}/s  pods running ${fleet.gauge('podsRunning')}  errors ${errors}`;
  };
  let stopRequested = false;
  let wake: () => void = () => undefined;
  const onSignal = () => {
    stopRequested = true;
    wake();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const server =
    args['metrics-port'] !== undefined && Number(args['metrics-port']) >= 0
      ? await startFleetServer(
          fleet,
          labels,
          Number(args['metrics-port']),
          String(args['metrics-host']),
          { faults: args['fault-api'] === true },
        )
      : undefined;
  if (server && !args.json)
    out.info(
      `metrics on http://${String(args['metrics-host'])}:${server.port}/metrics, snapshot on /snapshot`,
    );
  let exit: number = ExitCode.Pass;
  await (fleet as Fleet | ProcessFleet).start();
  const ticker = setInterval(() => progress.update(line()), 1000);
  try {
    if (waitFraction !== undefined) {
      try {
        await Promise.race([
          fleet.waitReady(waitFraction, waitTimeoutMs),
          new Promise<void>((resolve) => {
            wake = resolve;
          }),
        ]);
        if (!stopRequested) {
          progress.update(line(), true);
          progress.done();
          out.info(
            paint(
              out.color,
              'green',
              `✓ ${fleet.gauge('ready')}/${fleet.options.nodes} nodes Ready in ${formatDuration(fleet.elapsedMs)}`,
            ),
          );
        }
      } catch (err) {
        if (!(err instanceof ReadinessTimeoutError)) throw err;
        progress.done();
        out.error(err.message);
        exit = ExitCode.Timeout;
        stopRequested = true;
      }
    }
    if (!stopRequested) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (durationMs !== undefined) setTimeout(resolve, durationMs).unref();
      });
    }
  } finally {
    clearInterval(ticker);
    progress.done();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (!args.json) out.info('stopping: closing every connection…');
    await fleet.stop();
    await server?.close();
  }
  const snapshot = fleet.snapshot();
  if (args.json) {
    out.data(
      JSON.stringify({
        ...snapshot,
        summaries: Object.fromEntries(
          Object.keys(snapshot.histograms).map((m) => [m, fleet.histogram(m as never)]),
        ),
      }),
    );
  } else {
    out.info(summaryTable(fleet));
  }
  return exit;
}

function summaryTable(fleet: FleetHandle): string {
  const rows: string[] = [];
  const counters = [
    'registrations',
    'rejected',
    'reconnects',
    'podsStarted',
    'podsDeleted',
    'acksSent',
    'requestTimeouts',
    'protocolErrors',
  ] as const;
  rows.push(`fleet summary (${fleet.options.nodes} nodes, ${formatDuration(fleet.elapsedMs)})`);
  rows.push(`  ${counters.map((c) => `${c} ${fleet.counter(c)}`).join('  ')}`);
  if (fleet.counter('faultsApplied') > 0) {
    const faultCounters = [
      'faultsApplied',
      'faultDisconnects',
      'faultDroppedUp',
      'faultDroppedDown',
      'faultAcksLost',
      'duplicatePushes',
      'certRenewals',
    ] as const;
    rows.push(`  ${faultCounters.map((c) => `${c} ${fleet.counter(c)}`).join('  ')}`);
  }
  rows.push('  latency (ms)                 count      p50      p90      p99      max');
  for (const m of [
    'connectMs',
    'registrationToReadyMs',
    'reconnectToReadyMs',
    'podDeliveryMs',
    'podStartMs',
    'podStatusRoundTripMs',
    'ackLatencyMs',
    'faultRecoveryMs',
    'podStatusRecoveryMs',
    'certRenewalMs',
  ] as const) {
    const s = fleet.histogram(m);
    if (s.count === 0) continue;
    const f = (v: number) => v.toFixed(1).padStart(8);
    rows.push(
      `  ${m.padEnd(26)} ${String(s.count).padStart(7)} ${f(s.p50Ms)} ${f(s.p90Ms)} ${f(s.p99Ms)} ${f(s.maxMs)}`,
    );
  }
  const errors = Object.entries(fleet.errorsByCode());
  if (errors.length > 0) rows.push(`  errors: ${errors.map(([c, n]) => `${c} ×${n}`).join(', ')}`);
  return rows.join('\n');
}
