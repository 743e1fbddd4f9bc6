/**
 * EMBEDDED CONTROL PLANE ONLY. An L4 round-robin TCP load balancer on loopback, standing in for the
 * ELB in front of CloudCore replicas: TLS passes through, so client certificates reach the hubs.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

export class LoadBalancer {
  private server: net.Server | undefined;
  private backends: Backend[];
  private next = 0;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    backends: Backend[],
    private readonly listenPort = 0,
  ) {
    this.backends = [...backends];
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  setBackends(backends: Backend[]): void {
    this.backends = [...backends];
  }

  removeBackend(backend: Backend): void {
    this.backends = this.backends.filter((b) => b.host !== backend.host || b.port !== backend.port);
  }

  addBackend(backend: Backend): void {
    this.backends.push(backend);
  }

  async start(): Promise<void> {
    this.server = net.createServer((client) => this.onClient(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.listenPort, '127.0.0.1', () => resolve());
    });
  }

  private onClient(client: net.Socket): void {
    this.track(client);
    client.pause();
    this.dial(client, 0);
  }

  /** Tries backends in round-robin order, skipping ones that refuse the connection. */
  private dial(client: net.Socket, tried: number): void {
    if (this.backends.length === 0 || tried >= this.backends.length) {
      client.destroy();
      return;
    }
    const backend = this.backends[this.next++ % this.backends.length]!;
    const upstream = net.connect(backend.port, backend.host);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      this.track(upstream);
      upstream.once('close', () => client.destroy());
      client.once('close', () => upstream.destroy());
      client.on('error', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.once('error', () => {
      if (!connected) this.dial(client, tried + 1);
      else client.destroy();
    });
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

export async function startLoadBalancer(backends: Backend[], port = 0): Promise<LoadBalancer> {
  const lb = new LoadBalancer(backends, port);
  await lb.start();
  return lb;
}
