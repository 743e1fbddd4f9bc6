/**
 * People's output goes to stderr, data to stdout. Colour only when stderr is a TTY and NO_COLOR is
 * unset (or FORCE_COLOR is set).
 */
export interface Output {
  /** Data for machines (stdout). */
  data(text: string): void;
  /** Lines for people (stderr). */
  info(text: string): void;
  warn(text: string): void;
  error(text: string): void;
  readonly color: boolean;
  readonly isTTY: boolean;
}

const codes = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
  bold: 1,
  dim: 2,
} as const;
export type Style = keyof typeof codes;

export function paint(enabled: boolean, style: Style, text: string): string {
  return enabled ? `\u001b[${codes[style]}m${text}\u001b[0m` : text;
}

export function colorEnabled(
  stream: NodeJS.WriteStream,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.NO_COLOR !== undefined) return false;
  return stream.isTTY === true;
}

export function processOutput(): Output {
  const color = colorEnabled(process.stderr);
  return {
    color,
    isTTY: process.stderr.isTTY === true,
    data: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    info: (text) => process.stderr.write(`${text}\n`),
    warn: (text) => process.stderr.write(`${paint(color, 'yellow', 'warning:')} ${text}\n`),
    error: (text) => process.stderr.write(`${paint(color, 'red', 'error:')} ${text}\n`),
  };
}
