/**
 * `npm run bench:fleet`: what one fleet process and one machine hold. Embedded hubs run in separate
 * processes (sharing one CA), the fleet in child processes, the floor is bare `ws` over mutual TLS.
 *   npm run bench:fleet -- --points 1000,5000,10000,19000 --machine 30000 --json
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ProcessFleet as ProcessFleetClass } from '../src/fleet/process-fleet.js';
import { spawnControlPlane } from './control-plane.js';

// Measure what users run: the compiled JavaScript in dist/ (bench:fleet builds first). Sources run
// through tsx carry esbuild's keepNames helpers, a few KiB of extra heap per hollow node.
const { ProcessFleet } = (await import(
  new URL('../dist/fleet/process-fleet.js', import.meta.url).href
)) as { ProcessFleet: typeof ProcessFleetClass };
import {
  createCertificateAuthority,
  issueCertificate,
  issueLoopbackServerCertificate,
} from '../src/embedded/pki.js';

interface Point {
  nodes: number;
  processes: number;
  readyNodes: number;
  rampSeconds: number;
  readyPerSecond: number;
  rssPerNodeBytes: number;
  /** Slope between this point and the previous one: the cost of one more node, fixed costs removed. */
  marginalRssPerNodeBytes: number | null;
  rssBytes: number;
  /** Live JavaScript heap of the fleet's worker isolates after a collection, per node (fixed costs removed). */
  heapPerNodeBytes: number;
  heapBytes: number;
  floorRssPerConnBytes: number | null;
  ratio: number | null;
  cpuPerNodeUs: number;
  eventLoopP99Ms: number;
  acksSent: number;
  /** ACK-mode deliveries the hubs gave up on after every resend (lost acks), and resends. */
  acksLost: number;
  resends: number;
  rejected: number;
  requestTimeouts: number;
}

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const json = process.argv.includes('--json');
const log = (s: string) => process.stderr.write(`${s}\n`);
const steadySeconds = Number(arg('steady', '30'));

function procStat(pid: number): { rss: number; cpuMs: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return {
    rss: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024,
    cpuMs: ((Number(stat[11]) + Number(stat[12])) * 1000) / 100,
  };
}

async function hubCounter(urls: string[], name: string): Promise<number> {
  let total = 0;
  for (const url of urls) {
    const text = await (await fetch(url)).text();
    for (const line of text.split('\n'))
      if (line.startsWith(`${name} `)) total += Number(line.slice(name.length + 1));
  }
  return total;
}

async function controlPlanes(
  count: number,
  caDir: string,
): Promise<{
  children: ChildProcess[];
  hubs: string[];
  certServer: string;
  token: string;
  metrics: string[];
}> {
  const children: ChildProcess[] = [];
  const infos: Array<{
    hubAddresses: string[];
    certServer: string;
    tokenFile: string;
    cloudcoreMetrics: string;
  }> = [];
  for (let i = 0; i < count; i++) {
    const { child, info } = await spawnControlPlane(['--ca-dir', caDir]);
    children.push(child);
    infos.push(info);
  }
  return {
    children,
    hubs: infos.map((i) => i.hubAddresses[0]!),
    certServer: infos[0]!.certServer,
    token: readFileSync(infos[0]!.tokenFile, 'utf8').trim(),
    metrics: infos.map((i) => i.cloudcoreMetrics),
  };
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
}

async function hollow(
  nodes: number,
  processes: number,
  caDir: string,
  baseRss: number,
  baseHeap: number,
): Promise<Point> {
  const cp = await controlPlanes(Math.max(1, Math.ceil(nodes / 9_500)), caDir);
  const fleet = new ProcessFleet(
    {
      nodes,
      workers: 2,
      prefix: `bench${nodes}`,
      targets: cp.hubs.map((h) => ({ host: h.split(':')[0]!, port: Number(h.split(':')[1]) })),
      certServerUrl: cp.certServer,
      token: cp.token,
      tlsServerName: 'localhost',
      certDir: await mkdtemp(path.join(tmpdir(), 'hf-bench-certs-')),
      connectRate: 0,
      maxConcurrentHandshakes: 64,
    },
    processes,
    'bench',
    true,
  );
  const started = Date.now();
  try {
    await fleet.start();
    await waitFor(() => fleet.gauge('ready') >= nodes, 15 * 60_000);
    const rampSeconds = (Date.now() - started) / 1000;
    const readyNodes = fleet.gauge('ready');
    log(
      `  ${nodes} nodes × ${processes} process(es): ${readyNodes} Ready in ${rampSeconds.toFixed(1)} s`,
    );
    const before = fleet.childPids().map(procStat);
    await new Promise((r) => setTimeout(r, steadySeconds * 1000));
    const cpuAfter = fleet.childPids().map(procStat);
    // Read before the forced collection, whose pause would show up in the event-loop delay.
    const eventLoopP99Ms = fleet.eventLoopP99Ms();
    // RSS after a collection in every isolate, as the floor measures it.
    await fleet.collectGarbage();
    const after = fleet
      .childPids()
      .map((pid, i) => ({ rss: procStat(pid).rss, cpuMs: cpuAfter[i]!.cpuMs }));
    const rss = after.reduce((a, s) => a + s.rss, 0) - baseRss * processes;
    const heap =
      fleet.workerStats().reduce((a, w) => a + w.heapUsedBytes, 0) - baseHeap * processes;
    const cpuMs = after.reduce((a, s, i) => a + s.cpuMs - before[i]!.cpuMs, 0);
    return {
      nodes,
      processes,
      readyNodes,
      rampSeconds,
      readyPerSecond: readyNodes / rampSeconds,
      rssPerNodeBytes: Math.round(rss / Math.max(1, readyNodes)),
      marginalRssPerNodeBytes: null,
      rssBytes: rss,
      heapPerNodeBytes: Math.round(heap / Math.max(1, readyNodes)),
      heapBytes: heap,
      floorRssPerConnBytes: null,
      ratio: null,
      cpuPerNodeUs: Math.round((cpuMs * 1000) / steadySeconds / Math.max(1, readyNodes)),
      eventLoopP99Ms,
      acksSent: fleet.counter('acksSent'),
      acksLost: await hubCounter(cp.metrics, 'hollowfleet_embedded_hub_ack_timeouts_total'),
      resends: await hubCounter(cp.metrics, 'hollowfleet_embedded_hub_resends_total'),
      rejected: fleet.counter('rejected'),
      requestTimeouts: fleet.counter('requestTimeouts'),
    };
  } finally {
    await fleet.stop();
    for (const c of cp.children) c.kill('SIGTERM');
  }
}

async function floor(
  nodes: number,
  files: { cert: string; key: string; ca: string; serverCert: string; serverKey: string },
): Promise<number> {
  const server = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      new URL('./floor-server.ts', import.meta.url).pathname,
      files.serverCert,
      files.serverKey,
      files.ca,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const port = await new Promise<string>((r) =>
      createInterface({ input: server.stdout! }).once('line', r),
    );
    const client = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        new URL('./floor-client.ts', import.meta.url).pathname,
        port,
        String(nodes),
        files.cert,
        files.key,
        files.ca,
        String(steadySeconds),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = await new Promise<string>((r) =>
      createInterface({ input: client.stdout! }).once('line', r),
    );
    return (JSON.parse(line) as { rssPerConnBytes: number }).rssPerConnBytes;
  } finally {
    server.kill('SIGTERM');
  }
}

const caDir = await mkdtemp(path.join(tmpdir(), 'hf-bench-ca-'));
const ca = await createCertificateAuthority();
await writeFile(path.join(caDir, 'ca.crt'), ca.certPem, { mode: 0o600 });
await writeFile(path.join(caDir, 'ca.key'), ca.keyPem, { mode: 0o600 });
const client = await issueCertificate(ca, { subject: 'CN=floor', usages: ['clientAuth'] });
const server = await issueLoopbackServerCertificate(ca);
const files = {
  cert: path.join(caDir, 'c.crt'),
  key: path.join(caDir, 'c.key'),
  ca: path.join(caDir, 'ca.crt'),
  serverCert: path.join(caDir, 's.crt'),
  serverKey: path.join(caDir, 's.key'),
};
await writeFile(files.cert, client.certPem);
await writeFile(files.key, client.keyPem);
await writeFile(files.serverCert, server.certPem);
await writeFile(files.serverKey, server.keyPem);

log('baseline: an idle fleet process with one node');
const base = await hollow(1, 1, caDir, 0, 0);
const baseRss = base.rssBytes;
const baseHeap = base.heapBytes;
const points: Point[] = [];
for (const n of arg('points', '1000,5000,10000,19000')
  .split(',')
  .map(Number)
  .filter((x) => x > 0)) {
  const p = await hollow(n, 1, caDir, baseRss, baseHeap);
  p.floorRssPerConnBytes = await floor(n, files);
  const previous = points.at(-1);
  if (previous)
    p.marginalRssPerNodeBytes = Math.round(
      (p.rssBytes - previous.rssBytes) / (p.readyNodes - previous.readyNodes),
    );
  p.ratio = Number(
    ((p.marginalRssPerNodeBytes ?? p.rssPerNodeBytes) / p.floorRssPerConnBytes).toFixed(2),
  );
  log(
    `    RSS/node ${(p.rssPerNodeBytes / 1024).toFixed(1)} KiB` +
      (p.marginalRssPerNodeBytes !== null
        ? ` (marginal ${(p.marginalRssPerNodeBytes / 1024).toFixed(1)} KiB)`
        : '') +
      `, heap ${(p.heapPerNodeBytes / 1024).toFixed(1)} KiB, floor ${(p.floorRssPerConnBytes / 1024).toFixed(1)} KiB, ratio ×${p.ratio}, CPU ${p.cpuPerNodeUs} µs/node/s, event-loop p99 ${p.eventLoopP99Ms.toFixed(1)} ms`,
  );
  points.push(p);
}
const machine = Number(arg('machine', '30000'));
if (machine > 0) {
  const p = await hollow(machine, Number(arg('machine-processes', '2')), caDir, baseRss, baseHeap);
  log(
    `    RSS/node ${(p.rssPerNodeBytes / 1024).toFixed(1)} KiB, heap ${(p.heapPerNodeBytes / 1024).toFixed(1)} KiB, CPU ${p.cpuPerNodeUs} µs/node/s, event-loop p99 ${p.eventLoopP99Ms.toFixed(1)} ms`,
  );
  points.push(p);
}
if (json) process.stdout.write(`${JSON.stringify(points)}\n`);
process.exit(0);
