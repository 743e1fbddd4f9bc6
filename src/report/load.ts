/** Reading summary.json back (compare, re-render) with the schema checked and errors that name the file. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { ConfigError } from '../common/errors.js';
import { SUMMARY_SCHEMA, type RunSummary } from './model.js';
import { RUN_SUMMARY_JSON_SCHEMA } from './schema.js';

let validator: ValidateFunction | undefined;
function validate(value: unknown): ValidateFunction['errors'] {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(RUN_SUMMARY_JSON_SCHEMA);
  return validator(value) ? null : validator.errors;
}

/** Checks a parsed summary; `where` names its file in the error. */
export function parseRunSummary(value: unknown, where: string): RunSummary {
  const schema = (value as { schema?: unknown } | null)?.schema;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`${where}: not a hollowfleet run summary (expected a JSON object)`);
  if (schema !== SUMMARY_SCHEMA)
    throw new ConfigError(
      `${where}: summary schema ${String(schema)} is not supported; this hollowfleet reads schema ${SUMMARY_SCHEMA} (re-run the scenario with this version to get a comparable summary)`,
    );
  const errors = validate(value);
  if (errors && errors.length > 0) {
    const list = errors
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
      .join('; ');
    throw new ConfigError(
      `${where}: not a valid run summary: ${list}${errors.length > 5 ? ` (and ${errors.length - 5} more)` : ''}`,
    );
  }
  return value as RunSummary;
}

/** Resolves a run directory, a `latest` link or fallback file, or summary.json itself. */
export async function resolveSummaryFile(dirOrFile: string): Promise<string> {
  let info;
  try {
    info = await stat(dirOrFile);
  } catch {
    throw new ConfigError(`${dirOrFile}: no such run directory or summary file`);
  }
  if (info.isDirectory()) return path.join(dirOrFile, 'summary.json');
  if (path.basename(dirOrFile) === 'latest') {
    // Where symlinks fail, `latest` is a text file holding the run directory's name.
    const target = (await readFile(dirOrFile, 'utf8')).trim();
    return path.join(path.dirname(dirOrFile), target, 'summary.json');
  }
  return dirOrFile;
}

export async function loadRunSummary(dirOrFile: string): Promise<RunSummary> {
  const file = await resolveSummaryFile(dirOrFile);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `${file}: ${code === 'ENOENT' ? 'no summary.json here; pass a run directory written by hollowfleet or its summary.json' : (err as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      `${file}: not valid JSON (${(err as Error).message}); the file may be truncated`,
    );
  }
  return parseRunSummary(value, file);
}
