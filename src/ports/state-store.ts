/**
 * The `StateStore` port: where a campaign's journal lives. The journal is the campaign's history and
 * its only state: resuming is replaying it. A store must make an append durable before it resolves.
 */
import type { CallOptions } from './common.js';

/** One journal record: a JSON object with a sequence number the engine assigns (1, 2, 3, ...). */
export interface JournalEntry {
  readonly seq: number;
  readonly type: string;
  readonly [field: string]: unknown;
}

/** Held while an engine runs a campaign; release it when done. */
export interface StoreLock {
  release(): Promise<void>;
}

/** Persists journals. */
export interface StateStore {
  /**
   * Takes the campaign's lock; rejects with a `LockedError` (code `ESC_LOCKED`) when another engine
   * holds it.
   */
  lock(campaign: string, owner: string, options?: CallOptions): Promise<StoreLock>;
  /** Appends records; durable when the promise resolves. */
  append(campaign: string, entries: readonly JournalEntry[], options?: CallOptions): Promise<void>;
  /**
   * Reads the whole journal, checked; rejects with a `JournalCorruptError` (code `ESC_JOURNAL_CORRUPT`)
   * when a record is damaged, missing or out of order.
   */
  read(campaign: string, options?: CallOptions): Promise<readonly JournalEntry[]>;
  /**
   * Replaces the records up to `snapshot.seq` with one snapshot record (compaction). Optional; a store
   * that cannot compact keeps every record.
   */
  compact?(campaign: string, snapshot: JournalEntry, options?: CallOptions): Promise<void>;
  /** Campaign ids that have a journal. */
  list(options?: CallOptions): Promise<readonly string[]>;
}
