/**
 * Properties of the planner, checked on hundreds of generated clouds:
 * - a: createPlan returns a plan the independent checker accepts, or throws InfeasiblePlanError;
 * - b: on tiny clouds, createPlan says "infeasible" exactly when a brute-force search over every
 *   plan finds none, and no valid plan has fewer waves than the plan's lower bound;
 * - c: the same documents give deep-equal plans;
 * - d: the shape of a plan (step ids and graph, migrate steps, totals) is consistent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveCatalog } from '../src/catalog/catalog.js';
import { verifyPlan, verifyWaves } from '../src/checker/verify-plan.js';
import { InfeasiblePlanError } from '../src/errors.js';
import { checkCampaign, checkCampaignAgainstInventory, checkInventory } from '../src/loader/integrity.js';
import { type Campaign, type CampaignInput, CampaignSchema } from '../src/model/campaign.js';
import { type Inventory, type InventoryInput, InventorySchema } from '../src/model/inventory.js';
import type { Migration, Plan, Wave } from '../src/model/plan.js';
import { upgradeScope } from '../src/model/scope.js';
import { createPlan, lowerBoundWaves } from '../src/planner/create-plan.js';
import { buildWorld } from '../src/planner/world.js';
import { ANTELOPE_SOFTWARE, generateCloud, ZED_SOFTWARE } from '../src/testing/synthetic-cloud.js';
import { mulberry32 } from '../src/util/random.js';

type NodeInput = InventoryInput['nodes'][number];
type InstanceInput = NonNullable<InventoryInput['instances']>[number];
type ClusterInput = NonNullable<InventoryInput['clusters']>[number];
type GroupInput = NonNullable<InventoryInput['serverGroups']>[number];
type VnfInput = NonNullable<InventoryInput['vnfs']>[number];
type Role = NodeInput['roles'][number];
type Strategy = NonNullable<CampaignInput['strategy']>;
type Policy = GroupInput['policy'];

interface Documents {
  readonly inventory: Inventory;
  readonly campaign: Campaign;
}

const POLICIES: readonly Policy[] = ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'];
const ACTIONS = ['live-migrate', 'cold-migrate', 'stop-start', 'none'] as const;

/** Parses both documents and checks them as the loader does; undefined when they are not valid. */
function parseDocuments(inventory: InventoryInput, campaign: CampaignInput): Documents | undefined {
  const inv = InventorySchema.safeParse(inventory);
  const camp = CampaignSchema.safeParse(campaign);
  if (!inv.success || !camp.success) return undefined;
  const issues = [
    ...checkInventory(inv.data),
    ...checkCampaign(camp.data),
    ...checkCampaignAgainstInventory(camp.data, inv.data),
  ];
  return issues.length === 0 ? { inventory: inv.data, campaign: camp.data } : undefined;
}

/** The parsed documents of a cloud, printed in counterexamples as written (defaults left out). */
function labelled(
  cloud: { inventory: InventoryInput; campaign: CampaignInput } | undefined,
): Documents | undefined {
  const docs = cloud && parseDocuments(cloud.inventory, cloud.campaign);
  return docs && Object.assign(docs, { [fc.toStringMethod]: () => JSON.stringify(cloud) });
}

type Outcome = { readonly plan: Plan } | { readonly error: InfeasiblePlanError };

/** createPlan's plan, or its InfeasiblePlanError; any other error propagates (and fails the property). */
function attempt({ inventory, campaign }: Documents): Outcome {
  try {
    return { plan: createPlan(inventory, campaign) };
  } catch (error) {
    if (error instanceof InfeasiblePlanError) return { error };
    throw error;
  }
}

function describeViolations(plan: Plan, docs: Documents): string {
  const verdict = verifyPlan(docs.inventory, docs.campaign, plan);
  return verdict.violations.map((v) => `${v.code} (wave ${v.wave ?? '-'}): ${v.message}`).join('\n');
}

/** The plan is accepted by the checker; the message lists every violation when it is not. */
function expectValid(plan: Plan, docs: Documents): void {
  const verdict = verifyPlan(docs.inventory, docs.campaign, plan);
  expect(verdict.ok, `the checker rejects the plan:\n${describeViolations(plan, docs)}`).toBe(true);
}

// ---------------------------------------------------------------------------------------------------
// Medium clouds: generateCloud with random options, and a generator of shapes generateCloud never makes.
// ---------------------------------------------------------------------------------------------------

const maxParallelArb = fc.oneof(
  fc.integer({ min: 1, max: 8 }),
  fc.constantFrom('5%', '10%', '25%', '33%', '50%', '100%', '12.5%'),
);
const actionArb = fc.constantFrom<(typeof ACTIONS)[number]>(
  'live-migrate',
  'live-migrate',
  'live-migrate',
  'cold-migrate',
  'stop-start',
  'none',
);

/** Strategy fields that every medium generator draws the same way. */
const strategyArb = fc.record({
  maxParallel: maxParallelArb,
  canary: fc.integer({ min: 1, max: 3 }),
  instanceAction: actionArb,
  siteOrder: fc.constantFrom<'sequential' | 'parallel'>('sequential', 'parallel'),
});
type StrategyDraw = typeof strategyArb extends fc.Arbitrary<infer T> ? T : never;

function strategyOf(s: StrategyDraw): Strategy {
  // The loader refuses a canary larger than a numeric maxParallel.
  const canary = typeof s.maxParallel === 'number' ? Math.min(s.canary, s.maxParallel) : s.canary;
  return { ...s, canary, onFailure: 'pause', maxFailures: 0 };
}

/** Knobs applied to a cloud after it is built: scope, node states, partial targets. */
const tweakArb = fc.record({
  seed: fc.integer(),
  scope: fc.constantFrom('none', 'none', 'roles', 'zones', 'nodes', 'sites'),
  downShare: fc.constantFrom(0, 0, 0.05, 0.15),
  target: fc.constantFrom('all', 'all', 'computes', 'subset'),
});
type TweakDraw = typeof tweakArb extends fc.Arbitrary<infer T> ? T : never;

/** Applies scope, node states and target choice to a cloud, deterministically from the draw. */
function tweak(cloud: { inventory: InventoryInput; campaign: CampaignInput }, t: TweakDraw): void {
  const random = mulberry32(t.seed);
  const { inventory, campaign } = cloud;
  for (const node of inventory.nodes)
    if (random() < t.downShare) node.state = random() < 0.5 ? 'down' : 'maintenance';
  const installed = [...new Set(inventory.nodes.flatMap((n) => Object.keys(n.software ?? {})))].sort();
  const target: Record<string, string> = {};
  const newest = (c: string) => ANTELOPE_SOFTWARE[c] ?? `${ZED_SOFTWARE[c] ?? '0'}-new`;
  if (t.target === 'all') for (const c of installed) target[c] = newest(c);
  else if (t.target === 'computes') {
    for (const c of ['nova-compute', 'kernel']) if (installed.includes(c)) target[c] = newest(c);
  } else for (const c of installed) if (random() < 0.4) target[c] = newest(c);
  if (Object.keys(target).length === 0 && installed[0] !== undefined)
    target[installed[0]] = newest(installed[0]);
  campaign.target = { software: target };
  const some = <T>(items: readonly T[]): T[] => {
    const chosen = items.filter(() => random() < 0.5);
    return chosen.length > 0 ? chosen : items.slice(0, 1);
  };
  const zones = [...new Set(inventory.nodes.flatMap((n) => (n.zone === undefined ? [] : [n.zone])))];
  const sites = [...new Set(inventory.nodes.flatMap((n) => (n.site === undefined ? [] : [n.site])))];
  if (t.scope === 'roles')
    campaign.scope = { roles: some<Role>(['controller', 'compute', 'network', 'storage']) };
  else if (t.scope === 'zones' && zones.length > 0) campaign.scope = { zones: some(zones) };
  else if (t.scope === 'nodes') campaign.scope = { nodes: some(inventory.nodes.map((n) => n.name)) };
  else if (t.scope === 'sites' && sites.length > 0) campaign.scope = { sites: some(sites) };
}

/** Clouds from generateCloud, with random options, strategy and tweaks. */
const syntheticArb = (sites: fc.Arbitrary<number>) =>
  fc
    .record({
      computes: fc.integer({ min: 2, max: 40 }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      sites,
      zones: fc.integer({ min: 1, max: 3 }),
      fill: fc.integer({ min: 1, max: 90 }).map((percent) => percent / 100),
      instancesPerNode: fc.integer({ min: 0, max: 10 }),
      groupedShare: fc.integer({ min: 0, max: 10 }).map((tenths) => tenths / 10),
      unmovableShare: fc.constantFrom(0, 0.05, 0.2),
      coldShare: fc.constantFrom(0, 0.05, 0.3),
      controllers: fc.integer({ min: 0, max: 3 }),
      networkNodes: fc.integer({ min: 0, max: 3 }),
      storageNodes: fc.integer({ min: 0, max: 4 }),
      softShare: fc.constantFrom(0, 0.3),
      strategy: strategyArb,
      tweak: tweakArb,
    })
    .map((o) => {
      const { strategy, tweak: t, softShare, ...options } = o;
      // Documents to tweak (then parse again): input types, which the parsed cloud satisfies.
      const cloud: { inventory: InventoryInput; campaign: CampaignInput } = generateCloud({
        ...options,
        maxParallel: strategy.maxParallel,
      });
      cloud.campaign.strategy = strategyOf(strategy);
      const random = mulberry32(t.seed ^ 0x5bd1e995);
      for (const g of cloud.inventory.serverGroups ?? [])
        if (random() < softShare) g.policy = 'soft-anti-affinity';
      for (const v of cloud.inventory.vnfs ?? []) if (random() < 0.3) v.minAvailable = 0;
      tweak(cloud, t);
      return cloud;
    });

/** The draw of the hand-made generator; the cloud is built from it (and its seed) by {@link buildCloud}. */
const shapeArb = (sites: fc.Arbitrary<number>) =>
  fc.record({
    seed: fc.integer(),
    sites,
    declareSites: fc.boolean(),
    sharedKeystone: fc.boolean(),
    controllers: fc.integer({ min: 0, max: 3 }),
    controllerCluster: fc.constantFrom('none', 'one', 'two'),
    /** minAvailable of controller clusters: members minus this, at least 1 (0 slack: no member may go down). */
    controllerSlack: fc.constantFrom(0, 1, 1, 1, 2),
    primary: fc.boolean(),
    hci: fc.constantFrom(false, false, false, true),
    networkNodes: fc.integer({ min: 0, max: 3 }),
    networkClustered: fc.boolean(),
    storageNodes: fc.integer({ min: 0, max: 4 }),
    storageClustered: fc.boolean(),
    computes: fc.integer({ min: 2, max: 40 }),
    zones: fc.integer({ min: 1, max: 3 }),
    fill: fc.integer({ min: 0, max: 90 }).map((percent) => percent / 100),
    groups: fc.integer({ min: 0, max: 6 }),
    standaloneVnfs: fc.integer({ min: 0, max: 3 }),
    noneShare: fc.constantFrom(0, 0.05, 0.2),
    coldShare: fc.constantFrom(0, 0.1, 0.3),
    upgradedShare: fc.constantFrom(0, 0.1, 0.3),
    mixedShare: fc.constantFrom(0, 0.2),
    overcommit: fc.constantFrom(1, 2, 4),
    strategy: strategyArb,
    tweak: tweakArb,
  });
type ShapeDraw = ReturnType<typeof shapeArb> extends fc.Arbitrary<infer T> ? T : never;

const ROLE_COMPONENTS: Record<Role, readonly string[]> = {
  controller: [
    'mariadb',
    'rabbitmq-server',
    'keystone',
    'placement',
    'nova-api',
    'nova-conductor',
    'nova-scheduler',
    'neutron-server',
    'ceph-mon',
    'kernel',
  ],
  network: ['openvswitch', 'neutron-openvswitch-agent', 'neutron-l3-agent', 'kernel'],
  storage: ['ceph-osd', 'kernel'],
  compute: ['nova-compute', 'libvirt', 'qemu', 'openvswitch', 'neutron-openvswitch-agent', 'kernel'],
};
const FLAVORS = [
  { vcpus: 1, memoryMiB: 2048, diskGiB: 20 },
  { vcpus: 2, memoryMiB: 4096, diskGiB: 40 },
  { vcpus: 4, memoryMiB: 8192, diskGiB: 80 },
  { vcpus: 8, memoryMiB: 16384, diskGiB: 160 },
  { vcpus: 16, memoryMiB: 32768, diskGiB: 200 },
] as const;
const NODE_SIZES = [
  { vcpus: 16, memoryMiB: 65536, diskGiB: 1000 },
  { vcpus: 32, memoryMiB: 131072, diskGiB: 1000 },
  { vcpus: 8, memoryMiB: 32768, diskGiB: 400 },
] as const;

/** Builds a valid inventory and campaign from a draw: clusters, every group policy, VNFs, node states. */
function buildCloud(d: ShapeDraw): { inventory: InventoryInput; campaign: CampaignInput } {
  const random = mulberry32(d.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const nodes: NodeInput[] = [];
  const clusters: ClusterInput[] = [];
  const instances: InstanceInput[] = [];
  const serverGroups: GroupInput[] = [];
  const vnfs: VnfInput[] = [];
  const multi = d.sites > 1 || d.declareSites;
  const siteNames = Array.from({ length: d.sites }, (_, s) => `s${s + 1}`);
  const software = (role: Role, site: number): Record<string, string> => {
    const components = ROLE_COMPONENTS[role].filter(
      (c) => !(c === 'keystone' && d.sharedKeystone && site > 0),
    );
    const r = random();
    const state = r < d.upgradedShare ? 'new' : r < d.upgradedShare + d.mixedShare ? 'mixed' : 'old';
    return Object.fromEntries(
      components.map((c) => {
        const isNew = state === 'new' || (state === 'mixed' && random() < 0.5);
        return [c, (isNew ? ANTELOPE_SOFTWARE[c] : ZED_SOFTWARE[c]) as string];
      }),
    );
  };
  const computesBySite: NodeInput[][] = siteNames.map(() => []);
  const clusterOf = (members: string[], slack: number, name: string, primary: boolean) => {
    if (members.length === 0) return;
    const cluster: ClusterInput = {
      name,
      members,
      minAvailable: Math.max(1, members.length - slack),
    };
    if (primary) cluster.primary = pick(members);
    clusters.push(cluster);
  };
  siteNames.forEach((site, s) => {
    const place = (n: NodeInput) => {
      if (multi) n.site = site;
      nodes.push(n);
      return n.name;
    };
    const controllers: string[] = [];
    for (let i = 1; i <= d.controllers; i++)
      controllers.push(
        place({ name: `${site}-ctl-${i}`, roles: ['controller'], software: software('controller', s) }),
      );
    if (controllers.length > 0 && d.controllerCluster !== 'none') {
      clusterOf(controllers, d.controllerSlack, `${site}-galera`, d.primary);
      if (d.controllerCluster === 'two') clusterOf([...controllers], 1, `${site}-rabbitmq`, false);
    }
    const network: string[] = [];
    for (let i = 1; i <= d.networkNodes; i++)
      network.push(place({ name: `${site}-net-${i}`, roles: ['network'], software: software('network', s) }));
    if (d.networkClustered && network.length >= 2) clusterOf(network, 1, `${site}-l3`, false);
    const storage: string[] = [];
    for (let i = 1; i <= d.storageNodes; i++)
      storage.push(
        place({ name: `${site}-stor-${i}`, roles: ['storage'], software: software('storage', s) }),
      );
    if (d.storageClustered && storage.length >= 2)
      clusterOf(storage, between(1, 2), `${site}-osd`, d.primary);
    const count = Math.floor(((s + 1) * d.computes) / d.sites) - Math.floor((s * d.computes) / d.sites);
    for (let i = 1; i <= count; i++) {
      const hci = d.hci && i === 1;
      const n: NodeInput = {
        name: `${site}-cmp-${i}`,
        roles: hci ? ['controller', 'compute'] : ['compute'],
        zone: `${site}-az${1 + Math.floor(((i - 1) * d.zones) / count)}`,
        capacity: { ...pick(NODE_SIZES) },
        software: hci ? { ...software('controller', s), ...software('compute', s) } : software('compute', s),
      };
      place(n);
      computesBySite[s]?.push(n);
    }
  });

  const oc = { cpu: d.overcommit, memory: 1, disk: 1 };
  const used = new Map<string, { vcpus: number; memoryMiB: number; diskGiB: number }>();
  const limitOf = (n: NodeInput) => ({
    vcpus: (n.capacity?.vcpus ?? 0) * oc.cpu,
    memoryMiB: n.capacity?.memoryMiB ?? 0,
    diskGiB: n.capacity?.diskGiB ?? 0,
  });
  const fitsOn = (n: NodeInput, f: (typeof FLAVORS)[number], share = 1) => {
    const u = used.get(n.name) ?? { vcpus: 0, memoryMiB: 0, diskGiB: 0 };
    const l = limitOf(n);
    return (
      u.vcpus + f.vcpus <= l.vcpus * share &&
      u.memoryMiB + f.memoryMiB <= l.memoryMiB * share &&
      u.diskGiB + f.diskGiB <= l.diskGiB * share
    );
  };
  let counter = 0;
  const addInstance = (n: NodeInput, f: (typeof FLAVORS)[number], extra: Partial<InstanceInput> = {}) => {
    const u = used.get(n.name) ?? { vcpus: 0, memoryMiB: 0, diskGiB: 0 };
    used.set(n.name, {
      vcpus: u.vcpus + f.vcpus,
      memoryMiB: u.memoryMiB + f.memoryMiB,
      diskGiB: u.diskGiB + f.diskGiB,
    });
    const r = random();
    const migration = r < d.noneShare ? 'none' : r < d.noneShare + d.coldShare ? 'cold' : 'live';
    const instance: InstanceInput = { name: `vm-${++counter}`, host: n.name, resources: { ...f }, ...extra };
    if (migration !== 'live' || random() < 0.5) instance.migration = migration;
    instances.push(instance);
    return instance;
  };

  // Server groups first (they need room), each maybe backing a VNF.
  for (let g = 1; g <= d.groups; g++) {
    const computes = pick(computesBySite);
    if (computes.length === 0) continue;
    const policy = pick(POLICIES);
    const flavor = pick(FLAVORS.slice(0, 3));
    const size = between(2, Math.min(5, policy === 'anti-affinity' ? computes.length : 5));
    if (size < 2) continue;
    let hosts: NodeInput[];
    if (policy === 'affinity') {
      const host = pick(computes);
      hosts = Array.from({ length: size }, () => host);
    } else if (policy === 'anti-affinity') {
      hosts = [...computes].sort(() => random() - 0.5).slice(0, size);
    } else hosts = Array.from({ length: size }, () => pick(computes));
    const group: GroupInput = { name: `sg-${g}`, policy, maxImpacted: between(1, 2) };
    if (random() < 0.3) group.recoverySeconds = 30;
    const vnf = random() < 0.7 ? `vnf-g${g}` : undefined;
    let members = 0;
    for (const host of hosts) {
      if (!fitsOn(host, flavor, 0.9)) continue;
      addInstance(
        host,
        flavor,
        vnf === undefined ? { serverGroup: group.name } : { serverGroup: group.name, vnf },
      );
      members++;
    }
    if (members === 0) continue;
    serverGroups.push(group);
    if (vnf !== undefined) vnfs.push({ name: vnf, minAvailable: between(0, members) });
  }
  // Fill every compute to its own level around the draw's fill.
  for (const computes of computesBySite)
    for (const n of computes) {
      const level = Math.min(0.9, d.fill * (0.3 + 1.4 * random()));
      for (let tries = 0; tries < 40; tries++) {
        const flavor = pick(FLAVORS);
        if (fitsOn(n, flavor, level)) addInstance(n, flavor);
        else if (!fitsOn(n, FLAVORS[0], level)) break;
      }
    }
  // Standalone VNFs over lone instances (any host, even across zones).
  const lone = instances.filter((i) => i.serverGroup === undefined && i.vnf === undefined);
  for (let v = 1; v <= d.standaloneVnfs && lone.length > 0; v++) {
    const members = lone.splice(0, between(1, Math.min(4, lone.length)));
    for (const m of members) m.vnf = `vnf-${v}`;
    const vnf: VnfInput = { name: `vnf-${v}`, minAvailable: between(0, members.length) };
    if (random() < 0.3) vnf.maintenance = { notify: true, leadTimeSeconds: 60 };
    vnfs.push(vnf);
  }

  const inventory: InventoryInput = {
    apiVersion: 'escalator/v1',
    kind: 'Inventory',
    metadata: { name: 'shape' },
    nodes,
    clusters,
    instances,
    serverGroups,
    vnfs,
    overcommit: oc,
  };
  if (multi)
    inventory.sites = siteNames.map((name, s) =>
      s === 0 && d.sharedKeystone ? { name, sharedServices: ['keystone'] } : { name },
    );
  const campaign: CampaignInput = {
    apiVersion: 'escalator/v1',
    kind: 'Campaign',
    metadata: { name: 'upgrade' },
    target: { software: { kernel: ANTELOPE_SOFTWARE['kernel'] as string } },
    strategy: strategyOf(d.strategy),
  };
  const cloud = { inventory, campaign };
  tweak(cloud, d.tweak);
  return cloud;
}

/** Valid documents from either generator, with one site or several. */
function documentsArb(sites: 'one' | 'several'): fc.Arbitrary<Documents> {
  const count = sites === 'one' ? fc.constant(1) : fc.integer({ min: 2, max: 3 });
  return fc
    .oneof(
      { arbitrary: syntheticArb(count), weight: 2 },
      { arbitrary: shapeArb(count).map(buildCloud), weight: 3 },
    )
    .map(labelled)
    .filter((docs): docs is Documents => docs !== undefined);
}

describe('a: createPlan gives a valid plan or an InfeasiblePlanError', () => {
  const check = (sites: 'one' | 'several', numRuns: number) => {
    let planned = 0;
    fc.assert(
      fc.property(documentsArb(sites), (docs) => {
        const outcome = attempt(docs);
        if ('plan' in outcome) {
          planned++;
          expectValid(outcome.plan, docs);
        }
      }),
      { numRuns },
    );
    // The generators must mostly make plannable clouds, or the property says little.
    expect(planned).toBeGreaterThan(numRuns * 0.3);
  };
  it('on single-site clouds', () => check('one', 250));
  it('on multi-site clouds', () => check('several', 100));
});

// ---------------------------------------------------------------------------------------------------
// Tiny clouds and a brute-force planner.
// ---------------------------------------------------------------------------------------------------

const OLD_KERNEL = '6.1.0-18-amd64';
const NEW_KERNEL = '6.1.0-21-amd64';

/** One compute of a tiny cloud: whether the campaign upgrades it, and its size in vCPUs. */
const tinyComputeArb = fc.record({
  kind: fc.constantFrom('planned', 'planned', 'planned', 'upgraded', 'down', 'maintenance', 'out-of-scope'),
  vcpus: fc.integer({ min: 1, max: 4 }),
  zone: fc.constantFrom('z1', 'z1', 'z1', 'z2'),
});
const tinyInstanceArb = fc.record({
  host: fc.nat(),
  vcpus: fc.integer({ min: 1, max: 2 }),
  migration: fc.constantFrom<'live' | 'cold' | 'none'>('live', 'live', 'cold', 'none'),
  group: fc.constantFrom<number | undefined>(undefined, 0, 0, 1),
  vnf: fc.constantFrom<number | undefined>(undefined, 0, 0, 1),
});
const tinyArb = fc.record({
  computes: fc.array(tinyComputeArb, { minLength: 1, maxLength: 5 }),
  instances: fc.array(tinyInstanceArb, { maxLength: 5 }),
  groups: fc.tuple(
    fc.record({ policy: fc.constantFrom(...POLICIES), maxImpacted: fc.integer({ min: 1, max: 2 }) }),
    fc.record({ policy: fc.constantFrom(...POLICIES), maxImpacted: fc.integer({ min: 1, max: 2 }) }),
  ),
  /** Per VNF: minAvailable is its size minus this (at least 0). */
  vnfSlack: fc.tuple(fc.constantFrom(0, 0, 1, 2), fc.constantFrom(0, 1, 2)),
  controller: fc.option(
    fc.record({
      peer: fc.constantFrom('upgraded', 'none', 'planned-later', 'upgraded', 'down'),
      minAvailable: fc.constantFrom(1, 1, 1, 1, 2),
      primary: fc.constantFrom('none', 'ctl-1', 'ctl-2'),
      sharedKeystone: fc.constantFrom(false, false, true),
    }),
    { nil: undefined },
  ),
  /** An HA cluster over some computes (members by index), with minAvailable = members − slack. */
  computeCluster: fc.option(
    fc.record({
      members: fc.uniqueArray(fc.nat(4), { minLength: 2, maxLength: 3 }),
      slack: fc.constantFrom(1, 0, 1, 2),
    }),
    { nil: undefined, freq: 2 },
  ),
  maxParallel: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom('34%', '50%', '100%')),
  canary: fc.integer({ min: 1, max: 3 }),
  instanceAction: actionArb,
  siteOrder: fc.constantFrom<'sequential' | 'parallel'>('sequential', 'parallel'),
});
type TinyDraw = typeof tinyArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * A tiny single-site cloud: at most 3 planned computes (plus others that are upgraded already, down,
 * in maintenance or out of scope) and optionally one planned controller; capacity counted in vCPUs.
 * Undefined when the draw makes an invalid inventory or too many planned computes.
 */
function buildTiny(d: TinyDraw): { inventory: InventoryInput; campaign: CampaignInput } | undefined {
  if (d.computes.filter((c) => c.kind === 'planned').length > 3) return undefined;
  const nodes: NodeInput[] = [];
  const clusters: ClusterInput[] = [];
  const scoped: string[] = [];
  const ctl = d.controller;
  if (ctl) {
    const software = (kernel: string) =>
      ctl.sharedKeystone ? { kernel, keystone: '22.0.1' } : { kernel, mariadb: '10.6.16' };
    nodes.push({ name: 'ctl-1', site: 's1', roles: ['controller'], software: software(OLD_KERNEL) });
    scoped.push('ctl-1');
    if (ctl.peer !== 'none') {
      // The peer is not upgraded by this campaign: already done, down, or (planned-later) out of scope.
      nodes.push({
        name: 'ctl-2',
        site: 's1',
        roles: ['controller'],
        state: ctl.peer === 'down' ? 'down' : 'up',
        software: software(ctl.peer === 'upgraded' ? NEW_KERNEL : OLD_KERNEL),
      });
      if (ctl.peer !== 'planned-later') scoped.push('ctl-2');
      const cluster: ClusterInput = {
        name: 'galera',
        members: ['ctl-1', 'ctl-2'],
        minAvailable: ctl.minAvailable,
      };
      if (ctl.primary !== 'none') cluster.primary = ctl.primary;
      clusters.push(cluster);
    }
  }
  d.computes.forEach((c, i) => {
    const name = `cmp-${i + 1}`;
    nodes.push({
      name,
      site: 's1',
      zone: c.zone,
      roles: ['compute'],
      state: c.kind === 'down' ? 'down' : c.kind === 'maintenance' ? 'maintenance' : 'up',
      capacity: { vcpus: c.vcpus, memoryMiB: 1024 * c.vcpus, diskGiB: 10 * c.vcpus },
      software: { kernel: c.kind === 'upgraded' ? NEW_KERNEL : OLD_KERNEL },
    });
    if (c.kind !== 'out-of-scope') scoped.push(name);
  });
  if (d.computeCluster) {
    const members = d.computeCluster.members.filter((m) => m < d.computes.length).map((m) => `cmp-${m + 1}`);
    if (members.length > 0)
      clusters.push({
        name: 'hci',
        members,
        minAvailable: Math.max(1, members.length - d.computeCluster.slack),
      });
  }
  // Instances go where they fit: hard-affinity members on their group's first host, hard anti-affinity
  // members one per host; an instance that fits nowhere it may go is left out.
  const used = new Map<string, number>();
  const groupHosts = new Map<string, string[]>();
  const instances: InstanceInput[] = [];
  d.instances.forEach((inst, i) => {
    const group = inst.group === undefined ? undefined : d.groups[inst.group];
    const groupName = inst.group === undefined ? '' : `sg-${inst.group + 1}`;
    const hosts = groupHosts.get(groupName) ?? [];
    const start = inst.host % d.computes.length;
    const k = d.computes
      .map((_, k) => (start + k) % d.computes.length)
      .find((k) => {
        const name = `cmp-${k + 1}`;
        if (group?.policy === 'affinity' && hosts.length > 0 && hosts[0] !== name) return false;
        if (group?.policy === 'anti-affinity' && hosts.includes(name)) return false;
        return (used.get(name) ?? 0) + inst.vcpus <= (d.computes[k]?.vcpus ?? 0);
      });
    if (k === undefined) return;
    const host = `cmp-${k + 1}`;
    used.set(host, (used.get(host) ?? 0) + inst.vcpus);
    groupHosts.set(groupName, [...hosts, host]);
    const out: InstanceInput = {
      name: `vm-${i + 1}`,
      host,
      resources: { vcpus: inst.vcpus, memoryMiB: 1024 * inst.vcpus, diskGiB: 10 * inst.vcpus },
      migration: inst.migration,
    };
    if (inst.group !== undefined) out.serverGroup = groupName;
    if (inst.vnf !== undefined) out.vnf = `vnf-${inst.vnf + 1}`;
    instances.push(out);
  });
  const serverGroups: GroupInput[] = d.groups
    .map((g, k) => ({ name: `sg-${k + 1}`, policy: g.policy, maxImpacted: g.maxImpacted }))
    .filter((g) => instances.some((i) => i.serverGroup === g.name));
  const vnfs: VnfInput[] = d.vnfSlack
    .map((slack, k) => {
      const size = instances.filter((i) => i.vnf === `vnf-${k + 1}`).length;
      return { name: `vnf-${k + 1}`, minAvailable: Math.max(0, size - slack) };
    })
    .filter((v) => instances.some((i) => i.vnf === v.name));
  const inventory: InventoryInput = {
    apiVersion: 'escalator/v1',
    kind: 'Inventory',
    metadata: { name: 'tiny' },
    sites: [{ name: 's1', sharedServices: ctl?.sharedKeystone ? ['keystone'] : [] }],
    nodes,
    clusters,
    instances,
    serverGroups,
    vnfs,
    overcommit: { cpu: 1, memory: 1, disk: 1 },
  };
  const canary = typeof d.maxParallel === 'number' ? Math.min(d.canary, d.maxParallel) : d.canary;
  const campaign: CampaignInput = {
    apiVersion: 'escalator/v1',
    kind: 'Campaign',
    metadata: { name: 'tiny' },
    target: { software: { kernel: NEW_KERNEL } },
    strategy: {
      maxParallel: d.maxParallel,
      canary,
      instanceAction: d.instanceAction,
      siteOrder: d.siteOrder,
    },
  };
  if (scoped.length < nodes.length) campaign.scope = { nodes: scoped };
  return { inventory, campaign };
}

const tinyDocumentsArb: fc.Arbitrary<Documents> = tinyArb
  .map((d) => labelled(buildTiny(d)))
  .filter((docs): docs is Documents => docs !== undefined);

/** The mode a move of the instance may use: live when allowed (it dominates cold), else cold, else none. */
function bestMode(docs: Documents, instance: Inventory['instances'][number]): Migration['mode'] | undefined {
  const action = docs.campaign.strategy.instanceAction;
  if (action === 'none' || action === 'stop-start' || instance.migration === 'none') return undefined;
  return instance.migration === 'live' && action === 'live-migrate' ? 'live' : 'cold';
}

/**
 * Searches every plan: each ordered partition of the planned nodes into waves and, for every wave, each
 * choice per instance on its nodes (stay, or move to any up compute outside the wave). A live move is
 * tried instead of a cold one where both are allowed: it keeps every constraint a cold move keeps.
 * Prefixes with a violation are cut (every violation but a missing node stays in any longer plan),
 * and so are states — done nodes and placement — already known to lead nowhere. Returns a valid plan
 * with at most `maxWaves` waves, or undefined when there is none.
 */
function bruteForce(docs: Documents, maxWaves = Number.POSITIVE_INFINITY): Plan | undefined {
  const { inventory, campaign } = docs;
  const planned = upgradeScope(inventory, campaign).upgrade.map((n) => n.name);
  const targets = inventory.nodes
    .filter((n) => n.roles.includes('compute') && n.state === 'up')
    .map((n) => n.name);
  const instances = inventory.instances;
  const host = new Map(instances.map((i) => [i.name, i.host]));
  const waves: Wave[] = [];
  const dead = new Set<string>();
  const full = (1 << planned.length) - 1;
  const plan = (): Plan => ({
    apiVersion: 'escalator/v1',
    kind: 'Plan',
    metadata: { name: 'brute-force' },
    waves: [...waves],
    impact: [],
    skipped: [],
  });
  const clean = () =>
    verifyWaves(inventory, campaign, plan()).violations.every((v) => v.code === 'node-missing');

  const search = (done: number): boolean => {
    if (done === full) return true;
    if (waves.length >= maxWaves) return false;
    const key = `${done}|${waves.length >= maxWaves - 1 ? 'last' : ''}|${instances.map((i) => host.get(i.name)).join(',')}`;
    if (dead.has(key)) return false;
    for (let subset = 1; subset <= full; subset++) {
      if ((subset & done) !== 0) continue;
      const nodes = planned.filter((_, k) => (subset >> k) & 1);
      const residents = instances.filter((i) => nodes.includes(host.get(i.name) ?? ''));
      const options = residents.map((i) => {
        const mode = bestMode(docs, i);
        const moves =
          mode === undefined ? [] : targets.filter((t) => !nodes.includes(t)).map((to) => ({ to, mode }));
        return [undefined, ...moves];
      });
      const choice = new Array<number>(residents.length).fill(0);
      for (;;) {
        const migrations: Migration[] = [];
        residents.forEach((inst, k) => {
          const move = options[k]?.[choice[k] ?? 0];
          if (move)
            migrations.push({ instance: inst.name, from: host.get(inst.name) ?? '', ...move, batch: k });
        });
        waves.push({ index: waves.length, nodes, migrations, steps: [], canary: false, expectedSeconds: 0 });
        if (clean()) {
          for (const m of migrations) host.set(m.instance, m.to);
          if (search(done | subset)) return true;
          for (const m of migrations) host.set(m.instance, m.from);
        }
        waves.pop();
        // Next combination of choices (odometer).
        let k = 0;
        for (; k < residents.length; k++) {
          choice[k] = ((choice[k] ?? 0) + 1) % (options[k]?.length ?? 1);
          if (choice[k] !== 0) break;
        }
        if (k === residents.length) break;
      }
    }
    dead.add(key);
    return false;
  };
  return search(0) ? plan() : undefined;
}

describe('b: infeasibility is honest (tiny clouds against a brute-force search)', () => {
  it('createPlan throws exactly when no plan exists, and no plan beats the lower bound', () => {
    const seen = { plans: 0, infeasible: 0 };
    fc.assert(
      fc.property(tinyDocumentsArb, (docs) => {
        const outcome = attempt(docs);
        const witness = bruteForce(docs);
        if ('error' in outcome) {
          seen.infeasible++;
          expect(
            witness,
            `createPlan says "${outcome.error.message}", yet this plan is valid:\n${JSON.stringify(witness?.waves)}`,
          ).toBeUndefined();
        } else {
          seen.plans++;
          expectValid(outcome.plan, docs);
          // The converse, and a check of the search itself: a valid plan exists, so it finds one.
          expect(witness, 'the brute force finds no plan, but createPlan made a valid one').toBeDefined();
        }
        if (witness === undefined) return;
        const world = buildWorld(docs.inventory, docs.campaign, resolveCatalog(docs.campaign.components));
        const bound = lowerBoundWaves(world);
        if (bound === 0) return;
        const shorter = bruteForce(docs, bound - 1);
        expect(
          shorter,
          `lowerBoundWaves is ${bound}, yet this plan is valid:\n${JSON.stringify(shorter?.waves)}`,
        ).toBeUndefined();
      }),
      { numRuns: 300 },
    );
    // The generator must make both kinds, or half of the property says nothing.
    expect(seen.plans).toBeGreaterThan(60);
    expect(seen.infeasible).toBeGreaterThan(30);
  });
});

describe('c: determinism', () => {
  it('the same documents give deep-equal plans (or the same error), and stay unchanged', () => {
    fc.assert(
      fc.property(fc.oneof(documentsArb('one'), documentsArb('several'), tinyDocumentsArb), (docs) => {
        const before = JSON.stringify(docs);
        const first = attempt(docs);
        const again = attempt(docs);
        const copy = attempt({
          inventory: structuredClone(docs.inventory),
          campaign: structuredClone(docs.campaign),
        });
        expect(JSON.stringify(docs), 'createPlan changed its documents').toBe(before);
        for (const other of [again, copy])
          if ('plan' in first) expect(other).toEqual(first);
          else {
            expect('error' in other && other.error.message).toBe(first.error.message);
            expect('error' in other && other.error.detail).toEqual(first.error.detail);
          }
      }),
      { numRuns: 80 },
    );
  });
});

/** Every shape invariant of a plan that the checker does not look at. */
function expectWellShaped(plan: Plan, docs: Documents): void {
  const ids = plan.waves.flatMap((w) => w.steps.map((s) => s.id));
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  expect(repeated, 'step ids used twice').toEqual([]);
  const computes = new Set(
    docs.inventory.nodes.filter((n) => n.roles.includes('compute')).map((n) => n.name),
  );
  const firstComputeWave = plan.waves.findIndex((w) => w.nodes.some((n) => computes.has(n)));
  plan.waves.forEach((wave, w) => {
    expect(wave.index, 'wave index').toBe(w);
    expect(wave.canary, `wave ${w} canary flag`).toBe(w === firstComputeWave);
    const own = new Set(wave.steps.map((s) => s.id));
    for (const step of wave.steps)
      for (const a of step.after)
        expect(own.has(a), `step ${step.id} waits for "${a}", not a step of wave ${w}`).toBe(true);
    // Acyclic: Kahn's algorithm removes every step.
    const waiting = new Map(wave.steps.map((s) => [s.id, new Set(s.after)]));
    let progress = true;
    while (progress) {
      progress = false;
      for (const [id, after] of waiting)
        if ([...after].every((a) => !waiting.has(a))) {
          waiting.delete(id);
          progress = true;
        }
    }
    expect([...waiting.keys()], `steps of wave ${w} on a cycle`).toEqual([]);
    const fromSteps = wave.steps
      .filter((s) => s.kind === 'migrate')
      .map((s) => ({ instance: s.instance, from: s.from, to: s.to, mode: s.mode, batch: s.batch }));
    const fromMigrations = wave.migrations.map((m) => ({ ...m }));
    const order = (a: { instance?: string | undefined }, b: { instance?: string | undefined }) =>
      (a.instance ?? '').localeCompare(b.instance ?? '');
    expect(fromSteps.sort(order), `migrate steps of wave ${w}`).toEqual(fromMigrations.sort(order));
  });
  const migrations = plan.waves.flatMap((w) => w.migrations);
  const moves = new Map<string, number>();
  for (const m of migrations) moves.set(m.instance, (moves.get(m.instance) ?? 0) + 1);
  const totals = plan.totals;
  expect(totals).toBeDefined();
  if (!totals) return;
  expect(totals.waves).toBe(plan.waves.length);
  expect(totals.nodes).toBe(plan.waves.reduce((s, w) => s + w.nodes.length, 0));
  expect(totals.migrations).toBe(migrations.length);
  expect(totals.instancesToMove).toBe(moves.size);
  expect(totals.movedTwice).toBe([...moves.values()].filter((k) => k > 1).length);
  expect(totals.waves).toBeGreaterThanOrEqual(totals.lowerBoundWaves);
  expect(plan.impact.filter((row) => row.outageSeconds > 0)).toEqual([]);
}

describe('d: plan shape', () => {
  it('step ids, step graphs, migrate steps, canary flags and totals are consistent', () => {
    let planned = 0;
    fc.assert(
      fc.property(fc.oneof(documentsArb('one'), documentsArb('several'), tinyDocumentsArb), (docs) => {
        const outcome = attempt(docs);
        if ('error' in outcome) return;
        planned++;
        expectWellShaped(outcome.plan, docs);
      }),
      { numRuns: 150 },
    );
    expect(planned).toBeGreaterThan(50);
  });
});
