/**
 * The one door to kube-apiserver that the scenario driver and the measurements use. The
 * implementation (`KubeClient` in ./client.ts) adds CL2's client behaviour: a QPS/burst limit per
 * client, retries with exponential backoff on the errors CL2 retries, and client-side latency per
 * (verb, resource) recorded into HDR histograms.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { HollowfleetError } from '../common/errors.js';

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface KubeRequest {
  method: HttpVerb;
  /** Absolute API path, e.g. `/api/v1/namespaces/x/pods` or `/metrics`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Defaults to application/json; PATCH defaults to application/merge-patch+json. */
  contentType?: string;
  timeoutMs?: number;
  /** Retry on CL2's retryable errors (default true). */
  retry?: boolean;
}

export interface KubeStatusBody {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

/** A non-2xx answer from kube-apiserver, or a transport failure (status 0). */
export class KubeApiError extends HollowfleetError {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('HF_KUBE_API', `${method} ${path}: ${message}`, options);
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }
  get isAlreadyExists(): boolean {
    return this.status === 409 && this.reason === 'AlreadyExists';
  }
  get isConflict(): boolean {
    return this.status === 409;
  }
  get isGone(): boolean {
    return this.status === 410;
  }
  get isForbidden(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export interface ServerVersion {
  major: string;
  minor: string;
  gitVersion: string;
}

export interface KubeApi {
  readonly kubeConfig: KubeConfig;
  /** The API server URL of the current context. */
  readonly server: string;
  /** JSON request; throws KubeApiError for non-2xx answers after retries. */
  request<T = unknown>(request: KubeRequest): Promise<T>;
  /** Plain-text GET (e.g. `/metrics`); throws KubeApiError. */
  requestText(path: string, options?: { timeoutMs?: number }): Promise<string>;
  serverVersion(): Promise<ServerVersion>;
}
