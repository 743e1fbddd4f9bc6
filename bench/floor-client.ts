/**
 * The floor: N bare `ws` clients over mutual TLS with one shared SecureContext, with a hollow node's
 * steady traffic (a keepalive every 15 s, a lease renewal every 10 s answered by the server) —
 * what any WebSocket client pays per connection for the same exchange.
 * Prints one JSON line: {connected, rssPerConnBytes}.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import WebSocket from 'ws';

const [port, n, certFile, keyFile, caFile, steady] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const context = tls.createSecureContext({
  cert: readFileSync(certFile),
  key: readFileSync(keyFile),
  ca: readFileSync(caFile),
});
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const base = process.memoryUsage().rss;
let connected = 0;
let inFlight = 0;
const queue: Array<() => void> = [];
const payload = JSON.stringify({
  header: { msg_id: '00000000-0000-0000-0000-000000000000', timestamp: 0 },
  route: { source: 'websocket', group: 'resource', resource: 'node', operation: 'keepalive' },
  content: 'ping',
});
const leaseUpdate = JSON.stringify({
  header: { msg_id: '00000000-0000-0000-0000-000000000000', timestamp: 0 },
  route: {
    source: 'edged',
    group: 'meta',
    operation: 'update',
    resource: 'kube-node-lease/lease/n',
  },
  content: {
    kind: 'Lease',
    apiVersion: 'coordination.k8s.io/v1',
    metadata: { name: 'n', namespace: 'kube-node-lease', resourceVersion: '123456' },
    spec: {
      holderIdentity: 'n',
      leaseDurationSeconds: 40,
      renewTime: '2026-01-01T00:00:00.000000Z',
    },
  },
});
function open(i: number): void {
  inFlight++;
  const ws = new WebSocket(`wss://127.0.0.1:${port}/`, {
    secureContext: context,
    servername: 'localhost',
    perMessageDeflate: false,
  } as WebSocket.ClientOptions);
  ws.on('open', () => {
    connected++;
    inFlight--;
    queue.shift()?.();
    // The hollow node's steady traffic: a keepalive every 15 s and a lease renewal every 10 s.
    const keepalive = setInterval(() => ws.send(payload), 13_500 + Math.random() * 3_000);
    const lease = setInterval(() => ws.send(leaseUpdate), 9_000 + Math.random() * 2_000);
    ws.on('close', () => {
      clearInterval(keepalive);
      clearInterval(lease);
    });
  });
  ws.on('error', () => {
    inFlight--;
    queue.shift()?.();
  });
  void i;
}
for (let i = 0; i < Number(n); i++) {
  if (inFlight >= 64) await new Promise<void>((r) => queue.push(r));
  open(i);
}
while (connected + 0 < Number(n) && inFlight > 0) await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => setTimeout(r, Number(steady) * 1000));
gc?.();
process.stdout.write(
  `${JSON.stringify({ connected, rssPerConnBytes: Math.round((process.memoryUsage().rss - base) / Math.max(1, connected)) })}\n`,
);
process.exit(0);
