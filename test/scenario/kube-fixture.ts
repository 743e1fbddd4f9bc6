/**
 * An embedded API server (with the namespace and workload controllers) and a minimal KubeApi over
 * HTTPS that logs every request, so phase tests can assert the calls' order.
 */
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { EmbeddedApiServer } from '../../src/embedded/apiserver/server.js';
import { MemoryObjectStore } from '../../src/embedded/apiserver/store.js';
import { startControllers } from '../../src/embedded/controllers/index.js';
import { createCertificateAuthority, type CertificateAuthority } from '../../src/embedded/pki.js';
import {
  KubeApiError,
  type KubeApi,
  type KubeRequest,
  type KubeStatusBody,
  type ServerVersion,
} from '../../src/kube/api.js';

let sharedCa: CertificateAuthority | undefined;

export class LoggingKubeApi implements KubeApi {
  readonly log: string[] = [];
  readonly server: string;
  private options: https.RequestOptions | undefined;

  constructor(readonly kubeConfig: KubeConfig) {
    this.server = kubeConfig.getCurrentCluster()!.server;
  }

  async request<T = unknown>(req: KubeRequest): Promise<T> {
    this.options ??= await (async () => {
      const o: https.RequestOptions = {};
      await this.kubeConfig.applyToHTTPSOptions(o);
      return o;
    })();
    const url = new URL(req.path, this.server);
    for (const [k, v] of Object.entries(req.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    this.log.push(`${req.method} ${req.path}`);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const contentType =
      req.contentType ??
      (req.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json');
    const { status, text } = await new Promise<{ status: number; text: string }>(
      (resolve, reject) => {
        const r = https.request(
          url,
          {
            ...this.options,
            method: req.method,
            headers: {
              ...(this.options?.headers ?? {}),
              Accept: 'application/json',
              ...(body
                ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) }
                : {}),
            },
          },
          (res) => {
            let t = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (t += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: t }));
          },
        );
        r.on('error', reject);
        r.end(body);
      },
    );
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (status < 200 || status >= 300) {
      const s = (parsed ?? {}) as KubeStatusBody;
      throw new KubeApiError(req.method, req.path, status, s.reason ?? '', s.message ?? text);
    }
    return parsed as T;
  }

  async requestText(path: string): Promise<string> {
    return String(await this.request({ method: 'GET', path }));
  }

  async serverVersion(): Promise<ServerVersion> {
    return this.request<ServerVersion>({ method: 'GET', path: '/version' });
  }
}

export interface ApiFixture {
  store: MemoryObjectStore;
  kube: LoggingKubeApi;
  kubeConfig: KubeConfig;
  close(): Promise<void>;
}

export async function startApiFixture(
  options: { controllers?: boolean } = {},
): Promise<ApiFixture> {
  const store = new MemoryObjectStore({ bookmarkIntervalMs: 0 });
  const controllers = options.controllers ? startControllers(store) : undefined;
  for (const ns of ['default', 'kube-system'])
    if (!store.tryGet('namespaces', undefined, ns))
      store.create('namespaces', { metadata: { name: ns } });
  sharedCa ??= await createCertificateAuthority();
  const server = new EmbeddedApiServer({ store, ca: sharedCa, tokens: new Set(['t']) });
  await server.start();
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'c', server: server.url, caData: Buffer.from(sharedCa.certPem).toString('base64') },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return {
    store,
    kube: new LoggingKubeApi(kc),
    kubeConfig: kc,
    async close() {
      controllers?.stop();
      await server.close();
      store.close();
    },
  };
}
