import type { Output } from './output.js';

/** One flag of a command: the single declarative source for yargs, `--help` and the README reference. */
export interface OptionSpec {
  type: 'string' | 'number' | 'boolean' | 'array';
  describe: string;
  default?: string | number | boolean | string[];
  alias?: string;
  choices?: readonly string[];
  demandOption?: boolean;
  /** Environment variable that supplies the value when the flag is absent. */
  env?: string;
}

export type ParsedArgs = Record<string, unknown> & { _: Array<string | number> };

export interface CommandSpec {
  /** yargs command string, e.g. `run <scenario>`. */
  command: string;
  describe: string;
  positionals?: Record<string, { type: 'string' | 'number'; describe: string }>;
  options: Record<string, OptionSpec>;
  /** Lazily imported so `hollowfleet --help` does not load the whole tool. */
  load(): Promise<(args: ParsedArgs, out: Output) => Promise<number>>;
}
