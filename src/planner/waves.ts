/**
 * Cutting the upgrade into waves. Each wave takes as many ready nodes as the constraints allow
 * (cluster quorum, primary last, maxParallel and canary, server groups and VNFs with instances that
 * cannot move), then plans where the wave's instances go; a node whose instances find no room waits
 * for a later wave.
 *
 * Choosing nodes is a colouring of the conflict graph between nodes that hold members of the same
 * constrained group. Like DSatur, the most constrained nodes are placed first — spread evenly over the
 * waves so they never pile up at the end — and the rest fill the wave emptiest first, so the first
 * waves move the fewest instances (they are the ones that may move twice).
 */
import { InfeasiblePlanError } from '../errors.js';
import { type MoveUnit, TargetFinder } from './placement.js';
import { isReady, type Precedence } from './precedence.js';
import { type InstanceState, type NodeState, place, unplace, type World } from './world.js';

/** @internal */
export interface PlannedMigration {
  readonly instance: InstanceState;
  readonly from: NodeState;
  readonly to: NodeState;
  readonly mode: 'live' | 'cold';
  batch: number;
}

/** @internal */
export interface WaveDraft {
  readonly index: number;
  readonly nodes: NodeState[];
  readonly migrations: PlannedMigration[];
  readonly canary: boolean;
  /** Instances down during the wave (stay on a wave node, or move cold). */
  readonly down: InstanceState[];
  /** Per wave node (by index): the instances that stay on it while it is upgraded. */
  readonly stays: ReadonlyMap<number, InstanceState[]>;
}

/** Sites in the order a sequential campaign takes them: providers of shared services first. */
function siteOrder(world: World): string[] {
  const order: string[] = [];
  const add = (s: string) => {
    if (!order.includes(s)) order.push(s);
  };
  for (const s of world.inventory.sites) if (s.sharedServices.length > 0) add(s.name);
  for (const s of world.inventory.sites) add(s.name);
  for (const n of world.nodes) add(n.site);
  return order;
}

interface WaveCounters {
  computes: number;
  readonly cluster: Map<number, number>;
  readonly group: Map<number, number>;
  readonly vnf: Map<number, number>;
  readonly role: Map<string, number>;
}

/** @internal */
export function buildWaves(
  world: World,
  precedence: Precedence,
  firstWave = 0,
  canaryAlreadyDone = false,
  computesPerWave = Number.POSITIVE_INFINITY,
): WaveDraft[] {
  const { campaign } = world;
  const maxParallel = Math.min(world.strategy.maxParallel, computesPerWave);
  const sequential = campaign.strategy.siteOrder === 'sequential';
  const sites = siteOrder(world);
  const planned = world.nodes.filter((n) => n.planned);

  // Static order of computes: emptiest first (they go first and move the fewest instances), with the
  // zones interleaved in proportion to their size: instances stay in their zone, so every wave should
  // find upgraded room in each zone it empties.
  const computes = planned.filter((n) => n.isCompute);
  const byZone = new Map<string, NodeState[]>();
  for (const n of computes) {
    const key = `${n.site}|${n.zone}`;
    const zone = byZone.get(key);
    if (zone) zone.push(n);
    else byZone.set(key, [n]);
  }
  const share = new Float64Array(world.nodes.length);
  for (const zone of byZone.values()) {
    zone.sort((a, b) => a.instances.size - b.instances.size || a.index - b.index);
    zone.forEach((n, i) => {
      share[n.index] = (i + 0.5) / zone.length;
    });
  }
  computes.sort((a, b) => (share[a.index] ?? 0) - (share[b.index] ?? 0) || a.index - b.index);
  const lateness = new Float64Array(world.nodes.length);
  computes.forEach((n, i) => {
    lateness[n.index] = i;
  });
  const finder = new TargetFinder(world, lateness);

  // Conflict degree: how many other nodes share a group or VNF whose members on them cannot stay up.
  const holders = new Map<string, Set<number>>();
  for (const n of computes)
    for (const i of n.instances) {
      const inst = world.instances[i];
      if (!inst || inst.treatment === 'live') continue;
      for (const key of [inst.group >= 0 ? `g${inst.group}` : '', inst.vnf >= 0 ? `v${inst.vnf}` : ''])
        if (key) holders.set(key, (holders.get(key) ?? new Set()).add(n.index));
    }
  const degree = new Float64Array(world.nodes.length);
  for (const set of holders.values())
    if (set.size > 1) for (const n of set) degree[n] = (degree[n] ?? 0) + set.size - 1;
  const conflicted = computes.filter((n) => (degree[n.index] ?? 0) > 0);
  conflicted.sort((a, b) => (degree[b.index] ?? 0) - (degree[a.index] ?? 0) || a.index - b.index);
  const calm = computes.filter((n) => (degree[n.index] ?? 0) === 0);
  const others = planned.filter((n) => !n.isCompute);
  // Standby members first, primaries last.
  others.sort((a, b) => Number(isPrimary(world, a)) - Number(isPrimary(world, b)) || a.index - b.index);

  const waves: WaveDraft[] = [];
  let left = planned.length;
  let canaryDone = canaryAlreadyDone;
  let siteCursor = 0;
  while (left > 0) {
    const site = sequential ? sites[siteCursor] : undefined;
    if (site !== undefined && !planned.some((n) => n.wave < 0 && n.site === site)) {
      siteCursor++;
      continue;
    }
    const index = firstWave + waves.length;
    const eligible = (n: NodeState) =>
      n.wave < 0 && (site === undefined || n.site === site) && isReady(precedence, n);
    const computeLimit = canaryDone ? maxParallel : Math.min(campaign.strategy.canary, maxParallel);
    // Nodes whose instances found no room in this wave; when no chosen node can be emptied, the wave
    // is chosen again without them.
    const stuck: NodeState[] = [];
    const migrations: PlannedMigration[] = [];
    let nodes: NodeState[] = [];
    while (nodes.length === 0) {
      const counters: WaveCounters = {
        computes: 0,
        cluster: new Map(),
        group: new Map(),
        vnf: new Map(),
        role: new Map(),
      };
      const chosen: NodeState[] = [];
      const tryAdd = (n: NodeState) => {
        if (
          eligible(n) &&
          !stuck.includes(n) &&
          admits(world, n, index, counters, computeLimit, maxParallel)
        ) {
          n.wave = index;
          chosen.push(n);
        }
      };
      for (const n of others) tryAdd(n);
      if (canaryDone) {
        // Spread conflicted nodes over the waves still to come, most constrained first.
        const pending = conflicted.filter((n) => n.wave < 0).length;
        const wavesLeft = Math.max(1, Math.ceil(computes.filter((n) => n.wave < 0).length / maxParallel));
        const quota = Math.ceil(pending / wavesLeft);
        for (const n of conflicted) {
          if (counters.computes >= quota) break;
          tryAdd(n);
        }
      }
      for (const n of calm) {
        if (counters.computes >= computeLimit) break;
        tryAdd(n);
      }
      for (const n of conflicted) {
        if (counters.computes >= computeLimit) break;
        tryAdd(n);
      }
      if (chosen.length === 0 && stuck.length > 0) {
        const first = stuck[0];
        throw new InfeasiblePlanError(
          'not enough spare capacity to move the instances off any node that is next',
          {
            constraint: 'capacity',
            nodes: stuck.map((n) => n.name),
            instances: first
              ? [...first.instances].slice(0, 5).map((i) => world.instances[i]?.name ?? '')
              : [],
            fix: 'add compute capacity in the same site and zone, raise the overcommit ratios, or free capacity',
          },
        );
      }
      if (chosen.length === 0) throw diagnose(world, planned.filter(eligible), maxParallel);

      nodes = chosen.filter((n) => evacuate(world, n, index, finder, counters, migrations));
      for (const n of chosen)
        if (!nodes.includes(n)) {
          n.wave = -1;
          stuck.push(n);
        }
    }

    assignBatches(world, migrations);
    const stays = new Map<number, InstanceState[]>();
    for (const n of nodes)
      stays.set(
        n.index,
        [...n.instances].flatMap((i) => world.instances[i] ?? []),
      );
    const down = [...stays.values()].flat();
    for (const m of migrations) if (m.mode === 'cold') down.push(m.instance);
    for (const n of nodes) {
      left--;
      const s = precedence.signatureOf[n.index] ?? -1;
      precedence.remaining[s] = (precedence.remaining[s] ?? 1) - 1;
      if (n.isCompute) finder.markFinal(n);
    }
    const canary = !canaryDone && nodes.some((n) => n.isCompute);
    if (canary) canaryDone = true;
    waves.push({ index, nodes, migrations, canary, down, stays });
  }
  return waves;
}

function isPrimary(world: World, n: NodeState): boolean {
  return n.clusters.some((c) => world.clusters[c]?.primary === n.index);
}

/** Whether the node may join the wave; records it in the counters when it may. */
function admits(
  world: World,
  n: NodeState,
  wave: number,
  counters: WaveCounters,
  computeLimit: number,
  maxParallel: number,
): boolean {
  if (n.isCompute && counters.computes >= computeLimit) return false;
  for (const c of n.clusters) {
    const cluster = world.clusters[c];
    if (!cluster) continue;
    if ((counters.cluster.get(c) ?? 0) + 1 > cluster.budget) return false;
    // The primary goes after every other member that is being upgraded.
    if (
      cluster.primary === n.index &&
      cluster.members.some((m) => m !== n.index && otherPending(world, m, wave))
    )
      return false;
  }
  // A site's shared-services group is the planner's own, not a declared cluster: it does not lift the limit.
  const unclustered = !n.isCompute && n.clusters.every((c) => world.clusters[c]?.implicit === true);
  if (unclustered && n.roles.some((r) => (counters.role.get(r) ?? 0) + 1 > maxParallel)) return false;

  const down: InstanceState[] = [];
  for (const i of n.instances) {
    const inst = world.instances[i];
    if (inst && inst.treatment !== 'live') down.push(inst);
  }
  if (!budgetAllows(world, counters, down)) return false;

  if (n.isCompute) counters.computes++;
  for (const c of n.clusters) counters.cluster.set(c, (counters.cluster.get(c) ?? 0) + 1);
  if (unclustered) for (const r of n.roles) counters.role.set(r, (counters.role.get(r) ?? 0) + 1);
  charge(counters, down);
  return true;
}

/** Whether taking these instances down keeps every group within maxImpacted and VNF at minAvailable. */
function budgetAllows(world: World, counters: WaveCounters, down: readonly InstanceState[]): boolean {
  const groupDelta = new Map<number, number>();
  const vnfDelta = new Map<number, number>();
  for (const inst of down) {
    if (inst.group >= 0) groupDelta.set(inst.group, (groupDelta.get(inst.group) ?? 0) + 1);
    if (inst.vnf >= 0) vnfDelta.set(inst.vnf, (vnfDelta.get(inst.vnf) ?? 0) + 1);
  }
  for (const [g, d] of groupDelta) {
    const group = world.groups[g];
    if (group && group.alreadyDown + (counters.group.get(g) ?? 0) + d > group.maxImpacted) return false;
  }
  for (const [v, d] of vnfDelta) {
    const vnf = world.vnfs[v];
    if (vnf && vnf.size - vnf.alreadyDown - (counters.vnf.get(v) ?? 0) - d < vnf.minAvailable) return false;
  }
  return true;
}

function charge(counters: WaveCounters, down: readonly InstanceState[]): void {
  for (const inst of down) {
    if (inst.group >= 0) counters.group.set(inst.group, (counters.group.get(inst.group) ?? 0) + 1);
    if (inst.vnf >= 0) counters.vnf.set(inst.vnf, (counters.vnf.get(inst.vnf) ?? 0) + 1);
  }
}

/** A member still to be upgraded in this wave or later. */
function otherPending(world: World, m: number, wave: number): boolean {
  const node = world.nodes[m];
  return node?.planned === true && (node.wave < 0 || node.wave === wave);
}

/**
 * Plans the moves of every movable instance off `n`. An instance with nowhere to go stays (down) if
 * its group and VNF can afford it. On failure, undoes this node's moves and returns false: the node
 * waits for a later wave.
 */
function evacuate(
  world: World,
  n: NodeState,
  wave: number,
  finder: TargetFinder,
  counters: WaveCounters,
  out: PlannedMigration[],
): boolean {
  if (!n.isCompute) return true;
  const units: MoveUnit[] = [];
  const together = new Map<number, InstanceState[]>();
  for (const i of n.instances) {
    const inst = world.instances[i];
    if (!inst) continue;
    const policy = world.groups[inst.group]?.policy;
    if (policy === 'affinity' || policy === 'soft-affinity') {
      const members = together.get(inst.group);
      if (members) members.push(inst);
      else together.set(inst.group, [inst]);
    } else if (inst.treatment !== 'stay')
      units.push({ instances: [inst], resources: inst.resources, group: inst.group });
  }
  for (const [group, all] of together) {
    const members = all.filter((m) => m.treatment !== 'stay');
    if (members.length === 0) continue;
    if (members.length < all.length && world.groups[group]?.policy === 'affinity') {
      // A member that cannot move pins its hard-affinity group: the others stay (down) with it.
      const live = members.filter((m) => m.treatment === 'live'); // the others are counted down already
      if (!budgetAllows(world, counters, live)) return false;
      charge(counters, live);
      continue;
    }
    const r: [number, number, number] = [0, 0, 0];
    for (const m of members) for (let d = 0; d < 3; d++) r[d] = (r[d] ?? 0) + (m.resources[d] ?? 0);
    units.push({ instances: members, resources: r, group });
  }
  // Units that cannot stay (their group or VNF cannot afford them down) take the room first; then the
  // largest first, which packs better.
  const mustMove = (u: MoveUnit) =>
    !budgetAllows(
      world,
      counters,
      u.instances.filter((i) => i.treatment === 'live'),
    );
  const byNeed = (list: MoveUnit[]) => {
    const need = new Map(list.map((u) => [u, mustMove(u)]));
    return list.sort(
      (a, b) =>
        Number(need.get(b)) - Number(need.get(a)) ||
        b.resources[1] - a.resources[1] ||
        b.resources[0] - a.resources[0],
    );
  };
  byNeed(units);
  const mine: PlannedMigration[] = [];
  for (const unit of units) {
    const target = finder.find(unit, n, wave);
    if (!target && unit.instances.length > 1 && world.groups[unit.group]?.policy === 'soft-affinity') {
      // Soft affinity gives way to room: its members move one by one (the loop reaches them later).
      units.push(
        ...byNeed(
          unit.instances.map((inst) => ({ instances: [inst], resources: inst.resources, group: unit.group })),
        ),
      );
      continue;
    }
    // No room anywhere: the unit may still stay (down) when its groups and VNFs allow it. Cold movers
    // are counted down already (a cold move takes them down too); live ones are counted now.
    const live = unit.instances.filter((i) => i.treatment === 'live');
    if (!target && budgetAllows(world, counters, live)) {
      charge(counters, live);
      continue;
    }
    if (!target) {
      for (const m of mine.reverse()) {
        unplace(m.to, m.instance);
        place(m.from, m.instance);
        m.instance.moves--;
      }
      return false;
    }
    for (const inst of unit.instances) {
      unplace(n, inst);
      place(target, inst);
      inst.moves++;
      mine.push({
        instance: inst,
        from: n,
        to: target,
        mode: inst.treatment === 'cold' ? 'cold' : 'live',
        batch: 0,
      });
    }
    finder.placed(target);
  }
  out.push(...mine);
  return true;
}

/** Numbers migrations so that no batch moves more than `maxImpacted` members of one group. */
function assignBatches(world: World, migrations: PlannedMigration[]): void {
  const seen = new Map<number, number>();
  for (const m of migrations) {
    const g = m.instance.group;
    if (g < 0) continue;
    const k = seen.get(g) ?? 0;
    seen.set(g, k + 1);
    m.batch = Math.floor(k / (world.groups[g]?.maxImpacted ?? 1));
  }
}

/** Explains why no ready node could start a wave. */
function diagnose(world: World, ready: NodeState[], maxParallel: number): InfeasiblePlanError {
  const n = ready[0];
  if (!n)
    return new InfeasiblePlanError('the remaining nodes wait on each other', {
      constraint: 'dependency-order',
      nodes: world.nodes.filter((x) => x.planned && x.wave < 0).map((x) => x.name),
      instances: [],
      fix: 'check the component dependencies and the scope',
    });
  for (const c of n.clusters) {
    const cluster = world.clusters[c];
    if (cluster && cluster.budget < 1)
      return new InfeasiblePlanError(
        `cluster "${cluster.name}" needs ${cluster.minAvailable} members up and has only ${cluster.budget + cluster.minAvailable} up, so none can go down`,
        {
          constraint: 'cluster-quorum',
          nodes: cluster.members.map((m) => world.nodes[m]?.name ?? ''),
          instances: [],
          fix: `bring the cluster's down members back up, or lower minAvailable of "${cluster.name}"`,
        },
      );
  }
  for (const i of n.instances) {
    const inst = world.instances[i];
    if (!inst || inst.treatment === 'live') continue;
    const vnf = world.vnfs[inst.vnf];
    if (vnf && vnf.size - vnf.alreadyDown - 1 < vnf.minAvailable)
      return new InfeasiblePlanError(
        `VNF "${vnf.name}" must keep ${vnf.minAvailable} of its ${vnf.size} instances running, and "${inst.name}" on "${n.name}" cannot move`,
        {
          constraint: 'vnf-min-available',
          nodes: [n.name],
          instances: [inst.name],
          fix: `allow "${inst.name}" to migrate (migration: live), lower minAvailable of "${vnf.name}", or leave "${n.name}" out of scope`,
        },
      );
    const group = world.groups[inst.group];
    if (group && group.alreadyDown + 1 > group.maxImpacted)
      return new InfeasiblePlanError(
        `server group "${group.name}" may have ${group.maxImpacted} member(s) down and already has ${group.alreadyDown}; "${inst.name}" on "${n.name}" cannot move`,
        {
          constraint: 'server-group-impact',
          nodes: [n.name],
          instances: [inst.name],
          fix: `bring the group's other members back up, allow "${inst.name}" to migrate, or raise maxImpacted of "${group.name}"`,
        },
      );
  }
  return new InfeasiblePlanError(`no wave can take node "${n.name}" (maxParallel ${maxParallel})`, {
    constraint: 'wave',
    nodes: ready.map((x) => x.name).slice(0, 10),
    instances: [],
    fix: 'relax the campaign strategy or the constraints on these nodes',
  });
}
