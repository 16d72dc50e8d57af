/** Where the CLI writes, so commands can be run in-process by tests and hosts. */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';

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

let quietOnClosedPipe = false;

/**
 * Standard output's reader went away (`escalator plan … | head -1`): there is no one left to tell
 * anything, so end at once, quietly, with the exit code set so far, instead of an EPIPE stack trace.
 */
function endQuietlyOnClosedPipe(): void {
  if (quietOnClosedPipe) return;
  quietOnClosedPipe = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(Number(process.exitCode ?? 0));
    throw error;
  });
}

/** The real process's channels. */
export function processIo(): Io {
  endQuietlyOnClosedPipe();
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

/** A file the command was asked to write (`--out`, `--report`) cannot be written: exit code 1. */
export class OutputFileError extends Error {
  override readonly name = 'OutputFileError';
  /** The path that was asked for. */
  readonly file: string;
  constructor(file: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${file}: cannot write the file (${reason})`, { cause });
    this.file = file;
  }
}

/** Writes a file the user named; a failure is an {@link OutputFileError} naming it. */
export async function writeOutputFile(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new OutputFileError(file, error);
  }
}

/**
 * Writes `lines` to `file` as they come, each followed by a newline, without holding the whole text
 * (a 10,000-node plan is larger than the longest string V8 allows).
 */
export async function writeOutputLines(file: string, lines: Iterable<string>): Promise<void> {
  const stream = createWriteStream(file);
  try {
    // `once` rejects with the stream's error, should one come while it waits.
    await once(stream, 'open');
    let chunk = '';
    for (const line of lines) {
      chunk += `${line}\n`;
      if (chunk.length < 1 << 16) continue;
      if (!stream.write(chunk)) await once(stream, 'drain');
      chunk = '';
    }
    stream.end(chunk);
    await once(stream, 'finish');
  } catch (error) {
    throw new OutputFileError(file, error);
  } finally {
    stream.destroy();
  }
}
