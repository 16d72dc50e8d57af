/**
 * A real HTTP server on 127.0.0.1 that replays canned Keystone, Nova, Placement and Neutron answers,
 * for the OpenStack adapter's unit tests. Routes are `METHOD /path` (query ignored) mapped to a reply
 * or a function of the request; every request is logged with its headers and body.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

export interface Reply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  readonly body?: unknown;
  /** Destroy the socket without answering (a connection reset). */
  readonly reset?: boolean;
  /** Never answer. */
  readonly hang?: boolean;
}

export type Route = Reply | ((request: LoggedRequest) => Reply);

export interface FakeOpenStack {
  readonly url: string;
  readonly log: LoggedRequest[];
  /** Sets (or replaces) a route: `'GET /compute/v2.1/os-services'`. A list is served in order, the last repeated. */
  route(key: string, reply: Route | Route[]): void;
  /** Requests to a route key. */
  calls(key: string): LoggedRequest[];
  close(): Promise<void>;
}

export async function startFakeOpenStack(): Promise<FakeOpenStack> {
  const routes = new Map<string, Route[]>();
  const log: LoggedRequest[] = [];
  const hanging = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      const entry: LoggedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      };
      log.push(entry);
      const key = `${entry.method} ${entry.path}`;
      const list = routes.get(key);
      let route: Route | undefined;
      if (list && list.length > 0) route = list.length > 1 ? list.shift() : list[0];
      const reply: Reply =
        route === undefined
          ? { status: 404, body: { itemNotFound: { code: 404, message: `no route ${key}` } } }
          : typeof route === 'function'
            ? route(entry)
            : route;
      if (reply.reset) {
        req.socket.destroy();
        return;
      }
      if (reply.hang) {
        hanging.add(res);
        return;
      }
      const payload =
        reply.body === undefined
          ? ''
          : typeof reply.body === 'string'
            ? reply.body
            : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, {
        ...(typeof reply.body === 'object' ? { 'Content-Type': 'application/json' } : {}),
        ...reply.headers,
      });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    route(key, reply) {
      routes.set(key, Array.isArray(reply) ? [...reply] : [reply]);
    },
    calls: (key) => log.filter((r) => `${r.method} ${r.path}` === key),
    async close() {
      for (const res of hanging) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A Keystone token body whose catalog points at the fake server. */
export function tokenBody(
  base: string,
  options: {
    issuedAt?: string;
    expiresAt?: string;
    roles?: string[];
    withCinder?: boolean;
    region?: string;
  } = {},
): unknown {
  const region = options.region ?? 'RegionOne';
  const endpoints = (path: string) => [
    { id: `${path}-pub`, interface: 'public', region, region_id: region, url: `${base}${path}` },
    { id: `${path}-int`, interface: 'internal', region, region_id: region, url: `${base}/internal${path}` },
    {
      id: `${path}-other`,
      interface: 'public',
      region: 'RegionTwo',
      region_id: 'RegionTwo',
      url: `${base}/r2${path}`,
    },
  ];
  const catalog = [
    { type: 'identity', name: 'keystone', endpoints: endpoints('/identity/v3') },
    { type: 'compute', name: 'nova', endpoints: endpoints('/compute/v2.1') },
    { type: 'placement', name: 'placement', endpoints: endpoints('/placement') },
    { type: 'network', name: 'neutron', endpoints: endpoints('/network') },
  ];
  if (options.withCinder)
    catalog.push({ type: 'volumev3', name: 'cinderv3', endpoints: endpoints('/volume/v3/p-1') });
  return {
    token: {
      methods: ['password'],
      issued_at: options.issuedAt ?? '2020-01-01T00:00:00.000000Z',
      expires_at: options.expiresAt ?? '2020-01-01T01:00:00.000000Z',
      user: { id: 'u-1', name: 'admin', domain: { id: 'default', name: 'Default' } },
      project: { id: 'p-1', name: 'admin', domain: { id: 'default', name: 'Default' } },
      roles: (options.roles ?? ['admin', 'reader']).map((name, i) => ({ id: `r-${i}`, name })),
      catalog,
    },
  };
}
