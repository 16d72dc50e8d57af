/**
 * A Keystone v3 session: authenticates with a password or an application credential, keeps the token
 * and renews it before it expires, finds service endpoints in the catalog, validates other people's
 * tokens, and sends authenticated JSON requests for the Nova, Placement, Neutron and Cinder clients.
 * @module
 */
import type { TokenVerifier } from '../../auth/tokens.js';
import { systemClock } from '../../clock/system-clock.js';
import { AdapterError, ErrorCode, EscalatorError } from '../../errors.js';
import type { Principal } from '../../ports/authorizer.js';
import type { Clock } from '../../ports/clock.js';
import type { CallOptions } from '../../ports/common.js';
import type { HttpTransport } from '../../ports/transport.js';
import { fetchTransport } from '../http/fetch-transport.js';
import { createJsonClient, type JsonClient, type JsonRequest, type JsonResponse } from './http.js';

/** A user's password, scoped to a project. */
export interface PasswordCredentials {
  readonly username: string;
  readonly password: string;
  /** @defaultValue 'Default' */
  readonly userDomainName?: string | undefined;
  readonly projectName: string;
  /** @defaultValue 'Default' */
  readonly projectDomainName?: string | undefined;
}

/** An application credential (its project and roles are fixed when it is created). */
export interface ApplicationCredentials {
  readonly id: string;
  readonly secret: string;
}

/** How the session authenticates: exactly one of the two. */
export type KeystoneCredentials =
  | { readonly password: PasswordCredentials; readonly applicationCredential?: undefined }
  | { readonly applicationCredential: ApplicationCredentials; readonly password?: undefined };

/** Which of a service's endpoints to use. */
export type EndpointInterface = 'public' | 'internal' | 'admin';

/** Options of {@link createKeystoneSession}. */
export interface KeystoneSessionOptions {
  /** Keystone's URL, with or without `/v3`, e.g. `http://controller:5000/v3`. */
  readonly authUrl: string;
  readonly credentials: KeystoneCredentials;
  /**
   * The region whose endpoints to use. Unset: the first endpoint of the wanted interface, whatever its
   * region (fine for a single-region cloud).
   */
  readonly region?: string | undefined;
  /**
   * The endpoint interface.
   * @defaultValue 'public'
   */
  readonly interface?: EndpointInterface | undefined;
  /** How requests are made. */
  readonly request?:
    | {
        /** @defaultValue the shared fetch transport (`fetchTransport` of `escalator/http`) */
        readonly transport?: HttpTransport | undefined;
        /** Used by the default transport. @defaultValue globalThis.fetch */
        readonly fetch?: typeof globalThis.fetch | undefined;
        /** Used by the default transport. @defaultValue 60_000 */
        readonly timeoutMs?: number | undefined;
      }
    | undefined;
  /** @defaultValue the system clock */
  readonly clock?: Clock | undefined;
  /**
   * Renew the token this many seconds before it expires (at most half its lifetime, so a short-lived
   * token is not renewed at every call).
   * @defaultValue 300
   */
  readonly renewBeforeSeconds?: number | undefined;
  /**
   * Endpoints to use instead of the catalog's, by service type, e.g. `{ compute: 'http://10.0.0.5:8774/v2.1' }`
   * when the catalog's addresses are not reachable from where Escalator runs.
   */
  readonly endpointOverride?: Readonly<Record<string, string>> | undefined;
}

/** One endpoint of the service catalog. */
export interface CatalogEndpoint {
  readonly interface: string;
  readonly region?: string | undefined;
  readonly url: string;
}

/** One service of the catalog. */
export interface CatalogService {
  readonly type: string;
  readonly name?: string | undefined;
  readonly endpoints: readonly CatalogEndpoint[];
}

/** What Keystone says about a token. */
export interface KeystoneTokenInfo {
  /** The user id. */
  readonly id: string;
  /** The user name. */
  readonly name: string;
  readonly domainId?: string | undefined;
  /** Keystone role names on the token's scope. */
  readonly roles: readonly string[];
  readonly projectId?: string | undefined;
  readonly projectName?: string | undefined;
  /** ISO 8601 time, as Keystone wrote it. */
  readonly expiresAt: string;
}

/** The session's own authentication. */
export interface KeystoneAuth extends KeystoneTokenInfo {
  readonly token: string;
  readonly catalog: readonly CatalogService[];
}

/** Options of {@link KeystoneSession.endpoint}. */
export interface EndpointOptions extends CallOptions {
  readonly interface?: EndpointInterface | undefined;
  readonly region?: string | undefined;
}

/** An authenticated session with an OpenStack cloud. */
export interface KeystoneSession {
  /** Keystone's v3 URL, e.g. `http://controller:5000/v3`. */
  readonly authUrl: string;
  readonly clock: Clock;
  /** The JSON client underneath (no token added). */
  readonly http: JsonClient;
  /** A valid token: the cached one, or a new one when it is close to expiry. */
  token(options?: CallOptions): Promise<string>;
  /** The whole authentication (token, user, project, roles, catalog), renewed like {@link token}. */
  auth(options?: CallOptions): Promise<KeystoneAuth>;
  /**
   * A service's endpoint URL (no trailing slash) by type, e.g. `compute`, `placement`, `network`.
   * Rejects with a permanent {@link AdapterError} `endpoint-not-found` when the catalog lacks it.
   */
  endpoint(serviceType: string, options?: EndpointOptions): Promise<string>;
  /** Like {@link endpoint}, resolving to `undefined` when the catalog lacks the service. */
  findEndpoint(serviceType: string, options?: EndpointOptions): Promise<string | undefined>;
  /**
   * Sends a request with the session's token. A 401 (the token was revoked or expired early) renews
   * the token and tries once more.
   */
  request<T = unknown>(request: JsonRequest): Promise<JsonResponse<T>>;
  /**
   * Asks Keystone about someone else's token (`GET /v3/auth/tokens` with `X-Subject-Token`). Resolves
   * to `undefined` when the token is unknown, expired or revoked (404). Keystone's default policy lets
   * only admins and the `service` role validate other users' tokens: give the session such a user.
   */
  validateToken(token: string, options?: CallOptions): Promise<KeystoneTokenInfo | undefined>;
  /** Forgets the cached token; the next call authenticates again. */
  invalidate(): void;
}

interface TokenBody {
  token?: {
    expires_at?: string;
    issued_at?: string;
    user?: { id?: string; name?: string; domain?: { id?: string } };
    project?: { id?: string; name?: string };
    roles?: { id?: string; name?: string }[];
    catalog?: {
      type?: string;
      name?: string;
      endpoints?: { interface?: string; region?: string; region_id?: string; url?: string }[];
    }[];
  };
}

function invalidOption(message: string): EscalatorError {
  return new EscalatorError(ErrorCode.InvalidOption, message);
}

/** `http://h:5000`, `http://h:5000/`, `http://h:5000/v3/` → `http://h:5000/v3`. */
function v3Url(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

function identity(credentials: KeystoneCredentials): Record<string, unknown> {
  if (credentials.applicationCredential)
    return {
      identity: {
        methods: ['application_credential'],
        application_credential: {
          id: credentials.applicationCredential.id,
          secret: credentials.applicationCredential.secret,
        },
      },
    };
  const p = credentials.password!;
  return {
    identity: {
      methods: ['password'],
      password: {
        user: { name: p.username, domain: { name: p.userDomainName ?? 'Default' }, password: p.password },
      },
    },
    scope: { project: { name: p.projectName, domain: { name: p.projectDomainName ?? 'Default' } } },
  };
}

function tokenInfo(
  body: TokenBody | undefined,
  what: string,
): KeystoneTokenInfo & { issuedAt?: string | undefined } {
  const t = body?.token;
  if (!t?.user?.id || !t.expires_at)
    throw new AdapterError(`keystone: ${what} answered without a user or expiry`, {
      kind: 'permanent',
      reason: 'invalid-response',
    });
  return {
    id: t.user.id,
    name: t.user.name ?? t.user.id,
    domainId: t.user.domain?.id,
    roles: (t.roles ?? []).map((r) => r.name ?? r.id ?? '').filter((r) => r !== ''),
    projectId: t.project?.id,
    projectName: t.project?.name,
    expiresAt: t.expires_at,
    issuedAt: t.issued_at,
  };
}

function catalogOf(body: TokenBody | undefined): CatalogService[] {
  return (body?.token?.catalog ?? []).map((s) => ({
    type: s.type ?? '',
    name: s.name,
    endpoints: (s.endpoints ?? [])
      .filter((e) => typeof e.url === 'string')
      .map((e) => ({ interface: e.interface ?? 'public', region: e.region_id ?? e.region, url: e.url! })),
  }));
}

interface Cached {
  readonly auth: KeystoneAuth;
  /** Local clock time after which the token is renewed. */
  readonly renewAt: number;
}

/**
 * Creates a {@link KeystoneSession}. Nothing is sent until the first call. The token's lifetime is
 * measured on the session's clock from when it arrived (`expires_at - issued_at`), so a skewed server
 * clock does not make the session use expired tokens.
 *
 * @example
 * ```ts
 * const session = createKeystoneSession({
 *   authUrl: 'http://controller:5000/v3',
 *   credentials: { applicationCredential: { id: process.env.OS_APP_ID!, secret: process.env.OS_APP_SECRET! } },
 *   region: 'RegionOne',
 * });
 * const nova = await session.endpoint('compute');
 * ```
 */
export function createKeystoneSession(options: KeystoneSessionOptions): KeystoneSession {
  if (typeof options?.authUrl !== 'string' || !/^https?:\/\//.test(options.authUrl))
    throw invalidOption(`authUrl must be Keystone's http(s) URL, e.g. http://controller:5000/v3`);
  const c = options.credentials;
  if (!c || (c.password === undefined) === (c.applicationCredential === undefined))
    throw invalidOption(
      'credentials must have exactly one of { password: { username, password, projectName, ... } } ' +
        'or { applicationCredential: { id, secret } }',
    );
  if (c.password && !(c.password.username && c.password.password && c.password.projectName))
    throw invalidOption('credentials.password needs username, password and projectName');
  if (c.applicationCredential && !(c.applicationCredential.id && c.applicationCredential.secret))
    throw invalidOption('credentials.applicationCredential needs id and secret');
  const iface = options.interface ?? 'public';
  if (!['public', 'internal', 'admin'].includes(iface))
    throw invalidOption(`interface must be public, internal or admin; got ${String(iface)}`);
  const renewBeforeMs = (options.renewBeforeSeconds ?? 300) * 1000;
  if (!(renewBeforeMs >= 0)) throw invalidOption('renewBeforeSeconds must be 0 or more');

  const clock = options.clock ?? systemClock;
  const transport =
    options.request?.transport ??
    fetchTransport({ fetch: options.request?.fetch, timeoutMs: options.request?.timeoutMs ?? 60_000 });
  const http = createJsonClient({ transport, clock });
  const authUrl = v3Url(options.authUrl);
  let cached: Cached | undefined;
  let pending: Promise<Cached> | undefined;

  const authenticate = async (signal: AbortSignal | undefined): Promise<Cached> => {
    const response = await http.request<TokenBody>({
      method: 'POST',
      url: `${authUrl}/auth/tokens`,
      body: { auth: identity(c) },
      signal,
      service: 'keystone',
    });
    const token = response.headers['x-subject-token'];
    if (!token)
      throw new AdapterError('keystone: POST /v3/auth/tokens answered without an X-Subject-Token', {
        kind: 'permanent',
        reason: 'invalid-response',
        requestId: response.requestId,
      });
    const { issuedAt, ...info } = tokenInfo(response.body, 'POST /v3/auth/tokens');
    const now = clock.now();
    const expires = Date.parse(info.expiresAt);
    const issued = issuedAt === undefined ? Number.NaN : Date.parse(issuedAt);
    const lifetime =
      Number.isNaN(issued) || Number.isNaN(expires) ? 3_600_000 : Math.max(0, expires - issued);
    const renewAt = now + lifetime - Math.min(renewBeforeMs, lifetime / 2);
    return { auth: { ...info, token, catalog: catalogOf(response.body) }, renewAt };
  };

  const current = async (signal: AbortSignal | undefined): Promise<KeystoneAuth> => {
    if (cached && clock.now() < cached.renewAt) return cached.auth;
    if (!pending) {
      // One authentication at a time, shared by every caller waiting for it.
      pending = authenticate(signal).finally(() => {
        pending = undefined;
      });
      pending.then(
        (fresh) => {
          cached = fresh;
        },
        () => undefined,
      );
    }
    return (await pending).auth;
  };

  const lookup = async (serviceType: string, o: EndpointOptions = {}): Promise<string | undefined> => {
    const override = options.endpointOverride?.[serviceType];
    if (override !== undefined) return override.replace(/\/+$/, '');
    const auth = await current(o.signal);
    const wantInterface = o.interface ?? iface;
    const wantRegion = o.region ?? options.region;
    const service = auth.catalog.find((s) => s.type === serviceType);
    const endpoint = service?.endpoints.find(
      (e) => e.interface === wantInterface && (wantRegion === undefined || e.region === wantRegion),
    );
    return endpoint?.url.replace(/\/+$/, '');
  };

  const session: KeystoneSession = {
    authUrl,
    clock,
    http,
    token: async (o) => (await current(o?.signal)).token,
    auth: (o) => current(o?.signal),
    findEndpoint: lookup,
    async endpoint(serviceType, o = {}) {
      const url = await lookup(serviceType, o);
      if (url !== undefined) return url;
      const auth = await current(o.signal);
      const service = auth.catalog.find((s) => s.type === serviceType);
      const offered = service
        ? service.endpoints.map((e) => `${e.interface}@${e.region ?? '?'}`).join(', ')
        : `no service of that type; the catalog has ${auth.catalog.map((s) => s.type).join(', ') || 'nothing'}`;
      throw new AdapterError(
        `keystone: no ${o.interface ?? iface} endpoint for service type "${serviceType}"` +
          `${(o.region ?? options.region) ? ` in region ${o.region ?? options.region}` : ''} (${offered})`,
        { kind: 'permanent', reason: 'endpoint-not-found' },
      );
    },
    async request<T>(request: JsonRequest): Promise<JsonResponse<T>> {
      const send = async () =>
        http.request<T>({
          ...request,
          headers: { ...request.headers, 'X-Auth-Token': await session.token({ signal: request.signal }) },
        });
      try {
        return await send();
      } catch (error) {
        if (!(error instanceof AdapterError && error.reason === 'http-401')) throw error;
        cached = undefined;
        return await send();
      }
    },
    async validateToken(token, o) {
      if (typeof token !== 'string' || token === '') return undefined;
      const response = await session.request<TokenBody>({
        url: `${authUrl}/auth/tokens`,
        headers: { 'X-Subject-Token': token },
        signal: o?.signal,
        accept: [404],
        service: 'keystone',
      });
      if (response.status === 404) return undefined;
      const { issuedAt: _issued, ...info } = tokenInfo(response.body, 'GET /v3/auth/tokens');
      return info;
    },
    invalidate() {
      cached = undefined;
    },
  };
  return session;
}

/** Options of {@link keystoneTokenVerifier}. */
export interface KeystoneTokenVerifierOptions {
  /**
   * What becomes the principal's id: the Keystone user id (stable across renames) or the user name
   * (readable in the audit trail).
   * @defaultValue 'user-id'
   */
  readonly principalId?: 'user-id' | 'user-name' | undefined;
}

/**
 * A {@link TokenVerifier} that asks Keystone: the principal's roles are the token's Keystone role
 * names (map them onto Escalator's roles with the authorizer), `via` is `keystone`. An unknown or
 * expired token gives `undefined`; an unreachable Keystone rejects with a transient error (wrap the
 * verifier in `cacheVerifiedPrincipals` to keep operators signed in while Keystone is upgraded).
 *
 * @example
 * ```ts
 * const verify = keystoneTokenVerifier(session);
 * const principal = await verify(token); // a Principal with the token's Keystone roles, or undefined
 * ```
 */
export function keystoneTokenVerifier(
  session: KeystoneSession,
  options: KeystoneTokenVerifierOptions = {},
): TokenVerifier {
  return async (token, o): Promise<Principal | undefined> => {
    const info = await session.validateToken(token, o);
    if (!info) return undefined;
    return {
      id: options.principalId === 'user-name' ? info.name : info.id,
      roles: info.roles,
      via: 'keystone',
    };
  };
}
