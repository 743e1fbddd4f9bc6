import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/report/model.js';
import { runCli } from '../helpers/cli.js';

const tiny = fileURLToPath(new URL('./fixtures/tiny.yaml', import.meta.url));

describe('hollowfleet run --baseline', () => {
  it('exits 4 when the run regressed against the baseline, and reports the comparison', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hf-baseline-'));
    const reports = path.join(dir, 'reports');
    const common = [
      '--nodes',
      '2',
      '--workers',
      '1',
      '--reports',
      reports,
      '--dir',
      path.join(dir, 'state'),
    ];
    const first = await runCli(['run', tiny, ...common]);
    expect(first.code, first.stderr).toBe(0);

    // A baseline in which pod startup was ten times faster than anything this run can do.
    const measured = JSON.parse(
      await readFile(path.join(reports, 'latest', 'summary.json'), 'utf8'),
    ) as RunSummary;
    for (const m of measured.measurements)
      if (m.data.kind === 'podStartup')
        for (const t of Object.values(m.data.transitions)) {
          t.Perc50 /= 10;
          t.Perc90 /= 10;
          t.Perc99 /= 10;
        }
    const baseline = path.join(dir, 'baseline');
    await mkdir(baseline);
    await writeFile(path.join(baseline, 'summary.json'), JSON.stringify(measured));

    const second = await runCli(['run', tiny, ...common, '--baseline', baseline, '--json']);
    expect(second.code, second.stderr).toBe(4);
    const summary = JSON.parse(second.stdout) as RunSummary;
    expect(summary.verdict).toBe('pass'); // the SLOs themselves were met
    expect(summary.comparison?.regressed).toBe(true);
    expect(
      summary.comparison?.rows.some(
        (r) => r.verdict === 'regressed' && /pod_startup Perc99/.test(r.metric),
      ),
    ).toBe(true);
    expect(second.stderr).toMatch(/pod_startup Perc99/);
    expect(second.stderr).toMatch(/regressed/);
    expect(await readFile(path.join(reports, 'latest', 'summary.md'), 'utf8')).toMatch(/regress/i);
  });
});
