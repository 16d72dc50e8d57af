/**
 * {@link Logger}s: a silent default, JSON lines for machines and audit, one readable line per record for
 * people, and a wrapper that adds the campaign (or other fields) to every record. Every logger here
 * passes the record through {@link redact} before it is written.
 * @module
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode, EscalatorError } from '../errors.js';
import type { Logger, LogLevel, LogRecord } from '../ports/logger.js';
import { redact } from './redact.js';

const SEVERITY: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

function checkLevel(level: LogLevel | undefined, fallback: LogLevel): LogLevel {
  if (level === undefined) return fallback;
  if (!Object.hasOwn(SEVERITY, level))
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `level ${JSON.stringify(level)} is not a log level; use "debug", "info", "warn" or "error"`,
    );
  return level;
}

/**
 * A {@link Logger} that drops everything: the default when the host passes none.
 */
export const noopLogger: Logger = Object.freeze({
  log(): void {},
});

/** Options of {@link createJsonLinesLogger}. Give exactly one of `file` and `stream`. */
export interface JsonLinesLoggerOptions {
  /**
   * Appends to this file, created if missing, with its directory (and the directory's parents). The logger
   * owns the file: {@link JsonLinesLogger.close} closes it.
   */
  readonly file?: string | undefined;
  /** Writes to this stream (e.g. `process.stdout`); the host owns it: it is never ended. */
  readonly stream?: NodeJS.WritableStream | undefined;
  /**
   * Records below this level are dropped.
   * @defaultValue `'debug'`
   */
  readonly level?: LogLevel | undefined;
  /**
   * Called once when writing fails (a full disk, a removed directory); later records are dropped.
   * @defaultValue emits a process warning naming the file
   */
  readonly onError?: ((error: Error) => void) | undefined;
}

/** A {@link Logger} writing JSON lines, which can wait for what it wrote. */
export interface JsonLinesLogger extends Logger {
  /** Resolves once every record logged so far has been handed to the file or stream; rejects after a write error. */
  flush(): Promise<void>;
  /**
   * Flushes, then closes the file (a host's stream is left open). Records logged afterwards are dropped.
   * Resolves even after a write error: that error went to `onError` when it happened.
   */
  close(): Promise<void>;
}

/**
 * Creates a logger writing one redacted JSON object per line, in the order `log` was called, to an
 * append-only file or a stream.
 *
 * @example
 * ```ts
 * const logger = createJsonLinesLogger({ file: '/var/log/escalator/upgrade-2026-11.jsonl' });
 * logger.log({ time: new Date().toISOString(), level: 'info', action: 'step.start', message: 'draining cmp-004' });
 * await logger.close();
 * ```
 */
export function createJsonLinesLogger(options: JsonLinesLoggerOptions): JsonLinesLogger {
  const { file, stream } = options;
  if ((file === undefined) === (stream === undefined))
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'createJsonLinesLogger needs exactly one of { file } (a path to append to) or { stream } (e.g. process.stdout)',
    );
  const level = checkLevel(options.level, 'debug');
  const name = file ?? 'the log stream';
  const onError =
    options.onError ??
    ((error: Error) =>
      process.emitWarning(`escalator: cannot write ${name}: ${error.message}`, 'EscalatorLogWarning'));
  if (file !== undefined)
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch {
      // Opening the file fails next, and that error goes to onError with the file's name.
    }
  return new JsonLinesLoggerImpl(
    file === undefined ? stream! : createWriteStream(file, { flags: 'a' }),
    file !== undefined,
    level,
    onError,
  );
}

class JsonLinesLoggerImpl implements JsonLinesLogger {
  readonly #stream: NodeJS.WritableStream;
  readonly #owned: boolean;
  readonly #level: number;
  readonly #onError: (error: Error) => void;
  #pending = 0;
  #waiters: (() => void)[] = [];
  #error: Error | undefined;
  #closed = false;

  constructor(
    stream: NodeJS.WritableStream,
    owned: boolean,
    level: LogLevel,
    onError: (error: Error) => void,
  ) {
    this.#stream = stream;
    this.#owned = owned;
    this.#level = SEVERITY[level];
    this.#onError = onError;
    // Only on a stream we created: listening on a host's stream would change how its errors surface.
    if (owned) stream.on('error', (error: Error) => this.#fail(error));
  }

  log(record: LogRecord): void {
    if (this.#closed || this.#error !== undefined) return;
    if ((SEVERITY[record.level] ?? SEVERITY.error) < this.#level) return;
    let line: string;
    try {
      line = `${JSON.stringify(redact(record))}\n`;
    } catch (error) {
      line = `${JSON.stringify({ time: record.time, level: 'error', action: 'log.unserialisable', message: String(error) })}\n`;
    }
    this.#pending++;
    this.#stream.write(line, (error?: Error | null) => {
      if (error) this.#fail(error);
      this.#pending--;
      if (this.#pending === 0) for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  async flush(): Promise<void> {
    if (this.#pending > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    if (this.#error !== undefined) throw this.#error;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
    } catch {
      // Already reported to onError; closing still releases the file.
    } finally {
      this.#closed = true;
    }
    if (!this.#owned) return;
    const stream = this.#stream as NodeJS.WritableStream & { destroyed?: boolean };
    if (stream.destroyed === true) return;
    await new Promise<void>((resolve) => stream.end(() => resolve()));
  }

  #fail(error: Error): void {
    if (this.#error !== undefined) return;
    this.#error = error;
    this.#onError(error);
  }
}

/** Options of {@link createConsoleLogger}. */
export interface ConsoleLoggerOptions {
  /**
   * Records below this level are dropped.
   * @defaultValue `'info'`
   */
  readonly level?: LogLevel | undefined;
  /**
   * Where lines go. Standard error by default, so that standard output stays for a command's result.
   * @defaultValue `process.stderr`
   */
  readonly stream?: NodeJS.WritableStream | undefined;
}

/** Control characters would let a remote command's output move the cursor or recolour a terminal. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\r?\n/g;

function oneLine(text: string): string {
  return text.replace(CONTROL, (c) => (c.endsWith('\n') ? ' ⏎ ' : JSON.stringify(c).slice(1, -1)));
}

/**
 * Creates a logger for people: one line per record, `time level action object message [code]`,
 * redacted, with newlines and terminal control characters made visible.
 *
 * @example
 * ```ts
 * const logger = createConsoleLogger({ level: 'info' });
 * // 2026-11-24T10:02:03.000Z INFO  step.done cmp-004 upgraded nova-compute to 29.0.1
 * ```
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const minimum = SEVERITY[checkLevel(options.level, 'info')];
  const stream = options.stream ?? process.stderr;
  return {
    log(record: LogRecord): void {
      if ((SEVERITY[record.level] ?? SEVERITY.error) < minimum) return;
      const clean = redact(record) as LogRecord;
      const parts = [clean.time, String(clean.level).toUpperCase().padEnd(5), clean.action];
      if (clean.object !== undefined) parts.push(clean.object);
      parts.push(clean.message);
      if (clean.code !== undefined) parts.push(`[${clean.code}]`);
      stream.write(`${oneLine(parts.join(' '))}\n`);
    },
  };
}

/** Fields {@link withContext} adds to every record. */
export interface LogContext {
  /** The campaign, unless the record names one. */
  readonly campaign?: string | undefined;
  /** The object acted on, unless the record names one. */
  readonly object?: string | undefined;
  /** Fields merged under the record's `data` (the record's own fields win). */
  readonly data?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Wraps a logger so that every record carries the context's fields; a record's own values win.
 *
 * @example
 * ```ts
 * const log = withContext(logger, { campaign: 'upgrade-2026-11' });
 * log.log({ time: new Date().toISOString(), level: 'info', action: 'wave.start', message: 'wave 3 of 12' }); // has campaign set
 * ```
 */
export function withContext(logger: Logger, context: LogContext): Logger {
  return {
    log(record: LogRecord): void {
      const data =
        context.data === undefined
          ? record.data
          : record.data === undefined
            ? context.data
            : { ...context.data, ...record.data };
      logger.log({
        ...record,
        ...(record.campaign === undefined && context.campaign !== undefined
          ? { campaign: context.campaign }
          : {}),
        ...(record.object === undefined && context.object !== undefined ? { object: context.object } : {}),
        ...(data === undefined ? {} : { data }),
      });
    },
  };
}
