/**
 * An embedded API server (optionally with its namespace and workload controllers) and the real
 * KubeClient behind a wrapper that logs every request, so phase tests can assert the calls' order.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { EmbeddedApiServer } from '../../src/embedded/apiserver/server.js';
import { MemoryObjectStore } from '../../src/embedded/apiserver/store.js';
import { startControllers } from '../../src/embedded/controllers/index.js';
import { createCertificateAuthority, type CertificateAuthority } from '../../src/embedded/pki.js';
import type { KubeApi, KubeRequest, ServerVersion } from '../../src/kube/api.js';
import { KubeClient } from '../../src/kube/client.js';

let sharedCa: CertificateAuthority | undefined;

export class LoggingKubeApi implements KubeApi {
  readonly log: string[] = [];
  readonly kubeConfig: KubeConfig;
  readonly server: string;

  constructor(private readonly inner: KubeClient) {
    this.kubeConfig = inner.kubeConfig;
    this.server = inner.server;
  }

  request<T = unknown>(req: KubeRequest): Promise<T> {
    this.log.push(`${req.method} ${req.path}`);
    return this.inner.request<T>(req);
  }

  requestText(path: string, options?: { timeoutMs?: number }): Promise<string> {
    return this.inner.requestText(path, options);
  }

  serverVersion(): Promise<ServerVersion> {
    return this.inner.serverVersion();
  }

  close(): void {
    this.inner.close();
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
  const kube = new LoggingKubeApi(new KubeClient(kc, { qps: 0 }));
  return {
    store,
    kube,
    kubeConfig: kc,
    async close() {
      kube.close();
      controllers?.stop();
      await server.close();
      store.close();
    },
  };
}
