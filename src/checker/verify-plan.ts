/**
 * The plan checker: replays a plan wave by wave on its own copy of the placement (instance -> host)
 * and reports every way it breaks the meanings a valid escalator/v1 plan must keep (docs/formats.md).
 *
 * It is written independently of the planner, sharing only the campaign semantics of
 * `planner/scope.ts` (which nodes are in scope, which components are outdated, what `maxParallel`
 * resolves to), so that a planner bug does not hide itself. It is pure and runs in time linear in
 * the size of the inventory and the plan: a plan for 10,000 computes and 120,000 instances is checked
 * in a fraction of a second.
 *
 * Wave numbers in violations are positions in `plan.waves` (which equal `index` in a valid plan).
 * A node's wave, for the ordering rules, is the first wave that lists it.
 *
 * @module
 */
import { resolveCatalog } from '../catalog/catalog.js';
import type { Campaign } from '../model/campaign.js';
import type { Catalog } from '../model/component.js';
import type { Instance, Inventory, InventoryNode, Resources, ServerGroup } from '../model/inventory.js';
import type { Migration, Plan } from '../model/plan.js';
import { inScope, outdatedComponents, resolveMaxParallel } from '../planner/scope.js';

/** The stable codes of every {@link PlanViolation}. Messages may change between releases, codes do not. */
export const ViolationCode = {
  /** A wave's `index` differs from its position in `waves`. */
  WaveIndex: 'wave-index',
  /** An up, in-scope node that needs an upgrade is in no wave. */
  NodeMissing: 'node-missing',
  /** A node is listed more than once (in one wave or in several). */
  NodeRepeated: 'node-repeated',
  /** A wave lists a node that is unknown, not up, out of scope, or already at the target versions. */
  NodeUnexpected: 'node-unexpected',
  /**
   * A wave takes more compute nodes than `maxParallel`, or more than `maxParallel` non-compute nodes
   * of one role that belong to no cluster.
   */
  MaxParallel: 'max-parallel',
  /** The first wave with compute nodes takes more of them than `strategy.canary`. */
  Canary: 'canary',
  /** A wave leaves a cluster with fewer than `minAvailable` members up. */
  ClusterQuorum: 'cluster-quorum',
  /** A cluster's primary is not upgraded strictly after all its other upgraded members. */
  PrimaryOrder: 'primary-order',
  /** A wave takes down every up node of a site that runs one of its shared services. */
  SharedService: 'shared-service',
  /** A wave has more members of a server group down than its `maxImpacted`. */
  ServerGroupImpact: 'server-group-impact',
  /** A wave leaves a VNF with fewer running instances than its `minAvailable`. */
  VnfMinAvailable: 'vnf-min-available',
  /**
   * A migration names an unknown instance, a `from` that is not the instance's current host, or a
   * `from` that is not a node of its wave.
   */
  MigrationSource: 'migration-source',
  /** A migration targets a node that is unknown, not a compute, not up, or in the same wave. */
  MigrationTarget: 'migration-target',
  /**
   * A migration the instance or the campaign does not allow: an instance with `migration: none`, a
   * live move of an instance with `migration: cold`, any move under `instanceAction` `none` or
   * `stop-start`, a live move under `cold-migrate`.
   */
  MigrationMode: 'migration-mode',
  /** An instance is migrated more than once in one wave. */
  MigrationRepeated: 'migration-repeated',
  /** A migration moves an instance to another site. */
  MigrationSite: 'migration-site',
  /** One batch of a wave migrates more members of a server group than its `maxImpacted`. */
  MigrationBatch: 'migration-batch',
  /** After a wave's migrations, a node that received instances is over capacity × overcommit. */
  Capacity: 'capacity',
  /** A wave's migrations put two members of an anti-affinity group on one node. */
  AntiAffinity: 'anti-affinity',
  /** A wave's migrations separate members of an affinity group that were on one node. */
  Affinity: 'affinity',
  /** With `siteOrder: sequential`, a wave holds nodes of more than one site. */
  SiteMixed: 'site-mixed',
  /** With `siteOrder: sequential`, a site comes back after another site's wave followed it. */
  SiteOrder: 'site-order',
  /** A compute node of a site is upgraded no later than a controller of that site. */
  ControlBeforeCompute: 'control-before-compute',
  /** A node is upgraded no later than a node whose outdated component one of its components needs. */
  DependencyOrder: 'dependency-order',
} as const;

/** One of the values of {@link ViolationCode}. */
export type ViolationCode = (typeof ViolationCode)[keyof typeof ViolationCode];

/** How many violations of one code a verdict keeps; all are counted in {@link PlanVerdict.counts}. */
export const MAX_VIOLATIONS_PER_CODE = 1000;

/** One way in which a plan breaks a rule. */
export interface PlanViolation {
  /** The stable code of the rule; see {@link ViolationCode}. */
  readonly code: ViolationCode;
  /** Position of the wave in `plan.waves`; absent for violations of the plan as a whole. */
  readonly wave?: number | undefined;
  /** Names of the nodes, instances, server groups, VNFs, clusters or sites involved. */
  readonly objects: readonly string[];
  /** What is wrong, for people. */
  readonly message: string;
}

/** The result of {@link verifyPlan}. */
export interface PlanVerdict {
  /** True when the plan breaks no rule. */
  readonly ok: boolean;
  /**
   * The violations, ordered by wave (plan-wide ones last); at most
   * {@link MAX_VIOLATIONS_PER_CODE} of each code.
   */
  readonly violations: readonly PlanViolation[];
  /** How many violations of each code were found, including those not kept. */
  readonly counts: Readonly<Record<ViolationCode, number>>;
}

const ALL_CODES = Object.values(ViolationCode);
const DEFAULT_SITE = 'default';
const RESOURCES = ['vcpus', 'memoryMiB', 'diskGiB'] as const;

class Findings {
  readonly kept: PlanViolation[] = [];
  readonly counts = Object.fromEntries(ALL_CODES.map((c) => [c, 0])) as Record<ViolationCode, number>;

  add(code: ViolationCode, wave: number | undefined, objects: readonly string[], message: string): void {
    const seen = this.counts[code];
    this.counts[code] = seen + 1;
    if (seen >= MAX_VIOLATIONS_PER_CODE) return;
    this.kept.push(wave === undefined ? { code, objects, message } : { code, wave, objects, message });
  }
}

/** The inventory indexed for the checks; built once. */
interface Index {
  readonly nodes: ReadonlyMap<string, InventoryNode>;
  readonly outdated: ReadonlyMap<string, readonly string[]>;
  /** Nodes the plan must upgrade, in inventory order. */
  readonly required: ReadonlySet<string>;
  readonly clustersOf: ReadonlyMap<string, readonly number[]>;
  /** Members of each cluster (by position) whose inventory state is up. */
  readonly clusterBaseUp: readonly number[];
  readonly sharedGroups: readonly SharedGroup[];
  readonly sharedOf: ReadonlyMap<string, readonly number[]>;
  readonly instances: ReadonlyMap<string, Instance>;
  readonly groups: ReadonlyMap<string, ServerGroup>;
  readonly groupMembers: ReadonlyMap<string, readonly string[]>;
  readonly vnfSize: ReadonlyMap<string, number>;
  readonly vnfMinAvailable: ReadonlyMap<string, number>;
  /** Allocation ratios, by resource name. */
  readonly overcommit: Resources;
}

/** The implicit redundancy group of a site's shared services. */
interface SharedGroup {
  readonly site: string;
  readonly members: readonly string[];
  /** Members whose inventory state is up. */
  readonly up: number;
}

/** The replayed placement, changed by each wave's migrations. */
interface Placement {
  readonly host: Map<string, string>;
  readonly byHost: Map<string, Set<string>>;
  readonly usage: Map<string, { vcpus: number; memoryMiB: number; diskGiB: number }>;
  /** Anti-affinity group -> host -> members there. */
  readonly antiAffinity: Map<string, Map<string, number>>;
  /** Members of each server group / VNF on nodes that are not up (always down). */
  readonly groupDown: Map<string, number>;
  readonly vnfDown: Map<string, number>;
}

/**
 * Checks a plan against the inventory and campaign it was made for, and reports every violation,
 * each with a stable {@link ViolationCode}, its wave, the objects involved and a message.
 *
 * The rules: every up, in-scope node that needs an upgrade is in exactly one wave and no other node
 * is; waves respect `maxParallel` and the canary size; clusters keep `minAvailable` members up and
 * upgrade their primary last; a site's shared services keep one node up; server groups and VNFs
 * keep their `maxImpacted` / `minAvailable`; migrations start on a node of their wave at the
 * instance's current host, target an up compute outside the wave in the same site, use an allowed
 * mode, move an instance once per wave, respect batches, capacity and (anti-)affinity; sites go one
 * at a time when `siteOrder` is sequential; controllers precede computes of their site; and a node
 * comes after every node that upgrades a component its own components depend on.
 *
 * State that the plan does not touch is the inventory's problem, not the plan's: a cluster, server
 * group, VNF or shared-service group is only checked in waves that take one of its members down,
 * and capacity and anti-affinity only where a wave's migrations changed something.
 *
 * @param catalog - the component catalog; defaults to `resolveCatalog(campaign.components)`.
 * @example
 * ```ts
 * const verdict = verifyPlan(inventory, campaign, plan);
 * if (!verdict.ok) for (const v of verdict.violations) console.error(`${v.code} wave ${v.wave}: ${v.message}`);
 * ```
 */
export function verifyPlan(
  inventory: Inventory,
  campaign: Campaign,
  plan: Plan,
  catalog?: Catalog,
): PlanVerdict {
  const resolvedCatalog = catalog ?? resolveCatalog(campaign.components);
  const findings = new Findings();
  const index = buildIndex(inventory, campaign);
  const placement = buildPlacement(inventory, index);
  const maxParallel = resolveMaxParallel(inventory, campaign);
  const firstWave = new Map<string, number>();
  let canarySeen = false;
  const sites = new SiteOrder(findings, campaign.strategy.siteOrder === 'sequential');

  plan.waves.forEach((wave, w) => {
    if (wave.index !== w)
      findings.add(ViolationCode.WaveIndex, w, [], `the wave at position ${w} has index ${wave.index}`);
    const members = coverage(findings, index, wave.nodes, w, firstWave);
    const computes = [...members].filter((n) => index.nodes.get(n)?.roles.includes('compute'));
    if (computes.length > maxParallel)
      findings.add(
        ViolationCode.MaxParallel,
        w,
        computes,
        `wave ${w} takes ${computes.length} compute nodes, more than maxParallel ${maxParallel}`,
      );
    if (computes.length > 0 && !canarySeen) {
      canarySeen = true;
      if (computes.length > campaign.strategy.canary)
        findings.add(
          ViolationCode.Canary,
          w,
          computes,
          `wave ${w}, the canary, takes ${computes.length} compute nodes, more than canary ${campaign.strategy.canary}`,
        );
    }
    checkUnclustered(findings, index, members, w, maxParallel);
    checkClusters(findings, inventory, index, members, w);
    checkSharedServices(findings, index, members, w);
    sites.wave(index, members, w);
    replayWave(findings, campaign, index, placement, members, wave.migrations, w);
  });

  for (const name of index.required)
    if (!firstWave.has(name))
      findings.add(
        ViolationCode.NodeMissing,
        undefined,
        [name],
        `node "${name}" needs an upgrade but is in no wave`,
      );
  checkPrimaries(findings, inventory, firstWave);
  checkControllersFirst(findings, index, firstWave);
  checkDependencies(findings, index, resolvedCatalog, firstWave);

  const violations = findings.kept
    .map((v, i) => ({ v, i }))
    .sort(
      (a, b) => (a.v.wave ?? Number.MAX_SAFE_INTEGER) - (b.v.wave ?? Number.MAX_SAFE_INTEGER) || a.i - b.i,
    )
    .map(({ v }) => v);
  return { ok: violations.length === 0, violations, counts: findings.counts };
}

function siteOf(node: InventoryNode): string {
  return node.site ?? DEFAULT_SITE;
}

function describeState(state: InventoryNode['state']): string {
  return state === 'maintenance' ? 'in maintenance' : state;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function increment<K>(map: Map<K, number>, key: K, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

function buildIndex(inventory: Inventory, campaign: Campaign): Index {
  const nodes = new Map<string, InventoryNode>();
  const outdated = new Map<string, readonly string[]>();
  const required = new Set<string>();
  for (const node of inventory.nodes) {
    nodes.set(node.name, node);
    const components = outdatedComponents(node, campaign.target);
    outdated.set(node.name, components);
    if (node.state === 'up' && components.length > 0 && inScope(node, campaign.scope))
      required.add(node.name);
  }
  const isUp = (name: string) => nodes.get(name)?.state === 'up';

  const clustersOf = new Map<string, number[]>();
  const clusterBaseUp = inventory.clusters.map((cluster, c) => {
    const members = new Set(cluster.members);
    for (const member of members) push(clustersOf, member, c);
    return [...members].filter(isUp).length;
  });

  const sharedGroups: SharedGroup[] = [];
  const sharedOf = new Map<string, number[]>();
  for (const site of inventory.sites) {
    if (site.sharedServices.length === 0) continue;
    const members = inventory.nodes
      .filter((n) => siteOf(n) === site.name && site.sharedServices.some((s) => n.software[s] !== undefined))
      .map((n) => n.name);
    if (members.length === 0) continue;
    // A declared cluster holding all of them already guards their availability (with its own quorum).
    if (inventory.clusters.some((c) => members.every((m) => c.members.includes(m)))) continue;
    for (const member of members) push(sharedOf, member, sharedGroups.length);
    sharedGroups.push({ site: site.name, members, up: members.filter(isUp).length });
  }

  const instances = new Map<string, Instance>();
  const groupMembers = new Map<string, string[]>();
  const vnfSize = new Map<string, number>();
  for (const instance of inventory.instances) {
    instances.set(instance.name, instance);
    if (instance.serverGroup !== undefined) push(groupMembers, instance.serverGroup, instance.name);
    if (instance.vnf !== undefined) increment(vnfSize, instance.vnf, 1);
  }
  const groups = new Map(inventory.serverGroups.map((g) => [g.name, g]));
  const { cpu, memory, disk } = inventory.overcommit;
  return {
    nodes,
    outdated,
    required,
    clustersOf,
    clusterBaseUp,
    sharedGroups,
    sharedOf,
    instances,
    groups,
    groupMembers,
    vnfSize,
    vnfMinAvailable: new Map(inventory.vnfs.map((v) => [v.name, v.minAvailable])),
    overcommit: { vcpus: cpu, memoryMiB: memory, diskGiB: disk },
  };
}

function buildPlacement(inventory: Inventory, index: Index): Placement {
  const placement: Placement = {
    host: new Map(),
    byHost: new Map(),
    usage: new Map(),
    antiAffinity: new Map(),
    groupDown: new Map(),
    vnfDown: new Map(),
  };
  for (const group of inventory.serverGroups)
    if (group.policy === 'anti-affinity') placement.antiAffinity.set(group.name, new Map());
  for (const instance of index.instances.values()) {
    placement.host.set(instance.name, instance.host);
    arrive(placement, index, instance, instance.host);
  }
  return placement;
}

/** Records an instance on a host: placement, load, anti-affinity and always-down counts. */
function arrive(placement: Placement, index: Index, instance: Instance, host: string): void {
  const here = placement.byHost.get(host);
  if (here === undefined) placement.byHost.set(host, new Set([instance.name]));
  else here.add(instance.name);
  const load = placement.usage.get(host);
  if (load === undefined) placement.usage.set(host, { ...instance.resources });
  else for (const r of RESOURCES) load[r] += instance.resources[r];
  if (instance.serverGroup !== undefined) {
    const hosts = placement.antiAffinity.get(instance.serverGroup);
    if (hosts !== undefined) increment(hosts, host, 1);
  }
  if (index.nodes.get(host)?.state !== 'up') countDown(placement, instance, 1);
}

function leave(placement: Placement, index: Index, instance: Instance, host: string): void {
  placement.byHost.get(host)?.delete(instance.name);
  const load = placement.usage.get(host);
  if (load !== undefined) for (const r of RESOURCES) load[r] -= instance.resources[r];
  if (instance.serverGroup !== undefined) {
    const hosts = placement.antiAffinity.get(instance.serverGroup);
    if (hosts !== undefined) increment(hosts, host, -1);
  }
  if (index.nodes.get(host)?.state !== 'up') countDown(placement, instance, -1);
}

function countDown(placement: Placement, instance: Instance, by: number): void {
  if (instance.serverGroup !== undefined) increment(placement.groupDown, instance.serverGroup, by);
  if (instance.vnf !== undefined) increment(placement.vnfDown, instance.vnf, by);
}

/** Rule 1 for one wave; returns the wave's known nodes (each once). */
function coverage(
  findings: Findings,
  index: Index,
  names: readonly string[],
  w: number,
  firstWave: Map<string, number>,
): Set<string> {
  const members = new Set<string>();
  const listed = new Set<string>();
  for (const name of names) {
    if (listed.has(name)) {
      findings.add(ViolationCode.NodeRepeated, w, [name], `node "${name}" is listed twice in wave ${w}`);
      continue;
    }
    listed.add(name);
    const node = index.nodes.get(name);
    if (node !== undefined) members.add(name);
    const earlier = firstWave.get(name);
    if (earlier !== undefined) {
      findings.add(
        ViolationCode.NodeRepeated,
        w,
        [name],
        `node "${name}" is in wave ${w} but already in wave ${earlier}`,
      );
      continue;
    }
    firstWave.set(name, w);
    if (index.required.has(name)) continue;
    const why =
      node === undefined
        ? 'is not in the inventory'
        : node.state !== 'up'
          ? `is ${describeState(node.state)}`
          : (index.outdated.get(name)?.length ?? 0) === 0
            ? 'already runs the target versions'
            : 'is out of the campaign scope';
    findings.add(ViolationCode.NodeUnexpected, w, [name], `node "${name}" in wave ${w} ${why}`);
  }
  return members;
}

/** Rule 3: non-compute nodes outside clusters, at most maxParallel of each role per wave. */
function checkUnclustered(
  findings: Findings,
  index: Index,
  members: ReadonlySet<string>,
  w: number,
  maxParallel: number,
): void {
  const byRole = new Map<string, string[]>();
  for (const name of members) {
    const node = index.nodes.get(name);
    if (node === undefined || node.roles.includes('compute') || index.clustersOf.has(name)) continue;
    for (const role of new Set(node.roles)) push(byRole, role, name);
  }
  for (const [role, names] of byRole)
    if (names.length > maxParallel)
      findings.add(
        ViolationCode.MaxParallel,
        w,
        names,
        `wave ${w} takes ${names.length} ${role} nodes that belong to no cluster, more than maxParallel ${maxParallel}`,
      );
}

/** Rule 4, quorum part: clusters with a member in the wave. */
function checkClusters(
  findings: Findings,
  inventory: Inventory,
  index: Index,
  members: ReadonlySet<string>,
  w: number,
): void {
  const inWave = new Map<number, string[]>();
  for (const name of members) for (const c of index.clustersOf.get(name) ?? []) push(inWave, c, name);
  for (const [c, names] of inWave) {
    const cluster = inventory.clusters[c];
    if (cluster === undefined) continue;
    const up = (index.clusterBaseUp[c] ?? 0) - names.filter((n) => index.nodes.get(n)?.state === 'up').length;
    if (up < cluster.minAvailable)
      findings.add(
        ViolationCode.ClusterQuorum,
        w,
        [cluster.name, ...names],
        `wave ${w} leaves cluster "${cluster.name}" with ${up} members up, fewer than minAvailable ${cluster.minAvailable}`,
      );
  }
}

/** Rule 4, shared services: one up node of each implicit group stays out of the wave. */
function checkSharedServices(
  findings: Findings,
  index: Index,
  members: ReadonlySet<string>,
  w: number,
): void {
  const inWave = new Map<number, string[]>();
  for (const name of members) for (const g of index.sharedOf.get(name) ?? []) push(inWave, g, name);
  for (const [g, names] of inWave) {
    const group = index.sharedGroups[g];
    if (group === undefined) continue;
    const up = group.up - names.filter((n) => index.nodes.get(n)?.state === 'up').length;
    if (up < 1)
      findings.add(
        ViolationCode.SharedService,
        w,
        [group.site, ...names],
        `wave ${w} takes down every up node of site "${group.site}" that runs its shared services`,
      );
  }
}

/** Rule 8: sites one at a time. */
class SiteOrder {
  /** Sites that were followed by a wave of another site: they may not come back. */
  private readonly closed = new Set<string>();
  /** Sites seen and not yet closed. */
  private readonly open = new Set<string>();

  constructor(
    private readonly findings: Findings,
    private readonly enabled: boolean,
  ) {}

  wave(index: Index, members: ReadonlySet<string>, w: number): void {
    if (!this.enabled) return;
    const sites = new Set<string>();
    for (const name of members) {
      const node = index.nodes.get(name);
      if (node !== undefined) sites.add(siteOf(node));
    }
    if (sites.size === 0) return;
    const list = [...sites];
    if (list.length > 1)
      this.findings.add(ViolationCode.SiteMixed, w, list, `wave ${w} mixes sites ${list.join(', ')}`);
    for (const site of list)
      if (this.closed.has(site))
        this.findings.add(
          ViolationCode.SiteOrder,
          w,
          [site],
          `wave ${w} returns to site "${site}" after another site's wave followed it`,
        );
    const only = list.length === 1 ? list[0] : undefined;
    for (const site of this.open)
      if (site !== only) {
        this.open.delete(site);
        this.closed.add(site);
      }
    for (const site of list) if (!this.closed.has(site)) this.open.add(site);
  }
}

/** Rules 5, 6 and 7: the wave's migrations, then who is down. */
function replayWave(
  findings: Findings,
  campaign: Campaign,
  index: Index,
  placement: Placement,
  members: ReadonlySet<string>,
  migrations: readonly Migration[],
  w: number,
): void {
  const isUp = (name: string | undefined) => name !== undefined && index.nodes.get(name)?.state === 'up';
  // Instances on the wave's nodes when it starts: down unless they leave.
  const resident: string[] = [];
  for (const name of members) for (const i of placement.byHost.get(name) ?? []) resident.push(i);

  const startHost = new Map<string, string>();
  const named = new Set<string>();
  const cold = new Set<string>();
  const receivers = new Set<string>();
  const batches = new Map<number, Map<string, string[]>>();
  const action = campaign.strategy.instanceAction;

  for (const m of migrations) {
    const instance = index.instances.get(m.instance);
    const current = placement.host.get(m.instance);
    if (named.has(m.instance))
      findings.add(
        ViolationCode.MigrationRepeated,
        w,
        [m.instance],
        `instance "${m.instance}" is migrated more than once in wave ${w}`,
      );
    named.add(m.instance);

    const source: string[] = [];
    if (instance === undefined) source.push(`instance "${m.instance}" is not in the inventory`);
    else if (current !== m.from) source.push(`instance "${m.instance}" is on "${current}", not "${m.from}"`);
    if (!members.has(m.from)) source.push(`"${m.from}" is not a node of wave ${w}`);
    if (source.length > 0)
      findings.add(
        ViolationCode.MigrationSource,
        w,
        [m.instance, m.from],
        `migration of "${m.instance}" from "${m.from}": ${source.join('; ')}`,
      );

    const to = index.nodes.get(m.to);
    const target: string[] = [];
    if (to === undefined) target.push('is not in the inventory');
    else {
      if (!to.roles.includes('compute')) target.push('is not a compute node');
      if (to.state !== 'up') target.push(`is ${describeState(to.state)}`);
      if (members.has(m.to)) target.push(`is in wave ${w} itself`);
    }
    if (target.length > 0)
      findings.add(
        ViolationCode.MigrationTarget,
        w,
        [m.instance, m.to],
        `migration of "${m.instance}" to "${m.to}": the target ${target.join(', ')}`,
      );

    if (instance !== undefined) {
      const mode = modeProblem(instance, m.mode, action);
      if (mode !== undefined)
        findings.add(
          ViolationCode.MigrationMode,
          w,
          [m.instance],
          `${m.mode} migration of "${m.instance}": ${mode}`,
        );
      const from = current === undefined ? undefined : index.nodes.get(current);
      if (from !== undefined && to !== undefined && siteOf(from) !== siteOf(to))
        findings.add(
          ViolationCode.MigrationSite,
          w,
          [m.instance, from.name, to.name],
          `migration of "${m.instance}" from "${from.name}" (site ${siteOf(from)}) to "${to.name}" (site ${siteOf(to)}) leaves its site`,
        );
      if (instance.serverGroup !== undefined) {
        let batch = batches.get(m.batch);
        if (batch === undefined) batches.set(m.batch, (batch = new Map()));
        push(batch, instance.serverGroup, m.instance);
      }
      if (to !== undefined && current !== undefined) {
        if (!startHost.has(m.instance)) startHost.set(m.instance, current);
        if (m.mode === 'cold') cold.add(m.instance);
        leave(placement, index, instance, current);
        placement.host.set(m.instance, m.to);
        arrive(placement, index, instance, m.to);
        receivers.add(m.to);
      }
    }
  }

  checkBatches(findings, index, batches, w);
  checkCapacity(findings, index, placement, receivers, w);
  checkGroupsAfterMoves(findings, index, placement, startHost, w);

  // Who is down during the wave: the always-down (instances on nodes that are not up, counted in
  // placement as it was when the wave started) plus those the wave takes down.
  const extraGroup = new Map<string, string[]>();
  const extraVnf = new Map<string, string[]>();
  const considered = new Set<string>();
  for (const name of [...resident, ...startHost.keys()]) {
    if (considered.has(name)) continue;
    considered.add(name);
    const instance = index.instances.get(name);
    if (instance === undefined) continue;
    const start = startHost.get(name) ?? placement.host.get(name);
    if (!isUp(start)) continue;
    const end = placement.host.get(name);
    if (!(cold.has(name) || end === undefined || members.has(end) || !isUp(end))) continue;
    if (instance.serverGroup !== undefined) push(extraGroup, instance.serverGroup, name);
    if (instance.vnf !== undefined) push(extraVnf, instance.vnf, name);
  }
  // placement's always-down counts already follow the moves; take them back to the wave's start.
  const groupStartCorrection = new Map<string, number>();
  const vnfStartCorrection = new Map<string, number>();
  for (const [name, start] of startHost) {
    const instance = index.instances.get(name);
    const end = placement.host.get(name);
    if (instance === undefined || isUp(start) === isUp(end)) continue;
    const correction = isUp(start) ? -1 : 1;
    if (instance.serverGroup !== undefined) increment(groupStartCorrection, instance.serverGroup, correction);
    if (instance.vnf !== undefined) increment(vnfStartCorrection, instance.vnf, correction);
  }
  for (const [name, down] of extraGroup) {
    const group = index.groups.get(name);
    if (group === undefined) continue;
    const total = (placement.groupDown.get(name) ?? 0) + (groupStartCorrection.get(name) ?? 0) + down.length;
    if (total > group.maxImpacted)
      findings.add(
        ViolationCode.ServerGroupImpact,
        w,
        [name, ...down],
        `wave ${w} has ${total} members of server group "${name}" down, more than maxImpacted ${group.maxImpacted}`,
      );
  }
  for (const [name, down] of extraVnf) {
    const vnf = index.vnfSize.get(name);
    const minAvailable = index.vnfMinAvailable.get(name);
    if (vnf === undefined || minAvailable === undefined) continue;
    const running =
      vnf - (placement.vnfDown.get(name) ?? 0) - (vnfStartCorrection.get(name) ?? 0) - down.length;
    if (running < minAvailable)
      findings.add(
        ViolationCode.VnfMinAvailable,
        w,
        [name, ...down],
        `wave ${w} leaves VNF "${name}" with ${running} instances running, fewer than minAvailable ${minAvailable}`,
      );
  }
}

function modeProblem(
  instance: Instance,
  mode: Migration['mode'],
  action: Campaign['strategy']['instanceAction'],
): string | undefined {
  if (action === 'none' || action === 'stop-start')
    return `the campaign's instanceAction is ${action}: no instance is migrated`;
  if (instance.migration === 'none') return 'the instance cannot move (migration: none)';
  if (mode !== 'cold' && instance.migration === 'cold')
    return 'the instance only moves cold (migration: cold)';
  if (mode !== 'cold' && action === 'cold-migrate') return "the campaign's instanceAction is cold-migrate";
  return undefined;
}

function checkBatches(
  findings: Findings,
  index: Index,
  batches: ReadonlyMap<number, ReadonlyMap<string, readonly string[]>>,
  w: number,
): void {
  for (const [batch, groups] of [...batches].sort((a, b) => a[0] - b[0]))
    for (const [name, moved] of groups) {
      const group = index.groups.get(name);
      if (group !== undefined && moved.length > group.maxImpacted)
        findings.add(
          ViolationCode.MigrationBatch,
          w,
          [name, ...moved],
          `batch ${batch} of wave ${w} migrates ${moved.length} members of server group "${name}", more than maxImpacted ${group.maxImpacted}`,
        );
    }
}

// Sums are built in an order the planner may not share: allow for rounding.
const TOLERANCE = 1e-9;

function checkCapacity(
  findings: Findings,
  index: Index,
  placement: Placement,
  receivers: ReadonlySet<string>,
  w: number,
): void {
  const oc = index.overcommit;
  for (const name of receivers) {
    const capacity = index.nodes.get(name)?.capacity;
    const load = placement.usage.get(name);
    if (capacity === undefined || load === undefined) continue;
    const over: string[] = [];
    for (const r of RESOURCES) {
      const limit = capacity[r] * oc[r];
      if (load[r] > limit * (1 + TOLERANCE) + TOLERANCE) over.push(`${r} ${load[r]} > ${limit}`);
    }
    if (over.length > 0)
      findings.add(
        ViolationCode.Capacity,
        w,
        [name],
        `after wave ${w}'s migrations, node "${name}" is over capacity × overcommit: ${over.join(', ')}`,
      );
  }
}

/** Anti-affinity (new co-locations only) and affinity (members together stay together). */
function checkGroupsAfterMoves(
  findings: Findings,
  index: Index,
  placement: Placement,
  startHost: ReadonlyMap<string, string>,
  w: number,
): void {
  const reported = new Set<string>();
  const affinityGroups = new Set<string>();
  for (const [name, start] of startHost) {
    const groupName = index.instances.get(name)?.serverGroup;
    const group = groupName === undefined ? undefined : index.groups.get(groupName);
    if (group === undefined) continue;
    if (group.policy === 'affinity') affinityGroups.add(group.name);
    const end = placement.host.get(name);
    if (group.policy !== 'anti-affinity' || end === undefined || end === start) continue;
    if ((placement.antiAffinity.get(group.name)?.get(end) ?? 0) < 2) continue;
    const key = `${group.name}\u0000${end}`;
    if (reported.has(key)) continue;
    reported.add(key);
    const together = [...(placement.byHost.get(end) ?? [])].filter(
      (i) => index.instances.get(i)?.serverGroup === group.name,
    );
    findings.add(
      ViolationCode.AntiAffinity,
      w,
      [group.name, end, ...together],
      `after wave ${w}'s migrations, node "${end}" holds ${together.length} members of anti-affinity group "${group.name}"`,
    );
  }
  for (const name of affinityGroups) {
    const byStart = new Map<string, string[]>();
    for (const member of index.groupMembers.get(name) ?? []) {
      const start = startHost.get(member) ?? placement.host.get(member);
      if (start !== undefined) push(byStart, start, member);
    }
    for (const [start, together] of byStart) {
      if (together.length < 2) continue;
      const ends = new Set(together.map((i) => placement.host.get(i)));
      if (ends.size > 1)
        findings.add(
          ViolationCode.Affinity,
          w,
          [name, ...together],
          `wave ${w} separates members of affinity group "${name}" that were together on "${start}"`,
        );
    }
  }
}

/** Rule 4, primaries: a cluster's primary strictly after its other upgraded members. */
function checkPrimaries(
  findings: Findings,
  inventory: Inventory,
  firstWave: ReadonlyMap<string, number>,
): void {
  for (const cluster of inventory.clusters) {
    if (cluster.primary === undefined) continue;
    const pw = firstWave.get(cluster.primary);
    if (pw === undefined) continue;
    const late = cluster.members.filter((m) => m !== cluster.primary && (firstWave.get(m) ?? -1) >= pw);
    if (late.length > 0)
      findings.add(
        ViolationCode.PrimaryOrder,
        pw,
        [cluster.name, cluster.primary, ...late],
        `primary "${cluster.primary}" of cluster "${cluster.name}" is in wave ${pw}, not after ${late.map((m) => `"${m}" (wave ${firstWave.get(m)})`).join(', ')}`,
      );
  }
}

/** Rule 9: within a site, controllers before the computes that are not controllers. */
function checkControllersFirst(
  findings: Findings,
  index: Index,
  firstWave: ReadonlyMap<string, number>,
): void {
  const controllers = new Map<string, { name: string; wave: number }[]>();
  const lastController = new Map<string, number>();
  for (const [name, wave] of firstWave) {
    const node = index.nodes.get(name);
    if (!node?.roles.includes('controller')) continue;
    push(controllers, siteOf(node), { name, wave });
    lastController.set(siteOf(node), Math.max(wave, lastController.get(siteOf(node)) ?? -1));
  }
  // firstWave is in plan order, so computes come grouped by wave, waves ascending.
  const early = new Map<string, { wave: number; names: string[] }>();
  const flush = (site: string) => {
    const group = early.get(site);
    if (group === undefined) return;
    early.delete(site);
    const late = (controllers.get(site) ?? []).filter((c) => c.wave >= group.wave).map((c) => c.name);
    findings.add(
      ViolationCode.ControlBeforeCompute,
      group.wave,
      [...group.names, ...late],
      `wave ${group.wave} upgrades compute nodes of site "${site}" before its controllers ${late.map((c) => `"${c}"`).join(', ')} are done`,
    );
  };
  for (const [name, wave] of firstWave) {
    const node = index.nodes.get(name);
    if (!node?.roles.includes('compute') || node.roles.includes('controller')) continue;
    const site = siteOf(node);
    if (wave > (lastController.get(site) ?? -1)) continue;
    const group = early.get(site);
    if (group?.wave === wave) group.names.push(name);
    else {
      flush(site);
      early.set(site, { wave, names: [name] });
    }
  }
  for (const site of [...early.keys()]) flush(site);
}

/** Rule 10: a node after every node upgrading a component its outdated components depend on. */
function checkDependencies(
  findings: Findings,
  index: Index,
  catalog: Catalog,
  firstWave: ReadonlyMap<string, number>,
): void {
  const ancestors = new Map<string, ReadonlySet<string>>();
  const ancestorsOf = (component: string, path: Set<string> = new Set()): ReadonlySet<string> => {
    const known = ancestors.get(component);
    if (known !== undefined) return known;
    const out = new Set<string>();
    path.add(component);
    for (const dep of catalog[component]?.dependsOn ?? []) {
      if (path.has(dep)) continue; // a cycle (only in a hand-made catalog): do not loop
      out.add(dep);
      for (const a of ancestorsOf(dep, path)) out.add(a);
    }
    path.delete(component);
    ancestors.set(component, out);
    return out;
  };

  const last = new Map<string, { wave: number; node: string }>();
  for (const [name, wave] of firstWave)
    for (const component of index.outdated.get(name) ?? [])
      if (wave >= (last.get(component)?.wave ?? -1)) last.set(component, { wave, node: name });

  // Most nodes share their set of outdated components: compute what it needs once per set.
  const needs = new Map<string, readonly string[]>();
  for (const [name, wave] of firstWave) {
    const outdated = index.outdated.get(name) ?? [];
    if (outdated.length === 0) continue;
    const key = outdated.join('\n');
    let needed = needs.get(key);
    if (needed === undefined) {
      const own = new Set(outdated);
      const all = new Set<string>();
      for (const b of outdated) for (const a of ancestorsOf(b)) if (!own.has(a)) all.add(a);
      needed = [...all];
      needs.set(key, needed);
    }
    const blockers: string[] = [];
    const nodes = new Set<string>();
    for (const a of needed) {
      const before = last.get(a);
      if (before === undefined || before.wave < wave) continue;
      const b = outdated.find((c) => ancestorsOf(c).has(a));
      blockers.push(`${b} needs ${a}, upgraded on "${before.node}" in wave ${before.wave}`);
      nodes.add(before.node);
    }
    if (blockers.length > 0)
      findings.add(
        ViolationCode.DependencyOrder,
        wave,
        [name, ...nodes],
        `node "${name}" in wave ${wave} comes too early: ${blockers.join('; ')}`,
      );
  }
}
