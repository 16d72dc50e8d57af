/**
 * Logging: loggers for machines ({@link createJsonLinesLogger}) and people ({@link createConsoleLogger}),
 * the silent default ({@link noopLogger}), context fields ({@link withContext}), and the redaction every
 * one of them applies ({@link redact}).
 * @module
 */
export {
  type ConsoleLoggerOptions,
  createConsoleLogger,
  createJsonLinesLogger,
  type JsonLinesLogger,
  type JsonLinesLoggerOptions,
  type LogContext,
  noopLogger,
  withContext,
} from './loggers.js';
export {
  isSecretKey,
  REDACTED,
  type RedactOptions,
  redact,
  redactString,
  SECRET_KEY_PATTERN,
} from './redact.js';
