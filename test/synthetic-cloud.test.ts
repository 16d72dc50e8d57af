import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CampaignSchema } from '../src/model/campaign.js';
import { type Inventory, InventorySchema } from '../src/model/inventory.js';
import { generateCloud, type SyntheticCloudOptions } from '../src/testing/synthetic-cloud.js';
import { mulberry32 } from '../src/util/random.js';

/** Every invariant the generator promises, as a list of human-readable violations. */
function violations(inventory: Inventory): string[] {
  const problems: string[] = [];
  const nodes = new Map(inventory.nodes.map((n) => [n.name, n]));
  if (nodes.size !== inventory.nodes.length) problems.push('duplicate node names');
  const names = new Set(inventory.instances.map((i) => i.name));
  if (names.size !== inventory.instances.length) problems.push('duplicate instance names');

  const load = new Map<string, { vcpus: number; memoryMiB: number; diskGiB: number }>();
  for (const instance of inventory.instances) {
    const host = nodes.get(instance.host);
    if (!host?.roles.includes('compute'))
      problems.push(`${instance.name} is on ${instance.host}, not a compute`);
    const l = load.get(instance.host) ?? { vcpus: 0, memoryMiB: 0, diskGiB: 0 };
    l.vcpus += instance.resources.vcpus;
    l.memoryMiB += instance.resources.memoryMiB;
    l.diskGiB += instance.resources.diskGiB;
    load.set(instance.host, l);
  }
  const oc = inventory.overcommit;
  for (const [host, l] of load) {
    const cap = nodes.get(host)?.capacity;
    if (cap === undefined) {
      problems.push(`${host} has instances but no capacity`);
      continue;
    }
    if (l.vcpus > cap.vcpus * oc.cpu) problems.push(`${host} over CPU: ${l.vcpus}`);
    if (l.memoryMiB > cap.memoryMiB * oc.memory) problems.push(`${host} over memory: ${l.memoryMiB}`);
    if (l.diskGiB > cap.diskGiB * oc.disk) problems.push(`${host} over disk: ${l.diskGiB}`);
  }

  const groups = new Map(inventory.serverGroups.map((g) => [g.name, g]));
  const groupHosts = new Map<string, Set<string>>();
  const vnfSizes = new Map<string, number>();
  for (const instance of inventory.instances) {
    if (instance.vnf !== undefined) vnfSizes.set(instance.vnf, (vnfSizes.get(instance.vnf) ?? 0) + 1);
    if (instance.serverGroup === undefined) continue;
    const group = groups.get(instance.serverGroup);
    if (group === undefined) {
      problems.push(`${instance.name} names unknown group ${instance.serverGroup}`);
      continue;
    }
    const hosts = groupHosts.get(group.name) ?? new Set<string>();
    if (group.policy === 'anti-affinity' && hosts.has(instance.host))
      problems.push(`anti-affinity ${group.name} has two members on ${instance.host}`);
    hosts.add(instance.host);
    groupHosts.set(group.name, hosts);
  }
  for (const vnf of inventory.vnfs) {
    const size = vnfSizes.get(vnf.name) ?? 0;
    if (vnf.minAvailable > size - 1) problems.push(`${vnf.name} cannot lose an instance (${size} instances)`);
  }
  for (const cluster of inventory.clusters) {
    if (cluster.minAvailable >= cluster.members.length) problems.push(`${cluster.name} cannot lose a member`);
    for (const m of cluster.members) if (!nodes.has(m)) problems.push(`${cluster.name} names unknown ${m}`);
  }
  return problems;
}

function parse(options: SyntheticCloudOptions): Inventory {
  const { inventory, campaign } = generateCloud(options);
  const parsed = InventorySchema.safeParse(inventory);
  if (!parsed.success) throw new Error(JSON.stringify(parsed.error.issues.slice(0, 3)));
  expect(CampaignSchema.safeParse(campaign).success).toBe(true);
  return parsed.data;
}

describe('mulberry32', () => {
  it('is deterministic and stays in [0, 1)', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(124)()).not.toBe(xs[0]);
  });
});

describe('generateCloud', () => {
  it('is deterministic for a seed', () => {
    expect(generateCloud({ computes: 50, seed: 9 })).toEqual(generateCloud({ computes: 50, seed: 9 }));
    expect(generateCloud({ computes: 50, seed: 9 })).not.toEqual(generateCloud({ computes: 50, seed: 10 }));
  });

  it('has the requested sizes', () => {
    const inventory = parse({ computes: 100, seed: 1 });
    const byRole = (role: string) =>
      inventory.nodes.filter((n) => n.roles.includes(role as 'compute')).length;
    expect(byRole('compute')).toBe(100);
    expect(byRole('controller')).toBe(3);
    expect(byRole('network')).toBe(2);
    expect(byRole('storage')).toBe(5);
    expect(inventory.instances).toHaveLength(1200);
    expect(inventory.sites).toEqual([]);
    expect(inventory.nodes.find((n) => n.roles.includes('compute'))?.name).toBe('cmp-00001');
    expect(inventory.instances[0]?.name).toBe('vm-000001');
    const perHost = new Map<string, number>();
    for (const i of inventory.instances) perHost.set(i.host, (perHost.get(i.host) ?? 0) + 1);
    expect(new Set(perHost.values())).toEqual(new Set([12]));
    expect(new Set(inventory.nodes.map((n) => n.zone).filter(Boolean))).toEqual(new Set(['az1', 'az2']));
    const galera = inventory.clusters.find((c) => c.name === 'galera');
    expect(galera).toMatchObject({ members: ['ctl-1', 'ctl-2', 'ctl-3'], minAvailable: 2, primary: 'ctl-1' });
  });

  it('spreads nodes over sites, each with its own control plane', () => {
    const inventory = parse({ computes: 25, seed: 3, sites: 3, controllers: 3, storageNodes: 3 });
    expect(inventory.sites.map((s) => s.name)).toEqual(['site-1', 'site-2', 'site-3']);
    expect(inventory.sites[0]?.sharedServices).toEqual(['keystone']);
    for (const site of ['site-1', 'site-2', 'site-3']) {
      const nodes = inventory.nodes.filter((n) => n.site === site);
      expect(nodes.filter((n) => n.roles.includes('controller'))).toHaveLength(3);
      expect(nodes.filter((n) => n.roles.includes('compute')).length).toBeGreaterThanOrEqual(8);
      expect(inventory.clusters.map((c) => c.name)).toContain(`galera-${site}`);
    }
    const siteOf = new Map(inventory.nodes.map((n) => [n.name, n.site]));
    const groupSites = new Map<string, Set<string | undefined>>();
    for (const i of inventory.instances)
      if (i.serverGroup !== undefined)
        groupSites.set(i.serverGroup, (groupSites.get(i.serverGroup) ?? new Set()).add(siteOf.get(i.host)));
    for (const sites of groupSites.values()) expect(sites.size).toBe(1);
    expect(inventory.nodes.every((n) => n.site !== undefined)).toBe(true);
  });

  it('honours the shares of groups, unmovable and cold instances and the fill', () => {
    const inventory = parse({ computes: 400, seed: 5, unmovableShare: 0.1, coldShare: 0.2, fill: 0.6 });
    const n = inventory.instances.length;
    const share = (f: (i: Inventory['instances'][number]) => boolean) =>
      inventory.instances.filter(f).length / n;
    expect(share((i) => i.migration === 'none')).toBeCloseTo(0.1, 1);
    expect(share((i) => i.migration === 'cold')).toBeCloseTo(0.2, 1);
    expect(share((i) => i.serverGroup !== undefined)).toBeCloseTo(0.5, 1);
    const memory = inventory.instances.reduce((sum, i) => sum + i.resources.memoryMiB, 0);
    expect(memory / (400 * 262144)).toBeCloseTo(0.6, 1);
    for (const group of inventory.serverGroups) expect(group.policy).toBe('anti-affinity');
    const sizes = new Map<string, number>();
    for (const i of inventory.instances) if (i.vnf) sizes.set(i.vnf, (sizes.get(i.vnf) ?? 0) + 1);
    for (const size of sizes.values()) expect(size).toBeGreaterThanOrEqual(2);
    for (const size of sizes.values()) expect(size).toBeLessThanOrEqual(5);
  });

  it('never violates anti-affinity or capacity (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          computes: fc.integer({ min: 0, max: 60 }),
          seed: fc.integer(),
          instancesPerNode: fc.integer({ min: 0, max: 40 }),
          fill: fc.double({ min: 0.01, max: 1, noNaN: true }),
          groupMin: fc.integer({ min: 2, max: 6 }),
          groupExtra: fc.integer({ min: 0, max: 6 }),
          groupedShare: fc.double({ min: 0, max: 1, noNaN: true }),
          unmovableShare: fc.double({ min: 0, max: 0.5, noNaN: true }),
          sites: fc.integer({ min: 1, max: 3 }),
          zones: fc.integer({ min: 1, max: 4 }),
          controllers: fc.integer({ min: 0, max: 5 }),
        }),
        ({ groupMin, groupExtra, controllers, ...rest }) => {
          const options = {
            ...rest,
            // An inventory needs at least one node.
            controllers: rest.computes === 0 && controllers === 0 ? 1 : controllers,
            groupSize: { min: groupMin, max: groupMin + groupExtra },
          };
          const inventory = parse(options);
          expect(violations(inventory)).toEqual([]);
          expect(inventory.instances).toHaveLength(rest.computes * rest.instancesPerNode);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is valid at every default setting', () => {
    for (const seed of [1, 2, 3]) expect(violations(parse({ computes: 300, seed }))).toEqual([]);
  });

  it('rejects impossible options', () => {
    expect(() => generateCloud({ computes: -1, seed: 1 })).toThrow(/computes/);
    expect(() => generateCloud({ computes: 1, seed: 1, fill: 1.5 })).toThrow(/fill/);
    expect(() => generateCloud({ computes: 1, seed: 1, instancesPerNode: 1000 })).toThrow(/do not fit/);
    expect(() => generateCloud({ computes: 1, seed: 1, groupSize: { min: 4, max: 3 } })).toThrow(/groupSize/);
    expect(() => generateCloud({ computes: 1, seed: 1, maxParallel: '0%' })).toThrow(/maxParallel/);
  });

  // Speed is measured by `npm run bench`, not asserted here.
  it('generates a valid cloud of 10,000 computes with 12 instances each', () => {
    const { inventory } = generateCloud({ computes: 10_000, seed: 42 });
    expect(inventory.instances).toHaveLength(120_000);
    const parsed = InventorySchema.parse(inventory);
    expect(violations(parsed)).toEqual([]);
  });
});
