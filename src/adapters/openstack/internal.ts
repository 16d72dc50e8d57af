/**
 * Small helpers shared by the OpenStack clients. @internal
 * @module
 */
import { AdapterError } from '../../errors.js';

export { mapLimit } from '../../util/map-limit.js';

/** A permanent {@link AdapterError}. @internal */
export function permanent(reason: string, message: string, requestId?: string | undefined): AdapterError {
  return new AdapterError(message, { kind: 'permanent', reason, requestId });
}

/** A transient {@link AdapterError}. @internal */
export function transient(reason: string, message: string): AdapterError {
  return new AdapterError(message, { kind: 'transient', reason });
}

/** Whether `error` is an {@link AdapterError} for this HTTP status. @internal */
export function isHttp(error: unknown, status: number): error is AdapterError {
  return error instanceof AdapterError && error.reason === `http-${status}`;
}

/** `base` + `/path`, with exactly one slash between. @internal */
export function join(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** A query string (with its `?`) from the defined values. @internal */
export function query(params: Readonly<Record<string, string | number | boolean | undefined>>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** The `marker` of a `rel: next` link, if the collection has another page. @internal */
export function nextMarker(links: unknown): string | undefined {
  if (!Array.isArray(links)) return undefined;
  for (const link of links as { rel?: unknown; href?: unknown }[]) {
    if (link?.rel !== 'next' || typeof link.href !== 'string') continue;
    try {
      return new URL(link.href).searchParams.get('marker') ?? undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
