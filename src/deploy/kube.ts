/**
 * `deploy apply | status | delete` against the EXTERNAL cluster that hosts the shard pods, through
 * KubeApi: server-side apply (field manager `hollowfleet`, force), a status built from the pods and
 * their `/snapshot` read through the API server's pod proxy, and deletion in reverse order.
 */
import { ConfigError } from '../common/errors.js';
import { KubeApiError, type KubeApi } from '../kube/api.js';
import { ExternalFleet, type FleetObservation } from '../fleet/external.js';
import { FLEET_LABEL, type KubeManifest } from './render.js';

export const FIELD_MANAGER = 'hollowfleet';

const PLURALS: Record<string, { base: string; plural: string; namespaced: boolean }> = {
  Namespace: { base: '/api/v1', plural: 'namespaces', namespaced: false },
  Secret: { base: '/api/v1', plural: 'secrets', namespaced: true },
  ConfigMap: { base: '/api/v1', plural: 'configmaps', namespaced: true },
  Service: { base: '/api/v1', plural: 'services', namespaced: true },
  Job: { base: '/apis/batch/v1', plural: 'jobs', namespaced: true },
};

export function objectPath(kind: string, name: string, namespace?: string): string {
  const info = PLURALS[kind];
  if (!info) throw new ConfigError(`hollowfleet deploy does not manage objects of kind ${kind}`);
  const ns = info.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? '')}` : '';
  return `${info.base}${ns}/${info.plural}/${encodeURIComponent(name)}`;
}

export interface AppliedObject {
  kind: string;
  name: string;
  namespace?: string;
  resourceVersion?: string;
}

/** Server-side applies each manifest in order; a Job whose pod template changed must be deleted first. */
export async function applyManifests(
  kube: KubeApi,
  manifests: readonly KubeManifest[],
): Promise<AppliedObject[]> {
  const applied: AppliedObject[] = [];
  for (const m of manifests) {
    const path = objectPath(m.kind, m.metadata.name, m.metadata.namespace);
    try {
      const result = await kube.request<{ metadata?: { resourceVersion?: string } }>({
        method: 'PATCH',
        path,
        query: { fieldManager: FIELD_MANAGER, force: true },
        // JSON is YAML: the apply body goes as the manifest's JSON text.
        body: JSON.stringify(m),
        contentType: 'application/apply-patch+yaml',
      });
      applied.push({
        kind: m.kind,
        name: m.metadata.name,
        namespace: m.metadata.namespace,
        resourceVersion: result?.metadata?.resourceVersion,
      });
    } catch (err) {
      if (
        err instanceof KubeApiError &&
        m.kind === 'Job' &&
        (err.status === 422 || err.status === 409)
      )
        throw new ConfigError(
          `Job ${m.metadata.namespace}/${m.metadata.name} exists with a different pod template, which Kubernetes does not let change: ` +
            `run \`hollowfleet deploy delete --namespace ${m.metadata.namespace} --name ${m.metadata.name}\` first (${err.message})`,
          { cause: err },
        );
      throw err;
    }
  }
  return applied;
}

export interface DeletedObject {
  kind: string;
  name: string;
  namespace?: string;
  found: boolean;
}

/**
 * Deletes the Job (its pods with it: background propagation, each shard gets its grace period to
 * close its connections), the Service, the ConfigMap, the Secret hollowfleet rendered and, unless
 * kept, the namespace.
 */
export async function deleteDeployment(
  kube: KubeApi,
  options: { namespace: string; name: string; keepNamespace?: boolean },
): Promise<DeletedObject[]> {
  const { namespace, name } = options;
  const targets: Array<{ kind: string; name: string; namespace?: string }> = [
    { kind: 'Job', name, namespace },
    { kind: 'Service', name, namespace },
    { kind: 'ConfigMap', name: `${name}-profile`, namespace },
    { kind: 'Secret', name: `${name}-join-token`, namespace },
  ];
  if (!options.keepNamespace) targets.push({ kind: 'Namespace', name: namespace });
  const out: DeletedObject[] = [];
  for (const t of targets) {
    const path = objectPath(t.kind, t.name, t.namespace);
    if (t.kind === 'Namespace') {
      // Only a namespace hollowfleet labelled as its own is deleted.
      const ns = await kube
        .request<{ metadata?: { labels?: Record<string, string> } }>({ method: 'GET', path })
        .catch((err: unknown) => {
          if (err instanceof KubeApiError && err.isNotFound) return undefined;
          throw err;
        });
      if (!ns) {
        out.push({ ...t, found: false });
        continue;
      }
      if (ns.metadata?.labels?.[FLEET_LABEL] !== name) continue;
    }
    try {
      await kube.request({
        method: 'DELETE',
        path,
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
      });
      out.push({ ...t, found: true });
    } catch (err) {
      if (err instanceof KubeApiError && err.isNotFound) out.push({ ...t, found: false });
      else throw err;
    }
  }
  return out;
}

export interface ShardStatusRow {
  shard: number | undefined;
  pod: string;
  phase: string;
  node: string;
  restarts: number;
  nodes: number | undefined;
  connected: number | undefined;
  ready: number | undefined;
  errorsByCode: Record<string, number>;
  problem?: string;
}

export interface DeploymentStatus {
  namespace: string;
  name: string;
  shards: ShardStatusRow[];
  expectedShards: number | undefined;
  missingShardIndexes: number[];
  totals: { nodes: number; connected: number; ready: number; errorsByCode: Record<string, number> };
}

/** Reads the Job's parallelism, lists the shard pods and scrapes each one's snapshot. */
export async function deploymentStatus(
  kube: KubeApi,
  options: { namespace: string; name: string; port: number; requestTimeoutMs?: number },
): Promise<DeploymentStatus> {
  const job = await kube
    .request<{ spec?: { completions?: number; parallelism?: number } }>({
      method: 'GET',
      path: objectPath('Job', options.name, options.namespace),
    })
    .catch((err: unknown) => {
      if (err instanceof KubeApiError && err.isNotFound)
        throw new ConfigError(
          `no Job ${options.namespace}/${options.name} in this cluster: check --namespace and --name, or run \`hollowfleet deploy apply\``,
        );
      throw err;
    });
  const fleet = new ExternalFleet({
    discovery: {
      kind: 'pods',
      kube,
      namespace: options.namespace,
      labelSelector: `${FLEET_LABEL}=${options.name}`,
      port: options.port,
    },
    expectedShards: job.spec?.completions ?? job.spec?.parallelism,
    requestTimeoutMs: options.requestTimeoutMs,
  });
  return statusFromObservation(options, await fleet.observe());
}

export function statusFromObservation(
  options: { namespace: string; name: string },
  observation: FleetObservation,
): DeploymentStatus {
  const shards: ShardStatusRow[] = observation.shards.map((s) => ({
    shard: s.snapshot?.shard.index ?? s.target.index,
    pod: s.target.pod?.name ?? s.target.id,
    phase: s.target.pod?.phase ?? (s.snapshot ? 'Running' : 'Unknown'),
    node: s.target.pod?.nodeName ?? '',
    restarts: s.target.pod?.restarts ?? 0,
    nodes: s.snapshot?.nodes,
    connected: s.snapshot?.gauges.connected ?? (s.snapshot ? 0 : undefined),
    ready: s.snapshot?.gauges.ready ?? (s.snapshot ? 0 : undefined),
    errorsByCode: s.snapshot?.errorsByCode ?? {},
    ...(s.problem ? { problem: s.problem } : {}),
  }));
  const merged = observation.merged;
  return {
    namespace: options.namespace,
    name: options.name,
    shards,
    expectedShards: observation.expectedShards,
    missingShardIndexes: observation.missingShardIndexes,
    totals: {
      nodes: merged?.nodes ?? 0,
      connected: merged?.gauges.connected ?? 0,
      ready: merged?.gauges.ready ?? 0,
      errorsByCode: merged?.errorsByCode ?? {},
    },
  };
}

/** The status as a plain table, one row per shard pod. */
export function formatStatus(status: DeploymentStatus): string {
  const header = ['SHARD', 'POD', 'PHASE', 'NODE', 'RESTARTS', 'CONNECTED', 'READY', 'ERRORS'];
  const rows = status.shards.map((s) => [
    s.shard === undefined ? '?' : String(s.shard),
    s.pod,
    s.phase,
    s.node || '<none>',
    String(s.restarts),
    s.nodes === undefined ? '-' : `${s.connected}/${s.nodes}`,
    s.nodes === undefined ? '-' : `${s.ready}/${s.nodes}`,
    s.problem ?? errorText(s.errorsByCode),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  const t = status.totals;
  const shardCount = status.expectedShards ?? status.shards.length;
  out.push(
    `${status.namespace}/${status.name}: ${status.shards.filter((s) => s.nodes !== undefined).length}/${shardCount} shards answering, ` +
      `${t.connected}/${t.nodes} connected, ${t.ready}/${t.nodes} Ready${Object.keys(t.errorsByCode).length ? `, errors ${errorText(t.errorsByCode)}` : ''}`,
  );
  if (status.missingShardIndexes.length > 0)
    out.push(`missing shards: ${status.missingShardIndexes.join(', ')}`);
  return out.join('\n');
}

function errorText(byCode: Record<string, number>): string {
  const entries = Object.entries(byCode).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? '' : entries.map(([c, n]) => `${c} ×${n}`).join(', ');
}
