import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubFixture, type HubFixture } from '../helpers/embedded.js';
import { waitFor } from '../helpers/wait.js';

let f: HubFixture;
let dir: string;
let tokenFile: string;

beforeAll(async () => {
  f = await startHubFixture({ nodeLimit: 10_000 });
  dir = await mkdtemp(path.join(tmpdir(), 'hf-cli-'));
  tokenFile = path.join(dir, 'token');
  await writeFile(tokenFile, f.token, { mode: 0o600 });
});
afterAll(async () => f.close());

const common = () => [
  '--cloudcore',
  `127.0.0.1:${f.hubs[0]!.port}`,
  '--cert-server',
  f.certServer.url,
  '--token-file',
  tokenFile,
  '--tls-server-name',
  'localhost',
  '--cert-dir',
  dir,
];

describe('hollowfleet fleet', () => {
  it('gates on readiness, prints progress on stderr and a JSON summary on stdout', async () => {
    const result = await runCli([
      'fleet',
      '--nodes',
      '40',
      '--prefix',
      'cli',
      '--wait-ready',
      '100%',
      '--duration',
      '500ms',
      '--json',
      ...common(),
    ]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      nodes: number;
      counters: { registrations: number };
      summaries: { registrationToReadyMs: { count: number } };
      tool: string;
    };
    expect(summary.tool).toBe('hollowfleet');
    expect(summary.nodes).toBe(40);
    expect(summary.counters.registrations).toBe(40);
    expect(summary.summaries.registrationToReadyMs.count).toBe(40);
    expect(result.stderr).not.toContain(f.token.split('.')[3]!);
  });

  it('stops gracefully on SIGINT, closing every connection', async () => {
    const result = await runCli(
      ['fleet', '--nodes', '20', '--prefix', 'sigint', '--wait-ready', '100%', ...common()],
      (stderr, child) => {
        if (/20\/20 nodes Ready/.test(stderr) && !child.killed) child.kill('SIGINT');
      },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/stopping: closing every connection/);
    expect(result.stderr).toMatch(/fleet summary \(20 nodes/);
    await waitFor(
      'sessions closed',
      () => !f.hubs[0]!.connectedNodes().some((n) => n.startsWith('sigint-')),
    );
  });

  it('exits 2 with a diagnosis when the readiness gate times out, and 1 on bad flags', async () => {
    const timeout = await runCli([
      'fleet',
      '--nodes',
      '3',
      '--prefix',
      'late',
      '--wait-ready',
      '100%',
      '--wait-timeout',
      '1s',
      '--cloudcore',
      '127.0.0.1:1',
      '--cert-server',
      f.certServer.url,
      '--token-file',
      tokenFile,
      '--cert-dir',
      dir,
    ]);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toMatch(/0 of 3 nodes Ready/);
    expect(timeout.stderr).toMatch(/HF_ENDPOINT_UNREACHABLE/);
    const bad = await runCli(['fleet', '--nodes', '3', ...common(), '--shard', '5/2']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--shard "5\/2"/);
    const missing = await runCli(['fleet', '--nodes', '3']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Missing required arguments?: cloudcore, cert-server/);
  });
});
