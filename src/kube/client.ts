/**
 * KubeApi over node:https with ClusterLoader2's client behaviour: a token-bucket QPS/burst limit per
 * client (CL2: 100 QPS, burst 200), retries with exponential backoff (100 ms, ×3, 6 steps, no
 * jitter) on the errors CL2 retries, and every request timed per (verb, resource, scope) into HDR
 * histograms — the client-side API latency, useful where `/metrics` is out of reach.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  createHistogram,
  encodeHistogram,
  recordMs,
  type EncodedHistogram,
  type Histogram,
} from '../common/histogram.js';
import { sleep } from '../common/sleep.js';
import { KubeApiError } from './api.js';
import type { KubeApi, KubeRequest, KubeStatusBody, ServerVersion } from './api.js';

export interface KubeClientOptions {
  /** Sustained requests per second (CL2 default 100). 0 disables the limit. */
  qps?: number;
  /** Bucket size (CL2 default 200). */
  burst?: number;
  /** Per-request timeout when the request does not name one (default 60 s). */
  timeoutMs?: number;
  /** Backoff steps after the first attempt (CL2: 6). */
  retrySteps?: number;
  /** First backoff delay (CL2: 100 ms); multiplied by 3 each step. */
  retryInitialMs?: number;
  /** Abort pending and future requests (Ctrl-C). */
  signal?: AbortSignal;
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
]);

/** Token bucket that hands out start slots in order; callers await their slot. */
class RateLimiter {
  private tokens: number;
  private last = performance.now();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly qps: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): Promise<void> {
    if (this.qps <= 0) return Promise.resolve();
    const slot = this.queue.then(async () => {
      const now = performance.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
      this.last = now;
      if (this.tokens < 1) {
        const waitMs = ((1 - this.tokens) / this.qps) * 1000;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        this.tokens = 1;
        this.last = performance.now();
      }
      this.tokens -= 1;
    });
    this.queue = slot;
    return slot;
  }
}

/** Where a request lands in the apiserver's own labels: verb, resource[/subresource], scope. */
export function describeRequest(
  method: string,
  path: string,
  query?: KubeRequest['query'],
): { verb: string; resource: string; subresource: string; scope: string } {
  const parts = path.split('/').filter((p) => p !== '');
  // /api/v1/... or /apis/<group>/<version>/...
  let rest: string[];
  if (parts[0] === 'api') rest = parts.slice(2);
  else if (parts[0] === 'apis') rest = parts.slice(3);
  else return { verb: method, resource: path, subresource: '', scope: 'cluster' };
  let namespaced = false;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespaced = true;
    rest = rest.slice(2);
  }
  const resource = rest[0] ?? (namespaced ? 'namespaces' : '');
  const name = rest[1];
  const subresource = rest[2] ?? '';
  const watch = query?.watch === true || query?.watch === 'true' || query?.watch === '1';
  let verb: string = method;
  if (method === 'GET') verb = watch ? 'WATCH' : name ? 'GET' : 'LIST';
  else if (method === 'DELETE' && !name) verb = 'DELETECOLLECTION';
  const scope =
    name !== undefined || method === 'POST' ? 'resource' : namespaced ? 'namespace' : 'cluster';
  return { verb, resource, subresource, scope };
}

export class KubeClient implements KubeApi {
  readonly server: string;
  private readonly limiter: RateLimiter;
  private readonly latency = new Map<string, Histogram>();
  private requestOptions: https.RequestOptions | undefined;
  private prepared: Promise<https.RequestOptions> | undefined;
  private version: Promise<ServerVersion> | undefined;
  private readonly agent: http.Agent;
  private readonly usesProxy: boolean;
  private readonly timeoutMs: number;
  private readonly retrySteps: number;
  private readonly retryInitialMs: number;
  /** Requests repeated after a retryable failure (CL2's policy), over the client's life. */
  retries = 0;

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly options: KubeClientOptions = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster)
      throw new KubeApiError(
        'GET',
        '/',
        0,
        'NoCluster',
        'the kubeconfig has no current cluster; set current-context or pass --context',
      );
    this.server = cluster.server.replace(/\/+$/, '');
    this.usesProxy = Boolean(cluster.proxyUrl);
    this.limiter = new RateLimiter(options.qps ?? 100, options.burst ?? 200);
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.retrySteps = options.retrySteps ?? 6;
    this.retryInitialMs = options.retryInitialMs ?? 100;
    const isHttps = this.server.startsWith('https:');
    this.agent = isHttps
      ? new https.Agent({ keepAlive: true, maxSockets: 64 })
      : new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  /** Client-side latency per `VERB resource[/subresource] scope`. */
  histograms(): ReadonlyMap<string, EncodedHistogram> {
    const out = new Map<string, EncodedHistogram>();
    for (const [key, histogram] of this.latency) out.set(key, encodeHistogram(histogram));
    return out;
  }

  close(): void {
    this.agent.destroy();
  }

  async request<T = unknown>(request: KubeRequest): Promise<T> {
    const text = await this.send(request, 'application/json');
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new KubeApiError(
        request.method,
        request.path,
        200,
        'BadResponse',
        `the answer is not JSON (${text.slice(0, 120)})`,
        { cause: err },
      );
    }
  }

  requestText(path: string, options: { timeoutMs?: number } = {}): Promise<string> {
    return this.send(
      { method: 'GET', path, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) },
      'text/plain',
    );
  }

  serverVersion(): Promise<ServerVersion> {
    this.version ??= this.request<ServerVersion>({ method: 'GET', path: '/version' }).catch(
      (err: unknown) => {
        this.version = undefined;
        throw err;
      },
    );
    return this.version;
  }

  private baseOptions(): Promise<https.RequestOptions> {
    this.prepared ??= (async () => {
      const options: https.RequestOptions = {};
      await this.kubeConfig.applyToHTTPSOptions(options);
      this.requestOptions = options;
      return options;
    })();
    return this.prepared;
  }

  private async send(request: KubeRequest, accept: string): Promise<string> {
    const retry = request.retry ?? true;
    let delay = this.retryInitialMs;
    for (let attempt = 0; ; attempt++) {
      this.options.signal?.throwIfAborted();
      await this.limiter.take();
      try {
        return await this.once(request, accept);
      } catch (err) {
        if (!retry || attempt >= this.retrySteps || !isRetryable(err)) throw err;
        this.retries++;
        const retryAfter = err instanceof RetryableStatus ? err.retryAfterMs : undefined;
        await sleep(retryAfter ?? delay, this.options.signal);
        delay *= 3;
      }
    }
  }

  private async once(request: KubeRequest, accept: string): Promise<string> {
    const base = this.requestOptions ?? (await this.baseOptions());
    const url = new URL(this.server + request.path);
    for (const [key, value] of Object.entries(request.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const body =
      request.body === undefined
        ? undefined
        : typeof request.body === 'string'
          ? request.body
          : JSON.stringify(request.body);
    const contentType =
      request.contentType ??
      (request.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json');
    const headers: Record<string, string | number> = {
      ...(base.headers as Record<string, string> | undefined),
      Accept: accept,
      'User-Agent': 'hollowfleet',
    };
    if (body !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const key = latencyKey(request);
    const started = performance.now();
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<string>((resolve, reject) => {
      const req = transport.request(
        url,
        {
          ...base,
          // Keep client-node's agent only when it is a proxy agent; otherwise pool connections.
          agent: this.usesProxy ? base.agent : this.agent,
          method: request.method,
          headers,
          timeout: request.timeoutMs ?? this.timeoutMs,
          ...(this.options.signal ? { signal: this.options.signal } : {}),
        },
        (res) => {
          res.setEncoding('utf8');
          let text = '';
          res.on('data', (chunk: string) => (text += chunk));
          res.on('error', (err) => reject(transportError(request, err)));
          res.on('end', () => {
            this.record(key, performance.now() - started);
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(text);
            reject(statusError(request, status, text, res.headers['retry-after']));
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(
          Object.assign(new Error(`no answer within ${request.timeoutMs ?? this.timeoutMs} ms`), {
            code: 'ETIMEDOUT',
          }),
        ),
      );
      req.on('error', (err) => reject(transportError(request, err)));
      req.end(body);
    });
  }

  private record(key: string, ms: number): void {
    let histogram = this.latency.get(key);
    if (!histogram) {
      histogram = createHistogram();
      this.latency.set(key, histogram);
    }
    recordMs(histogram, ms);
  }
}

function latencyKey(request: KubeRequest): string {
  const { verb, resource, subresource, scope } = describeRequest(
    request.method,
    request.path,
    request.query,
  );
  return `${verb} ${subresource ? `${resource}/${subresource}` : resource} ${scope}`;
}

/** A retryable HTTP answer (429, 5xx timeouts, Retry-After); carries the status error. */
class RetryableStatus extends KubeApiError {
  retryAfterMs: number | undefined;
}

function statusError(
  request: KubeRequest,
  status: number,
  text: string,
  retryAfter: string | undefined,
): KubeApiError {
  let body: KubeStatusBody = {};
  try {
    body = JSON.parse(text) as KubeStatusBody;
  } catch {
    body = { message: text.slice(0, 300) };
  }
  const reason = body.reason ?? `HTTP${status}`;
  const message = `HTTP ${status} ${reason}: ${body.message ?? ''}`.trim();
  const retryAfterSeconds = retryAfter === undefined ? NaN : Number(retryAfter);
  const retryable =
    status === 429 ||
    status === 500 ||
    status === 503 ||
    status === 504 ||
    status === 401 ||
    reason === 'ServerTimeout' ||
    reason === 'Timeout' ||
    (status === 409 && /resource ?quota/i.test(body.message ?? '')) ||
    Number.isFinite(retryAfterSeconds);
  if (!retryable) return new KubeApiError(request.method, request.path, status, reason, message);
  const err = new RetryableStatus(request.method, request.path, status, reason, message);
  err.retryAfterMs = Number.isFinite(retryAfterSeconds)
    ? Math.min(retryAfterSeconds, 60) * 1000
    : undefined;
  return err;
}

class TransportError extends KubeApiError {}

function transportError(request: KubeRequest, err: Error): KubeApiError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (err.name === 'AbortError')
    return new KubeApiError(request.method, request.path, 0, 'Aborted', 'aborted', { cause: err });
  const hint =
    code === 'ECONNREFUSED'
      ? ' (is the API server running and is the kubeconfig server URL right?)'
      : code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
        ? ' (the server certificate is not signed by the kubeconfig certificate-authority)'
        : '';
  const Class = TRANSIENT_CODES.has(code) ? TransportError : KubeApiError;
  return new Class(
    request.method,
    request.path,
    0,
    code || 'TransportError',
    `${err.message}${hint}`,
    {
      cause: err,
    },
  );
}

function isRetryable(err: unknown): boolean {
  return err instanceof RetryableStatus || err instanceof TransportError;
}
