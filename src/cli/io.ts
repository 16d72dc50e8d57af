/** Where the CLI writes, so commands can be run in-process by tests and hosts. */

/** The CLI's output channels and exit status. */
export interface Io {
  /** A line to standard output. */
  out(line: string): void;
  /** A line to standard error. */
  err(line: string): void;
  /** Sets the process's exit code (the highest severity set wins). */
  exitCode(code: number): void;
  /** Whether standard output is a terminal (live progress) or not (plain lines). */
  readonly isTty: boolean;
}

/** The real process's channels. */
export function processIo(): Io {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    exitCode: (code) => {
      process.exitCode = Math.max(Number(process.exitCode ?? 0), code);
    },
    isTty: process.stdout.isTTY === true,
  };
}

/** A mistake in how the command was called: reported without a stack, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
