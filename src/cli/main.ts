import yargs from 'yargs';
import type { Argv } from 'yargs';
import { ConfigError, HollowfleetError } from '../common/errors.js';
import { ExitCode } from '../common/exit-codes.js';
import type { CommandSpec, ParsedArgs } from './command.js';
import { commandGroups, commands } from './commands/index.js';
import { processOutput, type Output } from './output.js';

/** Runs the CLI and resolves to the process exit code (README "Exit codes"). */
export async function main(argv: string[], out: Output = processOutput()): Promise<number> {
  let selected: { spec: CommandSpec; args: ParsedArgs } | undefined;
  let usageError: string | undefined;
  let parser: Argv = yargs(argv)
    .scriptName('hollowfleet')
    .strict()
    .help()
    .version(await toolVersion())
    .wrap(Math.min(110, process.stderr.columns ?? 100))
    .fail((msg, err) => {
      usageError = msg ?? err?.message ?? 'invalid arguments';
    })
    .demandCommand(1, 'name a command (see --help)');
  const register = (y: Argv, spec: CommandSpec, command: string): Argv =>
    y.command(
      command,
      spec.describe,
      (sub) => {
        for (const [name, p] of Object.entries(spec.positionals ?? {})) sub.positional(name, p);
        for (const [name, o] of Object.entries(spec.options)) {
          const { env, ...rest } = o;
          // A flag that an environment variable supplies is no longer required on the command line.
          if (env && process.env[env]) rest.demandOption = false;
          sub.option(name, rest);
        }
        return sub;
      },
      (args) => {
        selected = { spec, args: args as ParsedArgs };
      },
    );
  // `group action` commands (e.g. `deploy render`) become subcommands of their group.
  const groups = new Map<string, CommandSpec[]>();
  for (const spec of commands) {
    const [head, ...rest] = spec.command.split(' ');
    const isGroup = rest.length > 0 && !rest[0]!.startsWith('<') && !rest[0]!.startsWith('[');
    if (!isGroup) {
      parser = register(parser, spec, spec.command);
      continue;
    }
    const members = groups.get(head!) ?? [];
    members.push(spec);
    groups.set(head!, members);
  }
  for (const [group, members] of groups) {
    parser = parser.command(
      group,
      commandGroups[group] ??
        members.map((m) => m.command.slice(group.length + 1).split(' ')[0]).join(' | '),
      (y) => {
        let sub = y;
        for (const spec of members) sub = register(sub, spec, spec.command.slice(group.length + 1));
        return sub.demandCommand(1, `name a ${group} action (see hollowfleet ${group} --help)`);
      },
    );
  }
  try {
    await parser.parseAsync();
  } catch (err) {
    usageError ??= err instanceof Error ? err.message : String(err);
  }
  if (usageError !== undefined) {
    out.error(usageError);
    out.info('Run `hollowfleet --help` for usage.');
    return ExitCode.UsageError;
  }
  if (!selected) return ExitCode.Pass; // --help or --version was printed
  applyEnvDefaults(selected.spec, selected.args, argv);
  try {
    const handler = await selected.spec.load();
    return await handler(selected.args, out);
  } catch (err) {
    return reportFailure(err, out);
  }
}

function applyEnvDefaults(spec: CommandSpec, args: ParsedArgs, argv: string[]): void {
  for (const [name, option] of Object.entries(spec.options)) {
    if (!option.env) continue;
    const given = argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    const fromEnv = process.env[option.env];
    if (!given && fromEnv !== undefined && fromEnv !== '') args[name] = fromEnv;
  }
}

export function reportFailure(err: unknown, out: Output): number {
  if (err instanceof ConfigError) {
    out.error(err.message);
    return ExitCode.UsageError;
  }
  if (err instanceof HollowfleetError) {
    out.error(`${err.message} [${err.code}]`);
    return ExitCode.HarnessError;
  }
  out.error(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return ExitCode.HarnessError;
}

let cachedVersion: string | undefined;
export async function toolVersion(): Promise<string> {
  if (cachedVersion) return cachedVersion;
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(
    await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  cachedVersion = pkg.version;
  return cachedVersion;
}
