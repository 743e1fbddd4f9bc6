import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import { REFERENCE_END, REFERENCE_START, renderReference } from '../../src/cli/reference.js';

describe('command reference', () => {
  it('in the README matches the option tables (run npm run docs:cli after changing flags)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(
      readme.indexOf(REFERENCE_START) + REFERENCE_START.length,
      readme.indexOf(REFERENCE_END),
    );
    expect(section.trim()).toBe(renderReference().trim());
  });

  it('describes every flag of every command', () => {
    for (const spec of commands) {
      for (const [name, option] of Object.entries(spec.options))
        expect(option.describe.length, `${spec.command} --${name}`).toBeGreaterThan(10);
    }
  });
});
