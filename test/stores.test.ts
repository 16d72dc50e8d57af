/**
 * The state stores: one contract both stores keep (round trip, seq checks, locks, compaction, list), then
 * what only the file store does (detecting damage, repairing a torn record, stale locks).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, EscalatorError, JournalCorruptError, LockedError } from '../src/errors.js';
import type { JournalEntry, StateStore } from '../src/ports/index.js';
import { createFileStore, createMemoryStore, type FileStateStore } from '../src/stores/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'escalator-stores-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function fileStore(directory?: string): Promise<FileStateStore> {
  const store = createFileStore({ directory: directory ?? (await tempDir()) });
  cleanups.push(() => store.close());
  return store;
}

interface StepEntry extends JournalEntry {
  step: string;
  data: { n: number };
}

function entries(from: number, to: number): StepEntry[] {
  const out: StepEntry[] = [];
  for (let seq = from; seq <= to; seq++)
    out.push({ seq, type: 'step.done', step: `s${seq}`, data: { n: seq } });
  return out;
}

/** The code of what `promise` rejects with. */
async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return EscalatorError.is(error) ? error.code : `not an EscalatorError: ${String(error)}`;
  }
  return undefined;
}

type WithCompact = StateStore & Required<Pick<StateStore, 'compact'>>;

describe.each([
  ['memory store', async (): Promise<WithCompact> => createMemoryStore()],
  ['file store', async (): Promise<WithCompact> => fileStore()],
])('%s (contract)', (_name, make) => {
  it('reads back what was appended, in order, as copies', async () => {
    const store = await make();
    const first = entries(1, 2);
    await store.append('c1', first);
    await store.append('c1', entries(3, 3));
    first[0]!.step = 'changed after append';
    const read = (await store.read('c1')) as StepEntry[];
    expect(read).toEqual(entries(1, 3));
    read[1]!.data.n = 99;
    expect(await store.read('c1')).toEqual(entries(1, 3));
  });

  it('gives back the documents of a created record and of a snapshot, as copies, after appends made at once', async () => {
    const store = await make();
    const plan = { waves: [{ index: 0, steps: ['a', 'b'] }] };
    const created = { seq: 1, type: 'created', inventory: { nodes: ['n'] }, campaign: { name: 'c' }, plan };
    // Issued together, as the engine's pipelined writes do: they are kept in call order.
    await Promise.all([store.append('c1', [created]), store.append('c1', entries(2, 3))]);
    const read = await store.read('c1');
    expect(read).toEqual([created, ...entries(2, 3)]);
    (read[0] as unknown as { plan: typeof plan }).plan.waves[0]!.index = 7;
    expect((await store.read('c1'))[0]).toEqual(created);
    const snapshot = { seq: 3, type: 'snapshot', state: { plan, steps: { a: 'done' } } };
    await store.compact('c1', snapshot);
    expect(await store.read('c1')).toEqual([snapshot]);
  });

  it('reads an unknown campaign as an empty journal', async () => {
    const store = await make();
    expect(await store.read('nothing-here')).toEqual([]);
  });

  it('refuses entries whose seq does not follow, and writes nothing of a refused batch', async () => {
    const store = await make();
    expect(await codeOf(store.append('c1', entries(2, 2)))).toBe(ErrorCode.InvalidOption);
    await store.append('c1', entries(1, 3));
    expect(await codeOf(store.append('c1', entries(5, 5)))).toBe(ErrorCode.InvalidOption);
    expect(await codeOf(store.append('c1', entries(3, 3)))).toBe(ErrorCode.InvalidOption);
    const gap = [...entries(4, 4), ...entries(6, 6)];
    expect(await codeOf(store.append('c1', gap))).toBe(ErrorCode.InvalidOption);
    expect(await store.read('c1')).toEqual(entries(1, 3));
    await store.append('c1', entries(4, 5));
    expect(await store.read('c1')).toEqual(entries(1, 5));
  });

  it('names the expected seq in the error', async () => {
    const store = await make();
    await store.append('c1', entries(1, 17));
    await expect(store.append('c1', entries(19, 19))).rejects.toThrow(/next entry must have seq 18/);
  });

  it('refuses entries that are not journal entries or use the reserved field "h"', async () => {
    const store = await make();
    expect(await codeOf(store.append('c1', [{ seq: 1, type: 'x', h: 'mine' }]))).toBe(
      ErrorCode.InvalidOption,
    );
    expect(await codeOf(store.append('c1', [{ seq: 1.5, type: 'x' }]))).toBe(ErrorCode.InvalidOption);
    expect(await codeOf(store.append('c1', [{ seq: 1 } as unknown as JournalEntry]))).toBe(
      ErrorCode.InvalidOption,
    );
  });

  it('refuses campaign ids that are not safe directory names', async () => {
    const store = await make();
    for (const id of ['', '../etc', '.hidden', 'a/b', 'a\\b', 'x'.repeat(129), 'with space']) {
      expect(await codeOf(store.append(id, entries(1, 1))), id).toBe(ErrorCode.InvalidOption);
      expect(await codeOf(store.read(id)), id).toBe(ErrorCode.InvalidOption);
      expect(await codeOf(store.lock(id, 'me')), id).toBe(ErrorCode.InvalidOption);
    }
    await store.append('Upgrade_2026.11-a', entries(1, 1));
  });

  it('lets one holder have the lock at a time, until it releases it', async () => {
    const store = await make();
    const first = await store.lock('c1', 'engine-a');
    const refused = store.lock('c1', 'engine-b');
    await expect(refused).rejects.toBeInstanceOf(LockedError);
    await expect(refused).rejects.toThrow(/engine-a/);
    expect(await codeOf(store.lock('c1', 'engine-b'))).toBe(ErrorCode.Locked);
    const other = await store.lock('c2', 'engine-b'); // other campaigns are free
    await first.release();
    await first.release(); // harmless
    const second = await store.lock('c1', 'engine-b');
    await first.release(); // the old holder's release must not free the new holder's lock
    expect(await codeOf(store.lock('c1', 'engine-c'))).toBe(ErrorCode.Locked);
    await second.release();
    await other.release();
    await (await store.lock('c1', 'engine-c')).release();
  });

  it('compacts: a snapshot replaces the records it covers, and appends continue after them', async () => {
    const store = await make();
    await store.append('c1', entries(1, 5));
    const snapshot = { seq: 3, type: 'snapshot', state: { done: ['s1', 's2', 's3'] } };
    await store.compact('c1', snapshot);
    expect(await store.read('c1')).toEqual([snapshot, ...entries(4, 5)]);
    await store.append('c1', entries(6, 6));
    expect(await store.read('c1')).toEqual([snapshot, ...entries(4, 6)]);
    const later = { seq: 6, type: 'snapshot', state: { done: 6 } };
    await store.compact('c1', later);
    expect(await store.read('c1')).toEqual([later]);
    expect(await codeOf(store.append('c1', entries(6, 6)))).toBe(ErrorCode.InvalidOption);
    await store.append('c1', entries(7, 7));
    expect(await store.read('c1')).toEqual([later, ...entries(7, 7)]);
  });

  it('refuses a snapshot that is not one, or covers records that do not exist or are already compacted', async () => {
    const store = await make();
    expect(await codeOf(store.compact('c1', { seq: 1, type: 'snapshot' }))).toBe(ErrorCode.InvalidOption);
    await store.append('c1', entries(1, 4));
    expect(await codeOf(store.compact('c1', { seq: 2, type: 'state' }))).toBe(ErrorCode.InvalidOption);
    expect(await codeOf(store.compact('c1', { seq: 5, type: 'snapshot' }))).toBe(ErrorCode.InvalidOption);
    await store.compact('c1', { seq: 3, type: 'snapshot' });
    expect(await codeOf(store.compact('c1', { seq: 2, type: 'snapshot' }))).toBe(ErrorCode.InvalidOption);
    expect(await store.read('c1')).toEqual([{ seq: 3, type: 'snapshot' }, ...entries(4, 4)]);
  });

  it('lists the campaigns that have a journal, sorted', async () => {
    const store = await make();
    expect(await store.list()).toEqual([]);
    await store.append('zeta', entries(1, 1));
    await store.append('alpha', entries(1, 2));
    const lock = await store.lock('locked-only', 'me');
    expect(await store.list()).toEqual(['alpha', 'zeta']);
    await lock.release();
  });

  it('serialises concurrent appends in call order', async () => {
    const store = await make();
    await Promise.all([1, 2, 3, 4, 5].map((seq) => store.append('c1', entries(seq, seq))));
    expect(await store.read('c1')).toEqual(entries(1, 5));
  });
});

// ---------------------------------------------------------------------------------------------------
// File store only

async function journalLines(dir: string, campaign: string): Promise<string[]> {
  return (await readFile(join(dir, campaign, 'journal.jsonl'), 'utf8')).split('\n');
}

async function writeJournal(dir: string, campaign: string, text: string): Promise<void> {
  await writeFile(join(dir, campaign, 'journal.jsonl'), text);
}

/** What `promise` rejects with, as a JournalCorruptError (fails the test otherwise). */
async function corruption(promise: Promise<unknown>): Promise<JournalCorruptError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(JournalCorruptError);
    return error as JournalCorruptError;
  }
  throw new Error('expected a JournalCorruptError, but the call succeeded');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('file store', () => {
  it('writes <directory>/<campaign>/journal.jsonl, one hash-chained JSON line per entry', async () => {
    const dir = await tempDir();
    const store = await fileStore(dir);
    await store.append('c1', entries(1, 2));
    const lines = await journalLines(dir, 'c1');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const first = JSON.parse(lines[0]!) as { h: string };
    const second = JSON.parse(lines[1]!) as { h: string };
    expect(first.h).toBe(sha256(JSON.stringify(entries(1, 1)[0])));
    expect(second.h).toBe(sha256(first.h + JSON.stringify(entries(2, 2)[0])));
  });

  it('writes the documents of a created record once, beside the journal, and reads them back checked', async () => {
    const dir = await tempDir();
    const store = await fileStore(dir);
    const plan = { waves: Array.from({ length: 200 }, (_, i) => ({ index: i, steps: [`step-${i}`] })) };
    const inventory = { nodes: ['a', 'b'] };
    const created = { seq: 1, type: 'created', campaignId: 'c1', inventory, campaign: { name: 'c1' }, plan };
    await store.append('c1', [created, ...entries(2, 3)]);
    const lines = await journalLines(dir, 'c1');
    // The line names the documents by hash; it does not hold them.
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    const planText = JSON.stringify(plan);
    expect(first.plan).toEqual({ $document: `sha256:${sha256(planText)}` });
    expect(lines[0]!.length).toBeLessThan(600);
    expect(await readFile(join(dir, 'c1', 'documents', `${sha256(planText)}.json`), 'utf8')).toBe(planText);
    expect((await store.read('c1'))[0]).toEqual(created);

    // A compaction snapshot names the same documents: none is written twice.
    await store.compact('c1', { seq: 3, type: 'snapshot', state: { plan, inventory, steps: {} } });
    expect(await readdir(join(dir, 'c1', 'documents'))).toHaveLength(3);
    const snapshot = JSON.parse(await readFile(join(dir, 'c1', 'snapshot.json'), 'utf8')) as {
      state: Record<string, unknown>;
    };
    expect(snapshot.state.plan).toEqual({ $document: `sha256:${sha256(planText)}` });
    expect((await createFileStore({ directory: dir }).read('c1'))[0]).toEqual({
      seq: 3,
      type: 'snapshot',
      state: { plan, inventory, steps: {} },
    });

    // A document changed on disk, or gone, makes the journal corrupt, naming it.
    const file = join(dir, 'c1', 'documents', `${sha256(planText)}.json`);
    await writeFile(file, planText.replace('step-7', 'step-8'));
    const changed = await corruption(createFileStore({ directory: dir }).read('c1'));
    expect(changed.message).toContain(`documents/${sha256(planText)}.json, does not match its sha256`);
    await rm(file);
    const gone = await corruption(createFileStore({ directory: dir }).read('c1'));
    expect(gone.message).toContain(`its plan, documents/${sha256(planText)}.json, is missing`);
  });

  it('detects a changed record (checksum mismatch)', async () => {
    const dir = await tempDir();
    const store = await fileStore(dir);
    await store.append('c1', entries(1, 3));
    const lines = await journalLines(dir, 'c1');
    lines[1] = lines[1]!.replace('"step":"s2"', '"step":"s9"');
    await writeJournal(dir, 'c1', lines.join('\n'));
    const error = await corruption(createFileStore({ directory: dir }).read('c1'));
    expect(error.code).toBe(ErrorCode.JournalCorrupt);
    expect(error.line).toBe(2);
    expect(error.message).toContain('checksum mismatch');
    // The store that wrote it notices too: reads never trust a cache.
    expect((await corruption(store.read('c1'))).line).toBe(2);
  });

  it('detects a deleted record (sequence gap)', async () => {
    const dir = await tempDir();
    const store = await fileStore(dir);
    await store.append('c1', entries(1, 20));
    const lines = await journalLines(dir, 'c1');
    lines.splice(16, 2); // seq 17 and 18
    await writeJournal(dir, 'c1', lines.join('\n'));
    const error = await corruption(store.read('c1'));
    expect(error.line).toBe(17);
    expect(error.message).toContain('sequence gap: expected 17, found 19');
  });

  it('detects an unparseable record', async () => {
    const dir = await tempDir();
    const store = await fileStore(dir);
    await store.append('c1', entries(1, 3));
    const lines = await journalLines(dir, 'c1');
    lines[1] = '{"seq":2,"type":';
    await writeJournal(dir, 'c1', lines.join('\n'));
    const error = await corruption(store.read('c1'));
    expect(error.line).toBe(2);
    expect(error.message).toContain('unparseable JSON');
  });

  it('reports a torn last record, refuses to append after it, and repair drops exactly that record', async () => {
    const dir = await tempDir();
    const store = await fileStore(dir);
    await store.append('c1', entries(1, 3));
    const whole = await readFile(join(dir, 'c1', 'journal.jsonl'), 'utf8');
    const torn = '{"seq":4,"type":"step.do';
    await writeJournal(dir, 'c1', whole + torn);

    const error = await corruption(store.read('c1'));
    expect(error.line).toBe(4);
    expect(error.message).toContain('truncated last record (no newline)');
    expect(error.message).toContain('repair');
    expect((await corruption(store.append('c1', entries(4, 4)))).line).toBe(4);

    expect(await store.repair('c1')).toBe(Buffer.byteLength(torn));
    expect(await readFile(join(dir, 'c1', 'journal.jsonl'), 'utf8')).toBe(whole);
    expect(await store.read('c1')).toEqual(entries(1, 3));
    expect(await store.repair('c1')).toBe(0);
    await store.append('c1', entries(4, 4));
    expect(await store.read('c1')).toEqual(entries(1, 4));
  });

  it('treats a complete record without its newline as torn too (its append never finished)', async () => {
    const dir = await tempDir();
    const store = await fileStore(dir);
    await store.append('c1', entries(1, 2));
    const markBefore = await readFile(join(dir, 'c1', 'tail.json'), 'utf8');
    await store.append('c1', entries(3, 3));
    const whole = await readFile(join(dir, 'c1', 'journal.jsonl'), 'utf8');
    await writeJournal(dir, 'c1', whole.slice(0, -1));
    // As a crash leaves it: the end mark is written after the record, so it still names seq 2.
    await writeFile(join(dir, 'c1', 'tail.json'), markBefore);
    expect((await corruption(store.read('c1'))).line).toBe(3);
    const lastLine = whole.slice(0, -1).split('\n').at(-1)!;
    expect(await store.repair('c1')).toBe(Buffer.byteLength(lastLine));
    expect(await store.read('c1')).toEqual(entries(1, 2));
  });

  it('refuses to repair a journal damaged elsewhere than its last record', async () => {
    const dir = await tempDir();
    const store = await fileStore(dir);
    await store.append('c1', entries(1, 3));
    const lines = await journalLines(dir, 'c1');
    lines[0] = lines[0]!.replace('"step":"s1"', '"step":"s7"');
    await writeJournal(dir, 'c1', `${lines.join('\n')}{"seq":4`);
    const error = await corruption(store.repair('c1'));
    expect(error.line).toBe(1);
    expect(error.message).toContain('checksum mismatch');
    expect((await readFile(join(dir, 'c1', 'journal.jsonl'), 'utf8')).endsWith('{"seq":4')).toBe(true);
  });

  it('checks the snapshot and chains the journal from it after compaction', async () => {
    const dir = await tempDir();
    const store = await fileStore(dir);
    await store.append('c1', entries(1, 4));
    await store.compact('c1', { seq: 2, type: 'snapshot', state: 'two' });
    const snapshot = JSON.parse(await readFile(join(dir, 'c1', 'snapshot.json'), 'utf8')) as { h: string };
    expect(snapshot.h).toBe(sha256(JSON.stringify({ seq: 2, type: 'snapshot', state: 'two' })));
    const lines = await journalLines(dir, 'c1');
    expect(lines.filter((l) => l !== '')).toHaveLength(2);
    expect((JSON.parse(lines[0]!) as { h: string }).h).toBe(
      sha256(snapshot.h + JSON.stringify(entries(3, 3)[0])),
    );

    await writeFile(
      join(dir, 'c1', 'snapshot.json'),
      (await readFile(join(dir, 'c1', 'snapshot.json'), 'utf8')).replace('"two"', '"six"'),
    );
    const error = await corruption(createFileStore({ directory: dir }).read('c1'));
    expect(error.line).toBe(0);
    expect(error.message).toContain('snapshot.json: checksum mismatch');
  });

  it('still reads a journal whose compaction died after the snapshot was written', async () => {
    const dir = await tempDir();
    const store = await fileStore(dir);
    await store.append('c1', entries(1, 5));
    const before = await readFile(join(dir, 'c1', 'journal.jsonl'), 'utf8');
    const markBefore = await readFile(join(dir, 'c1', 'tail.json'), 'utf8');
    const snapshot = { seq: 3, type: 'snapshot' };
    await store.compact('c1', snapshot);
    // As if the process died before the journal was rewritten: the old journal and its end mark.
    await writeJournal(dir, 'c1', before);
    await writeFile(join(dir, 'c1', 'tail.json'), markBefore);

    const reader = createFileStore({ directory: dir });
    expect(await reader.read('c1')).toEqual([snapshot, ...entries(4, 5)]);
    await reader.append('c1', entries(6, 6));
    expect(await reader.read('c1')).toEqual([snapshot, ...entries(4, 6)]);
    await reader.compact('c1', { seq: 5, type: 'snapshot' });
    expect(await reader.read('c1')).toEqual([{ seq: 5, type: 'snapshot' }, ...entries(6, 6)]);
    await reader.close();

    // Damage after the covered records is still found.
    await writeJournal(dir, 'c1', before.replace('"step":"s5"', '"step":"s0"'));
    await writeFile(
      join(dir, 'c1', 'snapshot.json'),
      `${JSON.stringify({ ...snapshot, h: sha256(JSON.stringify(snapshot)) })}\n`,
    );
    const error = await corruption(createFileStore({ directory: dir }).read('c1'));
    expect(error.line).toBe(5);
  });

  it('notices appends made by another store instance and chains after them', async () => {
    const dir = await tempDir();
    const a = await fileStore(dir);
    const b = await fileStore(dir);
    await a.append('c1', entries(1, 1));
    await b.append('c1', entries(2, 2));
    await a.append('c1', entries(3, 3));
    expect(await b.read('c1')).toEqual(entries(1, 3));
  });

  it('takes over a lock left by a dead process on this host', async () => {
    const dir = await tempDir();
    const child = spawnSync(process.execPath, ['-e', '']);
    expect(child.status).toBe(0);
    const deadPid = child.pid;
    await mkdir(join(dir, 'c1'), { recursive: true });
    await writeFile(
      join(dir, 'c1', 'lock'),
      JSON.stringify({
        owner: 'crashed-engine',
        pid: deadPid,
        hostname: hostname(),
        since: '2026-01-01T00:00:00.000Z',
      }),
    );
    const store = await fileStore(dir);
    const lock = await store.lock('c1', 'new-engine');
    const content = JSON.parse(await readFile(join(dir, 'c1', 'lock'), 'utf8')) as {
      owner: string;
      pid: number;
    };
    expect(content.owner).toBe('new-engine');
    expect(content.pid).toBe(process.pid);
    await lock.release();
    await expect(readFile(join(dir, 'c1', 'lock'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a lock held by a live process, naming it', async () => {
    const dir = await tempDir();
    const holder = await fileStore(dir);
    const lock = await holder.lock('c1', 'engine-a');
    const other = await fileStore(dir);
    const refused = other.lock('c1', 'engine-b');
    await expect(refused).rejects.toBeInstanceOf(LockedError);
    await expect(refused).rejects.toThrow(`engine-a (pid ${process.pid} on ${hostname()}, since `);
    await lock.release();
    await (await other.lock('c1', 'engine-b')).release();
  });

  it('refuses a lock held on another host, even with a pid that is not running here', async () => {
    const dir = await tempDir();
    const child = spawnSync(process.execPath, ['-e', '']);
    await mkdir(join(dir, 'c1'), { recursive: true });
    await writeFile(
      join(dir, 'c1', 'lock'),
      JSON.stringify({ owner: 'remote', pid: child.pid, hostname: `not-${hostname()}`, since: 'then' }),
    );
    const store = await fileStore(dir);
    await expect(store.lock('c1', 'me')).rejects.toThrow(/remote \(pid \d+ on not-/);
  });

  it('refuses an unreadable lock file rather than guessing', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'c1'), { recursive: true });
    await writeFile(join(dir, 'c1', 'lock'), '');
    const store = await fileStore(dir);
    await expect(store.lock('c1', 'me')).rejects.toThrow(/unreadable; remove it if no engine runs/);
  });

  it('wants a directory', () => {
    expect(() => createFileStore({ directory: '' })).toThrow(/directory is not set/);
    expect(() => createFileStore(undefined as unknown as { directory: string })).toThrow(
      /directory is not set/,
    );
  });
});
