import { MemoryObjectStore } from '../../src/embedded/apiserver/store.js';
import { CertServer } from '../../src/embedded/hub/cert-server.js';
import { Hub, type HubOptions } from '../../src/embedded/hub/hub.js';
import { ObjectSyncTable } from '../../src/embedded/hub/object-sync.js';
import { createCertificateAuthority, type CertificateAuthority } from '../../src/embedded/pki.js';
import { mintJoinToken } from '../../src/protocol/token.js';

export interface HubFixture {
  store: MemoryObjectStore;
  ca: CertificateAuthority;
  certServer: CertServer;
  hubs: Hub[];
  token: string;
  close(): Promise<void>;
}

let sharedCa: CertificateAuthority | undefined;

/** A store, a CA, a certificate server and `count` hubs on loopback, with short intervals for tests. */
export async function startHubFixture(
  hubOptions: Partial<HubOptions> = {},
  count = 1,
): Promise<HubFixture> {
  const store = new MemoryObjectStore({ bookmarkIntervalMs: 0 });
  for (const ns of ['default', 'kube-system', 'kube-node-lease', 'kubeedge'])
    store.create('namespaces', { metadata: { name: ns } });
  sharedCa ??= await createCertificateAuthority();
  const ca = sharedCa;
  const certServer = new CertServer({ ca, store });
  await certServer.start();
  const syncTable = new ObjectSyncTable();
  const hubs: Hub[] = [];
  for (let i = 0; i < count; i++) {
    const hub = new Hub({
      store,
      ca,
      syncTable,
      instanceId: `cloudcore-${i}`,
      ackResendIntervalMs: 300,
      syncPeriodMs: 500,
      tickMs: 20,
      ...hubOptions,
    });
    await hub.start();
    hubs.push(hub);
  }
  const token = mintJoinToken(ca.certDer, ca.keyDer, Math.floor(Date.now() / 1000) + 3600);
  return {
    store,
    ca,
    certServer,
    hubs,
    token,
    async close() {
      for (const hub of hubs) await hub.close();
      await certServer.close();
      store.close();
    },
  };
}
