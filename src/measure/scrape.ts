/**
 * Reading a component's `/metrics` text: through the kube client's server (`requestText`), or from
 * an explicit URL with the kubeconfig's credentials (one kube-apiserver instance of an HA plane).
 * Failures carry the status so that measurements can say why they were skipped.
 */
import https from 'node:https';
import http from 'node:http';
import type { KubeApi } from '../kube/api.js';
import { KubeApiError } from '../kube/api.js';

export interface ScrapeTarget {
  /** Instance label: the URL, or `apiserver` when scraped through the client. */
  instance: string;
  url?: string;
}

export function apiserverTargets(urls: readonly string[]): ScrapeTarget[] {
  return urls.length === 0
    ? [{ instance: 'apiserver' }]
    : urls.map((url) => ({ instance: url, url }));
}

/** GETs the text of one target; throws KubeApiError (status 0 for transport failures). */
export async function scrapeText(
  kube: KubeApi,
  target: ScrapeTarget,
  timeoutMs = 30_000,
): Promise<string> {
  if (!target.url) return kube.requestText('/metrics', { timeoutMs });
  const url = new URL(target.url);
  const options: https.RequestOptions = {};
  const plain = url.protocol === 'http:';
  // Credentials only travel over TLS; a plain-http target (a local proxy) gets none.
  if (!plain) await kube.kubeConfig.applyToHTTPSOptions(options);
  const client = plain ? http : https;
  return new Promise<string>((resolve, reject) => {
    const req = client.request(
      url,
      {
        ...options,
        method: 'GET',
        headers: { ...(options.headers ?? {}), Accept: 'text/plain' },
        timeout: timeoutMs,
      },
      (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(text);
          else
            reject(
              new KubeApiError(
                'GET',
                target.url!,
                status,
                res.statusMessage ?? '',
                `HTTP ${status}: ${text.slice(0, 200)}`,
              ),
            );
        });
        res.on('error', (err) =>
          reject(new KubeApiError('GET', target.url!, 0, 'Transport', err.message, { cause: err })),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) =>
      reject(new KubeApiError('GET', target.url!, 0, 'Transport', err.message, { cause: err })),
    );
    req.end();
  });
}

/** Why a scrape failed, phrased for a `skipped` reason, with the RBAC hint when forbidden. */
export function scrapeProblem(component: string, target: ScrapeTarget, err: unknown): string {
  const where = target.url ?? `${component} /metrics through the kube client`;
  if (err instanceof KubeApiError) {
    if (err.status === 401 || err.status === 403)
      return `${where} answered HTTP ${err.status}: the credentials need RBAC "get" on the nonResourceURL /metrics (a ClusterRole rule with nonResourceURLs: ["/metrics"], verbs: ["get"])`;
    if (err.status === 0) return `${where} is unreachable: ${err.message}`;
    return `${where} answered HTTP ${err.status}: ${err.message}`;
  }
  return `${where}: ${err instanceof Error ? err.message : String(err)}`;
}
