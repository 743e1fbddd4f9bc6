/** Documented process exit codes (README "Exit codes"). */
export const ExitCode = {
  Pass: 0,
  UsageError: 1,
  Timeout: 2,
  SloBreach: 3,
  Regression: 4,
  HarnessError: 5,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
