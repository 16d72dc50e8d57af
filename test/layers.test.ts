/**
 * The rooms of `src/` and which way imports may run between them. A room is the first folder under
 * `src/` (`src/adapters/<x>` all belong to `adapters`; `src/errors.ts` and `src/index.ts` are rooms of
 * their own). Rooms are ranked, lowest first; a file may import from its own room and from lower ranks,
 * never from a higher one, and rooms of one rank only where an exception below says so. On top of the
 * ranking, folders must not form an import cycle, and a few file-level rules guard mistakes the
 * ranking cannot see. The arrow counts are printed so a reader can see the shape of the code.
 */
import { describe, expect, it } from 'vitest';
import { type ImportEdge, importEdges, roomArrows, roomOf, srcDirectory } from '../scripts/import-graph.js';

/**
 * Lowest first. Why each room sits where it does:
 * - `errors`, `util`: depend on nothing of ours.
 * - `ports` (what the engine needs from the world) and `model` (the documents and their meaning,
 *   `model/scope.ts` included): the vocabulary everything else speaks.
 * - `catalog` reads components of the model; `clock` and `logging` implement their ports.
 * - `loader` parses and checks documents (catalog, model).
 * - `auth` reads token files with the loader's document parser, hence above it.
 * - `checker` and `planner` work on documents only (see the exception for planner -> checker).
 * - `engine` runs a plan: it may call the planner (re-plan), the checker, and every port.
 * - `adapters` and `stores` implement ports (VIM, hypervisor, VNFM, state store); nothing below the
 *   composition roots picks a concrete one, and they never reach into the engine or planning
 *   (see {@link NEVER}).
 * - `config` loads and resolves escalator.yaml into the options of the adapters and the engine's policy
 *   input: it names their option types (type-only imports, see {@link TYPE_ONLY}) and builds nothing;
 *   the composition roots (cli, index) do.
 * - `simulator` wires a fake cloud to the engine; `testing` helps hosts test (may use the simulator);
 *   `http` and `cli` are front doors; `index` is the public API.
 */
const RANKS: readonly (readonly string[])[] = [
  ['errors'],
  ['util'],
  ['ports', 'model'],
  ['catalog', 'clock', 'logging'],
  ['loader'],
  ['auth'],
  ['checker', 'planner'],
  ['engine'],
  ['adapters', 'stores'],
  ['config'],
  ['simulator'],
  ['testing'],
  ['http'],
  ['cli'],
  ['index'],
];

/** Imports between rooms of one rank that are allowed, each with its reason. */
const SAME_RANK_ALLOWED: readonly { from: string; to: string; why: string }[] = [
  {
    from: 'planner',
    to: 'checker',
    why: 'the exact search confirms a complete plan with the independent checker before returning it',
  },
];

/** Imports a higher room must still not make, each with its reason. */
const NEVER: readonly { from: string; to: string; why: string }[] = [
  ...['adapters', 'stores'].flatMap((from) =>
    ['planner', 'checker', 'engine'].map((to) => ({
      from,
      to,
      why: 'port implementations know their port, not the engine or planning',
    })),
  ),
];

/**
 * Rooms a room may import only types from (and only these files of them), each with its reason. An import
 * of a value, or of another file of the room, is reported even when the ranking allows it.
 */
const TYPE_ONLY: readonly { from: string; to: string; files?: readonly string[]; why: string }[] = [
  {
    from: 'config',
    to: 'adapters',
    why: "config returns the adapters' options; creating adapters is for composition roots",
  },
  {
    from: 'config',
    to: 'engine',
    files: ['engine/policy.ts'],
    why: "config maps onto the engine's policy input and never runs the engine",
  },
];

/**
 * Concrete stores are chosen only by composition roots: anything else shares what it needs through
 * `stores/journal-format.ts` (id rules, entry checks), so one store never imports another and the HTTP
 * API does not load the file store for a regular expression.
 */
const CONCRETE_STORES = ['stores/file-store.ts', 'stores/memory-store.ts'];
const STORE_CHOOSERS = new Set(['simulator', 'cli', 'index']);

const rankOf = new Map(RANKS.flatMap((rooms, rank) => rooms.map((room) => [room, rank] as const)));

/** Every way `edges` break the rules above, one message each (empty when the layout is sound). */
function layeringProblems(edges: readonly ImportEdge[]): string[] {
  const problems: string[] = [];
  const where = (e: ImportEdge) => `src/${e.from} imports src/${e.to}`;
  for (const edge of edges) {
    const from = roomOf(edge.from);
    const to = roomOf(edge.to);
    if (CONCRETE_STORES.includes(edge.to) && edge.from !== 'stores/index.ts' && !STORE_CHOOSERS.has(from))
      problems.push(`${where(edge)}: only ${[...STORE_CHOOSERS].join(', ')} pick a concrete store`);
    if (from === to) continue;
    const fromRank = rankOf.get(from);
    const toRank = rankOf.get(to);
    if (fromRank === undefined || toRank === undefined) {
      problems.push(`${where(edge)}: room "${fromRank === undefined ? from : to}" has no rank in RANKS`);
      continue;
    }
    if (fromRank < toRank)
      problems.push(`${where(edge)}: ${from} (rank ${fromRank}) < ${to} (rank ${toRank})`);
    else if (fromRank === toRank && !SAME_RANK_ALLOWED.some((a) => a.from === from && a.to === to))
      problems.push(
        `${where(edge)}: ${from} and ${to} share rank ${fromRank} and must not import each other`,
      );
    const never = NEVER.find((n) => n.from === from && n.to === to);
    if (never) problems.push(`${where(edge)}: ${never.why}`);
    const typeOnly = TYPE_ONLY.find((t) => t.from === from && t.to === to);
    if (typeOnly && (!edge.typeOnly || (typeOnly.files !== undefined && !typeOnly.files.includes(edge.to))))
      problems.push(
        `${where(edge)}: only type imports${typeOnly.files ? ` of ${typeOnly.files.join(', ')}` : ''}; ${typeOnly.why}`,
      );
  }
  return problems;
}

/** Folder-level import cycles (strongly connected sets of more than one room), as room lists. */
function roomCycles(edges: readonly ImportEdge[]): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    const from = roomOf(e.from);
    const to = roomOf(e.to);
    if (!graph.has(from)) graph.set(from, new Set());
    if (!graph.has(to)) graph.set(to, new Set());
    if (from !== to) graph.get(from)?.add(to);
  }
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({ from, to, typeOnly });

describe('layers of src/', () => {
  const edges = importEdges(srcDirectory());

  it('runs every import from a room to the same or a lower one', () => {
    const arrows = roomArrows(edges);
    console.log(
      `imports between rooms (${arrows.size} arrows):\n${[...arrows].map(([a, n]) => `${String(n).padStart(4)}  ${a}`).join('\n')}`,
    );
    expect(edges.length).toBeGreaterThan(100); // the parser found the imports at all
    expect(layeringProblems(edges)).toEqual([]);
  });

  it('has no import cycle between folders', () => {
    expect(roomCycles(edges)).toEqual([]);
  });

  it('gives every room a rank', () => {
    const rooms = new Set(edges.flatMap((e) => [roomOf(e.from), roomOf(e.to)]));
    expect([...rooms].filter((r) => !rankOf.has(r))).toEqual([]);
  });

  // The wrong-way imports this layout removed: the rules must keep reporting each if it comes back.
  it.each([
    ['checker/verify-plan.ts', 'planner/scope.ts'],
    ['model/summary.ts', 'planner/scope.ts'],
    ['simulator/cloud.ts', 'testing/synthetic-cloud.ts'],
    ['http/schemas.ts', 'stores/file-store.ts'],
    ['http/service.ts', 'stores/file-store.ts'],
    ['stores/memory-store.ts', 'stores/file-store.ts'],
    ['stores/file-store.ts', 'engine/journal.ts'],
  ])('reports %s -> %s', (from, to) => {
    const problems = layeringProblems([edge(from, to)]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`src/${from} imports src/${to}`);
  });

  it.each([
    ['config/x.ts', 'engine/runner.ts', true],
    ['config/x.ts', 'engine/policy.ts', false],
    ['config/x.ts', 'adapters/openstack/keystone.ts', false],
    ['config/x.ts', 'cli/workspace.ts', true],
    ['loader/load.ts', 'config/load.ts', true],
  ])('reports %s -> %s (type only: %s)', (from, to, typeOnly) => {
    const problems = layeringProblems([edge(from, to, typeOnly)]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`src/${from} imports src/${to}`);
  });

  it('allows config to name the engine policy and adapter option types', () => {
    const allowed = [
      'engine/policy.ts',
      'adapters/openstack/keystone.ts',
      'adapters/ssh/openssh-transport.ts',
    ]
      .map((to) => edge('config/x.ts', to, true))
      .concat(['loader/source.ts', 'model/config.ts', 'errors.ts'].map((to) => edge('config/x.ts', to)));
    expect(layeringProblems(allowed)).toEqual([]);
  });

  it('reports a cycle between folders', () => {
    const cycles = roomCycles([
      edge('planner/exact.ts', 'checker/verify-plan.ts'),
      edge('checker/a.ts', 'planner/b.ts'),
    ]);
    expect(cycles).toEqual([['checker', 'planner']]);
  });

  it('allows what the engine is built from', () => {
    const engine = ['planner/create-plan.ts', 'checker/verify-plan.ts', 'model/plan.ts', 'ports/vim.ts']
      .concat(['catalog/catalog.ts', 'util/map-limit.ts', 'errors.ts', 'clock/index.ts', 'logging/index.ts'])
      .map((to) => edge('engine/steps/example.ts', to));
    expect(layeringProblems(engine)).toEqual([]);
  });
});
