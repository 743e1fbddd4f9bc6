import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  readdir,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { loadRunSummary } from '../../src/report/load.js';
import {
  defaultReporters,
  rerenderReport,
  updateLatest,
  writeRunReport,
  type Reporter,
} from '../../src/report/run-report.js';
import { RUN_SUMMARY_JSON_SCHEMA } from '../../src/report/schema.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fixture } from './helpers.js';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'hf-report-'));
}

describe('writeRunReport', () => {
  it('creates reports/<UTC compact>-<scenario>/ with every built-in file and points latest at it', async () => {
    const reportsDir = await tempDir();
    const summary = fixture('pass');
    const report = await writeRunReport(summary, { reportsDir });
    expect(report.errors).toEqual([]);
    expect(path.basename(report.runDir)).toBe('20261125T073012Z-density');
    expect(report.files).toEqual([
      'summary.json',
      'APIResponsivenessPrometheus_simple_density_2026-11-25T07:40:14Z.json',
      'PodStartupLatency_PodStartupLatency_density_2026-11-25T07:40:14Z.json',
      'SchedulingThroughput_density_2026-11-25T07:40:14Z.json',
      'junit.xml',
      'summary.md',
      'fleet-histograms.json',
      'report.html',
    ]);
    expect((await readdir(report.runDir)).sort()).toEqual([...report.files].sort());
    expect(report.latest).toEqual({ kind: 'symlink', path: path.join(reportsDir, 'latest') });
    expect(await readlink(path.join(reportsDir, 'latest'))).toBe('20261125T073012Z-density');
  });

  it('summary.json is pretty, versioned, valid against its JSON Schema and reads back unchanged', async () => {
    const reportsDir = await tempDir();
    const summary = fixture('breach');
    const { runDir } = await writeRunReport(summary, { reportsDir });
    const text = await readFile(path.join(runDir, 'summary.json'), 'utf8');
    expect(text.startsWith('{\n  "schema": 2,\n  "tool": {\n    "name": "hollowfleet",')).toBe(
      true,
    );
    expect(text.endsWith('}\n')).toBe(true);
    const validate = new Ajv({ strict: false }).compile(RUN_SUMMARY_JSON_SCHEMA);
    expect(validate(JSON.parse(text)), JSON.stringify(validate.errors)).toBe(true);
    expect(await loadRunSummary(runDir)).toEqual(summary);
  });

  it('the schema rejects what the model forbids', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(RUN_SUMMARY_JSON_SCHEMA);
    const bad = fixture('pass') as unknown as {
      verdict: string;
      measurements: Array<{ status: string }>;
    };
    bad.verdict = 'passed';
    bad.measurements[0]!.status = 'ok';
    expect(validate(bad)).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath)).toEqual(
      expect.arrayContaining(['/verdict', '/measurements/0/status']),
    );
  });

  it('replaces latest atomically with each new run, and a rerun of the same run reuses its directory', async () => {
    const reportsDir = await tempDir();
    await writeRunReport(fixture('pass'), { reportsDir });
    const second = await writeRunReport(fixture('breach'), { reportsDir });
    expect(await readlink(path.join(reportsDir, 'latest'))).toBe(path.basename(second.runDir));
    const again = await writeRunReport(fixture('breach'), { reportsDir });
    expect(again.runDir).toBe(second.runDir);
    const other = fixture('breach');
    other.run.id = 'another-run';
    const third = await writeRunReport(other, { reportsDir });
    expect(path.basename(third.runDir)).toBe('20261125T090241Z-density-2');
    expect((await readdir(reportsDir)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('keeps going when a reporter throws: the others still write and the error is returned', async () => {
    const reportsDir = await tempDir();
    const broken: Reporter = {
      name: 'broken',
      write: () => Promise.reject(new Error('disk on fire')),
    };
    const reporters = defaultReporters();
    reporters.splice(1, 0, broken);
    const report = await writeRunReport(fixture('pass'), { reportsDir, reporters });
    expect(report.errors).toEqual([{ reporter: 'broken', message: 'disk on fire' }]);
    expect(report.files).toContain('summary.json');
    expect(report.files).toContain('report.html');
    expect(report.files).toContain('junit.xml');
    expect(report.files.at(-1)).toBe('reporter-errors.txt');
    expect(await readFile(path.join(report.runDir, 'reporter-errors.txt'), 'utf8')).toBe(
      'broken: disk on fire\n',
    );
  });

  it('writes raw per-pod records as NDJSON', async () => {
    const reportsDir = await tempDir();
    async function* pods() {
      for (let i = 0; i < 3; i++) yield { pod: `ns/p-${i}`, create: i, run: i + 400 };
    }
    const report = await writeRunReport(fixture('pass'), {
      reportsDir,
      raw: { pods: pods(), nodes: [{ node: 'hollow-0-0' }] },
    });
    expect(report.files.slice(-2)).toEqual(['pods.ndjson', 'nodes.ndjson']);
    const lines = (await readFile(path.join(report.runDir, 'pods.ndjson'), 'utf8'))
      .trimEnd()
      .split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { pod: 'ns/p-0', create: 0, run: 400 },
      { pod: 'ns/p-1', create: 1, run: 401 },
      { pod: 'ns/p-2', create: 2, run: 402 },
    ]);
  });

  it('writes the fleet histograms, encoded', async () => {
    const reportsDir = await tempDir();
    const summary = fixture('pass');
    const { runDir } = await writeRunReport(summary, { reportsDir });
    const body = JSON.parse(await readFile(path.join(runDir, 'fleet-histograms.json'), 'utf8')) as {
      histograms: unknown;
      counters: unknown;
    };
    expect(body.histograms).toEqual(summary.fleet!.histograms);
    expect(body.counters).toEqual(summary.fleet!.counters);
  });
});

describe('reports/latest', () => {
  it('falls back to a text file naming the run directory where symlinks fail, and loadRunSummary follows it', async () => {
    const reportsDir = await tempDir();
    const { runDir } = await writeRunReport(fixture('pass'), { reportsDir });
    const latest = await updateLatest(reportsDir, runDir, () =>
      Promise.reject(Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM' })),
    );
    expect(latest).toEqual({ kind: 'file', path: path.join(reportsDir, 'latest') });
    expect((await lstat(path.join(reportsDir, 'latest'))).isFile()).toBe(true);
    expect(await readFile(path.join(reportsDir, 'latest'), 'utf8')).toBe(
      '20261125T073012Z-density\n',
    );
    expect((await loadRunSummary(path.join(reportsDir, 'latest'))).run.id).toBe(
      '20261125T073012Z-density-7f3a',
    );
  });

  it('reports, rather than throws, when latest cannot be replaced', async () => {
    const reportsDir = await tempDir();
    await mkdir(path.join(reportsDir, 'latest', 'something'), { recursive: true });
    const report = await writeRunReport(fixture('pass'), { reportsDir });
    expect(report.latest.kind).toBe('failed');
    expect(report.files).toContain('report.html');
  });
});

describe('loadRunSummary', () => {
  it('names the file and the fix for an unsupported schema', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'summary.json');
    await writeFile(file, JSON.stringify({ schema: 1, status: 'passed' }));
    await expect(loadRunSummary(dir)).rejects.toThrow(
      `${file}: summary schema 1 is not supported; this hollowfleet reads schema 2`,
    );
    await expect(loadRunSummary(dir)).rejects.toMatchObject({ code: 'HF_CONFIG' });
  });

  it('names the file and the JSON path of an invalid field', async () => {
    const dir = await tempDir();
    const s = fixture('pass') as unknown as { run: { nodes: unknown } };
    s.run.nodes = 'many';
    await writeFile(path.join(dir, 'summary.json'), JSON.stringify(s));
    await expect(loadRunSummary(dir)).rejects.toThrow(
      /summary\.json: not a valid run summary: \/run\/nodes must be number/,
    );
  });

  it('names the file when it is missing or not JSON', async () => {
    const dir = await tempDir();
    await expect(loadRunSummary(path.join(dir, 'nope'))).rejects.toThrow(
      /nope: no such run directory or summary file/,
    );
    await expect(loadRunSummary(dir)).rejects.toThrow(/summary\.json: no summary\.json here/);
    await writeFile(path.join(dir, 'summary.json'), '{"schema": 2,');
    await expect(loadRunSummary(dir)).rejects.toThrow(/summary\.json: not valid JSON .*truncated/);
  });
});

describe('rerenderReport', () => {
  it('re-renders report.html and summary.md from summary.json alone', async () => {
    const reportsDir = await tempDir();
    const { runDir } = await writeRunReport(fixture('breach'), { reportsDir });
    const html = await readFile(path.join(runDir, 'report.html'), 'utf8');
    const md = await readFile(path.join(runDir, 'summary.md'), 'utf8');
    await rm(path.join(runDir, 'report.html'));
    await writeFile(path.join(runDir, 'summary.md'), 'stale');
    const result = await rerenderReport(runDir);
    expect(result).toEqual({ runDir, files: ['report.html', 'summary.md'], errors: [] });
    // Compared as a boolean: a failing toBe would print two whole reports.
    expect((await readFile(path.join(runDir, 'report.html'), 'utf8')) === html).toBe(true);
    expect(await readFile(path.join(runDir, 'summary.md'), 'utf8')).toBe(md);
  });
});

describe('summary.md', () => {
  it('lists the verdicts, the breached SLOs and every skipped measurement with its reason', () => {
    const md = renderMarkdown(fixture('breach'));
    expect(md).toMatch(/^## ❌ hollowfleet density: FAILED\n/);
    expect(md).toContain('**SLO breached: PUT leases resource Perc99, pod_startup Perc99**');
    expect(md).toContain(
      '| ❌ | pod_startup Perc99 | 5,291 ms | ≤ 5,000 ms | 300 | watch receive time (HEAD) |',
    );
    expect(md).toContain(
      '| ✅ | SchedulingThroughput max | 12.2 pods/s | ≥ 10 pods/s | 6 | pod list every 5 s |',
    );
    expect(md).toContain('### Skipped measurements (2)');
    expect(md).toContain(
      '- ⏭️ **InClusterNetworkLatency**: not supported by hollowfleet: it needs the probes and Prometheus server of CL2',
    );
    expect(md).toContain(
      '- ⏭️ **ResourceUsageSummary**: hollow nodes have no kubelet /stats/summary to poll',
    );
  });

  it('flags an incomplete run before anything else', () => {
    const md = renderMarkdown(fixture('incomplete'));
    expect(md.split('\n').slice(0, 4)).toEqual([
      '## ⚠️ hollowfleet density: INCOMPLETE',
      '',
      '> [!WARNING]',
      '> **Incomplete run**: interrupted (SIGINT) during step 03 "Waiting for latency pods to be running". The figures below cover only what was measured before it stopped.',
    ]);
    expect(md).toContain('- ⏭️ **PodStartupLatency**: run interrupted before gather');
  });

  it('a passing run says so with the number of checks', () => {
    expect(renderMarkdown(fixture('pass'))).toMatch(
      /^## ✅ hollowfleet density: PASSED\n\n\*\*every SLO met \(15 checked\)\*\*/,
    );
  });
});
