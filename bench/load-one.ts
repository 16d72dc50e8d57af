/**
 * Loader benchmark in a fresh process: write a synthetic inventory of N computes as JSON, then time
 * `loadInventory` (parse, schema, integrity). Usage: tsx bench/load-one.ts <computes>
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../src/loader/load.js';
import { generateCloud } from '../src/testing/synthetic-cloud.js';

const computes = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'escalator-bench-'));
const file = join(dir, 'inventory.json');
try {
  const { inventory } = generateCloud({ computes, seed: 1 });
  writeFileSync(file, JSON.stringify(inventory, null, 1));
  const t0 = performance.now();
  const loaded = await loadInventory(file);
  const ms = performance.now() - t0;
  console.log(
    JSON.stringify({
      computes,
      megabytes: statSync(file).size / 2 ** 20,
      nodes: loaded.nodes.length,
      instances: loaded.instances.length,
      loadMs: ms,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
