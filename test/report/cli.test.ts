import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { parseTolerance } from '../../src/cli/parse.js';
import { writeRunReport } from '../../src/report/run-report.js';
import { summaryJsonReporter } from '../../src/report/run-report.js';
import { fixture } from './helpers.js';

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    color: false,
    isTTY: false,
    data: (t) => stdout.push(t),
    info: (t) => stderr.push(t),
    warn: (t) => stderr.push(`warning: ${t}`),
    error: (t) => stderr.push(`error: ${t}`),
  };
}

let reportsDir: string;
let passDir: string;
let slowerDir: string;

beforeAll(async () => {
  reportsDir = await mkdtemp(path.join(tmpdir(), 'hf-cli-report-'));
  const reporters = [summaryJsonReporter()];
  passDir = (await writeRunReport(fixture('pass'), { reportsDir, reporters })).runDir;
  const slower = fixture('pass');
  slower.run.id = 'slower';
  slower.run.startedAt = '2026-11-26T07:30:12.345Z';
  const pods = slower.measurements.find((m) => m.data.kind === 'podStartup')!;
  if (pods.data.kind === 'podStartup') pods.data.transitions.pod_startup!.Perc99 *= 1.3;
  slowerDir = (await writeRunReport(slower, { reportsDir, reporters })).runDir;
});

describe('hollowfleet compare', () => {
  it('exits 0 with no regression and prints the table on stderr', async () => {
    const out = capture();
    expect(await main(['compare', passDir, path.join(passDir, 'summary.json')], out)).toBe(0);
    expect(out.stdout).toEqual([]);
    expect(out.stderr.join('\n')).toMatch(
      /NO REGRESSION against baseline 20261125T073012Z-density-7f3a/,
    );
  });

  it('exits 4 on a regression; --json puts the ComparisonResult on stdout', async () => {
    const out = capture();
    expect(await main(['compare', passDir, slowerDir, '--json'], out)).toBe(4);
    const result = JSON.parse(out.stdout.join('')) as {
      regressed: boolean;
      baseline: { path: string };
      rows: Array<{ metric: string; verdict: string }>;
    };
    expect(result.regressed).toBe(true);
    expect(result.baseline.path).toBe(passDir);
    expect(result.rows.find((r) => r.metric.endsWith('pod_startup Perc99'))?.verdict).toBe(
      'regressed',
    );
    expect(out.stderr.join('\n')).toMatch(/REGRESSED: 1 of \d+ metrics/);
  });

  it('--tolerance and --min-delta widen the noise band', async () => {
    const out = capture();
    expect(await main(['compare', passDir, slowerDir, '--tolerance', '35%'], out)).toBe(0);
    expect(await main(['compare', passDir, slowerDir, '--min-delta', '1s'], capture())).toBe(0);
  });

  it('exits 1 with the file named for a summary it cannot compare', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hf-cli-old-'));
    await writeFile(
      path.join(dir, 'summary.json'),
      JSON.stringify({ schema: 1, status: 'passed' }),
    );
    const out = capture();
    expect(await main(['compare', dir, passDir], out)).toBe(1);
    expect(out.stderr[0]).toBe(
      `error: ${path.join(dir, 'summary.json')}: summary schema 1 is not supported; this hollowfleet reads schema 2 (re-run the scenario with this version to get a comparable summary)`,
    );
  });

  it('exits 1 for a bad flag value', async () => {
    const out = capture();
    expect(await main(['compare', passDir, slowerDir, '--tolerance', 'lots'], out)).toBe(1);
    expect(out.stderr[0]).toMatch(/--tolerance "lots": expected a percentage like 10%/);
  });

  it('parses tolerances and durations', () => {
    expect(parseTolerance('10%')).toBeCloseTo(0.1, 12);
    expect(parseTolerance('0.25')).toBe(0.25);
  });

  it('reads --min-delta as run does: any Go duration, or bare milliseconds', async () => {
    // 1m30s is beyond every change between the two fixtures: no regression.
    expect(await main(['compare', passDir, slowerDir, '--min-delta', '1m30s'], capture())).toBe(0);
    const out = capture();
    expect(await main(['compare', passDir, slowerDir, '--min-delta', '5 minutes'], out)).toBe(1);
    expect(out.stderr.join('')).toMatch(/--min-delta: "5 minutes" is not a duration/);
  });
});

describe('hollowfleet report', () => {
  it('re-renders report.html and summary.md of a run directory through reports/latest', async () => {
    await rm(path.join(slowerDir, 'report.html'), { force: true });
    const out = capture();
    expect(await main(['report', path.join(reportsDir, 'latest')], out)).toBe(0);
    const html = await readFile(path.join(slowerDir, 'report.html'), 'utf8');
    expect(html).toContain('<title>PASSED · density · hollowfleet</title>');
    expect(await readFile(path.join(slowerDir, 'summary.md'), 'utf8')).toMatch(
      /^## ✅ hollowfleet density: PASSED/,
    );
    expect(out.stderr.at(-2)!.split('\n').at(-1)).toBe('PASSED: every SLO met (15 checked)');
    expect(out.stderr.at(-1)).toMatch(/^re-rendered report\.html, summary\.md in /);
  });

  it('exits 1 naming the directory when there is no run there', async () => {
    const out = capture();
    expect(await main(['report', path.join(reportsDir, 'nope')], out)).toBe(1);
    expect(out.stderr[0]).toBe(
      `error: ${path.join(reportsDir, 'nope')}: no such run directory or summary file`,
    );
  });
});
