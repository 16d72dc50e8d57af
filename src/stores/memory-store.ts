/**
 * A {@link StateStore} in memory, for tests, the simulator and embedded demos. It behaves like the file
 * store where it matters: the same campaign id rules, the same `seq` checks, a second lock is refused
 * with a `LockedError`, and compaction is supported. Entries are copied in and out (through JSON, as the
 * file store does), so a caller mutating an object it appended or read cannot change the journal.
 *
 * @example
 * ```ts
 * const store = createMemoryStore();
 * await store.append('demo', [{ seq: 1, type: 'campaign.created' }]);
 * await store.read('demo'); // [{ seq: 1, type: 'campaign.created' }]
 * ```
 * @module
 */
import { LockedError } from '../errors.js';
import type { CallOptions } from '../ports/common.js';
import type { JournalEntry, StateStore, StoreLock } from '../ports/state-store.js';
import { assertCampaignId, checkSnapshot, entriesToJson } from './journal-format.js';

/** A {@link StateStore} in memory; compaction is always available. */
export interface MemoryStateStore extends StateStore {
  /** Replaces the records up to `snapshot.seq` with `snapshot` (`type: 'snapshot'`). */
  compact(campaign: string, snapshot: JournalEntry, options?: CallOptions): Promise<void>;
}

/**
 * Creates an empty {@link MemoryStateStore}. Nothing survives the process.
 *
 * @example
 * ```ts
 * const store = createMemoryStore();
 * const lock = await store.lock('demo', 'test');
 * await store.lock('demo', 'other'); // rejects with LockedError
 * ```
 */
export function createMemoryStore(): MemoryStateStore {
  return new MemoryStore();
}

/** One campaign's journal, kept as JSON texts: the snapshot (if any) first. */
interface Journal {
  texts: string[];
  snapshotSeq: number;
  lastSeq: number;
}

class MemoryStore implements MemoryStateStore {
  readonly #journals = new Map<string, Journal>();
  readonly #locks = new Map<
    string,
    { readonly owner: string; readonly since: string; readonly token: symbol }
  >();

  async lock(campaign: string, owner: string, options?: CallOptions): Promise<StoreLock> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    const held = this.#locks.get(campaign);
    if (held) throw new LockedError(campaign, `${held.owner} (in this process, since ${held.since})`);
    const token = Symbol(owner);
    this.#locks.set(campaign, { owner, since: new Date().toISOString(), token });
    return {
      release: async () => {
        if (this.#locks.get(campaign)?.token === token) this.#locks.delete(campaign);
      },
    };
  }

  async append(campaign: string, entries: readonly JournalEntry[], options?: CallOptions): Promise<void> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    if (entries.length === 0) return;
    const journal = this.#journals.get(campaign) ?? { texts: [], snapshotSeq: 0, lastSeq: 0 };
    const texts = entriesToJson(campaign, entries, journal.lastSeq); // throws before anything changes
    journal.texts.push(...texts);
    journal.lastSeq += texts.length;
    this.#journals.set(campaign, journal);
  }

  async read(campaign: string, options?: CallOptions): Promise<readonly JournalEntry[]> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    return (this.#journals.get(campaign)?.texts ?? []).map((t) => JSON.parse(t) as JournalEntry);
  }

  async compact(campaign: string, snapshot: JournalEntry, options?: CallOptions): Promise<void> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    const journal = this.#journals.get(campaign) ?? { texts: [], snapshotSeq: 0, lastSeq: 0 };
    const json = checkSnapshot(campaign, snapshot, journal);
    const later = journal.texts.filter((t) => (JSON.parse(t) as JournalEntry).seq > snapshot.seq);
    journal.texts = [json, ...later];
    journal.snapshotSeq = snapshot.seq;
  }

  async list(options?: CallOptions): Promise<readonly string[]> {
    options?.signal?.throwIfAborted();
    return [...this.#journals.keys()].sort();
  }
}
