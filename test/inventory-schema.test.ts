/**
 * The Inventory schema, rule by rule: for each, a document that passes (and the value it yields) and
 * one that fails (with the issue's path, message and position in the YAML text).
 */
import { describe, expect, it } from 'vitest';
import { type Inventory, parseInventory } from '../src/index.js';
import {
  documentError,
  edit,
  FULL_INVENTORY_YAML,
  minimalInventory,
  positionOf,
} from './support/documents.js';

/** A change to {@link FULL_INVENTORY_YAML}: replace the one occurrence of `from` by `to`. */
type Edit = readonly [from: string, to: string];

interface Rule {
  readonly rule: string;
  /** An edit that stays valid, and what the parsed inventory then holds. */
  readonly pass: {
    readonly edit: Edit;
    readonly get: (inventory: Inventory) => unknown;
    readonly expected: unknown;
  };
  /** An edit that breaks the rule, and the one issue it must give. */
  readonly fail: {
    readonly edit: Edit;
    readonly path: readonly (string | number)[];
    /** Text (unique in the edited document) at whose first character the issue must point. */
    readonly at: string;
    readonly message: string;
    readonly code?: string;
  };
}

const NAME = 'expected a name (a non-empty string)';
const COUNT = 'expected a whole number, 0 or more';
const POSITIVE = 'expected a whole number, 1 or more';
const AMOUNT = 'expected a number, 0 or more';
const PORT = 'expected a TCP port, 1 to 65535';
const ROLE = 'expected one of controller, compute, network, storage';
const cmp = (inventory: Inventory) => inventory.nodes[1];

const rules: readonly Rule[] = [
  {
    rule: 'apiVersion is escalator/v1',
    pass: {
      edit: ['apiVersion: escalator/v1', "apiVersion: 'escalator/v1'"],
      get: (i) => i.apiVersion,
      expected: 'escalator/v1',
    },
    fail: {
      edit: ['apiVersion: escalator/v1', 'apiVersion: escalator/v2'],
      path: ['apiVersion'],
      at: 'escalator/v2',
      message: 'expected "escalator/v1", got "escalator/v2"',
    },
  },
  {
    rule: 'kind is Inventory',
    pass: { edit: ['kind: Inventory', 'kind: "Inventory"'], get: (i) => i.kind, expected: 'Inventory' },
    fail: {
      edit: ['kind: Inventory', 'kind: Campaign'],
      path: ['kind'],
      at: 'Campaign',
      message: 'expected "Inventory", got "Campaign"',
    },
  },
  {
    rule: 'metadata is an object',
    pass: {
      edit: ['metadata:\n  name: lab-1\n  labels: { owner: nfv-team }', 'metadata: { name: lab-2 }'],
      get: (i) => i.metadata,
      expected: { name: 'lab-2' },
    },
    fail: {
      edit: ['metadata:\n  name: lab-1\n  labels: { owner: nfv-team }', 'metadata: lab-2'],
      path: ['metadata'],
      at: 'lab-2',
      message: 'expected an object with a name, e.g. { name: lab-1 }, got "lab-2"',
    },
  },
  {
    rule: 'metadata.name is a non-empty string',
    pass: { edit: ['  name: lab-1', '  name: l'], get: (i) => i.metadata.name, expected: 'l' },
    fail: {
      edit: ['  name: lab-1', '  name: ""'],
      path: ['metadata', 'name'],
      at: '""',
      message: `${NAME}, got ""`,
    },
  },
  {
    rule: 'a name is a string, not a number',
    pass: { edit: ['  name: lab-1', '  name: "42"'], get: (i) => i.metadata.name, expected: '42' },
    fail: {
      edit: ['  name: lab-1', '  name: 42'],
      path: ['metadata', 'name'],
      at: '42',
      message: `${NAME}, got 42`,
    },
  },
  {
    rule: 'a name has at most 253 characters',
    pass: {
      edit: ['  name: lab-1', `  name: ${'n'.repeat(253)}`],
      get: (i) => i.metadata.name.length,
      expected: 253,
    },
    fail: {
      edit: ['  name: lab-1', `  name: ${'n'.repeat(254)}`],
      path: ['metadata', 'name'],
      at: 'n'.repeat(254),
      message: `expected a name of at most 253 characters, got "${'n'.repeat(40)}…"`,
    },
  },
  {
    rule: 'metadata.labels values are strings',
    pass: {
      edit: ['{ owner: nfv-team }', '{ owner: "7" }'],
      get: (i) => i.metadata.labels,
      expected: { owner: '7' },
    },
    fail: {
      edit: ['{ owner: nfv-team }', '{ owner: 7 }'],
      path: ['metadata', 'labels', 'owner'],
      at: '7 }',
      message: 'expected a string label value, got 7',
    },
  },
  {
    rule: 'metadata has no unknown field',
    pass: {
      edit: ['  labels: {', '  labels: {'],
      get: (i) => Object.keys(i.metadata),
      expected: ['name', 'labels'],
    },
    fail: {
      edit: ['  labels: {', '  label: {'],
      path: ['metadata', 'label'],
      at: 'label:',
      code: 'unknown-field',
      message: 'unknown field "label"; did you mean "labels"? (known fields: name, labels)',
    },
  },
  {
    rule: 'the document has no unknown field',
    pass: { edit: ['overcommit:', 'overcommit:'], get: (i) => i.overcommit.memory, expected: 1.5 },
    fail: {
      edit: ['overcommit:', 'overcomit:'],
      path: ['overcomit'],
      at: 'overcomit:',
      code: 'unknown-field',
      message:
        'unknown field "overcomit"; did you mean "overcommit"? (known fields: apiVersion, kind, metadata, sites, ' +
        'nodes, clusters, instances, serverGroups, vnfs, overcommit)',
    },
  },
  {
    rule: 'sites is a list',
    pass: {
      edit: ['  - name: site-a', '  - name: site-a'],
      get: (i) => i.sites.map((s) => s.name),
      expected: ['site-a'],
    },
    fail: {
      edit: ['sites:\n  - name: site-a\n    sharedServices: [keystone]', 'sites: { name: site-a }'],
      path: ['sites'],
      at: '{ name: site-a }',
      message: 'expected a list of sites, got an object',
    },
  },
  {
    rule: 'a site has a name',
    pass: {
      edit: ['  - name: site-a\n', '  - name: site-a\n'],
      get: (i) => i.sites[0]?.name,
      expected: 'site-a',
    },
    fail: {
      edit: ['  - name: site-a\n    sharedServices', '  - sharedServices'],
      path: ['sites', 0, 'name'],
      at: 'sharedServices',
      message: `${NAME}, but it is missing`,
    },
  },
  {
    rule: 'site.sharedServices is a list of names',
    pass: {
      edit: ['[keystone]', '[keystone, glance]'],
      get: (i) => i.sites[0]?.sharedServices,
      expected: ['keystone', 'glance'],
    },
    fail: {
      edit: ['sharedServices: [keystone]', 'sharedServices: glance'],
      path: ['sites', 0, 'sharedServices'],
      at: 'glance',
      message: 'expected a list of names, got "glance"',
    },
  },
  {
    rule: 'a site has no unknown field',
    pass: {
      edit: ['sharedServices:', 'sharedServices:'],
      get: (i) => Object.keys(i.sites[0] ?? {}),
      expected: ['name', 'sharedServices'],
    },
    fail: {
      edit: ['sharedServices:', 'sharedService:'],
      path: ['sites', 0, 'sharedService'],
      at: 'sharedService:',
      code: 'unknown-field',
      message:
        'unknown field "sharedService"; did you mean "sharedServices"? (known fields: name, sharedServices)',
    },
  },
  {
    rule: 'a node is an object',
    pass: { edit: ['  - name: ctl-1\n', '  - name: ctl-1\n'], get: (i) => i.nodes.length, expected: 2 },
    fail: {
      edit: ['clusters:', '  - cmp-9\nclusters:'],
      path: ['nodes', 2],
      at: 'cmp-9',
      message: 'expected a node object with name and roles, got "cmp-9"',
    },
  },
  {
    rule: 'a node has a name',
    pass: { edit: ['  - name: cmp-1\n', '  - name: cmp-1\n'], get: (i) => cmp(i)?.name, expected: 'cmp-1' },
    fail: {
      edit: ['  - name: cmp-1\n    site: site-a\n    zone: az2', '  - site: site-a\n    zone: az2'],
      path: ['nodes', 1, 'name'],
      at: 'site: site-a\n    zone: az2',
      message: `${NAME}, but it is missing`,
    },
  },
  {
    rule: 'node.roles is a list',
    pass: {
      edit: ['roles: [controller]', 'roles: [controller, network]'],
      get: (i) => i.nodes[0]?.roles,
      expected: ['controller', 'network'],
    },
    fail: {
      edit: ['roles: [controller]', 'roles: controller'],
      path: ['nodes', 0, 'roles'],
      at: 'controller',
      message: 'expected a list of roles, e.g. [compute], got "controller"',
    },
  },
  {
    rule: 'node.roles has at least one role',
    pass: {
      edit: ['roles: [controller]', 'roles: [controller, network, storage]'],
      get: (i) => i.nodes[0]?.roles.length,
      expected: 3,
    },
    fail: {
      edit: ['roles: [controller]', 'roles: []'],
      path: ['nodes', 0, 'roles'],
      at: '[]',
      message: 'expected at least one role, got a list of 0',
    },
  },
  {
    rule: 'a role is one of controller, compute, network, storage',
    pass: {
      edit: ['roles: [compute]', 'roles: [compute, storage]'],
      get: (i) => cmp(i)?.roles,
      expected: ['compute', 'storage'],
    },
    fail: {
      edit: ['roles: [compute]', 'roles: [compute, gpu]'],
      path: ['nodes', 1, 'roles', 1],
      at: 'gpu',
      message: `${ROLE}, got "gpu"`,
    },
  },
  {
    rule: 'node.state is up, down or maintenance',
    pass: { edit: ['state: up', 'state: maintenance'], get: (i) => cmp(i)?.state, expected: 'maintenance' },
    fail: {
      edit: ['state: up', 'state: drained'],
      path: ['nodes', 1, 'state'],
      at: 'drained',
      message: 'expected one of up, down, maintenance, got "drained"',
    },
  },
  {
    rule: 'node.site is a name',
    pass: {
      edit: ['    site: site-a\n    zone: az2', '    site: site-a\n    zone: az2'],
      get: (i) => cmp(i)?.site,
      expected: 'site-a',
    },
    fail: {
      edit: ['    site: site-a\n    zone: az2', '    site: ""\n    zone: az2'],
      path: ['nodes', 1, 'site'],
      at: '""',
      message: `${NAME}, got ""`,
    },
  },
  {
    rule: 'node.zone is a name',
    pass: { edit: ['zone: az2', 'zone: "2"'], get: (i) => cmp(i)?.zone, expected: '2' },
    fail: {
      edit: ['zone: az2', 'zone: 2'],
      path: ['nodes', 1, 'zone'],
      at: 'zone: |2',
      message: `${NAME}, got 2`,
    },
  },
  {
    rule: 'node.rack is a name',
    pass: { edit: ['rack: r02', 'rack: rack-02'], get: (i) => cmp(i)?.rack, expected: 'rack-02' },
    fail: {
      edit: ['rack: r02', 'rack: [r02]'],
      path: ['nodes', 1, 'rack'],
      at: '[r02]',
      message: `${NAME}, got a list of 1`,
    },
  },
  {
    rule: 'capacity.vcpus is a number, 0 or more',
    pass: { edit: ['vcpus: 64', 'vcpus: 1.5'], get: (i) => cmp(i)?.capacity?.vcpus, expected: 1.5 },
    fail: {
      edit: ['vcpus: 64', 'vcpus: -64'],
      path: ['nodes', 1, 'capacity', 'vcpus'],
      at: '-64',
      message: `${AMOUNT}, got -64`,
    },
  },
  {
    rule: 'capacity.vcpus is at most Number.MAX_SAFE_INTEGER',
    pass: {
      edit: ['vcpus: 64', 'vcpus: 9007199254740991'],
      get: (i) => cmp(i)?.capacity?.vcpus,
      expected: Number.MAX_SAFE_INTEGER,
    },
    fail: {
      edit: ['vcpus: 64', 'vcpus: 1e300'],
      path: ['nodes', 1, 'capacity', 'vcpus'],
      at: '1e300',
      message: `${AMOUNT}, got 1e+300`,
    },
  },
  {
    rule: 'capacity.memoryMiB is a number',
    pass: {
      edit: ['memoryMiB: 262144', 'memoryMiB: 131072'],
      get: (i) => cmp(i)?.capacity?.memoryMiB,
      expected: 131072,
    },
    fail: {
      edit: ['memoryMiB: 262144', 'memoryMiB: 256GiB'],
      path: ['nodes', 1, 'capacity', 'memoryMiB'],
      at: '256GiB',
      message: `${AMOUNT}, got "256GiB"`,
    },
  },
  {
    rule: 'capacity.vcpus is required',
    pass: { edit: ['{ vcpus: 64,', '{ vcpus: 32,'], get: (i) => cmp(i)?.capacity?.vcpus, expected: 32 },
    fail: {
      edit: ['{ vcpus: 64, memoryMiB', '{ memoryMiB'],
      path: ['nodes', 1, 'capacity', 'vcpus'],
      at: '{ memoryMiB',
      message: `${AMOUNT}, but it is missing`,
    },
  },
  {
    rule: 'capacity has no unknown field',
    pass: { edit: ['diskGiB: 2000', 'diskGiB: 1000'], get: (i) => cmp(i)?.capacity?.diskGiB, expected: 1000 },
    fail: {
      edit: ['diskGiB: 2000', 'diskGB: 2000'],
      path: ['nodes', 1, 'capacity', 'diskGB'],
      at: 'diskGB',
      code: 'unknown-field',
      message: 'unknown field "diskGB"; did you mean "diskGiB"? (known fields: vcpus, memoryMiB, diskGiB)',
    },
  },
  {
    rule: 'a version must be a string (quote numbers)',
    pass: {
      edit: ['libvirt: "9.0.0"', 'libvirt: "9.0"'],
      get: (i) => cmp(i)?.software['libvirt'],
      expected: '9.0',
    },
    fail: {
      edit: ['libvirt: "9.0.0"', 'libvirt: 9.0'],
      path: ['nodes', 1, 'software', 'libvirt'],
      at: '9.0,',
      message: 'expected a version string; quote numbers, e.g. "9.0", got 9',
    },
  },
  {
    rule: 'a version is not empty (unquoted dotted versions stay strings)',
    pass: {
      edit: ['nova-compute: 26.2.2', 'nova-compute: 26.2.3'],
      get: (i) => cmp(i)?.software['nova-compute'],
      expected: '26.2.3',
    },
    fail: {
      edit: ['libvirt: "9.0.0"', 'libvirt: ""'],
      path: ['nodes', 1, 'software', 'libvirt'],
      at: '""',
      message: 'expected a non-empty version string, got ""',
    },
  },
  {
    rule: 'node.software is a map',
    pass: {
      edit: ['software: { keystone: "22.0.0", mariadb: "10.11.6" }', 'software: {}'],
      get: (i) => i.nodes[0]?.software,
      expected: {},
    },
    fail: {
      edit: ['software: { keystone: "22.0.0", mariadb: "10.11.6" }', 'software: [keystone]'],
      path: ['nodes', 0, 'software'],
      at: 'software: |[keystone]',
      message: 'expected a map of component names to version strings, got a list of 1',
    },
  },
  {
    rule: 'node.vimName is a name',
    pass: {
      edit: ['vimName: cmp-1.example.org', 'vimName: cmp-1.lab'],
      get: (i) => cmp(i)?.vimName,
      expected: 'cmp-1.lab',
    },
    fail: {
      edit: ['vimName: cmp-1.example.org', 'vimName: ""'],
      path: ['nodes', 1, 'vimName'],
      at: '""',
      message: `${NAME}, got ""`,
    },
  },
  {
    rule: 'access.port is at least 1',
    pass: { edit: ['port: 2222', 'port: 1'], get: (i) => cmp(i)?.access?.port, expected: 1 },
    fail: {
      edit: ['port: 2222', 'port: 0'],
      path: ['nodes', 1, 'access', 'port'],
      at: '0, user',
      message: `${PORT}, got 0`,
    },
  },
  {
    rule: 'access.port is at most 65535',
    pass: { edit: ['port: 2222', 'port: 65535'], get: (i) => cmp(i)?.access?.port, expected: 65535 },
    fail: {
      edit: ['port: 2222', 'port: 65536'],
      path: ['nodes', 1, 'access', 'port'],
      at: '65536',
      message: `${PORT}, got 65536`,
    },
  },
  {
    rule: 'access.port is a whole number',
    pass: { edit: ['port: 2222', 'port: 22'], get: (i) => cmp(i)?.access?.port, expected: 22 },
    fail: {
      edit: ['port: 2222', 'port: 22.5'],
      path: ['nodes', 1, 'access', 'port'],
      at: '22.5',
      message: `${PORT}, got 22.5`,
    },
  },
  {
    rule: 'access.port is a number',
    pass: { edit: ['port: 2222, ', ''], get: (i) => cmp(i)?.access?.port, expected: 22 },
    fail: {
      edit: ['port: 2222', 'port: ssh'],
      path: ['nodes', 1, 'access', 'port'],
      at: 'port: |ssh',
      message: `${PORT}, got "ssh"`,
    },
  },
  {
    rule: 'access.address is required; user defaults to root',
    pass: { edit: ['user: ops, ', ''], get: (i) => cmp(i)?.access?.user, expected: 'root' },
    fail: {
      edit: ['{ address: 10.0.0.11, port', '{ port'],
      path: ['nodes', 1, 'access', 'address'],
      at: '{ port',
      message: 'expected a host name or IP address, but it is missing',
    },
  },
  {
    rule: 'access has no unknown field (credentials are named, never inlined)',
    pass: {
      edit: ['credentialsRef: lab-ssh', 'credentialsRef: vault-ssh'],
      get: (i) => cmp(i)?.access?.credentialsRef,
      expected: 'vault-ssh',
    },
    fail: {
      edit: ['credentialsRef: lab-ssh', 'password: s3cret'],
      path: ['nodes', 1, 'access', 'password'],
      at: 'password',
      code: 'unknown-field',
      message: 'unknown field "password" (known fields: address, port, user, credentialsRef)',
    },
  },
  {
    rule: 'a node has no unknown field',
    pass: { edit: ['    rack: r02\n', '    rack: r02\n'], get: (i) => cmp(i)?.rack, expected: 'r02' },
    fail: {
      edit: ['    rack: r02\n', '    racks: r02\n'],
      path: ['nodes', 1, 'racks'],
      at: 'racks',
      code: 'unknown-field',
      message:
        'unknown field "racks"; did you mean "rack"? (known fields: name, site, zone, rack, roles, state, capacity, ' +
        'software, vimName, access)',
    },
  },
  {
    rule: 'cluster.members has at least one member',
    pass: {
      edit: ['members: [ctl-1]', 'members: [ ctl-1 ]'],
      get: (i) => i.clusters[0]?.members,
      expected: ['ctl-1'],
    },
    fail: {
      edit: ['members: [ctl-1]', 'members: []'],
      path: ['clusters', 0, 'members'],
      at: '[]',
      message: 'expected at least one member, got a list of 0',
    },
  },
  {
    rule: 'cluster.minAvailable is 1 or more',
    pass: {
      edit: ['minAvailable: 1\n    primary', 'minAvailable: 1\n    primary'],
      get: (i) => i.clusters[0]?.minAvailable,
      expected: 1,
    },
    fail: {
      edit: ['minAvailable: 1\n    primary', 'minAvailable: 0\n    primary'],
      path: ['clusters', 0, 'minAvailable'],
      at: '0\n    primary',
      message: `${POSITIVE}, got 0`,
    },
  },
  {
    rule: 'cluster.minAvailable is a whole number',
    pass: {
      edit: ['minAvailable: 1\n    primary', 'minAvailable: 1.0\n    primary'],
      get: (i) => i.clusters[0]?.minAvailable,
      expected: 1,
    },
    fail: {
      edit: ['minAvailable: 1\n    primary', 'minAvailable: 1.5\n    primary'],
      path: ['clusters', 0, 'minAvailable'],
      at: 'minAvailable: |1.5',
      message: `${POSITIVE}, got 1.5`,
    },
  },
  {
    rule: 'cluster.minAvailable is required',
    pass: { edit: ['    primary: ctl-1\n', ''], get: (i) => i.clusters[0]?.primary, expected: undefined },
    fail: {
      edit: ['    minAvailable: 1\n    primary', '    primary'],
      path: ['clusters', 0, 'minAvailable'],
      at: 'name: galera',
      message: `${POSITIVE}, but it is missing`,
    },
  },
  {
    rule: 'cluster.primary and cluster.component are names',
    pass: {
      edit: ['component: mariadb', 'component: rabbitmq-server'],
      get: (i) => i.clusters[0]?.component,
      expected: 'rabbitmq-server',
    },
    fail: {
      edit: ['primary: ctl-1', 'primary: 1'],
      path: ['clusters', 0, 'primary'],
      at: '1\n    component',
      message: `${NAME}, got 1`,
    },
  },
  {
    rule: 'a cluster has no unknown field',
    pass: {
      edit: ['component: mariadb', 'component: mariadb'],
      get: (i) => i.clusters[0]?.name,
      expected: 'galera',
    },
    fail: {
      edit: ['component: mariadb', 'components: mariadb'],
      path: ['clusters', 0, 'components'],
      at: 'components',
      code: 'unknown-field',
      message:
        'unknown field "components"; did you mean "component"? (known fields: name, members, minAvailable, primary, component)',
    },
  },
  {
    rule: 'instance.host is required',
    pass: { edit: ['host: cmp-1', 'host: cmp-1'], get: (i) => i.instances[0]?.host, expected: 'cmp-1' },
    fail: {
      edit: ['    host: cmp-1\n', ''],
      path: ['instances', 0, 'host'],
      at: 'name: vm-1',
      message: `${NAME}, but it is missing`,
    },
  },
  {
    rule: 'instance.resources are amounts (and default to zero)',
    pass: {
      edit: ['    resources: { vcpus: 4, memoryMiB: 8192, diskGiB: 80 }\n', ''],
      get: (i) => i.instances[0]?.resources,
      expected: { vcpus: 0, memoryMiB: 0, diskGiB: 0 },
    },
    fail: {
      edit: ['memoryMiB: 8192', 'memoryMiB: -8192'],
      path: ['instances', 0, 'resources', 'memoryMiB'],
      at: '-8192',
      message: `${AMOUNT}, got -8192`,
    },
  },
  {
    rule: 'instance.migration is live, cold or none',
    pass: {
      edit: ['migration: live', 'migration: cold'],
      get: (i) => i.instances[0]?.migration,
      expected: 'cold',
    },
    fail: {
      edit: ['migration: live', 'migration: evacuate'],
      path: ['instances', 0, 'migration'],
      at: 'evacuate',
      message: 'expected one of live, cold, none, got "evacuate"',
    },
  },
  {
    rule: 'instance.serverGroup and instance.vnf are names',
    pass: { edit: ['vnf: vnf-a', 'vnf: vnf-a'], get: (i) => i.instances[0]?.vnf, expected: 'vnf-a' },
    fail: {
      edit: ['serverGroup: sg-a', 'serverGroup: [sg-a]'],
      path: ['instances', 0, 'serverGroup'],
      at: '[sg-a]',
      message: `${NAME}, got a list of 1`,
    },
  },
  {
    rule: 'an instance has no unknown field',
    pass: {
      edit: ['    id: 9b0a', '    id: 9b0a'],
      get: (i) => i.instances[0]?.id,
      expected: '9b0a7c1e-1111-4d2e-9f00-000000000001',
    },
    fail: {
      edit: ['    id: 9b0a', '    flavor: m1.small\n    id: 9b0a'],
      path: ['instances', 0, 'flavor'],
      at: 'flavor',
      code: 'unknown-field',
      message:
        'unknown field "flavor" (known fields: name, host, resources, serverGroup, vnf, migration, id)',
    },
  },
  {
    rule: 'serverGroup.policy is one of the four Nova policies',
    pass: {
      edit: ['policy: anti-affinity', 'policy: soft-anti-affinity'],
      get: (i) => i.serverGroups[0]?.policy,
      expected: 'soft-anti-affinity',
    },
    fail: {
      edit: ['policy: anti-affinity', 'policy: antiaffinity'],
      path: ['serverGroups', 0, 'policy'],
      at: 'antiaffinity',
      message:
        'expected one of anti-affinity, affinity, soft-anti-affinity, soft-affinity, got "antiaffinity"',
    },
  },
  {
    rule: 'serverGroup.policy is required',
    pass: {
      edit: ['policy: anti-affinity', 'policy: affinity'],
      get: (i) => i.serverGroups[0]?.policy,
      expected: 'affinity',
    },
    fail: {
      edit: ['    policy: anti-affinity\n', ''],
      path: ['serverGroups', 0, 'policy'],
      at: 'name: sg-a',
      // An enum reports a missing value as "got nothing" (its zod code is invalid_value, not invalid_type).
      message: 'expected one of anti-affinity, affinity, soft-anti-affinity, soft-affinity, got nothing',
    },
  },
  {
    rule: 'serverGroup.maxImpacted is 1 or more (default 1)',
    pass: { edit: ['    maxImpacted: 1\n', ''], get: (i) => i.serverGroups[0]?.maxImpacted, expected: 1 },
    fail: {
      edit: ['maxImpacted: 1', 'maxImpacted: 0'],
      path: ['serverGroups', 0, 'maxImpacted'],
      at: '0\n    recovery',
      message: `${POSITIVE}, got 0`,
    },
  },
  {
    rule: 'serverGroup.recoverySeconds is at most a year (default 0)',
    pass: {
      edit: ['recoverySeconds: 60', 'recoverySeconds: 31536000'],
      get: (i) => i.serverGroups[0]?.recoverySeconds,
      expected: 31536000,
    },
    fail: {
      edit: ['recoverySeconds: 60', 'recoverySeconds: 31536001'],
      path: ['serverGroups', 0, 'recoverySeconds'],
      at: '31536001',
      message: 'expected at most a year of seconds (31536000), got 31536001',
    },
  },
  {
    rule: 'serverGroup.recoverySeconds is 0 or more',
    pass: {
      edit: ['    recoverySeconds: 60\n', ''],
      get: (i) => i.serverGroups[0]?.recoverySeconds,
      expected: 0,
    },
    fail: {
      edit: ['recoverySeconds: 60', 'recoverySeconds: -1'],
      path: ['serverGroups', 0, 'recoverySeconds'],
      at: 'recoverySeconds: |-1',
      message: 'expected a duration in seconds, 0 or more, got -1',
    },
  },
  {
    rule: 'vnf.minAvailable is a whole number, 0 or more',
    pass: {
      edit: ['minAvailable: 1\n    maintenance', 'minAvailable: 0\n    maintenance'],
      get: (i) => i.vnfs[0]?.minAvailable,
      expected: 0,
    },
    fail: {
      edit: ['minAvailable: 1\n    maintenance', 'minAvailable: -1\n    maintenance'],
      path: ['vnfs', 0, 'minAvailable'],
      at: 'minAvailable: |-1',
      message: `${COUNT}, got -1`,
    },
  },
  {
    rule: 'vnf.maintenance defaults to no notification',
    pass: {
      edit: [
        '    maintenance: { notify: true, leadTimeSeconds: 30, endpoint: "https://vnfm.example.org/maint" }\n',
        '',
      ],
      get: (i) => i.vnfs[0]?.maintenance,
      expected: { notify: false, leadTimeSeconds: 0 },
    },
    fail: {
      edit: ['notify: true', 'notify: "yes"'],
      path: ['vnfs', 0, 'maintenance', 'notify'],
      at: '"yes"',
      message: 'expected true or false, got "yes"',
    },
  },
  {
    rule: 'vnf.maintenance.leadTimeSeconds is a duration',
    pass: {
      edit: ['leadTimeSeconds: 30', 'leadTimeSeconds: 0.5'],
      get: (i) => i.vnfs[0]?.maintenance.leadTimeSeconds,
      expected: 0.5,
    },
    fail: {
      edit: ['leadTimeSeconds: 30', 'leadTimeSeconds: 1m'],
      path: ['vnfs', 0, 'maintenance', 'leadTimeSeconds'],
      at: '1m',
      message: 'expected a duration in seconds, 0 or more, got "1m"',
    },
  },
  {
    rule: 'vnf.maintenance.endpoint is a URL',
    pass: {
      edit: ['"https://vnfm.example.org/maint"', 'http://10.0.0.5:8080/v1/maintenance'],
      get: (i) => i.vnfs[0]?.maintenance.endpoint,
      expected: 'http://10.0.0.5:8080/v1/maintenance',
    },
    fail: {
      edit: ['"https://vnfm.example.org/maint"', '"not a url"'],
      path: ['vnfs', 0, 'maintenance', 'endpoint'],
      at: '"not a url"',
      message: 'expected an http(s) URL, got "not a url"',
    },
  },
  {
    rule: 'vnf.maintenance.endpoint is http or https',
    pass: {
      edit: ['"https://vnfm.example.org/maint"', 'HTTPS://vnfm.example.org'],
      get: (i) => i.vnfs[0]?.maintenance.endpoint,
      expected: 'HTTPS://vnfm.example.org',
    },
    fail: {
      edit: ['"https://vnfm.example.org/maint"', '"file:///etc/passwd"'],
      path: ['vnfs', 0, 'maintenance', 'endpoint'],
      at: '"file:///etc/passwd"',
      message: 'expected an http(s) URL, got "file:///etc/passwd"',
    },
  },
  {
    rule: 'vnf.maintenance has no unknown field',
    pass: {
      edit: ['notify: true', 'notify: false'],
      get: (i) => i.vnfs[0]?.maintenance.notify,
      expected: false,
    },
    fail: {
      edit: ['notify: true', 'notifyVnfm: true'],
      path: ['vnfs', 0, 'maintenance', 'notifyVnfm'],
      at: 'notifyVnfm',
      code: 'unknown-field',
      message: 'unknown field "notifyVnfm" (known fields: notify, leadTimeSeconds, endpoint)',
    },
  },
  {
    rule: 'overcommit ratios are greater than 0',
    pass: { edit: ['cpu: 4.0', 'cpu: 0.5'], get: (i) => i.overcommit.cpu, expected: 0.5 },
    fail: {
      edit: ['cpu: 4.0', 'cpu: 0'],
      path: ['overcommit', 'cpu'],
      at: '0, memory',
      message: 'expected a ratio greater than 0, e.g. 1.5, got 0',
    },
  },
  {
    rule: 'overcommit ratios are at most 1000',
    pass: { edit: ['cpu: 4.0', 'cpu: 1000'], get: (i) => i.overcommit.cpu, expected: 1000 },
    fail: {
      edit: ['cpu: 4.0', 'cpu: 1001'],
      path: ['overcommit', 'cpu'],
      at: '1001',
      message: 'expected a ratio of at most 1000, got 1001',
    },
  },
  {
    rule: 'overcommit has no unknown field (defaults fill the rest)',
    pass: {
      edit: ['{ cpu: 4.0, memory: 1.5, disk: 1.0 }', '{ cpu: 16 }'],
      get: (i) => i.overcommit,
      expected: { cpu: 16, memory: 1, disk: 1 },
    },
    fail: {
      edit: ['{ cpu: 4.0,', '{ cpus: 4.0,'],
      path: ['overcommit', 'cpus'],
      at: '{ |cpus',
      code: 'unknown-field',
      message: 'unknown field "cpus"; did you mean "cpu"? (known fields: cpu, memory, disk)',
    },
  },
];

describe('Inventory schema rules', () => {
  it('the full fixture is valid as it stands', () => {
    const inventory = parseInventory(FULL_INVENTORY_YAML);
    expect(inventory.nodes.map((n) => n.name)).toEqual(['ctl-1', 'cmp-1']);
    expect(inventory.vnfs[0]?.maintenance.endpoint).toBe('https://vnfm.example.org/maint');
  });

  it.each(rules)('$rule: accepts a valid value', ({ pass }) => {
    const inventory = parseInventory(edit(FULL_INVENTORY_YAML, ...pass.edit));
    expect(pass.get(inventory)).toEqual(pass.expected);
  });

  it.each(rules)('$rule: reports a bad value at its position', ({ fail }) => {
    const text = edit(FULL_INVENTORY_YAML, ...fail.edit);
    const error = documentError(() => parseInventory(text, { file: 'inventory.yaml' }));
    expect(error.file).toBe('inventory.yaml');
    expect(error.issues).toEqual([
      {
        code: fail.code ?? 'schema',
        path: fail.path,
        message: fail.message,
        ...positionOf(text, fail.at),
      },
    ]);
  });
});

describe('Inventory defaults', () => {
  it('fills in every default of a sparse document', () => {
    const text = `apiVersion: escalator/v1
kind: Inventory
metadata: { name: sparse }
sites: [{ name: s1 }]
nodes:
  - { name: cmp-1, roles: [compute], capacity: { vcpus: 8, memoryMiB: 1024 }, access: { address: cmp-1.lab } }
instances: [{ name: vm-1, host: cmp-1, serverGroup: g, vnf: v }]
serverGroups: [{ name: g, policy: affinity }]
vnfs: [{ name: v, minAvailable: 0 }]
`;
    expect(parseInventory(text)).toEqual({
      apiVersion: 'escalator/v1',
      kind: 'Inventory',
      metadata: { name: 'sparse' },
      sites: [{ name: 's1', sharedServices: [] }],
      nodes: [
        {
          name: 'cmp-1',
          roles: ['compute'],
          state: 'up',
          capacity: { vcpus: 8, memoryMiB: 1024, diskGiB: 0 },
          software: {},
          access: { address: 'cmp-1.lab', port: 22, user: 'root' },
        },
      ],
      clusters: [],
      instances: [
        {
          name: 'vm-1',
          host: 'cmp-1',
          resources: { vcpus: 0, memoryMiB: 0, diskGiB: 0 },
          serverGroup: 'g',
          vnf: 'v',
          migration: 'live',
        },
      ],
      serverGroups: [{ name: 'g', policy: 'affinity', maxImpacted: 1, recoverySeconds: 0 }],
      vnfs: [{ name: 'v', minAvailable: 0, maintenance: { notify: false, leadTimeSeconds: 0 } }],
      overcommit: { cpu: 4, memory: 1, disk: 1 },
    });
  });

  it('reads the minimal fixture, serialised as JSON, the same way', () => {
    const inventory = parseInventory(JSON.stringify(minimalInventory(), null, 2));
    expect(inventory.nodes).toHaveLength(4);
    expect(inventory.overcommit).toEqual({ cpu: 4, memory: 1, disk: 1 });
    expect(inventory.nodes[2]?.state).toBe('up');
  });
});

describe('Inventory required top-level fields', () => {
  const mini = `apiVersion: escalator/v1
kind: Inventory
metadata: { name: mini }
nodes:
  - { name: ctl-1, roles: [controller] }
`;

  it.each([
    ['apiVersion', 'apiVersion: escalator/v1\n', 'expected "escalator/v1", got nothing'],
    ['kind', 'kind: Inventory\n', 'expected "Inventory", got nothing'],
    [
      'metadata',
      'metadata: { name: mini }\n',
      'expected an object with a name, e.g. { name: lab-1 }, but it is missing',
    ],
    [
      'nodes',
      'nodes:\n  - { name: ctl-1, roles: [controller] }\n',
      'expected a list of nodes, but it is missing',
    ],
  ])('reports a missing %s at the start of the document', (field, line, message) => {
    const text = mini.replace(line, '');
    const error = documentError(() => parseInventory(text, { file: 'inv.yaml' }));
    expect(error.issues).toEqual([{ code: 'schema', path: [field], message, line: 1, column: 1 }]);
    expect(error.message).toBe(`inv.yaml:1:1 ${field}: ${message}`);
  });

  it('accepts the mini document', () => {
    expect(parseInventory(mini).nodes[0]?.roles).toEqual(['controller']);
  });

  it('needs at least one node', () => {
    const text = mini.replace('nodes:\n  - { name: ctl-1, roles: [controller] }', 'nodes: []');
    const error = documentError(() => parseInventory(text));
    expect(error.issues).toEqual([
      {
        code: 'schema',
        path: ['nodes'],
        message: 'expected at least one node, got a list of 0',
        line: 4,
        column: 8,
      },
    ]);
  });

  it.each([
    ['an empty text', ''],
    ['a comment only', '# nothing here\n'],
    ['null', 'null'],
  ])('refuses %s as a document', (_, text) => {
    const error = documentError(() => parseInventory(text));
    expect(error.issues).toEqual([
      {
        code: 'schema',
        path: [],
        message:
          'expected an Inventory document (an object with apiVersion, kind, metadata, nodes), got null',
        line: 1,
        column: 1,
      },
    ]);
    expect(error.message).toBe(
      '<string>:1:1 (document): expected an Inventory document (an object with apiVersion, kind, metadata, nodes), got null',
    );
  });

  it('refuses a list as a document', () => {
    const error = documentError(() => parseInventory('- a\n- b\n'));
    expect(error.issues[0]?.message).toBe(
      'expected an Inventory document (an object with apiVersion, kind, metadata, nodes), got a list of 2',
    );
  });
});

describe('Inventory: every problem at once', () => {
  it('reports several problems as several issues, sorted by line and column', () => {
    // In text order: kind (line 2), nodes[0].state (line 7), overcommit (line 11); zod would find
    // the overcommit one first, as the field order differs from the schema's.
    const text = `apiVersion: escalator/v1
kind: Inventry
metadata: { name: many }
nodes:
  - name: cmp-1
    roles: [compute]
    state: sleeping
    capacity: { vcpus: 4, memoryMiB: -1 }
overcommit: { disk: 0 }
`.replace('overcommit: { disk: 0 }', 'overcommit:\n  cpu: 2\n  disk: 0');
    const error = documentError(() => parseInventory(text, { file: 'inventory.yaml' }));
    expect(error.issues.map((i) => [i.line, i.column, i.path.join('.')])).toEqual([
      [2, 7, 'kind'],
      [7, 12, 'nodes.0.state'],
      [8, 38, 'nodes.0.capacity.memoryMiB'],
      [11, 9, 'overcommit.disk'],
    ]);
    expect(error.message.split('\n')).toEqual([
      'inventory.yaml:2:7 kind: expected "Inventory", got "Inventry"',
      'inventory.yaml:7:12 nodes[0].state: expected one of up, down, maintenance, got "sleeping"',
      'inventory.yaml:8:38 nodes[0].capacity.memoryMiB: expected a number, 0 or more, got -1',
      'inventory.yaml:11:9 overcommit.disk: expected a ratio greater than 0, e.g. 1.5, got 0',
    ]);
  });

  it('reports a value that fails two checks with the same message once', () => {
    // 1e20 is neither a safe integer nor at most 65535: two zod checks, one message.
    const text = edit(FULL_INVENTORY_YAML, 'port: 2222', 'port: 1e20');
    const error = documentError(() => parseInventory(text));
    expect(error.issues).toEqual([
      {
        code: 'schema',
        path: ['nodes', 1, 'access', 'port'],
        message: `${PORT}, got 100000000000000000000`,
        ...positionOf(text, '1e20'),
      },
    ]);
  });

  it('reports every unknown field of one object, each at its key', () => {
    const text = `apiVersion: escalator/v1
kind: Inventory
metadata: { name: x, owner: me, team: nfv }
nodes: [{ name: a, roles: [controller] }]
`;
    const error = documentError(() => parseInventory(text));
    expect(error.issues.map((i) => ({ path: i.path, line: i.line, column: i.column, code: i.code }))).toEqual(
      [
        { path: ['metadata', 'owner'], line: 3, column: 22, code: 'unknown-field' },
        { path: ['metadata', 'team'], line: 3, column: 33, code: 'unknown-field' },
      ],
    );
  });
});

describe('Inventory from JSON text', () => {
  it('reads JSON and positions a nested field in it', () => {
    const doc = minimalInventory();
    const text = JSON.stringify(doc, null, 2).replace('"vcpus": 16', '"vcpus": -17');
    const error = documentError(() => parseInventory(text, { file: 'inventory.json' }));
    expect(error.issues).toEqual([
      {
        code: 'schema',
        path: ['nodes', 2, 'capacity', 'vcpus'],
        message: 'expected a number, 0 or more, got -17',
        ...positionOf(text, '-17'),
      },
    ]);
    // Pretty JSON puts it on line 34, indented by 10 spaces after `"vcpus": `.
    expect(error.message).toBe(
      'inventory.json:34:18 nodes[2].capacity.vcpus: expected a number, 0 or more, got -17',
    );
  });

  it('positions an unknown key in JSON at the key', () => {
    const text = JSON.stringify({ ...minimalInventory(), overcomit: { cpu: 2 } }, null, 2);
    const error = documentError(() => parseInventory(text));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({
      code: 'unknown-field',
      path: ['overcomit'],
      ...positionOf(text, '"overcomit"'),
    });
    expect(error.issues[0]?.message).toContain('did you mean "overcommit"?');
  });

  it('positions a field of minified JSON by its column', () => {
    const text = JSON.stringify({ ...minimalInventory(), metadata: { name: 'x', lables: {} } });
    const error = documentError(() => parseInventory(text));
    expect(error.issues[0]).toMatchObject({ path: ['metadata', 'lables'], ...positionOf(text, '"lables"') });
  });

  it('positions a missing field at its parent object in JSON', () => {
    const doc = minimalInventory();
    const text = JSON.stringify({ ...doc, instances: [{ name: 'vm-1' }] }, null, 2);
    const error = documentError(() => parseInventory(text));
    expect(error.issues).toEqual([
      {
        code: 'schema',
        path: ['instances', 0, 'host'],
        message: `${NAME}, but it is missing`,
        ...positionOf(text, '{\n      "name": "vm-1"'),
      },
    ]);
  });

  it('accepts JSON after a byte-order mark and leading blank lines', () => {
    const inventory = parseInventory(`\uFEFF\n\n  ${JSON.stringify(minimalInventory())}`);
    expect(inventory.metadata.name).toBe('lab-1');
  });

  it.each([
    [
      'a trailing comma',
      '{\n  "apiVersion": "escalator/v1",\n}',
      3,
      1,
      'invalid JSON: Expected double-quoted property name',
    ],
    [
      'a missing colon',
      '{\n  "kind" "Inventory"\n}',
      2,
      10,
      "invalid JSON: Expected ':' after property name",
    ],
    [
      'text after the document',
      '{}\n\n  }',
      3,
      3,
      'invalid JSON: Unexpected non-whitespace character after JSON',
    ],
    [
      'a truncated document',
      '{\n  "kind": "Inventory",\n  "nodes": [',
      3,
      13,
      'invalid JSON: Unexpected end of JSON input',
    ],
  ])('gives JSON syntax errors (%s) a line and column', (_, text, line, column, message) => {
    const error = documentError(() => parseInventory(text, { file: 'inventory.json' }));
    expect(error.issues).toEqual([{ code: 'syntax', path: [], message, line, column }]);
    expect(error.message).toBe(`inventory.json:${line}:${column} (document): ${message}`);
  });

  it('keeps a JSON syntax error on one line even when the parser quotes the text', () => {
    const text = '{\n  "kind": "Inventory",\n  "nodes": x\n}';
    const error = documentError(() => parseInventory(text, { file: 'inventory.json' }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.code).toBe('syntax');
    expect(error.issues[0]?.message).toBe("invalid JSON: Unexpected token 'x'");
    expect(error.message).not.toContain('\n');
    expect(error.message).toMatch(/^inventory\.json:\d+:\d+ \(document\): invalid JSON/);
  });
});

describe('Inventory YAML syntax', () => {
  it('gives a YAML syntax error its line and column', () => {
    const text = 'apiVersion: escalator/v1\nkind: Inventory\nnodes: [ctl-1\nmetadata: {}\n';
    const error = documentError(() => parseInventory(text, { file: 'inventory.yaml' }));
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) {
      expect(issue.code).toBe('syntax');
      expect(issue.message).toMatch(/^invalid YAML: /);
      expect(issue.line).toBeGreaterThanOrEqual(3);
    }
    expect(error.message.split('\n')[0]).toMatch(/^inventory\.yaml:[34]:\d+ \(document\): invalid YAML: /);
  });

  it('reports a duplicate key at the second occurrence', () => {
    const text =
      'apiVersion: escalator/v1\nkind: Inventory\nmetadata: { name: a }\nmetadata: { name: b }\nnodes: []\n';
    const error = documentError(() => parseInventory(text, { file: 'inventory.yaml' }));
    expect(error.issues).toEqual([
      { code: 'syntax', path: [], message: 'invalid YAML: Map keys must be unique', line: 4, column: 1 },
    ]);
    expect(error.message).toBe('inventory.yaml:4:1 (document): invalid YAML: Map keys must be unique');
  });

  it('reports a duplicate key inside a nested map', () => {
    const text = 'apiVersion: escalator/v1\nkind: Inventory\nmetadata:\n  name: a\n  name: b\n';
    const error = documentError(() => parseInventory(text));
    expect(error.issues).toEqual([
      { code: 'syntax', path: [], message: 'invalid YAML: Map keys must be unique', line: 5, column: 3 },
    ]);
  });

  it('reports tab indentation', () => {
    const error = documentError(() => parseInventory('apiVersion: escalator/v1\nnodes:\n\t- a\n'));
    expect(error.issues[0]).toMatchObject({ code: 'syntax', line: 3, column: 1 });
    expect(error.issues[0]?.message).toContain('Tabs');
  });

  it('refuses several documents in one file', () => {
    const error = documentError(() => parseInventory('a: 1\n---\nb: 2\n'));
    expect(error.issues[0]?.code).toBe('syntax');
    expect(error.issues[0]?.line).toBe(2);
  });

  it('refuses an alias bomb rather than expanding it', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const error = documentError(() => parseInventory(lines.join('\n')));
    expect(error.issues[0]).toMatchObject({ code: 'syntax', line: 1, column: 1 });
    expect(error.issues[0]?.message).toMatch(/^invalid YAML: .*alias/i);
  });
});
