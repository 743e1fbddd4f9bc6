import { mkdtemp, readFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { describe, expect, it } from 'vitest';

describe('hollowfleet demo (the quick start)', () => {
  it('runs end to end on the embedded control plane and writes the report', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hf-demo-'));
    const reports = path.join(dir, 'reports');
    const result = await runCli([
      'demo',
      '--nodes',
      '12',
      '--pods-per-node',
      '2',
      '--workers',
      '2',
      '--reports',
      reports,
      '--dir',
      path.join(dir, 'state'),
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      status: string;
      target: { kind: string };
      pods: number;
      verdicts: Array<{ name: string; pass: boolean; samples: number }>;
    };
    expect(summary.status).toBe('passed');
    expect(summary.target.kind).toBe('embedded');
    expect(summary.verdicts.find((v) => v.name === 'pod startup p99')).toMatchObject({
      pass: true,
      samples: 24,
    });
    expect(result.stderr).toMatch(/✓ pod startup p99/);
    expect(result.stderr).toMatch(/PASSED: every SLO met/);
    const latest = await readlink(path.join(reports, 'latest'));
    const onDisk = JSON.parse(
      await readFile(path.join(reports, latest, 'summary.json'), 'utf8'),
    ) as { schema: number; status: string };
    expect(onDisk).toMatchObject({ schema: 1, status: 'passed' });
    expect(await readFile(path.join(reports, latest, 'summary.md'), 'utf8')).toMatch(
      /\| ✓ \| pod startup p99 \|/,
    );
  });

  it('on Ctrl-C cleans up, writes a report marked incomplete and exits 130', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hf-demo-'));
    const reports = path.join(dir, 'reports');
    const result = await runCli(
      [
        'demo',
        '--nodes',
        '8',
        '--pods-per-node',
        '1',
        '--workers',
        '1',
        '--reports',
        reports,
        '--dir',
        path.join(dir, 'state'),
      ],
      (stderr, child) => {
        if (/starting the embedded control plane/.test(stderr) && !child.killed)
          setTimeout(() => child.kill('SIGINT'), 300);
      },
    );
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/INCOMPLETE/);
    const summary = JSON.parse(
      await readFile(path.join(reports, 'latest', 'summary.json'), 'utf8'),
    ) as { status: string; reason: string };
    expect(summary.status).toBe('incomplete');
    expect(summary.reason).toMatch(/interrupted/);
  });
});
