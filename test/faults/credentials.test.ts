import { mkdtemp } from 'node:fs/promises';
import type https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CountingSink } from '../../src/edge/events.js';
import type { CredentialSource } from '../../src/edge/faults.js';
import { HollowNode } from '../../src/edge/hollow-node.js';
import { NodeTemplate } from '../../src/edge/node-template.js';
import { resolveNodeProfile } from '../../src/edge/profile.js';
import { TimerWheel } from '../../src/edge/timer-wheel.js';
import { Fleet } from '../../src/fleet/fleet.js';
import { bootstrapIdentity } from '../../src/protocol/bootstrap.js';
import { CertStore, RENEW_BEFORE_MS } from '../../src/protocol/cert-store.js';
import { createClientContext } from '../../src/protocol/tls.js';
import { mintJoinToken } from '../../src/protocol/token.js';
import { startHubFixture, type HubFixture } from '../helpers/embedded.js';
import { waitFor } from '../helpers/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const fast = {
  intervals: {
    keepaliveMs: 1_000,
    leaseMs: 500,
    registrationTimeoutMs: 2_000,
    requestTimeoutMs: 1_500,
    reconnectBaseMs: 50,
    reconnectCapMs: 200,
  },
};

async function fixture(): Promise<HubFixture> {
  const f = await startHubFixture({ nodeLimit: 1000 });
  cleanups.push(() => f.close());
  return f;
}

function upgradesOn(f: HubFixture): string[] {
  const seen: string[] = [];
  (f.hubs[0] as unknown as { server: https.Server }).server.on('upgrade', (req: IncomingMessage) =>
    seen.push(String(req.headers.node_id)),
  );
  return seen;
}

async function startNode(f: HubFixture, name: string, credentials: CredentialSource) {
  const identity = await bootstrapIdentity({
    certServerUrl: f.certServer.url,
    token: f.token,
    nodeName: name,
  });
  const wheel = new TimerWheel({ tickMs: 10 });
  const sink = new CountingSink();
  const node = new HollowNode({
    name,
    index: 0,
    targets: [{ host: '127.0.0.1', port: f.hubs[0]!.port }],
    tls: { secureContext: createClientContext(identity), servername: 'localhost' },
    template: new NodeTemplate(resolveNodeProfile(fast)),
    scheduler: wheel,
    sink,
    credentials,
  });
  cleanups.push(() => wheel.stop());
  cleanups.push(() => node.stop());
  node.start();
  return { node, sink, wheel };
}

describe('certificate and token expiry mid-run', () => {
  it('re-bootstraps when the certificate is due, reconnects on the new one and measures it', async () => {
    const f = await fixture();
    const upgrades = upgradesOn(f);
    let renewals = 0;
    const { sink } = await startNode(f, 'expiring-0', {
      renewAt: Date.now() + 400,
      async renew() {
        renewals++;
        const identity = await bootstrapIdentity({
          certServerUrl: f.certServer.url,
          token: f.token,
          nodeName: 'expiring-0',
        });
        return { tls: { secureContext: createClientContext(identity), servername: 'localhost' } };
      },
    });
    await waitFor(
      'renewed and Ready again',
      () =>
        sink.counter('certRenewals') === 1 &&
        sink.gauge('ready') === 1 &&
        sink.observations.get('certRenewalMs')?.length === 1,
    );
    expect(renewals).toBe(1);
    expect(upgrades).toEqual(['expiring-0', 'expiring-0']);
    expect(sink.counter('disconnects')).toBe(1);
    expect(sink.observations.get('certRenewalMs')![0]).toBeGreaterThan(0);
    // A rotation is not an outage: no fault recovery sample.
    expect(sink.observations.get('faultRecoveryMs')).toBeUndefined();
  });

  it('an expired join token fails the renewal: counted, reported, and the old certificate stays in use', async () => {
    const f = await fixture();
    const expired = mintJoinToken(f.ca.certDer, f.ca.keyDer, Math.floor(Date.now() / 1000) - 60);
    const { node, sink } = await startNode(f, 'stale-token-0', {
      async renew() {
        const identity = await bootstrapIdentity({
          certServerUrl: f.certServer.url,
          token: expired,
          nodeName: 'stale-token-0',
        });
        return { tls: { secureContext: createClientContext(identity) } };
      },
    });
    await waitFor('ready', () => sink.gauge('ready') === 1);
    node.applyFault('expire', { kind: 'expireCredentials' });
    await waitFor('renewal failure', () => sink.counter('certRenewalFailures') === 1);
    expect(sink.errors.map((e) => e.code)).toContain('HF_TOKEN_EXPIRED');
    expect(sink.counter('disconnects')).toBe(0);
    expect(sink.gauge('ready')).toBe(1);
    expect(sink.errors.some((e) => e.message.includes(expired))).toBe(false);
  });

  it('CertStore renews a cached certificate in its last tenth, and renew() always bootstraps', async () => {
    const f = await fixture();
    const dir = await mkdtemp(path.join(tmpdir(), 'hf-certs-'));
    const store = new CertStore({
      certServerUrl: f.certServer.url,
      token: f.token,
      strategy: 'per-node',
      dir,
    });
    const first = await store.getOrBootstrap('n1');
    await store.getOrBootstrap('n1');
    expect(store.bootstraps).toBe(1);
    expect(store.renewAt(first)).toBe(first.notAfter.getTime() - RENEW_BEFORE_MS);
    const dueAt = store.renewAt(first) + 1000;
    // Months later the one-hour join token has long expired: the renewal fails on it.
    const staleToken = new CertStore({
      certServerUrl: f.certServer.url,
      token: f.token,
      strategy: 'per-node',
      dir,
      now: () => dueAt,
    });
    await expect(staleToken.getOrBootstrap('n1')).rejects.toMatchObject({
      code: 'HF_TOKEN_EXPIRED',
    });
    // With a token that is still valid by then, the due certificate is bootstrapped again.
    const longToken = mintJoinToken(f.ca.certDer, f.ca.keyDer, Math.floor(dueAt / 1000) + 3600);
    const later = new CertStore({
      certServerUrl: f.certServer.url,
      token: longToken,
      strategy: 'per-node',
      dir,
      now: () => dueAt,
    });
    await later.getOrBootstrap('n1');
    expect(later.bootstraps).toBe(1);
    await store.renew('n1');
    expect(store.bootstraps).toBe(2);
  });

  it('an expireCredentials fault on a per-node fleet re-bootstraps exactly the selected nodes', async () => {
    const f = await fixture();
    const fleet = new Fleet({
      nodes: 8,
      workers: 2,
      prefix: 'certs',
      targets: [{ host: '127.0.0.1', port: f.hubs[0]!.port }],
      certServerUrl: f.certServer.url,
      token: f.token,
      certStrategy: 'per-node',
      certDir: await mkdtemp(path.join(tmpdir(), 'hf-certs-fleet-')),
      tlsServerName: 'localhost',
      connectRate: 0,
      statsIntervalMs: 50,
      profile: fast,
    });
    cleanups.push(() => fleet.stop());
    await fleet.start();
    await fleet.waitReady(1, 30_000);
    const injection = await fleet.inject({
      fault: { kind: 'expireCredentials' },
      select: { count: 3, seed: 4 },
    });
    expect(injection.nodes).toHaveLength(3);
    await waitFor(
      'renewed nodes Ready',
      async () => {
        await fleet.flush();
        return fleet.histogram('certRenewalMs').count === 3 && fleet.gauge('ready') === 8;
      },
      20_000,
    );
    expect(fleet.counter('certRenewals')).toBe(3);
    expect(fleet.counter('certRenewalFailures')).toBe(0);
    expect(fleet.counter('disconnects')).toBe(3);
  });
});
