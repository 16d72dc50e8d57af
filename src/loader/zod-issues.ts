/**
 * Turns zod issues into {@link DocumentIssue}s that say what was expected and what was found, and
 * that point at the offending key for unknown fields (with a suggestion).
 */
import type { z } from 'zod';
import type { DocumentIssue } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';

type Path = (string | number)[];

/** Describes a value found in a document, briefly. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

/** Converts zod's issues to document issues. `schema` is used to suggest field names. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType): DocumentIssue[] {
  const out: DocumentIssue[] = [];
  const seen = new Set<string>(); // checks sharing one message (e.g. int and max for 1e308) fail together
  for (const issue of issues) {
    const path: Path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys)
        out.push({
          code: 'unknown-field',
          path: [...path, key],
          message: `unknown field "${key}"${didYouMean(key, known)}${
            known.length > 0 && known.length <= 12 ? ` (known fields: ${known.join(', ')})` : ''
          }`,
        });
      continue;
    }
    const input = (issue as { input?: unknown }).input;
    const got =
      input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union')
        ? ', but it is missing'
        : `, got ${describeValue(input)}`;
    const message = `${issue.message}${got}`;
    const id = JSON.stringify([path, message]);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ code: 'schema', path, message });
  }
  return out;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
}

function def(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const d = def(s);
    if (d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

/** The field names the schema allows at `path` (an object's keys), or `[]`. */
export function knownKeysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const part of path) {
    if (!current) return [];
    const d = def(current);
    if (d.type === 'object' && d.shape) current = d.shape[String(part)];
    else if (d.type === 'array') current = d.element;
    else if (d.type === 'record') current = d.valueType;
    else return [];
    current = current ? unwrap(current) : undefined;
  }
  if (!current) return [];
  const d = def(current);
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}
