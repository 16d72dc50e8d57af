/**
 * Removing secrets from what is logged, journaled or shown in an error: values under secret-looking
 * keys, and secrets written inside strings (bearer tokens, `X-Auth-Token` headers, `password=...`,
 * credentials in URLs, PEM private keys).
 * @module
 */

/** What a secret is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Keys whose values are secrets. Deliberately broad: a redacted harmless value (`tokens: 3`,
 * `passed: 12`) costs little, a logged password costs a lot. A key that is a whole word `key` or
 * `keys`, or ends in one (`ssh-key`, `access_key`), counts too.
 */
export const SECRET_KEY_PATTERN: RegExp =
  /pass(word|phrase)?|secret|token|credential|authorization|api[-_]?key|private[-_]?key|cookie|(?:^|[-_. ])keys?$/i;

/**
 * Keys that name where a secret is kept, not the secret (`credentialsRef: vault-ssh`): shown, so that an
 * operator can tell which credentials a node uses.
 */
const REFERENCE_KEY_PATTERN = /[a-z0-9]Refs?$|[-_]refs?$/;

/** Whether a value stored under `key` is treated as a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY_PATTERN.test(key) && !REFERENCE_KEY_PATTERN.test(key);
}

// Each rule keeps what says what the secret is (the key, the scheme) and replaces only the secret.
const QUOTED_OR_BARE = String.raw`("[^"]*"|'[^']*'|[^\s"',;&}]+)`;
const SEPARATOR = String.raw`(["']?\s*[:=]\s*)`;
const STRING_RULES: readonly [RegExp, (match: string, ...groups: string[]) => string][] = [
  // A PEM private key block, or what is left of one when the text was cut.
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, () => REDACTED],
  // Cookie headers: the whole rest of the line.
  [/\b((?:set-)?cookie\s*:\s*)[^\r\n]+/gi, (_m, head) => `${head}${REDACTED}`],
  // Authorization headers, with or without a scheme.
  [
    new RegExp(
      String.raw`\b((?:proxy-)?authorization)` +
        SEPARATOR +
        String.raw`((?:bearer|basic|digest|negotiate|token)\s+)?` +
        QUOTED_OR_BARE,
      'gi',
    ),
    (_m, key, separator, scheme, value) => `${key}${separator}${scheme ?? ''}${keepQuotes(value ?? '')}`,
  ],
  // Bearer tokens anywhere.
  [/\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, (_m, scheme) => `${scheme}${REDACTED}`],
  // key=value and key: value for secret-looking keys (X-Auth-Token: ..., password=..., "token": "...").
  [
    new RegExp(
      '((?:pass(?:word|phrase|wd)|secret|token|api[-_]?key|private[-_]?key|credentials?)(?![A-Za-z0-9]))' +
        SEPARATOR +
        QUOTED_OR_BARE,
      'gi',
    ),
    (_m, key, separator, value) => `${key}${separator}${keepQuotes(value ?? '')}`,
  ],
  // Query parameters that carry a credential: ?key=..., &sig=..., ?x-amz-signature=..., ?auth=...
  [
    /([?&](?:[a-z0-9]+[-_.])*(?:keys?|sig|signature|auth)=)[^\s&#"'<>]+/gi,
    (_m, head) => `${head}${REDACTED}`,
  ],
  // user:password@ in URLs.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, (_m, head) => `${head}${REDACTED}@`],
];

/**
 * Every rule needs one of these to match: a string without any is returned as it is, unscanned (most
 * strings of a journal are names and versions).
 */
const MAY_HOLD_SECRET = /[:=@]|-----|bearer/i;

function keepQuotes(value: string): string {
  const quote = value[0];
  return quote === '"' || quote === "'" ? `${quote}${REDACTED}${quote}` : REDACTED;
}

/**
 * Replaces the secrets written inside a string.
 *
 * @example
 * ```ts
 * redactString('curl -H "X-Auth-Token: gAAAAB3..." https://nova:8774'); // 'curl -H "X-Auth-Token: [REDACTED]" ...'
 * ```
 */
export function redactString(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  let out = text;
  for (const [pattern, replace] of STRING_RULES) out = out.replace(pattern, replace as (m: string) => string);
  return out;
}

const MAX_DEPTH = 64;
/** Objects copied per call at most: a shared sub-object is copied at each use, which could otherwise explode. */
const MAX_OBJECTS = 10_000;

/** What one {@link redact} call tracks: the objects on the current path, and how many were copied. */
interface Walk {
  readonly ancestors: Set<object>;
  objects: number;
  readonly maxObjects: number;
}

/** Options of {@link redact}. */
export interface RedactOptions {
  /**
   * Objects copied at most; the rest become `"[Truncated]"`. A log line wants a bound; a document shown
   * whole (a journal record with its inventory) wants `Number.POSITIVE_INFINITY`.
   * @defaultValue 10_000
   */
  readonly maxObjects?: number | undefined;
}

/**
 * Returns a deep copy of `value`, fit for JSON, with secrets replaced by {@link REDACTED}: every value
 * under a key matching {@link SECRET_KEY_PATTERN} (unless `null` or `undefined`), and the secrets inside
 * every string ({@link redactString}). Cycles become `"[Circular]"`; nesting past 64 levels, and objects
 * past the 10,000th, `"[Truncated]"`. Errors become `{ name, message, code?, ... }` (no stack), dates ISO
 * strings, maps objects, sets arrays, binary data `"[N bytes]"`, bigints strings; functions and symbols
 * are dropped. `options.maxObjects` lifts the bound on objects.
 *
 * @example
 * ```ts
 * redact({ user: 'admin', password: 'hunter2', url: 'https://admin:hunter2@keystone:5000' });
 * // { user: 'admin', password: '[REDACTED]', url: 'https://admin:[REDACTED]@keystone:5000' }
 * ```
 */
export function redact(value: unknown, options: RedactOptions = {}): unknown {
  return copy(value, { ancestors: new Set(), objects: 0, maxObjects: options.maxObjects ?? MAX_OBJECTS }, 0);
}

function copy(value: unknown, walk: Walk, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      return redactString(value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'bigint':
      return value.toString();
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (walk.ancestors.has(object)) return '[Circular]';
  if (depth >= MAX_DEPTH || ++walk.objects > walk.maxObjects) return '[Truncated]';
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (ArrayBuffer.isView(object)) return `[${object.byteLength} bytes]`;
  if (object instanceof ArrayBuffer) return `[${object.byteLength} bytes]`;
  walk.ancestors.add(object);
  try {
    if (Array.isArray(object)) return object.map((item) => copy(item, walk, depth + 1));
    if (object instanceof Set) return [...object].map((item) => copy(item, walk, depth + 1));
    if (object instanceof Map)
      return copyFields(
        [...object].map(([k, v]) => [String(k), v]),
        walk,
        depth,
      );
    if (object instanceof Error) {
      const fields: [string, unknown][] = [
        ['name', object.name],
        ['message', object.message],
      ];
      for (const key of Object.keys(object))
        if (key !== 'name' && key !== 'message') fields.push([key, field(object, key)]);
      if (object.cause !== undefined && !Object.keys(object).includes('cause'))
        fields.push(['cause', object.cause]);
      return copyFields(fields, walk, depth);
    }
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return copy(toJSON.call(object), walk, depth + 1);
    return copyFields(
      Object.keys(object).map((key) => [key, field(object, key)]),
      walk,
      depth,
    );
  } finally {
    walk.ancestors.delete(object);
  }
}

/** Reads a property; a throwing getter gives a marker rather than breaking the log call. */
function field(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch {
    return '[Unreadable]';
  }
}

function copyFields(fields: readonly (readonly [string, unknown])[], walk: Walk, depth: number): object {
  const out: Record<string, unknown> = {};
  for (const [key, item] of fields) {
    const copied =
      isSecretKey(key) && item !== null && item !== undefined ? REDACTED : copy(item, walk, depth + 1);
    if (copied === undefined) continue;
    // defineProperty, so that a key named "__proto__" stays a plain field (and assignment, the fast path, for the rest).
    if (key === '__proto__')
      Object.defineProperty(out, key, {
        value: copied,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[key] = copied;
  }
  return out;
}
