/** The `Logger` port: structured records to a sink the host chooses. */

/** Severity of a log record. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One structured log record. */
export interface LogRecord {
  /** ISO 8601 time. */
  readonly time: string;
  readonly level: LogLevel;
  readonly campaign?: string | undefined;
  /** The object acted on: a node, instance, step or wave id. */
  readonly object?: string | undefined;
  /** What was done, e.g. `step.start`, `migrate`, `campaign.transition`. */
  readonly action: string;
  /** A stable error code when something failed. */
  readonly code?: string | undefined;
  readonly message: string;
  /** Extra fields; secrets are redacted before a sink sees them. */
  readonly data?: Readonly<Record<string, unknown>> | undefined;
}

/** Receives log records. */
export interface Logger {
  log(record: LogRecord): void;
}
