import type { CommandSpec } from './command.js';
import { commands } from './commands/index.js';

/** The README's command reference, rendered from the same option tables that drive the CLI. */
export function renderReference(specs: CommandSpec[] = commands): string {
  const out: string[] = [];
  for (const spec of specs) {
    out.push(
      `### \`hollowfleet ${spec.command}\``,
      '',
      spec.describe,
      '',
      '| flag | default | description |',
      '| --- | --- | --- |',
    );
    for (const [name, o] of Object.entries(spec.options)) {
      const def = o.default === undefined || o.default === '' ? '' : `\`${String(o.default)}\``;
      const env = o.env ? ` (env \`${o.env}\`)` : '';
      const choices = o.choices ? ` One of ${o.choices.map((c) => `\`${c}\``).join(', ')}.` : '';
      const required = o.demandOption ? ' **Required.**' : '';
      out.push(
        `| \`--${name}\` | ${def} | ${o.describe.replace(/\|/g, '\\|')}${choices}${env}${required} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

export const REFERENCE_START = '<!-- cli-reference:start (npm run docs:cli) -->';
export const REFERENCE_END = '<!-- cli-reference:end -->';
