import type { Output } from './output.js';

/**
 * A status line on stderr: rewritten in place on a TTY, printed every `plainEveryMs` otherwise so CI
 * logs stay readable.
 */
export class ProgressLine {
  private lastPlain = 0;
  private drawn = false;

  constructor(
    private readonly out: Output,
    private readonly plainEveryMs = 10_000,
  ) {}

  update(text: string, force = false): void {
    if (this.out.isTTY) {
      process.stderr.write(`\r\u001b[2K${text}`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (force || now - this.lastPlain >= this.plainEveryMs) {
      this.lastPlain = now;
      this.out.info(text);
    }
  }

  /** Ends the in-place line so the next output starts on a fresh line. */
  done(): void {
    if (this.drawn) process.stderr.write('\n');
    this.drawn = false;
  }
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
