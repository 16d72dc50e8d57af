import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createJsonLinesLogger } from '../src/logging/loggers.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'escalator-log-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const record = (message: string) =>
  ({ time: '2026-01-01T00:00:00.000Z', level: 'info', action: 'test', message }) as const;

describe('createJsonLinesLogger', () => {
  it('creates the directory of its file, with its parents, and closes cleanly', async () => {
    const file = join(await tempDir(), 'state', 'logs', 'campaign.log.jsonl');
    const errors: Error[] = [];
    const logger = createJsonLinesLogger({ file, onError: (e) => errors.push(e) });
    logger.log(record('one'));
    logger.log(record('two'));
    await expect(logger.close()).resolves.toBeUndefined();
    expect(errors).toEqual([]);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['one', 'two']);
  });

  it('appends to an existing file', async () => {
    const file = join(await tempDir(), 'a.jsonl');
    await writeFile(file, '{"message":"before"}\n');
    const logger = createJsonLinesLogger({ file });
    logger.log(record('after'));
    await logger.close();
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('reports a file it cannot open once to onError, and still closes', async () => {
    const blocker = join(await tempDir(), 'not-a-directory');
    await writeFile(blocker, '');
    const errors: Error[] = [];
    const logger = createJsonLinesLogger({ file: join(blocker, 'x.jsonl'), onError: (e) => errors.push(e) });
    logger.log(record('lost'));
    await expect(logger.flush()).rejects.toThrow(/ENOTDIR|EEXIST|ENOENT/);
    await expect(logger.close()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});
