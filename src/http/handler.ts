/**
 * The REST API as a plain `node:http` request listener: JSON in and out under `/v1`, RFC 9457 problems
 * for every error, bearer tokens checked by a {@link TokenVerifier}, and Server-Sent Events for the
 * journal. Mount it in any `node:http` (or `node:https`) server.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * const server = createServer(createHttpHandler(service, { verifier }));
 * server.listen(8080, '127.0.0.1');
 * ```
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenVerifier } from '../auth/tokens.js';
import type { JournalRecord } from '../engine/journal.js';
import { ErrorCode, EscalatorError } from '../errors.js';
import { fromZodIssues } from '../loader/zod-issues.js';
import type { Principal } from '../ports/authorizer.js';
import type { Logger, LogLevel } from '../ports/logger.js';
import { requestStarted } from './in-flight.js';
import { openApiDocument } from './openapi.js';
import { HttpErrorCode, problem, ServiceError, toProblem } from './problem.js';
import { ActionRequestSchema, CAMPAIGN_ACTIONS, type CampaignAction, JournalQuerySchema } from './schemas.js';
import type { CampaignService } from './service.js';

/** Options of {@link createHttpHandler}. */
export interface HttpHandlerOptions {
  /** Turns a bearer token into a principal (e.g. `createStaticTokenVerifier(await loadStaticTokens(file))`). */
  readonly verifier: TokenVerifier;
  /**
   * Largest body of each kind of request; a larger one gets a 413 and is not read further. Bodies are
   * read only once the principal is authorized for the route, so only who may create campaigns can
   * make the service hold a large body.
   * @defaultValue {@link DEFAULT_BODY_LIMITS}
   * @example `{ create: 64 * 1024 * 1024 }` for clouds of more than 10,000 computes
   */
  readonly bodyLimits?: Partial<Readonly<Record<BodyKind, number>>> | undefined;
  /**
   * Largest body of `POST /v1/campaigns`: the same as `bodyLimits.create`, which wins when both are set.
   * @deprecated Use `bodyLimits: { create }`.
   */
  readonly bodyLimitBytes?: number | undefined;
  /**
   * Time to receive a request and answer it; past it the client gets a 408 (body still arriving) or a
   * 503. Event streams are exempt once they started.
   * @defaultValue 30_000
   */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * Interval of the comments that keep an idle event stream open through proxies.
   * @defaultValue 15_000
   */
  readonly heartbeatMs?: number | undefined;
  /**
   * Bytes an event stream may hold for a client that does not read; past it the stream is closed and the
   * client reconnects with `Last-Event-ID`, missing nothing.
   * @defaultValue 8 MiB
   */
  readonly streamBufferBytes?: number | undefined;
  /** Requests (debug), refusals and unexpected errors (error). @defaultValue a logger that drops everything */
  readonly logger?: Logger | undefined;
}

/** A `node:http` request listener. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The kinds of request body, each with its own size limit (see {@link DEFAULT_BODY_LIMITS}). */
export type BodyKind = 'create' | 'action' | 'notification';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The default largest body of each kind, in bytes.
 *
 * - `create` (inventory, campaign, optional plan): 32 MiB. The inventory of a 10,000-compute cloud with
 *   12 instances per compute weighs about 21 MiB as JSON (1,000 computes: 2.1 MiB), so the service
 *   plans such a cloud from its documents; a plan given along with them weighs about 7 times its
 *   inventory (15 MiB for 1,000 computes), so a host that takes given plans for larger clouds raises it.
 * - `action` (`{ reason }`): 4 KiB.
 * - `notification` (a VNF manager's reply, an alarm, a node event): 64 KiB.
 */
export const DEFAULT_BODY_LIMITS: Readonly<Record<BodyKind, number>> = Object.freeze({
  create: 32 * MiB,
  action: 4 * KiB,
  notification: 64 * KiB,
});

/** The routes of the API: what the OpenAPI document describes and the handler serves. */
export const ROUTES = [
  { method: 'GET', path: '/health', operationId: 'getHealth', auth: false },
  { method: 'GET', path: '/openapi.json', operationId: 'getOpenApi', auth: false },
  { method: 'POST', path: '/v1/campaigns', operationId: 'createCampaign', auth: true, body: 'create' },
  { method: 'GET', path: '/v1/campaigns', operationId: 'listCampaigns', auth: true },
  { method: 'GET', path: '/v1/campaigns/{id}', operationId: 'getCampaign', auth: true },
  { method: 'GET', path: '/v1/campaigns/{id}/plan', operationId: 'getPlan', auth: true },
  {
    method: 'POST',
    path: '/v1/campaigns/{id}/actions/{action}',
    operationId: 'postAction',
    auth: true,
    body: 'action',
  },
  { method: 'GET', path: '/v1/campaigns/{id}/journal', operationId: 'getJournal', auth: true },
  { method: 'GET', path: '/v1/campaigns/{id}/alarms', operationId: 'getAlarms', auth: true },
  { method: 'GET', path: '/v1/campaigns/{id}/events', operationId: 'getEvents', auth: true },
  {
    method: 'POST',
    path: '/v1/campaigns/{id}/notifications',
    operationId: 'postNotification',
    auth: true,
    body: 'notification',
  },
] as const;

type RouteSpec = (typeof ROUTES)[number];
type OperationId = RouteSpec['operationId'];

/** What a route's handler gets. */
interface Context {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  /** Set on routes with `auth`. */
  readonly principal: Principal;
  readonly instance: string;
  /** Cancels the request's timeout (event streams, once started). */
  readonly keepOpen: () => void;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';
const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous', roles: Object.freeze([]) });
/**
 * Serialised event frames of recent records: a record written once is sent to every stream, and
 * streams that reconnect replay the same recent records. Bounded: the journal itself stays the source.
 */
const frames = new Map<JournalRecord, string>();
const MAX_FRAMES = 2048;

function frameOf(record: JournalRecord): string {
  let frame = frames.get(record);
  if (frame === undefined) {
    frame = `id: ${record.seq}\nevent: ${record.type}\ndata: ${JSON.stringify(record)}\n\n`;
    if (frames.size >= MAX_FRAMES) frames.delete(frames.keys().next().value as JournalRecord);
    frames.set(record, frame);
  }
  return frame;
}

/**
 * Creates the API's request listener over a {@link CampaignService}.
 *
 * Every route but `GET /health` and `GET /openapi.json` needs `Authorization: Bearer <token>`; the
 * principal the verifier returns is what the service authorizes (reads as `read`, each action as
 * itself). Tokens are never logged, echoed or stored: the journal's audit records hold the principal's
 * id, roles and how it was authenticated.
 *
 * @example
 * ```ts
 * const handler = createHttpHandler(service, {
 *   verifier: createStaticTokenVerifier(await loadStaticTokens('tokens.yaml')),
 * });
 * createServer(handler).listen(8080, '127.0.0.1');
 * ```
 */
export function createHttpHandler(service: CampaignService, options: HttpHandlerOptions): HttpHandler {
  if (!service || typeof service.create !== 'function')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'service is required: pass createCampaignService({ store, authorizer })',
    );
  if (typeof options?.verifier !== 'function')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'verifier is not set. Pass { verifier: createStaticTokenVerifier(entries) } (or your own TokenVerifier)',
    );
  const limits: Readonly<Record<BodyKind, number>> = {
    create: positive(
      options.bodyLimits?.create ?? options.bodyLimitBytes,
      DEFAULT_BODY_LIMITS.create,
      options.bodyLimits?.create === undefined ? 'bodyLimitBytes' : 'bodyLimits.create',
    ),
    action: positive(options.bodyLimits?.action, DEFAULT_BODY_LIMITS.action, 'bodyLimits.action'),
    notification: positive(
      options.bodyLimits?.notification,
      DEFAULT_BODY_LIMITS.notification,
      'bodyLimits.notification',
    ),
  };
  const timeoutMs = positive(options.requestTimeoutMs, 30_000, 'requestTimeoutMs');
  const heartbeatMs = positive(options.heartbeatMs, 15_000, 'heartbeatMs');
  const streamBuffer = positive(options.streamBufferBytes, 8 * MiB, 'streamBufferBytes');
  const { verifier, logger } = options;

  const log = (level: LogLevel, action: string, message: string, code?: string) =>
    logger?.log({ time: new Date().toISOString(), level, action, message, code });

  const handlers: Readonly<Record<OperationId, (ctx: Context) => Promise<void>>> = {
    async getHealth({ res }) {
      const health = service.health();
      const serving = health.status === 'ok' || health.status === 'degraded';
      sendJson(res, serving ? 200 : 503, health);
    },
    async getOpenApi({ res }) {
      sendJson(res, 200, openApiDocument());
    },
    async createCampaign({ req, res, principal }) {
      // Authorized before a byte of the body is read; the id in the body is checked again once read.
      await service.admit(principal, 'create', '*');
      const body = await readJson(req, limits.create, true);
      const created = await service.create(principal, body);
      sendJson(res, 201, created, { location: created.href });
    },
    async listCampaigns({ res, principal }) {
      sendJson(res, 200, await service.list(principal));
    },
    async getCampaign({ res, principal, params }) {
      sendJson(res, 200, await service.status(principal, param(params, 'id')));
    },
    async getPlan({ res, principal, params }) {
      sendJson(res, 200, await service.plan(principal, param(params, 'id')));
    },
    async postAction({ req, res, principal, params }) {
      const id = param(params, 'id');
      const action = param(params, 'action');
      if (!(CAMPAIGN_ACTIONS as readonly string[]).includes(action))
        throw new ServiceError(
          404,
          HttpErrorCode.NotFound,
          `no action "${action}": the actions are ${CAMPAIGN_ACTIONS.join(', ')}`,
        );
      const forwarded = await service.admit(principal, action as CampaignAction, id);
      if (forwarded !== undefined) {
        // The engine took the command after all (the authorizer changed its answer); the body is unread.
        sendJson(res, 202, forwarded, { location: forwarded.href, connection: 'close' });
        return;
      }
      const body = await readJson(req, limits.action, false);
      let options: { reason?: string | undefined; step?: string | undefined } = {};
      if (body !== undefined) {
        const parsed = ActionRequestSchema.safeParse(body, { reportInput: true });
        if (!parsed.success) throw invalidRequest(fromZodIssues(parsed.error.issues, ActionRequestSchema));
        options = parsed.data;
      }
      if ((action === 'skip') !== (options.step !== undefined))
        throw invalidRequest([
          {
            code: 'invalid_value',
            path: ['step'],
            message:
              action === 'skip'
                ? 'expected the step to skip: { "step": "<step id>" }'
                : `expected no step: only skip takes one, not ${action}`,
          },
        ]);
      const result = await service.act(principal, id, action as CampaignAction, options);
      sendJson(res, 202, result, { location: result.href });
    },
    async getJournal({ res, principal, params, url }) {
      const id = param(params, 'id');
      const query = JournalQuerySchema.safeParse(queryObject(url), { reportInput: true });
      if (!query.success) throw invalidRequest(fromZodIssues(query.error.issues, JournalQuerySchema));
      const limit = query.data.limit ?? 100;
      const page = await service.journal(principal, id, { after: query.data.after, limit });
      const last = page.records.at(-1)?.seq;
      const next =
        page.more && last !== undefined
          ? `/v1/campaigns/${encodeURIComponent(id)}/journal?after=${last}&limit=${limit}`
          : undefined;
      sendJson(
        res,
        200,
        { records: page.records, lastSeq: page.lastSeq, ...(next === undefined ? {} : { next }) },
        next === undefined ? {} : { link: `<${next}>; rel="next"` },
      );
    },
    async getAlarms({ res, principal, params }) {
      sendJson(res, 200, { alarms: await service.alarms(principal, param(params, 'id')) });
    },
    async getEvents(ctx) {
      await streamEvents(ctx);
    },
    async postNotification({ req, res, principal, params }) {
      const id = param(params, 'id');
      await service.admit(principal, 'notify', id);
      const body = await readJson(req, limits.notification, true);
      const seq = await service.notify(principal, id, body);
      sendJson(res, 202, { accepted: true, seq });
    },
  };

  /** `GET /v1/campaigns/{id}/events`: the journal's records as Server-Sent Events, then live ones. */
  async function streamEvents({ req, res, url, params, principal, keepOpen }: Context): Promise<void> {
    const header = req.headers['last-event-id'];
    const raw = typeof header === 'string' && header !== '' ? header : url.searchParams.get('lastEventId');
    let after = 0;
    if (raw !== null && raw !== '') {
      if (!/^(0|[1-9][0-9]{0,14})$/.test(raw.trim()))
        throw invalidRequest([
          {
            code: 'schema',
            path: ['Last-Event-ID'],
            message: 'expected the seq of the last event received, a whole number',
          },
        ]);
      after = Number(raw.trim());
    }
    if (service.closing) throw unavailable();
    // Records that arrive before the stream's headers are out wait here, in order.
    const pending: JournalRecord[] = [];
    let live = false;
    let closed = false;
    const send = (record: JournalRecord) => {
      if (closed) return;
      if (!live) {
        pending.push(record);
        return;
      }
      res.write(frameOf(record));
      // A client that does not read is let go: it reconnects with Last-Event-ID and misses nothing.
      if (res.writableLength > streamBuffer) finish();
    };
    const unsubscribe = await service.subscribe(principal, param(params, 'id'), after, send);
    const heartbeat = setInterval(() => {
      if (!closed) res.write(': heartbeat\n\n');
    }, heartbeatMs);
    const finish = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      service.signal.removeEventListener('abort', finish);
      if (!res.writableEnded) res.end();
    };
    service.signal.addEventListener('abort', finish, { once: true });
    res.on('close', finish);
    keepOpen();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 2000\n\n');
    live = true;
    for (const record of pending.splice(0)) send(record);
    if (service.signal.aborted) finish();
  }

  async function authenticate(req: IncomingMessage): Promise<Principal> {
    const header = req.headers.authorization;
    const challenge = 'Bearer realm="escalator"';
    if (header === undefined || header === '')
      throw new ServiceError(
        401,
        HttpErrorCode.Unauthenticated,
        'the request has no Authorization header; send one with `Bearer <token>`',
        { headers: { 'www-authenticate': challenge } },
      );
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    const invalid = () =>
      new ServiceError(
        401,
        HttpErrorCode.Unauthenticated,
        'the token is not valid (unknown, revoked or malformed)',
        {
          headers: { 'www-authenticate': `${challenge}, error="invalid_token"` },
        },
      );
    if (!match?.[1]) throw invalid();
    let principal: Principal | undefined;
    try {
      principal = await verifier(match[1]);
    } catch (error) {
      if (EscalatorError.is(error) && error.retryable)
        throw new ServiceError(
          503,
          HttpErrorCode.Unavailable,
          'tokens cannot be checked right now; try again',
          {
            headers: { 'retry-after': '5' },
          },
        );
      throw error;
    }
    if (!principal) throw invalid();
    // Only what the audit trail needs: a verifier's principal may carry more (never a token here).
    return {
      id: String(principal.id),
      roles: [...(principal.roles ?? [])].map(String),
      ...(principal.via === undefined ? {} : { via: String(principal.via) }),
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://escalator.invalid');
    } catch {
      throw new ServiceError(400, HttpErrorCode.InvalidRequest, 'the request target is not a valid URL');
    }
    const found = match(req.method ?? 'GET', url.pathname);
    if (found.kind === 'none')
      throw new ServiceError(404, HttpErrorCode.NotFound, `no route ${url.pathname}`);
    if (found.kind === 'method')
      throw new ServiceError(
        405,
        HttpErrorCode.MethodNotAllowed,
        `${req.method} is not allowed on ${url.pathname}; allowed: ${found.allow.join(', ')}`,
        { headers: { allow: found.allow.join(', ') } },
      );
    let timer: NodeJS.Timeout | undefined = setTimeout(() => {
      timer = undefined;
      if (res.headersSent) return;
      const reading = !req.complete;
      log('warn', 'http.timeout', `${req.method} ${url.pathname} timed out (${requestId})`);
      res.setHeader('connection', 'close');
      sendProblem(
        res,
        reading ? 408 : 503,
        problem(
          reading ? 408 : 503,
          ErrorCode.Timeout,
          reading
            ? `the request was not received within ${timeoutMs} ms`
            : `the request was not answered within ${timeoutMs} ms; it may still take effect`,
          url.pathname,
          undefined,
        ),
      );
    }, timeoutMs);
    const keepOpen = () => {
      clearTimeout(timer);
      timer = undefined;
    };
    res.on('close', keepOpen);
    const principal = found.route.auth ? await authenticate(req) : ANONYMOUS;
    await handlers[found.route.operationId]({
      req,
      res,
      url,
      params: found.params,
      principal,
      instance: url.pathname,
      keepOpen,
    });
    log(
      'debug',
      'http.request',
      `${req.method} ${url.pathname} ${res.statusCode} ${principal.id} (${requestId})`,
    );
  }

  return (req, res) => {
    const requestId = randomUUID();
    res.once('close', requestStarted(service));
    // While the service shuts down, every answer is the connection's last.
    if (service.closing) res.setHeader('connection', 'close');
    req.on('error', () => undefined); // a client that goes away mid-body: handled where the body is read
    handle(req, res, requestId).catch((error: unknown) => {
      const instance = safePath(req.url);
      const { status, body, headers, unexpected } = toProblem(error, instance, requestId);
      if (unexpected)
        log(
          'error',
          'http.error',
          `${req.method} ${instance} (${requestId}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          body.code,
        );
      else if (status === 401 || status === 403)
        log('warn', 'http.refused', `${req.method} ${instance}: ${body.detail}`, body.code);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      // A body we did not read is not drained: the connection closes after the answer.
      if (!req.complete) res.setHeader('connection', 'close');
      sendProblem(res, status, body);
    });
  };
}

/** Finds the route of a request. */
function match(
  method: string,
  pathname: string,
):
  | { kind: 'route'; route: RouteSpec; params: Record<string, string> }
  | { kind: 'method'; allow: string[] }
  | { kind: 'none' } {
  const segments = pathname.split('/');
  const allow: string[] = [];
  for (const route of ROUTES) {
    const pattern = route.path.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (const [i, part] of pattern.entries()) {
      const segment = segments[i] ?? '';
      if (part.startsWith('{')) {
        if (segment === '') {
          ok = false;
          break;
        }
        try {
          params[part.slice(1, -1)] = decodeURIComponent(segment);
        } catch {
          ok = false;
          break;
        }
      } else if (part !== segment) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    if (route.method === method) return { kind: 'route', route, params };
    allow.push(route.method);
  }
  return allow.length > 0 ? { kind: 'method', allow } : { kind: 'none' };
}

function param(params: Readonly<Record<string, string>>, name: string): string {
  return params[name] ?? '';
}

/** The query as an object; a parameter given twice is an error. */
function queryObject(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (Object.hasOwn(out, key))
      throw invalidRequest([{ code: 'schema', path: [key], message: `"${key}" is given more than once` }]);
    out[key] = value;
  }
  return out;
}

/** Whether a Content-Type is JSON in UTF-8 (the only charset JSON may use on the wire, RFC 8259). */
function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type = '', ...parameters] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) return false;
  return parameters.every((p) => !p.startsWith('charset=') || /^charset="?utf-8"?$/.test(p));
}

/**
 * Reads a JSON body up to `limit` bytes. Without a body: `undefined`, or a 400 when `required`.
 */
async function readJson(req: IncomingMessage, limit: number, required: boolean): Promise<unknown> {
  const declared = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (declared === undefined || declared === '0')) {
    if (required)
      throw new ServiceError(
        400,
        HttpErrorCode.InvalidRequest,
        'a JSON body is required (Content-Type: application/json)',
      );
    return undefined;
  }
  if (!isJson(req.headers['content-type']))
    throw new ServiceError(
      415,
      HttpErrorCode.UnsupportedMediaType,
      `the body must be JSON in UTF-8 (Content-Type: application/json), not ${req.headers['content-type'] ?? 'untyped'}`,
      { headers: { 'accept-post': 'application/json' } },
    );
  const tooLarge = () =>
    new ServiceError(
      413,
      HttpErrorCode.BodyTooLarge,
      `the body is larger than ${limit} bytes, the most this route takes`,
      {
        headers: { connection: 'close' },
      },
    );
  if (declared !== undefined && Number(declared) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop reading: the answer closes the connection, and the rest of the body is never taken in.
        req.off('data', onData);
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve());
    req.once('error', reject);
    req.once('aborted', () =>
      reject(
        new ServiceError(400, HttpErrorCode.InvalidRequest, 'the client went away while sending the body'),
      ),
    );
  });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new ServiceError(400, HttpErrorCode.InvalidRequest, 'the body is not valid UTF-8');
  }
  if (text.trim() === '') {
    if (required) throw new ServiceError(400, HttpErrorCode.InvalidRequest, 'a JSON body is required');
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // Not the parser's message: V8 quotes the text around the error, and the body is the client's.
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    throw new ServiceError(
      400,
      HttpErrorCode.InvalidRequest,
      `the body is not valid JSON${position === undefined ? '' : ` (at byte ${position})`}`,
    );
  }
}

function invalidRequest(
  issues: readonly { code: string; path: readonly (string | number)[]; message: string }[],
): ServiceError {
  const errors = issues.map((i) => ({
    path: i.path.map(String).join('.') || '(query)',
    message: i.message,
    code: i.code,
  }));
  return new ServiceError(
    400,
    HttpErrorCode.InvalidRequest,
    `the request has ${errors.length} problem${errors.length === 1 ? '' : 's'}: see errors`,
    { errors },
  );
}

function unavailable(): ServiceError {
  return new ServiceError(503, HttpErrorCode.Unavailable, 'the service is shutting down', {
    headers: { 'retry-after': '5' },
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

function sendProblem(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': PROBLEM_TYPE,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

/** The path of a request target, for a problem's `instance` (the query is left out). */
function safePath(target: string | undefined): string {
  try {
    return new URL(target ?? '/', 'http://escalator.invalid').pathname;
  } catch {
    return '/';
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0))
    throw new EscalatorError(ErrorCode.InvalidOption, `${name} must be a number above 0, got ${value}`);
  return value;
}
