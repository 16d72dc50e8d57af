/**
 * Reads the relative imports of every `.ts` file under `src/` and groups them by room (the first folder under
 * `src/`). Shared by `scripts/layout-report.ts` and `test/layers.test.ts` so the report and the rule see the same
 * graph.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One relative import: which file imports which, both as paths relative to `src/` with `/` separators. */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  /** True for `import type` / `export type ... from`: erased at run time, but still a dependency of the design. */
  readonly typeOnly: boolean;
}

/** Every `.ts` file under `dir`, as paths relative to `dir` with `/` separators, sorted. */
export function listSourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string): void => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub === '' ? entry.name : `${sub}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  walk('');
  return out.sort();
}

/**
 * The relative module specifiers a file imports: static `import` (including `import type` and side-effect
 * imports), `export ... from`, `import x = require()`, and `import('...')` with a literal. Uses the TypeScript
 * parser rather than a regular expression so comments, strings and multi-line imports cannot fool it.
 */
export function relativeImports(fileName: string, text: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const add = (node: ts.Node | undefined, typeOnly: boolean): void => {
    if (node !== undefined && ts.isStringLiteralLike(node) && node.text.startsWith('.')) {
      found.push({ specifier: node.text, typeOnly });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      // `import { type A, type B } from` is erased too, but only when every named binding is a type.
      const allNamedTypes =
        clause?.namedBindings !== undefined &&
        ts.isNamedImports(clause.namedBindings) &&
        clause.name === undefined &&
        clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, clause?.isTypeOnly === true || allNamedTypes);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      // `typeof import('./x.js')` in a type position.
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** All relative imports between files under `srcDir`; `.js` specifiers are mapped back to their `.ts` sources. */
export function importEdges(srcDir: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of listSourceFiles(srcDir)) {
    const text = readFileSync(join(srcDir, file), 'utf8');
    for (const { specifier, typeOnly } of relativeImports(file, text)) {
      const target = posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, '.ts');
      edges.push({ from: file, to: target, typeOnly });
    }
  }
  return edges;
}

/**
 * The room a file under `src/` lives in: its first folder (`src/adapters/<x>/...` is room `adapters`), or for the
 * root files the file's own name without `.ts` (`index`, `errors`).
 */
export function roomOf(file: string): string {
  const slash = file.indexOf('/');
  return slash === -1 ? file.replace(/\.ts$/, '') : file.slice(0, slash);
}

/** Counts of imports from one room to another (same-room imports left out), keyed `from -> to`, sorted. */
export function roomArrows(edges: readonly ImportEdge[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const edge of edges) {
    const from = roomOf(edge.from);
    const to = roomOf(edge.to);
    if (from === to) continue;
    const key = `${from} -> ${to}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

/** The absolute `src/` folder of this repository, found from this script's own location. */
export function srcDirectory(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
}

/** A path relative to the repository root, with `/` separators, for printing. */
export function displayPath(absolute: string): string {
  return relative(join(srcDirectory(), '..'), absolute).split(sep).join('/');
}
