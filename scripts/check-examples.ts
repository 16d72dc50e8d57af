/**
 * Checks that the ```ts examples in the TSDoc of the public API compile against the built package.
 *
 * Every fenced ```ts block in the doc comment of an exported declaration (and of its members, and the
 * module comment of a file) under src/ becomes a module in a temporary project where `escalator` is
 * this package (a symlink to the repository; run `npm run build` first), and the project is checked
 * with `tsc --noEmit --strict --skipLibCheck false --module nodenext`.
 *
 * Examples stay short, as readers want them, so the checker supplies what they clearly assume:
 * - a name the package exports (`createPlan`, `Engine`, ...) that the block uses without importing it
 *   is imported from the entry point that exports it (the root first);
 * - the conventional free variables of the docs (`inventory`, `campaign`, `plan`, `session`, ... see
 *   {@link GIVEN}) are declared with their types when a block uses them without declaring them;
 * - `writeFile`, `readFile` and `YAML` are imported from `node:fs/promises` and `yaml`.
 * Any other free name is an error to fix in the example.
 *
 * Usage: npx tsx scripts/check-examples.ts [--keep]   (exit status 1 when an example does not compile)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';

const repo = join(import.meta.dirname, '..');
const keep = process.argv.includes('--keep');

/** The package's entry points, in the order a free name is looked up. */
const ENTRY_POINTS: Readonly<Record<string, string>> = {
  escalator: 'src/index.ts',
  'escalator/openstack': 'src/adapters/openstack/index.ts',
  'escalator/ssh': 'src/adapters/ssh/index.ts',
  'escalator/libvirt': 'src/adapters/libvirt/index.ts',
  'escalator/vnfm': 'src/adapters/vnfm/index.ts',
  'escalator/simulator': 'src/simulator/index.ts',
  'escalator/http': 'src/http/index.ts',
  'escalator/testing': 'src/testing/index.ts',
};

const ENTRY_FILES = new Set(Object.values(ENTRY_POINTS));

/** The free variables examples may assume, and their types (written in terms of the package). */
const GIVEN: Readonly<Record<string, string>> = {
  inventory: "import('escalator').Inventory",
  freshInventory: "import('escalator').Inventory",
  campaign: "import('escalator').Campaign",
  plan: "import('escalator').Plan",
  catalog: "import('escalator').Catalog",
  principal: "import('escalator').Principal",
  engine: "import('escalator').Engine",
  store: "import('escalator').StateStore",
  logger: "import('escalator').Logger",
  clock: "import('escalator').VirtualClock",
  authorizer: "import('escalator').Authorizer",
  verifier: "import('escalator').TokenVerifier",
  operator: "import('escalator').Principal",
  vim: "import('escalator').Vim",
  nodes: "import('escalator').NodeAgent",
  hypervisor: "import('escalator').Hypervisor",
  vnfm: "import('escalator').VnfManager",
  transport: "import('escalator').CommandTransport",
  snapshot: "import('escalator').CampaignSnapshot",
  session: "import('escalator/openstack').KeystoneSession",
  service: "import('escalator/http').CampaignService",
  server: "import('node:http').Server",
  records: "readonly import('escalator').JournalEntry[]",
  signal: 'AbortSignal',
  token: 'string',
  secret: 'string',
  yamlText: 'string',
  authUrl: 'string',
  username: 'string',
  password: 'string',
  projectName: 'string',
  knownHostsFile: 'string',
};

/** Free names imported from elsewhere than the package. */
const OTHER_IMPORTS: Readonly<Record<string, string>> = {
  writeFile: "import { writeFile } from 'node:fs/promises';",
  writeFileSync: "import { writeFileSync } from 'node:fs';",
  createServer: "import { createServer } from 'node:http';",
  readFile: "import { readFile } from 'node:fs/promises';",
  YAML: "import YAML from 'yaml';",
};

interface Example {
  readonly file: string;
  readonly line: number;
  readonly owner: string;
  readonly code: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function isExported(node: ts.Node): boolean {
  return (
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  );
}

/** The ```ts blocks of the doc comments (`/** ... *\/`) right before `pos`. */
function blocksBefore(text: string, pos: number): { code: string; offset: number }[] {
  const out: { code: string; offset: number }[] = [];
  for (const range of ts.getLeadingCommentRanges(text, pos) ?? []) {
    const comment = text.slice(range.pos, range.end);
    if (!comment.startsWith('/**')) continue;
    const fence = /```ts\n([\s\S]*?)```/g;
    for (let m = fence.exec(comment); m !== null; m = fence.exec(comment)) {
      const code = (m[1] ?? '')
        .split('\n')
        .map((line) => line.replace(/^\s*\* ?/, ''))
        .join('\n');
      out.push({ code, offset: range.pos + m.index });
    }
  }
  return out;
}

function collectExamples(file: string, exports: Map<string, string>): Example[] {
  const text = ts.sys.readFile(file) ?? '';
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const examples: Example[] = [];
  const add = (pos: number, owner: string) => {
    for (const block of blocksBefore(text, pos))
      examples.push({
        file: relative(repo, file),
        line: source.getLineAndCharacterOfPosition(block.offset).line + 1,
        owner,
        code: block.code,
      });
  };
  // The module comment of an entry point (the first comment of the file, when it is a doc comment).
  if (ENTRY_FILES.has(relative(repo, file))) add(0, '(module)');
  const seen = new Set<number>([0]);
  for (const statement of source.statements) {
    if (!isExported(statement) || seen.has(statement.getFullStart())) continue;
    seen.add(statement.getFullStart());
    const name = (statement as { name?: ts.Node }).name?.getText(source) ?? '(export)';
    // Only the public API: what an entry point exports (a module's other exports are internal).
    if (!exports.has(name)) continue;
    add(statement.getFullStart(), name);
    if (ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement))
      for (const member of statement.members)
        add(member.getFullStart(), `${name}.${member.name?.getText(source) ?? '(member)'}`);
  }
  return examples;
}

/** Every name each entry point exports (values and types), from the sources. */
function entryExports(): Map<string, string> {
  const files = Object.values(ENTRY_POINTS).map((f) => join(repo, f));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const byName = new Map<string, string>();
  for (const [entry, file] of Object.entries(ENTRY_POINTS)) {
    const source = program.getSourceFile(join(repo, file));
    const symbol = source && checker.getSymbolAtLocation(source);
    if (!symbol) throw new Error(`cannot read the exports of ${file}`);
    for (const exported of checker.getExportsOfModule(symbol))
      if (!byName.has(exported.name)) byName.set(exported.name, entry);
  }
  return byName;
}

/** Names a block declares at its top level, and every identifier it mentions. */
function namesOf(code: string): { declared: Set<string>; used: Set<string> } {
  const source = ts.createSourceFile('example.ts', code, ts.ScriptTarget.Latest, true);
  const declared = new Set<string>();
  const used = new Set<string>();
  const bind = (name: ts.BindingName) => {
    if (ts.isIdentifier(name)) declared.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
  };
  const visit = (node: ts.Node) => {
    // Parameters are not top-level names: a block's `(inventory) => ...` leaves `inventory` free outside.
    if (ts.isVariableDeclaration(node)) bind(node.name);
    else if (
      (ts.isFunctionDeclaration(node) ||
        ts.isClassDeclaration(node) ||
        ts.isInterfaceDeclaration(node) ||
        ts.isTypeAliasDeclaration(node)) &&
      node.name
    )
      declared.add(node.name.text);
    else if (ts.isImportSpecifier(node) || ts.isNamespaceImport(node) || ts.isImportClause(node)) {
      if (node.name) declared.add(node.name.text);
    } else if (ts.isIdentifier(node)) {
      const parent = node.parent;
      const isPropertyName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        (ts.isPropertyAssignment(parent) && parent.name === node) ||
        (ts.isQualifiedName(parent) && parent.right === node);
      if (!isPropertyName) used.add(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { declared, used };
}

function moduleOf(example: Example, exports: Map<string, string>): string {
  const { declared, used } = namesOf(example.code);
  const imports = new Map<string, string[]>();
  const lines: string[] = [];
  for (const name of [...used].sort()) {
    if (declared.has(name)) continue;
    const entry = exports.get(name);
    if (entry !== undefined) imports.set(entry, [...(imports.get(entry) ?? []), name]);
    else if (OTHER_IMPORTS[name] !== undefined) lines.push(OTHER_IMPORTS[name]);
    else if (GIVEN[name] !== undefined) lines.push(`declare const ${name}: ${GIVEN[name]};`);
  }
  for (const [entry, names] of imports) lines.unshift(`import { ${names.join(', ')} } from '${entry}';`);
  return [
    `// ${example.file}:${example.line} (${example.owner})`,
    ...lines,
    '// --- the example ---',
    example.code,
    'export {};',
  ].join('\n');
}

const exports = entryExports();
const examples = sourceFiles(join(repo, 'src'))
  .sort()
  .flatMap((file) => collectExamples(file, exports));
const dir = mkdtempSync(join(tmpdir(), 'escalator-examples-'));
try {
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n');
  symlinkSync(repo, join(dir, 'node_modules', 'escalator'));
  symlinkSync(join(repo, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'));
  symlinkSync(join(repo, 'node_modules', 'yaml'), join(dir, 'node_modules', 'yaml'));
  const names: string[] = [];
  examples.forEach((example, i) => {
    const name = `example-${String(i).padStart(3, '0')}.ts`;
    names.push(name);
    writeFileSync(join(dir, name), moduleOf(example, exports));
  });
  const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [
    tsc,
    '--noEmit',
    '--strict',
    '--skipLibCheck',
    'false',
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--target',
    'es2023',
    '--lib',
    'es2023',
    '--types',
    'node',
    '--pretty',
    'false',
    ...names,
  ];
  const result = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
  const output = `${result.stdout}${result.stderr}`.trim();
  // Each error names its example module; say where the example is in src/.
  const report = output.replace(/^(example-(\d+)\.ts)\((\d+),(\d+)\)/gm, (whole, _file, index: string) => {
    const example = examples[Number(index)];
    return example ? `${example.file}:${example.line} (${example.owner}) ${whole}` : whole;
  });
  if (result.status !== 0) {
    console.error(report);
    console.error(`\ncheck-examples: ${examples.length} examples, some do not compile (modules in ${dir})`);
    process.exitCode = 1;
  } else console.log(`check-examples: ${examples.length} examples from src/ compile against the package`);
} finally {
  if (keep || process.exitCode === 1) console.error(`check-examples: kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
