/**
 * The planner on examples: the shipped example clouds, then small hand-made clouds for each rule —
 * dependency order, primaries last, canary and maxParallel, affinity and anti-affinity, moving each
 * instance once, sequential sites — and the errors of clouds that no plan can upgrade.
 */
import { describe, expect, it } from 'vitest';
import { resolveCatalog } from '../src/catalog/catalog.js';
import { verifyPlan } from '../src/checker/verify-plan.js';
import { EscalatorError, InfeasiblePlanError } from '../src/errors.js';
import { loadCampaign, loadInventory } from '../src/loader/load.js';
import { type Campaign, type CampaignInput, CampaignSchema } from '../src/model/campaign.js';
import { type Inventory, type InventoryInput, InventorySchema } from '../src/model/inventory.js';
import type { Plan } from '../src/model/plan.js';
import { createPlan } from '../src/planner/create-plan.js';
import { EXACT_MAX_INSTANCES, EXACT_MAX_NODES, planExactly, searchExactly } from '../src/planner/exact.js';
import { buildPrecedence } from '../src/planner/precedence.js';
import { buildWaves } from '../src/planner/waves.js';
import { buildWorld } from '../src/planner/world.js';

type NodeInput = InventoryInput['nodes'][number];
type InstanceInput = NonNullable<InventoryInput['instances']>[number];
type Strategy = NonNullable<CampaignInput['strategy']>;

const OLD = { kernel: '1' };
const NEW = { kernel: '2' };
/** Room for 4 instances of {@link vm}'s default size. */
const CAPACITY = { vcpus: 4, memoryMiB: 4096, diskGiB: 40 };

function compute(name: string, extra: Partial<NodeInput> = {}): NodeInput {
  return { name, roles: ['compute'], capacity: CAPACITY, software: OLD, ...extra };
}
function node(name: string, role: NodeInput['roles'][number], extra: Partial<NodeInput> = {}): NodeInput {
  return { name, roles: [role], software: OLD, ...extra };
}
function vm(name: string, host: string, extra: Partial<InstanceInput> = {}): InstanceInput {
  return { name, host, resources: { vcpus: 1, memoryMiB: 1024, diskGiB: 10 }, ...extra };
}
function inventory(nodes: NodeInput[], extra: Partial<InventoryInput> = {}): Inventory {
  return InventorySchema.parse({
    apiVersion: 'escalator/v1',
    kind: 'Inventory',
    metadata: { name: 'lab' },
    nodes,
    overcommit: { cpu: 1, memory: 1, disk: 1 },
    ...extra,
  });
}
/** Upgrades the kernel. */
function campaign(strategy: Partial<Strategy> = {}, extra: Partial<CampaignInput> = {}): Campaign {
  return CampaignSchema.parse({
    apiVersion: 'escalator/v1',
    kind: 'Campaign',
    metadata: { name: 'kernel' },
    target: { software: { kernel: '2' } },
    strategy: { maxParallel: 1, canary: 1, ...strategy },
    ...extra,
  });
}

/** createPlan's plan, which the checker must accept. */
function validPlan(inv: Inventory, camp: Campaign): Plan {
  const plan = createPlan(inv, camp);
  const verdict = verifyPlan(inv, camp, plan);
  expect(verdict.violations.map((v) => `${v.code} (wave ${v.wave ?? '-'}): ${v.message}`)).toEqual([]);
  return plan;
}

/** Node name to the index of its wave. */
function waveOf(plan: Plan): Map<string, number> {
  return new Map(plan.waves.flatMap((w) => w.nodes.map((n) => [n, w.index] as const)));
}

/** Wave indices of the named nodes. */
function wavesOf(plan: Plan, names: readonly string[]): number[] {
  const of = waveOf(plan);
  return names.map((n) => {
    const w = of.get(n);
    expect(w, `node ${n} is in no wave`).toBeDefined();
    return w ?? -1;
  });
}

/** Hosts of every instance after each wave, replaying the plan's migrations. */
function placements(inv: Inventory, plan: Plan): Map<string, string>[] {
  const host = new Map(inv.instances.map((i) => [i.name, i.host]));
  return plan.waves.map((w) => {
    for (const m of w.migrations) host.set(m.instance, m.to);
    return new Map(host);
  });
}

/** Runs `fn`, expecting an InfeasiblePlanError; returns it. */
function infeasible(fn: () => unknown): InfeasiblePlanError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InfeasiblePlanError);
    expect(EscalatorError.is(error) && error.code).toBe('ESC_INFEASIBLE');
    return error as InfeasiblePlanError;
  }
  throw new Error('expected an InfeasiblePlanError, but createPlan returned a plan');
}

describe('the examples', () => {
  const load = async (name: string) => {
    const inv = await loadInventory(`examples/${name}/inventory.yaml`);
    const camp = await loadCampaign(`examples/${name}/campaign.yaml`, { inventory: inv });
    return { inv, camp };
  };

  it.each(['minimal', 'ha', 'multi-site'])('%s plans with no violation', async (name) => {
    const { inv, camp } = await load(name);
    const plan = validPlan(inv, camp);
    expect(plan.waves.length).toBeGreaterThan(0);
  });

  it('ha: no VNF outage, and every VNF keeps minAvailable instances running', async () => {
    const { inv, camp } = await load('ha');
    const plan = validPlan(inv, camp);
    expect(plan.impact.map((row) => row.vnf).sort()).toEqual(inv.vnfs.map((v) => v.name).sort());
    for (const row of plan.impact) {
      expect(row.outageSeconds, row.vnf).toBe(0);
      expect(row.minRunning, row.vnf).toBeGreaterThanOrEqual(row.minAvailable);
    }
  });

  it('ha: controllers before computes, ceph-mon nodes before ceph-osd-only nodes, the primary last', async () => {
    const { inv, camp } = await load('ha');
    const plan = validPlan(inv, camp);
    const names = (role: string) =>
      inv.nodes.filter((n) => n.roles.includes(role as 'compute')).map((n) => n.name);
    const controllers = wavesOf(plan, names('controller'));
    const computes = wavesOf(plan, names('compute'));
    const mons = wavesOf(
      plan,
      inv.nodes.filter((n) => n.software['ceph-mon'] !== undefined).map((n) => n.name),
    );
    const osds = wavesOf(
      plan,
      inv.nodes
        .filter((n) => n.software['ceph-osd'] !== undefined && n.software['ceph-mon'] === undefined)
        .map((n) => n.name),
    );
    expect(Math.max(...controllers)).toBeLessThan(Math.min(...computes));
    expect(mons.length).toBeGreaterThan(0);
    expect(osds.length).toBeGreaterThan(0);
    expect(Math.max(...mons)).toBeLessThan(Math.min(...osds));
    const [primary, ...others] = wavesOf(plan, ['ctl-1', 'ctl-2', 'ctl-3']);
    expect(primary).toBeGreaterThan(Math.max(...others));
  });
});

describe('dependency order', () => {
  it('a site’s controllers go before its computes', () => {
    const inv = inventory([
      compute('cmp-1'),
      compute('cmp-2'),
      node('ctl-1', 'controller'),
      node('ctl-2', 'controller'),
    ]);
    const plan = validPlan(inv, campaign({ maxParallel: 2, canary: 2 }));
    const [cmp1, cmp2, ctl1, ctl2] = wavesOf(plan, ['cmp-1', 'cmp-2', 'ctl-1', 'ctl-2']);
    expect(Math.max(ctl1 ?? 0, ctl2 ?? 0)).toBeLessThan(Math.min(cmp1 ?? 0, cmp2 ?? 0));
  });

  it('ceph-mon nodes go before the nodes that only run ceph-osd', () => {
    const mon = { 'ceph-mon': '17.2.6' };
    const osd = { 'ceph-osd': '17.2.6' };
    // Listed OSDs first, so inventory order alone would get it wrong.
    const inv = inventory([
      node('osd-1', 'storage', { software: osd }),
      node('osd-2', 'storage', { software: osd }),
      node('osd-3', 'storage', { software: osd }),
      node('mon-1', 'storage', { software: mon }),
      node('mon-2', 'storage', { software: mon }),
    ]);
    const camp = campaign(
      { maxParallel: 5, canary: 1 },
      { target: { software: { 'ceph-mon': '17.2.7', 'ceph-osd': '17.2.7' } } },
    );
    const plan = validPlan(inv, camp);
    const mons = wavesOf(plan, ['mon-1', 'mon-2']);
    const osds = wavesOf(plan, ['osd-1', 'osd-2', 'osd-3']);
    expect(Math.max(...mons)).toBeLessThan(Math.min(...osds));
    expect(plan.waves).toHaveLength(2);
  });
});

describe('clusters', () => {
  it('upgrade the primary after every other member, keeping minAvailable up', () => {
    const inv = inventory([node('net-1', 'network'), node('net-2', 'network'), node('net-3', 'network')], {
      clusters: [{ name: 'l3', members: ['net-1', 'net-2', 'net-3'], minAvailable: 1, primary: 'net-1' }],
    });
    const plan = validPlan(inv, campaign());
    expect(plan.waves.map((w) => [...w.nodes].sort())).toEqual([['net-2', 'net-3'], ['net-1']]);
  });

  it('upgrade the primary last even when it is ready before the other members', () => {
    // net-2's L3 agent waits for neutron-server on ctl-1; net-1, the primary, waits for nothing else.
    const inv = inventory(
      [
        node('ctl-1', 'controller', { software: { kernel: '1', 'neutron-server': '21.2.0' } }),
        node('net-1', 'network'),
        node('net-2', 'network', { software: { kernel: '1', 'neutron-l3-agent': '21.2.0' } }),
      ],
      { clusters: [{ name: 'l3', members: ['net-1', 'net-2'], minAvailable: 1, primary: 'net-1' }] },
    );
    const camp = campaign(
      {},
      { target: { software: { kernel: '2', 'neutron-server': '22.0.2', 'neutron-l3-agent': '22.0.2' } } },
    );
    const plan = validPlan(inv, camp);
    expect(plan.waves.map((w) => w.nodes)).toEqual([['ctl-1'], ['net-2'], ['net-1']]);
  });
});

describe('canary and maxParallel', () => {
  const empties = (count: number) => Array.from({ length: count }, (_, i) => compute(`cmp-${i + 1}`));

  it('the first compute wave takes `canary` nodes and is the only one marked canary', () => {
    const plan = validPlan(inventory(empties(10)), campaign({ maxParallel: 4, canary: 2 }));
    expect(plan.waves.map((w) => w.nodes.length)).toEqual([2, 4, 4]);
    expect(plan.waves.map((w) => w.canary)).toEqual([true, false, false]);
  });

  it('the canary comes after the control plane', () => {
    const plan = validPlan(
      inventory([node('ctl-1', 'controller'), ...empties(3)]),
      campaign({ maxParallel: 3, canary: 1 }),
    );
    expect(plan.waves.map((w) => [w.nodes.length, w.canary])).toEqual([
      [1, false],
      [1, true],
      [2, false],
    ]);
  });

  it.each([
    ['25%', 8, [1, 2, 2, 2, 1]],
    ['30%', 8, [1, 2, 2, 2, 1]], // 2.4 rounds down
    ['50%', 8, [1, 4, 3]],
    ['1%', 3, [1, 1, 1]], // at least one
  ] as const)('maxParallel %s of %i computes gives waves of %j', (maxParallel, count, sizes) => {
    const plan = validPlan(inventory(empties(count)), campaign({ maxParallel, canary: 1 }));
    expect(plan.waves.map((w) => w.nodes.length)).toEqual(sizes);
  });

  it('a percentage counts the computes in scope only', () => {
    const camp = campaign(
      { maxParallel: '50%', canary: 1 },
      { scope: { nodes: ['cmp-1', 'cmp-2', 'cmp-3', 'cmp-4', 'cmp-5'] } },
    );
    const plan = validPlan(inventory(empties(10)), camp);
    expect(plan.waves.map((w) => w.nodes.length)).toEqual([1, 2, 2]);
  });
});

describe('instances', () => {
  it('an affinity group moves together, to one node', () => {
    const inv = inventory(
      [
        compute('cmp-1'),
        compute('cmp-2', { software: NEW, capacity: { vcpus: 1, memoryMiB: 1024, diskGiB: 10 } }),
        compute('cmp-3', { software: NEW }),
      ],
      {
        instances: [vm('a-1', 'cmp-1', { serverGroup: 'pair' }), vm('a-2', 'cmp-1', { serverGroup: 'pair' })],
        serverGroups: [{ name: 'pair', policy: 'affinity', maxImpacted: 1 }],
      },
    );
    const plan = validPlan(inv, campaign());
    expect(plan.waves[0]?.migrations.map((m) => [m.instance, m.to])).toEqual([
      ['a-1', 'cmp-3'],
      ['a-2', 'cmp-3'],
    ]);
  });

  it('an anti-affinity group never ends up with two members on one node', () => {
    // The spare node stays the emptiest target all along, and upgraded nodes keep a pinned instance:
    // only the policy keeps the members apart.
    const big = { vcpus: 100, memoryMiB: 102400, diskGiB: 1000 };
    const inv = inventory(
      [
        compute('cmp-1'),
        compute('cmp-2'),
        compute('cmp-3'),
        compute('spare', { software: NEW, capacity: big }),
      ],
      {
        instances: [1, 2, 3].flatMap((i) => [
          vm(`web-${i}`, `cmp-${i}`, { serverGroup: 'web' }),
          vm(`pinned-${i}`, `cmp-${i}`, { migration: 'none' }),
        ]),
        serverGroups: [{ name: 'web', policy: 'anti-affinity', maxImpacted: 1 }],
      },
    );
    const plan = validPlan(inv, campaign());
    expect(plan.totals?.migrations).toBeGreaterThanOrEqual(3);
    for (const [w, hosts] of placements(inv, plan).entries()) {
      const used = ['web-1', 'web-2', 'web-3'].map((i) => hosts.get(i));
      expect(new Set(used).size, `after wave ${w}: ${used.join(', ')}`).toBe(3);
    }
  });

  it('move once: they go to nodes already upgraded (or not to be upgraded) when there is room', () => {
    const inv = inventory(
      [
        compute('cmp-1'),
        compute('cmp-2'),
        compute('cmp-3'),
        compute('spare', { software: NEW, capacity: { vcpus: 8, memoryMiB: 8192, diskGiB: 80 } }),
      ],
      {
        instances: ['cmp-1', 'cmp-1', 'cmp-2', 'cmp-2', 'cmp-2', 'cmp-3'].map((host, i) =>
          vm(`vm-${i + 1}`, host),
        ),
      },
    );
    const plan = validPlan(inv, campaign());
    expect(plan.totals?.migrations).toBe(6);
    expect(plan.totals?.movedTwice).toBe(0);
    const done = new Set(['spare']);
    for (const wave of plan.waves) {
      for (const m of wave.migrations) expect(done.has(m.to), `${m.instance} moves to ${m.to}`).toBe(true);
      for (const n of wave.nodes) done.add(n);
    }
  });
});

describe('versions as distributions write them', () => {
  it('a node whose installed package version is the upstream target is not upgraded again', () => {
    const inv = inventory([
      compute('a', { software: { kernel: '2:2-1~deb12u1' } }), // the target "2", as dpkg reports it
      compute('b', { software: { kernel: '1:1-3' } }),
      compute('c'),
    ]);
    const plan = validPlan(inv, campaign());
    expect(plan.waves.flatMap((w) => w.nodes).sort()).toEqual(['b', 'c']);
  });
});

describe('dependencies between steps', () => {
  // Two computes upgraded together, each with one VNF whose manager is asked first, and a third with room.
  const inv = inventory(
    [
      compute('a', { capacity: { vcpus: 8, memoryMiB: 8192, diskGiB: 80 } }),
      compute('b', { capacity: { vcpus: 8, memoryMiB: 8192, diskGiB: 80 } }),
      compute('c', { capacity: { vcpus: 8, memoryMiB: 8192, diskGiB: 80 }, software: NEW }),
      node('ctl', 'controller'),
    ],
    {
      instances: [vm('x1', 'a', { vnf: 'X' }), vm('y1', 'b', { vnf: 'Y' })],
      vnfs: [
        { name: 'X', minAvailable: 0, maintenance: { notify: true, leadTimeSeconds: 600 } },
        { name: 'Y', minAvailable: 0, maintenance: { notify: true, leadTimeSeconds: 5 } },
      ],
    },
  );
  const plan = validPlan(inv, campaign({ maxParallel: 2, canary: 2 }));
  const steps = new Map(plan.waves.flatMap((w) => w.steps).map((s) => [s.id, s]));
  const find = (kind: string, name: string) =>
    [...steps.values()].find(
      (s) => s.kind === kind && ('node' in s ? s.node : 'vnf' in s ? s.vnf : '') === name,
    );

  it("a node's evacuation waits for the notices of its own VNFs only: a slow manager holds back no other node", () => {
    expect(find('disable-compute', 'a')?.after).toEqual([find('notify-vnf', 'X')?.id]);
    expect(find('disable-compute', 'b')?.after).toEqual([find('notify-vnf', 'Y')?.id]);
    expect(find('backup', 'ctl')?.after).toEqual([]); // a controller holds no instances
  });

  it("a VNF's done notice waits for its own nodes only", () => {
    expect(find('notify-vnf-done', 'X')?.after).toEqual([find('enable-compute', 'a')?.id]);
    expect(find('notify-vnf-done', 'Y')?.after).toEqual([find('enable-compute', 'b')?.id]);
  });

  it('the number of dependencies grows with the plan, not with its square (1,000 computes)', async () => {
    const { generateCloud } = await import('../src/testing/synthetic-cloud.js');
    const cloud = generateCloud({ computes: 1000, seed: 1 });
    const big = createPlan(cloud.inventory, cloud.campaign);
    const all = big.waves.flatMap((w) => w.steps);
    const edges = all.reduce((n, s) => n + s.after.length, 0);
    expect(edges).toBeLessThan(3 * all.length); // was 13 per step: every node waited for every notice
  });
});

describe('when room is short', () => {
  it('instances look in their own zone first, then in the other zones of their site', () => {
    const one = { vcpus: 1, memoryMiB: 1024, diskGiB: 10 };
    const inv = inventory(
      [
        compute('cmp-1', { zone: 'z1' }),
        compute('cmp-2', { zone: 'z2', software: NEW }),
        compute('cmp-3', { zone: 'z1', software: NEW, capacity: one }),
      ],
      {
        instances: [vm('db-1', 'cmp-1', { vnf: 'db' }), vm('db-2', 'cmp-1', { vnf: 'db' })],
        vnfs: [{ name: 'db', minAvailable: 2 }],
      },
    );
    const plan = validPlan(inv, campaign());
    expect(plan.waves[0]?.migrations.map((m) => m.to).sort()).toEqual(['cmp-2', 'cmp-3']);
  });

  it('an instance that only moves cold stays on its node (down) when no node has room', () => {
    const one = { vcpus: 1, memoryMiB: 1024, diskGiB: 10 };
    const inv = inventory([compute('cmp-1'), compute('cmp-2', { software: NEW, capacity: one })], {
      instances: [vm('legacy-1', 'cmp-1', { migration: 'cold' }), vm('filler', 'cmp-2')],
    });
    const plan = validPlan(inv, campaign());
    expect(plan.waves.map((w) => w.nodes)).toEqual([['cmp-1']]);
    expect(plan.totals?.migrations).toBe(0);
  });

  it('a soft-affinity group splits up rather than stay down together', () => {
    const one = { vcpus: 1, memoryMiB: 1024, diskGiB: 10 };
    const inv = inventory(
      [
        compute('cmp-1'),
        compute('cmp-2', { software: NEW, capacity: one }),
        compute('cmp-3', { software: NEW, capacity: one }),
      ],
      {
        instances: [vm('s-1', 'cmp-1', { serverGroup: 'near' }), vm('s-2', 'cmp-1', { serverGroup: 'near' })],
        serverGroups: [{ name: 'near', policy: 'soft-affinity', maxImpacted: 1 }],
      },
    );
    const plan = validPlan(inv, campaign());
    expect(plan.waves[0]?.migrations.map((m) => m.to).sort()).toEqual(['cmp-2', 'cmp-3']);
  });

  it('a hard-affinity group stays together on its node when one member cannot move', () => {
    const inv = inventory([compute('cmp-1'), compute('cmp-2', { software: NEW })], {
      instances: [
        vm('a-1', 'cmp-1', { serverGroup: 'pair', migration: 'none' }),
        vm('a-2', 'cmp-1', { serverGroup: 'pair' }),
      ],
      serverGroups: [{ name: 'pair', policy: 'affinity', maxImpacted: 2 }],
    });
    const plan = validPlan(inv, campaign());
    expect(plan.totals?.migrations).toBe(0);
  });
});

describe('sites', () => {
  it('sequential: the site that shares keystone goes first, and each site finishes before the next', () => {
    const b = { site: 'site-b' };
    const a = { site: 'site-a' };
    const inv = inventory(
      [
        node('b-ctl-1', 'controller', { ...b, software: { kernel: '1', glance: '25.1.0' } }),
        compute('b-cmp-1', b),
        compute('b-cmp-2', b),
        node('a-ctl-1', 'controller', { ...a, software: { kernel: '1', keystone: '22.0.1' } }),
        node('a-ctl-2', 'controller', { ...a, software: { kernel: '1', keystone: '22.0.1' } }),
        compute('a-cmp-1', a),
        compute('a-cmp-2', a),
      ],
      { sites: [{ name: 'site-b' }, { name: 'site-a', sharedServices: ['keystone'] }] },
    );
    const camp = campaign(
      { maxParallel: 2, canary: 1, siteOrder: 'sequential' },
      { target: { software: { kernel: '2', keystone: '23.0.1', glance: '26.0.0' } } },
    );
    const plan = validPlan(inv, camp);
    const sites = plan.waves.map((w) => w.site);
    expect(sites.every((s) => s !== undefined)).toBe(true);
    const firstB = sites.indexOf('site-b');
    expect(firstB).toBeGreaterThan(0);
    expect(sites.slice(0, firstB).every((s) => s === 'site-a')).toBe(true);
    expect(sites.slice(firstB).every((s) => s === 'site-b')).toBe(true);
    // The two keystone nodes of site-a never go down together (one must keep serving site-b).
    const [k1, k2] = wavesOf(plan, ['a-ctl-1', 'a-ctl-2']);
    expect(k1).not.toBe(k2);
  });

  it('a site’s shared-services nodes outside any cluster still go maxParallel at a time', () => {
    const keystone = { site: 'a', software: { kernel: '1', keystone: '22.0.1' } };
    const inv = inventory(
      [
        node('ctl-1', 'controller', keystone),
        node('ctl-2', 'controller', keystone),
        node('ctl-3', 'controller', keystone),
      ],
      { sites: [{ name: 'a', sharedServices: ['keystone'] }] },
    );
    const plan = validPlan(inv, campaign({ maxParallel: 1 }));
    expect(plan.waves.map((w) => w.nodes.length)).toEqual([1, 1, 1]);
  });
});

describe('lowerBoundWaves', () => {
  it('counts no wave for the canary when a cluster needs more waves anyway', () => {
    const inv = inventory([compute('cmp-1'), compute('cmp-2')], {
      clusters: [{ name: 'hci', members: ['cmp-1', 'cmp-2'], minAvailable: 1 }],
    });
    const plan = validPlan(inv, campaign({ maxParallel: 2, canary: 1 }));
    expect(plan.totals?.waves).toBe(2);
    expect(plan.totals?.lowerBoundWaves).toBe(2);
  });

  it('counts no wave for the canary when a controller that is also a compute takes it', () => {
    const inv = inventory(
      [
        compute('a-hci-1', { site: 'a', roles: ['controller', 'compute'] }),
        compute('b-cmp-1', { site: 'b' }),
        compute('b-cmp-2', { site: 'b' }),
      ],
      { sites: [{ name: 'a' }, { name: 'b' }] },
    );
    const plan = validPlan(inv, campaign({ maxParallel: 5, canary: 1, siteOrder: 'sequential' }));
    expect(plan.waves.map((w) => w.nodes.length)).toEqual([1, 2]);
    expect(plan.totals?.lowerBoundWaves).toBe(2);
  });
});

describe('when the greedy finds no plan: the exact search on small clouds', () => {
  /**
   * The smallest cloud where the greedy wave builder gives up though a plan exists: it takes the
   * empty cmp-3 first, then cmp-1 (whose live vm-4 fills cmp-3's room), and the affinity pair on
   * cmp-2 has nowhere to go. A plan: cmp-1 (both stay), cmp-2 (pair → cmp-3), cmp-3 (pair → cmp-2).
   */
  const two = { vcpus: 2, memoryMiB: 2048, diskGiB: 20 };
  const cornered = () =>
    inventory(
      [
        compute('cmp-1', { capacity: two }),
        compute('cmp-2', { capacity: two }),
        compute('cmp-3', { capacity: two }),
      ],
      {
        instances: [
          vm('vm-1', 'cmp-1', { migration: 'none' }),
          vm('vm-2', 'cmp-2', { serverGroup: 'pair' }),
          vm('vm-3', 'cmp-2', { serverGroup: 'pair' }),
          vm('vm-4', 'cmp-1'),
        ],
        serverGroups: [{ name: 'pair', policy: 'affinity', maxImpacted: 1 }],
      },
    );
  const greedyError = (inv: Inventory, camp: Campaign) => {
    const world = buildWorld(inv, camp, resolveCatalog(camp.components));
    return infeasible(() => buildWaves(world, buildPrecedence(world)));
  };

  it('the greedy alone finds none; createPlan finds a valid plan with the fewest waves', () => {
    const inv = cornered();
    const camp = campaign();
    greedyError(inv, camp);
    const plan = validPlan(inv, camp);
    expect(plan.waves.map((w) => w.nodes)).toEqual([['cmp-1'], ['cmp-2'], ['cmp-3']]);
    expect(plan.totals?.waves).toBe(plan.totals?.lowerBoundWaves);
    expect(plan.waves[0]?.canary).toBe(true);
    // The steps come from the same code as the greedy's: every migration has its step.
    for (const wave of plan.waves)
      expect(wave.steps.filter((s) => s.kind === 'migrate').length).toBe(wave.migrations.length);
    expect(plan.totals?.migrations).toBe(4);
    expect(plan.totals?.movedTwice).toBe(2);
  });

  it('re-planning numbers the exact plan after the finished waves and knows the canary ran', () => {
    const plan = createPlan(cornered(), campaign({ canary: 1 }), { firstWave: 2, canaryDone: true });
    expect(plan.waves.map((w) => w.index)).toEqual([2, 3, 4]);
    expect(plan.waves.some((w) => w.canary)).toBe(false);
  });

  it('a small cloud with no plan still gets the greedy’s error, unchanged', () => {
    const inv = cornered();
    // Without cmp-3 there is no room for the pair: no plan exists.
    const small = inventory(
      inv.nodes.filter((n) => n.name !== 'cmp-3'),
      {
        instances: inv.instances,
        serverGroups: [{ name: 'pair', policy: 'affinity', maxImpacted: 1 }],
      },
    );
    const expected = greedyError(small, campaign());
    const error = infeasible(() => createPlan(small, campaign()));
    expect(error.message).toBe(expected.message);
    expect(error.message).toMatch(/^no plan possible: /);
    expect(error.detail).toEqual(expected.detail);
  });

  it('when the search runs out of budget, the greedy’s error says so instead of "no plan possible"', () => {
    const inv = cornered();
    const camp = campaign();
    const greedy = greedyError(inv, camp);
    const error = infeasible(() =>
      planExactly(
        inv,
        camp,
        resolveCatalog(camp.components),
        { firstWave: 0, canaryDone: false, budget: 5 },
        greedy,
      ),
    );
    expect(error.message).toMatch(/^no plan found \(search limit reached\): /);
    expect(error.message).not.toContain('no plan possible');
    expect(error.detail).toEqual(greedy.detail);
  });

  it('larger problems are left to the greedy', () => {
    const nodes = Array.from({ length: EXACT_MAX_NODES + 1 }, (_, i) => compute(`cmp-${i + 1}`));
    const camp = campaign();
    const many = inventory(nodes);
    expect(
      searchExactly(many, camp, resolveCatalog(camp.components), { firstWave: 0, canaryDone: false }).kind,
    ).toBe('too-large');
    const crowded = inventory(
      [compute('cmp-1', { capacity: { vcpus: 64, memoryMiB: 65536, diskGiB: 1000 } })],
      {
        instances: Array.from({ length: EXACT_MAX_INSTANCES + 1 }, (_, i) => vm(`vm-${i + 1}`, 'cmp-1')),
      },
    );
    expect(
      searchExactly(crowded, camp, resolveCatalog(camp.components), { firstWave: 0, canaryDone: false }).kind,
    ).toBe('too-large');
  });
});

describe('infeasible clouds', () => {
  it('vnf-min-available: a VNF that may lose none of its instances, one of which cannot move', () => {
    const inv = inventory([compute('cmp-1'), compute('cmp-2', { software: NEW })], {
      instances: [
        vm('fw-1', 'cmp-1', { vnf: 'vfw', migration: 'none' }),
        vm('fw-2', 'cmp-2', { vnf: 'vfw' }),
      ],
      vnfs: [{ name: 'vfw', minAvailable: 2 }],
    });
    const error = infeasible(() => createPlan(inv, campaign()));
    expect(error.detail.constraint).toBe('vnf-min-available');
    expect(error.detail.instances).toEqual(['fw-1']);
    expect(error.detail.nodes).toEqual(['cmp-1']);
    expect(error.message).toContain('"fw-1"');
    expect(error.message).toContain('"cmp-1"');
    expect(error.message).toMatch(/\. Fix: .*minAvailable/);
  });

  it('cluster-quorum: a cluster that may lose no member', () => {
    const inv = inventory([node('db-1', 'controller'), node('db-2', 'controller')], {
      clusters: [{ name: 'galera', members: ['db-1', 'db-2'], minAvailable: 2 }],
    });
    const error = infeasible(() => createPlan(inv, campaign()));
    expect(error.detail.constraint).toBe('cluster-quorum');
    expect([...error.detail.nodes].sort()).toEqual(['db-1', 'db-2']);
    expect(error.message).toContain('galera');
    expect(error.message).toContain('db-1');
    expect(error.message).toMatch(/\. Fix: .*minAvailable/);
  });

  it('capacity: no node has room for instances that must keep running', () => {
    const full = { vcpus: 2, memoryMiB: 2048, diskGiB: 20 };
    const inv = inventory([compute('cmp-1', { capacity: full }), compute('cmp-2', { capacity: full })], {
      instances: ['cmp-1', 'cmp-1', 'cmp-2', 'cmp-2'].map((host, i) =>
        vm(`vm-${i + 1}`, host, { vnf: 'core' }),
      ),
      vnfs: [{ name: 'core', minAvailable: 4 }],
    });
    const error = infeasible(() => createPlan(inv, campaign({ maxParallel: 2, canary: 1 })));
    expect(error.detail.constraint).toBe('capacity');
    expect(error.detail.nodes.length).toBeGreaterThan(0);
    expect(error.detail.instances.length).toBeGreaterThan(0);
    for (const name of [...error.detail.nodes, ...error.detail.instances])
      expect(error.message).toContain(name);
    expect(error.message).toMatch(/\. Fix: .*capacity/);
  });
});
