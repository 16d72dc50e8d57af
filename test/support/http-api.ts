/**
 * A real API server on 127.0.0.1:0 for the HTTP tests, and a small client: JSON requests with global
 * fetch, and a Server-Sent Events reader on fetch's streaming body.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { createRoleAuthorizer, createStaticTokenVerifier, hashToken } from '../../src/auth/index.js';
import { createVirtualClock, type VirtualClock } from '../../src/clock/index.js';
import {
  type CampaignService,
  type CampaignServiceOptions,
  closeGracefully,
  createCampaignService,
  createHttpHandler,
  createSimulatorBackend,
  type HttpHandlerOptions,
} from '../../src/http/index.js';
import type { StateStore } from '../../src/ports/index.js';
import { createMemoryStore } from '../../src/stores/index.js';

/** One token per built-in role. */
export const TOKENS = {
  admin: 'admin-0123456789abcdef',
  operator: 'operator-0123456789abcdef',
  viewer: 'viewer-0123456789abcdef',
} as const;
export type Role = keyof typeof TOKENS;

/** A running API server. */
export interface TestApi {
  readonly base: string;
  readonly server: Server;
  readonly service: CampaignService;
  readonly clock: VirtualClock;
  readonly store: StateStore;
  close(): Promise<void>;
}

/** Options of {@link startApi}. */
export interface TestApiOptions {
  readonly store?: StateStore | undefined;
  /** Virtual time this many times faster than real time (unset: as fast as possible). */
  readonly speed?: number | undefined;
  readonly start?: number | undefined;
  /** Keep the simulated clouds here (survives a restart). */
  readonly simulatorDirectory?: string | undefined;
  readonly handler?: Partial<Omit<HttpHandlerOptions, 'verifier'>> | undefined;
  readonly service?: Partial<CampaignServiceOptions> | undefined;
}

/** Starts a service and its API on 127.0.0.1, on a port the system picks. */
export async function startApi(options: TestApiOptions = {}): Promise<TestApi> {
  const clock = createVirtualClock({ autoAdvance: true, speed: options.speed, start: options.start });
  const store = options.store ?? createMemoryStore();
  const service = createCampaignService({
    store,
    authorizer: createRoleAuthorizer(),
    clock,
    adapters: createSimulatorBackend({ directory: options.simulatorDirectory }),
    ...options.service,
  });
  await service.ready();
  const verifier = createStaticTokenVerifier(
    Object.entries(TOKENS).map(([role, token]) => ({
      id: `${role}-1`,
      roles: [role],
      sha256: hashToken(token),
    })),
  );
  const server = createServer(createHttpHandler(service, { verifier, ...options.handler }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    base: `http://127.0.0.1:${port}`,
    server,
    service,
    clock,
    store,
    close: () => {
      closed ??= closeGracefully(server, service, { timeoutMs: 10_000, drainMs: 1_000 }).then(
        () => undefined,
      );
      return closed;
    },
  };
}

/** Parsed JSON that a test reads or edits freely. */
// biome-ignore lint/suspicious/noExplicitAny: test code edits arbitrary documents
export type Json = any;

/** An example's documents as plain data (YAML parsed, not validated: the API validates). */
export function example(name: 'minimal' | 'ha' | 'multi-site'): { inventory: Json; campaign: Json } {
  const read = (kind: string): Json => parse(readFileSync(`examples/${name}/${kind}.yaml`, 'utf8'));
  return { inventory: read('inventory'), campaign: read('campaign') };
}

/** A JSON response. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: Json;
}

/** Calls the API. `body` is sent as JSON unless `raw` is given. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: {
    readonly as?: Role | undefined;
    readonly body?: unknown;
    readonly raw?: string | undefined;
    readonly headers?: Record<string, string> | undefined;
  } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.as) headers['authorization'] ??= `Bearer ${TOKENS[options.as]}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** One Server-Sent Event (or a comment, with `event: 'comment'`). */
export interface SseEvent {
  readonly id?: string | undefined;
  readonly event: string;
  readonly data: string;
}

/** An open event stream. */
export interface EventStream {
  readonly status: number;
  readonly headers: Headers;
  /** The next event or comment; undefined at the end of the stream. */
  next(): Promise<SseEvent | undefined>;
  close(): Promise<void>;
}

/** Opens `GET /v1/campaigns/{id}/events`. */
export async function openEvents(
  base: string,
  id: string,
  options: { readonly as?: Role; readonly lastEventId?: string; readonly query?: string } = {},
): Promise<EventStream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${TOKENS[options.as ?? 'viewer']}` };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const res = await fetch(`${base}/v1/campaigns/${id}/events${options.query ?? ''}`, {
    headers,
    signal: controller.signal,
  });
  const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const queue: SseEvent[] = [];
  let ended = false;
  const parseFrames = () => {
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      let comment = true;
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) continue;
        comment = false;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      queue.push(comment ? { event: 'comment', data: frame } : { id, event, data: data.join('\n') });
    }
  };
  return {
    status: res.status,
    headers: res.headers,
    async next() {
      for (;;) {
        const ready = queue.shift();
        if (ready) return ready;
        if (ended || !reader) return undefined;
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) {
          ended = true;
          continue;
        }
        buffer += value;
        parseFrames();
      }
    },
    async close() {
      controller.abort();
      await reader?.cancel().catch(() => undefined);
    },
  };
}

/** A journal record as received. */
export interface Received {
  readonly seq: number;
  readonly type: string;
  readonly data: string;
}

/**
 * Reads events until `stop` says so (given each record), the stream ends, or `max` records came.
 * Comments (heartbeats, the retry line) are skipped.
 */
export async function readRecords(
  stream: EventStream,
  stop: (record: Received) => boolean,
  max = Number.POSITIVE_INFINITY,
): Promise<Received[]> {
  const out: Received[] = [];
  while (out.length < max) {
    const event = await stream.next();
    if (!event) break;
    if (event.event === 'comment' || event.id === undefined) continue;
    const record = { seq: Number(event.id), type: event.event, data: event.data };
    out.push(record);
    if (stop(record)) break;
  }
  return out;
}

/** Whether a record is the campaign coming to rest in one of `states`. */
export function restsIn(...states: string[]): (record: Received) => boolean {
  return (record) => record.type === 'campaign' && states.includes(JSON.parse(record.data).to);
}

/** Every record of a campaign's journal, through the paged route. */
export async function wholeJournal(base: string, id: string, as: Role = 'viewer'): Promise<unknown[]> {
  const records: unknown[] = [];
  let path: string | undefined = `/v1/campaigns/${id}/journal?limit=1000`;
  while (path) {
    const page = await call(base, 'GET', path, { as });
    if (page.status !== 200) throw new Error(`journal: ${page.status} ${page.text}`);
    records.push(...page.body.records);
    path = page.body.next;
  }
  return records;
}
