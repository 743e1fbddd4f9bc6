import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeHistogram } from '../../src/common/histogram.js';
import { EmbeddedApiServer } from '../../src/embedded/apiserver/server.js';
import { MemoryObjectStore } from '../../src/embedded/apiserver/store.js';
import { createCertificateAuthority } from '../../src/embedded/pki.js';
import { KubeApiError } from '../../src/kube/api.js';
import { describeRequest, KubeClient } from '../../src/kube/client.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function kubeconfigFor(server: string, caPem?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server,
        skipTLSVerify: server.startsWith('http:'),
        ...(caPem ? { caData: Buffer.from(caPem).toString('base64') } : {}),
      },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

async function embedded(): Promise<KubeClient> {
  const store = new MemoryObjectStore({ bookmarkIntervalMs: 0 });
  store.create('namespaces', { metadata: { name: 'k' } });
  const ca = await createCertificateAuthority();
  const server = new EmbeddedApiServer({ store, ca, tokens: new Set(['t']) });
  await server.start();
  const client = new KubeClient(kubeconfigFor(server.url, ca.certPem));
  cleanups.push(
    () => store.close(),
    () => server.close(),
    () => client.close(),
  );
  return client;
}

/** A plain-HTTP server answering from a script of [status, headers, body] entries. */
async function scripted(
  script: Array<[number, Record<string, string>, string]>,
): Promise<{ client: KubeClient; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    const [status, headers, body] = script[Math.min(hits, script.length - 1)]!;
    hits++;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const client = new KubeClient(kubeconfigFor(`http://127.0.0.1:${port}`), {
    retryInitialMs: 1,
  });
  cleanups.push(
    () => new Promise((resolve) => server.close(resolve)),
    () => client.close(),
  );
  return { client, hits: () => hits };
}

describe('describeRequest', () => {
  it('labels requests as the apiserver does', () => {
    expect(describeRequest('GET', '/api/v1/namespaces/a/pods')).toEqual({
      verb: 'LIST',
      resource: 'pods',
      subresource: '',
      scope: 'namespace',
    });
    expect(describeRequest('GET', '/api/v1/pods', { watch: true }).verb).toBe('WATCH');
    expect(describeRequest('POST', '/apis/apps/v1/namespaces/a/deployments')).toMatchObject({
      verb: 'POST',
      resource: 'deployments',
      scope: 'resource',
    });
    expect(describeRequest('PATCH', '/api/v1/nodes/n1/status')).toEqual({
      verb: 'PATCH',
      resource: 'nodes',
      subresource: 'status',
      scope: 'resource',
    });
    expect(describeRequest('GET', '/api/v1/namespaces/a')).toMatchObject({
      resource: 'namespaces',
      scope: 'resource',
    });
    expect(describeRequest('DELETE', '/api/v1/namespaces/a/pods').verb).toBe('DELETECOLLECTION');
  });
});

describe('KubeClient against the embedded API server', () => {
  it('creates, reads and reports API errors with their reason', async () => {
    const client = await embedded();
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: '1' } };
    await client.request({ method: 'POST', path: '/api/v1/namespaces/k/configmaps', body: cm });
    const read = await client.request<{ data: Record<string, string> }>({
      method: 'GET',
      path: '/api/v1/namespaces/k/configmaps/x',
    });
    expect(read.data).toEqual({ a: '1' });

    const again = await client
      .request({ method: 'POST', path: '/api/v1/namespaces/k/configmaps', body: cm })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(KubeApiError);
    expect((again as KubeApiError).isAlreadyExists).toBe(true);
    expect((again as KubeApiError).code).toBe('HF_KUBE_API');

    const missing = await client
      .request({ method: 'GET', path: '/api/v1/namespaces/k/configmaps/nope' })
      .catch((e: unknown) => e);
    expect((missing as KubeApiError).isNotFound).toBe(true);
    expect((missing as Error).message).toContain('GET /api/v1/namespaces/k/configmaps/nope');

    const version = await client.serverVersion();
    expect(version.major).toBe('1');
    expect(await client.requestText('/metrics')).toContain(
      'apiserver_request_sli_duration_seconds',
    );

    const keys = [...client.histograms().keys()].sort();
    expect(keys).toContain('POST configmaps resource');
    expect(keys).toContain('GET configmaps resource');
    expect(decodeHistogram(client.histograms().get('POST configmaps resource')!).totalCount).toBe(
      2,
    );
  });
});

describe('KubeClient retries', () => {
  it('retries 503 and 429 with backoff and then succeeds', async () => {
    const { client, hits } = await scripted([
      [503, {}, '{"reason":"ServiceUnavailable"}'],
      [429, {}, '{"reason":"TooManyRequests"}'],
      [200, {}, '{"ok":true}'],
    ]);
    expect(await client.request({ method: 'GET', path: '/api/v1/pods' })).toEqual({ ok: true });
    expect(hits()).toBe(3);
  });

  it('does not retry NotFound or a bad request', async () => {
    const { client, hits } = await scripted([[404, {}, '{"reason":"NotFound","message":"nope"}']]);
    const err = await client.request({ method: 'GET', path: '/api/v1/pods/x' }).catch((e) => e);
    expect((err as KubeApiError).isNotFound).toBe(true);
    expect(hits()).toBe(1);
  });

  it('gives up after the configured steps and names the last error', async () => {
    const { client, hits } = await scripted([
      [500, {}, '{"reason":"InternalError","message":"boom"}'],
    ]);
    const err = await client.request({ method: 'GET', path: '/api/v1/pods' }).catch((e) => e);
    expect((err as Error).message).toContain('HTTP 500 InternalError: boom');
    expect(hits()).toBe(7);
  });

  it('names the server when it is unreachable', async () => {
    const client = new KubeClient(kubeconfigFor('http://127.0.0.1:1'), { retrySteps: 0 });
    cleanups.push(() => client.close());
    const err = await client.request({ method: 'GET', path: '/version' }).catch((e) => e);
    expect((err as KubeApiError).reason).toBe('ECONNREFUSED');
    expect((err as Error).message).toContain('is the API server running');
  });
});

describe('KubeClient rate limit', () => {
  it('holds requests beyond the burst to the QPS', async () => {
    const { client } = await scripted([[200, {}, '{}']]);
    const limited = new KubeClient(client.kubeConfig, { qps: 50, burst: 2 });
    cleanups.push(() => limited.close());
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 7 }, () => limited.request({ method: 'GET', path: '/api/v1/pods' })),
    );
    // 2 immediately from the burst, then 5 more at 50/s: at least 100 ms, whatever the machine.
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
  });
});
