/**
 * A {@link StateStore} on the local file system: one directory per campaign holding an append-only,
 * hash-chained journal (`journal.jsonl`), an optional compaction snapshot (`snapshot.json`) and the
 * engine's lock (`lock`).
 *
 * Every journal line is the entry's JSON plus a field `"h"`: the sha256 (hex) of the previous line's `h`
 * followed by the entry's JSON without `h`. The first line chains from the snapshot's `h`, or from `""`
 * when there is no snapshot. Reading checks every line, so a flipped bit, a lost line or a record torn
 * by a crash is reported as a {@link JournalCorruptError} and never silently accepted.
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
import type { JournalEntry, StateStore, StoreLock } from '../ports/state-store.js';
import {
  assertCampaignId,
  CAMPAIGN_ID_PATTERN,
  checkRecord,
  checkSnapshot,
  entriesToJson,
  sha256,
  withHash,
} from './journal-format.js';

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
   * and returns how many bytes were dropped (0 when the journal was whole). Refuses, with the
   * {@link JournalCorruptError} that `read` gives, when the journal has any other damage: that needs a
   * person, not a tool.
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
}

/** The lock file's content. */
interface LockInfo {
  readonly owner: string;
  readonly pid: number;
  readonly hostname: string;
  readonly since: string;
  readonly nonce?: string | undefined;
}

class FileStore implements FileStateStore {
  readonly directory: string;
  readonly #campaigns = new Map<string, CampaignState>();

  constructor(directory: string) {
    this.directory = directory;
  }

  async lock(campaign: string, owner: string, options?: CallOptions): Promise<StoreLock> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    if (typeof owner !== 'string' || owner === '')
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        'lock: owner must be a non-empty string, e.g. "engine@host-1"',
      );
    const dir = this.#dir(campaign);
    const path = join(dir, LOCK);
    await mkdir(dir, { recursive: true });
    const info: LockInfo = {
      owner,
      pid: process.pid,
      hostname: hostname(),
      since: new Date().toISOString(),
      nonce: randomUUID(),
    };
    const content = `${JSON.stringify(info)}\n`;
    // A few rounds: the lock may vanish or be found stale between our attempts.
    for (let attempt = 0; attempt < 5; attempt++) {
      options?.signal?.throwIfAborted();
      // The lock's content is written to a private file first and then linked into place: link()
      // fails if the lock exists, and a lock that exists is always complete (a kill between create
      // and write cannot leave an empty lock behind).
      const tmp = `${path}.${info.nonce}`;
      await writeFile(tmp, content, { flag: 'wx' });
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
        return new FileLock(this, campaign, path, content);
      }
      const raw = await readFile(path, 'utf8').catch((error: unknown) => {
        if (errorCode(error) === 'ENOENT') return undefined;
        throw error;
      });
      if (raw === undefined) continue; // released meanwhile: try again
      const holder = parseLock(raw);
      if (holder === undefined)
        throw new LockedError(
          campaign,
          `an unknown engine (the lock file ${path} is unreadable; remove it if no engine runs this campaign)`,
        );
      if (holder.hostname === hostname() && !processAlive(holder.pid)) {
        // Stale: its process died without releasing it. Remove it only if it is still the same lock
        // (two engines taking over the same stale lock at the same instant remain a tiny window).
        const again = await readFile(path, 'utf8').catch(() => undefined);
        if (again === raw) await unlink(path).catch(() => {});
        continue;
      }
      throw new LockedError(
        campaign,
        `${holder.owner} (pid ${holder.pid} on ${holder.hostname}, since ${holder.since})`,
      );
    }
    throw new LockedError(
      campaign,
      'another engine (the lock kept changing hands while this one tried to take it)',
    );
  }

  /** @internal Called by {@link FileLock.release}: closes the journal after pending work, then removes the lock. */
  async releaseLock(campaign: string, path: string, content: string): Promise<void> {
    await this.#serial(campaign, () => this.#closeCampaign(campaign));
    const current = await readFile(path, 'utf8').catch(() => undefined);
    if (current === content) {
      await unlink(path).catch((error: unknown) => {
        if (errorCode(error) !== 'ENOENT') throw error;
      });
    }
  }

  async append(campaign: string, entries: readonly JournalEntry[], options?: CallOptions): Promise<void> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    if (entries.length === 0) return;
    return this.#serial(campaign, async () => {
      // Checked once more when our turn comes; once the write starts, it is finished.
      options?.signal?.throwIfAborted();
      const state = this.#state(campaign);
      const tail = await this.#tail(campaign, state);
      const jsons = entriesToJson(campaign, entries, tail.seq);
      let hash = tail.hash;
      let text = '';
      for (const json of jsons) {
        hash = sha256(hash + json);
        text += `${withHash(json, hash)}\n`;
      }
      const data = Buffer.from(text, 'utf8');
      const handle = state.handle!;
      state.tail = undefined; // unknown until the write and the sync succeed
      await writeAll(handle, data);
      await handle.sync();
      state.tail = { seq: tail.seq + jsons.length, hash, size: tail.size + data.length, ino: tail.ino };
    });
  }

  async read(campaign: string, options?: CallOptions): Promise<readonly JournalEntry[]> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    return this.#serial(campaign, async () => {
      const scan = await this.#scan(campaign);
      throwIfDamaged(campaign, scan);
      return scan.entries;
    });
  }

  async compact(campaign: string, snapshot: JournalEntry, options?: CallOptions): Promise<void> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    return this.#serial(campaign, async () => {
      options?.signal?.throwIfAborted();
      const scan = await this.#scan(campaign);
      throwIfDamaged(campaign, scan);
      const json = checkSnapshot(campaign, snapshot, scan);
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
      await writeFileDurably(dir, JOURNAL, text);
    });
  }

  async repair(campaign: string, options?: CallOptions): Promise<number> {
    assertCampaignId(campaign);
    options?.signal?.throwIfAborted();
    return this.#serial(campaign, async () => {
      const scan = await this.#scan(campaign);
      if (scan.problem) throw scan.problem;
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

  #state(campaign: string): CampaignState {
    let state = this.#campaigns.get(campaign);
    if (!state) {
      state = { queue: Promise.resolve(), handle: undefined, tail: undefined };
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

    const journal = (await readOptional(join(dir, JOURNAL))) ?? Buffer.alloc(0);
    let prev = base;
    let expected = snapshotSeq + 1;
    // When a compaction died between writing the snapshot and rewriting the journal, the journal still
    // starts with records the snapshot covers. They are skipped (their chain checked among themselves)
    // and the records after them chain on from them, not from the snapshot.
    let covered = false;
    let record = 0;
    let start = 0;
    while (start < journal.length) {
      record++;
      const end = journal.indexOf(NEWLINE, start);
      if (end === -1)
        return {
          entries,
          snapshotSeq,
          lastSeq: expected - 1,
          lastHash: prev,
          size: start,
          torn: { record, bytes: journal.length - start },
        };
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
      if (covered && entry.seq <= snapshotSeq) continue;
      entries.push(entry);
    }
    if (covered && expected <= snapshotSeq)
      return corrupt(
        record + 1,
        `sequence gap: expected ${expected}, found the end of the journal (snapshot.json covers up to ${snapshotSeq})`,
      );
    return { entries, snapshotSeq, lastSeq: expected - 1, lastHash: prev, size: start };
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

/** A held lock; releasing it twice is harmless. */
class FileLock implements StoreLock {
  readonly #store: FileStore;
  readonly #campaign: string;
  readonly #path: string;
  readonly #content: string;
  #released: Promise<void> | undefined;

  constructor(store: FileStore, campaign: string, path: string, content: string) {
    this.#store = store;
    this.#campaign = campaign;
    this.#path = path;
    this.#content = content;
  }

  release(): Promise<void> {
    this.#released ??= this.#store.releaseLock(this.#campaign, this.#path, this.#content);
    return this.#released;
  }
}
