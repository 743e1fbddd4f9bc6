import { readFileSync, writeFileSync } from 'node:fs';
import { REFERENCE_END, REFERENCE_START, renderReference } from './reference.js';

/** Rewrites the command reference between the markers in README.md. */
const file = new URL('../../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const start = readme.indexOf(REFERENCE_START);
const end = readme.indexOf(REFERENCE_END);
if (start < 0 || end < start) throw new Error('README.md has no cli-reference markers');
writeFileSync(
  file,
  `${readme.slice(0, start + REFERENCE_START.length)}\n\n${renderReference()}\n${readme.slice(end)}`,
);
