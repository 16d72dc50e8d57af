/**
 * A {@link StateStore} on the local file system: one directory per campaign holding an append-only,
 * hash-chained journal (`journal.jsonl`), an optional compaction snapshot (`snapshot.json`), the
 * journal's end mark (`tail.json`), the engine's lock (`lock`) and the campaign's documents
 * (`documents/`).
 *
 * The documents a campaign is made of (its inventory, campaign and plan: tens of megabytes at 10,000
 * nodes) are written once each, as `documents/<sha256>.json`, and the `created` record (and a
 * compaction snapshot's state) names them as `{"$document": "sha256:<hex>"}`; reading puts them back,
 * after checking that each file's sha256 is its name. So journal lines stay small, and the chain (which
 * covers the names) covers the documents too.
 *
 * Every journal line is the entry's JSON plus a field `"h"`: the sha256 (hex) of the previous line's `h`
 * followed by the entry's JSON without `h`. The first line chains from the snapshot's `h`, or from `""`
 * when there is no snapshot. Reading checks every line, so a flipped bit, a lost line or a record torn
 * by a crash is reported as a {@link JournalCorruptError} and never silently accepted.
 *
 * A chain cannot tell that records were cut from its end: a journal cut at a line end is a shorter valid
 * chain. So after each append the store replaces `tail.json` (`{"seq":…,"h":…}`: the last record's seq
 * and `h`), outside the chain; reading refuses a journal that ends before that record or holds another
 * one in its place. The mark may lag behind the journal (a crash between the two writes), never run
 * ahead of it. A journal without `tail.json` (written before it existed) is read as before. A journal
 * file that holds no record at all is refused too: `repair` removes it.
 *
 * The lock is a lease: its file records the owner, host, pid and `expiresAt`, and its holder renews it
 * every third of the lease (real time: other hosts read it). A lock whose lease ran out, or whose process
 * is gone from this host, is taken over; a live one only with `breakLock`, and the lock returned says
 * whose it was ({@link StoreLock.tookOver}).
 *
 * @example
 * ```ts
 * const store = createFileStore({ directory: '/var/lib/escalator' });
 * const lock = await store.lock('upgrade-2026-11', 'engine@host-1');
 * try {
 *   await store.append('upgrade-2026-11', [{ seq: 1, type: 'campaign.created' }]);
 * } finally {
 *   await lock.release();
 * }
 * ```
 * @module
 */
import { randomUUID } from 'node:crypto';
import {
  type FileHandle,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ErrorCode, EscalatorError, JournalCorruptError, LockedError } from '../errors.js';
import type { CallOptions } from '../ports/common.js';
import type { JournalEntry, LockOptions, LockTakeover, StateStore, StoreLock } from '../ports/state-store.js';
import {
  assertCampaignId,
  CAMPAIGN_ID_PATTERN,
  checkRecord,
  checkSnapshot,
  entriesToJson,
  externalizeDocuments,
  internalizeDocuments,
  sha256,
  withHash,
} from './journal-format.js';
import { leaseOf, startRenewal } from './lease.js';

/** Options of {@link createFileStore}. */
export interface FileStoreOptions {
  /**
   * The directory that holds one sub-directory per campaign. Created on the first append or lock.
   * @example `'/var/lib/escalator/campaigns'`
   */
  readonly directory: string;
}

/** A {@link StateStore} on disk, with compaction, repair of a torn last record, and cleanup. */
export interface FileStateStore extends StateStore {
  /** The absolute directory the store works in. */
  readonly directory: string;
  /**
   * Replaces the records up to `snapshot.seq` with `snapshot` (a `type: 'snapshot'` entry whose `seq` is
   * the last seq it covers). Crash-safe: each file is replaced by writing a temporary file, syncing it and
   * renaming it over the old one.
   */
  compact(campaign: string, snapshot: JournalEntry, options?: CallOptions): Promise<void>;
  /**
   * Drops an incomplete final record (one with no newline, left by a process that died while writing it)
   * and returns how many bytes were dropped (0 when the journal was whole). A journal file left with no
   * record at all (a process that died before its first record was written) is removed. Refuses, with
   * the {@link JournalCorruptError} that `read` gives, when the journal has any other damage: that needs
   * a person, not a tool.
   */
  repair(campaign: string, options?: CallOptions): Promise<number>;
  /**
   * Closes the journal files kept open for appending (after the pending appends). The store stays
   * usable; files are opened again when needed. Locks are not released.
   */
  close(): Promise<void>;
}

/**
 * Creates a {@link FileStateStore} in `options.directory`.
 *
 * @example
 * ```ts
 * const store = createFileStore({ directory: './state' });
 * const journal = await store.read('upgrade-2026-11'); // [] for a new campaign
 * ```
 */
export function createFileStore(options: FileStoreOptions): FileStateStore {
  const directory = (options as Partial<FileStoreOptions> | undefined)?.directory;
  if (typeof directory !== 'string' || directory.trim() === '')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      "directory is not set. Pass { directory: '/var/lib/escalator' } to createFileStore",
    );
  return new FileStore(resolve(directory));
}

const JOURNAL = 'journal.jsonl';
const SNAPSHOT = 'snapshot.json';
const END = 'tail.json';
const DOCUMENTS = 'documents';
const LOCK = 'lock';
const NEWLINE = 0x0a;

function errorCode(error: unknown): string | undefined {
  return (error as { code?: unknown } | null)?.code as string | undefined;
}

/** Where appends go next: the last verified record, and the file it was read from. */
interface Tail {
  readonly seq: number;
  readonly hash: string;
  readonly size: number;
  readonly ino: number;
}

/** Per-campaign state: the open journal and the chain that serialises operations. */
interface CampaignState {
  queue: Promise<unknown>;
  handle: FileHandle | undefined;
  tail: Tail | undefined;
  /** Appends waiting for the next write (group commit: one write and one sync for all of them). */
  pending: PendingAppend[];
}

interface PendingAppend {
  readonly entries: readonly JournalEntry[];
  readonly signal: AbortSignal | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

/** What a full check of a campaign's files found. */
interface Scan {
  /** The snapshot (if any) then the later entries, without `h`. */
  readonly entries: JournalEntry[];
  readonly snapshotSeq: number;
  readonly lastSeq: number;
  readonly lastHash: string;
  /** Bytes of the journal up to and including the last complete line. */
  readonly size: number;
  /** The first damage found, if any (other than a torn last record). */
  readonly problem?: JournalCorruptError | undefined;
  /** An incomplete final record: its record number and length in bytes. */
  readonly torn?: { readonly record: number; readonly bytes: number } | undefined;
  /** The journal file exists but holds nothing at all (no snapshot, no record, no torn record). */
  readonly empty?: boolean | undefined;
}

/** `tail.json`: the last record appended, kept outside the chain to detect a journal cut at its end. */
interface EndMark {
  readonly seq: number;
  readonly h: string;
}

/** The lock file's content. */
interface LockInfo {
  readonly owner: string;
  readonly pid: number;
  readonly hostname: string;
  readonly since: string;
  readonly nonce?: string | undefined;
  /** The lease, and when it runs out unless renewed (absent in locks written before leases). */
  readonly leaseMs?: number | undefined;
  readonly expiresAt?: string | undefined;
}

/**
 * Nonces of the locks this process holds. A lock naming this host and this pid but not one of these was
 * left by an earlier process that had the same pid: PID 1 of a restarted container.
 */
const HELD_HERE = new Set<string>();

class FileStore implements FileStateStore {
  readonly directory: string;
  readonly #campaigns = new Map<string, CampaignState>();

  constructor(directory: string) {
    this.directory = directory;
  }

  async lock(campaign: string, owner: string, options?: LockOptions): Promise<StoreLock> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    if (typeof owner !== 'string' || owner === '')
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        'lock: owner must be a non-empty string, e.g. "engine@host-1"',
      );
    const leaseMs = leaseOf(options);
    const dir = this.#dir(campaign);
    const path = join(dir, LOCK);
    await mkdir(dir, { recursive: true });
    const nonce = randomUUID();
    const since = new Date().toISOString();
    const contentAt = (now: number): string => {
      const expiresAt = new Date(now + leaseMs).toISOString();
      const info: LockInfo = {
        owner,
        pid: process.pid,
        hostname: hostname(),
        since,
        nonce,
        leaseMs,
        expiresAt,
      };
      return `${JSON.stringify(info)}\n`;
    };
    let tookOver: LockTakeover | undefined;
    // A few rounds: the lock may vanish or be taken over between our attempts.
    for (let attempt = 0; attempt < 5; attempt++) {
      options?.signal?.throwIfAborted();
      // The lock's content is written to a private file first and then linked into place: link()
      // fails if the lock exists, and a lock that exists is always complete (a kill between create
      // and write cannot leave an empty lock behind).
      const tmp = `${path}.${nonce}`;
      await writeFile(tmp, contentAt(Date.now()), { flag: 'wx' });
      let linked = false;
      try {
        const handle = await open(tmp, 'r');
        await handle.sync();
        await handle.close();
        await link(tmp, path);
        linked = true;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      } finally {
        await unlink(tmp).catch(() => {});
      }
      if (linked) {
        await syncDirectory(dir);
        return new FileLock(this, campaign, path, nonce, leaseMs, contentAt, tookOver);
      }
      const raw = await readFile(path, 'utf8').catch((error: unknown) => {
        if (errorCode(error) === 'ENOENT') return undefined;
        throw error;
      });
      if (raw === undefined) continue; // released meanwhile: try again
      const holder = parseLock(raw);
      const reason = (holder && staleReason(holder)) ?? (options?.breakLock ? 'broken' : undefined);
      if (reason === undefined)
        throw new LockedError(
          campaign,
          holder === undefined
            ? `an unknown engine (the lock file ${path} is unreadable; remove it if no engine runs this ` +
                'campaign, or break the lock)'
            : `${describeHolder(holder)}; if it is certainly not running, ${
                holder.expiresAt === undefined
                  ? 'break the lock (its lock has no lease: an older escalator wrote it)'
                  : 'wait for its lease to run out or break the lock'
              }`,
        );
      // Replace it only if it is still the same lock (two engines taking over the same lock at the
      // same instant remain a tiny window).
      const again = await readFile(path, 'utf8').catch(() => undefined);
      if (again === raw) await unlink(path).catch(() => {});
      tookOver = {
        holder: holder === undefined ? `an unreadable lock file (${path})` : describeHolder(holder),
        reason,
      };
    }
    throw new LockedError(
      campaign,
      'another engine (the lock kept changing hands while this one tried to take it)',
    );
  }

  /**
   * @internal Called by {@link FileLock}'s renewal: extends the lease if the lock is still ours (by its
   * nonce); false when it is not (taken over after our lease ran out, or removed).
   */
  async renewLock(path: string, nonce: string, content: string): Promise<boolean> {
    const current = await readFile(path, 'utf8').catch(() => undefined);
    if (current === undefined || parseLock(current)?.nonce !== nonce) return false;
    // Replaced whole by rename, so a reader never sees half a lock. Not synced: a lease lost in a
    // machine crash only runs out sooner, and its holder is gone anyway.
    const tmp = `${path}.${nonce}.renew`;
    await writeFile(tmp, content);
    await rename(tmp, path);
    return true;
  }

  /** @internal Called by {@link FileLock.release}: closes the journal after pending work, then removes the lock. */
  async releaseLock(campaign: string, path: string, nonce: string): Promise<void> {
    HELD_HERE.delete(nonce);
    await this.#serial(campaign, () => this.#closeCampaign(campaign));
    const current = await readFile(path, 'utf8').catch(() => undefined);
    if (current !== undefined && parseLock(current)?.nonce === nonce) {
      await unlink(path).catch((error: unknown) => {
        if (errorCode(error) !== 'ENOENT') throw error;
      });
    }
  }

  /**
   * Appends wait for their turn; those that arrive while a write is under way go out together in the
   * next one, with a single sync (group commit), each checked on its own: a refused one fails alone,
   * and those after it, whose seq no longer follows, with it.
   */
  async append(campaign: string, entries: readonly JournalEntry[], options?: CallOptions): Promise<void> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    if (entries.length === 0) return;
    const state = this.#state(campaign);
    await new Promise<void>((resolve, reject) => {
      state.pending.push({ entries, signal: options?.signal, resolve, reject });
      if (state.pending.length === 1) void this.#serial(campaign, () => this.#writePending(campaign));
    });
  }

  async #writePending(campaign: string): Promise<void> {
    const state = this.#state(campaign);
    const batch = state.pending.splice(0);
    // Checked once more when their turn comes; once the write starts, it is finished.
    const live = batch.filter((a) => {
      if (a.signal?.aborted) a.reject(a.signal.reason);
      return !a.signal?.aborted;
    });
    if (live.length === 0) return;
    let tail: Tail;
    try {
      tail = await this.#tail(campaign, state);
    } catch (error) {
      for (const a of live) a.reject(error);
      return;
    }
    const accepted: PendingAppend[] = [];
    let seq = tail.seq;
    let hash = tail.hash;
    let text = '';
    for (const a of live) {
      try {
        const external = await Promise.all(a.entries.map((e) => this.#externalize(campaign, e)));
        const jsons = entriesToJson(campaign, external, seq);
        for (const json of jsons) {
          hash = sha256(hash + json);
          text += `${withHash(json, hash)}\n`;
        }
        seq += jsons.length;
        accepted.push(a);
      } catch (error) {
        a.reject(error);
      }
    }
    if (accepted.length === 0) return;
    const data = Buffer.from(text, 'utf8');
    const handle = state.handle!;
    state.tail = undefined; // unknown until the write and the sync succeed
    try {
      await writeAll(handle, data);
      await handle.sync();
    } catch (error) {
      for (const a of accepted) a.reject(error);
      return;
    }
    state.tail = { seq, hash, size: tail.size + data.length, ino: tail.ino };
    // The records are durable; a mark that fails to follow only lags, which reading accepts.
    await writeEndMark(this.#dir(campaign), { seq, h: hash }).catch(() => {});
    for (const a of accepted) a.resolve();
  }

  async read(campaign: string, options?: CallOptions): Promise<readonly JournalEntry[]> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    return this.#serial(campaign, async () => {
      const scan = await this.#scan(campaign);
      throwIfDamaged(campaign, scan);
      const documents = new Map<string, Promise<unknown>>();
      return Promise.all(scan.entries.map((e) => this.#internalize(campaign, e, documents)));
    });
  }

  async compact(campaign: string, snapshot: JournalEntry, options?: CallOptions): Promise<void> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    return this.#serial(campaign, async () => {
      options?.signal?.throwIfAborted();
      const scan = await this.#scan(campaign);
      throwIfDamaged(campaign, scan);
      const json = checkSnapshot(campaign, await this.#externalize(campaign, snapshot), scan);
      const snapshotHash = sha256(json);
      const dir = this.#dir(campaign);
      // The snapshot first: if we die before the journal is rewritten, `#scan` recognises the old
      // journal (its first records are covered by the snapshot) and still reads it correctly.
      await writeFileDurably(dir, SNAPSHOT, `${withHash(json, snapshotHash)}\n`);
      let hash = snapshotHash;
      let text = '';
      for (const entry of scan.entries) {
        if (entry.seq <= snapshot.seq) continue; // the old snapshot included: its seq is at most the new one's
        const entryJson = JSON.stringify(entry);
        hash = sha256(hash + entryJson);
        text += `${withHash(entryJson, hash)}\n`;
      }
      await this.#closeCampaign(campaign); // the open handle points at the file being replaced
      // The rewritten chain has other hashes: the old mark goes first (no mark is checked as "no
      // mark"), and the new one follows the new journal.
      await unlink(join(dir, END)).catch((error: unknown) => {
        if (errorCode(error) !== 'ENOENT') throw error;
      });
      await writeFileDurably(dir, JOURNAL, text);
      await writeEndMark(dir, { seq: scan.lastSeq, h: hash });
    });
  }

  async repair(campaign: string, options?: CallOptions): Promise<number> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    return this.#serial(campaign, async () => {
      const scan = await this.#scan(campaign);
      if (scan.problem && !scan.empty) throw scan.problem;
      if (scan.empty || (scan.torn && scan.size === 0 && scan.entries.length === 0)) {
        // Nothing was ever recorded: the campaign does not exist yet, so its files go.
        await this.#closeCampaign(campaign);
        const dir = this.#dir(campaign);
        await unlink(join(dir, END)).catch(() => {});
        await unlink(join(dir, JOURNAL));
        await syncDirectory(dir);
        return scan.torn?.bytes ?? 0;
      }
      if (!scan.torn) return 0;
      await this.#closeCampaign(campaign);
      const handle = await open(join(this.#dir(campaign), JOURNAL), 'r+');
      try {
        await handle.truncate(scan.size);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return scan.torn.bytes;
    });
  }

  async list(options?: CallOptions): Promise<readonly string[]> {
    options?.signal?.throwIfAborted();
    let names: string[];
    try {
      names = (await readdir(this.directory, { withFileTypes: true }))
        .filter((d) => d.isDirectory() && CAMPAIGN_ID_PATTERN.test(d.name))
        .map((d) => d.name);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    const found = await Promise.all(
      names.map(async (name) => {
        try {
          return (await stat(join(this.directory, name, JOURNAL))).isFile() ? name : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    return found.filter((n): n is string => n !== undefined).sort();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#campaigns.keys()].map((c) => this.#serial(c, () => this.#closeCampaign(c))));
  }

  #dir(campaign: string): string {
    return join(this.directory, campaign);
  }

  /** The record with its documents written beside the journal and named by their hash. */
  #externalize(campaign: string, entry: JournalEntry): Promise<JournalEntry> {
    return externalizeDocuments(entry, async (text) => {
      const hex = sha256(text);
      await this.#writeDocument(campaign, hex, text);
      return hex;
    });
  }

  /** Writes one document once (its name is its hash). */
  async #writeDocument(campaign: string, hex: string, text: string): Promise<void> {
    const dir = join(this.#dir(campaign), DOCUMENTS);
    const exists = await stat(join(dir, `${hex}.json`)).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await mkdir(dir, { recursive: true });
      await writeFileDurably(dir, `${hex}.json`, text);
      await syncDirectory(this.#dir(campaign));
    }
  }

  /** The record with the documents it names read back, each checked against its hash. */
  #internalize(
    campaign: string,
    entry: JournalEntry,
    documents: Map<string, Promise<unknown>>,
  ): Promise<JournalEntry> {
    return internalizeDocuments(entry, documents, (field, name) =>
      this.#readDocument(campaign, entry.seq, field, name),
    );
  }

  async #readDocument(campaign: string, seq: number, field: string, name: string): Promise<unknown> {
    const hex = /^sha256:([0-9a-f]{64})$/.exec(name)?.[1];
    const file = `${DOCUMENTS}/${hex ?? '?'}.json`;
    const corrupt = (detail: string) => new JournalCorruptError(campaign, seq, `its ${field}, ${detail}`);
    if (!hex) throw corrupt(`names a document as "${name.slice(0, 80)}", not sha256:<64 hex digits>`);
    const text = await readOptional(join(this.#dir(campaign), file));
    if (text === undefined) throw corrupt(`${file}, is missing`);
    const json = text.toString('utf8');
    if (sha256(json) !== hex) throw corrupt(`${file}, does not match its sha256 (changed or damaged)`);
    return JSON.parse(json);
  }

  #state(campaign: string): CampaignState {
    let state = this.#campaigns.get(campaign);
    if (!state) {
      state = { queue: Promise.resolve(), handle: undefined, tail: undefined, pending: [] };
      this.#campaigns.set(campaign, state);
    }
    return state;
  }

  /** Runs `task` after every earlier operation on the campaign (appends, reads, compaction, repair). */
  #serial<T>(campaign: string, task: () => Promise<T>): Promise<T> {
    const state = this.#state(campaign);
    const run = state.queue.then(task, task);
    state.queue = run.catch(() => {});
    return run;
  }

  async #closeCampaign(campaign: string): Promise<void> {
    const state = this.#campaigns.get(campaign);
    if (!state) return;
    const handle = state.handle;
    state.handle = undefined;
    state.tail = undefined;
    await handle?.close();
  }

  /**
   * The verified end of the journal, with the journal open for appending. Re-reads the whole journal the
   * first time, and whenever the file changed behind our back (another process, a compaction).
   */
  async #tail(campaign: string, state: CampaignState): Promise<Tail> {
    const path = join(this.#dir(campaign), JOURNAL);
    if (state.tail !== undefined && state.handle !== undefined) {
      const [mine, onDisk] = await Promise.all([state.handle.stat(), stat(path).catch(() => undefined)]);
      if (onDisk !== undefined && mine.ino === onDisk.ino && mine.size === state.tail.size) return state.tail;
    }
    await this.#closeCampaign(campaign);
    for (let attempt = 0; attempt < 3; attempt++) {
      const scan = await this.#scan(campaign);
      throwIfDamaged(campaign, scan);
      const dir = this.#dir(campaign);
      await mkdir(dir, { recursive: true });
      const existed = await stat(path).then(
        () => true,
        () => false,
      );
      const handle = await open(path, 'a');
      if (!existed) {
        await syncDirectory(dir);
        await syncDirectory(this.directory);
      }
      const info = await handle.stat();
      if (info.size !== scan.size) {
        await handle.close(); // changed between the check and the open: check again
        continue;
      }
      state.handle = handle;
      state.tail = { seq: scan.lastSeq, hash: scan.lastHash, size: scan.size, ino: info.ino };
      return state.tail;
    }
    throw new EscalatorError(
      ErrorCode.AdapterFailure,
      `the journal of campaign "${campaign}" keeps changing while being read: is another engine writing it ` +
        'without holding the lock?',
    );
  }

  /** Reads and checks the snapshot and every journal line. Never throws for damage: reports it. */
  async #scan(campaign: string): Promise<Scan> {
    const dir = this.#dir(campaign);
    const entries: JournalEntry[] = [];
    let base = '';
    let snapshotSeq = 0;
    const corrupt = (record: number, detail: string): Scan => ({
      entries,
      snapshotSeq,
      lastSeq: 0,
      lastHash: '',
      size: 0,
      problem: new JournalCorruptError(campaign, record, detail),
    });

    const snapshotText = await readOptional(join(dir, SNAPSHOT));
    if (snapshotText !== undefined) {
      const checked = checkRecord(snapshotText.toString('utf8').replace(/\n$/, ''));
      if ('problem' in checked) return corrupt(0, `snapshot.json: ${checked.problem}`);
      const { entry, json, h } = checked;
      if (sha256(json) !== h) return corrupt(0, 'snapshot.json: checksum mismatch');
      if (entry.type !== 'snapshot' || entry.seq < 1)
        return corrupt(0, 'snapshot.json: not a snapshot record');
      entries.push(entry);
      base = h;
      snapshotSeq = entry.seq;
    }

    const endText = await readOptional(join(dir, END));
    const mark = endText === undefined ? undefined : parseEndMark(endText.toString('utf8'));
    if (mark === null) return corrupt(0, `${END}: not {"seq": <number>, "h": <text>}`);
    const journalText = await readOptional(join(dir, JOURNAL));
    const journal = journalText ?? Buffer.alloc(0);
    let prev = base;
    let expected = snapshotSeq + 1;
    // The `h` of the record the end mark names, once met (the snapshot's when it is that record).
    let markedHash = mark !== undefined && mark.seq === snapshotSeq ? base : undefined;
    // When a compaction died between writing the snapshot and rewriting the journal, the journal still
    // starts with records the snapshot covers. They are skipped (their chain checked among themselves)
    // and the records after them chain on from them, not from the snapshot.
    let covered = false;
    let record = 0;
    let start = 0;
    let torn: Scan['torn'];
    while (start < journal.length) {
      record++;
      const end = journal.indexOf(NEWLINE, start);
      if (end === -1) {
        torn = { record, bytes: journal.length - start };
        record--;
        break;
      }
      const checked = checkRecord(journal.toString('utf8', start, end));
      start = end + 1;
      if ('problem' in checked) return corrupt(record, checked.problem);
      const { entry, json, h } = checked;
      if (record === 1 && snapshotSeq > 0 && entry.seq <= snapshotSeq) {
        covered = true;
        expected = entry.seq;
        prev = h; // its predecessor is gone with the old snapshot: the chain is checked from here on
      } else if (entry.seq !== expected) {
        return corrupt(
          record,
          entry.seq > expected
            ? `sequence gap: expected ${expected}, found ${entry.seq}`
            : `sequence out of order: expected ${expected}, found ${entry.seq}`,
        );
      } else if (sha256(prev + json) !== h) {
        return corrupt(record, 'checksum mismatch');
      }
      prev = h;
      expected = entry.seq + 1;
      if (mark !== undefined && entry.seq === mark.seq) markedHash = h;
      if (covered && entry.seq <= snapshotSeq) continue;
      entries.push(entry);
    }
    const lastSeq = expected - 1;
    if (mark !== undefined && mark.seq > lastSeq)
      return corrupt(
        record + 1,
        `the journal ends at seq ${lastSeq}, but ${END} records that seq ${mark.seq} was written: ` +
          `records ${lastSeq + 1} to ${mark.seq} are missing (deleted, or the file was cut)`,
      );
    if (mark !== undefined && markedHash !== undefined && markedHash !== mark.h)
      return corrupt(
        record,
        `record seq ${mark.seq} is not the one that was written (its checksum differs from ${END})`,
      );
    if (torn) return { entries, snapshotSeq, lastSeq, lastHash: prev, size: start, torn };
    if (covered && expected <= snapshotSeq)
      return corrupt(
        record + 1,
        `sequence gap: expected ${expected}, found the end of the journal (snapshot.json covers up to ${snapshotSeq})`,
      );
    if (journalText !== undefined && snapshotSeq === 0 && record === 0)
      return {
        ...corrupt(
          1,
          `the journal is empty: ${JOURNAL} exists but holds no record (a process that died before ` +
            'writing its first record, or a journal emptied by hand); `repair` removes it',
        ),
        empty: true,
      };
    return { entries, snapshotSeq, lastSeq, lastHash: prev, size: start };
  }
}

/** Throws the damage a scan found, a torn last record included. */
function throwIfDamaged(campaign: string, scan: Scan): void {
  if (scan.problem) throw scan.problem;
  if (scan.torn)
    throw new JournalCorruptError(
      campaign,
      scan.torn.record,
      'truncated last record (no newline): the process may have died while writing it; `repair` drops it',
    );
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/** `tail.json`'s content; `null` when it is not an end mark. */
function parseEndMark(text: string): EndMark | null {
  try {
    const value = JSON.parse(text) as Partial<EndMark> | null;
    if (
      value !== null &&
      typeof value === 'object' &&
      Number.isSafeInteger(value.seq) &&
      (value.seq as number) >= 0 &&
      typeof value.h === 'string'
    )
      return { seq: value.seq as number, h: value.h };
  } catch {
    // fall through
  }
  return null;
}

/**
 * Replaces `tail.json`: a synced temporary file renamed into place, so that the mark is whole or
 * absent. The directory is not synced: a rename lost in a crash leaves the older mark, which lags.
 */
async function writeEndMark(dir: string, mark: EndMark): Promise<void> {
  // Replaced by rename, so a reader sees the old mark or the new one. Not synced: the mark may lag
  // behind the journal (a machine crash keeps an older one), which reading accepts, and a sync per
  // append here doubled the cost of every record.
  const tmp = join(dir, `${END}.tmp`);
  await writeFile(tmp, `${JSON.stringify(mark)}\n`);
  await rename(tmp, join(dir, END));
}

/** Replaces `dir/name` atomically: temporary file, sync, rename, sync of the directory. */
async function writeFileDurably(dir: string, name: string, text: string): Promise<void> {
  const tmp = join(dir, `${name}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, name));
  await syncDirectory(dir);
}

/** Makes a directory's entries (a created or renamed file) durable. A no-op where directories cannot be opened. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EISDIR' || code === 'EPERM' || code === 'EACCES') return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw error;
  } finally {
    await handle.close();
  }
}

function parseLock(raw: string): LockInfo | undefined {
  try {
    const value = JSON.parse(raw) as Partial<LockInfo> | null;
    if (
      value !== null &&
      typeof value === 'object' &&
      typeof value.owner === 'string' &&
      Number.isSafeInteger(value.pid) &&
      typeof value.hostname === 'string' &&
      typeof value.since === 'string'
    )
      return value as LockInfo;
  } catch {
    // fall through
  }
  return undefined;
}

/** Names a lock's holder in messages and takeover reports. */
function describeHolder(holder: LockInfo): string {
  const lease = holder.expiresAt === undefined ? '' : `, lease until ${holder.expiresAt}`;
  return `${holder.owner} (pid ${holder.pid} on ${holder.hostname}, since ${holder.since}${lease})`;
}

/** Why a lock may be taken over without asking, or `undefined` when its holder may be alive. */
function staleReason(holder: LockInfo): LockTakeover['reason'] | undefined {
  if (holder.hostname === hostname()) {
    if (holder.pid === process.pid) {
      if (holder.nonce === undefined || !HELD_HERE.has(holder.nonce)) return 'dead-process';
    } else if (!processAlive(holder.pid)) return 'dead-process';
  }
  const expiresAt = holder.expiresAt === undefined ? Number.NaN : Date.parse(holder.expiresAt);
  if (Number.isFinite(expiresAt) && expiresAt <= Date.now()) return 'expired';
  return undefined;
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
function processAlive(pid: number): boolean {
  if (pid <= 0) return true; // not a real pid: do not take the lock over
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ESRCH';
  }
}

/** A held lock, renewed until released; releasing it twice is harmless. */
class FileLock implements StoreLock {
  readonly tookOver: LockTakeover | undefined;
  readonly #store: FileStore;
  readonly #campaign: string;
  readonly #path: string;
  readonly #nonce: string;
  readonly #stopRenewal: () => void;
  #renewing: Promise<unknown> = Promise.resolve();
  #released: Promise<void> | undefined;

  constructor(
    store: FileStore,
    campaign: string,
    path: string,
    nonce: string,
    leaseMs: number,
    contentAt: (now: number) => string,
    tookOver: LockTakeover | undefined,
  ) {
    this.#store = store;
    this.#campaign = campaign;
    this.#path = path;
    this.#nonce = nonce;
    this.tookOver = tookOver;
    HELD_HERE.add(nonce);
    this.#stopRenewal = startRenewal(Math.max(1, Math.floor(leaseMs / 3)), () => {
      const renewal = store.renewLock(path, nonce, contentAt(Date.now()));
      this.#renewing = renewal.catch(() => undefined);
      return renewal;
    });
  }

  release(): Promise<void> {
    this.#released ??= (async () => {
      this.#stopRenewal();
      await this.#renewing; // a renewal in flight must not put the lock back after it is removed
      await this.#store.releaseLock(this.#campaign, this.#path, this.#nonce);
    })();
    return this.#released;
  }
}
