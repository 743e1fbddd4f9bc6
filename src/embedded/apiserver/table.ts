/**
 * EMBEDDED CONTROL PLANE ONLY. Server-side `meta.k8s.io/v1` Tables, so `kubectl get` prints the
 * columns it prints against a real API server.
 */
import type { KubeObject } from './store-api.js';

interface Column {
  name: string;
  type: string;
  format?: string;
  description: string;
  priority: number;
}

function age(created: string | undefined, now: number): string {
  if (!created) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(created)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  return `${Math.floor(h / 24)}d`;
}

const nameCol: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name',
  priority: 0,
};
const ageCol: Column = { name: 'Age', type: 'string', description: 'Age', priority: 0 };

function podRow(p: KubeObject, now: number): unknown[] {
  const status = (p.status ?? {}) as {
    phase?: string;
    containerStatuses?: Array<{
      ready?: boolean;
      restartCount?: number;
      state?: { waiting?: { reason?: string } };
    }>;
  };
  const containers = ((p.spec as { containers?: unknown[] } | undefined)?.containers ?? []).length;
  const cs = status.containerStatuses ?? [];
  const ready = cs.filter((c) => c.ready).length;
  const restarts = cs.reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const waiting = cs.find((c) => c.state?.waiting?.reason)?.state?.waiting?.reason;
  const phase = p.metadata.deletionTimestamp
    ? 'Terminating'
    : (waiting ?? status.phase ?? 'Unknown');
  const node = (p.spec as { nodeName?: string } | undefined)?.nodeName ?? '<none>';
  return [
    p.metadata.name,
    `${ready}/${containers}`,
    phase,
    restarts,
    age(p.metadata.creationTimestamp, now),
    node,
  ];
}

function nodeRow(n: KubeObject, now: number): unknown[] {
  const status = (n.status ?? {}) as {
    conditions?: Array<{ type: string; status: string }>;
    nodeInfo?: { kubeletVersion?: string };
  };
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  let state =
    ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
  if ((n.spec as { unschedulable?: boolean } | undefined)?.unschedulable)
    state += ',SchedulingDisabled';
  const roles = Object.keys(n.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .sort()
    .join(',');
  return [
    n.metadata.name,
    state,
    roles || '<none>',
    age(n.metadata.creationTimestamp, now),
    status.nodeInfo?.kubeletVersion ?? '',
  ];
}

function deploymentRow(d: KubeObject, now: number): unknown[] {
  const spec = (d.spec ?? {}) as { replicas?: number };
  const st = (d.status ?? {}) as {
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
  return [
    d.metadata.name,
    `${st.readyReplicas ?? 0}/${spec.replicas ?? 0}`,
    st.updatedReplicas ?? 0,
    st.availableReplicas ?? 0,
    age(d.metadata.creationTimestamp, now),
  ];
}

function namespaceRow(ns: KubeObject, now: number): unknown[] {
  return [
    ns.metadata.name,
    (ns.status as { phase?: string } | undefined)?.phase ?? 'Active',
    age(ns.metadata.creationTimestamp, now),
  ];
}

const LAYOUTS: Record<
  string,
  { columns: Column[]; row: (o: KubeObject, now: number) => unknown[] }
> = {
  pods: {
    columns: [
      nameCol,
      { name: 'Ready', type: 'string', description: 'ready containers', priority: 0 },
      { name: 'Status', type: 'string', description: 'pod status', priority: 0 },
      { name: 'Restarts', type: 'integer', description: 'restarts', priority: 0 },
      ageCol,
      { name: 'Node', type: 'string', description: 'node', priority: 1 },
    ],
    row: podRow,
  },
  nodes: {
    columns: [
      nameCol,
      { name: 'Status', type: 'string', description: 'node status', priority: 0 },
      { name: 'Roles', type: 'string', description: 'roles', priority: 0 },
      ageCol,
      { name: 'Version', type: 'string', description: 'kubelet version', priority: 0 },
    ],
    row: nodeRow,
  },
  deployments: {
    columns: [
      nameCol,
      { name: 'Ready', type: 'string', description: 'ready', priority: 0 },
      { name: 'Up-to-date', type: 'integer', description: 'updated', priority: 0 },
      { name: 'Available', type: 'integer', description: 'available', priority: 0 },
      ageCol,
    ],
    row: deploymentRow,
  },
  namespaces: {
    columns: [
      nameCol,
      { name: 'Status', type: 'string', description: 'phase', priority: 0 },
      ageCol,
    ],
    row: namespaceRow,
  },
};

export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept);
}

export function toTable(
  resource: string,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  now = Date.now(),
): Record<string, unknown> {
  const layout = LAYOUTS[resource] ?? {
    columns: [nameCol, ageCol],
    row: (o: KubeObject, t: number) => [o.metadata.name, age(o.metadata.creationTimestamp, t)],
  };
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: layout.columns,
    rows: objects.map((o) => ({
      cells: layout.row(o, now),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
