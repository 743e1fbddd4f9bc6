/**
 * EMBEDDED CONTROL PLANE ONLY. The three patch formats of kube-apiserver: JSON merge patch
 * (RFC 7386), strategic merge patch for the fields the harness and the hub use, and JSON patch
 * (RFC 6902).
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class PatchError extends Error {
  constructor(
    message: string,
    readonly kind: 'invalid' | 'test-failed' = 'invalid',
  ) {
    super(message);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = jsonMergePatch(result[key], value);
  }
  return result;
}

/**
 * Merge keys of the lists that Kubernetes merges by key (patchStrategy=merge). Lists not named here
 * are replaced atomically, as they are in the API types (containerStatuses, taints, …).
 */
const MERGE_KEYS: Record<string, string> = {
  conditions: 'type',
  addresses: 'type',
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  env: 'name',
  ownerReferences: 'uid',
  imagePullSecrets: 'name',
  tolerations: '',
  ports: 'containerPort',
  podIPs: 'ip',
  hostIPs: 'ip',
};
const SET_LISTS = new Set(['finalizers']);

export function strategicMergePatch(target: unknown, patch: unknown, fieldName = ''): unknown {
  if (!isObject(patch)) {
    if (Array.isArray(patch)) return mergeList(target, patch, fieldName);
    return structuredClone(patch);
  }
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue; // directives ($patch, $retainKeys, $setElementOrder) are not supported
    if (value === null) delete result[key];
    else result[key] = strategicMergePatch(result[key], value, key);
  }
  return result;
}

function mergeList(target: unknown, patch: unknown[], fieldName: string): unknown {
  if (SET_LISTS.has(fieldName)) {
    const existing = Array.isArray(target) ? target : [];
    const merged = [...existing];
    for (const item of patch) if (!merged.includes(item)) merged.push(item);
    return merged;
  }
  const key = MERGE_KEYS[fieldName];
  if (!key || !Array.isArray(target)) return structuredClone(patch);
  const merged: unknown[] = target.map((item) => item);
  const indexByKey = new Map<unknown, number>();
  merged.forEach((item, i) => {
    if (isObject(item)) indexByKey.set(item[key], i);
  });
  for (const item of patch) {
    if (!isObject(item)) continue;
    if (item.$patch === 'delete') {
      const i = indexByKey.get(item[key]);
      if (i !== undefined) merged[i] = undefined;
      continue;
    }
    const i = indexByKey.get(item[key]);
    if (i === undefined) {
      indexByKey.set(item[key], merged.length);
      merged.push(structuredClone(item));
    } else {
      merged[i] = strategicMergePatch(merged[i], item);
    }
  }
  return merged.filter((item) => item !== undefined);
}

interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(doc: unknown, tokens: string[]): unknown {
  let current = doc;
  for (const token of tokens) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isObject(current)) current = current[token];
    else return undefined;
  }
  return current;
}

function parentOf(doc: unknown, tokens: string[], path: string): { parent: unknown; last: string } {
  if (tokens.length === 0) throw new PatchError(`cannot operate on the document root at "${path}"`);
  const parent = getAt(doc, tokens.slice(0, -1));
  if (parent === undefined || parent === null || typeof parent !== 'object') {
    throw new PatchError(`doc is missing path: "${path}"`);
  }
  return { parent, last: tokens[tokens.length - 1]! };
}

function addAt(doc: unknown, path: string, value: unknown): void {
  const { parent, last } = parentOf(doc, parsePointer(path), path);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length)
      throw new PatchError(`index out of range at "${path}"`);
    parent.splice(index, 0, value);
  } else (parent as Record<string, unknown>)[last] = value;
}

function removeAt(doc: unknown, path: string): unknown {
  const { parent, last } = parentOf(doc, parsePointer(path), path);
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!Number.isInteger(index) || index < 0 || index >= parent.length)
      throw new PatchError(`index out of range at "${path}"`);
    return parent.splice(index, 1)[0];
  }
  const record = parent as Record<string, unknown>;
  if (!(last in record))
    throw new PatchError(`unable to remove nonexistent key: ${last}: missing value`);
  const old = record[last];
  delete record[last];
  return old;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations');
  const doc = structuredClone(target);
  for (const raw of ops as JsonPatchOp[]) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new PatchError('each JSON patch operation needs "op" and "path"');
    }
    switch (raw.op) {
      case 'add':
        addAt(doc, raw.path, structuredClone(raw.value));
        break;
      case 'remove':
        removeAt(doc, raw.path);
        break;
      case 'replace':
        removeAt(doc, raw.path);
        addAt(doc, raw.path, structuredClone(raw.value));
        break;
      case 'move': {
        const value = removeAt(doc, raw.from ?? '');
        addAt(doc, raw.path, value);
        break;
      }
      case 'copy':
        addAt(doc, raw.path, structuredClone(getAt(doc, parsePointer(raw.from ?? ''))));
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, parsePointer(raw.path))) !== JSON.stringify(raw.value)) {
          throw new PatchError(`testing value ${raw.path} failed`, 'test-failed');
        }
        break;
      default:
        throw new PatchError(`unexpected JSON patch operation "${raw.op}"`);
    }
  }
  return doc;
}

export type { Json };
