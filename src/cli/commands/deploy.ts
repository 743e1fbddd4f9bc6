import { stringify } from 'yaml';
import { ConfigError } from '../../common/errors.js';
import { ExitCode } from '../../common/exit-codes.js';
import {
  applyManifests,
  deleteDeployment,
  deploymentStatus,
  formatStatus,
} from '../../deploy/kube.js';
import {
  FLEET_LABEL,
  PROFILE_KEYS,
  renderDeployment,
  resolveDeployOptions,
  type DeployOptions,
  type FleetProfileSettings,
  type KubeManifest,
  type ResolvedDeployOptions,
} from '../../deploy/render.js';
import { parseDurationMs } from '../../edge/profile.js';
import { ExternalFleet } from '../../fleet/external.js';
import { ReadinessTimeoutError } from '../../fleet/fleet.js';
import { KubeClient } from '../../kube/client.js';
import { loadKubeconfig } from '../../kube/token.js';
import type { ParsedArgs } from '../command.js';
import { paint, type Output } from '../output.js';
import { parseFraction, parseLabels, readTokenFile } from '../parse.js';
import { formatDuration, ProgressLine } from '../progress.js';

const str = (args: ParsedArgs, flag: string): string | undefined =>
  typeof args[flag] === 'string' && args[flag] !== '' ? args[flag] : undefined;
function num(args: ParsedArgs, flag: string): number | undefined {
  const value = args[flag];
  if (Array.isArray(value)) throw new ConfigError(`--${flag} was given more than once`);
  return value === undefined ? undefined : Number(value);
}

export function deployOptionsFromArgs(args: ParsedArgs): DeployOptions {
  const profile: FleetProfileSettings = {};
  for (const flag of PROFILE_KEYS) {
    const value = str(args, flag);
    if (value !== undefined) profile[flag] = value;
  }
  const tokenFile = str(args, 'token-file');
  const nodeSelector = str(args, 'node-selector');
  return {
    name: str(args, 'name'),
    namespace: str(args, 'namespace'),
    nodes: num(args, 'nodes'),
    shards: num(args, 'shards'),
    nodesPerShard: num(args, 'nodes-per-shard'),
    processesPerShard: num(args, 'processes'),
    cloudcore: (str(args, 'cloudcore') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    certServer: str(args, 'cert-server') ?? '',
    tokenSecret: str(args, 'token-secret'),
    token: tokenFile === undefined ? undefined : readTokenFile(tokenFile),
    image: str(args, 'image') ?? '',
    imagePullPolicy: str(args, 'image-pull-policy') as DeployOptions['imagePullPolicy'],
    prefix: str(args, 'prefix'),
    metricsPort: num(args, 'metrics-port'),
    tlsServerName: str(args, 'tls-server-name'),
    certStrategy: args['cert-strategy'] === 'per-node' ? 'per-node' : 'shared',
    connectRate: num(args, 'connect-rate'),
    profile,
    nodeSelector: nodeSelector ? parseLabels(nodeSelector, '--node-selector') : undefined,
    duration: str(args, 'duration'),
    terminationGracePeriodSeconds: num(args, 'termination-grace-period'),
  };
}

/** Multi-document YAML, one document per manifest, in apply order. */
export function manifestsToYaml(manifests: readonly KubeManifest[]): string {
  return manifests.map((m) => `---\n${stringify(m, { lineWidth: 0 })}`).join('');
}

export async function deployRenderHandler(args: ParsedArgs, out: Output): Promise<number> {
  const options = deployOptionsFromArgs(args);
  const manifests = renderDeployment(options);
  if (options.token !== undefined)
    out.warn(
      `the output holds the join token (Secret ${resolveDeployOptions(options).tokenSecretName}): keep it out of version control, or use --token-secret`,
    );
  if (args.output === 'json')
    out.data(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }, null, 2));
  else out.data(manifestsToYaml(manifests));
  return ExitCode.Pass;
}

function client(args: ParsedArgs): KubeClient {
  return new KubeClient(loadKubeconfig(String(args.kubeconfig)));
}

async function waitForFleet(
  kube: KubeClient,
  r: ResolvedDeployOptions,
  fraction: number,
  timeoutMs: number,
  out: Output,
): Promise<number> {
  const fleet = new ExternalFleet({
    discovery: {
      kind: 'pods',
      kube,
      namespace: r.namespace,
      labelSelector: `${FLEET_LABEL}=${r.name}`,
      port: r.metricsPort,
    },
    expectedShards: r.shards,
  });
  const progress = new ProgressLine(out);
  const started = Date.now();
  try {
    const observation = await fleet.waitReady({
      expectedNodes: r.nodes,
      fraction,
      timeoutMs,
      onProgress: (o) =>
        progress.update(
          `${formatDuration(Date.now() - started)}  shards answering ${o.shards.filter((s) => s.snapshot).length}/${r.shards}  ` +
            `connected ${o.merged?.gauges.connected ?? 0}/${r.nodes}  ready ${o.merged?.gauges.ready ?? 0}/${r.nodes}`,
        ),
    });
    progress.done();
    out.info(
      paint(
        out.color,
        'green',
        `✓ ${observation.merged?.gauges.ready ?? 0}/${r.nodes} nodes Ready across ${r.shards} shards in ${formatDuration(Date.now() - started)}`,
      ),
    );
    return ExitCode.Pass;
  } catch (err) {
    progress.done();
    if (!(err instanceof ReadinessTimeoutError)) throw err;
    out.error(`${err.message} [${err.code}]`);
    return ExitCode.Timeout;
  }
}

export async function deployApplyHandler(args: ParsedArgs, out: Output): Promise<number> {
  const options = deployOptionsFromArgs(args);
  const manifests = renderDeployment(options);
  const resolved = resolveDeployOptions(options);
  const waitFraction =
    typeof args['wait-ready'] === 'string' && args['wait-ready']
      ? parseFraction(args['wait-ready'], '--wait-ready')
      : undefined;
  const waitTimeoutMs = parseDurationMs(String(args['wait-timeout'] ?? '15m'), '--wait-timeout');
  const kube = client(args);
  try {
    const applied = await applyManifests(kube, manifests);
    for (const a of applied)
      out.info(
        `${a.kind.toLowerCase()}/${a.name}${a.namespace ? ` -n ${a.namespace}` : ''} applied`,
      );
    const job = manifests.find((m) => m.kind === 'Job');
    const spec = job?.spec as { parallelism?: number } | undefined;
    out.info(
      `${spec?.parallelism ?? 0} shard pods requested; follow them with \`hollowfleet deploy status --kubeconfig ${String(args.kubeconfig)} --namespace ${String(args.namespace)} --name ${String(args.name)}\``,
    );
    if (waitFraction !== undefined)
      return await waitForFleet(kube, resolved, waitFraction, waitTimeoutMs, out);
  } finally {
    kube.close();
  }
  return ExitCode.Pass;
}

export async function deployStatusHandler(args: ParsedArgs, out: Output): Promise<number> {
  const kube = client(args);
  try {
    const status = await deploymentStatus(kube, {
      namespace: String(args.namespace),
      name: String(args.name),
      port: Number(args['metrics-port']),
    });
    out.data(args.output === 'json' ? JSON.stringify(status, null, 2) : formatStatus(status));
  } finally {
    kube.close();
  }
  return ExitCode.Pass;
}

export async function deployDeleteHandler(args: ParsedArgs, out: Output): Promise<number> {
  const kube = client(args);
  try {
    const deleted = await deleteDeployment(kube, {
      namespace: String(args.namespace),
      name: String(args.name),
      keepNamespace: args['keep-namespace'] === true,
    });
    for (const d of deleted)
      out.info(
        `${d.kind.toLowerCase()}/${d.name}${d.namespace ? ` -n ${d.namespace}` : ''} ${d.found ? 'deleted' : 'not found'}`,
      );
  } finally {
    kube.close();
  }
  return ExitCode.Pass;
}
