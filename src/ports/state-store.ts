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

/**
 * Options of {@link StateStore.lock}. A lock is a lease: its holder renews it while it lives, and a lock
 * whose lease ran out (its holder died, or its host or pod is gone) may be taken over by any engine.
 */
export interface LockOptions extends CallOptions {
  /**
   * How long the lock stays valid without renewal, in milliseconds. The holder renews it every third of
   * this. Hosts that share a store must agree on the time to within a fraction of it.
   * @defaultValue 30000
   */
  readonly leaseMs?: number | undefined;
  /**
   * Take the lock even though another engine holds a live lease (an operator's explicit override, e.g.
   * `escalator resume --break-lock`). The takeover is reported in {@link StoreLock.tookOver}; the
   * caller should log and audit it. Never pass it unless that engine is certainly not running.
   * @defaultValue false
   */
  readonly breakLock?: boolean | undefined;
}

/** Whose lock was taken over, and why. */
export interface LockTakeover {
  /** The previous holder as its lock described it, e.g. `engine-a (pid 42 on host-1, since …)`. */
  readonly holder: string;
  /**
   * `expired`: its lease ran out; `dead-process`: its process is gone from this host; `broken`: taken
   * with `breakLock` although it looked alive (or its lock file was unreadable).
   */
  readonly reason: 'expired' | 'dead-process' | 'broken';
}

/** Held while an engine runs a campaign; release it when done (which also stops its renewal). */
export interface StoreLock {
  release(): Promise<void>;
  /** Set when this lock was taken from another holder rather than found free. */
  readonly tookOver?: LockTakeover | undefined;
}

/** Persists journals. */
export interface StateStore {
  /**
   * Takes the campaign's lock; rejects with a `LockedError` (code `ESC_LOCKED`) when another engine
   * holds a live lease on it (unless `options.breakLock`). Stores written before leases existed may
   * ignore `leaseMs` and `breakLock`.
   */
  lock(campaign: string, owner: string, options?: LockOptions): Promise<StoreLock>;
  /** Appends records; durable when the promise resolves. */
  append(campaign: string, entries: readonly JournalEntry[], options?: CallOptions): Promise<void>;
  /**
   * Reads the whole journal, checked; rejects with a `JournalCorruptError` (code `ESC_JOURNAL_CORRUPT`)
   * when a record is damaged, missing or out of order, when records at its end are gone, or when the
   * journal exists but holds no record. A campaign that has no journal at all reads as `[]`: that is how
   * `create` checks that an id is free.
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
