/**
 * Prints the shape of `src/`: the 15 largest files by line count, and how many imports run from each room
 * (first folder under `src/`) to each other room. Run with `npx tsx scripts/layout-report.ts`; the layering rule
 * itself is enforced by `test/layers.test.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importEdges, listSourceFiles, roomArrows, srcDirectory } from './import-graph.js';

const src = srcDirectory();
const files = listSourceFiles(src).map((file) => {
  const text = readFileSync(join(src, file), 'utf8');
  // A trailing newline ends the last line rather than starting an empty one, as `wc -l` counts.
  return { file, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) };
});
files.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file));

console.log(
  `Largest files under src/ (${files.length} files, ${files.reduce((n, f) => n + f.lines, 0)} lines):`,
);
for (const { file, lines } of files.slice(0, 15)) console.log(`${String(lines).padStart(6)}  src/${file}`);

const arrows = roomArrows(importEdges(src));
console.log(`\nImports between rooms (from -> to: count), ${arrows.size} arrows:`);
for (const [arrow, count] of arrows) console.log(`${String(count).padStart(4)}  ${arrow}`);
