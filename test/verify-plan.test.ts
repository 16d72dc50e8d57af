/**
 * The plan checker, rule by rule: for each violation code, a small hand-built plan that keeps the
 * rule (the verdict is clean) and one that breaks it (exactly the expected violations, with their
 * wave and objects). Then the bound on kept violations, and speed on a 10,000-compute cloud.
 */
import { describe, expect, it } from 'vitest';
import { resolveCatalog } from '../src/catalog/catalog.js';
import {
  MAX_VIOLATIONS_PER_CODE,
  type PlanVerdict,
  ViolationCode,
  verifyPlan as verifyWholePlan,
} from '../src/checker/verify-plan.js';
import { type Campaign, type CampaignInput, CampaignSchema } from '../src/model/campaign.js';
import type { Catalog, ComponentOverride } from '../src/model/component.js';
import { type Inventory, type InventoryInput, InventorySchema } from '../src/model/inventory.js';
import { type Plan, type PlanInput, PlanSchema } from '../src/model/plan.js';
import { generateCloud } from '../src/testing/synthetic-cloud.js';
import { withSteps } from './support/plan-steps.js';

/**
 * The plans below are written as waves, nodes and migrations: each wave gets the steps of a correct
 * upgrade of its nodes before the check, so the rule under test is the only one broken. The step
 * rules have their own tests (verify-plan-steps.test.ts).
 */
function verifyPlan(inventory: Inventory, campaign: Campaign, plan: Plan, catalog?: Catalog): PlanVerdict {
  return verifyWholePlan(inventory, campaign, withSteps(inventory, campaign, plan), catalog);
}

type NodeInput = InventoryInput['nodes'][number];
type InstanceInput = NonNullable<InventoryInput['instances']>[number];
type MigrationInput = NonNullable<PlanInput['waves'][number]['migrations']>[number];
type Strategy = NonNullable<CampaignInput['strategy']>;

const OLD = { kernel: '1' };
const CAPACITY = { vcpus: 16, memoryMiB: 16384, diskGiB: 100 };

function compute(name: string, extra: Partial<NodeInput> = {}): NodeInput {
  return { name, roles: ['compute'], capacity: CAPACITY, software: OLD, ...extra };
}
function node(name: string, role: NodeInput['roles'][number], extra: Partial<NodeInput> = {}): NodeInput {
  return { name, roles: [role], software: OLD, ...extra };
}
function vm(name: string, host: string, extra: Partial<InstanceInput> = {}): InstanceInput {
  return { name, host, resources: { vcpus: 1, memoryMiB: 1024, diskGiB: 10 }, ...extra };
}
function mig(
  instance: string,
  from: string,
  to: string,
  extra: Partial<MigrationInput> = {},
): MigrationInput {
  return { instance, from, to, mode: 'live', ...extra };
}

/** Four computes cmp-1..cmp-4 unless `nodes` is given. */
function inventory(extra: Partial<InventoryInput> = {}) {
  return InventorySchema.parse({
    apiVersion: 'escalator/v1',
    kind: 'Inventory',
    metadata: { name: 'lab' },
    nodes: ['cmp-1', 'cmp-2', 'cmp-3', 'cmp-4'].map((n) => compute(n)),
    ...extra,
  });
}
/** Upgrades the kernel, two computes at a time after a canary of one. */
function campaign(strategy: Partial<Strategy> = {}, extra: Partial<CampaignInput> = {}) {
  return CampaignSchema.parse({
    apiVersion: 'escalator/v1',
    kind: 'Campaign',
    metadata: { name: 'kernel' },
    target: { software: { kernel: '2' } },
    strategy: { maxParallel: 2, canary: 1, ...strategy },
    ...extra,
  });
}
type WaveSpec =
  | readonly string[]
  | {
      readonly nodes: readonly string[];
      readonly migrations?: readonly MigrationInput[];
      readonly index?: number;
    };
function plan(...waves: WaveSpec[]) {
  return PlanSchema.parse({
    apiVersion: 'escalator/v1',
    kind: 'Plan',
    metadata: { name: 'plan' },
    waves: waves.map((w, index) =>
      'nodes' in w
        ? { index, ...w, nodes: [...w.nodes], migrations: [...(w.migrations ?? [])] }
        : { index, nodes: [...w] },
    ),
  });
}

/**
 * The violations without their messages, for exact comparison. Step rules are left out: a plan that
 * repeats a node or a move here also repeats its steps, which is the step rules' own business.
 */
function found(verdict: PlanVerdict) {
  return verdict.violations
    .filter(({ code }) => !code.startsWith('step-'))
    .map(({ code, wave, objects }) => ({ code, wave, objects }));
}
function expectClean(verdict: PlanVerdict): void {
  expect(found(verdict)).toEqual([]);
  expect(verdict.ok).toBe(true);
}

/**
 * A plausible plan for a generated cloud, made without the planner: controllers (primaries last),
 * network and storage nodes one by one, then computes, a canary of one and then `chunk` at a time,
 * each instance moved (in batches its server group allows) to the next compute outside the wave.
 */
function rollingPlan(inv: Inventory, chunk: number) {
  const order = (role: string) => inv.nodes.filter((n) => n.roles[0] === role).map((n) => n.name);
  const primaries = new Set(inv.clusters.flatMap((c) => (c.primary === undefined ? [] : [c.primary])));
  const controllers = order('controller');
  const singles = [
    ...controllers.filter((n) => !primaries.has(n)),
    ...controllers.filter((n) => primaries.has(n)),
    ...order('network'),
    ...order('storage'),
  ].map((n) => [n]);
  const computes = order('compute');
  const chunks = [computes.slice(0, 1)];
  for (let i = 1; i < computes.length; i += chunk) chunks.push(computes.slice(i, i + chunk));

  const onNode = new Map<string, Inventory['instances'][number][]>();
  for (const instance of inv.instances)
    onNode.set(instance.host, [...(onNode.get(instance.host) ?? []), instance]);
  const maxImpacted = new Map(inv.serverGroups.map((g) => [g.name, g.maxImpacted]));
  // Memory is the scarce resource of generated clouds: keep count of what is left on each node.
  const room = new Map(
    inv.nodes.map((n) => [n.name, (n.capacity?.memoryMiB ?? 0) * inv.overcommit.memory] as const),
  );
  for (const instance of inv.instances)
    room.set(instance.host, (room.get(instance.host) ?? 0) - instance.resources.memoryMiB);
  let next = 0;
  const waves = chunks.map((nodes) => {
    const inWave = new Set(nodes);
    const moved = new Map<string, number>();
    const migrations: MigrationInput[] = [];
    for (const from of nodes) {
      const staying = [];
      for (const instance of onNode.get(from) ?? []) {
        if (instance.migration === 'none') {
          staying.push(instance);
          continue;
        }
        let to = computes[next++ % computes.length] ?? from;
        while (inWave.has(to) || (room.get(to) ?? 0) < instance.resources.memoryMiB)
          to = computes[next++ % computes.length] ?? from;
        room.set(to, (room.get(to) ?? 0) - instance.resources.memoryMiB);
        room.set(from, (room.get(from) ?? 0) + instance.resources.memoryMiB);
        const group = instance.serverGroup;
        const nth = group === undefined ? 0 : (moved.get(group) ?? 0);
        if (group !== undefined) moved.set(group, nth + 1);
        const batch = group === undefined ? 0 : Math.floor(nth / (maxImpacted.get(group) ?? 1));
        migrations.push(
          mig(instance.name, from, to, { mode: instance.migration === 'cold' ? 'cold' : 'live', batch }),
        );
        onNode.set(to, [...(onNode.get(to) ?? []), instance]);
      }
      onNode.set(from, staying);
    }
    return { nodes, migrations };
  });
  return plan(...singles, ...waves);
}

const COMPUTES_OK = [['cmp-1'], ['cmp-2', 'cmp-3'], ['cmp-4']] as const;

describe('coverage', () => {
  it('wave-index: each wave’s index is its position', () => {
    expectClean(verifyPlan(inventory(), campaign(), plan(...COMPUTES_OK)));
    const verdict = verifyPlan(
      inventory(),
      campaign(),
      plan(['cmp-1'], { nodes: ['cmp-2', 'cmp-3'], index: 7 }, ['cmp-4']),
    );
    expect(verdict.ok).toBe(false);
    expect(found(verdict)).toEqual([{ code: 'wave-index', wave: 1, objects: [] }]);
    expect(verdict.violations[0]?.message).toContain('index 7');
  });

  it('node-missing: every up, in-scope, outdated node is planned; others need not be', () => {
    const inv = inventory({
      nodes: [
        compute('cmp-1', { zone: 'az1' }),
        compute('cmp-2', { zone: 'az1' }),
        compute('cmp-down', { zone: 'az1', state: 'down' }),
        compute('cmp-new', { zone: 'az1', software: { kernel: '2' } }),
        compute('cmp-other', { zone: 'az2' }),
      ],
    });
    const scoped = campaign({}, { scope: { zones: ['az1'] } });
    expectClean(verifyPlan(inv, scoped, plan(['cmp-1'], ['cmp-2'])));
    const verdict = verifyPlan(inv, scoped, plan(['cmp-1']));
    expect(found(verdict)).toEqual([{ code: 'node-missing', wave: undefined, objects: ['cmp-2'] }]);
  });

  it('node-repeated: a node is in one wave, once', () => {
    expectClean(verifyPlan(inventory(), campaign(), plan(['cmp-1'], ['cmp-2', 'cmp-3'], ['cmp-4'])));
    const verdict = verifyPlan(
      inventory(),
      campaign(),
      plan(['cmp-1'], ['cmp-2', 'cmp-2'], ['cmp-3', 'cmp-4', 'cmp-1']),
    );
    expect(found(verdict)).toEqual([
      { code: 'node-repeated', wave: 1, objects: ['cmp-2'] },
      { code: 'node-repeated', wave: 2, objects: ['cmp-1'] },
      { code: 'max-parallel', wave: 2, objects: ['cmp-3', 'cmp-4', 'cmp-1'] },
    ]);
  });

  it('node-unexpected: unknown, not up, up to date, or out of scope', () => {
    const inv = inventory({
      nodes: [
        compute('cmp-1', { zone: 'az1' }),
        compute('cmp-down', { zone: 'az1', state: 'maintenance' }),
        compute('cmp-new', { zone: 'az1', software: { kernel: '2' } }),
        compute('cmp-other', { zone: 'az2' }),
      ],
    });
    const scoped = campaign({ maxParallel: 10, canary: 10 }, { scope: { zones: ['az1'] } });
    expectClean(verifyPlan(inv, scoped, plan(['cmp-1'])));
    const verdict = verifyPlan(inv, scoped, plan(['cmp-1', 'ghost', 'cmp-down', 'cmp-new', 'cmp-other']));
    expect(found(verdict)).toEqual(
      ['ghost', 'cmp-down', 'cmp-new', 'cmp-other'].map((n) => ({
        code: 'node-unexpected',
        wave: 0,
        objects: [n],
      })),
    );
    expect(verdict.violations.map((v) => v.message)).toEqual([
      'node "ghost" in wave 0 is not in the inventory',
      'node "cmp-down" in wave 0 is in maintenance',
      'node "cmp-new" in wave 0 already runs the target versions',
      'node "cmp-other" in wave 0 is out of the campaign scope',
    ]);
  });
});

describe('parallelism', () => {
  it('max-parallel: at most maxParallel compute nodes per wave (number or percentage)', () => {
    expectClean(verifyPlan(inventory(), campaign({ maxParallel: '50%' }), plan(...COMPUTES_OK)));
    const verdict = verifyPlan(
      inventory(),
      campaign({ maxParallel: '50%' }),
      plan(['cmp-1'], ['cmp-2', 'cmp-3', 'cmp-4']),
    );
    expect(found(verdict)).toEqual([{ code: 'max-parallel', wave: 1, objects: ['cmp-2', 'cmp-3', 'cmp-4'] }]);
  });

  it('max-parallel: at most maxParallel unclustered non-compute nodes of each role per wave', () => {
    const inv = inventory({
      nodes: [
        node('net-1', 'network'),
        node('net-2', 'network'),
        node('net-3', 'network'),
        node('sto-1', 'storage'),
        node('sto-2', 'storage'),
        node('sto-3', 'storage'),
      ],
    });
    // Two of each role per wave is fine, whatever the total.
    expectClean(verifyPlan(inv, campaign(), plan(['net-1', 'net-2', 'sto-1', 'sto-2'], ['net-3', 'sto-3'])));
    const verdict = verifyPlan(
      inv,
      campaign(),
      plan(['net-1', 'net-2', 'net-3', 'sto-1'], ['sto-2', 'sto-3']),
    );
    expect(found(verdict)).toEqual([{ code: 'max-parallel', wave: 0, objects: ['net-1', 'net-2', 'net-3'] }]);
    // Clustered nodes are bounded by their cluster instead.
    const clustered = inventory({
      nodes: [...inv.nodes, node('net-4', 'network')],
      clusters: [{ name: 'l3', members: ['net-1', 'net-2', 'net-3', 'net-4'], minAvailable: 1 }],
    });
    expectClean(
      verifyPlan(
        clustered,
        campaign(),
        plan(['net-1', 'net-2', 'net-3', 'sto-1'], ['net-4', 'sto-2', 'sto-3']),
      ),
    );
  });

  it('canary: the first wave with computes takes at most `canary` of them', () => {
    const inv = inventory({
      nodes: [node('net-1', 'network'), compute('cmp-1'), compute('cmp-2'), compute('cmp-3')],
    });
    expectClean(verifyPlan(inv, campaign(), plan(['net-1'], ['cmp-1'], ['cmp-2', 'cmp-3'])));
    expectClean(verifyPlan(inv, campaign({ canary: 2 }), plan(['net-1'], ['cmp-1', 'cmp-2'], ['cmp-3'])));
    const verdict = verifyPlan(inv, campaign(), plan(['net-1'], ['cmp-1', 'cmp-2'], ['cmp-3']));
    expect(found(verdict)).toEqual([{ code: 'canary', wave: 1, objects: ['cmp-1', 'cmp-2'] }]);
  });
});

describe('clusters and shared services', () => {
  const controllers = (extra: Partial<NodeInput>[] = []) =>
    ['ctl-1', 'ctl-2', 'ctl-3'].map((n, i) => node(n, 'controller', extra[i] ?? {}));
  const galera = { name: 'galera', members: ['ctl-1', 'ctl-2', 'ctl-3'], minAvailable: 2, primary: 'ctl-1' };

  it('cluster-quorum: members up (inventory up, not in the wave) stay at least minAvailable', () => {
    const inv = inventory({ nodes: controllers(), clusters: [galera] });
    expectClean(verifyPlan(inv, campaign(), plan(['ctl-2'], ['ctl-3'], ['ctl-1'])));
    const verdict = verifyPlan(inv, campaign(), plan(['ctl-2', 'ctl-3'], ['ctl-1']));
    expect(found(verdict)).toEqual([
      { code: 'cluster-quorum', wave: 0, objects: ['galera', 'ctl-2', 'ctl-3'] },
    ]);
  });

  it('cluster-quorum: a member that is down counts as not up', () => {
    const inv = inventory({ nodes: controllers([{}, {}, { state: 'down' }]), clusters: [galera] });
    const verdict = verifyPlan(inv, campaign(), plan(['ctl-2'], ['ctl-1']));
    expect(found(verdict)).toEqual([
      { code: 'cluster-quorum', wave: 0, objects: ['galera', 'ctl-2'] },
      { code: 'cluster-quorum', wave: 1, objects: ['galera', 'ctl-1'] },
    ]);
  });

  it('primary-order: the primary goes strictly after every other upgraded member', () => {
    const inv = inventory({ nodes: controllers(), clusters: [galera] });
    const verdict = verifyPlan(inv, campaign(), plan(['ctl-2'], ['ctl-1'], ['ctl-3']));
    expect(found(verdict)).toEqual([
      { code: 'primary-order', wave: 1, objects: ['galera', 'ctl-1', 'ctl-3'] },
    ]);
    // A member that needs no upgrade does not constrain the primary.
    const partial = inventory({
      nodes: controllers([{}, {}, { software: { kernel: '2' } }]),
      clusters: [galera],
    });
    expectClean(verifyPlan(partial, campaign(), plan(['ctl-2'], ['ctl-1'])));
  });

  const sharedSites = (nodes: NodeInput[], clusters: InventoryInput['clusters'] = []) =>
    inventory({
      sites: [{ name: 'a', sharedServices: ['keystone'] }, { name: 'b' }],
      nodes,
      clusters,
    });
  const withKeystone = { site: 'a', software: { kernel: '1', keystone: '22.0.1' } };

  it('shared-service: one up node running a shared service stays out of every wave', () => {
    const nodes = [
      node('ctl-a1', 'controller', withKeystone),
      node('ctl-a2', 'controller', withKeystone),
      node('ctl-a3', 'controller', { site: 'a' }),
      node('ctl-b1', 'controller', { site: 'b', software: { kernel: '1', keystone: '22.0.1' } }),
    ];
    const inv = sharedSites(nodes);
    expectClean(verifyPlan(inv, campaign(), plan(['ctl-a1', 'ctl-a3'], ['ctl-a2'], ['ctl-b1'])));
    const verdict = verifyPlan(inv, campaign(), plan(['ctl-a1', 'ctl-a2'], ['ctl-a3'], ['ctl-b1']));
    expect(found(verdict)).toEqual([{ code: 'shared-service', wave: 0, objects: ['a', 'ctl-a1', 'ctl-a2'] }]);
  });

  it('shared-service: a node that is down does not count; a cluster holding them all takes over', () => {
    const nodes = [
      node('ctl-a1', 'controller', withKeystone),
      node('ctl-a2', 'controller', { ...withKeystone, state: 'down' }),
      node('ctl-a3', 'controller', { site: 'a' }),
    ];
    const verdict = verifyPlan(sharedSites(nodes), campaign(), plan(['ctl-a1'], ['ctl-a3']));
    expect(found(verdict)).toEqual([{ code: 'shared-service', wave: 0, objects: ['a', 'ctl-a1'] }]);
    const covered = sharedSites(nodes, [
      { name: 'ctl', members: ['ctl-a1', 'ctl-a2', 'ctl-a3'], minAvailable: 1 },
    ]);
    expectClean(verifyPlan(covered, campaign(), plan(['ctl-a1'], ['ctl-a3'])));
  });
});

describe('instances down', () => {
  const sg = (
    policy: 'anti-affinity' | 'affinity' | 'soft-anti-affinity' = 'anti-affinity',
    maxImpacted = 1,
  ) => ({
    name: 'sg',
    policy,
    maxImpacted,
  });

  it('server-group-impact: members left on the wave’s nodes are down', () => {
    const inv = inventory({
      instances: [vm('vm-1', 'cmp-2', { serverGroup: 'sg' }), vm('vm-2', 'cmp-3', { serverGroup: 'sg' })],
      serverGroups: [sg()],
    });
    expectClean(
      verifyPlan(
        inv,
        campaign(),
        plan(['cmp-1'], { nodes: ['cmp-2', 'cmp-3'], migrations: [mig('vm-1', 'cmp-2', 'cmp-1')] }, [
          'cmp-4',
        ]),
      ),
    );
    const verdict = verifyPlan(inv, campaign(), plan(['cmp-1'], ['cmp-2', 'cmp-3'], ['cmp-4']));
    expect(found(verdict)).toEqual([
      { code: 'server-group-impact', wave: 1, objects: ['sg', 'vm-1', 'vm-2'] },
    ]);
  });

  it('server-group-impact: members on nodes that are not up are always down', () => {
    const inv = inventory({
      nodes: [compute('cmp-1'), compute('cmp-2'), compute('cmp-9', { state: 'down' })],
      instances: [vm('vm-1', 'cmp-1', { serverGroup: 'sg' }), vm('vm-9', 'cmp-9', { serverGroup: 'sg' })],
      serverGroups: [sg()],
    });
    expectClean(
      verifyPlan(
        inv,
        campaign(),
        plan(
          { nodes: ['cmp-1'], migrations: [mig('vm-1', 'cmp-1', 'cmp-2')] },
          { nodes: ['cmp-2'], migrations: [mig('vm-1', 'cmp-2', 'cmp-1')] },
        ),
      ),
    );
    const verdict = verifyPlan(inv, campaign(), plan(['cmp-1'], ['cmp-2']));
    expect(found(verdict)).toEqual([{ code: 'server-group-impact', wave: 0, objects: ['sg', 'vm-1'] }]);
  });

  it('server-group-impact: an instance moved onto a node that is down counts once', () => {
    const inv = inventory({
      nodes: [compute('cmp-1'), compute('cmp-2'), compute('cmp-9', { state: 'down' })],
      instances: [vm('vm-1', 'cmp-1', { serverGroup: 'sg', vnf: 'v' }), vm('vm-2', 'cmp-2', { vnf: 'v' })],
      serverGroups: [sg()],
      vnfs: [{ name: 'v', minAvailable: 1 }],
    });
    const verdict = verifyPlan(
      inv,
      campaign(),
      plan({ nodes: ['cmp-1'], migrations: [mig('vm-1', 'cmp-1', 'cmp-9')] }, ['cmp-2']),
    );
    // vm-1 is down from wave 0 on; vm-2 stays on cmp-2 in wave 1: the VNF has none left.
    expect(found(verdict)).toEqual([
      { code: 'migration-target', wave: 0, objects: ['vm-1', 'cmp-9'] },
      { code: 'vnf-min-available', wave: 1, objects: ['v', 'vm-2'] },
    ]);
  });

  it('vnf-min-available: cold migrations count as down', () => {
    const inv = inventory({
      instances: [
        vm('vm-1', 'cmp-1', { vnf: 'v' }),
        vm('vm-2', 'cmp-1', { vnf: 'v' }),
        vm('vm-3', 'cmp-2', { vnf: 'v' }),
      ],
      vnfs: [{ name: 'v', minAvailable: 2 }],
    });
    const moves = (mode: 'live' | 'cold', second: 'live' | 'cold') => [
      mig('vm-1', 'cmp-1', 'cmp-3', { mode }),
      mig('vm-2', 'cmp-1', 'cmp-4', { mode: second }),
    ];
    const rest = [
      {
        nodes: ['cmp-2', 'cmp-3'],
        migrations: [mig('vm-3', 'cmp-2', 'cmp-1'), mig('vm-1', 'cmp-3', 'cmp-1')],
      },
      { nodes: ['cmp-4'], migrations: [mig('vm-2', 'cmp-4', 'cmp-1')] },
    ] as const;
    expectClean(
      verifyPlan(inv, campaign(), plan({ nodes: ['cmp-1'], migrations: moves('live', 'live') }, ...rest)),
    );
    expectClean(
      verifyPlan(inv, campaign(), plan({ nodes: ['cmp-1'], migrations: moves('cold', 'live') }, ...rest)),
    );
    const verdict = verifyPlan(
      inv,
      campaign(),
      plan({ nodes: ['cmp-1'], migrations: moves('cold', 'cold') }, ...rest),
    );
    expect(found(verdict)).toEqual([{ code: 'vnf-min-available', wave: 0, objects: ['v', 'vm-1', 'vm-2'] }]);
  });

  it('vnf-min-available: instances that stay on their node are down', () => {
    const inv = inventory({
      instances: [vm('vm-1', 'cmp-1', { vnf: 'v' }), vm('vm-2', 'cmp-2', { vnf: 'v' })],
      vnfs: [{ name: 'v', minAvailable: 1 }],
    });
    expectClean(verifyPlan(inv, campaign({ instanceAction: 'stop-start' }), plan(...COMPUTES_OK)));
    const verdict = verifyPlan(
      inv,
      campaign({ instanceAction: 'stop-start' }),
      plan(['cmp-3'], ['cmp-1', 'cmp-2'], ['cmp-4']),
    );
    expect(found(verdict)).toEqual([{ code: 'vnf-min-available', wave: 1, objects: ['v', 'vm-1', 'vm-2'] }]);
  });
});

describe('migrations', () => {
  const inv = (instances: InstanceInput[] = [vm('vm-1', 'cmp-1')], extra: Partial<InventoryInput> = {}) =>
    inventory({
      nodes: [
        compute('cmp-1'),
        compute('cmp-2'),
        compute('cmp-3'),
        compute('cmp-4'),
        compute('cmp-down', { state: 'down' }),
        node('net-1', 'network', { software: { kernel: '2' } }),
      ],
      instances,
      ...extra,
    });
  /** cmp-1 first (canary), migrating as told, then the rest. */
  const first = (...migrations: MigrationInput[]) =>
    plan({ nodes: ['cmp-1'], migrations }, ['cmp-2', 'cmp-3'], ['cmp-4']);

  it('migration-source: a known instance, from its current host, a node of the wave', () => {
    expectClean(verifyPlan(inv(), campaign(), first(mig('vm-1', 'cmp-1', 'cmp-2'))));
    const verdict = verifyPlan(
      inv([vm('vm-1', 'cmp-1'), vm('vm-2', 'cmp-2'), vm('vm-3', 'cmp-1')]),
      campaign(),
      first(mig('ghost', 'cmp-1', 'cmp-2'), mig('vm-2', 'cmp-2', 'cmp-3'), mig('vm-3', 'cmp-4', 'cmp-2')),
    );
    expect(found(verdict)).toEqual([
      { code: 'migration-source', wave: 0, objects: ['ghost', 'cmp-1'] },
      { code: 'migration-source', wave: 0, objects: ['vm-2', 'cmp-2'] },
      { code: 'migration-source', wave: 0, objects: ['vm-3', 'cmp-4'] },
    ]);
    expect(verdict.violations[2]?.message).toContain('is on "cmp-1", not "cmp-4"');
  });

  it('migration-target: an up compute node outside the wave', () => {
    // cmp-1, upgraded in the canary wave, is a fine target in the next one.
    expectClean(
      verifyPlan(
        inv([vm('vm-1', 'cmp-2')]),
        campaign(),
        plan(['cmp-1'], { nodes: ['cmp-2', 'cmp-3'], migrations: [mig('vm-1', 'cmp-2', 'cmp-1')] }, [
          'cmp-4',
        ]),
      ),
    );
    const verdict = verifyPlan(
      inv([vm('vm-1', 'cmp-2'), vm('vm-2', 'cmp-2'), vm('vm-3', 'cmp-2'), vm('vm-4', 'cmp-2')]),
      campaign({ instanceAction: 'live-migrate' }),
      plan(
        ['cmp-1'],
        {
          nodes: ['cmp-2', 'cmp-3'],
          migrations: [
            mig('vm-1', 'cmp-2', 'cmp-3'),
            mig('vm-2', 'cmp-2', 'ghost'),
            mig('vm-3', 'cmp-2', 'net-1'),
            mig('vm-4', 'cmp-2', 'cmp-down'),
          ],
        },
        ['cmp-4'],
      ),
    );
    expect(found(verdict)).toEqual([
      { code: 'migration-target', wave: 1, objects: ['vm-1', 'cmp-3'] },
      { code: 'migration-target', wave: 1, objects: ['vm-2', 'ghost'] },
      { code: 'migration-target', wave: 1, objects: ['vm-3', 'net-1'] },
      { code: 'migration-target', wave: 1, objects: ['vm-4', 'cmp-down'] },
    ]);
  });

  it('migration-mode: none never moves, cold moves cold, and the campaign’s instanceAction rules', () => {
    const instances = [
      vm('vm-1', 'cmp-1', { migration: 'none' }),
      vm('vm-2', 'cmp-1', { migration: 'cold' }),
    ];
    expectClean(
      verifyPlan(inv(instances), campaign(), first(mig('vm-2', 'cmp-1', 'cmp-2', { mode: 'cold' }))),
    );
    expectClean(
      verifyPlan(
        inv(),
        campaign({ instanceAction: 'cold-migrate' }),
        first(mig('vm-1', 'cmp-1', 'cmp-2', { mode: 'cold' })),
      ),
    );
    const verdict = verifyPlan(
      inv(instances),
      campaign(),
      first(mig('vm-1', 'cmp-1', 'cmp-2', { mode: 'cold' }), mig('vm-2', 'cmp-1', 'cmp-2')),
    );
    expect(found(verdict)).toEqual([
      { code: 'migration-mode', wave: 0, objects: ['vm-1'] },
      { code: 'migration-mode', wave: 0, objects: ['vm-2'] },
    ]);
    for (const instanceAction of ['none', 'stop-start', 'cold-migrate'] as const)
      expect(
        found(verifyPlan(inv(), campaign({ instanceAction }), first(mig('vm-1', 'cmp-1', 'cmp-2')))),
      ).toEqual([{ code: 'migration-mode', wave: 0, objects: ['vm-1'] }]);
  });

  it('migration-repeated: an instance moves at most once per wave', () => {
    const verdict = verifyPlan(
      inv(),
      campaign(),
      first(mig('vm-1', 'cmp-1', 'cmp-2'), mig('vm-1', 'cmp-2', 'cmp-3')),
    );
    // The second move also starts outside the wave.
    expect(found(verdict)).toEqual([
      { code: 'migration-repeated', wave: 0, objects: ['vm-1'] },
      { code: 'migration-source', wave: 0, objects: ['vm-1', 'cmp-2'] },
    ]);
    // Once per wave, not once per plan.
    expectClean(
      verifyPlan(
        inv(),
        campaign(),
        plan(
          { nodes: ['cmp-1'], migrations: [mig('vm-1', 'cmp-1', 'cmp-2')] },
          {
            nodes: ['cmp-2', 'cmp-3'],
            migrations: [mig('vm-1', 'cmp-2', 'cmp-4')],
          },
          { nodes: ['cmp-4'], migrations: [mig('vm-1', 'cmp-4', 'cmp-1')] },
        ),
      ),
    );
  });

  it('migration-site: an instance stays in its site', () => {
    const sites = inventory({
      sites: [{ name: 'a' }, { name: 'b' }],
      nodes: [
        compute('cmp-a1', { site: 'a' }),
        compute('cmp-a2', { site: 'a' }),
        compute('cmp-b1', { site: 'b' }),
      ],
      instances: [vm('vm-1', 'cmp-a1')],
    });
    const rest = [['cmp-a2'], ['cmp-b1']] as const;
    expectClean(
      verifyPlan(
        sites,
        campaign(),
        plan({ nodes: ['cmp-a1'], migrations: [mig('vm-1', 'cmp-a1', 'cmp-a2')] }, ...rest),
      ),
    );
    const verdict = verifyPlan(
      sites,
      campaign(),
      plan({ nodes: ['cmp-a1'], migrations: [mig('vm-1', 'cmp-a1', 'cmp-b1')] }, ...rest),
    );
    expect(found(verdict)).toEqual([
      { code: 'migration-site', wave: 0, objects: ['vm-1', 'cmp-a1', 'cmp-b1'] },
    ]);
  });

  it('migration-batch: one batch moves at most maxImpacted members of a server group', () => {
    const grouped = inv(
      [
        vm('vm-1', 'cmp-1', { serverGroup: 'sg' }),
        vm('vm-2', 'cmp-1', { serverGroup: 'sg' }),
        vm('vm-3', 'cmp-1'),
      ],
      { serverGroups: [{ name: 'sg', policy: 'soft-anti-affinity', maxImpacted: 1 }] },
    );
    const moves = (batch: number) => [
      mig('vm-1', 'cmp-1', 'cmp-2', { batch: 0 }),
      mig('vm-3', 'cmp-1', 'cmp-2', { batch: 0 }),
      mig('vm-2', 'cmp-1', 'cmp-4', { batch }),
    ];
    expectClean(verifyPlan(grouped, campaign(), first(...moves(1))));
    const verdict = verifyPlan(grouped, campaign(), first(...moves(0)));
    expect(found(verdict)).toEqual([{ code: 'migration-batch', wave: 0, objects: ['sg', 'vm-1', 'vm-2'] }]);
  });

  it('capacity: a node that receives instances stays within capacity × overcommit', () => {
    const small = { vcpus: 1, memoryMiB: 16384, diskGiB: 100 }; // 4 vcpus with the default overcommit
    const crowded = inventory({
      nodes: [
        compute('cmp-1'),
        compute('cmp-2', { capacity: small }),
        compute('cmp-3'),
        compute('cmp-4', { capacity: small }),
      ],
      instances: [
        vm('vm-1', 'cmp-1', { resources: { vcpus: 2, memoryMiB: 1024, diskGiB: 10 } }),
        vm('vm-2', 'cmp-2', { resources: { vcpus: 2, memoryMiB: 1024, diskGiB: 10 } }),
        // Already over in the inventory: not the plan's fault while nothing arrives.
        vm('vm-4', 'cmp-4', { resources: { vcpus: 6, memoryMiB: 1024, diskGiB: 10 } }),
      ],
    });
    const go = (to: string) =>
      plan({ nodes: ['cmp-1'], migrations: [mig('vm-1', 'cmp-1', to)] }, ['cmp-3'], {
        nodes: ['cmp-2', 'cmp-4'],
        migrations: [
          mig('vm-2', 'cmp-2', 'cmp-3'),
          mig('vm-1', 'cmp-2', 'cmp-3'),
          mig('vm-4', 'cmp-4', 'cmp-3'),
        ],
      });
    expectClean(verifyPlan(crowded, campaign({ instanceAction: 'live-migrate' }), go('cmp-2')));
    const full = inventory({
      nodes: crowded.nodes,
      instances: [
        ...crowded.instances,
        vm('vm-5', 'cmp-2', { resources: { vcpus: 1, memoryMiB: 1, diskGiB: 0 } }),
      ],
    });
    const verdict = verifyPlan(full, campaign(), go('cmp-2'));
    expect(found(verdict)).toEqual([{ code: 'capacity', wave: 0, objects: ['cmp-2'] }]);
    expect(verdict.violations[0]?.message).toContain('vcpus 5 > 4');
  });

  it('anti-affinity: migrations never put two members on one node (new co-locations only)', () => {
    const grouped = inv(
      [
        vm('vm-1', 'cmp-1', { serverGroup: 'sg' }),
        vm('vm-2', 'cmp-2', { serverGroup: 'sg' }),
        // Together already in the inventory: the inventory's problem.
        vm('vm-3', 'cmp-4', { serverGroup: 'old' }),
        vm('vm-4', 'cmp-4', { serverGroup: 'old' }),
      ],
      {
        serverGroups: [
          { name: 'sg', policy: 'anti-affinity', maxImpacted: 1 },
          { name: 'old', policy: 'anti-affinity', maxImpacted: 2 },
        ],
      },
    );
    expectClean(verifyPlan(grouped, campaign(), first(mig('vm-1', 'cmp-1', 'cmp-4'))));
    const verdict = verifyPlan(grouped, campaign(), first(mig('vm-1', 'cmp-1', 'cmp-2')));
    expect(found(verdict)).toEqual([
      { code: 'anti-affinity', wave: 0, objects: ['sg', 'cmp-2', 'vm-2', 'vm-1'] },
      // vm-1 and vm-2 then both stay on cmp-2 while it is upgraded.
      { code: 'server-group-impact', wave: 1, objects: ['sg', 'vm-2', 'vm-1'] },
    ]);
  });

  it('affinity: members that were together stay together', () => {
    const grouped = inv(
      [vm('vm-1', 'cmp-1', { serverGroup: 'sg' }), vm('vm-2', 'cmp-1', { serverGroup: 'sg' })],
      {
        serverGroups: [{ name: 'sg', policy: 'affinity', maxImpacted: 2 }],
      },
    );
    expectClean(
      verifyPlan(grouped, campaign(), first(mig('vm-1', 'cmp-1', 'cmp-2'), mig('vm-2', 'cmp-1', 'cmp-2'))),
    );
    const apart = verifyPlan(
      grouped,
      campaign(),
      first(mig('vm-1', 'cmp-1', 'cmp-2'), mig('vm-2', 'cmp-1', 'cmp-3')),
    );
    expect(found(apart)).toEqual([{ code: 'affinity', wave: 0, objects: ['sg', 'vm-1', 'vm-2'] }]);
    const leftBehind = verifyPlan(grouped, campaign(), first(mig('vm-2', 'cmp-1', 'cmp-2')));
    expect(found(leftBehind)).toEqual([{ code: 'affinity', wave: 0, objects: ['sg', 'vm-1', 'vm-2'] }]);
  });
});

describe('order', () => {
  const twoSites = (nodes?: NodeInput[]) =>
    inventory({
      sites: [{ name: 'a' }, { name: 'b' }],
      nodes: nodes ?? [
        compute('cmp-a1', { site: 'a' }),
        compute('cmp-a2', { site: 'a' }),
        compute('cmp-b1', { site: 'b' }),
        compute('cmp-b2', { site: 'b' }),
      ],
    });

  it('site-mixed: with sequential sites, a wave holds one site', () => {
    const mixed = plan(['cmp-a1'], ['cmp-a2', 'cmp-b1'], ['cmp-b2']);
    expectClean(verifyPlan(twoSites(), campaign({ siteOrder: 'parallel' }), mixed));
    const verdict = verifyPlan(twoSites(), campaign(), mixed);
    expect(found(verdict)).toEqual([{ code: 'site-mixed', wave: 1, objects: ['a', 'b'] }]);
    // A mixed wave also counts as another site following the first.
    const three = twoSites([
      compute('cmp-a1', { site: 'a' }),
      compute('cmp-a2', { site: 'a' }),
      compute('cmp-a3', { site: 'a' }),
      compute('cmp-b1', { site: 'b' }),
    ]);
    expect(found(verifyPlan(three, campaign(), plan(['cmp-a1'], ['cmp-a2', 'cmp-b1'], ['cmp-a3'])))).toEqual([
      { code: 'site-mixed', wave: 1, objects: ['a', 'b'] },
      { code: 'site-order', wave: 2, objects: ['a'] },
    ]);
  });

  it('site-order: with sequential sites, a site is finished before the next begins', () => {
    expectClean(verifyPlan(twoSites(), campaign(), plan(['cmp-b1'], ['cmp-b2'], ['cmp-a1', 'cmp-a2'])));
    const back = plan(['cmp-a1'], ['cmp-b1'], ['cmp-a2'], ['cmp-b2']);
    expectClean(verifyPlan(twoSites(), campaign({ siteOrder: 'parallel' }), back));
    expect(found(verifyPlan(twoSites(), campaign(), back))).toEqual([
      { code: 'site-order', wave: 2, objects: ['a'] },
      { code: 'site-order', wave: 3, objects: ['b'] },
    ]);
  });

  it('control-before-compute: a site’s controllers go before its computes', () => {
    const nodes = [
      node('ctl-a1', 'controller', { site: 'a' }),
      node('ctl-a2', 'controller', { site: 'a' }),
      compute('cmp-a1', { site: 'a' }),
      compute('cmp-a2', { site: 'a' }),
      // A hyperconverged node is a controller: not held back by the other controllers.
      compute('hci-a1', { site: 'a', roles: ['controller', 'compute'] }),
      node('ctl-b1', 'controller', { site: 'b' }),
      compute('cmp-b1', { site: 'b' }),
    ];
    const parallel = campaign({ siteOrder: 'parallel', canary: 2 });
    expectClean(
      verifyPlan(
        twoSites(nodes),
        parallel,
        plan(['ctl-b1', 'ctl-a1'], ['hci-a1', 'cmp-b1'], ['ctl-a2'], ['cmp-a1', 'cmp-a2']),
      ),
    );
    const verdict = verifyPlan(
      twoSites(nodes),
      parallel,
      plan(['ctl-a1', 'cmp-b1'], ['cmp-a1'], ['ctl-a2', 'hci-a1'], ['cmp-a2', 'ctl-b1']),
    );
    expect(found(verdict)).toEqual([
      { code: 'control-before-compute', wave: 0, objects: ['cmp-b1', 'ctl-b1'] },
      { code: 'control-before-compute', wave: 1, objects: ['cmp-a1', 'ctl-a2', 'hci-a1'] },
    ]);
  });

  describe('dependency-order', () => {
    // comp-c needs comp-b needs comp-a, on unclustered network nodes.
    const components = {
      'comp-a': { roles: ['network'], disruption: 'none', expectedSeconds: 1 },
      'comp-b': { roles: ['network'], dependsOn: ['comp-a'], disruption: 'none', expectedSeconds: 1 },
      'comp-c': { roles: ['network'], dependsOn: ['comp-b'], disruption: 'none', expectedSeconds: 1 },
    } satisfies Record<string, ComponentOverride>;
    const deps = campaign(
      { maxParallel: 5 },
      { target: { software: { 'comp-a': '2', 'comp-b': '2', 'comp-c': '2' } }, components },
    );
    const inv = inventory({
      nodes: [
        node('net-a', 'network', { software: { 'comp-a': '1' } }),
        node('net-b', 'network', { software: { 'comp-b': '1' } }),
        node('net-c', 'network', { software: { 'comp-c': '1', 'comp-a': '2' } }),
        // comp-a and comp-b both outdated here: upgraded together, in order, on the node itself.
        node('net-ab', 'network', { software: { 'comp-a': '1', 'comp-b': '1' } }),
      ],
    });

    it('passes when every dependency is upgraded everywhere first', () => {
      expectClean(verifyPlan(inv, deps, plan(['net-a', 'net-ab'], ['net-b'], ['net-c'])));
      expectClean(
        verifyPlan(inv, deps, plan(['net-a', 'net-ab'], ['net-b'], ['net-c']), resolveCatalog(components)),
      );
    });

    it('fails for a node in the same wave as, or before, a node upgrading what it needs (transitively)', () => {
      const verdict = verifyPlan(inv, deps, plan(['net-ab', 'net-c'], ['net-b'], ['net-a']));
      expect(found(verdict)).toEqual([
        { code: 'dependency-order', wave: 0, objects: ['net-c', 'net-b', 'net-a'] },
        { code: 'dependency-order', wave: 1, objects: ['net-b', 'net-a'] },
      ]);
      expect(verdict.violations[1]?.message).toBe(
        'node "net-b" in wave 1 comes too early: comp-b needs comp-a, upgraded on "net-a" in wave 2',
      );
      const same = verifyPlan(inv, deps, plan(['net-a', 'net-ab', 'net-b'], ['net-c']));
      expect(found(same)).toEqual([{ code: 'dependency-order', wave: 0, objects: ['net-b', 'net-ab'] }]);
    });

    it('uses the catalog it is given', () => {
      const flat = resolveCatalog({ ...components, 'comp-c': { ...components['comp-c'], dependsOn: [] } });
      const early = plan(['net-a', 'net-ab', 'net-c'], ['net-b']);
      expectClean(verifyPlan(inv, deps, early, flat));
      expect(found(verifyPlan(inv, deps, early))).toEqual([
        { code: 'dependency-order', wave: 0, objects: ['net-c', 'net-b', 'net-ab'] },
      ]);
    });
  });
});

describe('verdict', () => {
  it('reports every violation, keeps at most MAX_VIOLATIONS_PER_CODE of a code and counts them all', () => {
    const ghosts = Array.from({ length: MAX_VIOLATIONS_PER_CODE + 5 }, (_, i) => `ghost-${i}`);
    const verdict = verifyPlan(
      inventory(),
      campaign(),
      plan([...COMPUTES_OK[0], ...ghosts], ...COMPUTES_OK.slice(1)),
    );
    expect(verdict.ok).toBe(false);
    expect(verdict.counts[ViolationCode.NodeUnexpected]).toBe(MAX_VIOLATIONS_PER_CODE + 5);
    expect(verdict.violations).toHaveLength(MAX_VIOLATIONS_PER_CODE);
    expect(verdict.counts[ViolationCode.Capacity]).toBe(0);
  });

  it('orders violations by wave, plan-wide ones last', () => {
    const verdict = verifyPlan(inventory(), campaign(), plan(['cmp-1'], ['cmp-2', 'cmp-3', 'ghost']));
    expect(found(verdict)).toEqual([
      { code: 'node-unexpected', wave: 1, objects: ['ghost'] },
      { code: 'node-missing', wave: undefined, objects: ['cmp-4'] },
    ]);
  });

  // Speed is measured by `npm run bench`; here only that a plan of this size replays correctly.
  it('replays a plan for 10,000 computes and 120,000 instances', () => {
    const cloud = generateCloud({ computes: 10_000, seed: 7, maxParallel: '10%' });
    const inv = InventorySchema.parse(cloud.inventory);
    const camp = CampaignSchema.parse(cloud.campaign);
    expect(inv.instances).toHaveLength(120_000);
    const verdict: PlanVerdict = verifyPlan(inv, camp, rollingPlan(inv, 1000));
    expect(verdict.counts[ViolationCode.NodeMissing]).toBe(0);
    expect(verdict.counts[ViolationCode.MigrationSource]).toBe(0);
    expect(verdict.counts[ViolationCode.MigrationTarget]).toBe(0);
    expect(verdict.counts[ViolationCode.Capacity]).toBe(0);
  });
});
