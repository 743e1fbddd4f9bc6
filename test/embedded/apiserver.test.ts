import { execFile, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderKubeconfig } from '../../src/embedded/apiserver/kubeconfig.js';
import { EmbeddedApiServer } from '../../src/embedded/apiserver/server.js';
import { MemoryObjectStore } from '../../src/embedded/apiserver/store.js';
import type { EmbeddedCluster } from '../../src/embedded/cluster.js';
import { startEmbeddedCluster } from '../../src/embedded/cluster.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
let cluster: EmbeddedCluster;
let kc: KubeConfig;
let core: CoreV1Api;
let kubeconfig: string;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'hf-api-'));
  cluster = await startEmbeddedCluster({ dir, hubs: 1 });
  kubeconfig = cluster.info.kubeconfig;
  kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'api-test' } } });
});
afterAll(async () => cluster?.close());

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await exec('kubectl', ['--kubeconfig', kubeconfig, ...args], {
    timeout: 20_000,
  });
  return stdout;
}

function statusCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

function pod(name: string, labels: Record<string, string> = {}) {
  return {
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'pause' }], schedulerName: 'none' },
  };
}

describe('embedded API server with @kubernetes/client-node', () => {
  it('creates, reads, lists with selectors and pages, and reports errors with Kubernetes codes', async () => {
    for (let i = 0; i < 5; i++)
      await core.createNamespacedPod({
        namespace: 'api-test',
        body: pod(`p${i}`, { group: i < 3 ? 'latency' : 'other' }),
      });
    const got = await core.readNamespacedPod({ namespace: 'api-test', name: 'p0' });
    expect(got.metadata?.uid).toBeDefined();
    const latency = await core.listNamespacedPod({
      namespace: 'api-test',
      labelSelector: 'group=latency',
    });
    expect(latency.items.map((p) => p.metadata?.name)).toEqual(['p0', 'p1', 'p2']);
    const byName = await core.listPodForAllNamespaces({ fieldSelector: 'metadata.name=p4' });
    expect(byName.items).toHaveLength(1);
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await core.listNamespacedPod({
        namespace: 'api-test',
        limit: 2,
        _continue: token,
      });
      names.push(...page.items.map((p) => p.metadata!.name!));
      token = page.metadata?._continue;
    } while (token);
    expect(names).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    await expect(
      core.createNamespacedPod({ namespace: 'api-test', body: pod('p0') }),
    ).rejects.toSatisfy((e) => statusCode(e) === 409);
    await expect(core.readNamespacedPod({ namespace: 'api-test', name: 'nope' })).rejects.toSatisfy(
      (e) => statusCode(e) === 404,
    );
    await expect(
      core.createNamespacedPod({ namespace: 'api-test', body: pod('Bad_Name') }),
    ).rejects.toSatisfy((e) => statusCode(e) === 422);
  });

  it('patches with merge, strategic merge and JSON patch content types', async () => {
    await core.patchNamespacedPod(
      { namespace: 'api-test', name: 'p1', body: { metadata: { labels: { merged: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.patchNamespacedPodStatus(
      {
        namespace: 'api-test',
        name: 'p1',
        body: { status: { conditions: [{ type: 'Ready', status: 'False' }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await core.patchNamespacedPod(
      {
        namespace: 'api-test',
        name: 'p1',
        body: [{ op: 'add', path: '/metadata/annotations', value: { j: 'p' } }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    const p = await core.readNamespacedPod({ namespace: 'api-test', name: 'p1' });
    expect(p.metadata?.labels?.merged).toBe('yes');
    expect(p.metadata?.annotations?.j).toBe('p');
    expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    await expect(
      core.patchNamespacedPod(
        {
          namespace: 'api-test',
          name: 'p1',
          body: [{ op: 'test', path: '/metadata/name', value: 'x' }],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      ),
    ).rejects.toSatisfy((e) => statusCode(e) === 422);
  });

  it('applies any kind through KubernetesObjectApi, server-side', async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'api-test' },
      data: { a: '1' },
    };
    await objects.patch(
      cm,
      undefined,
      undefined,
      'hollowfleet',
      true,
      PatchStrategy.ServerSideApply,
    );
    await objects.patch(
      { ...cm, data: { a: '2' } },
      undefined,
      undefined,
      'hollowfleet',
      true,
      PatchStrategy.ServerSideApply,
    );
    const read = await core.readNamespacedConfigMap({ namespace: 'api-test', name: 'cfg' });
    expect(read.data).toEqual({ a: '2' });
  });

  it('streams watch events, resumes from a resourceVersion and reports 410 for expired ones', async () => {
    const list = await core.listNamespacedPod({ namespace: 'api-test' });
    const seen: string[] = [];
    const watch = new Watch(kc);
    const controller = await watch.watch(
      '/api/v1/namespaces/api-test/pods',
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type, obj: { metadata?: { name?: string } }) => seen.push(`${type}:${obj.metadata?.name}`),
      () => undefined,
    );
    await core.createNamespacedPod({ namespace: 'api-test', body: pod('watched') });
    await core.deleteNamespacedPod({ namespace: 'api-test', name: 'watched' });
    await waitFor('watch events', () => seen.includes('DELETED:watched'));
    expect(seen).toEqual(['ADDED:watched', 'DELETED:watched']);
    controller.abort();
  });

  it('answers a watch from an expired resourceVersion with an ERROR event carrying 410', async () => {
    const small = new MemoryObjectStore({ historySize: 4, bookmarkIntervalMs: 0 });
    small.create('namespaces', { metadata: { name: 'x' } });
    for (let i = 0; i < 10; i++)
      small.create('configmaps', { metadata: { name: `c${i}`, namespace: 'x' } });
    const server = new EmbeddedApiServer({
      store: small,
      ca: cluster.ca,
      tokens: new Set(['secret-token']),
    });
    await server.start();
    try {
      const skc = new KubeConfig();
      skc.loadFromOptions({
        clusters: [
          {
            name: 'c',
            server: server.url,
            caData: Buffer.from(cluster.ca.certPem).toString('base64'),
          },
        ],
        users: [{ name: 'u', token: 'secret-token' }],
        contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
        currentContext: 'c',
      });
      const events: Array<[string, { code?: number; reason?: string }]> = [];
      const w = await new Watch(skc).watch(
        '/api/v1/configmaps',
        { resourceVersion: '2' },
        (type, obj) => events.push([type, obj]),
        () => undefined,
      );
      await waitFor('error event', () => events.length > 0);
      expect(events[0]![0]).toBe('ERROR');
      expect(events[0]![1]).toMatchObject({ code: 410, reason: 'Expired' });
      w.abort();
    } finally {
      await server.close();
      small.close();
    }
  });

  it('serves discovery, the version and /metrics with the apiserver SLI histogram', async () => {
    const version = JSON.parse(await kubectl('version', '-o', 'json')) as {
      serverVersion: { minor: string };
    };
    expect(version.serverVersion.minor).toBe('32');
    const metrics = await kubectl('get', '--raw', '/metrics');
    const sli = metrics
      .split('\n')
      .filter((l) => l.startsWith('apiserver_request_sli_duration_seconds_bucket{'));
    const has = (lines: string[], ...labels: string[]) =>
      lines.some((l) => labels.every((x) => l.includes(x)));
    expect(
      has(
        sli,
        'verb="POST"',
        'resource="pods"',
        'scope="resource"',
        'le="0.05"',
        'component="apiserver"',
      ),
    ).toBe(true);
    expect(has(sli, 'verb="LIST"', 'resource="pods"', 'scope="namespace"')).toBe(true);
    expect(has(sli, 'verb="PATCH"', 'subresource="status"')).toBe(true);
    expect(has(sli, 'verb="WATCH"')).toBe(false);
    const all = metrics
      .split('\n')
      .filter((l) => l.startsWith('apiserver_request_duration_seconds_bucket{'));
    expect(has(all, 'le="0.005"', 'verb="WATCH"')).toBe(true);
  });

  it('refuses requests without credentials', async () => {
    const anonymous = path.join(path.dirname(kubeconfig), 'anonymous');
    await writeFile(
      anonymous,
      renderKubeconfig({
        server: cluster.info.apiServer,
        caPem: cluster.ca.certPem,
        token: 'not-a-valid-token',
      }),
      { mode: 0o600 },
    );
    const out = await exec('kubectl', ['--kubeconfig', anonymous, 'get', 'pods'], {
      timeout: 20_000,
    }).catch((e: { stderr: string }) => e);
    expect((out as { stderr: string }).stderr).toMatch(/Unauthorized|must be logged in/);
  });
});

describe('embedded API server with the real kubectl', () => {
  it('applies, gets, watches, waits for and deletes objects', async () => {
    const dir = path.dirname(kubeconfig);
    const manifest = path.join(dir, 'deploy.yaml');
    await writeFile(
      manifest,
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web, namespace: api-test}',
        'spec:',
        '  replicas: 2',
        '  selector: {matchLabels: {app: web}}',
        '  template:',
        '    metadata: {labels: {app: web}}',
        '    spec: {containers: [{name: c, image: pause}]}',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: settings, namespace: api-test}',
        'data: {k: v}',
      ].join('\n'),
    );
    expect(await kubectl('apply', '-f', manifest)).toMatch(/deployment.apps\/web created/);
    expect(await kubectl('apply', '--server-side', '-f', manifest)).toMatch(/serverside-applied/);
    await waitFor(
      'replica set and pods',
      async () =>
        (await kubectl('get', 'pods', '-n', 'api-test', '-l', 'app=web', '-o', 'name'))
          .trim()
          .split('\n').length === 2,
    );
    const table = await kubectl('get', 'deploy', '-n', 'api-test');
    expect(table).toMatch(/NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);

    const watcher = spawn('kubectl', [
      '--kubeconfig',
      kubeconfig,
      'get',
      'configmaps',
      '-n',
      'api-test',
      '-w',
      '-o',
      'name',
    ]);
    let watched = '';
    watcher.stdout.on('data', (d: Buffer) => (watched += d.toString()));
    try {
      await waitFor('initial watch line', () => watched.includes('configmap/settings'));
      await core.createNamespacedConfigMap({
        namespace: 'api-test',
        body: { metadata: { name: 'late' }, data: {} },
      });
      await waitFor('watched creation', () => watched.includes('configmap/late'));
    } finally {
      watcher.kill();
    }

    cluster.store.create('nodes', {
      metadata: { name: 'wait-node' },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    });
    const waiting = exec(
      'kubectl',
      [
        '--kubeconfig',
        kubeconfig,
        'wait',
        '--for=condition=Ready',
        'node/wait-node',
        '--timeout=15s',
      ],
      { timeout: 20_000 },
    );
    setTimeout(
      () =>
        cluster.store.patch(
          'nodes',
          undefined,
          'wait-node',
          'strategic',
          { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
          { subresource: 'status' },
        ),
      300,
    );
    expect((await waiting).stdout).toMatch(/condition met/);

    expect(await kubectl('delete', '-f', manifest)).toMatch(/deleted/);
    await waitFor(
      'deployment gone',
      async () => !(await kubectl('get', 'deploy', '-n', 'api-test', '-o', 'name')).includes('web'),
    );
  });
});
