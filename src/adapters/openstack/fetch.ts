/**
 * The default {@link HttpTransport} of the OpenStack adapter, built on Node's `fetch`. It reads the
 * whole body, turns network failures into transient {@link AdapterError}s and enforces a timeout.
 * @module
 */
import { AdapterError, ErrorCode, EscalatorError } from '../../errors.js';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../ports/transport.js';

/** Options of {@link createFetchTransport}. */
export interface FetchTransportOptions {
  /**
   * The `fetch` to use (a host may pass one with its own dispatcher, proxy or CA).
   * @defaultValue `globalThis.fetch`
   */
  readonly fetch?: typeof globalThis.fetch | undefined;
  /**
   * Milliseconds a request may take, body included, before it fails with a transient
   * `timeout` error.
   * @defaultValue 60_000
   */
  readonly timeoutMs?: number | undefined;
}

/** Where a URL goes, without its query or any credentials, for error messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);

/** The system or undici error code under a fetch failure (`TypeError: fetch failed` hides it in `cause`). */
function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Maps a failure below HTTP (no status line was read) to a transient {@link AdapterError}: reason
 * `connection-reset`, `connection-refused`, `timeout` or `network-error`. Exported for hosts that write
 * their own transport and want the same reasons.
 */
export function networkError(method: string, url: string, error: unknown): AdapterError {
  const code = errorCode(error);
  const reason =
    code === undefined
      ? 'network-error'
      : RESET_CODES.has(code)
        ? 'connection-reset'
        : code === 'ECONNREFUSED'
          ? 'connection-refused'
          : code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT'
            ? 'timeout'
            : 'network-error';
  return new AdapterError(`${method} ${describeUrl(url)}: ${reason}${code ? ` (${code})` : ''}`, {
    kind: 'transient',
    reason,
    cause: error,
  });
}

/**
 * Creates an {@link HttpTransport} on `fetch`. Headers of the answer come back with lower-case names.
 * When the caller's signal aborts, the request rejects with the signal's reason (not an
 * {@link AdapterError}), so cancellation is never mistaken for a fault.
 *
 * @example
 * ```ts
 * const transport = createFetchTransport({ timeoutMs: 30_000 });
 * const answer = await transport({ method: 'GET', url: 'http://keystone:5000/v3', headers: { Connection: 'close' } });
 * ```
 */
export function createFetchTransport(options: FetchTransportOptions = {}): HttpTransport {
  const fetchFn = options.fetch ?? globalThis.fetch;
  if (typeof fetchFn !== 'function')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'fetch is not available. Pass { fetch } (Node 20 has a global fetch) or a transport of your own',
    );
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `timeoutMs must be a number of milliseconds above 0, e.g. 60000; got ${timeoutMs}`,
    );
  return async (request: HttpRequest): Promise<HttpResponse> => {
    if (request.signal?.aborted) throw request.signal.reason;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), timeoutMs);
    timer.unref?.();
    const signal = request.signal ? AbortSignal.any([request.signal, timeout.signal]) : timeout.signal;
    try {
      const init: RequestInit = { method: request.method, signal };
      if (request.headers !== undefined) init.headers = { ...request.headers };
      if (request.body !== undefined) init.body = request.body;
      const response = await fetchFn(request.url, init);
      const body = await response.text();
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      return { status: response.status, headers, body };
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      if (timeout.signal.aborted)
        throw new AdapterError(
          `${request.method} ${describeUrl(request.url)}: no answer within ${timeoutMs} ms`,
          { kind: 'transient', reason: 'timeout', cause: error },
        );
      throw networkError(request.method, request.url, error);
    } finally {
      clearTimeout(timer);
    }
  };
}
