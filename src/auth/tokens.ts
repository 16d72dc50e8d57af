/**
 * Turning a bearer token into a {@link Principal}: static tokens from a file (stored as sha256 digests,
 * so the file holds no secret), and a cache that keeps operators signed in while the identity service
 * (Keystone) is down — for instance while the campaign upgrades it.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { systemClock } from '../clock/system-clock.js';
import {
  DocumentError,
  type DocumentIssue,
  ErrorCode,
  EscalatorError,
  FileUnreadableError,
} from '../errors.js';
import { parseDocumentText } from '../loader/load.js';
import type { Principal } from '../ports/authorizer.js';
import type { Clock } from '../ports/clock.js';
import type { CallOptions } from '../ports/common.js';

/**
 * Checks a token; resolves to the principal it belongs to, or `undefined` for a token it does not
 * know. Rejects when it cannot tell (an `EscalatorError` with `retryable: true` when the identity
 * service is unreachable).
 */
export type TokenVerifier = (token: string, options?: CallOptions) => Promise<Principal | undefined>;

/** One static token: who it is, their roles, and the token or (better) its sha256. */
export interface StaticTokenEntry {
  /** The principal's id, as shown in the audit trail. Several entries may share one (token rotation). */
  readonly id: string;
  readonly roles: readonly string[];
  /** The token itself. Prefer `sha256`, so that the file holds no secret. */
  readonly token?: string | undefined;
  /** The sha256 of the token, 64 hex digits (see {@link hashToken}). */
  readonly sha256?: string | undefined;
}

/**
 * The sha256 (hex) of a token, the form a tokens file should store.
 *
 * @example
 * ```ts
 * hashToken('s3cr3t-operator-token'); // '5f1c…' (64 hex digits)
 * ```
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

/** Why an entry is not usable, or undefined. */
function entryProblem(entry: StaticTokenEntry): string | undefined {
  if (typeof entry?.id !== 'string' || entry.id === '') return 'needs a non-empty "id"';
  if (!Array.isArray(entry.roles) || entry.roles.some((r) => typeof r !== 'string'))
    return 'needs "roles", a list of role names';
  if ((entry.token === undefined) === (entry.sha256 === undefined))
    return 'needs exactly one of "sha256" (preferred: the file then holds no secret) or "token"';
  if (entry.token !== undefined && (typeof entry.token !== 'string' || entry.token === ''))
    return '"token" must be a non-empty string';
  if (entry.sha256 !== undefined && !HEX64.test(entry.sha256))
    return '"sha256" must be 64 hex digits, the sha256 of the token (e.g. `printf %s "$TOKEN" | sha256sum`)';
  return undefined;
}

function digestOf(entry: StaticTokenEntry): Buffer {
  return Buffer.from(entry.sha256 ?? hashToken(entry.token!), 'hex');
}

/**
 * Creates a {@link TokenVerifier} from a fixed list. Tokens are compared as sha256 digests with
 * `crypto.timingSafeEqual`, against every entry, so the time taken does not tell how close a guess was
 * or which entry matched. Principals carry `via: 'static-token'`.
 *
 * @example
 * ```ts
 * const verify = createStaticTokenVerifier([{ id: 'ana', roles: ['operator'], sha256: hashToken(token) }]);
 * await verify(token); // { id: 'ana', roles: ['operator'], via: 'static-token' }
 * ```
 */
export function createStaticTokenVerifier(entries: readonly StaticTokenEntry[]): TokenVerifier {
  if (!Array.isArray(entries))
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'createStaticTokenVerifier needs a list of { id, roles, sha256 }',
    );
  const seen = new Map<string, number>();
  const table = entries.map((entry, i) => {
    const problem = entryProblem(entry);
    if (problem !== undefined)
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        `static token ${i}${typeof entry?.id === 'string' ? ` ("${entry.id}")` : ''} ${problem}`,
      );
    const digest = digestOf(entry);
    const key = digest.toString('hex');
    const other = seen.get(key);
    if (other !== undefined)
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        `static tokens ${other} and ${i} are the same token; give each principal its own`,
      );
    seen.set(key, i);
    return {
      digest,
      principal: Object.freeze({ id: entry.id, roles: Object.freeze([...entry.roles]), via: 'static-token' }),
    };
  });
  return async (token: string, options?: CallOptions): Promise<Principal | undefined> => {
    options?.signal?.throwIfAborted();
    if (typeof token !== 'string' || token === '') return undefined;
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: Principal | undefined;
    for (const entry of table)
      if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.principal;
    return found;
  };
}

const TokenEntrySchema = z
  .strictObject({
    id: z.string().min(1),
    roles: z.array(z.string().min(1)),
    sha256: z.string().regex(HEX64, 'expected 64 hex digits, the sha256 of the token').optional(),
    token: z.string().min(1).optional(),
  })
  .refine((entry) => (entry.sha256 === undefined) !== (entry.token === undefined), {
    message: 'give exactly one of "sha256" (preferred: the file then holds no secret) or "token"',
  });
const TokensFileSchema = z.strictObject({ tokens: z.array(TokenEntrySchema) });

/**
 * Reads a tokens file (YAML or JSON): `{ tokens: [{ id, roles, sha256 | token }] }`. Throws a
 * `DocumentError` naming the file, line and field when it is malformed, and a `FileUnreadableError`
 * when it cannot be read.
 *
 * @example
 * ```ts
 * // tokens.yaml:
 * // tokens:
 * //   - { id: ana, roles: [operator], sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 }
 * const verify = createStaticTokenVerifier(await loadStaticTokens('tokens.yaml'));
 * ```
 */
export async function loadStaticTokens(file: string, options?: CallOptions): Promise<StaticTokenEntry[]> {
  let text: string;
  try {
    text = await readFile(file, { encoding: 'utf8', signal: options?.signal });
  } catch (error) {
    throw new FileUnreadableError(file, error);
  }
  let data: z.output<typeof TokensFileSchema>;
  try {
    data = parseDocumentText(text, TokensFileSchema, file, duplicateTokens);
  } catch (error) {
    if (error instanceof DocumentError) throw new DocumentError(file, error.issues.map(withoutSecrets));
    throw error;
  }
  return data.tokens.map((t) => ({
    id: t.id,
    roles: t.roles,
    ...(t.sha256 === undefined ? {} : { sha256: t.sha256.toLowerCase() }),
    ...(t.token === undefined ? {} : { token: t.token }),
  }));
}

/**
 * Drops the "got <value>" part of issues about a token entry or its secret fields: a token written in
 * the wrong place must not end up in an error message, and from there in a log.
 */
function withoutSecrets(issue: DocumentIssue): DocumentIssue {
  const last = issue.path.at(-1);
  const aboutEntry = issue.path.length === 2 && issue.path[0] === 'tokens';
  if (!aboutEntry && last !== 'sha256' && last !== 'token') return issue;
  return { ...issue, message: issue.message.replace(/, got .*$/s, '') };
}

/** Two entries with the same token would make the principal depend on the order of the file. */
function duplicateTokens(parsed: z.output<typeof TokensFileSchema>): DocumentIssue[] {
  const issues: DocumentIssue[] = [];
  const seen = new Map<string, number>();
  for (const [i, entry] of parsed.tokens.entries()) {
    const key = digestOf(entry).toString('hex');
    const other = seen.get(key);
    if (other !== undefined)
      issues.push({
        code: 'duplicate-token',
        path: ['tokens', i],
        message: `same token as tokens[${other}]; give each principal its own`,
      });
    else seen.set(key, i);
  }
  return issues;
}

/** Options of {@link cacheVerifiedPrincipals}. */
export interface PrincipalCacheOptions {
  /** How long a successful check keeps a principal in when the identity service cannot answer. */
  readonly ttlMs: number;
  /**
   * @defaultValue {@link systemClock}
   */
  readonly clock?: Clock | undefined;
  /**
   * At most this many principals are remembered; the least recently confirmed go first.
   * @defaultValue 10_000
   */
  readonly maxEntries?: number | undefined;
}

/**
 * Wraps a verifier so that operators stay signed in while the identity service is unavailable (during a
 * Keystone upgrade, say). Every call still asks the inner verifier; the answer is used as it is, except:
 * when the inner verifier throws a retryable `EscalatorError` (it could not tell) and the same token was
 * verified successfully less than `ttlMs` ago, the principal from then is returned. When the inner
 * verifier answers "unknown token" (`undefined`: revoked, expired), the token is forgotten at once.
 * Tokens are remembered by their sha256, never in clear.
 *
 * @example
 * ```ts
 * const verify = cacheVerifiedPrincipals(keystoneTokenVerifier(session), { ttlMs: 30 * 60_000 });
 * ```
 */
export function cacheVerifiedPrincipals(
  verifier: TokenVerifier,
  options: PrincipalCacheOptions,
): TokenVerifier {
  const { ttlMs } = options;
  if (!(Number.isFinite(ttlMs) && ttlMs > 0))
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `ttlMs must be a number of milliseconds above 0, e.g. 1_800_000, got ${ttlMs}`,
    );
  const maxEntries = options.maxEntries ?? 10_000;
  if (!(Number.isSafeInteger(maxEntries) && maxEntries > 0))
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `maxEntries must be a whole number above 0, got ${maxEntries}`,
    );
  const clock = options.clock ?? systemClock;
  const cache = new Map<string, { readonly principal: Principal; readonly expires: number }>();
  return async (token: string, callOptions?: CallOptions): Promise<Principal | undefined> => {
    const key = hashToken(String(token));
    let principal: Principal | undefined;
    try {
      principal = await verifier(token, callOptions);
    } catch (error) {
      if (EscalatorError.is(error) && error.retryable) {
        const cached = cache.get(key);
        if (cached !== undefined && clock.now() < cached.expires) return cached.principal;
        cache.delete(key);
      }
      throw error;
    }
    cache.delete(key); // re-inserted last: the Map's order is then the order of last confirmation
    if (principal === undefined) return undefined;
    cache.set(key, { principal, expires: clock.now() + ttlMs });
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
    return principal;
  };
}
