/**
 * A paged LIST followed by a raw WATCH, resumed from the last resourceVersion seen (bookmarks
 * included) and relisted on 410 Gone — instead of @kubernetes/client-node's informer cache, whose
 * list handling is quadratic around 100k objects (kubernetes-client/javascript#1961). Events are
 * handed over with the time they were received, before any other work.
 */
import https from 'node:https';
import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { HollowfleetError } from '../common/errors.js';

export interface WatchedObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
  [key: string]: unknown;
}

export type ListWatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface ListWatchOptions {
  /** Collection path, e.g. `/api/v1/pods` or `/api/v1/namespaces/x/pods`. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  pageSize?: number;
  /** Called for every object of the initial list (as ADDED) and every watch event. */
  onEvent(type: ListWatchEventType, object: WatchedObject, receivedAt: number): void;
  /** Called once the initial list is complete. */
  onSynced?(): void;
  /** Called for failures that the loop recovers from (reconnects, relists). */
  onError?(error: HollowfleetError): void;
  now?: () => number;
}

export class ListWatchError extends HollowfleetError {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super('HF_LIST_WATCH', message);
  }
}

interface Response {
  status: number;
  body: IncomingMessage;
}

export class ListWatch {
  private resourceVersion = '';
  private stopped = false;
  private current: IncomingMessage | undefined;
  /** The request waiting for its response headers; stop() must cut it too, or it outlives us. */
  private pending: http.ClientRequest | undefined;
  private requestOptions: https.RequestOptions | undefined;
  private readonly server: string;
  private readonly now: () => number;
  relists = 0;

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: ListWatchOptions,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new ListWatchError('the kubeconfig has no current cluster');
    this.server = cluster.server;
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
  }

  /** Lists, then watches until stop(); resolves when the initial list is delivered. */
  async start(): Promise<void> {
    this.requestOptions = {};
    await this.kc.applyToHTTPSOptions(this.requestOptions);
    await this.list();
    this.options.onSynced?.();
    void this.watchLoop();
  }

  stop(): void {
    this.stopped = true;
    this.pending?.destroy();
    this.current?.destroy();
  }

  private query(extra: Record<string, string>): string {
    const params = new URLSearchParams();
    if (this.options.labelSelector) params.set('labelSelector', this.options.labelSelector);
    if (this.options.fieldSelector) params.set('fieldSelector', this.options.fieldSelector);
    for (const [k, v] of Object.entries(extra)) params.set(k, v);
    return `${this.options.path}?${params.toString()}`;
  }

  private get(pathAndQuery: string): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(pathAndQuery, this.server),
        {
          ...this.requestOptions,
          method: 'GET',
          headers: { ...(this.requestOptions?.headers ?? {}), Accept: 'application/json' },
        },
        (res) => {
          this.pending = undefined;
          // Stopped while the request was on its way: drop the answer, keep no socket open.
          if (this.stopped) {
            res.destroy();
            reject(new ListWatchError(`GET ${this.options.path}: stopped`));
            return;
          }
          resolve({ status: res.statusCode ?? 0, body: res });
        },
      );
      this.pending = req;
      req.on('error', (err) =>
        reject(new ListWatchError(`GET ${this.server}${this.options.path}: ${err.message}`)),
      );
      req.end();
    });
  }

  private async readAll(res: IncomingMessage): Promise<string> {
    res.setEncoding('utf8');
    let text = '';
    for await (const chunk of res) text += chunk as string;
    return text;
  }

  private async list(): Promise<void> {
    let token: string | undefined;
    do {
      const res = await this.get(
        this.query({
          limit: String(this.options.pageSize ?? 500),
          ...(token ? { continue: token } : {}),
        }),
      );
      const text = await this.readAll(res.body);
      const receivedAt = this.now();
      if (res.status !== 200)
        throw new ListWatchError(
          `LIST ${this.options.path} answered HTTP ${res.status}: ${text.slice(0, 300)}`,
          res.status,
        );
      const list = JSON.parse(text) as {
        metadata?: { resourceVersion?: string; continue?: string };
        items?: WatchedObject[];
      };
      for (const item of list.items ?? []) this.options.onEvent('ADDED', item, receivedAt);
      this.resourceVersion = list.metadata?.resourceVersion ?? this.resourceVersion;
      token = list.metadata?.continue || undefined;
    } while (token && !this.stopped);
  }

  private async watchLoop(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      try {
        const expired = await this.watchOnce();
        backoff = 100;
        if (expired && !this.stopped) {
          this.relists++;
          await this.list();
        }
      } catch (err) {
        if (this.stopped) return;
        this.options.onError?.(
          err instanceof HollowfleetError ? err : new ListWatchError(String(err)),
        );
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  /** One watch request; resolves true when the server said the resourceVersion is too old. */
  private async watchOnce(): Promise<boolean> {
    const res = await this.get(
      this.query({
        watch: 'true',
        allowWatchBookmarks: 'true',
        resourceVersion: this.resourceVersion,
      }),
    );
    if (res.status === 410) return true;
    if (res.status !== 200) {
      const text = await this.readAll(res.body);
      throw new ListWatchError(
        `WATCH ${this.options.path} answered HTTP ${res.status}: ${text.slice(0, 300)}`,
        res.status,
      );
    }
    this.current = res.body;
    let buffer = '';
    let expired = false;
    res.body.setEncoding('utf8');
    for await (const chunk of res.body) {
      const receivedAt = this.now();
      buffer += chunk as string;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        newline = buffer.indexOf('\n');
        if (line === '') continue;
        const event = JSON.parse(line) as {
          type: string;
          object: WatchedObject & { code?: number };
        };
        if (event.type === 'ERROR') {
          if (event.object.code === 410) expired = true;
          else
            throw new ListWatchError(
              `WATCH ${this.options.path}: ${JSON.stringify(event.object).slice(0, 300)}`,
              event.object.code,
            );
          continue;
        }
        const rv = event.object.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        this.options.onEvent(event.type as ListWatchEventType, event.object, receivedAt);
      }
    }
    this.current = undefined;
    return expired;
  }
}
