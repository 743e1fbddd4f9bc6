/**
 * Node counting as ClusterLoader2 does it for `.Nodes`: schedulable, Ready, network available, and
 * no NoSchedule/NoExecute taint with one of the built-in keys (custom edge taints do not count).
 */
import type { KubeApi } from './api.js';

export interface NodeLike {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean; taints?: Array<{ key?: string; effect?: string }> };
  status?: { conditions?: Array<{ type?: string; status?: string }> };
}

const BUILT_IN_TAINT_KEYS = new Set([
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.kubernetes.io/unschedulable',
  'node.kubernetes.io/memory-pressure',
  'node.kubernetes.io/disk-pressure',
  'node.kubernetes.io/network-unavailable',
  'node.kubernetes.io/pid-pressure',
  'node.kubernetes.io/out-of-service',
  'node.cloudprovider.kubernetes.io/uninitialized',
  'node.cloudprovider.kubernetes.io/shutdown',
]);

export function isReady(node: NodeLike): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isSchedulableForCl2(node: NodeLike): boolean {
  if (node.spec?.unschedulable) return false;
  if (!isReady(node)) return false;
  const conditions = node.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'NetworkUnavailable' && c.status === 'True')) return false;
  return !(node.spec?.taints ?? []).some(
    (t) =>
      (t.effect === 'NoSchedule' || t.effect === 'NoExecute') &&
      BUILT_IN_TAINT_KEYS.has(t.key ?? ''),
  );
}

/** All nodes, paged (500 per page). */
export async function listNodes(kube: KubeApi, labelSelector?: string): Promise<NodeLike[]> {
  const nodes: NodeLike[] = [];
  let token: string | undefined;
  do {
    const page = await kube.request<{ items?: NodeLike[]; metadata?: { continue?: string } }>({
      method: 'GET',
      path: '/api/v1/nodes',
      query: { limit: 500, continue: token, labelSelector },
    });
    nodes.push(...(page.items ?? []));
    token = page.metadata?.continue || undefined;
  } while (token);
  return nodes;
}

export async function countSchedulableNodes(kube: KubeApi): Promise<number> {
  return (await listNodes(kube)).filter(isSchedulableForCl2).length;
}
