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
import type { Instance, Inventory, InventoryNode, ServerGroup, Vnf } from '../model/inventory.js';
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

/** Collects violations: counts every one, keeps the first {@link MAX_VIOLATIONS_PER_CODE} of each code. */
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

/** The inventory's nodes indexed for the node-level rules; built once. */
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
}

/** The implicit redundancy group of a site's shared services. */
interface SharedGroup {
  readonly site: string;
  readonly members: readonly string[];
  /** Members whose inventory state is up. */
  readonly up: number;
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
  const replay = new Replay(inventory, findings, campaign.strategy.instanceAction);
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
    replay.wave(members, wave.migrations, w);
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
  checkDependencies(findings, inventory, index, resolvedCatalog, firstWave);

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

  return { nodes, outdated, required, clustersOf, clusterBaseUp, sharedGroups, sharedOf };
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

/**
 * Rules 5, 6 and 7: the replayed placement. Nodes, instances, server groups and VNFs are numbered
 * and kept in typed arrays (reads are in bounds by construction, hence the `!`), and each node's
 * instances form a linked list: at 100,000s of instances, string-keyed maps and sets would cost
 * more than the checks themselves.
 */
class Replay {
  private readonly nodeNames: readonly string[];
  private readonly nodeId = new Map<string, number>();
  private readonly nodeList: readonly InventoryNode[];
  private readonly up: Uint8Array;
  private readonly compute: Uint8Array;
  /** capacity × overcommit, 3 per node (vcpus, memoryMiB, diskGiB); NaN without a capacity. */
  private readonly limit: Float64Array;

  private readonly instances: readonly Instance[];
  private readonly instanceNames: readonly string[];
  private readonly mobility: readonly Instance['migration'][];
  /** Built on first need: most migrations find their instance on their `from` node. */
  private instanceId: Map<string, number> | undefined;
  /** Resources, 3 per instance. */
  private readonly resources: Float64Array;
  private readonly groups: readonly ServerGroup[];
  /** Server group of each instance, -1 for none (or an unknown one). */
  private readonly groupOf: Int32Array;
  private readonly antiAffinity: Uint8Array;
  private readonly groupMembers: number[][];
  private readonly vnfs: readonly Vnf[];
  private readonly vnfOf: Int32Array;
  private readonly vnfSize: Int32Array;

  /** Node of each instance, -1 for a host the inventory does not know. */
  private readonly host: Int32Array;
  /** Each node's instances, in arrival order: a doubly linked list. */
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly size: Int32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  /** Resources used, 3 per node. */
  private readonly usage: Float64Array;
  /** Members of each server group / VNF on nodes that are not up (always down). */
  private readonly groupDown: Int32Array;
  private readonly vnfDown: Int32Array;

  // Per-wave marks, equal to the wave's number when set in that wave (so never cleared).
  private readonly inWave: Int32Array;
  private readonly received: Int32Array;
  private readonly movedAt: Int32Array;
  private readonly startHost: Int32Array;
  private readonly coldAt: Int32Array;
  private readonly namedAt: Int32Array;
  private readonly seenAt: Int32Array;

  constructor(
    inventory: Inventory,
    private readonly findings: Findings,
    private readonly action: Campaign['strategy']['instanceAction'],
  ) {
    const nodes = inventory.nodes;
    const nodeCount = nodes.length;
    this.nodeList = nodes;
    this.nodeNames = nodes.map((n) => n.name);
    nodes.forEach((n, id) => {
      if (!this.nodeId.has(n.name)) this.nodeId.set(n.name, id);
    });
    this.up = Uint8Array.from(nodes, (n) => (n.state === 'up' ? 1 : 0));
    this.compute = Uint8Array.from(nodes, (n) => (n.roles.includes('compute') ? 1 : 0));
    this.limit = new Float64Array(nodeCount * 3).fill(Number.NaN);
    const oc = inventory.overcommit;
    nodes.forEach((n, id) => {
      if (n.capacity === undefined) return;
      this.limit[id * 3] = n.capacity.vcpus * oc.cpu;
      this.limit[id * 3 + 1] = n.capacity.memoryMiB * oc.memory;
      this.limit[id * 3 + 2] = n.capacity.diskGiB * oc.disk;
    });

    this.groups = inventory.serverGroups;
    const groupId = new Map(this.groups.map((g, i) => [g.name, i]));
    this.antiAffinity = Uint8Array.from(this.groups, (g) => (g.policy === 'anti-affinity' ? 1 : 0));
    this.groupMembers = this.groups.map(() => []);
    this.groupDown = new Int32Array(this.groups.length);
    this.vnfs = inventory.vnfs;
    const vnfId = new Map(this.vnfs.map((v, i) => [v.name, i]));
    this.vnfSize = new Int32Array(this.vnfs.length);
    this.vnfDown = new Int32Array(this.vnfs.length);

    this.instances = inventory.instances;
    this.instanceNames = this.instances.map((i) => i.name);
    this.mobility = this.instances.map((i) => i.migration);
    const count = this.instances.length;
    this.resources = new Float64Array(count * 3);
    this.groupOf = new Int32Array(count).fill(-1);
    this.vnfOf = new Int32Array(count).fill(-1);
    this.host = new Int32Array(count).fill(-1);
    this.head = new Int32Array(nodeCount).fill(-1);
    this.tail = new Int32Array(nodeCount).fill(-1);
    this.size = new Int32Array(nodeCount);
    this.next = new Int32Array(count).fill(-1);
    this.prev = new Int32Array(count).fill(-1);
    this.usage = new Float64Array(nodeCount * 3);
    // Inventories list instances host by host: look a host up once per run of equal hosts.
    let lastHostName: string | undefined;
    let lastHost: number | undefined;
    this.instances.forEach((instance, i) => {
      this.resources[i * 3] = instance.resources.vcpus;
      this.resources[i * 3 + 1] = instance.resources.memoryMiB;
      this.resources[i * 3 + 2] = instance.resources.diskGiB;
      const g = instance.serverGroup === undefined ? undefined : groupId.get(instance.serverGroup);
      if (g !== undefined) {
        this.groupOf[i] = g;
        this.groupMembers[g]?.push(i);
      }
      const v = instance.vnf === undefined ? undefined : vnfId.get(instance.vnf);
      if (v !== undefined) {
        this.vnfOf[i] = v;
        this.vnfSize[v]!++;
      }
      if (instance.host !== lastHostName) {
        lastHostName = instance.host;
        lastHost = this.nodeId.get(instance.host);
      }
      if (lastHost === undefined) this.countDown(i, 1);
      else this.arrive(i, lastHost);
    });

    this.inWave = new Int32Array(nodeCount).fill(-1);
    this.received = new Int32Array(nodeCount).fill(-1);
    this.movedAt = new Int32Array(count).fill(-1);
    this.startHost = new Int32Array(count).fill(-1);
    this.coldAt = new Int32Array(count).fill(-1);
    this.namedAt = new Int32Array(count).fill(-1);
    this.seenAt = new Int32Array(count).fill(-1);
  }

  private isUp(node: number): boolean {
    return node >= 0 && this.up[node] === 1;
  }

  private hostName(i: number): string {
    const h = this.host[i]!;
    return h >= 0 ? this.nodeNames[h]! : this.instances[i]!.host;
  }

  private countDown(i: number, by: number): void {
    const g = this.groupOf[i]!;
    if (g >= 0) this.groupDown[g]! += by;
    const v = this.vnfOf[i]!;
    if (v >= 0) this.vnfDown[v]! += by;
  }

  /** Puts instance `i` on `node`: placement, load and always-down counts. */
  private arrive(i: number, node: number): void {
    this.host[i] = node;
    const last = this.tail[node]!;
    this.prev[i] = last;
    this.next[i] = -1;
    if (last >= 0) this.next[last] = i;
    else this.head[node] = i;
    this.tail[node] = i;
    this.size[node]!++;
    for (let r = 0; r < 3; r++) this.usage[node * 3 + r]! += this.resources[i * 3 + r]!;
    if (this.up[node] !== 1) this.countDown(i, 1);
  }

  private leave(i: number): void {
    const node = this.host[i]!;
    if (node < 0) {
      this.countDown(i, -1);
      return;
    }
    const before = this.prev[i]!;
    const after = this.next[i]!;
    if (before >= 0) this.next[before] = after;
    else this.head[node] = after;
    if (after >= 0) this.prev[after] = before;
    else this.tail[node] = before;
    this.size[node]!--;
    for (let r = 0; r < 3; r++) this.usage[node * 3 + r]! -= this.resources[i * 3 + r]!;
    if (this.up[node] !== 1) this.countDown(i, -1);
  }

  /**
   * The number of the instance named `name`, `undefined` when unknown. It is looked for first at
   * `hint` (the instance after the one moved before, as plans list a node's instances in order)
   * and then among the few on `from` (where it is in a valid plan): that spares hashing 100,000s
   * of names.
   */
  private findInstance(name: string, from: number | undefined, hint: number): number | undefined {
    if (hint >= 0 && this.host[hint] === from && this.instanceNames[hint] === name) return hint;
    if (from !== undefined && this.size[from]! <= 64)
      for (let i = this.head[from]!; i >= 0; i = this.next[i]!) if (this.instanceNames[i] === name) return i;
    if (this.instanceId === undefined) {
      this.instanceId = new Map();
      this.instanceNames.forEach((n, i) => {
        if (!this.instanceId?.has(n)) this.instanceId?.set(n, i);
      });
    }
    return this.instanceId.get(name);
  }

  private *on(node: number): Generator<number> {
    for (let i = this.head[node]!; i >= 0; i = this.next[i]!) yield i;
  }

  /** Replays wave `w` (its nodes `members`) and reports what breaks rules 5, 6 and 7. */
  wave(members: ReadonlySet<string>, migrations: readonly Migration[], w: number): void {
    const memberIds: number[] = [];
    for (const name of members) {
      const id = this.nodeId.get(name);
      if (id === undefined) continue;
      this.inWave[id] = w;
      memberIds.push(id);
    }
    // Instances on the wave's nodes when it starts: down unless they leave.
    const resident: number[] = [];
    for (const id of memberIds) for (let i = this.head[id]!; i >= 0; i = this.next[i]!) resident.push(i);
    const moved = this.migrate(migrations, w);
    this.checkCapacity(moved.receivers, w);
    this.checkAntiAffinity(moved.instances, w);
    this.checkAffinity(moved.instances, w);
    this.checkDown(resident, moved.instances, w);
  }

  private migrate(migrations: readonly Migration[], w: number): { instances: number[]; receivers: number[] } {
    const moved: number[] = [];
    const receivers: number[] = [];
    const unknownNamed = new Set<string>();
    const batches = new Map<number, Map<number, string[]>>();
    let lastFromName: string | undefined;
    let lastFrom: number | undefined;
    let hint = -1;
    for (const m of migrations) {
      if (m.from !== lastFromName) {
        lastFromName = m.from;
        lastFrom = this.nodeId.get(m.from);
      }
      const i = this.findInstance(m.instance, lastFrom, hint);
      hint = i === undefined ? -1 : this.next[i]!;
      let repeated: boolean;
      if (i === undefined) {
        repeated = unknownNamed.has(m.instance);
        unknownNamed.add(m.instance);
      } else {
        repeated = this.namedAt[i] === w;
        this.namedAt[i] = w;
      }
      if (repeated)
        this.findings.add(
          ViolationCode.MigrationRepeated,
          w,
          [m.instance],
          `instance "${m.instance}" is migrated more than once in wave ${w}`,
        );

      const source: string[] = [];
      if (i === undefined) source.push(`instance "${m.instance}" is not in the inventory`);
      else if (this.hostName(i) !== m.from)
        source.push(`instance "${m.instance}" is on "${this.hostName(i)}", not "${m.from}"`);
      if (lastFrom === undefined || this.inWave[lastFrom] !== w)
        source.push(`"${m.from}" is not a node of wave ${w}`);
      if (source.length > 0)
        this.findings.add(
          ViolationCode.MigrationSource,
          w,
          [m.instance, m.from],
          `migration of "${m.instance}" from "${m.from}": ${source.join('; ')}`,
        );

      const to = this.nodeId.get(m.to);
      const toNode = to === undefined ? undefined : this.nodeList[to];
      const target: string[] = [];
      if (to === undefined || toNode === undefined) target.push('is not in the inventory');
      else {
        if (this.compute[to] !== 1) target.push('is not a compute node');
        if (this.up[to] !== 1) target.push(`is ${describeState(toNode.state)}`);
        if (this.inWave[to] === w) target.push(`is in wave ${w} itself`);
      }
      if (target.length > 0)
        this.findings.add(
          ViolationCode.MigrationTarget,
          w,
          [m.instance, m.to],
          `migration of "${m.instance}" to "${m.to}": the target ${target.join(', ')}`,
        );

      if (i === undefined) continue;
      const mode = modeProblem(this.mobility[i]!, m.mode, this.action);
      if (mode !== undefined)
        this.findings.add(
          ViolationCode.MigrationMode,
          w,
          [m.instance],
          `${m.mode} migration of "${m.instance}": ${mode}`,
        );
      const current = this.host[i]!;
      const fromNode = current >= 0 ? this.nodeList[current] : undefined;
      if (fromNode !== undefined && toNode !== undefined && siteOf(fromNode) !== siteOf(toNode))
        this.findings.add(
          ViolationCode.MigrationSite,
          w,
          [m.instance, fromNode.name, toNode.name],
          `migration of "${m.instance}" from "${fromNode.name}" (site ${siteOf(fromNode)}) to "${toNode.name}" (site ${siteOf(toNode)}) leaves its site`,
        );
      const g = this.groupOf[i]!;
      if (g >= 0) {
        const batch = batches.get(m.batch) ?? new Map<number, string[]>();
        batches.set(m.batch, batch);
        push(batch, g, m.instance);
      }
      if (to === undefined) continue;
      if (this.movedAt[i] !== w) {
        this.movedAt[i] = w;
        this.startHost[i] = current;
        moved.push(i);
      }
      if (m.mode === 'cold') this.coldAt[i] = w;
      this.leave(i);
      this.arrive(i, to);
      if (this.received[to] !== w) {
        this.received[to] = w;
        receivers.push(to);
      }
    }
    this.checkBatches(batches, w);
    return { instances: moved, receivers };
  }

  private checkBatches(
    batches: ReadonlyMap<number, ReadonlyMap<number, readonly string[]>>,
    w: number,
  ): void {
    for (const [batch, groups] of [...batches].sort((a, b) => a[0] - b[0]))
      for (const [g, names] of groups) {
        const group = this.groups[g];
        if (group !== undefined && names.length > group.maxImpacted)
          this.findings.add(
            ViolationCode.MigrationBatch,
            w,
            [group.name, ...names],
            `batch ${batch} of wave ${w} migrates ${names.length} members of server group "${group.name}", more than maxImpacted ${group.maxImpacted}`,
          );
      }
  }

  private checkCapacity(receivers: readonly number[], w: number): void {
    for (const node of receivers) {
      const over: string[] = [];
      RESOURCES.forEach((resource, r) => {
        const limit = this.limit[node * 3 + r]!;
        const used = this.usage[node * 3 + r]!;
        // NaN (no capacity given) compares false: nothing to check against.
        if (used > limit * (1 + TOLERANCE) + TOLERANCE) over.push(`${resource} ${used} > ${limit}`);
      });
      if (over.length > 0)
        this.findings.add(
          ViolationCode.Capacity,
          w,
          [this.nodeNames[node]!],
          `after wave ${w}'s migrations, node "${this.nodeNames[node]}" is over capacity × overcommit: ${over.join(', ')}`,
        );
    }
  }

  /**
   * Anti-affinity: an instance moved in this wave to a node that holds another member of its group
   * (co-locations the inventory already had are not the plan's). Each check walks the group's
   * members or the node's instances, whichever is shorter.
   */
  private checkAntiAffinity(moved: readonly number[], w: number): void {
    const reported = new Set<number>();
    for (const i of moved) {
      const g = this.groupOf[i]!;
      const node = this.host[i]!;
      if (g < 0 || this.antiAffinity[g] !== 1 || node === this.startHost[i]) continue;
      const members = this.groupMembers[g]!;
      let crowded = false;
      if (members.length <= this.size[node]!) crowded = members.some((m) => m !== i && this.host[m] === node);
      else
        for (let j = this.head[node]!; j >= 0 && !crowded; j = this.next[j]!)
          crowded = j !== i && this.groupOf[j] === g;
      const key = g * this.nodeNames.length + node;
      if (!crowded || reported.has(key)) continue;
      reported.add(key);
      const name = this.groups[g]!.name;
      const together = [...this.on(node)]
        .filter((j) => this.groupOf[j] === g)
        .map((j) => this.instances[j]!.name);
      this.findings.add(
        ViolationCode.AntiAffinity,
        w,
        [name, this.nodeNames[node]!, ...together],
        `after wave ${w}'s migrations, node "${this.nodeNames[node]}" holds ${together.length} members of anti-affinity group "${name}"`,
      );
    }
  }

  /** Affinity: members of a group that were on one node when the wave started still are. */
  private checkAffinity(moved: readonly number[], w: number): void {
    const touched = new Set<number>();
    for (const i of moved) {
      const g = this.groupOf[i]!;
      if (g >= 0 && this.groups[g]!.policy === 'affinity') touched.add(g);
    }
    for (const g of touched) {
      const byStart = new Map<number, number[]>();
      for (const m of this.groupMembers[g]!)
        push(byStart, this.movedAt[m] === w ? this.startHost[m]! : this.host[m]!, m);
      for (const [start, together] of byStart) {
        if (start < 0 || together.length < 2) continue;
        const end = this.host[together[0]!];
        if (together.every((m) => this.host[m] === end)) continue;
        const name = this.groups[g]!.name;
        this.findings.add(
          ViolationCode.Affinity,
          w,
          [name, ...together.map((m) => this.instances[m]!.name)],
          `wave ${w} separates members of affinity group "${name}" that were together on "${this.nodeNames[start]}"`,
        );
      }
    }
  }

  /**
   * Who is down during the wave: the always-down (on nodes that are not up when the wave starts)
   * plus those the wave takes down: left on its nodes, moved cold, or moved onto a node not up.
   */
  private checkDown(resident: readonly number[], moved: readonly number[], w: number): void {
    const groupDown = new Map<number, number[]>();
    const vnfDown = new Map<number, number[]>();
    const consider = (i: number) => {
      if (this.seenAt[i] === w) return;
      this.seenAt[i] = w;
      const start = this.movedAt[i] === w ? this.startHost[i]! : this.host[i]!;
      if (!this.isUp(start)) return;
      const end = this.host[i]!;
      if (this.coldAt[i] !== w && this.isUp(end) && this.inWave[end] !== w) return;
      const g = this.groupOf[i]!;
      if (g >= 0) push(groupDown, g, i);
      const v = this.vnfOf[i]!;
      if (v >= 0) push(vnfDown, v, i);
    };
    for (const i of resident) consider(i);
    for (const i of moved) consider(i);

    // The always-down counts already follow the moves: take them back to the wave's start.
    const groupCorrection = new Map<number, number>();
    const vnfCorrection = new Map<number, number>();
    for (const i of moved) {
      const start = this.isUp(this.startHost[i]!);
      if (start === this.isUp(this.host[i]!)) continue;
      const correction = start ? -1 : 1;
      const g = this.groupOf[i]!;
      if (g >= 0) increment(groupCorrection, g, correction);
      const v = this.vnfOf[i]!;
      if (v >= 0) increment(vnfCorrection, v, correction);
    }
    const names = (list: readonly number[]) => list.map((i) => this.instances[i]!.name);
    for (const [g, down] of groupDown) {
      const group = this.groups[g]!;
      const total = this.groupDown[g]! + (groupCorrection.get(g) ?? 0) + down.length;
      if (total > group.maxImpacted)
        this.findings.add(
          ViolationCode.ServerGroupImpact,
          w,
          [group.name, ...names(down)],
          `wave ${w} has ${total} members of server group "${group.name}" down, more than maxImpacted ${group.maxImpacted}`,
        );
    }
    for (const [v, down] of vnfDown) {
      const vnf = this.vnfs[v]!;
      const running = this.vnfSize[v]! - this.vnfDown[v]! - (vnfCorrection.get(v) ?? 0) - down.length;
      if (running < vnf.minAvailable)
        this.findings.add(
          ViolationCode.VnfMinAvailable,
          w,
          [vnf.name, ...names(down)],
          `wave ${w} leaves VNF "${vnf.name}" with ${running} instances running, fewer than minAvailable ${vnf.minAvailable}`,
        );
    }
  }
}

function modeProblem(
  mobility: Instance['migration'],
  mode: Migration['mode'],
  action: Campaign['strategy']['instanceAction'],
): string | undefined {
  if (action === 'none' || action === 'stop-start')
    return `the campaign's instanceAction is ${action}: no instance is migrated`;
  if (mobility === 'none') return 'the instance cannot move (migration: none)';
  if (mode !== 'cold' && mobility === 'cold') return 'the instance only moves cold (migration: cold)';
  if (mode !== 'cold' && action === 'cold-migrate') return "the campaign's instanceAction is cold-migrate";
  return undefined;
}

// Sums are built in an order the planner may not share: allow for rounding.
const TOLERANCE = 1e-9;

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

/**
 * Rule 10: a node after every node of its site upgrading a component its outdated components depend
 * on (and after every node upgrading such a component that another site shares).
 */
function checkDependencies(
  findings: Findings,
  inventory: Inventory,
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

  // Each site runs its own control plane: a dependency binds nodes of one site, and crosses sites
  // only for the services a site shares with the others (sites[].sharedServices).
  const siteOf = new Map(inventory.nodes.map((n) => [n.name, n.site ?? 'default']));
  const sharedBy = new Map<string, string[]>();
  for (const site of inventory.sites)
    for (const service of site.sharedServices)
      sharedBy.set(service, [...(sharedBy.get(service) ?? []), site.name]);
  const last = new Map<string, { wave: number; node: string }>();
  for (const [name, wave] of firstWave)
    for (const component of index.outdated.get(name) ?? []) {
      const key = `${siteOf.get(name)}\n${component}`;
      if (wave >= (last.get(key)?.wave ?? -1)) last.set(key, { wave, node: name });
    }

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
    const site = siteOf.get(name);
    for (const a of needed)
      for (const from of new Set([site, ...(sharedBy.get(a) ?? [])])) {
        const before = last.get(`${from}\n${a}`);
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
