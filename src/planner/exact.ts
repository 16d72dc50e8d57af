/**
 * An exact planner for small problems, used only when the greedy wave builder ({@link buildWaves})
 * gives up. The greedy is fast but can paint itself into a corner (an early wave fills the room a
 * later wave needed); on a small cloud this search makes "no plan possible" honest: it says so only
 * after it has tried every plan.
 *
 * It searches ordered partitions of the planned nodes into waves with iterative deepening on the
 * number of waves (from a lower bound up), so the first plan it finds also has the fewest waves. For
 * each wave it tries every set of nodes the node rules admit and then, instance by instance, every
 * choice: stay on the node (down during the wave), or move — live or cold as the instance and the
 * campaign's `instanceAction` allow (live whenever allowed: it keeps every rule a cold move keeps) —
 * to any up compute node of the same site outside the wave. A partial wave is cut as soon as it breaks
 * a rule, and a state (nodes done, placement, canary, sites) that already failed with as many waves
 * left or more is not searched again.
 *
 * The rules are the checker's ({@link verifyWaves}), written in the planner's terms:
 * - nodes: ready by dependency order and control plane first ({@link isReady}); at most `maxParallel`
 *   compute nodes a wave, and `canary` in the first wave with compute nodes; cluster quorum (and a
 *   site's shared-services nodes keep one up); a cluster's primary strictly after its other planned
 *   members; non-compute nodes outside declared clusters at most `maxParallel` a role; with
 *   `siteOrder: sequential` one site a wave, and a site left is finished;
 * - instances: a server group never has more than `maxImpacted` members down, a VNF never fewer than
 *   `minAvailable` running (down: on a node of the wave and staying, or moving cold, or on a node
 *   that is not up); a move never overfills its target (capacity × overcommit), never puts a member
 *   of a hard anti-affinity group beside another, and members of a hard affinity group on one node
 *   go together (so they all stay when one cannot move); batches keep each group's migrations to
 *   `maxImpacted` at a time (numbered as the greedy numbers them). Soft policies bind nothing.
 * A complete plan is confirmed with {@link verifyWaves} before it is returned (cheap at this size);
 * a plan the checker rejects counts as no plan and the search goes on.
 *
 * Pruning that keeps it fast, all of it sound (a plan is never cut): lower bounds on the waves left
 * (compute nodes over `maxParallel`, cluster budgets, sites, and instances that are down in their
 * node's wave whatever happens over what their groups and VNFs afford a wave); a relaxed check that
 * the nodes alone still fit in the waves left; a unit that can never stay needs a node that could
 * ever take it; final nodes (upgraded, or not to be upgraded) with equal room and anti-affinity
 * members are interchangeable targets; and states equal up to such nodes and up to instances of one
 * kind are searched once.
 *
 * Bounds: the search runs only on problems with at most {@link EXACT_MAX_NODES} planned nodes and
 * {@link EXACT_MAX_INSTANCES} instances on them, and visits at most {@link EXACT_STATE_BUDGET}
 * states (twice, with the rescue search of {@link searchExactly}). Past the size limits the greedy's
 * verdict stands (its error is rethrown unchanged); when the budget runs out, the greedy's error is
 * rethrown with a message that starts "no plan found (search limit reached)" instead of "no plan
 * possible", since neither search proved anything.
 *
 * @module
 */
import { verifyWaves } from '../checker/verify-plan.js';
import { InfeasiblePlanError } from '../errors.js';
import type { Campaign } from '../model/campaign.js';
import type { Catalog } from '../model/component.js';
import type { Inventory } from '../model/inventory.js';
import type { Migration, Plan } from '../model/plan.js';
import { upgradeScope } from '../model/scope.js';
import { buildPrecedence, isReady, type Precedence } from './precedence.js';
import type { PlannedMigration, WaveDraft } from './waves.js';
import { buildWorld, fits, type InstanceState, type NodeState, place, unplace, type World } from './world.js';

/**
 * Most planned nodes the exact search takes on. Six nodes have 4,683 ordered partitions into waves
 * (the Fubini number), few enough to search with the instance choices of each wave.
 */
export const EXACT_MAX_NODES = 6;
/**
 * Most instances on the planned nodes. Each has up to one choice per compute node (plus staying) in
 * the wave of its node, so the choices grow as a power of this number; twelve keeps typical cases
 * well inside {@link EXACT_STATE_BUDGET}.
 */
export const EXACT_MAX_INSTANCES = 12;
/**
 * States the exact search may visit before it gives up: a state is one node tried for a wave, one
 * target tried for an instance, or one wave of a relaxed check. 200,000 take 0.2 to 0.6 seconds; the
 * rescue search (see {@link searchExactly}) may take as many again.
 */
export const EXACT_STATE_BUDGET = 200_000;

/** The prefix of the message of an {@link InfeasiblePlanError} thrown when the search ran out of budget. */
export const SEARCH_LIMIT_MESSAGE = 'no plan found (search limit reached)';

/** Options of {@link planExactly}. @internal */
export interface ExactOptions {
  /** Index of the first wave. */
  readonly firstWave: number;
  /** The canary already ran: no wave is limited to the canary size. */
  readonly canaryDone: boolean;
  /** A lower bound on the waves of any plan, to start the deepening at; 1 when not given. */
  readonly lowerBound?: ((world: World) => number) | undefined;
  /**
   * States the search may visit.
   * @defaultValue {@link EXACT_STATE_BUDGET}
   */
  readonly budget?: number | undefined;
}

/** What {@link searchExactly} found. @internal */
export type ExactOutcome =
  | { readonly kind: 'plan'; readonly world: World; readonly drafts: WaveDraft[] }
  | { readonly kind: 'none' }
  | { readonly kind: 'limit' }
  | { readonly kind: 'too-large' };

/**
 * The fallback of {@link createPlan} after the greedy threw `greedy`: the plan of the exact search,
 * as the drafts the greedy would have made; otherwise `greedy` rethrown (with the search-limit
 * message when the budget ran out).
 * @internal
 */
export function planExactly(
  inventory: Inventory,
  campaign: Campaign,
  catalog: Catalog,
  options: ExactOptions,
  greedy: InfeasiblePlanError,
): { world: World; drafts: WaveDraft[] } {
  const outcome = searchExactly(inventory, campaign, catalog, options);
  if (outcome.kind === 'plan') return { world: outcome.world, drafts: outcome.drafts };
  if (outcome.kind === 'limit') throw searchLimitError(greedy);
  throw greedy;
}

/** The greedy's error, its message saying that the search gave up rather than that no plan exists. */
function searchLimitError(greedy: InfeasiblePlanError): InfeasiblePlanError {
  // Same code, constraint, objects and fix; only the verdict differs. InfeasiblePlanError's
  // constructor always says "no plan possible", so the message is rewritten after it.
  const error = new InfeasiblePlanError(greedy.message, greedy.detail);
  const message = greedy.message.replace(/^no plan possible: /, `${SEARCH_LIMIT_MESSAGE}: `);
  if (error.stack) error.stack = error.stack.replace(error.message, message);
  error.message = message;
  return error;
}

/**
 * Runs the exact search on small problems. Pure: builds its own worlds from the documents.
 *
 * The deepening proves wave-optimality; when the budget runs out before it finds a plan, a rescue
 * search with a fresh budget looks for a plan with any number of waves. Its plan is valid but may
 * have more waves than needed; when it finds none within its budget either, the outcome is 'limit'.
 * @internal
 */
export function searchExactly(
  inventory: Inventory,
  campaign: Campaign,
  catalog: Catalog,
  options: ExactOptions,
): ExactOutcome {
  // Cheap size check on the documents first: a large cloud never pays for a world.
  const planned = new Set(upgradeScope(inventory, campaign).upgrade.map((n) => n.name));
  if (planned.size > EXACT_MAX_NODES) return { kind: 'too-large' };
  let onPlanned = 0;
  for (const inst of inventory.instances) if (planned.has(inst.host)) onPlanned++;
  if (onPlanned > EXACT_MAX_INSTANCES) return { kind: 'too-large' };

  const world = buildWorld(inventory, campaign, catalog);
  let precedence: Precedence;
  try {
    precedence = buildPrecedence(world);
  } catch (error) {
    // A dependency cycle: no order exists, the greedy's error says which.
    if (error instanceof InfeasiblePlanError) return { kind: 'none' };
    throw error;
  }
  const search = new ExactSearch(world, precedence, options);
  const bound = Math.max(1, options.lowerBound?.(world) ?? 1);
  const choices = search.run(bound);
  if (choices === 'limit') return { kind: 'limit' };
  if (choices === undefined) return { kind: 'none' };
  const fresh = buildWorld(inventory, campaign, catalog);
  return { kind: 'plan', world: fresh, drafts: replay(fresh, choices, options) };
}

/** One move the search chose. */
interface Move {
  readonly instance: number;
  readonly from: number;
  readonly to: number;
  readonly mode: 'live' | 'cold';
}

/** One wave the search chose: its nodes (by index) and its moves, in order. */
interface WaveChoice {
  readonly nodes: readonly number[];
  readonly moves: readonly Move[];
}

/** Instances that stay or move together: one instance, or the members of a hard affinity group on a node. */
interface Unit {
  readonly source: NodeState;
  readonly members: readonly InstanceState[];
  readonly resources: readonly [number, number, number];
  /** The hard anti-affinity group of a lone member, whose other members the target must not hold; or -1. */
  readonly apart: number;
  /** A member cannot move: the unit stays. */
  readonly pinned: boolean;
  /** Members that move live: down only when the unit stays (the others are down either way). */
  readonly live: readonly InstanceState[];
}

/** What one wave has taken so far. */
interface Counters {
  computes: number;
  readonly cluster: Int32Array;
  readonly role: Map<string, number>;
  readonly group: Int32Array;
  readonly vnf: Int32Array;
}

class ExactSearch {
  readonly #world: World;
  readonly #precedence: Precedence;
  readonly #firstWave: number;
  readonly #maxParallel: number;
  readonly #canary: number;
  readonly #sequential: boolean;
  /** Planned nodes, by index. */
  readonly #planned: readonly NodeState[];
  /** Site to its up compute nodes: the targets of moves. */
  readonly #targets = new Map<string, NodeState[]>();
  readonly #budget: number;
  /** The canary ran before the first wave of the search (re-planning). */
  readonly #canaryDoneBefore: boolean;
  #states = 0;
  #limited = false;
  /**
   * State key to the most waves left with which it is known to lead to no plan; infinite when it
   * failed without running out of waves anywhere (then no number of waves helps).
   */
  readonly #dead = new Map<string, number>();
  /** {@link ExactSearch.#nodesFit}'s answers. */
  readonly #fits = new Map<string, boolean>();
  /** Some branch of the subtree being searched was cut for want of waves. */
  #cut = false;
  /** Per node: what a move's target offers the rest of the search, see {@link ExactSearch.#signature}. */
  readonly #signatures: (string | undefined)[];
  /**
   * Per instance: its kind — size, group, VNF, how it moves. Instances of one kind are
   * interchangeable: which of them is where does not matter, only how many are.
   */
  readonly #kind: readonly number[];
  /**
   * Per planned node: the room taken by the instances that can never leave it (they cannot move, or a
   * hard affinity partner cannot).
   */
  readonly #pinnedUse: readonly (readonly [number, number, number] | undefined)[];
  /** Per node: its signature before the search moved anything. */
  readonly #initial: readonly string[];
  /** Nodes not to be upgraded that received instances, with how many they hold now. */
  readonly #received = new Map<number, number>();

  #canaryDone: boolean;
  /** Sequential sites: the site of the last wave, and the sites finished. */
  #site: string | undefined;
  readonly #closed = new Set<string>();
  readonly #waves: { nodes: NodeState[]; moves: Move[] }[] = [];
  #solution: WaveChoice[] | undefined;

  constructor(world: World, precedence: Precedence, options: ExactOptions) {
    this.#world = world;
    this.#precedence = precedence;
    this.#firstWave = options.firstWave;
    this.#canaryDone = options.canaryDone;
    this.#canaryDoneBefore = options.canaryDone;
    this.#budget = options.budget ?? EXACT_STATE_BUDGET;
    this.#maxParallel = world.strategy.maxParallel;
    this.#canary = Math.min(world.campaign.strategy.canary, this.#maxParallel);
    this.#sequential = world.campaign.strategy.siteOrder === 'sequential';
    this.#planned = world.nodes.filter((n) => n.planned);
    const kinds = new Map<string, number>();
    this.#kind = world.instances.map((i) => {
      const key = `${i.resources.join(',')}|${i.group}|${i.vnf}|${i.treatment}`;
      const kind = kinds.get(key) ?? kinds.size;
      kinds.set(key, kind);
      return kind;
    });
    this.#pinnedUse = world.nodes.map((n) => {
      if (!n.planned) return undefined;
      const use: [number, number, number] = [0, 0, 0];
      for (const u of this.#units([n]))
        if (u.pinned) for (let d = 0; d < 3; d++) use[d] = (use[d] ?? 0) + (u.resources[d] ?? 0);
      return use;
    });
    this.#signatures = new Array<string | undefined>(world.nodes.length);
    this.#initial = world.nodes.map((n) => this.#signature(n));
    for (const n of world.nodes) {
      if (!n.isCompute || !n.up) continue;
      const list = this.#targets.get(n.site);
      if (list) list.push(n);
      else this.#targets.set(n.site, [n]);
    }
  }

  /**
   * The waves of a plan with the fewest waves, `undefined` when there is none, or 'limit'. When the
   * budget runs out while fewer waves are still being ruled out, a second search with a fresh budget
   * looks for a plan with any number of waves (each wave takes a node at least): such a plan is valid
   * but may have more waves than needed.
   */
  run(lowerBound: number): WaveChoice[] | undefined | 'limit' {
    const most = this.#planned.length;
    for (let waves = Math.min(lowerBound, most); waves <= most; waves++) {
      this.#cut = false;
      if (this.#plan(waves)) return this.#solution;
      if (this.#limited) break;
      // Nothing was cut for want of waves: more waves cannot help.
      if (!this.#cut) return undefined;
    }
    if (!this.#limited) return undefined;
    this.#states = 0;
    this.#limited = false;
    if (this.#plan(most)) return this.#solution;
    return this.#limited ? 'limit' : undefined;
  }

  /**
   * What a node that is final (not to be upgraded, or upgraded already) offers the rest of the search:
   * its site, room and hard anti-affinity members. Which instances it holds no longer matters, as
   * they never move again and are never down: two final nodes with one signature are interchangeable.
   */
  #signature(n: NodeState): string {
    let s = this.#signatures[n.index];
    if (s !== undefined) return s;
    const apart: string[] = [];
    for (const [g, count] of n.groups)
      if (this.#world.groups[g]?.policy === 'anti-affinity') apart.push(`${g}:${count}`);
    s = `${n.site}|${n.limit.join(',')}|${n.used.join(',')}|${apart.sort().join(',')}`;
    this.#signatures[n.index] = s;
    return s;
  }

  /** Moves an instance between nodes, keeping the signatures up to date. */
  #move(inst: InstanceState, from: NodeState, to: NodeState): void {
    unplace(from, inst);
    place(to, inst);
    this.#signatures[from.index] = undefined;
    this.#signatures[to.index] = undefined;
    if (!from.planned) this.#count(from, -1);
    if (!to.planned) this.#count(to, 1);
  }

  #count(n: NodeState, by: number): void {
    const held = (this.#received.get(n.index) ?? 0) + by;
    if (held === 0) this.#received.delete(n.index);
    else this.#received.set(n.index, held);
  }

  #tick(): boolean {
    if (++this.#states > this.#budget) this.#limited = true;
    return !this.#limited;
  }

  /** Plans the waves left, at most `maxWaves` in all. */
  #plan(maxWaves: number): boolean {
    const pending = this.#planned.filter((n) => n.wave < 0);
    if (pending.length === 0) return this.#confirm();
    const left = maxWaves - this.#waves.length;
    const need = this.#wavesNeeded(pending);
    if (need > left) {
      if (Number.isFinite(need)) this.#cut = true;
      return false;
    }
    const key = this.#key();
    const dead = this.#dead.get(key) ?? 0;
    if (dead >= left) {
      if (Number.isFinite(dead)) this.#cut = true;
      return false;
    }
    // The nodes alone must fit in the waves left; if they fit in no number of waves, more cannot help.
    if (!this.#nodesFit(left)) {
      const never = !this.#limited && !this.#nodesFit(pending.length);
      if (!this.#limited) this.#dead.set(key, never ? Number.POSITIVE_INFINITY : left);
      if (!never) this.#cut = true;
      return false;
    }
    const cutBefore = this.#cut;
    this.#cut = false;
    const found = this.#chooseNodes(pending, 0, [], this.#counters(), this.#siteNow(pending), maxWaves, 0);
    if (!found && !this.#limited) this.#dead.set(key, this.#cut ? left : Number.POSITIVE_INFINITY);
    this.#cut ||= cutBefore;
    return found;
  }

  #counters(): Counters {
    return {
      computes: 0,
      cluster: new Int32Array(this.#world.clusters.length),
      role: new Map(),
      group: new Int32Array(this.#world.groups.length),
      vnf: new Int32Array(this.#world.vnfs.length),
    };
  }

  /** Sequential sites: while the current site has nodes left, the wave stays in it. */
  #siteNow(pending: readonly NodeState[]): string | undefined {
    return this.#sequential && pending.some((n) => n.site === this.#site) ? this.#site : undefined;
  }

  /**
   * Whether the pending nodes could go in `left` waves (at `depth` waves after the search's current
   * one) if the instances counted only where they are down whatever happens ({@link
   * ExactSearch.#forcedDown}): a relaxation every plan passes, so when it fails no choice of moves
   * can help. Cheap (it picks nodes only, no instance choices) and remembered.
   */
  #nodesFit(left: number, depth = 0): boolean {
    const pending = this.#planned.filter((n) => n.wave < 0);
    if (pending.length === 0) return true;
    if (left <= 0) return false;
    left = Math.min(left, pending.length); // each wave takes a node at least
    let key = `${left}/${this.#canaryDone ? 'c' : '-'}/${this.#site ?? ''}/${[...this.#closed].sort().join(',')}`;
    for (const n of this.#planned) key += n.wave < 0 ? `/${this.#kinds(this.#forcedDown(n))}` : '/=';
    const known = this.#fits.get(key);
    if (known !== undefined) return known;
    const fit = this.#chooseNodes(pending, 0, [], this.#counters(), this.#siteNow(pending), left, depth + 1);
    if (!this.#limited) this.#fits.set(key, fit);
    return fit;
  }

  /** A lower bound on the waves the pending nodes need. */
  #wavesNeeded(pending: readonly NodeState[]): number {
    let need = pending.length > 0 ? 1 : 0;
    const computes = pending.filter((n) => n.isCompute).length;
    if (computes > 0)
      need = Math.max(
        need,
        this.#canaryDone
          ? Math.ceil(computes / this.#maxParallel)
          : 1 + Math.ceil(Math.max(0, computes - this.#canary) / this.#maxParallel),
      );
    for (const cluster of this.#world.clusters) {
      const members = cluster.members.filter((m) => {
        const n = this.#world.nodes[m];
        return n?.planned === true && n.wave < 0;
      });
      if (members.length === 0) continue;
      if (cluster.budget < 1) return Number.POSITIVE_INFINITY;
      need = Math.max(
        need,
        members.includes(cluster.primary)
          ? Math.ceil((members.length - 1) / cluster.budget) + 1
          : Math.ceil(members.length / cluster.budget),
      );
    }
    if (this.#sequential) need = Math.max(need, new Set(pending.map((n) => n.site)).size);
    // Instances down in their node's wave whatever happens: a node whose own are too many for their
    // groups or VNFs can never go (no number of waves helps), and each wave affords only so many.
    const { groups, vnfs } = this.#world;
    const groupDown = new Map<number, number>();
    const vnfDown = new Map<number, number>();
    for (const n of pending) {
      const down = this.#forcedDown(n);
      if (!affordable(this.#world, down) || !this.#roomEverFor(n, down)) return Number.POSITIVE_INFINITY;
      for (const inst of down) {
        if (inst.group >= 0) groupDown.set(inst.group, (groupDown.get(inst.group) ?? 0) + 1);
        if (inst.vnf >= 0) vnfDown.set(inst.vnf, (vnfDown.get(inst.vnf) ?? 0) + 1);
      }
    }
    for (const [g, d] of groupDown) {
      const group = groups[g];
      if (group) need = Math.max(need, Math.ceil(d / (group.maxImpacted - group.alreadyDown)));
    }
    for (const [v, d] of vnfDown) {
      const vnf = vnfs[v];
      if (vnf) need = Math.max(need, Math.ceil(d / (vnf.size - vnf.alreadyDown - vnf.minAvailable)));
    }
    return need;
  }

  /**
   * Whether every unit on `n` that can never stay (down in the node's wave with `forced`, those down
   * then whatever happens, it is more than its groups or VNFs afford) has some node that could ever
   * take it: a node keeps for good what is on it when it is final, and what cannot leave it when it
   * is pending. Catches a node emptied too late, or filled for good, before the unit's wave.
   */
  #roomEverFor(n: NodeState, forced: readonly InstanceState[]): boolean {
    if (!n.isCompute) return true;
    const { instances, groups } = this.#world;
    let together: Map<number, InstanceState[]> | undefined;
    for (const i of n.instances) {
      const inst = instances[i];
      if (!inst) continue;
      const policy = groups[inst.group]?.policy;
      if (policy === 'affinity') {
        together ??= new Map();
        const list = together.get(inst.group);
        if (list) list.push(inst);
        else together.set(inst.group, [inst]);
      } else if (inst.treatment === 'live' && (inst.group >= 0 || inst.vnf >= 0)) {
        const u = unit(n, [inst], policy === 'anti-affinity' ? inst.group : -1);
        if (!affordable(this.#world, [...forced, inst]) && !this.#roomEver(u)) return false;
      }
    }
    for (const members of together?.values() ?? []) {
      const u = unit(n, members, -1);
      if (!u.pinned && !affordable(this.#world, [...forced, ...u.live]) && !this.#roomEver(u)) return false;
    }
    return true;
  }

  /** Whether some node other than the unit's could ever have room for it (see {@link ExactSearch.#roomEverFor}). */
  #roomEver(u: Unit): boolean {
    return (this.#targets.get(u.source.site) ?? []).some((t) => {
      if (t === u.source) return false;
      const final = !t.planned || t.wave >= 0;
      const kept = final ? t.used : (this.#pinnedUse[t.index] ?? t.used);
      for (let d = 0; d < 3; d++)
        if ((kept[d] ?? 0) + (u.resources[d] ?? 0) > (t.limit[d] ?? 0) + 1e-9) return false;
      return !(final && u.apart >= 0 && (t.groups.get(u.apart) ?? 0) > 0);
    });
  }

  /**
   * The instances that will be down in the node's wave whatever happens: those that cannot move live,
   * and the live members of a hard affinity group pinned by one that cannot move. Instances leave a
   * node only in its own wave, so these are down then (more may arrive before).
   */
  #forcedDown(n: NodeState): InstanceState[] {
    const { groups, instances } = this.#world;
    const down = this.#downAlways(n);
    const pinned = new Set<number>();
    for (const inst of down)
      if (inst.treatment === 'stay' && groups[inst.group]?.policy === 'affinity') pinned.add(inst.group);
    if (pinned.size > 0)
      for (const i of n.instances) {
        const inst = instances[i];
        if (inst && inst.treatment === 'live' && pinned.has(inst.group)) down.push(inst);
      }
    return down;
  }

  /** The kinds of these instances, in order: equal for interchangeable sets. */
  #kinds(instances: Iterable<number | InstanceState>): string {
    const out: number[] = [];
    for (const i of instances) out.push(this.#kind[typeof i === 'number' ? i : i.index] ?? -1);
    return out.sort((a, b) => a - b).join(',');
  }

  /**
   * Everything the rest of the search depends on: nodes done, the instances on the nodes still to do,
   * what the final nodes offer (see {@link ExactSearch.#signature}), canary, sites.
   */
  #key(): string {
    const parts: string[] = [this.#canaryDone ? 'c' : '-'];
    if (this.#sequential) parts.push(`${this.#site ?? ''}|${[...this.#closed].sort().join(',')}`);
    for (const n of this.#planned)
      parts.push(n.wave < 0 ? this.#kinds(n.instances) : `=${this.#signature(n)}`);
    // Nodes not to be upgraded that received instances: what they were and what they are now.
    const changed: string[] = [];
    for (const i of this.#received.keys()) {
      const n = this.#world.nodes[i];
      if (n) changed.push(`${this.#initial[i]}>${this.#signature(n)}`);
    }
    parts.push(changed.sort().join(';'));
    return parts.join('/');
  }

  /**
   * Chooses the wave's nodes among `pending[i..]`: with each node, then without it. With `relaxed` 0,
   * for the search itself (`limit`: the most waves in all); otherwise for {@link ExactSearch.#nodesFit}
   * (`limit`: the waves left, `relaxed`: how many waves deep it is).
   */
  #chooseNodes(
    pending: readonly NodeState[],
    i: number,
    chosen: NodeState[],
    counters: Counters,
    site: string | undefined,
    limit: number,
    relaxed: number,
  ): boolean {
    if (!this.#tick()) return false;
    const n = pending[i];
    if (n === undefined) {
      if (chosen.length === 0) return false;
      if (relaxed === 0) return this.#assignWave(chosen, counters, limit);
      const undo = this.#enter(chosen);
      const fit = this.#nodesFit(limit - 1, relaxed);
      this.#leave(chosen, undo);
      return fit;
    }
    const index = this.#firstWave + this.#waves.length + Math.max(0, relaxed - 1);
    const down = relaxed === 0 ? this.#downAlways(n) : this.#forcedDown(n);
    if (this.#admit(n, chosen, counters, site, index, down)) {
      chosen.push(n);
      n.wave = index;
      const found = this.#chooseNodes(pending, i + 1, chosen, counters, site, limit, relaxed);
      n.wave = -1;
      chosen.pop();
      this.#release(n, counters, down);
      if (found || this.#limited) return found;
    }
    return this.#chooseNodes(pending, i + 1, chosen, counters, site, limit, relaxed);
  }

  /** Whether `n` may join the wave with `chosen`; charges the counters when it may. */
  #admit(
    n: NodeState,
    chosen: readonly NodeState[],
    counters: Counters,
    site: string | undefined,
    index: number,
    down: readonly InstanceState[],
  ): boolean {
    const world = this.#world;
    if (!isReady(this.#precedence, n)) return false;
    if (this.#sequential) {
      if (site !== undefined && n.site !== site) return false;
      if (this.#closed.has(n.site)) return false;
      const first = chosen[0];
      if (first !== undefined && first.site !== n.site) return false;
    }
    if (n.isCompute && counters.computes + 1 > (this.#canaryDone ? this.#maxParallel : this.#canary))
      return false;
    for (const c of n.clusters) {
      const cluster = world.clusters[c];
      if (!cluster) continue;
      if ((counters.cluster[c] ?? 0) + 1 > cluster.budget) return false;
      if (cluster.primary === n.index) {
        // The primary goes strictly after every other planned member.
        for (const m of cluster.members) {
          const member = world.nodes[m];
          if (m !== n.index && member?.planned && (member.wave < 0 || member.wave === index)) return false;
        }
      } else if (world.nodes[cluster.primary]?.wave === index) return false;
    }
    const unclustered = !n.isCompute && n.clusters.every((c) => world.clusters[c]?.implicit === true);
    if (unclustered && n.roles.some((r) => (counters.role.get(r) ?? 0) + 1 > this.#maxParallel)) return false;
    // Instances that cannot move live are down while the node is in the wave, whatever they do.
    if (!this.#charge(counters, down)) return false;
    if (n.isCompute) counters.computes++;
    for (const c of n.clusters) counters.cluster[c] = (counters.cluster[c] ?? 0) + 1;
    if (unclustered) for (const r of n.roles) counters.role.set(r, (counters.role.get(r) ?? 0) + 1);
    return true;
  }

  /** Undoes {@link ExactSearch.#admit} for a node it admitted. */
  #release(n: NodeState, counters: Counters, down: readonly InstanceState[]): void {
    const unclustered = !n.isCompute && n.clusters.every((c) => this.#world.clusters[c]?.implicit === true);
    if (n.isCompute) counters.computes--;
    for (const c of n.clusters) counters.cluster[c] = (counters.cluster[c] ?? 0) - 1;
    if (unclustered) for (const r of n.roles) counters.role.set(r, (counters.role.get(r) ?? 0) - 1);
    this.#uncharge(counters, down);
  }

  #downAlways(n: NodeState): InstanceState[] {
    const out: InstanceState[] = [];
    for (const i of n.instances) {
      const inst = this.#world.instances[i];
      if (inst && inst.treatment !== 'live') out.push(inst);
    }
    return out;
  }

  /** Counts the instances down in the wave; when a group or VNF cannot afford it, undoes that and returns false. */
  #charge(counters: Counters, down: readonly InstanceState[]): boolean {
    const { groups, vnfs } = this.#world;
    for (const inst of down) {
      if (inst.group >= 0) counters.group[inst.group] = (counters.group[inst.group] ?? 0) + 1;
      if (inst.vnf >= 0) counters.vnf[inst.vnf] = (counters.vnf[inst.vnf] ?? 0) + 1;
    }
    for (const inst of down) {
      const group = groups[inst.group];
      const vnf = vnfs[inst.vnf];
      if (
        (group && group.alreadyDown + (counters.group[inst.group] ?? 0) > group.maxImpacted) ||
        (vnf && vnf.size - vnf.alreadyDown - (counters.vnf[inst.vnf] ?? 0) < vnf.minAvailable)
      ) {
        this.#uncharge(counters, down);
        return false;
      }
    }
    return true;
  }

  #uncharge(counters: Counters, down: readonly InstanceState[]): void {
    for (const inst of down) {
      if (inst.group >= 0) counters.group[inst.group] = (counters.group[inst.group] ?? 0) - 1;
      if (inst.vnf >= 0) counters.vnf[inst.vnf] = (counters.vnf[inst.vnf] ?? 0) - 1;
    }
  }

  /** The wave's nodes are chosen: tries every choice for their instances. */
  #assignWave(chosen: readonly NodeState[], counters: Counters, maxWaves: number): boolean {
    const units = this.#units(chosen);
    const wave = { nodes: [...chosen], moves: [] as Move[] };
    this.#waves.push(wave);
    const found = this.#assign(units, 0, counters, wave.moves, maxWaves);
    this.#waves.pop();
    return found;
  }

  #units(chosen: readonly NodeState[]): Unit[] {
    const { instances, groups } = this.#world;
    const units: Unit[] = [];
    for (const n of chosen) {
      const together = new Map<number, InstanceState[]>();
      const members = [...n.instances].sort((a, b) => a - b).flatMap((i) => instances[i] ?? []);
      for (const inst of members) {
        if (groups[inst.group]?.policy === 'affinity') {
          const list = together.get(inst.group);
          if (list) list.push(inst);
          else together.set(inst.group, [inst]);
        } else units.push(unit(n, [inst], groups[inst.group]?.policy === 'anti-affinity' ? inst.group : -1));
      }
      for (const list of together.values()) units.push(unit(n, list, -1));
    }
    return units;
  }

  /** Chooses for `units[k..]`: stay, or move to each target. */
  #assign(units: readonly Unit[], k: number, counters: Counters, moves: Move[], maxWaves: number): boolean {
    if (!this.#tick()) return false;
    const u = units[k];
    if (u === undefined) return this.#commit(maxWaves);
    // Stay: the live members are down too.
    if (this.#charge(counters, u.live)) {
      const found = this.#assign(units, k + 1, counters, moves, maxWaves);
      this.#uncharge(counters, u.live);
      if (found || this.#limited) return found;
    }
    if (u.pinned) return false;
    const index = this.#firstWave + this.#waves.length - 1;
    const targets = this.#targets.get(u.source.site) ?? [];
    // Final nodes with one signature are interchangeable: one of them is tried.
    const tried = new Set<string>();
    // Nodes that are final (upgraded, or not to be upgraded) first: what moves there moves once.
    for (const final of [true, false])
      for (const t of targets) {
        if (t.wave === index || (!t.planned || t.wave >= 0) !== final) continue;
        if (!this.#tick()) return false;
        if (!fits(t, u.resources)) continue;
        if (u.apart >= 0 && (t.groups.get(u.apart) ?? 0) > 0) continue;
        if (final) {
          const signature = this.#signature(t);
          if (tried.has(signature)) continue;
          tried.add(signature);
        }
        for (const inst of u.members) {
          this.#move(inst, u.source, t);
          moves.push({
            instance: inst.index,
            from: u.source.index,
            to: t.index,
            mode: inst.treatment === 'cold' ? 'cold' : 'live',
          });
        }
        const found = this.#assign(units, k + 1, counters, moves, maxWaves);
        for (const inst of [...u.members].reverse()) {
          this.#move(inst, t, u.source);
          moves.pop();
        }
        if (found || this.#limited) return found;
      }
    return false;
  }

  /** The wave is complete: marks it done and plans the rest. */
  #commit(maxWaves: number): boolean {
    const wave = this.#waves[this.#waves.length - 1];
    if (!wave) return false;
    const undo = this.#enter(wave.nodes);
    const found = this.#plan(maxWaves);
    this.#leave(wave.nodes, undo);
    return found;
  }

  /** Marks a wave's nodes done (their nodes keep their `wave`): dependencies, canary, sites. */
  #enter(nodes: readonly NodeState[]): {
    canaryDone: boolean;
    site: string | undefined;
    closed: string | undefined;
  } {
    const { remaining, signatureOf } = this.#precedence;
    for (const n of nodes) {
      const s = signatureOf[n.index] ?? -1;
      remaining[s] = (remaining[s] ?? 1) - 1;
    }
    const undo = { canaryDone: this.#canaryDone, site: this.#site, closed: undefined as string | undefined };
    if (nodes.some((n) => n.isCompute)) this.#canaryDone = true;
    const waveSite = nodes[0]?.site;
    if (this.#sequential) {
      if (waveSite !== undefined && this.#site !== undefined && this.#site !== waveSite) {
        undo.closed = this.#site;
        this.#closed.add(this.#site);
      }
      this.#site = waveSite;
    }
    return undo;
  }

  /** Undoes {@link ExactSearch.#enter}. */
  #leave(
    nodes: readonly NodeState[],
    undo: { canaryDone: boolean; site: string | undefined; closed: string | undefined },
  ): void {
    if (undo.closed !== undefined) this.#closed.delete(undo.closed);
    this.#site = undo.site;
    this.#canaryDone = undo.canaryDone;
    const { remaining, signatureOf } = this.#precedence;
    for (const n of nodes) {
      const s = signatureOf[n.index] ?? -1;
      remaining[s] = (remaining[s] ?? 0) + 1;
    }
  }

  /** Every planned node is in a wave: the checker has the last word. */
  #confirm(): boolean {
    const choices: WaveChoice[] = this.#waves.map((w) => ({
      nodes: w.nodes.map((n) => n.index),
      moves: [...w.moves],
    }));
    const { inventory, campaign, catalog } = this.#world;
    // The checker numbers waves from 0 and knows no canary that already ran.
    const checked: Campaign = this.#canaryDoneBefore
      ? { ...campaign, strategy: { ...campaign.strategy, canary: Number.MAX_SAFE_INTEGER } }
      : campaign;
    // Candidates have no steps yet (written once the waves are chosen): check the waves alone.
    const verdict = verifyWaves(inventory, checked, candidatePlan(this.#world, choices), catalog);
    if (!verdict.ok) return false;
    this.#solution = choices;
    return true;
  }
}

/** Whether these instances may be down in one wave: their groups' maxImpacted, their VNFs' minAvailable. */
function affordable(world: World, down: readonly InstanceState[]): boolean {
  const groupDown = new Map<number, number>();
  const vnfDown = new Map<number, number>();
  for (const inst of down) {
    if (inst.group >= 0) groupDown.set(inst.group, (groupDown.get(inst.group) ?? 0) + 1);
    if (inst.vnf >= 0) vnfDown.set(inst.vnf, (vnfDown.get(inst.vnf) ?? 0) + 1);
  }
  for (const [g, d] of groupDown) {
    const group = world.groups[g];
    if (group && group.alreadyDown + d > group.maxImpacted) return false;
  }
  for (const [v, d] of vnfDown) {
    const vnf = world.vnfs[v];
    if (vnf && vnf.size - vnf.alreadyDown - d < vnf.minAvailable) return false;
  }
  return true;
}

function unit(source: NodeState, members: readonly InstanceState[], apart: number): Unit {
  const resources: [number, number, number] = [0, 0, 0];
  for (const m of members)
    for (let d = 0; d < 3; d++) resources[d] = (resources[d] ?? 0) + (m.resources[d] ?? 0);
  return {
    source,
    members,
    resources,
    apart,
    pinned: members.some((m) => m.treatment === 'stay'),
    live: members.filter((m) => m.treatment === 'live'),
  };
}

/** Numbers a wave's migrations so that no batch moves more than `maxImpacted` members of one group (as the greedy does). */
function batchOf(world: World, migrations: readonly { readonly instance: InstanceState }[]): number[] {
  const seen = new Map<number, number>();
  return migrations.map(({ instance }) => {
    const g = instance.group;
    if (g < 0) return 0;
    const k = seen.get(g) ?? 0;
    seen.set(g, k + 1);
    return Math.floor(k / (world.groups[g]?.maxImpacted ?? 1));
  });
}

/** The choices as a plan for the checker: waves numbered from 0, no steps. */
function candidatePlan(world: World, choices: readonly WaveChoice[]): Plan {
  return {
    apiVersion: 'escalator/v1',
    kind: 'Plan',
    metadata: { name: 'exact-search' },
    waves: choices.map((choice, w) => {
      const moved = choice.moves.map((m) => ({
        move: m,
        instance: world.instances[m.instance] as InstanceState,
      }));
      const batches = batchOf(world, moved);
      const migrations: Migration[] = moved.map(({ move }, k) => ({
        instance: world.instances[move.instance]?.name ?? '',
        from: world.nodes[move.from]?.name ?? '',
        to: world.nodes[move.to]?.name ?? '',
        mode: move.mode,
        batch: batches[k] ?? 0,
      }));
      return {
        index: w,
        nodes: choice.nodes.map((n) => world.nodes[n]?.name ?? ''),
        migrations,
        steps: [],
        canary: false,
        expectedSeconds: 0,
      };
    }),
    impact: [],
    skipped: [],
  };
}

/** Replays the choices on a fresh world, as the greedy would have made them: the wave drafts. */
function replay(world: World, choices: readonly WaveChoice[], options: ExactOptions): WaveDraft[] {
  let canaryDone = options.canaryDone;
  return choices.map((choice, k) => {
    const index = options.firstWave + k;
    const nodes = choice.nodes.flatMap((n) => world.nodes[n] ?? []);
    for (const n of nodes) n.wave = index;
    const migrations: PlannedMigration[] = [];
    for (const move of choice.moves) {
      const instance = world.instances[move.instance];
      const from = world.nodes[move.from];
      const to = world.nodes[move.to];
      if (!instance || !from || !to) continue;
      unplace(from, instance);
      place(to, instance);
      instance.moves++;
      migrations.push({ instance, from, to, mode: move.mode, batch: 0 });
    }
    batchOf(world, migrations).forEach((batch, i) => {
      const m = migrations[i];
      if (m) m.batch = batch;
    });
    const stays = new Map<number, InstanceState[]>();
    for (const n of nodes)
      stays.set(
        n.index,
        [...n.instances].flatMap((i) => world.instances[i] ?? []),
      );
    const down = [...stays.values()].flat();
    for (const m of migrations) if (m.mode === 'cold') down.push(m.instance);
    const canary = !canaryDone && nodes.some((n) => n.isCompute);
    if (canary) canaryDone = true;
    return { index, nodes, migrations, canary, down, stays };
  });
}
