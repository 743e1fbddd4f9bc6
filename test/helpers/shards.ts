import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EmbeddedCluster } from '../../src/embedded/cluster.js';

const bin = fileURLToPath(new URL('../../bin/hollowfleet.js', import.meta.url));

export interface Shard {
  child: ChildProcess;
  /** Everything the shard wrote on stderr so far. */
  stderr: string;
  /** Base URL of its metrics endpoint (`/metrics`, `/snapshot`). */
  url: string;
  exited: Promise<number | null>;
}

export interface ShardOptions {
  index: number;
  count: number;
  nodes: number;
  prefix: string;
  certDir: string;
  /** Metrics address; port 0 picks a free one (read back from the shard's own output). */
  metricsHost?: string;
  metricsPort?: number;
  extraArgs?: string[];
}

/** One `hollowfleet fleet --shard i/n` process against the embedded control plane (built dist/). */
export function startShard(cluster: EmbeddedCluster, options: ShardOptions): Promise<Shard> {
  const host = options.metricsHost ?? '127.0.0.1';
  const child = spawn(
    process.execPath,
    [
      bin,
      'fleet',
      '--nodes',
      String(options.nodes),
      '--shard',
      `${options.index}/${options.count}`,
      '--prefix',
      options.prefix,
      '--cloudcore',
      cluster.info.cloudcore,
      '--cert-server',
      cluster.info.certServer,
      '--token-file',
      cluster.info.tokenFile,
      '--tls-server-name',
      'localhost',
      '--cert-dir',
      options.certDir,
      '--workers',
      '1',
      '--metrics-host',
      host,
      '--metrics-port',
      String(options.metricsPort ?? 0),
      ...(options.extraArgs ?? []),
    ],
    { env: { ...process.env, NO_COLOR: '1' } },
  );
  const shard: Shard = {
    child,
    stderr: '',
    url: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout!.resume();
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      shard.stderr += d.toString();
      const url = /metrics on (http:\/\/[^/\s]+)\/metrics/.exec(shard.stderr)?.[1];
      if (url && !shard.url) {
        shard.url = url;
        resolve(shard);
      }
    });
    void shard.exited.then((code) =>
      reject(new Error(`shard ${options.index} exited with ${code}: ${shard.stderr}`)),
    );
  });
}
