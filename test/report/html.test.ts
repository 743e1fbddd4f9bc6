/**
 * report.html in a real browser: Debian's Chromium driven by playwright-core. Without Chromium this
 * fails and says how to install it; it never skips, so a CI without a browser cannot pass silently.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRunReport } from '../../src/report/run-report.js';
import { fixture, type FixtureName } from './helpers.js';

/** The page's own getComputedStyle, used inside $eval (this project compiles without the DOM lib). */
declare const getComputedStyle: (element: unknown) => {
  backgroundColor: string;
  backgroundImage: string;
  color: string;
  borderStyle: string;
  breakInside: string;
};

const CHROMIUM = process.env.HOLLOWFLEET_CHROMIUM ?? '/usr/bin/chromium';
const OUTPUT = path.resolve('test-output');

let launched: Promise<Browser> | undefined;

/**
 * Launched by the first test that needs it, so that without Chromium every test fails with this
 * message (a throwing beforeAll would report the tests as skipped).
 */
function browser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `the report.html test needs Chromium at ${CHROMIUM}: install it with \`sudo apt-get install chromium\` (Debian/Ubuntu), or point HOLLOWFLEET_CHROMIUM at a Chromium or Chrome binary`,
    );
  launched ??= chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  return launched;
}

afterAll(async () => {
  await (await launched)?.close();
});

interface Opened {
  page: Page;
  html: string;
  consoleErrors: string[];
  requests: string[];
}

async function open(name: FixtureName): Promise<Opened> {
  const reportsDir = await mkdtemp(path.join(tmpdir(), `hf-html-${name}-`));
  const { runDir, errors } = await writeRunReport(fixture(name), { reportsDir });
  expect(errors).toEqual([]);
  const file = path.join(runDir, 'report.html');
  const url = pathToFileURL(file).href;
  const page = await (await browser()).newPage({ viewport: { width: 1100, height: 900 } });
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, html: await readFile(file, 'utf8'), consoleErrors, requests };
}

/** Per chart: whether it holds an SVG, how many drawn marks it has, and its no-data text. */
async function charts(page: Page) {
  return page.$$eval('figure.chart', (figures) =>
    figures.map((f) => ({
      id: f.getAttribute('data-chart'),
      svg: f.querySelector('svg') !== null,
      marks: f.querySelectorAll(
        'svg .role-mark path, svg .role-mark line, svg .role-mark rect, svg .role-mark text',
      ).length,
      width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
      noData: f.querySelector('.no-data')?.textContent ?? null,
    })),
  );
}

describe('report.html in Chromium', () => {
  it('is one self-contained file: no script, no external resource, no network request, no console error', async () => {
    const { page, html, consoleErrors, requests } = await open('breach');
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(\s*['"]?https?:|src=|@font-face/i);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    );
    expect(requests).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('an SLO breach: red banner with the reason, ✗ rows, skipped rows visibly different, every chart drawn', async () => {
    const { page } = await open('breach');
    const banner = page.locator('section.banner');
    expect(await banner.getAttribute('class')).toBe('banner fail');
    expect(await banner.locator('.word').textContent()).toBe('FAILED');
    expect(await banner.locator('.reason').textContent()).toBe(
      'SLO breached: PUT leases resource Perc99, pod_startup Perc99',
    );

    const failed = page.locator('table.slo tr.fail');
    expect(await failed.count()).toBe(2);
    expect(await failed.nth(1).locator('.observed').textContent()).toBe('5,291 ms');
    const skipped = page.locator('table.slo tr.skipped');
    expect(await skipped.count()).toBe(2);
    expect(await skipped.nth(0).textContent()).toContain('skipped');
    expect(await skipped.nth(0).textContent()).toContain(
      'not supported by hollowfleet: it needs the probes and Prometheus server of CL2',
    );
    const look = (row: string) =>
      page.$eval(`table.slo tr.${row} td`, (td) => {
        const style = getComputedStyle(td);
        const state = getComputedStyle(td.parentElement!.querySelector('.state')!);
        return {
          background: `${style.backgroundColor} ${style.backgroundImage}`,
          color: style.color,
          border: state.borderStyle,
        };
      });
    const pass = await look('pass');
    const skip = await look('skipped');
    expect(skip.background).not.toBe(pass.background);
    expect(skip.background).toContain('repeating-linear-gradient');
    expect(skip.color).not.toBe(pass.color);
    expect(skip.border).toBe('dashed');

    const drawn = await charts(page);
    expect(drawn.map((c) => c.id)).toEqual([
      'pod-startup',
      'api-latency',
      'timeline',
      'scheduling',
      'edge-slis',
    ]);
    for (const c of drawn) {
      expect(c, `chart ${c.id}`).toMatchObject({ svg: true, noData: null });
      expect(c.marks, `marks in chart ${c.id}`).toBeGreaterThan(0);
      expect(c.width, `chart ${c.id} fits the page`).toBeLessThanOrEqual(940);
    }
    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'report.png'), fullPage: true });
    await page.close();
  });

  it('a passing run: green banner, only ✓ rows, every chart drawn', async () => {
    const { page, consoleErrors, requests } = await open('pass');
    expect(await page.locator('section.banner').getAttribute('data-verdict')).toBe('pass');
    expect(await page.locator('section.banner .word').textContent()).toBe('PASSED');
    expect(await page.locator('table.slo tr.pass').count()).toBe(15);
    expect(await page.locator('table.slo tbody tr:not(.pass):not(.group)').count()).toBe(0);
    for (const c of await charts(page))
      expect(c.marks, `marks in chart ${c.id}`).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('an interrupted run: amber INCOMPLETE banner with the reason, no-data panels that say why', async () => {
    const { page, consoleErrors } = await open('incomplete');
    expect(await page.locator('section.banner').getAttribute('class')).toBe('banner incomplete');
    expect(await page.locator('section.banner .word').textContent()).toBe('INCOMPLETE');
    expect(await page.locator('section.banner .reason').textContent()).toBe(
      'interrupted (SIGINT) during step 03 "Waiting for latency pods to be running"',
    );
    const byId = Object.fromEntries((await charts(page)).map((c) => [c.id, c]));
    expect(byId['pod-startup']).toMatchObject({
      svg: false,
      noData: 'No datano data: PodStartupLatency skipped: run interrupted before gather',
    });
    expect(byId['api-latency']).toMatchObject({
      svg: false,
      noData: 'No datano data: APIResponsivenessPrometheus skipped: run interrupted before gather',
    });
    for (const id of ['timeline', 'scheduling', 'edge-slis'])
      expect(byId[id]!.marks, `marks in chart ${id}`).toBeGreaterThan(0);
    expect(await page.locator('table.slo tr.skipped').count()).toBe(2);
    await mkdir(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'report-incomplete.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('prints: the print stylesheet applies and the page renders to PDF', async () => {
    const { page } = await open('breach');
    await page.emulateMedia({ media: 'print' });
    expect(await page.$eval('body', (b) => getComputedStyle(b).backgroundColor)).toBe(
      'rgb(255, 255, 255)',
    );
    expect(await page.$eval('figure.chart', (f) => getComputedStyle(f).breakInside)).toBe('avoid');
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    await page.close();
  });
});
