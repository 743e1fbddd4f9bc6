import path from 'node:path';
import { formatRunTable } from '../../api/report-binding.js';
import { INTERRUPTED_EXIT_CODE, runScenario, type RunProgress } from '../../api/run.js';
import { ConfigError } from '../../common/errors.js';
import { parseDurationMs } from '../../edge/profile.js';
import type { ParsedArgs } from '../command.js';
import { toolVersion } from '../main.js';
import type { Output } from '../output.js';
import { parseAddresses, parseFraction, parseTolerance, readTokenFile } from '../parse.js';
import { formatDuration, ProgressLine } from '../progress.js';

function progressText(p: RunProgress): string {
  const parts = [`[${formatDuration(p.elapsedMs)}]`, p.step ?? p.stage];
  if (p.nodesExpected > 0 || p.nodesReady > 0)
    parts.push(`nodes Ready ${p.nodesReady}${p.nodesExpected ? `/${p.nodesExpected}` : ''}`);
  if (p.podsCreated > 0) parts.push(`pods ${p.podsCreated} created, ${p.podsRunning} Running`);
  return parts.join('  ');
}

export async function runHandler(args: ParsedArgs, out: Output): Promise<number> {
  const nodes = args.nodes === undefined ? undefined : Number(args.nodes);
  if (nodes !== undefined && (!Number.isInteger(nodes) || nodes < 0))
    throw new ConfigError(`--nodes ${String(args.nodes)}: expected a whole number ≥ 0`);
  const token =
    args.token !== undefined
      ? String(args.token)
      : args['token-file'] !== undefined
        ? readTokenFile(String(args['token-file']))
        : undefined;
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts > 1) {
      out.error('interrupted twice: exiting without cleanup');
      process.exit(INTERRUPTED_EXIT_CODE);
    }
    out.warn(
      'interrupted: stopping the scenario, deleting its namespaces, writing an incomplete report… (Ctrl-C again to exit at once)',
    );
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = new ProgressLine(out, 10_000);
  let lastWhere = '';
  try {
    const outcome = await runScenario({
      scenario: path.resolve(String(args.scenario)),
      ...(nodes === undefined ? {} : { nodes }),
      testOverrides: ((args.testoverrides as unknown[] | undefined) ?? []).map((f) =>
        path.resolve(String(f)),
      ),
      ...(args.kubeconfig === undefined
        ? {}
        : { kubeconfig: path.resolve(String(args.kubeconfig)) }),
      ...(args.cloudcore === undefined
        ? {}
        : { cloudcore: parseAddresses(String(args.cloudcore)) }),
      ...(args['cert-server'] === undefined ? {} : { certServer: String(args['cert-server']) }),
      ...(token === undefined ? {} : { token }),
      ...(args['tls-server-name'] === undefined
        ? {}
        : { tlsServerName: String(args['tls-server-name']) }),
      fleet: String(args.fleet) as 'local' | 'external' | 'none',
      fleetUrls: ((args['fleet-url'] as unknown[] | undefined) ?? []).map(String),
      ...(args['fleet-kubeconfig'] === undefined
        ? {}
        : {
            fleetPods: {
              kubeconfig: path.resolve(String(args['fleet-kubeconfig'])),
              namespace: String(args['fleet-namespace']),
              labelSelector: String(args['fleet-selector']),
              port: Number(args['fleet-port']),
            },
          }),
      readyFraction: parseFraction(String(args['wait-ready']), '--wait-ready'),
      readyTimeoutMs: parseDurationMs(String(args['wait-timeout']), '--wait-timeout'),
      ...(args.workers === undefined ? {} : { workers: Number(args.workers) }),
      reportsDir: path.resolve(String(args.reports)),
      stateDir: path.resolve(String(args.dir)),
      ...(args.baseline === undefined ? {} : { baseline: path.resolve(String(args.baseline)) }),
      tolerance: parseTolerance(String(args.tolerance)),
      minDeltaMs: parseDurationMs(String(args['min-delta']), '--min-delta'),
      strict: args.strict === true,
      env: process.env,
      ...(args.seed === undefined ? {} : { seed: Number(args.seed) }),
      toolVersion: await toolVersion(),
      signal: abort.signal,
      // A new step or stage always gets its own line, so CI logs show where a run was.
      onProgress: (p) => {
        const where = p.step ?? p.stage;
        progress.update(progressText(p), where !== lastWhere);
        lastWhere = where;
      },
    });
    progress.done();
    if (args.json) out.data(JSON.stringify(outcome.summary, null, 2));
    out.info(formatRunTable(outcome.summary, out.color));
    out.info(`report: ${path.relative(process.cwd(), outcome.runDir) || outcome.runDir}`);
    if (abort.signal.aborted)
      // Cleanup is done and the report written. If something still holds the process a second
      // later, say so (it is a leak worth reporting) rather than leave Ctrl-C hanging.
      setTimeout(() => {
        out.warn('a handle was still open 1 s after the report was written; exiting anyway');
        process.exit(outcome.exitCode);
      }, 1_000).unref();
    return outcome.exitCode;
  } finally {
    progress.done();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
