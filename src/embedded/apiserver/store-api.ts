/**
 * EMBEDDED CONTROL PLANE ONLY. The in-process contract of the embedded API server's object store.
 * The HTTP API server, the controllers and the embedded CloudCore-compatible hub all go through it,
 * the way kube-apiserver, kube-controller-manager and CloudCore all go through etcd and the API.
 * Calls are synchronous: the store lives in the same event loop as its callers.
 *
 * Resources are named by their plural (`pods`, `nodes`, `leases`, `deployments`, …). Failures throw
 * `ApiStatusError` carrying a Kubernetes `Status` with the real reason and code.
 */

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [key: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: Array<{ reason?: string; message?: string; field?: string }>;
    retryAfterSeconds?: number;
  };
  code: number;
}

export class ApiStatusError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message);
    this.name = 'ApiStatusError';
    this.status = status;
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): string {
    return this.status.reason;
  }
}

export type PatchType = 'merge' | 'strategic' | 'json';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Deliver events after this version; throws 410 Gone (`Expired`) when it is too old. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
}

export interface Watch {
  stop(): void;
}

export interface ObjectStore {
  /** Current value of the one monotonic resourceVersion counter. */
  currentResourceVersion(): string;
  create(
    resource: string,
    obj: KubeObject,
    options?: { subresource?: string; dryRun?: boolean },
  ): KubeObject;
  get(resource: string, namespace: string | undefined, name: string): KubeObject;
  /** Like get, but undefined instead of a NotFound error. */
  tryGet(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: string, options?: ListOptions): ListResult;
  update(resource: string, obj: KubeObject, options?: { subresource?: string }): KubeObject;
  patch(
    resource: string,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options?: { subresource?: string },
  ): KubeObject;
  /** Returns the object as it is after the call: with deletionTimestamp set, or as it was when removed. */
  delete(
    resource: string,
    namespace: string | undefined,
    name: string,
    options?: DeleteOptions,
  ): KubeObject;
  watch(resource: string, options: WatchOptions, onEvent: (event: WatchEvent) => void): Watch;
}
