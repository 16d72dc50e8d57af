/**
 * The file journal's appends: N one-record appends made one after another (each waits for its sync),
 * then N issued together (the store writes and syncs them in groups), as the engine issues them while
 * many steps end at once. Prints one JSON line.
 * Usage: tsx bench/journal-one.ts [appends]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileStore } from '../src/stores/index.js';

const n = Number(process.argv[2] ?? 5000);
const record = (seq: number) => ({
  seq,
  type: 'step',
  at: new Date(0).toISOString(),
  step: `w0.cmp-${seq}.upgrade-packages`,
  from: 'pending',
  to: 'running',
});

async function timed(together: boolean): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'escalator-bench-journal-'));
  const store = createFileStore({ directory: dir });
  const t0 = performance.now();
  if (together) await Promise.all(Array.from({ length: n }, (_, i) => store.append('c', [record(i + 1)])));
  else for (let i = 1; i <= n; i++) await store.append('c', [record(i)]);
  const ms = performance.now() - t0;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const sequentialMs = await timed(false);
const togetherMs = await timed(true);
console.log(
  JSON.stringify({
    appends: n,
    sequentialUs: (sequentialMs * 1000) / n,
    togetherUs: (togetherMs * 1000) / n,
  }),
);
