/**
 * Two shards as separate `hollowfleet fleet` processes against the embedded control plane, merged
 * by an ExternalFleet: by URL, and by pods through the API server's pod proxy (as `deploy status`
 * reads them in an external cluster).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeHistogram } from '../../src/common/histogram.js';
import { applyManifests, deploymentStatus, formatStatus } from '../../src/deploy/kube.js';
import { renderDeployment } from '../../src/deploy/render.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.js';
import { externalFleetSource } from '../../src/deploy/fleet-source.js';
import { ExternalFleet } from '../../src/fleet/external.js';
import type { FleetSnapshot } from '../../src/fleet/fleet.js';
import type { FleetSource } from '../../src/measure/types.js';
import { KubeClient } from '../../src/kube/client.js';
import { loadKubeconfig } from '../../src/kube/token.js';
import { startShard as startShardProcess, type Shard } from '../helpers/shards.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
const NODES_PER_SHARD = 20;
const NS = 'shards';

let cluster: EmbeddedCluster;
let kube: KubeClient;
let dir: string;
let port: number;
let closedPort: number;
const shards: Shard[] = [];

async function freePort(hosts: string[]): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const probe = net.createServer();
    const candidate = await new Promise<number>((resolve) =>
      probe.listen(0, hosts[0], () => resolve((probe.address() as net.AddressInfo).port)),
    );
    const others = await Promise.all(
      hosts.slice(1).map(
        (host) =>
          new Promise<net.Server | undefined>((resolve) => {
            const s = net.createServer();
            s.once('error', () => resolve(undefined));
            s.listen(candidate, host, () => resolve(s));
          }),
      ),
    );
    await Promise.all(
      [probe, ...others].map((s) => new Promise<void>((r) => (s ? s.close(() => r()) : r()))),
    );
    if (others.every(Boolean)) return candidate;
  }
  throw new Error('no port free on every loopback address');
}

function startShard(index: number, count: number): Promise<Shard> {
  return startShardProcess(cluster, {
    index,
    count,
    nodes: NODES_PER_SHARD,
    prefix: 'ext',
    certDir: path.join(dir, 'certs'),
    metricsHost: `127.0.0.${index + 1}`,
    metricsPort: port,
    extraArgs: ['--connect-rate', '0'],
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hf-external-'));
  cluster = await startEmbeddedCluster({ dir, hubs: 1 });
  kube = new KubeClient(loadKubeconfig(cluster.info.kubeconfig), { retryInitialMs: 10 });
  port = await freePort(['127.0.0.1', '127.0.0.2']);
  closedPort = await freePort(['127.0.0.1']);
  shards.push(...(await Promise.all([startShard(0, 2), startShard(1, 2)])));
});

afterAll(async () => {
  for (const s of shards) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  kube?.close();
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ExternalFleet over two shard processes', () => {
  it('merges the shards by URL once the whole fleet is Ready', async () => {
    const fleet = new ExternalFleet({
      discovery: { kind: 'urls', urls: shards.map((s) => s.url) },
    });
    const observation = await fleet.waitReady({
      expectedNodes: 2 * NODES_PER_SHARD,
      fraction: 1,
      timeoutMs: 30_000,
      pollMs: 100,
    });
    expect(observation.merged!.nodes).toBe(40);
    expect(observation.merged!.gauges.ready).toBe(40);
    expect(observation.missingShardIndexes).toEqual([]);
    expect(observation.shards.map((s) => s.snapshot!.shard)).toEqual([
      { index: 0, count: 2 },
      { index: 1, count: 2 },
    ]);
    // The merged histogram holds every sample of both shards, bucket for bucket.
    const perShard = observation.shards.map(
      (s) => decodeHistogram(s.snapshot!.histograms.registrationToReadyMs!).totalCount,
    );
    expect(perShard).toEqual([20, 20]);
    expect(observation.merged!.histograms.registrationToReadyMs!.totalCount).toBe(40);
    const source: FleetSource = externalFleetSource(fleet);
    const view = await source.snapshot();
    expect(view.nodes).toBe(40);
    expect(decodeHistogram(view.histograms.registrationToReadyMs!).totalCount).toBe(40);
    expect(view.gauges.connected).toBe(40);
    // The hollow nodes of both shards are Nodes of the cluster under test.
    const names = cluster.store.list('nodes', {}).items.map((n) => n.metadata.name!);
    expect(names.filter((n) => n.startsWith('ext-0-'))).toHaveLength(20);
    expect(names.filter((n) => n.startsWith('ext-1-'))).toHaveLength(20);
  });

  it('fails the readiness gate with HF_FLEET_NOT_READY naming an unreachable and a missing shard', async () => {
    const third = `http://127.0.0.1:${closedPort}`;
    const fleet = new ExternalFleet({
      discovery: { kind: 'urls', urls: [...shards.map((s) => s.url), third] },
      expectedShards: 4,
    });
    const err = await fleet
      .waitReady({ expectedNodes: 80, fraction: 0.999, timeoutMs: 300, pollMs: 100 })
      .then(
        () => undefined,
        (e: unknown) => e as Error & { code: string },
      );
    expect(err?.code).toBe('HF_FLEET_NOT_READY');
    expect(err!.message).toMatch(
      /^40 of 80 hollow nodes Ready across the fleet after \d+ s, 80 required \(40 missing\)/,
    );
    expect(err!.message).toContain(`unreachable shards: ${third}`);
    expect(err!.message).toMatch(/missing shards \(no pod or URL answers for them\): 2, 3 of 4/);
    expect(err!.message).toContain(`shard 0 (${shards[0]!.url}): 20/20 Ready, 20 connected`);
    expect(err!.message).toContain(`shard 1 (${shards[1]!.url}): 20/20 Ready, 20 connected`);
    expect(err!.message).toMatch(
      new RegExp(`shard \\? \\(${third}\\): unreachable: .*ECONNREFUSED`),
    );
  });

  it('finds shard pods by label in a cluster and reads them through the pod proxy (deploy status)', async () => {
    const manifests = renderDeployment({
      namespace: NS,
      name: 'fleet',
      nodes: 2 * NODES_PER_SHARD,
      shards: 2,
      cloudcore: [cluster.info.cloudcore],
      certServer: cluster.info.certServer,
      token: cluster.token,
      image: 'hollowfleet:test',
      metricsPort: port,
      nodeSelector: { pool: 'external' },
    });
    await applyManifests(kube, manifests);
    const pods = await waitFor('two shard pods', () => {
      const items = cluster.store.list('pods', { namespace: NS }).items;
      return items.length === 2 ? items : undefined;
    });
    // What the Job controller and the kubelet of a real external cluster would write.
    for (const [i, pod] of pods.entries()) {
      await kube.request({
        method: 'PATCH',
        path: `/api/v1/namespaces/${NS}/pods/${pod.metadata.name}`,
        body: {
          metadata: { annotations: { 'batch.kubernetes.io/job-completion-index': String(i) } },
        },
      });
      await kube.request({
        method: 'PATCH',
        path: `/api/v1/namespaces/${NS}/pods/${pod.metadata.name}/status`,
        body: { status: { phase: 'Running', podIP: `127.0.0.${i + 1}` } },
      });
    }
    const fleet = new ExternalFleet({
      discovery: {
        kind: 'pods',
        kube,
        namespace: NS,
        labelSelector: 'hollowfleet.io/fleet=fleet',
        port,
      },
    });
    const observation = await fleet.waitReady({
      expectedNodes: 40,
      fraction: 0.999,
      timeoutMs: 10_000,
      pollMs: 100,
    });
    expect(observation.shards.map((s) => s.target.index)).toEqual([0, 1]);
    expect(observation.merged!.histograms.registrationToReadyMs!.totalCount).toBe(40);

    // kubectl reaches the same snapshot through the same pod proxy.
    const raw = await exec(
      'kubectl',
      [
        '--kubeconfig',
        cluster.info.kubeconfig,
        'get',
        '--raw',
        `/api/v1/namespaces/${NS}/pods/${pods[0]!.metadata.name}:${port}/proxy/snapshot`,
      ],
      { timeout: 20_000 },
    );
    expect(JSON.parse(raw.stdout)).toMatchObject({
      tool: 'hollowfleet',
      shard: { index: 0, count: 2 },
    });

    const status = await deploymentStatus(kube, { namespace: NS, name: 'fleet', port });
    expect(status.shards.map((s) => [s.shard, s.phase, s.connected, s.ready, s.nodes])).toEqual([
      [0, 'Running', 20, 20, 20],
      [1, 'Running', 20, 20, 20],
    ]);
    expect(formatStatus(status)).toMatch(
      /shards\/fleet: 2\/2 shards answering, 40\/40 connected, 40\/40 Ready/,
    );
    // A shard whose process is gone shows up as unreachable, not as missing.
    await kube.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${NS}/pods/${pods[1]!.metadata.name}/status`,
      body: { status: { podIP: '127.0.0.3' } },
    });
    const degraded = await deploymentStatus(kube, { namespace: NS, name: 'fleet', port });
    expect(degraded.missingShardIndexes).toEqual([]);
    expect(degraded.shards[1]!.problem).toMatch(
      /^unreachable: .*(ECONNREFUSED|error trying to reach service)/,
    );
    expect(formatStatus(degraded)).toMatch(/1\/2 shards answering, 20\/20 connected/);
  });

  it('refuses to merge shards of different hollowfleet versions', async () => {
    const real = JSON.parse(
      await (await fetch(`${shards[0]!.url}/snapshot`)).text(),
    ) as FleetSnapshot;
    const other = http.createServer((_req, res) =>
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ ...real, toolVersion: '9.9.9', shard: { index: 1, count: 2 } })),
    );
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    try {
      const otherUrl = `http://127.0.0.1:${(other.address() as net.AddressInfo).port}`;
      const fleet = new ExternalFleet({
        discovery: { kind: 'urls', urls: [shards[0]!.url, otherUrl] },
      });
      await expect(fleet.observe()).rejects.toMatchObject({
        code: 'HF_SNAPSHOT_MISMATCH',
        message: expect.stringMatching(
          /was made by hollowfleet 9\.9\.9 .*run every shard with the same version/,
        ),
      });
    } finally {
      await new Promise<void>((r) => other.close(() => r()));
    }
  });

  it('stops every shard on SIGTERM, closing its connections', async () => {
    for (const s of shards) s.child.kill('SIGTERM');
    const codes = await Promise.all(shards.map((s) => s.exited));
    expect(codes).toEqual([0, 0]);
    for (const s of shards) expect(s.stderr).toMatch(/stopping: closing every connection/);
    await waitFor('sessions closed', () => cluster.hubs[0]!.connectedNodes().length === 0);
  });
});
