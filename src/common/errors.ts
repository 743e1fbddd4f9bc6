/**
 * One error class per failure, each with a stable `code` (the undici model). Callers branch on
 * `code`, never on message text; messages name the input that was wrong and what to do about it.
 */
export class HollowfleetError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** Wire-safe form of an error, as sent between workers, shards and processes. */
export interface ErrorPayload {
  code: string;
  message: string;
}

export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof HollowfleetError) return { code: err.code, message: err.message };
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return { code: typeof code === 'string' ? code : 'HF_INTERNAL', message: err.message };
  }
  return { code: 'HF_INTERNAL', message: String(err) };
}

/** Bad scenario, flag, kubeconfig, certificate or other user input: exit code 1. */
export class ConfigError extends HollowfleetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HF_CONFIG', message, options);
  }
}
