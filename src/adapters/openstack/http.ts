/**
 * A small JSON client for OpenStack APIs over an injectable {@link HttpTransport}. Every request says
 * `Connection: close` (uwsgi's `--http-socket`, common in OpenStack deployments, resets reused
 * connections), and every failure becomes an {@link AdapterError}:
 *
 * - 5xx, 408, 429 (with `Retry-After`) are transient, and so are connection resets, refusals and
 *   timeouts (reasons `http-unreachable` and `http-timeout`, from the shared fetch transport);
 * - other 4xx are permanent;
 * - `reason` is `http-<status>` for an HTTP failure, and `requestId` comes from
 *   `x-openstack-request-id`, `x-compute-request-id` or `openstack-request-id`.
 *
 * Messages carry the method, the URL path and the service's own explanation; never a header, a
 * request body or a query string, so tokens and passwords cannot leak into them.
 * @module
 */
import { systemClock } from '../../clock/system-clock.js';
import { AdapterError, EscalatorError } from '../../errors.js';
import { redactString } from '../../logging/redact.js';
import type { Clock } from '../../ports/clock.js';
import type { HttpRequest, HttpTransport } from '../../ports/transport.js';
import { fetchTransport } from '../http/fetch-transport.js';

/** One JSON request. */
export interface JsonRequest {
  /** @defaultValue 'GET' */
  readonly method?: HttpRequest['method'] | undefined;
  readonly url: string;
  /** Extra headers (e.g. `X-Auth-Token`, `OpenStack-API-Version`). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Sent as JSON; `undefined` sends no body. */
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
  /** Statuses (4xx/5xx) to hand back instead of throwing, e.g. `[404]` for "may not exist". */
  readonly accept?: readonly number[] | undefined;
  /** Names the service in error messages, e.g. `nova`. */
  readonly service?: string | undefined;
}

/** The answer to a {@link JsonRequest}. */
export interface JsonResponse<T = unknown> {
  readonly status: number;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed body; `undefined` when the body is empty. */
  readonly body: T | undefined;
  readonly requestId?: string | undefined;
}

/** Sends {@link JsonRequest}s. */
export interface JsonClient {
  request<T = unknown>(request: JsonRequest): Promise<JsonResponse<T>>;
}

/** Options of {@link createJsonClient}. */
export interface JsonClientOptions {
  /**
   * How to make requests.
   * @defaultValue the shared fetch transport (`fetchTransport` of `escalator/http`), 60 s timeout
   */
  readonly transport?: HttpTransport | undefined;
  /**
   * Reads `Retry-After` dates relative to this clock.
   * @defaultValue the system clock
   */
  readonly clock?: Clock | undefined;
  /**
   * Sent as `User-Agent`.
   * @defaultValue 'escalator'
   */
  readonly userAgent?: string | undefined;
}

/** The request id an OpenStack service put on its answer, if any. */
export function requestIdOf(headers: Readonly<Record<string, string>>): string | undefined {
  return (
    headers['x-openstack-request-id'] ?? headers['x-compute-request-id'] ?? headers['openstack-request-id']
  );
}

/** Seconds to wait from a `Retry-After` header (seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed));
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

const MAX_DETAIL = 400;

/** Where a URL goes, without its query or any credentials, for error messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * The explanation inside an OpenStack error body. The services disagree on its shape: Nova and Cinder
 * wrap it (`{"itemNotFound": {"message"}}`), Keystone says `{"error": {"message"}}`, Placement
 * `{"errors": [{"detail"}]}`, Neutron `{"NeutronError": {"message"}}`; webob sends plain text.
 */
export function errorDetail(body: string): string | undefined {
  const text = body.trim();
  if (text === '') return undefined;
  let detail: string | undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    detail = findMessage(parsed, 0);
  } catch {
    // Not JSON: an HTML or plain-text page; keep its text without tags.
    detail = text
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  }
  if (detail === undefined || detail === '') return undefined;
  detail = redactString(detail);
  return detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL)}…` : detail;
}

function findMessage(value: unknown, depth: number): string | undefined {
  if (depth > 3 || typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) return value.length > 0 ? findMessage(value[0], depth + 1) : undefined;
  const record = value as Record<string, unknown>;
  for (const key of ['message', 'detail', 'title', 'faultstring', 'description'])
    if (typeof record[key] === 'string' && record[key] !== '') return record[key] as string;
  for (const inner of Object.values(record)) {
    const found = findMessage(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Builds the {@link AdapterError} for an HTTP failure: transient for 5xx, 408 and 429 (with
 * `retryAfterSeconds`), permanent otherwise; reason `http-<status>`.
 */
export function httpError(
  request: { readonly method: string; readonly url: string; readonly service?: string | undefined },
  response: {
    readonly status: number;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
  },
  now: number,
): AdapterError {
  const { status } = response;
  const transient = status >= 500 || status === 429 || status === 408;
  const requestId = requestIdOf(response.headers);
  const retryAfterSeconds =
    status === 429 || status === 503 ? parseRetryAfter(response.headers['retry-after'], now) : undefined;
  const detail = errorDetail(response.body);
  const who = request.service ? `${request.service}: ` : '';
  const message =
    `${who}${request.method} ${describeUrl(request.url)} answered HTTP ${status}` +
    (detail ? `: ${detail}` : '') +
    (retryAfterSeconds !== undefined ? ` (retry after ${retryAfterSeconds} s)` : '') +
    (requestId ? ` [${requestId}]` : '');
  return new AdapterError(message, {
    kind: transient ? 'transient' : 'permanent',
    reason: `http-${status}`,
    requestId,
    retryAfterSeconds,
  });
}

/**
 * Creates a {@link JsonClient}.
 *
 * @example
 * ```ts
 * const http = createJsonClient({ transport: fetchTransport({ timeoutMs: 10_000 }) });
 * const { body } = await http.request<{ version: { version: string } }>({ url: 'http://nova:8774/v2.1/' });
 * ```
 */
export function createJsonClient(options: JsonClientOptions = {}): JsonClient {
  const transport = options.transport ?? fetchTransport({ timeoutMs: 60_000 });
  const clock = options.clock ?? systemClock;
  const userAgent = options.userAgent ?? 'escalator';
  return {
    async request<T>(request: JsonRequest): Promise<JsonResponse<T>> {
      const method = request.method ?? 'GET';
      const headers: Record<string, string> = {
        Accept: 'application/json',
        'User-Agent': userAgent,
        ...request.headers,
        Connection: 'close',
      };
      let body: string | undefined;
      if (request.body !== undefined) {
        body = JSON.stringify(request.body);
        headers['Content-Type'] = 'application/json';
      }
      let response: Awaited<ReturnType<HttpTransport>>;
      try {
        response = await transport({ method, url: request.url, headers, body, signal: request.signal });
      } catch (error) {
        if (request.signal?.aborted) throw request.signal.reason;
        if (EscalatorError.is(error)) throw error;
        // A host's own transport threw something else: no answer came, which may pass.
        throw new AdapterError(
          `${method} ${describeUrl(request.url)} failed: ${redactString(String(error))}`,
          {
            kind: 'transient',
            reason: 'http-unreachable',
            cause: error,
          },
        );
      }
      const requestId = requestIdOf(response.headers);
      if (response.status >= 400 && !request.accept?.includes(response.status))
        throw httpError({ method, url: request.url, service: request.service }, response, clock.now());
      let parsed: T | undefined;
      if (response.body.trim() !== '' && response.status < 400) {
        try {
          parsed = JSON.parse(response.body) as T;
        } catch (error) {
          throw new AdapterError(
            `${request.service ? `${request.service}: ` : ''}${method} ${describeUrl(request.url)} answered ` +
              `HTTP ${response.status} with a body that is not JSON`,
            { kind: 'permanent', reason: 'invalid-response', requestId, cause: error },
          );
        }
      }
      return { status: response.status, headers: response.headers, body: parsed, requestId };
    },
  };
}
