/**
 * The journal's format and id rules, shared by every state store so that what one accepts the others
 * accept: which campaign ids are valid (they name directories), what a journal entry and a compaction
 * snapshot must look like, and how the file store writes a record (the entry's JSON plus `"h"`, a
 * sha256 chained from the record before). The HTTP API validates ids with the same pattern.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { ErrorCode, EscalatorError } from '../errors.js';
import type { JournalEntry } from '../ports/state-store.js';

/** What a campaign id must look like: it names a directory, so no separators and no leading dot. */
export const CAMPAIGN_ID_PATTERN: RegExp = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Throws an {@link EscalatorError} (`ESC_INVALID_OPTION`) unless `campaign` matches
 * {@link CAMPAIGN_ID_PATTERN}. Both stores call it, so an id accepted in tests is accepted on disk.
 */
export function assertCampaignId(campaign: string): void {
  if (typeof campaign === 'string' && CAMPAIGN_ID_PATTERN.test(campaign)) return;
  const shown = typeof campaign === 'string' ? JSON.stringify(campaign) : String(campaign);
  throw new EscalatorError(
    ErrorCode.InvalidOption,
    `campaign id ${shown} is not valid: use 1 to 128 letters, digits, ".", "_" or "-", starting with a letter ` +
      'or a digit (the id names a directory)',
  );
}

/**
 * Checks entries about to be appended after `lastSeq` and returns their JSON texts. A wrong `seq` is a
 * bug of the caller (the engine assigns consecutive numbers), so it throws rather than writes.
 * @internal
 */
export function entriesToJson(campaign: string, entries: readonly JournalEntry[], lastSeq: number): string[] {
  const out: string[] = [];
  let expected = lastSeq + 1;
  for (const [i, entry] of entries.entries()) {
    const json = entryToJson(campaign, entry, `entry ${i}`);
    if (entry.seq !== expected)
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        `append to campaign "${campaign}": entry ${i} has seq ${entry.seq}, but the journal's last seq is ` +
          `${expected - 1}, so the next entry must have seq ${expected}`,
      );
    out.push(json);
    expected++;
  }
  return out;
}

/**
 * Checks that `entry` is a journal entry (`seq` a whole number from 1, `type` a string, no reserved `h`)
 * and returns its JSON.
 * @internal
 */
export function entryToJson(campaign: string, entry: JournalEntry, what: string): string {
  const where = `campaign "${campaign}": ${what}`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw new EscalatorError(ErrorCode.InvalidOption, `${where} is not an object`);
  if (!Number.isSafeInteger(entry.seq) || entry.seq < 1)
    throw new EscalatorError(ErrorCode.InvalidOption, `${where} needs a whole number "seq" from 1`);
  if (typeof entry.type !== 'string')
    throw new EscalatorError(ErrorCode.InvalidOption, `${where} needs a string "type"`);
  if (Object.hasOwn(entry, 'h'))
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `${where} has a field "h", which the store reserves for its checksum; rename the field`,
    );
  let json: string;
  try {
    json = JSON.stringify(entry);
  } catch (error) {
    throw new EscalatorError(ErrorCode.InvalidOption, `${where} cannot be written as JSON`, { cause: error });
  }
  if (typeof json !== 'string' || !json.startsWith('{'))
    throw new EscalatorError(ErrorCode.InvalidOption, `${where} does not serialise to a JSON object`);
  return json;
}

/**
 * Checks a compaction snapshot (`type: 'snapshot'`, `seq` the last seq it covers) against the journal.
 * @internal
 */
export function checkSnapshot(
  campaign: string,
  snapshot: JournalEntry,
  bounds: { readonly snapshotSeq: number; readonly lastSeq: number },
): string {
  const json = entryToJson(campaign, snapshot, 'snapshot');
  if (snapshot.type !== 'snapshot')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `campaign "${campaign}": a snapshot must have type "snapshot", got ${JSON.stringify(snapshot.type)}`,
    );
  if (bounds.lastSeq === 0)
    throw new EscalatorError(ErrorCode.InvalidOption, `campaign "${campaign}" has no journal to compact`);
  if (snapshot.seq > bounds.lastSeq || snapshot.seq < bounds.snapshotSeq)
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `campaign "${campaign}": the snapshot's seq ${snapshot.seq} must lie between the current snapshot's ` +
        `seq ${bounds.snapshotSeq} and the last seq ${bounds.lastSeq}`,
    );
  return json;
}

/**
 * The sha256 (hex) of a text: a record's `h` is `sha256(previous h + the entry's JSON)`, a snapshot's
 * `sha256(its JSON)`. @internal
 */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The JSON of an entry with its checksum appended as the last field: one stored record. @internal */
export function withHash(json: string, h: string): string {
  return `${json.slice(0, -1)},"h":"${h}"}`;
}

/**
 * Parses one stored record and splits off its `h`; returns a problem description when it cannot.
 * @internal
 */
export function checkRecord(
  text: string,
): { entry: JournalEntry; json: string; h: string } | { problem: string } {
  if (text === '') return { problem: 'empty line' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'unparseable JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { problem: 'not a journal record (expected a JSON object)' };
  const { h, ...entry } = value as Record<string, unknown>;
  if (typeof h !== 'string') return { problem: 'missing checksum field "h"' };
  if (!Number.isSafeInteger(entry['seq'])) return { problem: 'missing or invalid "seq"' };
  if (typeof entry['type'] !== 'string') return { problem: 'missing or invalid "type"' };
  return { entry: entry as JournalEntry, json: JSON.stringify(entry), h };
}

/** The record fields that hold whole documents, kept apart from the journal's records. */
const DOCUMENT_FIELDS = ['inventory', 'campaign', 'plan'] as const;

/** How a record names a document kept apart: `{"$document": "sha256:<hex>"}`. */
interface DocumentRef {
  readonly $document: string;
}

function isDocumentRef(value: unknown): value is DocumentRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { $document?: unknown }).$document === 'string' &&
    Object.keys(value).length === 1
  );
}

/** Where a record keeps its documents: a `created` record itself, a snapshot's state; else nothing. */
function documentHolder(entry: JournalEntry): Record<string, unknown> | undefined {
  if (entry.type === 'created') return entry as Record<string, unknown>;
  if (entry.type === 'snapshot' && typeof entry.state === 'object' && entry.state !== null)
    return entry.state as Record<string, unknown>;
  return undefined;
}

/** The record with each of its fields replaced, the holder being the record or a snapshot's state. */
function withFields(entry: JournalEntry, holder: Record<string, unknown>, fields: Record<string, unknown>) {
  if (Object.keys(fields).length === 0) return entry;
  return entry.type === 'snapshot'
    ? { ...entry, state: { ...holder, ...fields } }
    : ({ ...entry, ...fields } as JournalEntry);
}

/**
 * The record with its documents (a `created` record's inventory, campaign and plan, and those of a
 * snapshot's state) handed to `keep` as JSON text and named by the sha256 hex it returns. Both stores
 * keep a campaign's documents once, so records stay small. @internal
 */
export async function externalizeDocuments(
  entry: JournalEntry,
  keep: (text: string) => Promise<string>,
): Promise<JournalEntry> {
  const holder = documentHolder(entry);
  if (!holder) return entry;
  const refs: Record<string, DocumentRef> = {};
  for (const field of DOCUMENT_FIELDS) {
    const value = holder[field];
    if (value === undefined || isDocumentRef(value)) continue;
    refs[field] = { $document: `sha256:${await keep(JSON.stringify(value))}` };
  }
  return withFields(entry, holder, refs);
}

/**
 * The record with the documents it names read back through `read(field, name)` (which checks them),
 * each name read once per `documents` cache. @internal
 */
export async function internalizeDocuments(
  entry: JournalEntry,
  documents: Map<string, Promise<unknown>>,
  read: (field: string, name: string) => Promise<unknown>,
): Promise<JournalEntry> {
  const holder = documentHolder(entry);
  if (!holder) return entry;
  const values: Record<string, unknown> = {};
  for (const field of DOCUMENT_FIELDS) {
    const ref = holder[field];
    if (!isDocumentRef(ref)) continue;
    let value = documents.get(ref.$document);
    if (!value) {
      value = read(field, ref.$document);
      documents.set(ref.$document, value);
    }
    values[field] = await value;
  }
  return withFields(entry, holder, values);
}
