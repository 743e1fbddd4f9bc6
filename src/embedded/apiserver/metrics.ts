/**
 * EMBEDDED CONTROL PLANE ONLY. kube-apiserver's request histograms, with the real names, labels and
 * bucket edges (k8s.io/apiserver/pkg/endpoints/metrics), so the API-latency measurement reads the
 * embedded server exactly as it reads a real one.
 */
import { Counter, Histogram, Registry } from 'prom-client';

export const REQUEST_DURATION_BUCKETS = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45,
  60,
];
export const SLI_DURATION_BUCKETS = [
  0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
];

export interface RequestLabels {
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
  code: number;
}

export class ApiServerMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<string>;
  private readonly sli: Histogram<string>;
  private readonly total: Counter<string>;

  constructor() {
    this.duration = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: [
        'verb',
        'dry_run',
        'group',
        'version',
        'resource',
        'subresource',
        'scope',
        'component',
      ],
      buckets: REQUEST_DURATION_BUCKETS,
      registers: [this.registry],
    });
    this.sli = new Histogram({
      name: 'apiserver_request_sli_duration_seconds',
      help: 'Response latency distribution (not counting webhook duration and priority & fairness queue wait times) in seconds for each verb, group, version, resource, subresource, scope and component.',
      labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'],
      buckets: SLI_DURATION_BUCKETS,
      registers: [this.registry],
    });
    this.total = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: [
        'verb',
        'dry_run',
        'group',
        'version',
        'resource',
        'subresource',
        'scope',
        'component',
        'code',
      ],
      registers: [this.registry],
    });
  }

  observe(labels: RequestLabels, seconds: number): void {
    const base = {
      verb: labels.verb,
      group: labels.group,
      version: labels.version,
      resource: labels.resource,
      subresource: labels.subresource,
      scope: labels.scope,
      component: 'apiserver',
    };
    this.duration.observe({ ...base, dry_run: '' }, seconds);
    // Long-running requests (WATCH, CONNECT) are not part of the SLI.
    if (labels.verb !== 'WATCH' && labels.verb !== 'CONNECT') this.sli.observe(base, seconds);
    this.total.inc({ ...base, dry_run: '', code: String(labels.code) });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
