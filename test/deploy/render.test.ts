import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ParsedArgs } from '../../src/cli/command.js';
import { applyProfileFile, profileFromArgs } from '../../src/cli/commands/fleet.js';
import { parseAllDocuments } from 'yaml';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { ConfigError } from '../../src/common/errors.js';
import {
  renderDeployment,
  resolveDeployOptions,
  shardResources,
  type DeployOptions,
  type KubeManifest,
} from '../../src/deploy/render.js';
import { mintJoinToken } from '../../src/protocol/token.js';
import { createCertificateAuthority } from '../../src/embedded/pki.js';

const base: DeployOptions = {
  nodes: 100_000,
  shards: 5,
  cloudcore: ['cc-a.example:10000', 'cc-b.example:10000'],
  certServer: 'https://cc.example:10002',
  tokenSecret: 'edge-token',
  image: 'ghcr.io/example/hollowfleet:0.1.0',
};

interface Container {
  args: string[];
  env: Array<{ name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown>;
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  ports: Array<{ name: string; containerPort: number }>;
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface JobSpec {
  completionMode: string;
  completions: number;
  parallelism: number;
  template: {
    spec: {
      containers: Container[];
      securityContext: Record<string, unknown>;
      terminationGracePeriodSeconds: number;
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: unknown[] } };
      volumes: Array<{ name: string; emptyDir?: unknown; secret?: { secretName: string } }>;
      nodeSelector?: Record<string, string>;
      subdomain: string;
    };
  };
}

function job(manifests: KubeManifest[]): JobSpec {
  const j = manifests.find((m) => m.kind === 'Job');
  expect(j).toBeDefined();
  return j!.spec as JobSpec;
}

function argValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
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

describe('renderDeployment', () => {
  it('renders Namespace, ConfigMap, headless Service and an Indexed Job, in apply order', () => {
    const manifests = renderDeployment(base);
    expect(manifests.map((m) => m.kind)).toEqual(['Namespace', 'ConfigMap', 'Service', 'Job']);
    for (const m of manifests)
      expect(m.metadata.labels?.['hollowfleet.io/fleet']).toBe('hollowfleet');
    const svc = manifests.find((m) => m.kind === 'Service')!.spec as Record<string, unknown>;
    expect(svc.clusterIP).toBe('None');
    expect(svc.selector).toEqual({ 'hollowfleet.io/fleet': 'hollowfleet' });
    const spec = job(manifests);
    expect(spec.completionMode).toBe('Indexed');
    expect(spec.completions).toBe(5);
    expect(spec.parallelism).toBe(5);
    expect(spec.template.spec.subdomain).toBe('hollowfleet');
  });

  it('gives each shard its index, the CloudCore addresses, the cert server, the token file and the metrics port', () => {
    const c = job(renderDeployment({ ...base, metricsPort: 9500, tlsServerName: 'cloudcore' }))
      .template.spec.containers[0]!;
    expect(c.args[0]).toBe('fleet');
    expect(argValue(c.args, '--nodes')).toBe('20000');
    expect(argValue(c.args, '--shard')).toBe('$(JOB_COMPLETION_INDEX)/5');
    expect(argValue(c.args, '--cloudcore')).toBe('cc-a.example:10000,cc-b.example:10000');
    expect(argValue(c.args, '--cert-server')).toBe('https://cc.example:10002');
    expect(argValue(c.args, '--token-file')).toBe('/etc/hollowfleet/token/tokendata');
    expect(argValue(c.args, '--metrics-port')).toBe('9500');
    expect(argValue(c.args, '--metrics-host')).toBe('0.0.0.0');
    expect(argValue(c.args, '--tls-server-name')).toBe('cloudcore');
    expect(argValue(c.args, '--cert-dir')).toBe('/var/cache/hollowfleet/certs');
    // 20,000 nodes exceed one process's 19,000: two processes per shard.
    expect(argValue(c.args, '--processes')).toBe('2');
    const indexEnv = c.env.find((e) => e.name === 'JOB_COMPLETION_INDEX');
    expect(indexEnv?.valueFrom?.fieldRef?.fieldPath).toBe(
      "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    );
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9500, protocol: 'TCP' }]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
  });

  it('runs non-root on a read-only root filesystem with every capability dropped, writable dirs on emptyDir', () => {
    const pod = job(renderDeployment(base)).template.spec;
    const c = pod.containers[0]!;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const emptyDirs = pod.volumes.filter((v) => v.emptyDir).map((v) => v.name);
    const writable = c.volumeMounts.filter((m) => !m.readOnly);
    for (const m of writable) expect(emptyDirs).toContain(m.name);
    expect(writable.map((m) => m.mountPath)).toContain('/var/cache/hollowfleet/certs');
    expect(pod.terminationGracePeriodSeconds).toBe(60);
    expect(
      pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution,
    ).toHaveLength(1);
    expect(pod.volumes.find((v) => v.name === 'token')?.secret?.secretName).toBe('edge-token');
  });

  it('computes requests and limits from the measured per-node cost with headroom', () => {
    // memory: 2 × 96 MiB + 20,000 × 80 KiB × 1.25 = 2,145.1 MiB → 2,160 Mi; limit × 1.5 → 3,248 Mi
    // cpu: 2 × 100m + 20,000 × 20 µs/s × 2 = 1,000m; limit + 500/280 cores → 2,800m
    const r = shardResources(20_000, 2, 500);
    expect(r.requests).toEqual({ cpu: '1000m', memory: '2160Mi' });
    expect(r.limits).toEqual({ cpu: '2800m', memory: '3248Mi' });
    const small = shardResources(10_000, 1, 200);
    expect(small.memoryRequestMiB).toBe(Math.ceil((96 + (10_000 * 80 * 1.25) / 1024) / 16) * 16);
    expect(small.cpuRequestMillicores).toBe(500);
    expect(small.cpuLimitMillicores).toBe(1300);
    const c = job(renderDeployment(base)).template.spec.containers[0]!;
    expect(c.resources).toEqual({ requests: r.requests, limits: r.limits });
    // Resources grow with the nodes per shard.
    expect(shardResources(15_000, 1, 500).memoryRequestMiB).toBeGreaterThan(small.memoryRequestMiB);
  });

  it('renders a Secret from a token file, and a profile ConfigMap from the profile flags', async () => {
    const ca = await createCertificateAuthority();
    const token = mintJoinToken(ca.certDer, ca.keyDer, Math.floor(Date.now() / 1000) + 3600);
    const manifests = renderDeployment({
      ...base,
      tokenSecret: undefined,
      token,
      name: 'edge',
      namespace: 'fleet',
      profile: { keepalive: '20s', 'pod-start-delay': 'uniform:100ms-2s' },
    });
    expect(manifests.map((m) => m.kind)).toEqual([
      'Namespace',
      'Secret',
      'ConfigMap',
      'Service',
      'Job',
    ]);
    const secret = manifests[1]!;
    expect(secret.metadata).toMatchObject({ name: 'edge-join-token', namespace: 'fleet' });
    expect(Buffer.from((secret.data as { tokendata: string }).tokendata, 'base64').toString()).toBe(
      token,
    );
    const cm = manifests[2]!.data as Record<string, string>;
    expect(parseAllDocuments(cm['profile.yaml']!)[0]!.toJS()).toEqual({
      keepalive: '20s',
      'pod-start-delay': 'uniform:100ms-2s',
    });
  });

  it('refuses bad options with ConfigErrors that name the flag and the fix', () => {
    const bad: Array<[Partial<DeployOptions>, RegExp]> = [
      [
        { nodes: undefined, shards: 1, nodesPerShard: 25_000, processesPerShard: 1 },
        /over the 19000 .*--processes 2/,
      ],
      [{ shards: 6 }, /does not divide into --shards 6.*--shards 5 \(20,000 each\)/],
      [{ shards: undefined }, /needs --shards or --nodes-per-shard/],
      [{ token: 'x' }, /exactly one of --token-secret/],
      [{ tokenSecret: undefined }, /exactly one of --token-secret/],
      [{ tokenSecret: undefined, token: 'abc.def' }, /join token is not CloudCore's/],
      [{ cloudcore: ['cc.example'] }, /--cloudcore "cc.example": expected HOST:PORT/],
      [{ cloudcore: [] }, /--cloudcore needs at least one/],
      [{ certServer: 'http://cc:10002' }, /--cert-server .*https/],
      [{ metricsPort: 80 }, /--metrics-port 80/],
      [{ image: '' }, /--image/],
      [{ namespace: 'Bad_NS' }, /--namespace "Bad_NS"/],
      [{ profile: { keepalive: 'soon' } }, /--keepalive/],
      [{ profile: { colour: 'blue' } as never }, /unknown; known keys/],
      [{ nodes: 100, shards: 1, nodesPerShard: 100 }, /not all three/],
    ];
    for (const [patch, message] of bad) {
      let caught: unknown;
      try {
        resolveDeployOptions({ ...base, ...patch });
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(patch)).toBeInstanceOf(ConfigError);
      expect((caught as Error).message).toMatch(message);
    }
    // --nodes-per-shard alone, and with --nodes.
    expect(
      resolveDeployOptions({ ...base, nodes: undefined, shards: 3, nodesPerShard: 12_000 }).nodes,
    ).toBe(36_000);
    expect(resolveDeployOptions({ ...base, shards: undefined, nodesPerShard: 12_500 }).shards).toBe(
      8,
    );
    expect(resolveDeployOptions({ ...base, shards: 10 }).resources.processes).toBe(1);
  });
});

describe('the profile ConfigMap', () => {
  it('is what `hollowfleet fleet --profile` reads; flags on the command line win', async () => {
    const manifests = renderDeployment({
      ...base,
      profile: { keepalive: '20s', 'lease-interval': '12s', 'node-labels': 'zone=a,tier=edge' },
    });
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'hf-profile-')), 'profile.yaml');
    await writeFile(file, (manifests[1]!.data as Record<string, string>)['profile.yaml']!);
    const args: ParsedArgs = { _: [], profile: file, 'lease-interval': '5s' };
    applyProfileFile(args);
    expect(args).toMatchObject({
      keepalive: '20s',
      'lease-interval': '5s',
      'node-labels': 'zone=a,tier=edge',
    });
    expect(profileFromArgs(args)).toMatchObject({
      intervals: { keepaliveMs: 20_000, leaseMs: 5_000 },
      labels: { zone: 'a', tier: 'edge' },
    });
    await writeFile(file, 'colour: blue\n');
    expect(() => applyProfileFile({ _: [], profile: file })).toThrow(/unknown key "colour"/);
  });
});

describe('hollowfleet deploy render', () => {
  const flags = [
    'deploy',
    'render',
    '--nodes',
    '30000',
    '--shards',
    '2',
    '--cloudcore',
    'cc-a.example:10000,cc-b.example:10000',
    '--cert-server',
    'https://cc.example:10002',
    '--token-secret',
    'edge-token',
    '--image',
    'hollowfleet:test',
    '--namespace',
    'scale',
    '--keepalive',
    '15s',
  ];

  it('prints multi-document YAML on stdout that parses back to the rendered manifests', async () => {
    const out = capture();
    expect(await main(flags, out)).toBe(0);
    const docs = parseAllDocuments(out.stdout.join('')).map((d) => d.toJS() as KubeManifest);
    expect(docs.map((d) => d.kind)).toEqual(['Namespace', 'ConfigMap', 'Service', 'Job']);
    expect(docs).toEqual(
      renderDeployment({
        ...base,
        nodes: 30_000,
        shards: 2,
        image: 'hollowfleet:test',
        namespace: 'scale',
        name: 'hollowfleet',
        prefix: 'hollow',
        metricsPort: 9464,
        imagePullPolicy: 'IfNotPresent',
        connectRate: 500,
        terminationGracePeriodSeconds: 60,
        profile: { keepalive: '15s' },
      }),
    );
    expect(out.stderr).toEqual([]);
  });

  it('prints a JSON List with -o json, and exits 1 naming the problem on bad input', async () => {
    const json = capture();
    expect(await main([...flags, '-o', 'json'], json)).toBe(0);
    const list = JSON.parse(json.stdout.join('')) as { kind: string; items: KubeManifest[] };
    expect(list.kind).toBe('List');
    expect(list.items).toHaveLength(4);
    const bad = capture();
    const oneShard = flags.map((f, i) => (flags[i - 1] === '--shards' ? '1' : f));
    expect(await main([...oneShard, '--processes', '1'], bad)).toBe(1);
    expect(bad.stderr.join('\n')).toMatch(/30000 per process, over the 19000/);
    const ca = await createCertificateAuthority();
    const tokenFile = path.join(await mkdtemp(path.join(tmpdir(), 'hf-token-')), 'token');
    const token = mintJoinToken(ca.certDer, ca.keyDer, Math.floor(Date.now() / 1000) + 3600);
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const withToken = capture();
    const tokenFlags = flags.flatMap((f, i) =>
      f === '--token-secret'
        ? ['--token-file']
        : flags[i - 1] === '--token-secret'
          ? [tokenFile]
          : [f],
    );
    expect(await main(tokenFlags, withToken)).toBe(0);
    expect(withToken.stderr.join('\n')).toMatch(
      /holds the join token \(Secret hollowfleet-join-token\)/,
    );
    expect(withToken.stderr.join('\n')).not.toContain(token.split('.')[3]!);
    expect(withToken.stdout.join('')).toContain(Buffer.from(token).toString('base64'));
    const twice = capture();
    expect(await main([...flags, '--shards', '3'], twice)).toBe(1);
    expect(twice.stderr.join('\n')).toMatch(/--shards was given more than once/);
    expect(bad.stdout).toEqual([]);
  });
});
