import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import {
  applyManifests,
  deleteDeployment,
  deploymentStatus,
  formatStatus,
  type DeploymentStatus,
} from '../../src/deploy/kube.js';
import { renderDeployment } from '../../src/deploy/render.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../../src/embedded/cluster.js';
import { KubeClient } from '../../src/kube/client.js';
import { loadKubeconfig } from '../../src/kube/token.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
let cluster: EmbeddedCluster;
let kube: KubeClient;
let dir: string;
const NS = 'ext-fleet';

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await exec('kubectl', ['--kubeconfig', cluster.info.kubeconfig, ...args], {
    timeout: 20_000,
  });
  return stdout;
}

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    color: false,
    isTTY: false,
    data: (t) => void stdout.push(t),
    info: (t) => void stderr.push(t),
    warn: (t) => void stderr.push(t),
    error: (t) => void stderr.push(t),
  };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hf-deploy-'));
  cluster = await startEmbeddedCluster({ dir, hubs: 1 });
  kube = new KubeClient(loadKubeconfig(cluster.info.kubeconfig), { retryInitialMs: 10 });
});
afterAll(async () => {
  kube?.close();
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('deploy apply | status | delete against an API server', () => {
  it('applies the manifests server-side (field manager hollowfleet) and kubectl reads them back', async () => {
    const out = capture();
    const code = await main(
      [
        'deploy',
        'apply',
        '--kubeconfig',
        cluster.info.kubeconfig,
        '--namespace',
        NS,
        '--nodes',
        '40',
        '--shards',
        '2',
        '--cloudcore',
        cluster.info.cloudcore,
        '--cert-server',
        cluster.info.certServer,
        '--token-file',
        cluster.info.tokenFile,
        '--image',
        'hollowfleet:test',
        // Keeps the shard pods off the embedded plane's (hollow) nodes.
        '--node-selector',
        'pool=external',
      ],
      out,
    );
    expect(out.stderr.join('\n')).toMatch(/job\/hollowfleet -n ext-fleet applied/);
    expect(code).toBe(0);
    const job = JSON.parse(
      await kubectl('get', 'job', 'hollowfleet', '-n', NS, '-o', 'json', '--show-managed-fields'),
    ) as {
      spec: { completionMode: string; parallelism: number; completions: number };
      metadata: { managedFields: Array<{ manager: string; operation: string }> };
    };
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', parallelism: 2, completions: 2 });
    expect(job.metadata.managedFields[0]).toMatchObject({
      manager: 'hollowfleet',
      operation: 'Apply',
    });
    const names = (await kubectl('get', 'secret,configmap,service', '-n', NS, '-o', 'name'))
      .trim()
      .split('\n')
      .sort();
    expect(names).toEqual([
      'configmap/hollowfleet-profile',
      'secret/hollowfleet-join-token',
      'service/hollowfleet',
    ]);
    const token = (
      await kubectl(
        'get',
        'secret',
        'hollowfleet-join-token',
        '-n',
        NS,
        '-o',
        'jsonpath={.data.tokendata}',
      )
    ).trim();
    expect(Buffer.from(token, 'base64').toString()).toBe(cluster.token);
    // The Job controller starts one pod per shard.
    await waitFor('two shard pods', async () => {
      const pods = await kubectl(
        'get',
        'pods',
        '-n',
        NS,
        '-l',
        'hollowfleet.io/fleet=hollowfleet',
        '-o',
        'name',
      );
      return pods.trim().split('\n').filter(Boolean).length === 2;
    });
  });

  it('re-applies idempotently', async () => {
    const manifests = renderDeployment({
      namespace: NS,
      nodes: 40,
      shards: 2,
      cloudcore: [cluster.info.cloudcore],
      certServer: cluster.info.certServer,
      token: cluster.token,
      image: 'hollowfleet:test',
      nodeSelector: { pool: 'external' },
    });
    const applied = await applyManifests(kube, manifests);
    expect(applied.map((a) => a.kind)).toEqual([
      'Namespace',
      'Secret',
      'ConfigMap',
      'Service',
      'Job',
    ]);
    const pods = await kubectl('get', 'pods', '-n', NS, '-o', 'name');
    expect(pods.trim().split('\n')).toHaveLength(2);
  });

  it('reports shards that are not running yet, each under its completion index', async () => {
    const status = await deploymentStatus(kube, { namespace: NS, name: 'hollowfleet', port: 9464 });
    expect(status.expectedShards).toBe(2);
    expect(status.shards).toHaveLength(2);
    for (const s of status.shards) {
      expect(s.phase).toBe('Pending');
      expect(s.problem).toBe('pod is Pending (not scheduled)');
      expect(s.nodes).toBeUndefined();
    }
    // Both pods carry their completion index, so no shard is missing, only not running yet.
    expect(status.shards.map((s) => s.shard)).toEqual([0, 1]);
    expect(status.missingShardIndexes).toEqual([]);
    const table = formatStatus(status);
    expect(table.split('\n')[0]).toMatch(
      /^SHARD\s+POD\s+PHASE\s+NODE\s+RESTARTS\s+CONNECTED\s+READY\s+ERRORS$/,
    );
    expect(table).toMatch(
      /ext-fleet\/hollowfleet: 0\/2 shards answering, 0\/0 connected, 0\/0 Ready/,
    );
    expect(table).toMatch(/^0\s+hollowfleet-0-\w{5}\s+Pending\s/m);
    expect(table).toMatch(/^1\s+hollowfleet-1-\w{5}\s+Pending\s/m);
    expect(table).not.toMatch(/missing shards/);
    const out = capture();
    const code = await main(
      [
        'deploy',
        'status',
        '--kubeconfig',
        cluster.info.kubeconfig,
        '--namespace',
        NS,
        '-o',
        'json',
      ],
      out,
    );
    expect(code).toBe(0);
    const json = JSON.parse(out.stdout.join('')) as DeploymentStatus;
    expect(json.shards.map((s) => s.phase)).toEqual(['Pending', 'Pending']);
  });

  it('apply --wait-ready exits 2 naming the shards that are not there yet', async () => {
    const out = capture();
    const code = await main(
      [
        'deploy',
        'apply',
        '--kubeconfig',
        cluster.info.kubeconfig,
        '--namespace',
        NS,
        '--nodes',
        '40',
        '--shards',
        '2',
        '--cloudcore',
        cluster.info.cloudcore,
        '--cert-server',
        cluster.info.certServer,
        '--token-file',
        cluster.info.tokenFile,
        '--image',
        'hollowfleet:test',
        '--node-selector',
        'pool=external',
        '--wait-ready',
        '99.9%',
        '--wait-timeout',
        '1s',
      ],
      out,
    );
    expect(code).toBe(2);
    const stderr = out.stderr.join('\n');
    expect(stderr).toMatch(/0 of 40 hollow nodes Ready across the fleet after 1 s, 40 required/);
    expect(stderr).not.toMatch(/missing shards/);
    expect(stderr).toMatch(
      /shard 0 \(ext-fleet\/hollowfleet-0-\w+\): pod is Pending \(not scheduled\)/,
    );
    expect(stderr).toMatch(
      /shard 1 \(ext-fleet\/hollowfleet-1-\w+\): pod is Pending \(not scheduled\)/,
    );
    expect(stderr).toMatch(/\[HF_FLEET_NOT_READY\]/);
    expect(out.stdout).toEqual([]);
  });

  it('fails status with a ConfigError for a Job that is not there', async () => {
    const out = capture();
    const code = await main(
      [
        'deploy',
        'status',
        '--kubeconfig',
        cluster.info.kubeconfig,
        '--namespace',
        NS,
        '--name',
        'nope',
      ],
      out,
    );
    expect(code).toBe(1);
    expect(out.stderr.join('\n')).toMatch(/no Job ext-fleet\/nope in this cluster/);
  });

  it('deletes the Job, its pods, the rendered objects and the namespace it labelled', async () => {
    const deleted = await deleteDeployment(kube, { namespace: NS, name: 'hollowfleet' });
    expect(deleted.map((d) => `${d.kind}:${d.found}`)).toEqual([
      'Job:true',
      'Service:true',
      'ConfigMap:true',
      'Secret:true',
      'Namespace:true',
    ]);
    await waitFor('namespace gone', async () => {
      try {
        await kubectl('get', 'namespace', NS);
        return false;
      } catch (err) {
        return /NotFound|not found/.test(String((err as { stderr?: string }).stderr));
      }
    });
    const out = capture();
    expect(
      await main(
        ['deploy', 'delete', '--kubeconfig', cluster.info.kubeconfig, '--namespace', NS],
        out,
      ),
    ).toBe(0);
    expect(out.stderr).toContain('job/hollowfleet -n ext-fleet not found');
  });

  it('leaves a namespace that hollowfleet did not label', async () => {
    await kube.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shared-ns' } },
    });
    const deleted = await deleteDeployment(kube, { namespace: 'shared-ns', name: 'hollowfleet' });
    expect(deleted.find((d) => d.kind === 'Namespace')).toBeUndefined();
    expect(await kubectl('get', 'namespace', 'shared-ns', '-o', 'name')).toMatch(
      /namespace\/shared-ns/,
    );
  });
});
