/**
 * The default {@link HttpTransport}: Node's `fetch`, with a per-request timeout and network failures
 * mapped to transient {@link AdapterError}s.
 * @module
 */
import { AdapterError, ErrorCode, EscalatorError } from '../../errors.js';
import { redactString } from '../../logging/redact.js';
import type { HttpResponse, HttpTransport } from '../../ports/transport.js';

/** Options of {@link fetchTransport}. */
export interface FetchTransportOptions {
  /** Time allowed for one request, body included. @defaultValue 30_000 */
  readonly timeoutMs?: number | undefined;
  /** The `fetch` to use (a proxying or instrumented one). @defaultValue `globalThis.fetch` */
  readonly fetch?: typeof globalThis.fetch | undefined;
}

/**
 * Makes an {@link HttpTransport} on `fetch`. Every response, whatever its status, resolves (the caller
 * judges the status); a request that cannot be made rejects with a transient {@link AdapterError}:
 * `http-timeout` past `timeoutMs`, `http-unreachable` when the connection fails (refused, reset, DNS);
 * a request that cannot be sent at all (bad URL, credentials in the URL) is a permanent
 * `http-invalid-request`.
 * A request aborted by its own signal rejects with the signal's reason.
 *
 * @example
 * ```ts
 * const request = fetchTransport({ timeoutMs: 10_000 });
 * const response = await request({ method: 'GET', url: 'http://vnfm.example:8080/health' });
 * ```
 */
export function fetchTransport(options: FetchTransportOptions = {}): HttpTransport {
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
    throw new EscalatorError(ErrorCode.InvalidOption, `timeoutMs must be a number above 0, got ${timeoutMs}`);
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'fetch is not available. Use Node 20 or later, or pass fetchTransport({ fetch })',
    );
  return async (request) => {
    request.signal?.throwIfAborted();
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new DOMException('request timed out', 'TimeoutError')),
      timeoutMs,
    );
    const signal = request.signal ? AbortSignal.any([request.signal, timeout.signal]) : timeout.signal;
    const where = `${request.method} ${redactString(request.url)}`;
    try {
      const response = await doFetch(request.url, {
        method: request.method,
        ...(request.headers ? { headers: request.headers } : {}),
        ...(request.body === undefined ? {} : { body: request.body }),
        signal,
      });
      const body = await response.text();
      const headers: Record<string, string> = {};
      response.headers.forEach((value, key) => {
        headers[key.toLowerCase()] = value;
      });
      return { status: response.status, headers, body } satisfies HttpResponse;
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      if (timeout.signal.aborted)
        throw new AdapterError(`${where} got no answer within ${timeoutMs} ms`, {
          kind: 'transient',
          reason: 'http-timeout',
          cause: error,
        });
      const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
      // fetch reports network failures as TypeError('fetch failed', { cause }); any other TypeError is a
      // request that cannot be made at all (a bad URL, credentials in the URL, a bad header).
      if (error instanceof TypeError && error.message !== 'fetch failed' && cause === undefined)
        throw new AdapterError(`${where} cannot be sent: ${redactString(error.message)}`, {
          kind: 'permanent',
          reason: 'http-invalid-request',
          cause: error,
        });
      const detail =
        typeof cause?.code === 'string' ? cause.code : String((error as Error)?.message ?? error);
      throw new AdapterError(`${where} failed: ${redactString(detail)}`, {
        kind: 'transient',
        reason: 'http-unreachable',
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  };
}
