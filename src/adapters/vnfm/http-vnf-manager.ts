/**
 * The {@link VnfManager} port over HTTP, in the style of OPNFV Doctor and OpenStack Fenix: the engine
 * tells a VNF's manager that maintenance is coming and the manager answers `ack` (go ahead) or `nack`.
 * @module
 */
import { systemClock } from '../../clock/system-clock.js';
import { AdapterError, ErrorCode, EscalatorError } from '../../errors.js';
import { redactString } from '../../logging/redact.js';
import type { Inventory } from '../../model/inventory.js';
import type { Clock } from '../../ports/clock.js';
import type { CallOptions } from '../../ports/common.js';
import type { HttpResponse, HttpTransport } from '../../ports/transport.js';
import type { MaintenanceNotice, MaintenanceReply, VnfManager } from '../../ports/vnf-manager.js';
import { fetchTransport } from '../http/fetch-transport.js';

/** Options of {@link createHttpVnfManager}. */
export interface HttpVnfManagerOptions {
  /** Makes the HTTP requests. @defaultValue `fetchTransport()` (Node's fetch, 30 s per request) */
  readonly request?: HttpTransport | undefined;
  /**
   * The base URL of a VNF's manager, e.g. `https://vnfm.example/v1`; the adapter appends
   * `/maintenance`. See {@link inventoryVnfmEndpoints} for the inventory's `maintenance.endpoint`.
   */
  readonly endpointOf: (vnf: string) => string | undefined;
  /** Extra headers (an API token, say); never logged. */
  readonly headers?:
    | Readonly<Record<string, string>>
    | ((vnf: string) => Readonly<Record<string, string>> | undefined)
    | undefined;
  /** Time and waiting (the lead time and polls are measured on it). @defaultValue the system clock */
  readonly clock?: Clock | undefined;
  /** Seconds between polls of a notice the manager answered 202 to. Fractions allowed. @defaultValue 5 */
  readonly pollSeconds?: number | undefined;
  /**
   * The least time a manager is given, so that a zero lead time still lets it answer the notice itself.
   * @defaultValue 5
   */
  readonly minimumWaitSeconds?: number | undefined;
  /**
   * What `notifyMaintenance` does for a VNF without an endpoint: `wait` until the lead time is over and
   * answer `timeout` (the manager may answer through `engine.notify` meanwhile), or `ack` at once.
   * @defaultValue 'wait'
   */
  readonly missingEndpoint?: 'wait' | 'ack' | undefined;
}

/** The request body of a maintenance notice. */
export interface MaintenanceRequestBody {
  readonly id: string;
  readonly vnf: string;
  readonly instances: readonly string[];
  readonly leadTimeSeconds: number;
  readonly reason: string;
  readonly state: 'PREPARE_MAINTENANCE';
}

/** The request body that closes a maintenance. */
export interface MaintenanceCompleteBody {
  readonly id: string;
  readonly vnf: string;
  readonly state: 'MAINTENANCE_COMPLETE';
}

/** Why the conversation stopped waiting: the lead time is over. */
const DEADLINE = Symbol('deadline');

/**
 * Builds the `endpointOf` of {@link createHttpVnfManager} from the inventory: each VNF's
 * `maintenance.endpoint`.
 */
export function inventoryVnfmEndpoints(inventory: Inventory): (vnf: string) => string | undefined {
  const byName = new Map(inventory.vnfs.map((v) => [v.name, v.maintenance.endpoint]));
  return (vnf) => byName.get(vnf);
}

/**
 * Creates the HTTP {@link VnfManager}. The conversation:
 *
 * 1. `POST {endpoint}/maintenance` with a {@link MaintenanceRequestBody}.
 * 2. `200 { "reply": "ack" | "nack" }` answers at once. `202` means "asking the VNF": the adapter then
 *    polls `GET {endpoint}/maintenance/{id}` every `pollSeconds` until it gets `200 { reply }`, and
 *    answers `timeout` when the lead time is over (a `202`, an error or silence until then).
 * 3. `notifyDone` sends `POST {endpoint}/maintenance` with a {@link MaintenanceCompleteBody}.
 *
 * A `5xx` or `429` to a POST is a transient {@link AdapterError} (`http-503`, ... with
 * `retryAfterSeconds` from `Retry-After`), any other `4xx` a permanent one (`http-404`, ...); while
 * polling, transient failures are waited out until the lead time. Aborting the signal stops at once.
 *
 * @example
 * ```ts
 * const vnfm = createHttpVnfManager({ endpointOf: inventoryVnfmEndpoints(inventory), pollSeconds: 2 });
 * const reply = await vnfm.notifyMaintenance(
 *   { id: 'c1/s7', vnf: 'epc', instances: ['epc-1'], leadTimeSeconds: 120, reason: 'upgrade' },
 * ); // 'ack' | 'nack' | 'timeout'
 * ```
 */
export function createHttpVnfManager(options: HttpVnfManagerOptions): VnfManager {
  if (!options || typeof options.endpointOf !== 'function')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'endpointOf is not set. Pass createHttpVnfManager({ endpointOf: inventoryVnfmEndpoints(inventory) })',
    );
  const pollSeconds = options.pollSeconds ?? 5;
  if (!(Number.isFinite(pollSeconds) && pollSeconds > 0))
    throw new EscalatorError(ErrorCode.InvalidOption, `pollSeconds must be above 0, got ${pollSeconds}`);
  const minimumWait = options.minimumWaitSeconds ?? 5;
  if (!(Number.isFinite(minimumWait) && minimumWait >= 0))
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `minimumWaitSeconds must be 0 or more, got ${minimumWait}`,
    );
  const missing = options.missingEndpoint ?? 'wait';
  if (missing !== 'wait' && missing !== 'ack')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `missingEndpoint must be 'wait' or 'ack', got ${String(missing)}`,
    );
  const request = options.request ?? fetchTransport();
  const clock = options.clock ?? systemClock;

  const headersOf = (vnf: string, body = true): Record<string, string> => ({
    ...(body ? { 'content-type': 'application/json' } : {}),
    accept: 'application/json',
    ...(typeof options.headers === 'function' ? options.headers(vnf) : options.headers),
  });
  const base = (endpoint: string) => `${endpoint.replace(/\/+$/, '')}/maintenance`;

  return {
    async notifyMaintenance(notice, call: CallOptions = {}) {
      const signal = call.signal;
      signal?.throwIfAborted();
      const waitMs = Math.max(notice.leadTimeSeconds, minimumWait) * 1000;
      const deadline = clock.now() + waitMs;
      // One signal for the whole conversation: the caller's abort, or the lead time running out.
      const conversation = new AbortController();
      const stopTimer = new AbortController();
      const onAbort = () => conversation.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      clock.sleep(waitMs, stopTimer.signal).then(
        () => conversation.abort(DEADLINE),
        () => {},
      );
      const endOf = (error: unknown): MaintenanceReply => {
        if (signal?.aborted) throw signal.reason;
        if (conversation.signal.reason === DEADLINE) return 'timeout';
        throw error;
      };
      try {
        const endpoint = options.endpointOf(notice.vnf);
        if (endpoint === undefined) {
          if (missing === 'ack') return 'ack';
          await clock.sleep(waitMs, conversation.signal).catch(endOf);
          return 'timeout';
        }
        const body: MaintenanceRequestBody = {
          id: notice.id,
          vnf: notice.vnf,
          instances: notice.instances,
          leadTimeSeconds: notice.leadTimeSeconds,
          reason: notice.reason,
          state: 'PREPARE_MAINTENANCE',
        };
        let response: HttpResponse;
        try {
          response = await request({
            method: 'POST',
            url: base(endpoint),
            headers: headersOf(notice.vnf),
            body: JSON.stringify(body),
            signal: conversation.signal,
          });
        } catch (error) {
          return endOf(error);
        }
        if (response.status === 200 || response.status === 201) return replyOf(response, notice, 'POST');
        if (response.status !== 202) throw statusError(response, `POST ${base(endpoint)}`, clock);

        const url = `${base(endpoint)}/${encodeURIComponent(notice.id)}`;
        let next = pollSeconds * 1000;
        for (;;) {
          const remaining = deadline - clock.now();
          if (remaining <= 0) return 'timeout';
          try {
            await clock.sleep(Math.min(next, remaining), conversation.signal);
          } catch (error) {
            return endOf(error);
          }
          if (deadline - clock.now() <= 0) return 'timeout';
          next = pollSeconds * 1000;
          let poll: HttpResponse;
          try {
            poll = await request({
              method: 'GET',
              url,
              headers: headersOf(notice.vnf, false),
              signal: conversation.signal,
            });
          } catch (error) {
            if (signal?.aborted || conversation.signal.aborted) return endOf(error);
            if (EscalatorError.is(error) && error.retryable) continue; // the manager may come back
            throw error;
          }
          if (poll.status === 202) continue;
          if (poll.status === 200) {
            const reply = replyOf(poll, notice, 'GET', true);
            if (reply !== undefined) return reply;
            continue;
          }
          const failure = statusError(poll, `GET ${url}`, clock);
          if (!failure.retryable) throw failure;
          if (failure.retryAfterSeconds !== undefined)
            next = Math.max(next, failure.retryAfterSeconds * 1000);
        }
      } finally {
        stopTimer.abort();
        signal?.removeEventListener('abort', onAbort);
      }
    },

    async notifyDone(notice, call: CallOptions = {}) {
      call.signal?.throwIfAborted();
      const endpoint = options.endpointOf(notice.vnf);
      if (endpoint === undefined) return;
      const body: MaintenanceCompleteBody = { id: notice.id, vnf: notice.vnf, state: 'MAINTENANCE_COMPLETE' };
      const response = await request({
        method: 'POST',
        url: base(endpoint),
        headers: headersOf(notice.vnf),
        body: JSON.stringify(body),
        signal: call.signal,
      });
      if (response.status < 200 || response.status > 299)
        throw statusError(response, `POST ${base(endpoint)}`, clock);
    },
  };
}

/** Reads `{ reply }`; `pending` (while polling) gives `undefined`, anything else is an error. */
function replyOf(
  response: HttpResponse,
  notice: MaintenanceNotice,
  method: string,
  polling: true,
): 'ack' | 'nack' | undefined;
function replyOf(response: HttpResponse, notice: MaintenanceNotice, method: string): 'ack' | 'nack';
function replyOf(
  response: HttpResponse,
  notice: MaintenanceNotice,
  method: string,
  polling = false,
): 'ack' | 'nack' | undefined {
  let reply: unknown;
  try {
    reply = (JSON.parse(response.body) as { reply?: unknown } | null)?.reply;
  } catch {
    reply = undefined;
  }
  if (reply === 'ack' || reply === 'nack') return reply;
  if (polling && (reply === 'pending' || reply === undefined || reply === null)) return undefined;
  throw new AdapterError(
    `the manager of VNF ${notice.vnf} answered ${method} with ${response.status} but no reply "ack" or "nack" ` +
      `(${redactString(response.body.slice(0, 200))})`,
    { kind: 'permanent', reason: 'vnfm-bad-reply', requestId: requestIdOf(response) },
  );
}

function requestIdOf(response: HttpResponse): string | undefined {
  return response.headers['x-openstack-request-id'] ?? response.headers['x-request-id'];
}

/** `Retry-After` as seconds: a number of seconds or an HTTP date. */
function retryAfterOf(response: HttpResponse, clock: Clock): number | undefined {
  const value = response.headers['retry-after']?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - clock.now()) / 1000));
}

/** An error for an unexpected status: 5xx and 429 transient, other statuses permanent. */
function statusError(response: HttpResponse, what: string, clock: Clock): AdapterError {
  const status = response.status;
  const transientStatus = status >= 500 || status === 429 || status === 408;
  const retryAfterSeconds = transientStatus ? retryAfterOf(response, clock) : undefined;
  return new AdapterError(
    `${redactString(what)} answered ${status}${response.body ? `: ${redactString(response.body.slice(0, 200))}` : ''}`,
    {
      kind: transientStatus ? 'transient' : 'permanent',
      reason: `http-${status}`,
      requestId: requestIdOf(response),
      retryAfterSeconds,
    },
  );
}
