/**
 * The end of a file journal: a hash chain cannot tell that records were cut from its end, so the store
 * keeps the last record's seq and hash in `tail.json`, outside the chain, and refuses a journal that
 * ends early or was rewritten at its end. A journal file with no record is refused too; a campaign with
 * no journal at all reads as `[]`.
 */
import { mkdir, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JournalCorruptError } from '../src/errors.js';
import type { JournalEntry } from '../src/ports/index.js';
import { createFileStore, type FileStateStore } from '../src/stores/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(): Promise<{ dir: string; store: FileStateStore; journal: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'escalator-journal-end-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const store = createFileStore({ directory: dir });
  cleanups.push(() => store.close());
  return { dir, store, journal: join(dir, 'c1', 'journal.jsonl') };
}

function entries(from: number, to: number): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (let seq = from; seq <= to; seq++) out.push({ seq, type: 'step.done', step: `s${seq}` });
  return out;
}

/** The journal's lines without the last `n`, each still ending with a newline. */
async function cutLast(journal: string, n: number): Promise<void> {
  const lines = (await readFile(journal, 'utf8')).split('\n').filter((l) => l !== '');
  await writeFile(
    journal,
    lines
      .slice(0, lines.length - n)
      .map((l) => `${l}\n`)
      .join(''),
  );
}

async function corruption(promise: Promise<unknown>): Promise<JournalCorruptError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JournalCorruptError);
  return error as JournalCorruptError;
}

describe('journal end', () => {
  it('keeps tail.json with the last seq and hash after every append', async () => {
    const { dir, store, journal } = await setup();
    await store.append('c1', entries(1, 3));
    await store.append('c1', entries(4, 4));
    const last = JSON.parse((await readFile(journal, 'utf8')).trimEnd().split('\n').at(-1)!) as { h: string };
    expect(JSON.parse(await readFile(join(dir, 'c1', 'tail.json'), 'utf8'))).toEqual({ seq: 4, h: last.h });
  });

  it('detects a deleted last record, and refuses to append after it', async () => {
    const { store, journal } = await setup();
    await store.append('c1', entries(1, 5));
    await cutLast(journal, 1);
    const error = await corruption(createFileStore({ directory: join(journal, '..', '..') }).read('c1'));
    expect(error.code).toBe('ESC_JOURNAL_CORRUPT');
    expect(error.line).toBe(5);
    expect(error.message).toContain(
      'the journal ends at seq 4, but tail.json records that seq 5 was written',
    );
    expect((await corruption(store.read('c1'))).line).toBe(5);
    await corruption(store.append('c1', entries(5, 5)));
  });

  it('detects a journal cut at a line end several records early', async () => {
    const { store, journal } = await setup();
    await store.append('c1', entries(1, 30));
    await cutLast(journal, 12);
    expect((await corruption(store.read('c1'))).message).toContain('records 19 to 30 are missing');
  });

  it('detects a journal whose last records were replaced by a valid chain of other records', async () => {
    const { dir, store, journal } = await setup();
    await store.append('c1', entries(1, 3));
    const mark = await readFile(join(dir, 'c1', 'tail.json'), 'utf8');
    // Rewritten from seq 3 by a store that does not know the end mark: a well-formed chain.
    await cutLast(journal, 1);
    await unlink(join(dir, 'c1', 'tail.json'));
    const forger = createFileStore({ directory: dir });
    await forger.append('c1', [{ seq: 3, type: 'step.done', step: 'forged' }]);
    await forger.close();
    await writeFile(join(dir, 'c1', 'tail.json'), mark);
    const error = await corruption(store.read('c1'));
    expect(error.message).toContain('record seq 3 is not the one that was written');
  });

  it('still reads and appends to a journal written before tail.json existed', async () => {
    const { dir, store } = await setup();
    await store.append('c1', entries(1, 3));
    await unlink(join(dir, 'c1', 'tail.json'));
    const reader = createFileStore({ directory: dir });
    expect(await reader.read('c1')).toEqual(entries(1, 3));
    await reader.append('c1', entries(4, 4));
    await reader.close();
    expect(JSON.parse(await readFile(join(dir, 'c1', 'tail.json'), 'utf8'))).toMatchObject({ seq: 4 });
  });

  it('keeps the end mark right through compaction', async () => {
    const { dir, store, journal } = await setup();
    await store.append('c1', entries(1, 6));
    await store.compact('c1', { seq: 4, type: 'snapshot' });
    expect(await store.read('c1')).toEqual([{ seq: 4, type: 'snapshot' }, ...entries(5, 6)]);
    expect(JSON.parse(await readFile(join(dir, 'c1', 'tail.json'), 'utf8'))).toMatchObject({ seq: 6 });
    await cutLast(journal, 1);
    expect((await corruption(store.read('c1'))).message).toContain('records 6 to 6 are missing');
  });

  it('refuses a journal file that holds no record, and repair removes it', async () => {
    const { store, journal } = await setup();
    // As a process leaves it that died after creating the file, before its first record: no end mark.
    await mkdir(join(journal, '..'), { recursive: true });
    await writeFile(journal, '');
    const error = await corruption(store.read('c1'));
    expect(error.message).toContain('the journal is empty');
    await corruption(store.append('c1', entries(1, 1)));
    expect(await store.repair('c1')).toBe(0);
    await expect(stat(journal)).rejects.toThrow(/ENOENT/);
    expect(await store.read('c1')).toEqual([]); // no journal at all: a campaign not created yet
    await store.append('c1', entries(1, 1));
    expect(await store.read('c1')).toEqual(entries(1, 1));
  });

  it('treats an emptied journal whose end mark remains as records gone missing', async () => {
    const { store, journal } = await setup();
    await store.append('c1', entries(1, 2));
    await writeFile(journal, '');
    expect((await corruption(store.read('c1'))).message).toContain('records 1 to 2 are missing');
    await corruption(store.repair('c1')); // that needs a person, not a tool
  });

  it('repair removes a journal whose only record was torn by a kill', async () => {
    const { store, journal } = await setup();
    await mkdir(join(journal, '..'), { recursive: true });
    await writeFile(journal, '{"seq":1,"type":"crea');
    expect((await corruption(store.read('c1'))).message).toContain('truncated last record');
    expect(await store.repair('c1')).toBe(Buffer.byteLength('{"seq":1,"type":"crea'));
    expect(await store.read('c1')).toEqual([]);
  });
});
