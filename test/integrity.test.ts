/**
 * Referential integrity: every rule of src/loader/integrity.ts, each with a document that breaks it
 * (and the exact issue it gives) and one that keeps it.
 */
import { describe, expect, it } from 'vitest';
import {
  type CampaignInput,
  CampaignSchema,
  checkCampaign,
  checkCampaignAgainstInventory,
  checkInventory,
  type DocumentIssue,
  type InventoryInput,
  InventorySchema,
  parseCampaign,
  parseInventory,
} from '../src/index.js';
import { documentError, minimalCampaign, minimalInventory, positionOf } from './support/documents.js';

type Node = InventoryInput['nodes'][number];
type InstanceInput = NonNullable<InventoryInput['instances']>[number];

/** The integrity issues of the minimal inventory after `change`. */
function inventoryIssues(change: (inventory: InventoryInput) => void): DocumentIssue[] {
  const input = minimalInventory();
  change(input);
  return checkInventory(InventorySchema.parse(input));
}

/** The integrity issues of the minimal campaign after `change`. */
function campaignIssues(change: (campaign: CampaignInput) => void): DocumentIssue[] {
  const input = minimalCampaign();
  change(input);
  return checkCampaign(CampaignSchema.parse(input));
}

/** The issues of the minimal campaign, after `change`, against the minimal inventory after `changeInventory`. */
function againstInventory(
  change: (campaign: CampaignInput) => void,
  changeInventory: (inventory: InventoryInput) => void = () => {},
): DocumentIssue[] {
  const campaign = minimalCampaign();
  change(campaign);
  const inventory = minimalInventory();
  changeInventory(inventory);
  return checkCampaignAgainstInventory(CampaignSchema.parse(campaign), InventorySchema.parse(inventory));
}

const node = (inventory: InventoryInput, name: string): Node => {
  const found = inventory.nodes.find((n) => n.name === name);
  if (!found) throw new Error(`no node ${name} in the fixture`);
  return found;
};
const vm = (name: string, host: string, extra: Partial<InstanceInput> = {}): InstanceInput => ({
  name,
  host,
  resources: { vcpus: 1, memoryMiB: 1024, diskGiB: 10 },
  ...extra,
});

describe('the fixtures', () => {
  it('are consistent on their own and together', () => {
    expect(inventoryIssues(() => {})).toEqual([]);
    expect(campaignIssues(() => {})).toEqual([]);
    expect(againstInventory(() => {})).toEqual([]);
  });
});

describe('Inventory: unique names', () => {
  it.each([
    {
      what: 'nodes',
      change: (i: InventoryInput) => {
        node(i, 'cmp-2').name = 'cmp-1';
      },
      issue: { path: ['nodes', 3, 'name'], message: 'node "cmp-1" is already declared at nodes[2]' },
    },
    {
      what: 'instances',
      change: (i: InventoryInput) => {
        i.instances?.push(vm('vm-1', 'cmp-2'));
      },
      issue: {
        path: ['instances', 1, 'name'],
        message: 'instance "vm-1" is already declared at instances[0]',
      },
    },
    {
      what: 'clusters',
      change: (i: InventoryInput) => {
        i.clusters?.push({ name: 'galera', members: ['ctl-2'], minAvailable: 1 });
      },
      issue: {
        path: ['clusters', 1, 'name'],
        message: 'cluster "galera" is already declared at clusters[0]',
      },
    },
    {
      what: 'server groups',
      change: (i: InventoryInput) => {
        i.serverGroups = [
          { name: 'sg', policy: 'anti-affinity' },
          { name: 'other', policy: 'affinity' },
          { name: 'sg', policy: 'affinity' },
        ];
      },
      issue: {
        path: ['serverGroups', 2, 'name'],
        message: 'server group "sg" is already declared at serverGroups[0]',
      },
    },
    {
      what: 'VNFs',
      change: (i: InventoryInput) => {
        i.vnfs = [
          { name: 'vnf-a', minAvailable: 0 },
          { name: 'vnf-a', minAvailable: 0 },
        ];
      },
      issue: { path: ['vnfs', 1, 'name'], message: 'VNF "vnf-a" is already declared at vnfs[0]' },
    },
    {
      what: 'sites',
      change: (i: InventoryInput) => {
        i.sites = [{ name: 'site-a' }, { name: 'site-a' }];
        for (const n of i.nodes) n.site = 'site-a';
      },
      issue: { path: ['sites', 1, 'name'], message: 'site "site-a" is already declared at sites[0]' },
    },
  ])('reports a name used twice among $what', ({ change, issue }) => {
    expect(inventoryIssues(change)).toEqual([{ code: 'duplicate-name', ...issue }]);
  });

  it('accepts the same name in different lists', () => {
    expect(
      inventoryIssues((i) => {
        i.serverGroups = [{ name: 'vm-1', policy: 'anti-affinity' }];
        i.vnfs = [{ name: 'vm-1', minAvailable: 0 }];
        i.clusters = [{ name: 'ctl-1', members: ['ctl-1', 'ctl-2'], minAvailable: 1 }];
      }),
    ).toEqual([]);
  });
});

describe('Inventory: sites', () => {
  it('reports a node on an unknown site, with a suggestion', () => {
    const issues = inventoryIssues((i) => {
      i.sites = [{ name: 'site-a' }];
      for (const n of i.nodes) n.site = 'site-a';
      node(i, 'cmp-2').site = 'site-b';
    });
    expect(issues).toEqual([
      {
        code: 'unknown-reference',
        path: ['nodes', 3, 'site'],
        message: 'unknown site "site-b"; did you mean "site-a"?',
      },
    ]);
  });

  it('accepts nodes on declared sites', () => {
    const issues = inventoryIssues((i) => {
      i.sites = [{ name: 'site-a' }, { name: 'site-b' }];
      for (const n of i.nodes) n.site = 'site-a';
      node(i, 'cmp-2').site = 'site-b';
    });
    expect(issues).toEqual([]);
  });

  it('accepts any site name when no sites are declared', () => {
    expect(inventoryIssues((i) => (node(i, 'cmp-2').site = 'anywhere'))).toEqual([]);
  });

  it('requires a site on every node when several are declared', () => {
    const issues = inventoryIssues((i) => {
      i.sites = [{ name: 'site-a' }, { name: 'site-b' }];
      for (const n of i.nodes) n.site = 'site-a';
      delete node(i, 'ctl-2').site;
    });
    expect(issues).toEqual([
      {
        code: 'missing-site',
        path: ['nodes', 1],
        message: 'node "ctl-2" needs a site: the inventory declares several',
      },
    ]);
  });

  it('lets nodes leave the site out when only one is declared', () => {
    expect(inventoryIssues((i) => (i.sites = [{ name: 'only' }]))).toEqual([]);
  });
});

describe('Inventory: compute capacity', () => {
  it('requires a capacity on a compute node', () => {
    const issues = inventoryIssues((i) => delete node(i, 'cmp-2').capacity);
    expect(issues).toEqual([
      {
        code: 'missing-capacity',
        path: ['nodes', 3],
        message: 'compute node "cmp-2" needs a capacity { vcpus, memoryMiB, diskGiB }',
      },
    ]);
  });

  it('requires it of a node with the compute role among others', () => {
    const issues = inventoryIssues((i) => node(i, 'ctl-1').roles.push('compute'));
    expect(issues.map((x) => [x.code, x.path])).toEqual([['missing-capacity', ['nodes', 0]]]);
  });

  it('does not require a capacity of other nodes', () => {
    expect(inventoryIssues((i) => i.nodes.push({ name: 'net-1', roles: ['network', 'storage'] }))).toEqual(
      [],
    );
  });
});

describe('Inventory: clusters', () => {
  it('reports an unknown member, with a suggestion', () => {
    const issues = inventoryIssues(
      (i) => (i.clusters = [{ name: 'galera', members: ['ctl-1', 'ctl1'], minAvailable: 1 }]),
    );
    expect(issues).toEqual([
      {
        code: 'unknown-reference',
        path: ['clusters', 0, 'members', 1],
        message: 'unknown node "ctl1"; did you mean "ctl-1"?',
      },
    ]);
  });

  it('gives no suggestion for a name far from every node', () => {
    const issues = inventoryIssues(
      (i) => (i.clusters = [{ name: 'g', members: ['ctl-1', 'storage-node-9'], minAvailable: 1 }]),
    );
    expect(issues.map((x) => x.message)).toEqual(['unknown node "storage-node-9"']);
  });

  it('reports a member listed twice, and does not count it twice', () => {
    const issues = inventoryIssues(
      (i) => (i.clusters = [{ name: 'galera', members: ['ctl-1', 'ctl-1'], minAvailable: 2 }]),
    );
    expect(issues).toEqual([
      { code: 'duplicate-name', path: ['clusters', 0, 'members', 1], message: '"ctl-1" is listed twice' },
      {
        code: 'too-large',
        path: ['clusters', 0, 'minAvailable'],
        message: 'minAvailable 2 is more than the 1 members of cluster "galera"',
      },
    ]);
  });

  it('reports a primary that is not a member', () => {
    const issues = inventoryIssues((i) => {
      i.clusters = [{ name: 'galera', members: ['ctl-1', 'ctl-2'], minAvailable: 1, primary: 'cmp-1' }];
    });
    expect(issues).toEqual([
      {
        code: 'unknown-reference',
        path: ['clusters', 0, 'primary'],
        message: 'primary "cmp-1" is not a member of cluster "galera"',
      },
    ]);
  });

  it('suggests the closest member for a misspelt primary', () => {
    const issues = inventoryIssues((i) => {
      i.clusters = [{ name: 'galera', members: ['ctl-1', 'ctl-2'], minAvailable: 1, primary: 'ctl-3' }];
    });
    expect(issues.map((x) => x.message)).toEqual([
      'primary "ctl-3" is not a member of cluster "galera"; did you mean "ctl-1"?',
    ]);
  });

  it('accepts a primary that is a member', () => {
    expect(
      inventoryIssues(
        (i) =>
          (i.clusters = [{ name: 'galera', members: ['ctl-1', 'ctl-2'], minAvailable: 1, primary: 'ctl-2' }]),
      ),
    ).toEqual([]);
  });

  it('reports a minAvailable larger than the members', () => {
    const issues = inventoryIssues(
      (i) => (i.clusters = [{ name: 'galera', members: ['ctl-1', 'ctl-2'], minAvailable: 3 }]),
    );
    expect(issues).toEqual([
      {
        code: 'too-large',
        path: ['clusters', 0, 'minAvailable'],
        message: 'minAvailable 3 is more than the 2 members of cluster "galera"',
      },
    ]);
  });

  it('accepts a minAvailable equal to the members', () => {
    expect(
      inventoryIssues(
        (i) => (i.clusters = [{ name: 'galera', members: ['ctl-1', 'ctl-2'], minAvailable: 2 }]),
      ),
    ).toEqual([]);
  });
});

describe('Inventory: instances', () => {
  it('reports an instance on an unknown host, with a suggestion', () => {
    const issues = inventoryIssues((i) => (i.instances = [vm('vm-1', 'cmp1')]));
    expect(issues).toEqual([
      {
        code: 'unknown-reference',
        path: ['instances', 0, 'host'],
        message: 'unknown node "cmp1"; did you mean "cmp-1"?',
      },
    ]);
  });

  it('reports an instance on a node without the compute role', () => {
    const issues = inventoryIssues((i) => (i.instances = [vm('vm-1', 'ctl-1')]));
    expect(issues).toEqual([
      {
        code: 'not-compute',
        path: ['instances', 0, 'host'],
        message: 'instance "vm-1" is on "ctl-1", which has no compute role',
      },
    ]);
  });

  it('accepts an instance on any compute node', () => {
    expect(inventoryIssues((i) => (i.instances = [vm('vm-1', 'cmp-2'), vm('vm-2', 'cmp-1')]))).toEqual([]);
  });

  it('reports an unknown server group, with a suggestion', () => {
    const issues = inventoryIssues((i) => {
      i.serverGroups = [{ name: 'sg-a', policy: 'anti-affinity' }];
      i.instances = [vm('vm-1', 'cmp-1', { serverGroup: 'sg-b' })];
    });
    expect(issues).toEqual([
      {
        code: 'unknown-reference',
        path: ['instances', 0, 'serverGroup'],
        message: 'unknown server group "sg-b"; did you mean "sg-a"?',
      },
    ]);
  });

  it('reports a server group when none is declared', () => {
    const issues = inventoryIssues((i) => (i.instances = [vm('vm-1', 'cmp-1', { serverGroup: 'sg-a' })]));
    expect(issues.map((x) => x.message)).toEqual(['unknown server group "sg-a"']);
  });

  it('reports an unknown VNF, with a suggestion', () => {
    const issues = inventoryIssues((i) => {
      i.vnfs = [{ name: 'vnf-a', minAvailable: 0 }];
      i.instances = [vm('vm-1', 'cmp-1', { vnf: 'vnf-b' })];
    });
    expect(issues).toEqual([
      {
        code: 'unknown-reference',
        path: ['instances', 0, 'vnf'],
        message: 'unknown VNF "vnf-b"; did you mean "vnf-a"?',
      },
    ]);
  });

  it('accepts known server groups and VNFs', () => {
    const issues = inventoryIssues((i) => {
      i.serverGroups = [{ name: 'sg-a', policy: 'anti-affinity' }];
      i.vnfs = [{ name: 'vnf-a', minAvailable: 1 }];
      i.instances = [vm('vm-1', 'cmp-1', { serverGroup: 'sg-a', vnf: 'vnf-a' })];
    });
    expect(issues).toEqual([]);
  });
});

describe('Inventory: server group policies', () => {
  const withGroup = (
    policy: 'anti-affinity' | 'affinity' | 'soft-anti-affinity' | 'soft-affinity',
    hosts: string[],
  ) =>
    inventoryIssues((i) => {
      i.serverGroups = [{ name: 'sg-a', policy }];
      i.instances = hosts.map((host, n) => vm(`vm-${n + 1}`, host, { serverGroup: 'sg-a' }));
    });

  it('reports two members of an anti-affinity group on one host', () => {
    expect(withGroup('anti-affinity', ['cmp-1', 'cmp-2', 'cmp-1'])).toEqual([
      {
        code: 'policy-broken',
        path: ['instances', 2, 'host'],
        message: 'anti-affinity group "sg-a" already has "vm-1" on "cmp-1"',
      },
    ]);
  });

  it('accepts anti-affinity members on different hosts', () => {
    expect(withGroup('anti-affinity', ['cmp-1', 'cmp-2'])).toEqual([]);
  });

  it('accepts soft-anti-affinity members on one host', () => {
    expect(withGroup('soft-anti-affinity', ['cmp-1', 'cmp-1'])).toEqual([]);
  });

  it('reports an affinity group split across hosts', () => {
    expect(withGroup('affinity', ['cmp-1', 'cmp-1', 'cmp-2'])).toEqual([
      {
        code: 'policy-broken',
        path: ['instances', 2, 'host'],
        message: 'affinity group "sg-a" has its other members on "cmp-1", not "cmp-2"',
      },
    ]);
  });

  it('accepts affinity members on one host', () => {
    expect(withGroup('affinity', ['cmp-2', 'cmp-2', 'cmp-2'])).toEqual([]);
  });

  it('accepts soft-affinity members on different hosts', () => {
    expect(withGroup('soft-affinity', ['cmp-1', 'cmp-2'])).toEqual([]);
  });
});

describe('Inventory: capacity', () => {
  // Each compute has 16 vCPUs, 65536 MiB and 500 GiB; the default overcommit is cpu 4, memory 1, disk 1.
  const load = (
    resources: { vcpus: number; memoryMiB: number; diskGiB: number }[],
    overcommit?: InventoryInput['overcommit'],
  ) =>
    inventoryIssues((i) => {
      i.instances = resources.map((r, n) => vm(`vm-${n}`, 'cmp-1', { resources: r }));
      if (overcommit) i.overcommit = overcommit;
    });

  it('allows vCPUs up to capacity × cpu overcommit', () => {
    expect(
      load([
        { vcpus: 32, memoryMiB: 1, diskGiB: 1 },
        { vcpus: 32, memoryMiB: 1, diskGiB: 1 },
      ]),
    ).toEqual([]);
  });

  it('reports vCPUs beyond capacity × cpu overcommit, summed over the instances', () => {
    expect(
      load([
        { vcpus: 32, memoryMiB: 1, diskGiB: 1 },
        { vcpus: 33, memoryMiB: 1, diskGiB: 1 },
      ]),
    ).toEqual([
      {
        code: 'over-capacity',
        path: ['nodes', 2, 'capacity', 'vcpus'],
        message: 'instances on "cmp-1" use 65 vcpus, more than its capacity × overcommit (64)',
      },
    ]);
  });

  it('applies the inventory cpu overcommit', () => {
    const issues = load([{ vcpus: 17, memoryMiB: 1, diskGiB: 1 }], { cpu: 1 });
    expect(issues.map((x) => x.message)).toEqual([
      'instances on "cmp-1" use 17 vcpus, more than its capacity × overcommit (16)',
    ]);
  });

  it('reports memory beyond capacity × memory overcommit', () => {
    expect(load([{ vcpus: 1, memoryMiB: 65537, diskGiB: 1 }])).toEqual([
      {
        code: 'over-capacity',
        path: ['nodes', 2, 'capacity', 'memoryMiB'],
        message: 'instances on "cmp-1" use 65537 memoryMiB, more than its capacity × overcommit (65536)',
      },
    ]);
  });

  it('allows memory up to capacity × memory overcommit', () => {
    expect(load([{ vcpus: 1, memoryMiB: 98304, diskGiB: 1 }], { memory: 1.5 })).toEqual([]);
  });

  it('reports disk beyond capacity × disk overcommit', () => {
    expect(
      load([
        { vcpus: 1, memoryMiB: 1, diskGiB: 300 },
        { vcpus: 1, memoryMiB: 1, diskGiB: 201 },
      ]),
    ).toEqual([
      {
        code: 'over-capacity',
        path: ['nodes', 2, 'capacity', 'diskGiB'],
        message: 'instances on "cmp-1" use 501 diskGiB, more than its capacity × overcommit (500)',
      },
    ]);
  });

  it('allows disk exactly at capacity, and reports each exceeded resource', () => {
    expect(load([{ vcpus: 1, memoryMiB: 1, diskGiB: 500 }])).toEqual([]);
    expect(load([{ vcpus: 65, memoryMiB: 70000, diskGiB: 600 }]).map((x) => x.path.at(-1))).toEqual([
      'vcpus',
      'memoryMiB',
      'diskGiB',
    ]);
  });
});

describe('Inventory: VNFs', () => {
  it('reports a minAvailable larger than the VNF has instances', () => {
    const issues = inventoryIssues((i) => {
      i.vnfs = [{ name: 'vnf-a', minAvailable: 2 }];
      i.instances = [vm('vm-1', 'cmp-1', { vnf: 'vnf-a' })];
    });
    expect(issues).toEqual([
      {
        code: 'too-large',
        path: ['vnfs', 0, 'minAvailable'],
        message: 'minAvailable 2 is more than the 1 instances of VNF "vnf-a"',
      },
    ]);
  });

  it('counts a VNF without instances as having none', () => {
    const issues = inventoryIssues((i) => (i.vnfs = [{ name: 'vnf-empty', minAvailable: 1 }]));
    expect(issues.map((x) => x.message)).toEqual([
      'minAvailable 1 is more than the 0 instances of VNF "vnf-empty"',
    ]);
  });

  it('accepts a minAvailable equal to the instances', () => {
    const issues = inventoryIssues((i) => {
      i.vnfs = [{ name: 'vnf-a', minAvailable: 2 }];
      i.instances = [vm('vm-1', 'cmp-1', { vnf: 'vnf-a' }), vm('vm-2', 'cmp-2', { vnf: 'vnf-a' })];
    });
    expect(issues).toEqual([]);
  });
});

describe('Inventory integrity through the loader', () => {
  const text = `apiVersion: escalator/v1
kind: Inventory
metadata: { name: lab }
nodes:
  - name: ctl-1
    roles: [controller]
  - name: cmp-1
    roles: [compute]
    capacity: { vcpus: 2, memoryMiB: 4096 }
instances:
  - name: vm-1
    host: cmp-01
  - name: vm-2
    host: ctl-1
clusters:
  - { name: galera, members: [ctl-1, ctl-9], minAvailable: 1 }
`;

  it('reports every integrity problem at once, each at its field, sorted by line', () => {
    const error = documentError(() => parseInventory(text, { file: 'inventory.yaml' }));
    expect(error.issues).toEqual([
      {
        code: 'unknown-reference',
        path: ['instances', 0, 'host'],
        message: 'unknown node "cmp-01"; did you mean "cmp-1"?',
        ...positionOf(text, 'cmp-01'),
      },
      {
        code: 'not-compute',
        path: ['instances', 1, 'host'],
        message: 'instance "vm-2" is on "ctl-1", which has no compute role',
        ...positionOf(text, 'host: |ctl-1'),
      },
      {
        code: 'unknown-reference',
        path: ['clusters', 0, 'members', 1],
        message: 'unknown node "ctl-9"; did you mean "ctl-1"?',
        ...positionOf(text, 'ctl-9'),
      },
    ]);
    expect(error.message.split('\n')[0]).toBe(
      'inventory.yaml:12:11 instances[0].host: unknown node "cmp-01"; did you mean "cmp-1"?',
    );
  });

  it('checks references only once the schema passes', () => {
    const error = documentError(() => parseInventory(text.replace('roles: [controller]', 'roles: [boss]')));
    expect(error.issues.map((i) => i.code)).toEqual(['schema']);
    expect(error.issues[0]?.path).toEqual(['nodes', 0, 'roles', 0]);
  });
});

describe('Campaign: components and targets', () => {
  it('reports a target component the catalog does not know, with a suggestion', () => {
    const issues = campaignIssues((c) => (c.target = { software: { 'nova-comptue': '27.1.0' } }));
    expect(issues).toEqual([
      {
        code: 'unknown-component',
        path: ['target', 'software', 'nova-comptue'],
        message:
          'unknown component "nova-comptue"; did you mean "nova-compute"?; describe it under components:',
      },
    ]);
  });

  it('does not take names of Object.prototype for components', () => {
    const issues = campaignIssues((c) => (c.target = { software: { toString: '1', constructor: '2' } }));
    expect(issues.map((x) => x.path)).toEqual([
      ['target', 'software', 'toString'],
      ['target', 'software', 'constructor'],
    ]);
    expect(issues.every((x) => x.code === 'unknown-component')).toBe(true);
  });

  it('accepts a target component that the campaign describes', () => {
    const issues = campaignIssues((c) => {
      c.target = { software: { 'my-agent': '2.0' } };
      c.components = {
        'my-agent': { roles: ['compute'], disruption: 'service-restart', expectedSeconds: 30 },
      };
    });
    expect(issues).toEqual([]);
  });

  it('reports a new component that lacks required fields', () => {
    const issues = campaignIssues((c) => (c.components = { 'my-agent': { roles: ['compute'] } }));
    const hint = '(a new component must give roles, disruption and expectedSeconds)';
    expect(issues).toEqual([
      {
        code: 'catalog-entry',
        path: ['components', 'my-agent', 'disruption'],
        message: `expected one of none, service-restart, evacuate, reboot ${hint}`,
      },
      {
        code: 'catalog-entry',
        path: ['components', 'my-agent', 'expectedSeconds'],
        message: `expected a duration in seconds, 0 or more ${hint}`,
      },
    ]);
  });

  it('accepts a partial override of a built-in component', () => {
    expect(campaignIssues((c) => (c.components = { kernel: { expectedSeconds: 900 } }))).toEqual([]);
  });

  it('reports an override that depends on an unknown component, with a suggestion', () => {
    const issues = campaignIssues((c) => (c.components = { qemu: { dependsOn: ['libvirt', 'libvrt'] } }));
    expect(issues).toEqual([
      {
        code: 'unknown-reference',
        path: ['components', 'qemu', 'dependsOn', 1],
        message: 'unknown component "libvrt"; did you mean "libvirt"?',
      },
    ]);
  });

  it('reports a dependency cycle and names it', () => {
    const issues = campaignIssues((c) => (c.components = { mariadb: { dependsOn: ['nova-api'] } }));
    expect(issues).toEqual([
      {
        code: 'dependency-cycle',
        path: ['components'],
        message: 'component dependencies form a cycle: keystone -> nova-api -> mariadb -> keystone',
      },
    ]);
  });

  it('accepts a new dependency that makes no cycle', () => {
    expect(campaignIssues((c) => (c.components = { kernel: { dependsOn: ['openvswitch'] } }))).toEqual([]);
  });

  it('reports a canary larger than maxParallel', () => {
    const issues = campaignIssues((c) => (c.strategy = { maxParallel: 2, canary: 3 }));
    expect(issues).toEqual([
      { code: 'too-large', path: ['strategy', 'canary'], message: 'canary 3 is larger than maxParallel 2' },
    ]);
  });

  it('accepts a canary equal to maxParallel, and any canary with a percentage', () => {
    expect(campaignIssues((c) => (c.strategy = { maxParallel: 3, canary: 3 }))).toEqual([]);
    expect(campaignIssues((c) => (c.strategy = { maxParallel: '10%', canary: 5 }))).toEqual([]);
  });

  it('positions a campaign integrity problem in the text', () => {
    const text = `apiVersion: escalator/v1
kind: Campaign
metadata: { name: c }
target:
  software:
    kernel: 6.1.0-21
strategy:
  maxParallel: 2
  canary: 5
components:
  qemu: { dependsOn: [libvrt] }
`;
    const error = documentError(() => parseCampaign(text, { file: 'campaign.yaml' }));
    expect(error.message.split('\n')).toEqual([
      'campaign.yaml:9:11 strategy.canary: canary 5 is larger than maxParallel 2',
      'campaign.yaml:11:23 components.qemu.dependsOn[0]: unknown component "libvrt"; did you mean "libvirt"?',
    ]);
  });
});

describe('Campaign against the inventory', () => {
  it('reports a target component that no node has', () => {
    const issues = againstInventory(
      (c) => (c.target = { software: { 'nova-compute': '27.1.0', 'cinder-volume': '22.1.0' } }),
    );
    expect(issues).toEqual([
      {
        code: 'not-installed',
        path: ['target', 'software', 'cinder-volume'],
        message: 'no node has "cinder-volume"',
      },
    ]);
  });

  it('suggests an installed component for a target no node has', () => {
    const issues = againstInventory(
      () => {},
      (i) => {
        for (const name of ['cmp-1', 'cmp-2']) node(i, name).software = { nova_compute: '26.2.2' };
      },
    );
    expect(issues.map((x) => x.message)).toEqual([
      'no node has "nova-compute"; did you mean "nova_compute"?',
    ]);
  });

  it('accepts targets installed on some node', () => {
    expect(
      againstInventory((c) => (c.target = { software: { keystone: '23.0.0', kernel: '6.1.0-21' } })),
    ).toEqual([]);
  });

  it('reports an unknown scope site, with a suggestion', () => {
    const issues = againstInventory(
      (c) => (c.scope = { sites: ['site-a', 'site-c'] }),
      (i) => {
        i.sites = [{ name: 'site-a' }, { name: 'site-b' }];
        for (const n of i.nodes) n.site = 'site-a';
      },
    );
    expect(issues).toEqual([
      {
        code: 'unknown-reference',
        path: ['scope', 'sites', 1],
        message: 'unknown site "site-c"; did you mean "site-a"?',
      },
    ]);
  });

  it('knows sites named only on nodes', () => {
    expect(
      againstInventory(
        (c) => (c.scope = { sites: ['dc-2'] }),
        (i) => (node(i, 'cmp-2').site = 'dc-2'),
      ),
    ).toEqual([]);
  });

  it('reports an unknown scope zone, with a suggestion', () => {
    const issues = againstInventory(
      (c) => (c.scope = { zones: ['az3'] }),
      (i) => {
        node(i, 'cmp-1').zone = 'az1';
        node(i, 'cmp-2').zone = 'az2';
      },
    );
    expect(issues).toEqual([
      {
        code: 'unknown-reference',
        path: ['scope', 'zones', 0],
        message: 'unknown zone "az3"; did you mean "az1"?',
      },
    ]);
  });

  it('accepts a known scope zone', () => {
    expect(
      againstInventory(
        (c) => (c.scope = { zones: ['az2'] }),
        (i) => (node(i, 'cmp-2').zone = 'az2'),
      ),
    ).toEqual([]);
  });

  it('reports an unknown scope node, with a suggestion', () => {
    const issues = againstInventory((c) => (c.scope = { nodes: ['cmp-1', 'cmp-9'] }));
    expect(issues).toEqual([
      {
        code: 'unknown-reference',
        path: ['scope', 'nodes', 1],
        message: 'unknown node "cmp-9"; did you mean "cmp-1"?',
      },
    ]);
  });

  it('accepts known scope nodes and any roles', () => {
    expect(againstInventory((c) => (c.scope = { nodes: ['cmp-1', 'cmp-2'], roles: ['storage'] }))).toEqual(
      [],
    );
  });

  it('runs through parseCampaign when given the inventory, positioned in the campaign text', () => {
    const inventory = parseInventory(JSON.stringify(minimalInventory()));
    const text = `apiVersion: escalator/v1
kind: Campaign
metadata: { name: c }
target: { software: { nova-compute: 27.1.0 } }
scope: { zones: [az9] }
`;
    const error = documentError(() => parseCampaign(text, { file: 'campaign.yaml', inventory }));
    expect(error.message).toBe('campaign.yaml:5:18 scope.zones[0]: unknown zone "az9"');
    // Without the inventory the same campaign is valid.
    expect(parseCampaign(text).scope.zones).toEqual(['az9']);
  });
});
