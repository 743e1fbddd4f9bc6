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
  renderDeployment,
  type DeployOptions,
  type FleetProfileSettings,
  type KubeManifest,
} from '../../deploy/render.js';
import { KubeClient } from '../../kube/client.js';
import { loadKubeconfig } from '../../kube/token.js';
import type { ParsedArgs } from '../command.js';
import type { Output } from '../output.js';
import { parseLabels, readTokenFile } from '../parse.js';

const PROFILE_FLAGS: ReadonlyArray<keyof FleetProfileSettings> = [
  'keepalive',
  'lease-interval',
  'status-interval',
  'pod-start-delay',
  'node-labels',
  'pods',
];

const str = (args: ParsedArgs, flag: string): string | undefined =>
  typeof args[flag] === 'string' && args[flag] !== '' ? args[flag] : undefined;
function num(args: ParsedArgs, flag: string): number | undefined {
  const value = args[flag];
  if (Array.isArray(value)) throw new ConfigError(`--${flag} was given more than once`);
  return value === undefined ? undefined : Number(value);
}

export function deployOptionsFromArgs(args: ParsedArgs): DeployOptions {
  const profile: FleetProfileSettings = {};
  for (const flag of PROFILE_FLAGS) {
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
  const manifests = renderDeployment(deployOptionsFromArgs(args));
  if (args.output === 'json')
    out.data(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }, null, 2));
  else out.data(manifestsToYaml(manifests));
  return ExitCode.Pass;
}

function client(args: ParsedArgs): KubeClient {
  return new KubeClient(loadKubeconfig(String(args.kubeconfig)));
}

export async function deployApplyHandler(args: ParsedArgs, out: Output): Promise<number> {
  const manifests = renderDeployment(deployOptionsFromArgs(args));
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
