/**
 * Manifests that run a sharded hollow fleet in an external Kubernetes cluster: one Indexed Job whose
 * pods each run `hollowfleet fleet --shard <index>/<count>` against the CloudCore load balancer of
 * the cluster under test. Everything here is pure: options in, plain objects out.
 */
import { ConfigError } from '../common/errors.js';
import { parseStartDelay, parseDurationMs } from '../edge/profile.js';
import { validatePrefix } from '../fleet/naming.js';
import { parseJoinToken } from '../protocol/token.js';

/** One process holds at most this many hollow nodes: its descriptor limit is 20,000 (README). */
export const MAX_NODES_PER_PROCESS = 19_000;
/** Resident memory per hollow node at steady state, rounded up (README: 71–78 KiB at 10k–30k nodes). */
export const RSS_PER_NODE_KIB = 80;
/** Measured CPU per hollow node at default intervals (README: 12–20 µs per second). */
export const CPU_PER_NODE_MICROCORES = 20;
/** TLS handshakes one core completes per second during the ramp (README: ~280). */
export const HANDSHAKES_PER_CORE = 280;
/** Fixed cost of one fleet process: Node runtime, worker isolates, the metrics server. */
export const PROCESS_BASE_MIB = 96;
export const PROCESS_BASE_MILLICORES = 100;
/** Multipliers over the measured steady state. */
export const MEMORY_HEADROOM = 1.25;
export const MEMORY_LIMIT_FACTOR = 1.5;
export const CPU_HEADROOM = 2;

export const DEFAULT_METRICS_PORT = 9464;
export const FLEET_LABEL = 'hollowfleet.io/fleet';
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
export const TOKEN_KEY = 'tokendata';
const CERT_DIR = '/var/cache/hollowfleet/certs';
const TOKEN_DIR = '/etc/hollowfleet/token';
const PROFILE_DIR = '/etc/hollowfleet/profile';

/** Per-node behaviour written into the ConfigMap; keys are `hollowfleet fleet` flag names. */
export interface FleetProfileSettings {
  keepalive?: string;
  'lease-interval'?: string;
  'status-interval'?: string;
  'pod-start-delay'?: string;
  'node-labels'?: string;
  pods?: string;
}

export interface DeployOptions {
  /** Name of the Job, Service, ConfigMap; also the fleet label value. */
  name?: string;
  namespace?: string;
  /** Total hollow nodes; with `shards` or with `nodesPerShard`. */
  nodes?: number;
  shards?: number;
  nodesPerShard?: number;
  /** Fleet processes per shard pod (default: enough to keep each under MAX_NODES_PER_PROCESS). */
  processesPerShard?: number;
  cloudcore: string[];
  certServer: string;
  /** Use an existing Secret (key `tokendata`, CloudCore's format) … */
  tokenSecret?: string;
  /** … or render one holding this token. Exactly one of the two. */
  token?: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  prefix?: string;
  metricsPort?: number;
  tlsServerName?: string;
  certStrategy?: 'shared' | 'per-node';
  /** Connects per second per shard (the fleet's --connect-rate). */
  connectRate?: number;
  profile?: FleetProfileSettings;
  nodeSelector?: Record<string, string>;
  /** Run for this long and exit 0 (default: until the Job is deleted). */
  duration?: string;
  terminationGracePeriodSeconds?: number;
}

export interface ShardResources {
  processes: number;
  workersPerProcess: number;
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
  /** The same figures as numbers, for documentation and tests. */
  cpuRequestMillicores: number;
  cpuLimitMillicores: number;
  memoryRequestMiB: number;
  memoryLimitMiB: number;
}

export interface ResolvedDeployOptions {
  name: string;
  namespace: string;
  nodes: number;
  shards: number;
  nodesPerShard: number;
  prefix: string;
  metricsPort: number;
  connectRate: number;
  resources: ShardResources;
  tokenSecretName: string;
  renderSecret: boolean;
  options: DeployOptions;
}

export type KubeManifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & Record<
    string,
    unknown
  >;
} & Record<string, unknown>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** The fleet flags a deployment's profile ConfigMap carries (and `fleet --profile` reads). */
export const PROFILE_KEYS: ReadonlyArray<keyof FleetProfileSettings> = [
  'keepalive',
  'lease-interval',
  'status-interval',
  'pod-start-delay',
  'node-labels',
  'pods',
];

function positiveInteger(value: number | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1)
    throw new ConfigError(`${flag} must be a positive integer, got ${value}`);
  return value;
}

function roundUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

/**
 * Requests and limits of one shard pod from the measured per-node cost:
 * - memory request = processes × 96 MiB + nodes × 80 KiB × 1.25, limit = request × 1.5 (reconnect
 *   storms allocate TLS state before the old sockets are collected);
 * - CPU request = processes × 100m + nodes × 20 µs/s × 2, limit = request + connectRate / 280 cores
 *   (the ramp's TLS handshakes).
 */
export function shardResources(
  nodesPerShard: number,
  processes: number,
  connectRate: number,
): ShardResources {
  const memoryRequestMiB = roundUp(
    processes * PROCESS_BASE_MIB + (nodesPerShard * RSS_PER_NODE_KIB * MEMORY_HEADROOM) / 1024,
    16,
  );
  const memoryLimitMiB = roundUp(memoryRequestMiB * MEMORY_LIMIT_FACTOR, 16);
  const cpuRequestMillicores = roundUp(
    processes * PROCESS_BASE_MILLICORES +
      (nodesPerShard * CPU_PER_NODE_MICROCORES * CPU_HEADROOM) / 1000,
    100,
  );
  const rampMillicores = connectRate > 0 ? (connectRate / HANDSHAKES_PER_CORE) * 1000 : 1000;
  const cpuLimitMillicores = roundUp(cpuRequestMillicores + rampMillicores, 100);
  const workersPerProcess = Math.max(1, Math.round(cpuLimitMillicores / 1000 / processes));
  return {
    processes,
    workersPerProcess,
    requests: { cpu: `${cpuRequestMillicores}m`, memory: `${memoryRequestMiB}Mi` },
    limits: { cpu: `${cpuLimitMillicores}m`, memory: `${memoryLimitMiB}Mi` },
    cpuRequestMillicores,
    cpuLimitMillicores,
    memoryRequestMiB,
    memoryLimitMiB,
  };
}

function nearbyShardCounts(nodes: number, shards: number): string {
  const near: string[] = [];
  for (let d = 1; d <= 4 && near.length < 2; d++)
    for (const s of [shards - d, shards + d])
      if (s >= 1 && nodes % s === 0 && near.length < 2)
        near.push(`--shards ${s} (${(nodes / s).toLocaleString('en-US')} each)`);
  return near.length > 0 ? `; try ${near.join(' or ')}` : '';
}

/** Checks every option and derives the shard layout; every problem is a ConfigError naming the flag. */
export function resolveDeployOptions(options: DeployOptions): ResolvedDeployOptions {
  const name = options.name ?? 'hollowfleet';
  const namespace = options.namespace ?? 'hollowfleet';
  for (const [flag, value] of [
    ['--name', name],
    ['--namespace', namespace],
  ] as const) {
    if (!DNS_LABEL.test(value) || value.length > 52)
      throw new ConfigError(
        `${flag} "${value}": must be a DNS label (lowercase letters, digits and '-', at most 52 characters)`,
      );
  }
  const nodes = positiveInteger(options.nodes, '--nodes');
  let shards = positiveInteger(options.shards, '--shards');
  const perShardGiven = positiveInteger(options.nodesPerShard, '--nodes-per-shard');
  let nodesPerShard: number;
  if (perShardGiven !== undefined) {
    if (shards !== undefined && nodes !== undefined)
      throw new ConfigError(
        'pass two of --nodes, --shards and --nodes-per-shard, not all three (the third follows)',
      );
    if (nodes !== undefined) {
      if (nodes % perShardGiven !== 0)
        throw new ConfigError(
          `--nodes ${nodes} is not a multiple of --nodes-per-shard ${perShardGiven}: every shard runs the same number of nodes`,
        );
      shards = nodes / perShardGiven;
    }
    shards ??= 1;
    nodesPerShard = perShardGiven;
  } else {
    if (nodes === undefined)
      throw new ConfigError('--nodes is required (with --shards), or pass --nodes-per-shard');
    if (shards === undefined)
      throw new ConfigError(
        `--nodes ${nodes} needs --shards or --nodes-per-shard (10,000–19,000 nodes per shard is a good size)`,
      );
    if (nodes % shards !== 0)
      throw new ConfigError(
        `--nodes ${nodes} does not divide into --shards ${shards}: every shard runs the same number of nodes (node names are <prefix>-<shard>-<index>)` +
          nearbyShardCounts(nodes, shards),
      );
    nodesPerShard = nodes / shards;
  }
  const processes =
    positiveInteger(options.processesPerShard, '--processes') ??
    Math.ceil(nodesPerShard / MAX_NODES_PER_PROCESS);
  if (Math.ceil(nodesPerShard / processes) > MAX_NODES_PER_PROCESS)
    throw new ConfigError(
      `${nodesPerShard} nodes per shard in ${processes} process(es) is ${Math.ceil(nodesPerShard / processes)} per process, over the ` +
        `${MAX_NODES_PER_PROCESS} a process holds (its file-descriptor limit is 20,000): pass --processes ${Math.ceil(nodesPerShard / MAX_NODES_PER_PROCESS)} or more shards`,
    );
  if (processes > nodesPerShard)
    throw new ConfigError(
      `--processes ${processes} is more than the ${nodesPerShard} nodes per shard`,
    );
  if (options.cloudcore.length === 0)
    throw new ConfigError(
      '--cloudcore needs at least one HOST:PORT of the CloudCore load balancer',
    );
  for (const address of options.cloudcore)
    if (!/^(\[[^\]]+\]|[^:,\s]+):\d{1,5}$/.test(address))
      throw new ConfigError(
        `--cloudcore "${address}": expected HOST:PORT, e.g. cloudcore.example:10000`,
      );
  let certServer: URL;
  try {
    certServer = new URL(options.certServer);
  } catch {
    throw new ConfigError(
      `--cert-server "${options.certServer}": expected a URL such as https://cloudcore.example:10002`,
    );
  }
  if (certServer.protocol !== 'https:')
    throw new ConfigError(
      `--cert-server "${options.certServer}": CloudCore serves certificates over https`,
    );
  if ((options.tokenSecret === undefined) === (options.token === undefined))
    throw new ConfigError(
      'pass exactly one of --token-secret NAME (an existing Secret with key tokendata) and --token-file FILE',
    );
  if (options.tokenSecret !== undefined && !DNS_LABEL.test(options.tokenSecret))
    throw new ConfigError(`--token-secret "${options.tokenSecret}": must be a Secret name`);
  if (options.token !== undefined) {
    try {
      parseJoinToken(options.token);
    } catch (err) {
      throw new ConfigError(
        `the join token is not CloudCore's "<ca hash>.<jwt>" form (${err instanceof Error ? err.message : String(err)}): ` +
          'copy it from Secret kubeedge/tokensecret (key tokendata, base64-decoded)',
      );
    }
  }
  if (!options.image || /\s/.test(options.image))
    throw new ConfigError(
      '--image names the hollowfleet container image, e.g. ghcr.io/you/hollowfleet:0.1.0',
    );
  const prefix = options.prefix ?? 'hollow';
  validatePrefix(prefix);
  const metricsPort = options.metricsPort ?? DEFAULT_METRICS_PORT;
  if (!Number.isInteger(metricsPort) || metricsPort < 1024 || metricsPort > 65535)
    throw new ConfigError(
      `--metrics-port ${metricsPort}: pick a port between 1024 and 65535 (the container runs as a non-root user)`,
    );
  const connectRate = options.connectRate ?? 500;
  if (!Number.isFinite(connectRate) || connectRate < 0)
    throw new ConfigError(
      `--connect-rate ${connectRate}: must be 0 (unlimited) or a positive rate`,
    );
  for (const [key, value] of Object.entries(options.profile ?? {})) {
    if (!PROFILE_KEYS.includes(key as keyof FleetProfileSettings))
      throw new ConfigError(
        `fleet profile key "${key}" is unknown; known keys: ${PROFILE_KEYS.join(', ')}`,
      );
    if (typeof value !== 'string')
      throw new ConfigError(`fleet profile key "${key}" must be a string`);
    if (key === 'pod-start-delay') parseStartDelay(value);
    else if (key === 'keepalive' || key.endsWith('-interval')) parseDurationMs(value, `--${key}`);
  }
  if (options.duration !== undefined) parseDurationMs(options.duration, '--duration');
  return {
    name,
    namespace,
    nodes: nodesPerShard * shards,
    shards,
    nodesPerShard,
    prefix,
    metricsPort,
    connectRate,
    resources: shardResources(nodesPerShard, processes, connectRate),
    tokenSecretName: options.tokenSecret ?? `${name}-join-token`,
    renderSecret: options.token !== undefined,
    options,
  };
}

/** Labels on every object, and the selector of the shard pods. */
export function fleetLabels(name: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'hollowfleet',
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/managed-by': 'hollowfleet',
    [FLEET_LABEL]: name,
  };
}

function shardArgs(r: ResolvedDeployOptions): string[] {
  const o = r.options;
  const args = [
    'fleet',
    '--nodes',
    String(r.nodesPerShard),
    '--shard',
    `$(JOB_COMPLETION_INDEX)/${r.shards}`,
    '--prefix',
    r.prefix,
    '--cloudcore',
    o.cloudcore.join(','),
    '--cert-server',
    o.certServer,
    '--token-file',
    `${TOKEN_DIR}/${TOKEN_KEY}`,
    '--cert-dir',
    CERT_DIR,
    '--profile',
    `${PROFILE_DIR}/profile.yaml`,
    '--metrics-host',
    '0.0.0.0',
    '--metrics-port',
    String(r.metricsPort),
    '--workers',
    String(r.resources.workersPerProcess),
    '--connect-rate',
    String(r.connectRate),
    '--cert-strategy',
    o.certStrategy ?? 'shared',
  ];
  if (r.resources.processes > 1) args.push('--processes', String(r.resources.processes));
  if (o.tlsServerName) args.push('--tls-server-name', o.tlsServerName);
  if (o.duration) args.push('--duration', o.duration);
  return args;
}

/** The manifests, in apply order: Namespace, Secret (unless referenced), ConfigMap, Service, Job. */
export function renderDeployment(options: DeployOptions): KubeManifest[] {
  const r = resolveDeployOptions(options);
  const o = r.options;
  const labels = fleetLabels(r.name);
  const meta = (name: string) => ({ name, namespace: r.namespace, labels: { ...labels } });
  const manifests: KubeManifest[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: r.namespace, labels: { ...labels } } },
  ];
  if (r.renderSecret) {
    manifests.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(r.tokenSecretName),
      type: 'Opaque',
      data: { [TOKEN_KEY]: Buffer.from(o.token ?? '').toString('base64') },
    });
  }
  const profile: Record<string, string> = { ...(o.profile ?? {}) };
  manifests.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(`${r.name}-profile`),
    data: {
      'profile.yaml':
        Object.keys(profile).length === 0
          ? '{}\n'
          : Object.entries(profile)
              .map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`)
              .join(''),
    },
  });
  manifests.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(r.name),
    spec: {
      clusterIP: 'None',
      // Shards are scraped while they ramp, before /readyz passes.
      publishNotReadyAddresses: true,
      selector: { [FLEET_LABEL]: r.name },
      ports: [{ name: 'metrics', port: r.metricsPort, targetPort: 'metrics', protocol: 'TCP' }],
    },
  });
  const grace = o.terminationGracePeriodSeconds ?? 60;
  const res = r.resources;
  manifests.push({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(r.name),
    spec: {
      completionMode: 'Indexed',
      completions: r.shards,
      parallelism: r.shards,
      // A crashed shard restarts in place with the same index, so it reconnects the same nodes.
      backoffLimit: r.shards * 6,
      template: {
        metadata: {
          labels: { ...labels },
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(r.metricsPort),
          },
        },
        spec: {
          subdomain: r.name,
          restartPolicy: 'OnFailure',
          terminationGracePeriodSeconds: grace,
          enableServiceLinks: false,
          automountServiceAccountToken: false,
          ...(o.nodeSelector ? { nodeSelector: { ...o.nodeSelector } } : {}),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            fsGroup: 65532,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    topologyKey: 'kubernetes.io/hostname',
                    labelSelector: { matchLabels: { [FLEET_LABEL]: r.name } },
                  },
                },
              ],
            },
          },
          containers: [
            {
              name: 'fleet',
              image: o.image,
              imagePullPolicy: o.imagePullPolicy ?? 'IfNotPresent',
              args: shardArgs(r),
              env: [
                {
                  // The Job controller sets it too; declaring it makes $(JOB_COMPLETION_INDEX) expand in args.
                  name: 'JOB_COMPLETION_INDEX',
                  valueFrom: {
                    fieldRef: {
                      fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']`,
                    },
                  },
                },
                {
                  name: 'NODE_OPTIONS',
                  value: `--max-old-space-size=${Math.max(256, Math.floor(res.memoryLimitMiB / res.processes / 2))}`,
                },
                { name: 'NO_COLOR', value: '1' },
              ],
              ports: [{ name: 'metrics', containerPort: r.metricsPort, protocol: 'TCP' }],
              resources: { requests: { ...res.requests }, limits: { ...res.limits } },
              readinessProbe: {
                httpGet: { path: '/readyz', port: 'metrics' },
                periodSeconds: 10,
                failureThreshold: 3,
              },
              livenessProbe: {
                httpGet: { path: '/healthz', port: 'metrics' },
                initialDelaySeconds: 10,
                periodSeconds: 20,
                timeoutSeconds: 5,
                failureThreshold: 6,
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'token', mountPath: TOKEN_DIR, readOnly: true },
                { name: 'profile', mountPath: PROFILE_DIR, readOnly: true },
                { name: 'certs', mountPath: CERT_DIR },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            {
              name: 'token',
              secret: {
                secretName: r.tokenSecretName,
                defaultMode: 0o440,
                items: [{ key: TOKEN_KEY, path: TOKEN_KEY }],
              },
            },
            { name: 'profile', configMap: { name: `${r.name}-profile` } },
            { name: 'certs', emptyDir: { sizeLimit: '64Mi' } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
          ],
        },
      },
    },
  });
  return manifests;
}
