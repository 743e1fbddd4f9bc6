/**
 * A generic object client over KubeApi, the way CL2's dynamic client uses it
 * (pkg/framework/client/objects.go): create treats AlreadyExists as success, delete uses
 * background propagation and treats NotFound as success, patch is a GET then a JSON merge patch.
 * apiVersion/kind → resource path comes from API discovery (once per group-version, cached), with
 * Go's lower-case plural rules as the fallback when discovery does not know the kind.
 */
import { HollowfleetError } from '../common/errors.js';
import { KubeApiError, type KubeApi } from '../kube/api.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface ResourceMapping {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** True when the mapping was guessed (discovery did not list the kind). */
  guessed: boolean;
}

/** A request the object client could not complete; wraps the KubeApiError. */
export class ObjectOperationError extends HollowfleetError {
  constructor(
    readonly operation: 'create' | 'get' | 'patch' | 'delete' | 'list',
    readonly target: string,
    cause: unknown,
  ) {
    super(
      'HF_OBJECT',
      `${operation} ${target}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);
const PLURAL_EXCEPTIONS: Record<string, string> = { Endpoints: 'endpoints' };

/** gengo's all-lower-case plural namer, the rule CL2 relies on to name resources. */
export function pluralOfKind(kind: string): string {
  const exception = PLURAL_EXCEPTIONS[kind];
  if (exception) return exception;
  const s = kind;
  if (s.length < 2) return s.toLowerCase();
  const last = s[s.length - 1]!;
  const before = s[s.length - 2]!.toLowerCase();
  let plural: string;
  if (last === 's' || last === 'x' || last === 'z') plural = `${s}es`;
  else if (last === 'y')
    plural = VOWELS.has(before) || before === 'y' ? `${s}s` : `${s.slice(0, -1)}ies`;
  else if (last === 'h') plural = before === 'c' || before === 's' ? `${s}es` : `${s}s`;
  else if (last === 'e' && before === 'f') plural = `${s.slice(0, -2)}ves`;
  else if (last === 'f') plural = `${s.slice(0, -1)}ves`;
  else plural = `${s}s`;
  return plural.toLowerCase();
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

interface DiscoveredResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  /** Ignored for cluster-scoped kinds. */
  namespace?: string;
  name: string;
}

function describeRef(ref: ObjectRef): string {
  const ns = ref.namespace ? `${ref.namespace}/` : '';
  return `${ref.kind} ${ns}${ref.name}`;
}

export class ObjectClient {
  private readonly discovery = new Map<string, Promise<Map<string, DiscoveredResource>>>();

  constructor(readonly kube: KubeApi) {}

  private discover(apiVersion: string): Promise<Map<string, DiscoveredResource>> {
    let cached = this.discovery.get(apiVersion);
    if (!cached) {
      const { group } = splitApiVersion(apiVersion);
      const path = group === '' ? `/api/${apiVersion}` : `/apis/${apiVersion}`;
      cached = this.kube
        .request<{ resources?: DiscoveredResource[] }>({ method: 'GET', path })
        .then(
          (list) => {
            const byKind = new Map<string, DiscoveredResource>();
            for (const r of list.resources ?? []) if (!r.name.includes('/')) byKind.set(r.kind, r);
            return byKind;
          },
          (err: unknown) => {
            // An unknown group-version is not fatal here: fall back to the plural rules.
            if (err instanceof KubeApiError && err.isNotFound)
              return new Map<string, DiscoveredResource>();
            this.discovery.delete(apiVersion);
            throw err;
          },
        );
      this.discovery.set(apiVersion, cached);
    }
    return cached;
  }

  async resource(apiVersion: string, kind: string): Promise<ResourceMapping> {
    const { group, version } = splitApiVersion(apiVersion);
    const found = (await this.discover(apiVersion)).get(kind);
    if (found)
      return {
        group,
        version,
        kind,
        plural: found.name,
        namespaced: found.namespaced,
        guessed: false,
      };
    return { group, version, kind, plural: pluralOfKind(kind), namespaced: true, guessed: true };
  }

  private async collectionPath(ref: Omit<ObjectRef, 'name'>): Promise<string> {
    const m = await this.resource(ref.apiVersion, ref.kind);
    const root = m.group === '' ? `/api/${m.version}` : `/apis/${m.group}/${m.version}`;
    const ns =
      m.namespaced && ref.namespace ? `/namespaces/${encodeURIComponent(ref.namespace)}` : '';
    return `${root}${ns}/${m.plural}`;
  }

  async objectPath(ref: ObjectRef): Promise<string> {
    return `${await this.collectionPath(ref)}/${encodeURIComponent(ref.name)}`;
  }

  async isNamespaced(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.resource(apiVersion, kind)).namespaced;
  }

  /** Creates the object under `name` in `namespace`; AlreadyExists counts as success. */
  async create(object: KubeObject, namespace: string, name: string): Promise<void> {
    const ref = refOf(object, namespace, name);
    const namespaced = await this.isNamespaced(ref.apiVersion, ref.kind);
    const body: KubeObject = {
      ...object,
      metadata: {
        ...(object.metadata ?? {}),
        name,
        ...(namespaced && namespace ? { namespace } : {}),
      },
    };
    if (!namespaced && body.metadata) delete body.metadata.namespace;
    try {
      await this.kube.request({ method: 'POST', path: await this.collectionPath(ref), body });
    } catch (err) {
      if (err instanceof KubeApiError && err.isAlreadyExists) return;
      throw new ObjectOperationError('create', describeRef(ref), err);
    }
  }

  async get(ref: ObjectRef): Promise<KubeObject> {
    try {
      return await this.kube.request<KubeObject>({
        method: 'GET',
        path: await this.objectPath(ref),
      });
    } catch (err) {
      throw new ObjectOperationError('get', describeRef(ref), err);
    }
  }

  /**
   * CL2's PatchObject: GET the live object, then send the fields of `object` that differ from it
   * as a JSON merge patch (a three-way diff with no original: nothing is ever removed).
   */
  async patch(object: KubeObject, namespace: string, name: string): Promise<void> {
    const ref = refOf(object, namespace, name);
    const desired: KubeObject = {
      ...object,
      metadata: { ...(object.metadata ?? {}), name },
    };
    const current = await this.get(ref);
    // CL2 sends the patch even when it is empty: the API call is part of the load.
    const patch = mergePatchFromCurrent(current, desired) ?? {};
    try {
      await this.kube.request({
        method: 'PATCH',
        path: await this.objectPath(ref),
        body: patch,
        contentType: 'application/merge-patch+json',
      });
    } catch (err) {
      throw new ObjectOperationError('patch', describeRef(ref), err);
    }
  }

  /** Deletes with background propagation; NotFound counts as success. */
  async delete(ref: ObjectRef): Promise<void> {
    try {
      await this.kube.request({
        method: 'DELETE',
        path: await this.objectPath(ref),
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
        query: { propagationPolicy: 'Background' },
      });
    } catch (err) {
      if (err instanceof KubeApiError && err.isNotFound) return;
      throw new ObjectOperationError('delete', describeRef(ref), err);
    }
  }

  async list(
    ref: Omit<ObjectRef, 'name'>,
    options: { labelSelector?: string } = {},
  ): Promise<KubeObject[]> {
    try {
      const items: KubeObject[] = [];
      let continueToken: string | undefined;
      for (let page = 0; page < 100_000; page++) {
        const answer = await this.kube.request<{
          items?: KubeObject[];
          metadata?: { continue?: string };
        }>({
          method: 'GET',
          path: await this.collectionPath(ref),
          query: {
            labelSelector: options.labelSelector || undefined,
            limit: 500,
            continue: continueToken,
          },
        });
        items.push(...(answer.items ?? []));
        continueToken = answer.metadata?.continue || undefined;
        if (!continueToken) break;
      }
      return items;
    } catch (err) {
      throw new ObjectOperationError('list', `${ref.kind} ${ref.namespace ?? ''}`.trim(), err);
    }
  }
}

function refOf(object: KubeObject, namespace: string, name: string): ObjectRef {
  return {
    apiVersion: object.apiVersion ?? '',
    kind: object.kind ?? '',
    namespace,
    name,
  };
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The additions and changes that turn `current` into `desired`, as a JSON merge patch; lists are
 * replaced whole. Undefined when nothing differs.
 */
export function mergePatchFromCurrent(current: unknown, desired: unknown): unknown {
  if (isMap(current) && isMap(desired)) {
    const patch: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(desired)) {
      const sub = key in current ? mergePatchFromCurrent(current[key], value) : value;
      if (sub !== undefined) patch[key] = sub;
    }
    return Object.keys(patch).length > 0 ? patch : undefined;
  }
  return deepEqual(current, desired) ? undefined : desired;
}
