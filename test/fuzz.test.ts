/**
 * Property tests of the loader: whatever text it is given, parseInventory and parseCampaign either
 * return a document or throw a DocumentError (ESC_INVALID_DOCUMENT) whose issues all have a line and
 * a column inside the text. Never another exception, never a crash, never a polluted prototype.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  DocumentError,
  EscalatorError,
  type Inventory,
  parseCampaign,
  parseInventory,
} from '../src/index.js';
import {
  FULL_CAMPAIGN_YAML,
  FULL_INVENTORY_YAML,
  minimalCampaign,
  minimalInventory,
} from './support/documents.js';

type Parse = (text: string) => unknown;

const inventory: Parse = (text) => parseInventory(text, { file: 'fuzz.yaml' });
const campaign: Parse = (text) => parseCampaign(text, { file: 'fuzz.yaml' });
const fullInventory: Inventory = parseInventory(FULL_INVENTORY_YAML);
const campaignWithInventory: Parse = (text) => parseCampaign(text, { inventory: fullInventory });
const PARSERS: readonly Parse[] = [inventory, campaign, campaignWithInventory];

/**
 * Parses `text`; returns the document, or the DocumentError after checking that it is well formed.
 * Any other exception propagates and fails the property.
 */
function outcome(parse: Parse, text: string): unknown {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    if (!EscalatorError.is(error) || error.code !== 'ESC_INVALID_DOCUMENT') throw error;
    expect(error).toBeInstanceOf(DocumentError);
    const { issues } = error as DocumentError;
    expect(issues.length).toBeGreaterThan(0);
    const lines = text.split('\n');
    for (const issue of issues) {
      expect(Number.isInteger(issue.line) && Number.isInteger(issue.column), JSON.stringify(issue)).toBe(
        true,
      );
      const line = issue.line ?? 0;
      expect(line).toBeGreaterThanOrEqual(1);
      expect(line).toBeLessThanOrEqual(lines.length);
      expect(issue.column).toBeGreaterThanOrEqual(1);
      expect(issue.column).toBeLessThanOrEqual((lines[line - 1]?.length ?? 0) + 1);
      expect(issue.message.length).toBeGreaterThan(0);
    }
    // The yaml parser may report one syntax error twice (once per unclosed collection); ours must not.
    const checked = issues.filter((i) => i.code !== 'syntax');
    const distinct = new Set(checked.map((i) => JSON.stringify([i.path, i.message, i.line, i.column])));
    expect(distinct.size, `no issue is reported twice: ${error.message}`).toBe(checked.length);
    return error;
  }
  expect(typeof value === 'object' && value !== null).toBe(true);
  return value;
}

/** Every parser, on one text. */
function everyParser(text: string): void {
  for (const parse of PARSERS) outcome(parse, text);
}

afterEach(() => {
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(Object.getPrototypeOf(Object.prototype)).toBeNull();
});

/** Keys that have tripped up JavaScript object handling, and keys the documents use. */
const key = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 12 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'name',
      'nodes',
      'roles',
      'software',
      'members',
      'apiVersion',
      'kind',
      'metadata',
      'target',
      'strategy',
      'components',
      'nova-compute',
      'kernel',
    ),
  },
);

/** Values picked to sit on the schema's edges. */
const edgy = fc.constantFrom<unknown>(
  0,
  -0,
  -1,
  0.5,
  1,
  65535,
  65536,
  1000,
  1001,
  31_536_000,
  31_536_001,
  2 ** 53 - 1,
  2 ** 53 + 2,
  1e308,
  -1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  '',
  ' ',
  '__proto__',
  'constructor',
  'toString',
  'x'.repeat(254),
  '10%',
  '100%',
  '100.5%',
  '0%',
  '9.0',
  '2026-12-01T06:00:00Z',
  'https://vnfm.example.org',
  'javascript:alert(1)',
  'cmp-1',
  'ctl-1',
  'galera',
  'sg-a',
  'vnf-a',
  'site-a',
  'az2',
  'compute',
  'controller',
  'anti-affinity',
  'affinity',
  'live',
  'nova-compute',
  'kernel',
  true,
  false,
  null,
  [],
  {},
  ['cmp-1', 'cmp-1'],
  { vcpus: 1e9, memoryMiB: 1, diskGiB: 1 },
  { __proto__: null, polluted: true },
);

const value = fc.oneof(
  { weight: 2, arbitrary: edgy },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.dictionary(key, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }) },
);

type Json = unknown;
type Path = (string | number)[];

/** Every path to a value in a JSON-like tree, the root excluded. */
function paths(root: Json): Path[] {
  const out: Path[] = [];
  const stack: [Json, Path][] = [[root, []]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, path] = top;
    if (path.length > 0) out.push(path);
    if (Array.isArray(node)) {
      for (const [i, child] of node.entries()) stack.push([child, [...path, i]]);
    } else if (typeof node === 'object' && node !== null)
      for (const [k, child] of Object.entries(node)) stack.push([child, [...path, k]]);
  }
  return out;
}

interface Mutation {
  readonly kind: 'replace' | 'delete' | 'rename' | 'insert';
  readonly pick: number;
  readonly value: unknown;
  readonly key: string;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('replace', 'replace', 'delete', 'rename', 'insert'),
  pick: fc.nat(),
  value,
  key,
});

/** Applies a mutation to the value at a picked path (in place). */
function mutate(doc: Json, m: Mutation): void {
  const all = paths(doc);
  const path = all[m.pick % Math.max(1, all.length)];
  if (!path) return;
  const parent = path
    .slice(0, -1)
    .reduce<Json>((node, part) => (node as Record<string | number, Json>)[part], doc);
  const last = path.at(-1) as string | number;
  const holder = parent as Record<string | number, Json>;
  // Always a copy: fc.constantFrom hands out the same object every run; placed twice (or inside
  // itself) it makes later documents cyclic, and paths() never ends.
  const value = structuredClone(m.value);
  if (m.kind === 'replace') holder[last] = value;
  else if (m.kind === 'delete') {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else delete holder[last];
  } else if (m.kind === 'rename' && !Array.isArray(parent)) {
    const moved = holder[last];
    delete holder[last];
    Object.defineProperty(holder, m.key, {
      value: moved,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else if (Array.isArray(parent)) parent.push(structuredClone(parent[0] ?? value));
  else
    Object.defineProperty(holder, m.key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
}

const serialise = (doc: Json, yaml: boolean): string =>
  yaml ? stringifyYaml(doc) : JSON.stringify(doc, null, 2);

const inventoryBases = [parseYaml(FULL_INVENTORY_YAML) as Json, minimalInventory() as Json];
const campaignBases = [parseYaml(FULL_CAMPAIGN_YAML) as Json, minimalCampaign() as Json];

/** A valid document with one to four mutations, as YAML or JSON text. */
const mutated = (bases: readonly Json[]) =>
  fc
    .record({
      base: fc.nat({ max: bases.length - 1 }),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
      yaml: fc.boolean(),
    })
    .map(({ base, mutations, yaml }) => {
      const doc = structuredClone(bases[base]);
      for (const m of mutations) mutate(doc, m);
      return serialise(doc, yaml);
    });

/** A value that parses is stable: serialised and parsed again, it is the same document. */
function stable(parse: Parse, text: string): void {
  const result = outcome(parse, text);
  if (result instanceof DocumentError) return;
  const again = JSON.stringify(parse(JSON.stringify(result)));
  expect(again).toBe(JSON.stringify(result));
}

describe('the loader never throws anything but a positioned DocumentError', () => {
  it('on random JSON values, as JSON text', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => everyParser(JSON.stringify(v))),
      { numRuns: 300 },
    );
  });

  it('on random JSON values, as YAML text', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => everyParser(stringifyYaml(v))),
      { numRuns: 300 },
    );
  });

  it('on anything JavaScript can hold, mapped to JSON', () => {
    const anything = fc.anything({
      key,
      maxDepth: 5,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withDate: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
      withObjectString: true,
    });
    fc.assert(
      fc.property(anything, (v) => {
        const text = JSON.stringify(v) ?? 'null';
        everyParser(text);
        everyParser(
          `{"apiVersion":"escalator/v1","kind":"Inventory","metadata":{"name":"x"},"nodes":${text}}`,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('on mutated valid inventories (fields replaced, deleted, renamed, added), and stable when valid', () => {
    fc.assert(
      fc.property(mutated(inventoryBases), (text) => stable(inventory, text)),
      { numRuns: 500 },
    );
  });

  it('on mutated valid campaigns, alone and against an inventory, and stable when valid', () => {
    fc.assert(
      fc.property(mutated(campaignBases), (text) => {
        stable(campaign, text);
        stable(campaignWithInventory, text);
      }),
      { numRuns: 400 },
    );
  });

  it('on random strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ maxLength: 300 })),
        everyParser,
      ),
      { numRuns: 300 },
    );
  });

  it('on random bytes read as latin1', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
        everyParser,
      ),
      { numRuns: 300 },
    );
  });

  it('on soups of YAML tokens', () => {
    const token = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ': ',
      ':',
      ', ',
      '- ',
      '-',
      '\n',
      '\n  ',
      '  ',
      '\t',
      '"',
      "'",
      '&a ',
      '*a',
      '!!binary ',
      '!!str ',
      '!tag ',
      '# c',
      '---\n',
      '...\n',
      '? ',
      '|\n',
      '>-\n',
      '%YAML 1.2\n',
      '<<: *a',
      'key',
      'nodes',
      'apiVersion: escalator/v1\n',
      'kind: Inventory\n',
      '1e999',
      '-.inf',
      '.nan',
      '0x1F',
      '~',
      '\\',
      '\u2028',
      '\uFEFF',
      '\r\n',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (tokens) => everyParser(tokens.join(''))),
      { numRuns: 400 },
    );
  });

  it('on soups of JSON tokens', () => {
    const token = fc.constantFrom(
      '{',
      '}',
      '[',
      ']',
      ':',
      ',',
      '"a"',
      '"nodes"',
      '"name"',
      '"__proto__"',
      '"\\u0000"',
      '"\\"',
      '"\\ud800"',
      '1',
      '-0',
      '1e999',
      '-1e-999',
      'true',
      'null',
      'NaN',
      ' ',
      '\n',
      '\r\n',
      '\t',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (tokens) => everyParser(`{${tokens.join('')}`)),
      { numRuns: 300 },
    );
  });

  it('on random nesting depths around the YAML limit', () => {
    const opener = fc.constantFrom('[', '{"a":', '{a: ', '- ');
    fc.assert(
      fc.property(opener, fc.nat({ max: 400 }), fc.boolean(), (open, depth, close) => {
        const closer = open === '[' ? ']' : open.startsWith('{') ? '}' : '';
        const text = `x: ${open.repeat(depth)}1${close ? closer.repeat(depth) : ''}`;
        outcome(inventory, text);
        outcome(inventory, `${open.repeat(depth)}1${close ? closer.repeat(depth) : ''}`);
      }),
      { numRuns: 100 },
    );
  });
});

describe('the loader on extreme inputs', () => {
  const depth = 100_000;

  it('reports 100000 unclosed JSON brackets at the end of the text', () => {
    const error = outcome(inventory, '['.repeat(depth)) as DocumentError;
    expect(error.issues).toEqual([
      {
        code: 'syntax',
        path: [],
        message: 'invalid JSON: Unexpected end of JSON input',
        line: 1,
        column: depth + 1,
      },
    ]);
  });

  it('reads 100000 balanced JSON brackets, and says it is not a document', () => {
    const error = outcome(campaign, '['.repeat(depth) + ']'.repeat(depth)) as DocumentError;
    expect(error.issues.map((i) => i.message)).toEqual([
      'expected a Campaign document (an object with apiVersion, kind, metadata, target), got a list of 1',
    ]);
  });

  it('positions a field after 100000 levels of JSON nesting', () => {
    const deep = '['.repeat(depth) + ']'.repeat(depth);
    const text = `{"metadata":{"name":"x","labels":${deep}},"kind":"Nope"}`;
    const error = outcome(inventory, text) as DocumentError;
    const kind = error.issues.find((i) => i.path.join('.') === 'kind');
    expect(kind).toMatchObject({ line: 1, column: text.indexOf('"Nope"') + 1 });
  });

  it.each([
    ['unclosed flow sequences', `a: ${'['.repeat(depth)}`, 1, 260],
    ['balanced flow sequences', `a: ${'['.repeat(depth / 4)}${']'.repeat(depth / 4)}`, 1, 260],
    ['compact block sequences', `${'- '.repeat(depth / 2)}x`, 1, 515],
    [
      'indented block sequences',
      Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i)}-`).join('\n'),
      258,
      258,
    ],
  ])('refuses YAML nested thousands deep (%s) without crashing', (_, text, line, column) => {
    const error = outcome(inventory, text) as DocumentError;
    expect(error.issues).toEqual([
      { code: 'syntax', path: [], message: 'invalid YAML: nested more than 256 levels deep', line, column },
    ]);
  });

  it('accepts YAML nested as deep as the limit allows', () => {
    const error = outcome(
      inventory,
      `metadata: { labels: ${'['.repeat(254)}${']'.repeat(254)} }`,
    ) as DocumentError;
    expect(error.issues.map((i) => i.code)).not.toContain('syntax');
  });

  it.each([
    ['1e400', 'expected a number, 0 or more, got Infinity'],
    ['-1e400', 'expected a number, 0 or more, got -Infinity'],
    ['.inf', 'expected a number, 0 or more, got Infinity'],
    ['.nan', 'expected a number, 0 or more, got NaN'],
    ['123456789012345678901234567890', 'expected a number, 0 or more, got 1.2345678901234568e+29'],
    ['9007199254740993', 'expected a number, 0 or more, got 9007199254740992'],
  ])('refuses the huge or odd number %s where an amount is expected', (number, message) => {
    const text = FULL_INVENTORY_YAML.replace('vcpus: 64', `vcpus: ${number}`);
    const error = outcome(inventory, text) as DocumentError;
    expect(error.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['nodes.1.capacity.vcpus', message],
    ]);
  });

  it.each([
    ['1e400', 'got Infinity'],
    ['1e308', 'got 1e+308'],
    ['9007199254740993', 'got 9007199254740992'],
    ['"1e400%"', 'got "1e400%"'],
  ])('refuses the huge maxParallel %s', (number, got) => {
    const text = FULL_CAMPAIGN_YAML.replace('maxParallel: 4', `maxParallel: ${number}`);
    const error = outcome(campaign, text) as DocumentError;
    expect(error.issues.map((i) => i.message)).toEqual([
      `expected a positive integer or a percentage like "10%", ${got}`,
    ]);
  });

  it('reads a 2 MB JSON inventory with 5000 nodes', () => {
    const doc = minimalInventory();
    for (let i = 0; i < 5000; i++)
      doc.nodes.push({
        name: `n-${i}`,
        roles: ['compute'],
        capacity: { vcpus: 64, memoryMiB: 262144, diskGiB: 2000 },
        software: { 'nova-compute': '26.2.2', kernel: '6.1.0-18' },
      });
    const result = outcome(inventory, JSON.stringify(doc)) as Inventory;
    expect(result.nodes).toHaveLength(5004);
  });
});
