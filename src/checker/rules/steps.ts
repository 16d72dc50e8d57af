/**
 * Rule 9, steps: the engine runs a wave's `steps` as written, so the waves' nodes and migrations being
 * right is not enough. Every step must act only on its own wave's nodes (and on instances still on
 * them), use a kind the node's roles allow, match the migrations its wave declares, carry the
 * campaign's versions, and be ordered after the node's earlier steps through `after`; every node of
 * a wave must have the steps it needs; `after` must name earlier or same-wave steps without a cycle.
 *
 * The per-node order is checked through the node's own steps only (a path through another node's
 * steps does not count): that keeps the rule linear in the plan's size, and the planner always
 * writes a node's chain directly.
 *
 * @internal
 * @module
 */
import type { Campaign } from '../../model/campaign.js';
import type { Migration, Plan, Step, StepKind, StepOf, Wave } from '../../model/plan.js';
import { type Findings, ViolationCode } from '../violations.js';
import type { Index } from './inventory-index.js';
import type { Placement } from './placement.js';

/** The order of a node's step kinds; a migration belongs to its source node. */
const NODE_ORDER = [
  'disable-compute',
  'migrate',
  'stop-instances',
  'check-empty',
  'backup',
  'upgrade-packages',
  'reboot',
  'wait-node',
  'verify-services',
  'start-instances',
  'enable-compute',
] as const satisfies readonly StepKind[];
const RANKS = NODE_ORDER.length;
const RANK = new Map<StepKind, number>(NODE_ORDER.map((kind, r) => [kind, r]));
const MIGRATE_RANK = RANK.get('migrate') ?? 1;

/** Kinds that only make sense on a compute node (they talk to its hypervisor or scheduler). */
const COMPUTE_ONLY: ReadonlySet<StepKind> = new Set<StepKind>([
  'disable-compute',
  'migrate',
  'stop-instances',
  'check-empty',
  'start-instances',
  'enable-compute',
]);
/** Steps every upgraded node needs, and those a compute needs besides. */
const REQUIRED: readonly StepKind[] = ['upgrade-packages', 'verify-services'];
const REQUIRED_COMPUTE: readonly StepKind[] = ['disable-compute', 'check-empty', 'enable-compute'];

/** The steps of one node in one wave, by rank. */
interface NodeSteps {
  readonly name: string;
  /** Position in the wave of the node's step of each rank, -1 when absent (first one for migrate). */
  readonly first: Int32Array;
  readonly count: Int32Array;
  /** Level of each rank among the ranks present, -1 when absent; filled once all steps are seen. */
  readonly level: Int8Array;
  /** Rank at each level. */
  readonly rankAt: number[];
  readonly migrations: number[];
}

/** A wave's steps in an order that puts each after its parents, and each step's same-wave parents. */
interface WaveGraph {
  readonly order: Int32Array;
  readonly parentsOf: readonly (readonly number[])[];
}

/** An `after` list resolved: positions of its same-wave steps, and the names it may not use (with their wave). */
interface Resolved {
  readonly parents: readonly number[];
  readonly unknown: readonly (readonly [string, number | undefined])[];
}

/** True when a migrate step is the declared migration `m` (same instance, ends, mode and batch). */
function sameMigration(m: Migration, s: StepOf<'migrate'>): boolean {
  return (
    m.instance === s.instance &&
    m.from === s.from &&
    m.to === s.to &&
    m.mode === s.mode &&
    m.batch === s.batch
  );
}

/** How a step is named in messages. */
function tag(s: Step, w: number): string {
  return `step "${s.id}" (${s.kind}) of wave ${w}`;
}

/**
 * Rule 9 (see the module comment). Built once per check: it indexes every step id of the plan, for
 * duplicate ids and for `after` references to other waves; then {@link StepRules.wave} checks each
 * wave, after its migrations were applied to the placement. @internal
 */
export class StepRules {
  /** Each step id (its first use) to its number in the plan: its wave and position are below. */
  readonly #number = new Map<string, number>();
  readonly #waveOf: number[] = [];
  readonly #positionOf: number[] = [];
  readonly #vnfId: ReadonlyMap<string, number>;

  constructor(
    private readonly findings: Findings,
    private readonly index: Index,
    private readonly p: Placement,
    private readonly target: Campaign['target'],
    plan: Plan,
  ) {
    this.#vnfId = new Map(p.vnfs.map((v, i) => [v.name, i]));
    plan.waves.forEach((wave, w) => {
      wave.steps.forEach((s, j) => {
        const first = this.#number.get(s.id);
        if (first === undefined) {
          this.#number.set(s.id, this.#waveOf.length);
          this.#waveOf.push(w);
          this.#positionOf.push(j);
        } else
          findings.add(
            ViolationCode.StepId,
            w,
            [s.id],
            `step id "${s.id}" of wave ${w} is already used by a step of wave ${this.#waveOf[first]}`,
          );
      });
    });
  }

  /** Checks the steps of wave `w`, whose known nodes are `members`. */
  wave(wave: Wave, w: number, members: ReadonlySet<string>): void {
    const steps = wave.steps;
    const n = steps.length;

    // The node whose order each step takes part in (-1: none), and that node's steps.
    const owner = new Int32Array(n).fill(-1);
    const nodes: NodeSteps[] = [];
    const nodeOf = new Map<string, number>();
    // The declared migrations by instance (a chain when one is declared twice), and which have a step.
    const declared = wave.migrations;
    const firstOf = new Map<string, number>();
    const sameNext = new Int32Array(declared.length).fill(-1);
    const lastOf = new Map<string, number>();
    declared.forEach((m, k) => {
      const last = lastOf.get(m.instance);
      if (last === undefined) firstOf.set(m.instance, k);
      else sameNext[last] = k;
      lastOf.set(m.instance, k);
    });
    const matched = new Uint8Array(declared.length);

    steps.forEach((s, j) => {
      if (s.kind === 'notify-vnf' || s.kind === 'notify-vnf-done') {
        this.#vnfTargets(s, w);
        return;
      }
      let nodeName: string;
      if (s.kind === 'migrate') {
        nodeName = s.from;
        // One step per declared migration: a second step of an instance is a repeat only when no
        // declaration of it is left (a declaration repeated is the migration rules' finding).
        let match = -1;
        let repeated = false;
        for (let k = firstOf.get(s.instance) ?? -1; k >= 0; k = sameNext[k]!) {
          if (matched[k] === 1) repeated = true;
          else if (match < 0 && sameMigration(declared[k]!, s)) match = k;
        }
        if (match < 0 && repeated) {
          this.findings.add(
            ViolationCode.StepRepeated,
            w,
            [s.id, s.instance],
            `${tag(s, w)} migrates "${s.instance}" again: one migrate step per instance and wave`,
          );
          return;
        }
        if (match >= 0) matched[match] = 1;
        else {
          const first = firstOf.get(s.instance);
          const d = first === undefined ? undefined : declared[first];
          this.findings.add(
            ViolationCode.StepMigration,
            w,
            [s.id, s.instance],
            `${tag(s, w)} moves "${s.instance}" from "${s.from}" to "${s.to}" (${s.mode}, batch ${s.batch}), ` +
              (d === undefined
                ? `but wave ${w} declares no migration of it`
                : `but wave ${w} declares it from "${d.from}" to "${d.to}" (${d.mode}, batch ${d.batch})`),
          );
          return;
        }
        // A matching migration's source and target are judged by the migration rules.
        if (!members.has(nodeName)) return;
      } else {
        nodeName = s.node;
        if (!members.has(nodeName)) {
          this.findings.add(
            ViolationCode.StepTarget,
            w,
            [s.id, nodeName],
            `${tag(s, w)} acts on node "${nodeName}", which ${
              this.index.nodes.has(nodeName) ? `is not a node of wave ${w}` : 'is not in the inventory'
            }`,
          );
          return;
        }
      }
      // Members are known nodes.
      const node = this.index.nodes.get(nodeName);
      if (node === undefined) return;
      if (COMPUTE_ONLY.has(s.kind) && !node.roles.includes('compute')) {
        this.findings.add(
          ViolationCode.StepRole,
          w,
          [s.id, nodeName],
          `${tag(s, w)} is a compute step, but node "${nodeName}" has roles ${node.roles.join(', ')}`,
        );
        return;
      }
      if (s.kind === 'stop-instances' || s.kind === 'start-instances' || s.kind === 'check-empty')
        this.#nodeInstances(s, s.node, s.instances, w);
      if (s.kind === 'upgrade-packages') {
        this.#software(s, w, s.node, s.software, 'target', 'software');
        this.#software(s, w, s.node, s.previous, 'installed', 'previous');
      } else if (s.kind === 'verify-services') this.#software(s, w, s.node, s.software, 'target', 'software');
      else if (s.kind === 'backup') this.#software(s, w, s.node, s.software, 'installed', 'software');

      let o = nodeOf.get(nodeName);
      if (o === undefined) {
        o = nodes.length;
        nodeOf.set(nodeName, o);
        nodes.push({
          name: nodeName,
          first: new Int32Array(RANKS).fill(-1),
          count: new Int32Array(RANKS),
          level: new Int8Array(RANKS).fill(-1),
          rankAt: [],
          migrations: [],
        });
      }
      const ns = nodes[o]!;
      const r = RANK.get(s.kind) ?? 0;
      if (r !== MIGRATE_RANK && ns.count[r]! > 0) {
        this.findings.add(
          ViolationCode.StepRepeated,
          w,
          [s.id, nodeName],
          `${tag(s, w)} repeats the ${s.kind} step "${steps[ns.first[r]!]?.id}" of node "${nodeName}"`,
        );
        return;
      }
      if (ns.first[r] === -1) ns.first[r] = j;
      ns.count[r]!++;
      if (r === MIGRATE_RANK) ns.migrations.push(j);
      owner[j] = o;
    });

    declared.forEach((m, k) => {
      if (matched[k] === 0)
        this.findings.add(
          ViolationCode.StepMigration,
          w,
          [m.instance],
          `wave ${w} declares the migration of "${m.instance}" from "${m.from}" to "${m.to}" but has no migrate step for it`,
        );
    });

    for (const ns of nodes)
      for (let r = 0; r < RANKS; r++)
        if (ns.count[r]! > 0) {
          ns.level[r] = ns.rankAt.length;
          ns.rankAt.push(r);
        }
    this.#required(members, nodes, nodeOf, w);
    this.#noticesFirst(wave, nodes, w);
    this.#order(steps, this.#after(steps, w), owner, nodes, w);
  }

  /**
   * A compute node is emptied only once the managers of the VNFs it holds agreed: its disable-compute
   * names, in `after`, the wave's notify-vnf of each VNF with `maintenance.notify` that has instances
   * on the node when the wave starts (those that stay and those that move away).
   */
  #noticesFirst(wave: Wave, nodes: readonly NodeSteps[], w: number): void {
    const { p } = this;
    const notices = new Map<number, string>();
    for (const s of wave.steps) {
      const v = s.kind === 'notify-vnf' ? this.#vnfId.get(s.vnf) : undefined;
      if (v !== undefined && !notices.has(v)) notices.set(v, s.id);
    }
    const leaving = new Map<string, string[]>();
    for (const m of wave.migrations) leaving.set(m.from, [...(leaving.get(m.from) ?? []), m.instance]);
    const disableRank = RANK.get('disable-compute') ?? 0;
    for (const ns of nodes) {
      const j = ns.first[disableRank] ?? -1;
      const disable = j >= 0 ? wave.steps[j] : undefined;
      if (disable === undefined) continue;
      const nodeId = p.nodeId.get(ns.name);
      const held = new Set<number>();
      const add = (i: number | undefined) => {
        const v = i === undefined ? -1 : p.vnfOf[i]!;
        if (v >= 0 && p.vnfs[v]?.maintenance.notify) held.add(v);
      };
      if (nodeId !== undefined) for (const i of p.on(nodeId)) add(i);
      for (const name of leaving.get(ns.name) ?? []) add(p.findInstance(name, undefined, -1));
      const missing: string[] = [];
      for (const v of held) {
        const notice = notices.get(v);
        if (notice === undefined || !disable.after.includes(notice)) missing.push(p.vnfs[v]!.name);
      }
      if (missing.length > 0)
        this.findings.add(
          ViolationCode.VnfNotice,
          w,
          [disable.id, ...missing],
          `${tag(disable, w)} does not wait for the maintenance notice of ${missing.map((v) => `"${v}"`).join(', ')}, whose instances are on node "${ns.name}": name the wave's notify-vnf step of each in its after`,
        );
    }
  }

  /** Instances named by a node step must be known and, after the wave's migrations, on that node. */
  #nodeInstances(s: Step, nodeName: string, instances: readonly string[], w: number): void {
    const { p } = this;
    const nodeId = p.nodeId.get(nodeName);
    const problems: string[] = [];
    for (const name of instances) {
      const i = p.findInstance(name, nodeId, -1);
      if (i === undefined) problems.push(`"${name}" is not in the inventory`);
      else if (p.host[i] !== nodeId) problems.push(`"${name}" is on "${p.hostName(i)}" during the wave`);
    }
    if (problems.length > 0)
      this.findings.add(
        ViolationCode.StepTarget,
        w,
        [s.id, nodeName],
        `${tag(s, w)} names instances that do not stay on node "${nodeName}": ${problems.join('; ')}`,
      );
  }

  /** A VNF notice names a known VNF and only that VNF's instances. */
  #vnfTargets(s: Extract<Step, { vnf: string }>, w: number): void {
    const { p } = this;
    const v = this.#vnfId.get(s.vnf);
    const problems: string[] = [];
    if (v === undefined) problems.push(`VNF "${s.vnf}" is not in the inventory`);
    for (const name of s.instances) {
      const i = p.findInstance(name, undefined, -1);
      if (i === undefined) problems.push(`"${name}" is not in the inventory`);
      else if (v !== undefined && p.vnfOf[i] !== v)
        problems.push(`"${name}" is not an instance of "${s.vnf}"`);
    }
    if (problems.length > 0)
      this.findings.add(ViolationCode.StepTarget, w, [s.id, s.vnf], `${tag(s, w)}: ${problems.join('; ')}`);
  }

  /**
   * `software` holds exactly the node's outdated components, each at the campaign's target version
   * (`target`) or at the node's installed one (`installed`).
   */
  #software(
    s: Step,
    w: number,
    nodeName: string,
    software: Readonly<Record<string, string>>,
    want: 'target' | 'installed',
    field: string,
  ): void {
    const node = this.index.nodes.get(nodeName);
    const outdated = this.index.outdated.get(nodeName) ?? [];
    const problems: string[] = [];
    for (const c of outdated) {
      const expected = want === 'target' ? this.target.software[c] : node?.software[c];
      if (software[c] !== expected)
        problems.push(`${c} is ${software[c] ?? 'missing'}, expected ${expected ?? 'none'}`);
    }
    for (const c of Object.keys(software))
      if (!outdated.includes(c)) problems.push(`${c} is not an outdated component of the node`);
    if (problems.length > 0)
      this.findings.add(
        ViolationCode.StepSoftware,
        w,
        [s.id, nodeName],
        `${tag(s, w)} has ${field} that is not the ${want === 'target' ? "campaign's target" : "node's installed"} versions: ${problems.join('; ')}`,
      );
  }

  /** Each node the campaign upgrades in this wave has the steps it needs. */
  #required(
    members: ReadonlySet<string>,
    nodes: readonly NodeSteps[],
    nodeOf: ReadonlyMap<string, number>,
    w: number,
  ): void {
    for (const name of members) {
      // A node the campaign does not upgrade is already a node-unexpected violation.
      if (!this.index.required.has(name)) continue;
      const o = nodeOf.get(name);
      const ns = o === undefined ? undefined : nodes[o];
      const has = (kind: StepKind) => (ns?.count[RANK.get(kind) ?? 0] ?? 0) > 0;
      const needed = this.index.nodes.get(name)?.roles.includes('compute')
        ? [...REQUIRED_COMPUTE, ...REQUIRED]
        : REQUIRED;
      const missing = needed.filter((kind) => !has(kind));
      if (has('reboot') && !has('wait-node')) missing.push('wait-node');
      if (missing.length > 0)
        this.findings.add(
          ViolationCode.StepMissing,
          w,
          [name],
          `node "${name}" of wave ${w} has no ${missing.join(', ')} step`,
        );
    }
  }

  /**
   * `after` names known steps of this wave or an earlier one, and the wave's edges have no cycle.
   * Returns each step's same-wave parents (each once) and the steps in an order that puts every step
   * after its parents (a depth-first post-order; on a cycle, the order of its steps is arbitrary).
   */
  #after(steps: readonly Step[], w: number): WaveGraph {
    const n = steps.length;
    // Planners share one `after` list among many steps (every disable waits for the same notices):
    // resolving each list once keeps the rule near the plan's size in steps, not in edges.
    const resolved = new Map<readonly string[], Resolved>();
    const parentsOf: (readonly number[])[] = new Array(n);
    const single: (readonly number[] | undefined)[] = new Array(n);
    steps.forEach((s, j) => {
      const only = s.after.length === 1 ? this.#inWave(s.after[0]!, w) : undefined;
      if (only !== undefined) {
        // Most steps wait for one step of their own node: no list to build.
        single[only] ??= [only];
        parentsOf[j] = single[only];
        return;
      }
      let r = resolved.get(s.after);
      if (r === undefined) {
        r = this.#resolve(s.after, w);
        if (s.after.length > 1) resolved.set(s.after, r);
      }
      parentsOf[j] = r.parents;
      for (const [ref, other] of r.unknown)
        this.findings.add(
          ViolationCode.StepAfter,
          w,
          [s.id, ref],
          `${tag(s, w)} comes after "${ref}", ${other === undefined ? 'which is no step of the plan' : `a step of the later wave ${other}`}`,
        );
    });

    // Iterative depth-first search over parents: 0 unseen, 1 on the stack, 2 done. Once a step is
    // done, so is every step of its parent list (or a cycle was found): a shared list is walked once.
    const walked = new Set<readonly number[]>();
    const start = (j: number) => (walked.has(parentsOf[j]!) ? parentsOf[j]!.length : 0);
    const state = new Uint8Array(n);
    const order = new Int32Array(n);
    const stack = new Int32Array(n);
    const edge = new Int32Array(n);
    let done = 0;
    let cycle: number[] | undefined;
    for (let root = 0; root < n; root++) {
      if (state[root] !== 0) continue;
      let depth = 0;
      stack[0] = root;
      edge[0] = start(root);
      state[root] = 1;
      while (depth >= 0) {
        const j = stack[depth]!;
        const parents = parentsOf[j]!;
        const e = edge[depth]!;
        if (e < parents.length) {
          edge[depth] = e + 1;
          const pj = parents[e]!;
          if (state[pj] === 0) {
            state[pj] = 1;
            stack[++depth] = pj;
            edge[depth] = start(pj);
          } else if (state[pj] === 1 && cycle === undefined) {
            const at = stack.subarray(0, depth + 1).lastIndexOf(pj);
            cycle = [...stack.subarray(at, depth + 1)];
          }
          continue;
        }
        state[j] = 2;
        if (parents.length > 1) walked.add(parents);
        order[done++] = j;
        depth--;
      }
    }
    if (cycle !== undefined) {
      const ids = cycle.map((j) => steps[j]!.id);
      const shown = ids.slice(0, 10);
      this.findings.add(
        ViolationCode.StepAfter,
        w,
        shown,
        `steps of wave ${w} wait on each other in a cycle and can never start: ${shown.map((id) => `"${id}"`).join(' → ')}${ids.length > shown.length ? ' → ...' : ''}`,
      );
    }
    return { order, parentsOf };
  }

  /** The position of step `id` in wave `w`, `undefined` when it is not one of that wave's steps. */
  #inWave(id: string, w: number): number | undefined {
    const g = this.#number.get(id);
    return g !== undefined && this.#waveOf[g] === w ? this.#positionOf[g] : undefined;
  }

  /** The same-wave steps an `after` list names (each once) and the names it may not use. */
  #resolve(after: readonly string[], w: number): Resolved {
    const parents: number[] = [];
    let unknown: [string, number | undefined][] | undefined;
    for (const ref of after) {
      const g = this.#number.get(ref);
      const other = g === undefined ? undefined : this.#waveOf[g];
      if (other === w) {
        const pj = this.#positionOf[g!]!;
        if (!parents.includes(pj) || parents.length > 16) parents.push(pj);
        continue;
      }
      if (other === undefined || other > w) {
        unknown ??= [];
        unknown.push([ref, other]);
      }
    }
    // Long lists are deduplicated once, at the end, rather than by scanning for each entry.
    return { parents: parents.length > 16 ? [...new Set(parents)] : parents, unknown: unknown ?? [] };
  }

  /**
   * Each node's step depends, through `after` and the node's own steps, on all of the node's steps of
   * earlier ranks. `covered[j]` is the highest level of step j's node all of whose steps j depends on;
   * it is built in `order` (parents first) from the parents' values and the parents themselves.
   */
  #order(
    steps: readonly Step[],
    { order, parentsOf }: WaveGraph,
    owner: Int32Array,
    nodes: readonly NodeSteps[],
    w: number,
  ): void {
    const covered = new Int32Array(steps.length).fill(-1);
    const tally = new Int32Array(RANKS);
    for (const j of order) {
      const o = owner[j]!;
      if (o < 0) continue;
      const ns = nodes[o]!;
      const s = steps[j]!;
      const level = ns.level[RANK.get(s.kind) ?? 0]!;
      let prefix = -1;
      const parents = parentsOf[j]!;
      for (const pj of parents) {
        if (owner[pj] !== o) continue;
        prefix = Math.max(prefix, covered[pj]!);
        const pl = ns.level[RANK.get(steps[pj]!.kind) ?? 0]!;
        if (pl < level) tally[pl]!++;
      }
      while (prefix + 1 < level && tally[prefix + 1] === ns.count[ns.rankAt[prefix + 1]!]) prefix++;
      tally.fill(0);
      covered[j] = prefix;
      if (prefix >= level - 1) continue;
      const missingRank = ns.rankAt[prefix + 1]!;
      let missing = ns.first[missingRank]!;
      if (missingRank === MIGRATE_RANK) {
        const direct = new Set(parents);
        missing = ns.migrations.find((m) => !direct.has(m)) ?? missing;
      }
      const before = steps[missing]!;
      this.findings.add(
        ViolationCode.StepOrder,
        w,
        [s.id, ns.name, before.id],
        `${tag(s, w)} does not come after "${before.id}" (${before.kind}) of node "${ns.name}": ` +
          `a node's steps go ${NODE_ORDER.join(' → ')}, each after the one before (list it in after)`,
      );
    }
  }
}
