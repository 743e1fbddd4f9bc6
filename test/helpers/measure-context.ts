/**
 * A minimal KubeApi over HTTPS with the kubeconfig's credentials (the real KubeClient lives in
 * src/kube/client.ts), and a MeasurementContext around it for measurement tests.
 */
import https from 'node:https';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import {
  KubeApiError,
  type KubeApi,
  type KubeRequest,
  type ServerVersion,
} from '../../src/kube/api.js';
import type { MeasurementContext } from '../../src/measure/types.js';

export class TestKubeApi implements KubeApi {
  readonly kubeConfig: KubeConfig;
  readonly server: string;
  requests = 0;

  constructor(kubeconfigFile: string) {
    this.kubeConfig = new KubeConfig();
    this.kubeConfig.loadFromFile(kubeconfigFile);
    this.server = this.kubeConfig.getCurrentCluster()!.server;
  }

  private async send(
    method: string,
    pathAndQuery: string,
    body?: string,
    contentType?: string,
  ): Promise<{ status: number; text: string }> {
    const options: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    this.requests++;
    return new Promise((resolve, reject) => {
      const req = https.request(
        new URL(pathAndQuery, this.server),
        {
          ...options,
          method,
          headers: {
            ...(options.headers ?? {}),
            Accept: 'application/json',
            ...(body !== undefined ? { 'Content-Type': contentType ?? 'application/json' } : {}),
          },
        },
        (res) => {
          res.setEncoding('utf8');
          let text = '';
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', (err) =>
        reject(new KubeApiError(method, pathAndQuery, 0, 'Transport', err.message)),
      );
      req.end(body);
    });
  }

  async request<T = unknown>(r: KubeRequest): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(r.query ?? {}))
      if (v !== undefined) params.set(k, String(v));
    const q = params.toString();
    const contentType =
      r.contentType ?? (r.method === 'PATCH' ? 'application/merge-patch+json' : undefined);
    const res = await this.send(
      r.method,
      q ? `${r.path}?${q}` : r.path,
      r.body === undefined ? undefined : JSON.stringify(r.body),
      contentType,
    );
    if (res.status < 200 || res.status >= 300) {
      let reason = '';
      try {
        reason = (JSON.parse(res.text) as { reason?: string }).reason ?? '';
      } catch {
        // not a Status body
      }
      throw new KubeApiError(
        r.method,
        r.path,
        res.status,
        reason,
        `HTTP ${res.status}: ${res.text.slice(0, 200)}`,
      );
    }
    return (res.text ? JSON.parse(res.text) : undefined) as T;
  }

  async requestText(p: string): Promise<string> {
    const res = await this.send('GET', p);
    if (res.status < 200 || res.status >= 300)
      throw new KubeApiError(
        'GET',
        p,
        res.status,
        '',
        `HTTP ${res.status}: ${res.text.slice(0, 200)}`,
      );
    return res.text;
  }

  serverVersion(): Promise<ServerVersion> {
    return this.request<ServerVersion>({ method: 'GET', path: '/version' });
  }
}

export async function testContext(
  kube: KubeApi,
  overrides: Partial<MeasurementContext> = {},
): Promise<MeasurementContext & { logs: string[] }> {
  const logs: string[] = [];
  const controller = new AbortController();
  return {
    kube,
    apiserverMetricsUrls: [],
    runDir: await mkdtemp(path.join(tmpdir(), 'hf-measure-')),
    now: () => Date.now(),
    monotonic: () => performance.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: (m) => logs.push(m),
    signal: controller.signal,
    logs,
    ...overrides,
  };
}
