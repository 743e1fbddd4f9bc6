/** The floor benchmark's server: a bare TLS WebSocket server requiring client certificates. Prints its port. */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { WebSocketServer } from 'ws';

const [certFile, keyFile, caFile] = process.argv.slice(2) as [string, string, string];
const server = https.createServer({
  cert: readFileSync(certFile),
  key: readFileSync(keyFile),
  ca: readFileSync(caFile),
  requestCert: true,
  rejectUnauthorized: true,
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });
// Answer lease-sized requests with a lease-sized response, as CloudCore answers a hollow node's
// renewals; keepalives get no answer, as in CloudCore.
const response = JSON.stringify({
  header: { msg_id: 'x', parent_msg_id: 'y', timestamp: 0 },
  route: {
    source: 'edgecontroller',
    group: 'resource',
    operation: 'response',
    resource: 'kube-node-lease/lease/n',
  },
  content: {
    Object: {
      metadata: {
        name: 'n',
        namespace: 'kube-node-lease',
        uid: '00000000-0000-0000-0000-000000000000',
        resourceVersion: '123456',
        creationTimestamp: '2026-01-01T00:00:00Z',
        ownerReferences: [
          {
            apiVersion: 'v1',
            kind: 'Node',
            name: 'n',
            uid: '00000000-0000-0000-0000-000000000000',
          },
        ],
      },
      spec: {
        holderIdentity: 'n',
        leaseDurationSeconds: 40,
        renewTime: '2026-01-01T00:00:00.000000Z',
      },
    },
    Err: null,
  },
});
wss.on('connection', (ws) =>
  ws.on('message', (data) => {
    if (data.toString().includes('"update"')) ws.send(response);
  }),
);
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`),
);
