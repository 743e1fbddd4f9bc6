import { describe, expect, it } from 'vitest';
import { formatConsoleTable } from '../../src/report/console.js';
import { fixture } from './helpers.js';

describe('formatConsoleTable', () => {
  it('a passing run: ✓ rows with observed, threshold, samples and method, then PASSED', () => {
    const lines = formatConsoleTable(fixture('pass')).split('\n');
    expect(lines[0]).toBe(
      'hollowfleet density on embedded https://127.0.0.1:40653: 100 nodes (fleet local: 100)',
    );
    expect(lines[2]).toMatch(/^ {3}SLO +observed +threshold +samples$/);
    // Rows are grouped under their CL2 summary, which names the method that produced them.
    const startup = lines.findIndex((l) =>
      /^ {3}PodStartupLatency_PodStartupLatency {2}watch receive time \(HEAD\)/.test(l),
    );
    expect(startup).toBeGreaterThan(2);
    expect(lines.slice(startup + 1, startup + 4)).toContainEqual(
      expect.stringMatching(/^ ✓ {3}pod_startup Perc99 +1,055 ms +≤ 5,000 ms +300$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ ✓ {3}SchedulingThroughput max +21 pods\/s +≥ 10 pods\/s +7$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {3}SchedulingThroughput {2}pod list every 5 s$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {3}registrationToReadyMs +100 +214\.3 +403\.7$/),
    );
    expect(lines.at(-1)).toBe('PASSED: every SLO met (15 checked)');
  });

  it('an SLO breach: ✗ rows, – rows for skipped measurements with their reasons, then FAILED', () => {
    const lines = formatConsoleTable(fixture('breach')).split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(/^ ✗ {3}pod_startup Perc99 +5,291 ms +≤ 5,000 ms +300/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ ✗ {3}PUT leases resource Perc99 +1,241 ms +≤ 1,000 ms +6,100/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^ – InClusterNetworkLatency +skipped {2}not supported by hollowfleet: it needs the probes and Prometheus server of CL2$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ – ResourceUsageSummary +skipped {2}hollow nodes have no kubelet/),
    );
    expect(lines.at(-1)).toBe(
      'FAILED: SLO breached: PUT leases resource Perc99, pod_startup Perc99',
    );
  });

  it('an interrupted run: INCOMPLETE with the reason, never PASSED', () => {
    const text = formatConsoleTable(fixture('incomplete'));
    expect(text).toMatch(
      /^ ✗ WaitForControlledPodsRunning - WaitForRunningLatencyDeployments +error {2}interrupted while 0 of 1 objects were running/m,
    );
    expect(text.split('\n').at(-1)).toBe(
      'INCOMPLETE: interrupted (SIGINT) during step 03 "Waiting for latency pods to be running"',
    );
  });

  it('report-only verdicts are marked, and do not count as checks', () => {
    const summary = fixture('pass');
    for (const v of summary.measurements[0]!.verdicts) v.enforced = false;
    summary.measurements[0]!.verdicts[0]!.pass = false;
    const text = formatConsoleTable(summary);
    // A report-only figure that would fail is shown; the ones that pass are left to report.html.
    expect(text).toMatch(/^ · {3}POST pods resource Perc99 .*\[not enforced \(would fail\)\]$/m);
    expect(text).toMatch(/more rows in report\.html/);
    expect(text.split('\n').at(-1)).toBe('PASSED: every SLO met (4 checked)');
  });

  it('colours only when asked', () => {
    expect(formatConsoleTable(fixture('breach'))).not.toContain('\u001b[');
    const coloured = formatConsoleTable(fixture('breach'), { color: true });
    expect(coloured).toContain('\u001b[31m✗\u001b[0m');
    expect(coloured).toContain('\u001b[32m✓\u001b[0m');
    expect(coloured).toContain('\u001b[33m–\u001b[0m');
    expect(coloured.split('\n').at(-1)).toBe(
      '\u001b[31mFAILED: SLO breached: PUT leases resource Perc99, pod_startup Perc99\u001b[0m',
    );
  });
});
