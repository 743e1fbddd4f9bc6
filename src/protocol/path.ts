/**
 * Resource paths as the edge sees them: `<namespace>/<type>[/<name>]`, with the literal `null` as
 * the namespace of cluster-scoped objects (protocol.md §3.2).
 */
export const CLUSTER_SCOPE = 'null';

export interface ResourcePath {
  /** undefined for cluster-scoped objects (`null` on the wire). */
  namespace: string | undefined;
  type: string;
  name: string | undefined;
}

export function buildResourcePath(
  namespace: string | undefined,
  type: string,
  name?: string,
): string {
  const ns = namespace === undefined || namespace === '' ? CLUSTER_SCOPE : namespace;
  return name === undefined ? `${ns}/${type}` : `${ns}/${type}/${name}`;
}

/**
 * Parses `<ns>/<type>[/<name>]`. Names may not contain `/`; anything after the third segment is
 * kept in the name so that unexpected resources are still reported by their full text.
 */
export function parseResourcePath(resource: string): ResourcePath | undefined {
  const first = resource.indexOf('/');
  if (first <= 0) return undefined;
  const second = resource.indexOf('/', first + 1);
  const ns = resource.slice(0, first);
  const type = second < 0 ? resource.slice(first + 1) : resource.slice(first + 1, second);
  if (type === '') return undefined;
  const name = second < 0 ? undefined : resource.slice(second + 1);
  return {
    namespace: ns === CLUSTER_SCOPE ? undefined : ns,
    type,
    name: name === '' ? undefined : name,
  };
}

/** CloudHub's upstream prefix `node/<id>/` (the cloud side adds it; the edge never sends it). */
export function withNodePrefix(nodeId: string, resource: string): string {
  return `node/${nodeId}/${resource}`;
}
