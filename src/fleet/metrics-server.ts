/**
 * The fleet's HTTP endpoint: Prometheus metrics (prom-client), a JSON snapshot with the encoded
 * histograms for drivers that merge shards, and health probes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import { HollowfleetError, toErrorPayload } from '../common/errors.js';
import { EDGE_METRICS, type EdgeCounter, type EdgeGauge, type EdgeMetric } from '../edge/events.js';
import {
  parseFault,
  parseSelector,
  type FaultInjection,
  type FaultRequest,
} from '../edge/faults.js';
import type { HistogramSummary } from '../common/histogram.js';
import type { FleetNotice, FleetSnapshot } from './fleet.js';

/** What the CLI, the metrics endpoint and drivers need of a fleet, whether one process or several. */
export interface FleetHandle {
  readonly options: { nodes: number };
  readonly elapsedMs: number;
  gauge(name: EdgeGauge): number;
  counter(name: EdgeCounter): number;
  messages(): Record<string, number>;
  errorsByCode(): Record<string, number>;
  histogram(metric: EdgeMetric): HistogramSummary;
  workerStats(): Array<{ workerId: number; eventLoopP99Ms: number; heapUsedBytes: number }>;
  snapshot(): FleetSnapshot;
  onNotice(listener: (notice: FleetNotice) => void): void;
  waitReady(fraction: number, timeoutMs: number): Promise<void>;
  flush(): Promise<void>;
  stop(): Promise<void>;
  /** Fault injection (Fleet and ProcessFleet); exposed over HTTP only when the server allows it. */
  inject?(request: FaultRequest): Promise<FaultInjection>;
  clear?(id: string): Promise<number>;
}

export interface FleetServerOptions {
  /**
   * Serve `POST /faults` and `DELETE /faults/<id>` so a driver can inject faults into remote shards.
   * Off by default: anyone who reaches the port could disconnect the fleet.
   */
  faults?: boolean;
}

const MAX_FAULT_BODY = 64 * 1024;

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FAULT_BODY) {
        reject(
          new HollowfleetError('HF_CONFIG', `fault request body over ${MAX_FAULT_BODY} bytes`),
        );
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch {
        reject(
          new HollowfleetError(
            'HF_CONFIG',
            'fault request body is not JSON: send {"fault": {"kind": "disconnect", ...}, "select": {"fraction": 0.5, "seed": 1}}',
          ),
        );
      }
    });
    req.on('error', reject);
  });
}

function faultRequestFrom(body: unknown): FaultRequest {
  const obj = (body ?? {}) as { fault?: unknown; select?: unknown };
  if (typeof obj.fault !== 'object' || obj.fault === null)
    throw new HollowfleetError(
      'HF_CONFIG',
      'fault request needs a "fault" object, e.g. {"kind": "disconnect", "reconnectDelay": "uniform:1s-5s"}',
    );
  return {
    fault: parseFault(obj.fault as Record<string, unknown>, 'fault'),
    select: parseSelector((obj.select ?? {}) as Record<string, unknown>, 'select'),
  };
}

/** POST /faults → 201 {id, nodes}; DELETE /faults/<id> → 200 {id, nodes}. */
function serveFaults(
  fleet: FleetHandle,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
): void {
  const json = (status: number, body: unknown) =>
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  const fail = (err: unknown) => {
    const e = toErrorPayload(err);
    json(e.code === 'HF_CONFIG' ? 400 : 500, { error: e });
  };
  if (!fleet.inject || !fleet.clear) {
    json(501, {
      error: { code: 'HF_FAULTS_UNSUPPORTED', message: 'this fleet cannot inject faults' },
    });
    return;
  }
  if (req.method === 'POST' && path === '/faults') {
    readJson(req)
      .then((body) => fleet.inject!(faultRequestFrom(body)))
      .then((injection) => json(201, injection), fail);
    return;
  }
  const id = path.startsWith('/faults/') ? decodeURIComponent(path.slice('/faults/'.length)) : '';
  if (req.method === 'DELETE' && id) {
    fleet.clear(id).then((nodes) => json(200, { id, nodes }), fail);
    return;
  }
  res.writeHead(405, { Allow: 'POST /faults, DELETE /faults/<id>' }).end('method not allowed');
}

const GAUGES: EdgeGauge[] = ['connected', 'registered', 'ready', 'podsTracked', 'podsRunning'];
const COUNTERS: EdgeCounter[] = [
  'connectAttempts',
  'disconnects',
  'rejected',
  'reconnects',
  'registrations',
  'podsReceived',
  'podsStarted',
  'podsDeleted',
  'podStatusPatches',
  'acksSent',
  'requestTimeouts',
  'protocolErrors',
  'readyRepairs',
  'faultsApplied',
  'faultDisconnects',
  'faultDroppedUp',
  'faultDroppedDown',
  'faultDelayedUp',
  'faultDelayedDown',
  'faultAcksLost',
  'halfOpenClosedByCloud',
  'duplicatePushes',
  'certRenewals',
  'certRenewalFailures',
];
const METRICS: readonly EdgeMetric[] = EDGE_METRICS;

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A prom-client registry whose collectors read the fleet's merged state at scrape time. */
export function fleetRegistry(
  fleet: FleetHandle,
  labels: { shard: number; prefix: string },
): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ shard: String(labels.shard), prefix: labels.prefix });
  for (const g of GAUGES) {
    new Gauge({
      name: `hollowfleet_nodes_${snake(g)}`,
      help: `Hollow nodes: ${g}`,
      registers: [registry],
      collect() {
        this.set(fleet.gauge(g));
      },
    });
  }
  new Gauge({
    name: 'hollowfleet_nodes_target',
    help: 'Hollow nodes this fleet runs',
    registers: [registry],
    collect() {
      this.set(fleet.options.nodes);
    },
  });
  for (const c of COUNTERS) {
    // Totals come from the workers as absolute values, so they are exposed as gauges of a counter's value.
    new Gauge({
      name: `hollowfleet_${snake(c)}_total`,
      help: `Hollow nodes: ${c} since start`,
      registers: [registry],
      collect() {
        this.set(fleet.counter(c));
      },
    });
  }
  new Gauge({
    name: 'hollowfleet_messages_total',
    help: 'Messages by direction and operation',
    labelNames: ['direction', 'operation'],
    registers: [registry],
    collect() {
      for (const [key, n] of Object.entries(fleet.messages())) {
        const [direction, operation] = key.split(':') as [string, string];
        this.set({ direction, operation }, n);
      }
    },
  });
  new Gauge({
    name: 'hollowfleet_errors_total',
    help: 'Errors by code',
    labelNames: ['code'],
    registers: [registry],
    collect() {
      for (const [code, n] of Object.entries(fleet.errorsByCode())) this.set({ code }, n);
    },
  });
  new Gauge({
    name: 'hollowfleet_latency_ms',
    help: 'Edge latencies since start (quantiles from merged HDR histograms)',
    labelNames: ['metric', 'quantile'],
    registers: [registry],
    collect() {
      for (const m of METRICS) {
        const s = fleet.histogram(m);
        if (s.count === 0) continue;
        this.set({ metric: m, quantile: '0.5' }, s.p50Ms);
        this.set({ metric: m, quantile: '0.9' }, s.p90Ms);
        this.set({ metric: m, quantile: '0.99' }, s.p99Ms);
      }
    },
  });
  new Gauge({
    name: 'hollowfleet_worker_event_loop_delay_p99_ms',
    help: 'Event-loop delay p99 per worker over the last stats interval',
    labelNames: ['worker'],
    registers: [registry],
    collect() {
      for (const w of fleet.workerStats())
        this.set({ worker: String(w.workerId) }, w.eventLoopP99Ms);
    },
  });
  new Gauge({
    name: 'hollowfleet_process_resident_memory_bytes',
    help: 'Resident set size of the fleet process (TLS state lives outside the V8 heap)',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage().rss);
    },
  });
  return registry;
}

export interface FleetServer {
  port: number;
  close(): Promise<void>;
}

export async function startFleetServer(
  fleet: FleetHandle,
  labels: { shard: number; prefix: string },
  port: number,
  host = '127.0.0.1',
  options: FleetServerOptions = {},
): Promise<FleetServer> {
  const registry = fleetRegistry(fleet, labels);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/faults' || path.startsWith('/faults/')) {
      if (!options.faults)
        return void res
          .writeHead(403)
          .end(
            'fault injection over HTTP is off for this fleet (enable it where the fleet is started)',
          );
      serveFaults(fleet, req, res, path);
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else if (path === '/snapshot') {
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify(fleet.snapshot()));
    } else if (path === '/healthz') {
      res.writeHead(200).end('ok');
    } else if (path === '/readyz') {
      const ready = fleet.gauge('ready');
      res.writeHead(ready > 0 ? 200 : 503).end(`${ready}/${fleet.options.nodes} ready`);
    } else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
