/**
 * EMBEDDED CONTROL PLANE ONLY. The resource registry of the embedded API server: which kinds exist,
 * their group/version, whether they are namespaced and which subresources they serve.
 */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  subresources: string[];
  shortNames: string[];
  verbs: string[];
}

const ALL_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

function r(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  subresources: string[] = [],
  shortNames: string[] = [],
): ResourceInfo {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    subresources,
    shortNames,
    verbs: ALL_VERBS,
  };
}

export const RESOURCES: readonly ResourceInfo[] = [
  r('', 'v1', 'Namespace', 'namespaces', false, ['status'], ['ns']),
  r('', 'v1', 'Node', 'nodes', false, ['status'], ['no']),
  r('', 'v1', 'Pod', 'pods', true, ['status', 'binding'], ['po']),
  r('', 'v1', 'Event', 'events', true, [], ['ev']),
  r('', 'v1', 'ConfigMap', 'configmaps', true, [], ['cm']),
  r('', 'v1', 'Secret', 'secrets', true),
  r('', 'v1', 'Service', 'services', true, ['status'], ['svc']),
  r('', 'v1', 'Endpoints', 'endpoints', true, [], ['ep']),
  r('', 'v1', 'ServiceAccount', 'serviceaccounts', true, [], ['sa']),
  r('', 'v1', 'ReplicationController', 'replicationcontrollers', true, ['status', 'scale'], ['rc']),
  r('apps', 'v1', 'Deployment', 'deployments', true, ['status', 'scale'], ['deploy']),
  r('apps', 'v1', 'ReplicaSet', 'replicasets', true, ['status', 'scale'], ['rs']),
  r('apps', 'v1', 'StatefulSet', 'statefulsets', true, ['status', 'scale'], ['sts']),
  r('apps', 'v1', 'DaemonSet', 'daemonsets', true, ['status'], ['ds']),
  r('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  r('batch', 'v1', 'Job', 'jobs', true, ['status']),
  r('reliablesyncs.kubeedge.io', 'v1alpha1', 'ObjectSync', 'objectsyncs', true, ['status']),
  r('reliablesyncs.kubeedge.io', 'v1alpha1', 'ClusterObjectSync', 'clusterobjectsyncs', false, [
    'status',
  ]),
];

const byPlural = new Map(RESOURCES.map((info) => [info.plural, info]));
const byGroupPlural = new Map(RESOURCES.map((info) => [`${info.group}/${info.plural}`, info]));

export function resourceInfo(plural: string): ResourceInfo | undefined {
  return byPlural.get(plural);
}

export function resourceInfoIn(group: string, plural: string): ResourceInfo | undefined {
  return byGroupPlural.get(`${group}/${plural}`);
}

export function apiVersionOf(info: ResourceInfo): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}
