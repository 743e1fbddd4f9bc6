/**
 * EMBEDDED CONTROL PLANE ONLY. A whole local KubeEdge cluster on loopback — API server subset,
 * scheduler and controllers, CloudCore-compatible hubs behind an L4 load balancer and a certificate
 * server — for the quick start and the tests. It is a fixture and demo target: every report made
 * against it says `target: embedded`, and the real CloudCore wins wherever the two differ.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { mintJoinToken } from '../protocol/token.js';
import { writeKubeconfig } from './apiserver/kubeconfig.js';
import { EmbeddedApiServer, EMBEDDED_VERSION } from './apiserver/server.js';
import { MemoryObjectStore } from './apiserver/store.js';
import { startControllers, type ControllerOptions, type Controllers } from './controllers/index.js';
import { CertServer } from './hub/cert-server.js';
import { Hub, type HubOptions } from './hub/hub.js';
import { ObjectSyncTable } from './hub/object-sync.js';
import { LoadBalancer } from './lb.js';
import {
  createCertificateAuthority,
  issueCertificate,
  loadCertificateAuthority,
  type CertificateAuthority,
} from './pki.js';

export interface EmbeddedClusterOptions {
  /** Directory for the kubeconfig, CA and token (created 0700; files 0600). */
  dir: string;
  hubs?: number;
  nodeLimit?: number;
  apiPort?: number;
  lbPort?: number;
  certPort?: number;
  controllers?: ControllerOptions;
  hub?: Partial<Omit<HubOptions, 'store' | 'ca' | 'syncTable'>>;
  /** Token lifetime (CloudCore: 2 × tokenRefreshDuration = 24 h). */
  tokenTtlSeconds?: number;
  /**
   * Directory holding ca.crt and ca.key to share one CA between several embedded control planes
   * (benchmarks run hubs in several processes); created on first use.
   */
  caDir?: string;
}

export interface EmbeddedClusterInfo {
  target: 'embedded';
  kubernetesVersion: string;
  kubeconfig: string;
  apiServer: string;
  /** CloudCore WebSocket address behind the load balancer. */
  cloudcore: string;
  /** The hub instances' own addresses (for fleets without a load balancer). */
  hubAddresses: string[];
  certServer: string;
  tokenFile: string;
  caFile: string;
  /** The hubs' Prometheus metrics, as CloudCore serves them on its monitor port. */
  cloudcoreMetrics: string;
}

export class EmbeddedCluster {
  readonly store: MemoryObjectStore;
  readonly syncTable = new ObjectSyncTable();
  ca!: CertificateAuthority;
  apiServer!: EmbeddedApiServer;
  certServer!: CertServer;
  hubs: Hub[] = [];
  lb!: LoadBalancer;
  controllers!: Controllers;
  token = '';
  private monitor: http.Server | undefined;
  info!: EmbeddedClusterInfo;
  private closed = false;
  private readonly stoppedHubs = new Set<string>();

  constructor(private readonly options: EmbeddedClusterOptions) {
    this.store = new MemoryObjectStore();
  }

  /**
   * Restarts the API server on the same port over the same store, as a control-plane restart
   * does: open connections and watches are cut, the server is down for `downMs`, and clients must
   * reconnect and relist.
   */
  async restartApiServer(downMs = 0): Promise<void> {
    const port = this.apiServer.port;
    await this.apiServer.close();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    this.apiServer = new EmbeddedApiServer({ store: this.store, ca: this.ca, port });
    await this.apiServer.start();
  }

  async start(): Promise<EmbeddedClusterInfo> {
    const dir = this.options.dir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    this.ca = await this.certificateAuthority();
    this.controllers = startControllers(this.store, this.options.controllers);
    this.apiServer = new EmbeddedApiServer({
      store: this.store,
      ca: this.ca,
      port: this.options.apiPort ?? 0,
    });
    await this.apiServer.start();
    this.certServer = new CertServer({
      ca: this.ca,
      store: this.store,
      port: this.options.certPort ?? 0,
    });
    await this.certServer.start();
    const count = Math.max(1, this.options.hubs ?? 2);
    for (let i = 0; i < count; i++) {
      const hub = new Hub({
        store: this.store,
        ca: this.ca,
        syncTable: this.syncTable,
        instanceId: `cloudcore-${i}`,
        advertiseAddress: '127.0.0.1',
        nodeLimit: this.options.nodeLimit ?? 5000,
        ...this.options.hub,
      });
      await hub.start();
      this.hubs.push(hub);
    }
    this.monitor = http.createServer((req, res) => {
      if ((req.url ?? '').split('?')[0] !== '/metrics')
        return void res.writeHead(404).end('not found');
      Promise.all(this.hubs.map((h) => h.registry.metrics())).then(
        (texts) =>
          res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(texts.join('\n')),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    await new Promise<void>((resolve) => this.monitor!.listen(0, '127.0.0.1', () => resolve()));
    this.lb = new LoadBalancer(
      this.hubs.map((h) => ({ host: '127.0.0.1', port: h.port })),
      this.options.lbPort ?? 0,
    );
    await this.lb.start();
    const ttl = this.options.tokenTtlSeconds ?? 24 * 3600;
    this.token = mintJoinToken(
      this.ca.certDer,
      this.ca.keyDer,
      Math.floor(Date.now() / 1000) + ttl,
    );
    this.publishSecrets();
    const admin = await issueCertificate(this.ca, {
      subject: 'CN=hollowfleet-admin, O=system:masters',
      usages: ['clientAuth'],
    });
    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, {
      server: this.apiServer.url,
      caPem: this.ca.certPem,
      clientCertPem: admin.certPem,
      clientKeyPem: admin.keyPem,
    });
    const tokenFile = path.join(dir, 'token');
    await writeFile(tokenFile, `${this.token}\n`, { mode: 0o600 });
    const caFile = path.join(dir, 'ca.crt');
    await writeFile(caFile, this.ca.certPem, { mode: 0o600 });
    this.info = {
      target: 'embedded',
      kubernetesVersion: EMBEDDED_VERSION.gitVersion,
      kubeconfig,
      apiServer: this.apiServer.url,
      cloudcore: `127.0.0.1:${this.lb.port}`,
      hubAddresses: this.hubs.map((h) => `127.0.0.1:${h.port}`),
      certServer: this.certServer.url,
      tokenFile,
      caFile,
      cloudcoreMetrics: `http://127.0.0.1:${(this.monitor.address() as AddressInfo).port}/metrics`,
    };
    return this.info;
  }

  private async certificateAuthority(): Promise<CertificateAuthority> {
    const caDir = this.options.caDir;
    if (!caDir) return createCertificateAuthority();
    const certFile = path.join(caDir, 'ca.crt');
    const keyFile = path.join(caDir, 'ca.key');
    try {
      return await loadCertificateAuthority(
        await readFile(certFile, 'utf8'),
        await readFile(keyFile, 'utf8'),
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const ca = await createCertificateAuthority();
    await mkdir(caDir, { recursive: true, mode: 0o700 });
    await writeFile(keyFile, ca.keyPem, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
    await writeFile(certFile, ca.certPem, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
    // Another process may have won the race: use whatever is on disk.
    return loadCertificateAuthority(
      await readFile(certFile, 'utf8'),
      await readFile(keyFile, 'utf8'),
    );
  }

  /** CloudCore keeps its join token and CA in Secrets of the kubeedge namespace (protocol.md §1.2). */
  private publishSecrets(): void {
    const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64');
    const secrets = [
      { name: 'tokensecret', data: { tokendata: b64(this.token) } },
      { name: 'casecret', data: { cadata: b64(this.ca.certDer), cakeydata: b64(this.ca.keyDer) } },
    ];
    for (const s of secrets) {
      const obj = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: s.name, namespace: 'kubeedge' },
        type: 'Opaque',
        data: s.data,
      };
      if (this.store.tryGet('secrets', 'kubeedge', s.name)) this.store.update('secrets', obj);
      else this.store.create('secrets', obj);
    }
  }

  /** Stops one hub instance as if its CloudCore pod died: its nodes reconnect through the load balancer. */
  async stopHub(index: number): Promise<void> {
    const hub = this.hubs[index];
    if (!hub) throw new RangeError(`no hub instance ${index} (there are ${this.hubs.length})`);
    this.stoppedHubs.add(hub.instanceId);
    this.lb.removeBackend({ host: '127.0.0.1', port: hub.port });
    await hub.close();
  }

  /** The running hub instances by id, and a way to stop one: what failover measurements need. */
  cloudcoreControl(): { instances(): string[]; stop(instance: string): Promise<void> } {
    return {
      instances: () =>
        this.hubs.filter((h) => !this.stoppedHubs.has(h.instanceId)).map((h) => h.instanceId),
      stop: async (instance) => {
        const index = this.hubs.findIndex((h) => h.instanceId === instance);
        if (index < 0 || this.stoppedHubs.has(instance))
          throw new RangeError(`no running hub instance "${instance}"`);
        await this.stopHub(index);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lb?.close();
    for (const hub of this.hubs) await hub.close();
    await this.certServer?.close();
    await new Promise<void>((resolve) =>
      this.monitor ? this.monitor.close(() => resolve()) : resolve(),
    );
    await this.apiServer?.close();
    this.controllers?.stop();
    this.store.close();
  }
}

export async function startEmbeddedCluster(
  options: EmbeddedClusterOptions,
): Promise<EmbeddedCluster> {
  const cluster = new EmbeddedCluster(options);
  try {
    await cluster.start();
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}
