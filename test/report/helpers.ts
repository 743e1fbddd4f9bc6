import { readFileSync } from 'node:fs';
import { parseRunSummary } from '../../src/report/load.js';
import type { RunSummary } from '../../src/report/model.js';

export type FixtureName = 'pass' | 'breach' | 'incomplete';

/** A fresh, schema-checked copy of a fixture summary (tests may mutate it). */
export function fixture(name: FixtureName): RunSummary {
  const file = new URL(`./fixtures/${name}.json`, import.meta.url);
  return parseRunSummary(JSON.parse(readFileSync(file, 'utf8')), file.pathname);
}

export function golden(name: string): string {
  return readFileSync(new URL(`./golden/${name}`, import.meta.url), 'utf8');
}
