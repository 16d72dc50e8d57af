/**
 * A {@link StateStore} in memory, for tests, the simulator and embedded demos. It behaves like the file
 * store where it matters: the same campaign id rules, the same `seq` checks, a second lock is refused
 * with a `LockedError`, a lock is a lease (renewed while held, taken over once it ran out, or with
 * `breakLock`), and compaction is supported. Entries are copied in and out (through JSON, as the
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
import type { Clock } from '../ports/clock.js';
import type { CallOptions } from '../ports/common.js';
import type { JournalEntry, LockOptions, LockTakeover, StateStore, StoreLock } from '../ports/state-store.js';
import {
  assertCampaignId,
  checkSnapshot,
  entriesToJson,
  externalizeDocuments,
  internalizeDocuments,
  sha256,
} from './journal-format.js';
import { leaseOf, startRenewal } from './lease.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The clock leases are measured and renewed on. Renewal is a sleep on it, always pending while a
   * lock is held: with a virtual clock, move it with `advance` (an auto-advancing clock would jump
   * from renewal to renewal), and release locks before `runAll`.
   * @defaultValue real time, on timers that do not keep the process alive
   */
  readonly clock?: Clock | undefined;
}

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
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStateStore {
  return new MemoryStore(options.clock);
}

/** A held lock: whose, its lease, and the token that tells it from a later holder's. */
interface HeldLock {
  readonly owner: string;
  readonly since: string;
  readonly token: symbol;
  expiresAt: number;
}

/**
 * One campaign's journal, kept as JSON texts: the snapshot (if any) first. Its documents (inventory,
 * campaign, plan) are kept once, by the sha256 of their text, and named from the records, as the file
 * store does: a snapshot of 10,000 nodes then holds no copy of the plan.
 */
interface Journal {
  texts: string[];
  snapshotSeq: number;
  lastSeq: number;
  documents: Map<string, string>;
}

const emptyJournal = (): Journal => ({ texts: [], snapshotSeq: 0, lastSeq: 0, documents: new Map() });

class MemoryStore implements MemoryStateStore {
  readonly #journals = new Map<string, Journal>();
  readonly #locks = new Map<string, HeldLock>();
  readonly #clock: Clock | undefined;
  /** Appends and compactions one after another, in call order (naming documents takes a turn). */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(clock: Clock | undefined) {
    this.#clock = clock;
  }

  async lock(campaign: string, owner: string, options?: LockOptions): Promise<StoreLock> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    const leaseMs = leaseOf(options);
    const now = (): number => this.#clock?.now() ?? Date.now();
    const held = this.#locks.get(campaign);
    let tookOver: LockTakeover | undefined;
    if (held) {
      const holder =
        `${held.owner} (in this process, since ${held.since}, lease until ` +
        `${new Date(held.expiresAt).toISOString()})`;
      const reason = held.expiresAt <= now() ? 'expired' : options?.breakLock ? 'broken' : undefined;
      if (reason === undefined)
        throw new LockedError(
          campaign,
          `${holder}; if it is certainly not running, wait for its lease to run out or break the lock`,
        );
      tookOver = { holder, reason };
    }
    const token = Symbol(owner);
    const mine: HeldLock = {
      owner,
      since: new Date(now()).toISOString(),
      token,
      expiresAt: now() + leaseMs,
    };
    this.#locks.set(campaign, mine);
    const stopRenewal = startRenewal(
      Math.max(1, Math.floor(leaseMs / 3)),
      async () => {
        if (this.#locks.get(campaign)?.token !== token) return false; // taken over
        mine.expiresAt = now() + leaseMs;
        return true;
      },
      this.#clock,
    );
    return {
      tookOver,
      release: async () => {
        stopRenewal();
        if (this.#locks.get(campaign)?.token === token) this.#locks.delete(campaign);
      },
    };
  }

  async append(campaign: string, entries: readonly JournalEntry[], options?: CallOptions): Promise<void> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    if (entries.length === 0) return;
    return this.#serial(async () => {
      const journal = this.#journals.get(campaign) ?? emptyJournal();
      const external = await Promise.all(entries.map((e) => this.#externalize(journal, e)));
      const texts = entriesToJson(campaign, external, journal.lastSeq); // throws before anything changes
      journal.texts.push(...texts);
      journal.lastSeq += texts.length;
      this.#journals.set(campaign, journal);
    });
  }

  async read(campaign: string, options?: CallOptions): Promise<readonly JournalEntry[]> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    return this.#serial(async () => {
      const journal = this.#journals.get(campaign);
      if (!journal) return [];
      const documents = new Map<string, Promise<unknown>>();
      return Promise.all(
        journal.texts.map((t) =>
          internalizeDocuments(JSON.parse(t) as JournalEntry, documents, async (_field, name) =>
            JSON.parse(journal.documents.get(name.replace(/^sha256:/, '')) ?? 'null'),
          ),
        ),
      );
    });
  }

  async compact(campaign: string, snapshot: JournalEntry, options?: CallOptions): Promise<void> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    return this.#serial(async () => {
      const journal = this.#journals.get(campaign) ?? emptyJournal();
      const json = checkSnapshot(campaign, await this.#externalize(journal, snapshot), journal);
      const later = journal.texts.filter((t) => (JSON.parse(t) as JournalEntry).seq > snapshot.seq);
      journal.texts = [json, ...later];
      journal.snapshotSeq = snapshot.seq;
    });
  }

  #externalize(journal: Journal, entry: JournalEntry): Promise<JournalEntry> {
    return externalizeDocuments(entry, async (text) => {
      const hex = sha256(text);
      journal.documents.set(hex, text);
      return hex;
    });
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async list(options?: CallOptions): Promise<readonly string[]> {
    options?.signal?.throwIfAborted();
    return [...this.#journals.keys()].sort();
  }
}
