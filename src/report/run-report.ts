/**
 * The run directory: `reports/<UTC start>-<scenario>/` with every reporter's files, and
 * `reports/latest` pointing at it. Reporters are plug-ins (the vitest model): each gets the summary
 * and the directory and returns the files it wrote. summary.json goes first and one reporter's
 * failure never stops the others: a run's data must outlive a bug in a chart.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { HollowfleetError } from '../common/errors.js';
import { HISTOGRAM_SCHEMA } from '../common/histogram.js';
import type { RunSummary } from './model.js';
import { cl2Files } from './cl2-files.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderHtml } from './html.js';
import { loadRunSummary, resolveSummaryFile } from './load.js';

export interface Reporter {
  name: string;
  /** Writes into runDir and resolves to the names (relative to runDir) of the files written. */
  write(summary: RunSummary, runDir: string): Promise<string[]>;
}

export interface ReporterFailure {
  reporter: string;
  message: string;
}

export interface RunReport {
  runDir: string;
  /** Files written, relative to runDir, in reporter order. */
  files: string[];
  /** Reporters that threw; the others still ran. */
  errors: ReporterFailure[];
  /** Where `latest` points now, or why it could not be updated. */
  latest: { kind: 'symlink' | 'file'; path: string } | { kind: 'failed'; message: string };
}

/** Writes via a temporary file and a rename, so a reader never sees half a file. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

function fileReporter(
  name: string,
  file: string,
  render: (s: RunSummary) => string | Promise<string>,
): Reporter {
  return {
    name,
    async write(summary, runDir) {
      await writeFileAtomic(path.join(runDir, file), await render(summary));
      return [file];
    },
  };
}

export const summaryJsonReporter = (): Reporter =>
  fileReporter('summary.json', 'summary.json', (s) => `${JSON.stringify(s, null, 2)}\n`);

export const cl2Reporter = (): Reporter => ({
  name: 'cl2',
  async write(summary, runDir) {
    const written: string[] = [];
    for (const [name, content] of cl2Files(summary)) {
      await writeFileAtomic(path.join(runDir, name), content);
      written.push(name);
    }
    return written;
  },
});

export const junitReporter = (): Reporter => fileReporter('junit', 'junit.xml', renderJunit);
export const markdownReporter = (): Reporter =>
  fileReporter('markdown', 'summary.md', renderMarkdown);
export const htmlReporter = (): Reporter => fileReporter('html', 'report.html', renderHtml);

/** The fleet's merged HDR histograms, encoded, for re-analysis and merging with other runs. */
export const fleetHistogramsReporter = (): Reporter => ({
  name: 'fleet-histograms',
  async write(summary, runDir) {
    if (!summary.fleet) return [];
    const body = {
      schema: HISTOGRAM_SCHEMA,
      runId: summary.run.id,
      encoding: 'HdrHistogram V2, compressed, base64; values in microseconds',
      histograms: summary.fleet.histograms,
      counters: summary.fleet.counters,
      errorsByCode: summary.fleet.errorsByCode,
    };
    await writeFileAtomic(
      path.join(runDir, 'fleet-histograms.json'),
      `${JSON.stringify(body, null, 2)}\n`,
    );
    return ['fleet-histograms.json'];
  },
});

export type RawRecords = Iterable<unknown> | AsyncIterable<unknown>;

/**
 * Raw per-node / per-pod records as NDJSON, one `<name>.ndjson` per source (e.g. `pods`, `nodes`),
 * streamed so a 100k-pod run is never held as one string.
 */
export function rawDataReporter(sources: Readonly<Record<string, RawRecords>>): Reporter {
  return {
    name: 'raw',
    async write(_summary, runDir) {
      const written: string[] = [];
      for (const [name, records] of Object.entries(sources)) {
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
          throw new HollowfleetError(
            'HF_REPORT',
            `raw data source name ${JSON.stringify(name)} is not a plain file name`,
          );
        const file = `${name}.ndjson`;
        const tmp = path.join(runDir, `.${file}.tmp`);
        const out = createWriteStream(tmp);
        const closed = once(out, 'close');
        try {
          for await (const record of records) {
            if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
          }
          out.end();
          await closed;
          await rename(tmp, path.join(runDir, file));
        } catch (err) {
          out.destroy();
          await rm(tmp, { force: true });
          throw err;
        }
        written.push(file);
      }
      return written;
    },
  };
}

export function defaultReporters(): Reporter[] {
  return [
    summaryJsonReporter(),
    cl2Reporter(),
    junitReporter(),
    markdownReporter(),
    fleetHistogramsReporter(),
    htmlReporter(),
  ];
}

/** `2026-11-25T07:30:12.345Z` → `20261125T073012Z`. */
export function compactUtc(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime()))
    throw new HollowfleetError(
      'HF_REPORT',
      `run start time ${JSON.stringify(iso)} is not a valid date`,
    );
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'run';
}

/** `<UTC start, compact>-<scenario>`: the run directory's name and the run id. */
export function runDirectoryName(startedAt: string, scenario: string): string {
  return `${compactUtc(startedAt)}-${safeName(scenario)}`;
}

/** Creates the run directory; a directory of another run with the same name gets a `-2`, `-3`… */
export async function createRunDir(reportsDir: string, summary: RunSummary): Promise<string> {
  // A run whose start time got lost still gets a directory: the end, else now.
  const when = [summary.run.startedAt, summary.run.endedAt].find(
    (t) => typeof t === 'string' && !Number.isNaN(Date.parse(t)),
  );
  const base = runDirectoryName(
    when ?? new Date().toISOString(),
    summary.run.scenario?.name ?? 'run',
  );
  await mkdir(reportsDir, { recursive: true });
  for (let n = 1; n < 1000; n++) {
    const dir = path.join(reportsDir, n === 1 ? base : `${base}-${n}`);
    try {
      await mkdir(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const existing = await readFile(path.join(dir, 'summary.json'), 'utf8').catch(
        () => undefined,
      );
      let id: string | undefined;
      try {
        id =
          existing === undefined
            ? undefined
            : (JSON.parse(existing) as { run?: { id?: string } }).run?.id;
      } catch {
        id = undefined; // unreadable: someone else's directory, take the next name
      }
      if (id === summary.run.id) return dir; // the same run written again: refresh it in place
    }
  }
  throw new HollowfleetError(
    'HF_REPORT',
    `${reportsDir}: could not find a free run directory name for ${base}`,
  );
}

/** Points `reports/latest` at the run: a relative symlink swapped in by rename, else a text file. */
export async function updateLatest(
  reportsDir: string,
  runDir: string,
  /** For tests: the symlink call, to exercise the text-file fallback. */
  makeSymlink: (target: string, file: string) => Promise<void> = (target, file) =>
    symlink(target, file, 'dir'),
): Promise<RunReport['latest']> {
  const latest = path.join(reportsDir, 'latest');
  const target = path.relative(reportsDir, runDir);
  const tmp = path.join(reportsDir, `.latest.${randomBytes(4).toString('hex')}`);
  try {
    await makeSymlink(target, tmp);
    try {
      await rename(tmp, latest);
      return { kind: 'symlink', path: latest };
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  } catch (symlinkError) {
    try {
      await writeFileAtomic(latest, `${target}\n`);
      return { kind: 'file', path: latest };
    } catch (err) {
      return {
        kind: 'failed',
        message: `${latest}: could not be updated (${(symlinkError as Error).message}; ${(err as Error).message})`,
      };
    }
  }
}

async function runReporters(summary: RunSummary, runDir: string, reporters: readonly Reporter[]) {
  const files: string[] = [];
  const errors: ReporterFailure[] = [];
  for (const reporter of reporters) {
    try {
      files.push(...(await reporter.write(summary, runDir)));
    } catch (err) {
      errors.push({
        reporter: reporter.name,
        message: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return { files, errors };
}

export interface WriteRunReportOptions {
  reportsDir: string;
  /** A run directory the driver already created (measurements write raw files there first). */
  runDir?: string;
  /** Default: defaultReporters(). */
  reporters?: readonly Reporter[];
  /** Raw per-node / per-pod records, written as `<name>.ndjson`. */
  raw?: Readonly<Record<string, RawRecords>>;
}

export async function writeRunReport(
  summary: RunSummary,
  options: WriteRunReportOptions,
): Promise<RunReport> {
  const runDir = options.runDir ?? (await createRunDir(options.reportsDir, summary));
  await mkdir(runDir, { recursive: true });
  const reporters = [...(options.reporters ?? defaultReporters())];
  if (options.raw) reporters.push(rawDataReporter(options.raw));
  const { files, errors } = await runReporters(summary, runDir, reporters);
  if (errors.length > 0) {
    // Kept with the run, so whoever opens the directory later knows what is missing and why.
    const text = errors.map((e) => `${e.reporter}: ${e.message}`).join('\n');
    await writeFileAtomic(path.join(runDir, 'reporter-errors.txt'), `${text}\n`)
      .then(() => files.push('reporter-errors.txt'))
      .catch(() => undefined);
  }
  const latest = await updateLatest(options.reportsDir, runDir);
  return { runDir, files, errors, latest };
}

/** Re-renders report.html and summary.md of a run directory from its summary.json. */
export async function rerenderReport(
  dir: string,
  reporters: readonly Reporter[] = [htmlReporter(), markdownReporter()],
): Promise<{ runDir: string; files: string[]; errors: ReporterFailure[] }> {
  const file = await resolveSummaryFile(dir);
  const summary = await loadRunSummary(file);
  const runDir = path.dirname(path.resolve(file));
  return { runDir, ...(await runReporters(summary, runDir, reporters)) };
}
