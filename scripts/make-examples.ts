/**
 * Writes examples/ha and examples/multi-site (inventory.yaml and campaign.yaml). The YAML files are
 * committed; run this only to regenerate them after changing the layout below:
 *
 *   npx tsx scripts/make-examples.ts
 *
 * Tenant instances are spread with a seeded generator, so the output is the same on every run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANTELOPE_SOFTWARE, ZED_SOFTWARE } from '../src/testing/synthetic-cloud.js';
import { mulberry32 } from '../src/util/random.js';

interface Resources {
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
}

interface Host {
  readonly name: string;
  readonly site?: string;
  readonly zone: string;
  readonly rack: string;
  readonly capacity: Resources;
  readonly used: { vcpus: number; memoryMiB: number; diskGiB: number };
  readonly vms: Vm[];
}

interface Vm {
  readonly name: string;
  readonly flavor: Resources;
  readonly serverGroup?: string;
  readonly vnf?: string;
  readonly migration?: 'cold' | 'none';
  readonly note?: string;
}

/** A VNF backed by one anti-affinity server group, one member per listed host. */
interface VnfSpec {
  readonly name: string;
  readonly prefix: string;
  readonly comment: string;
  readonly flavor: Resources;
  readonly hosts: readonly string[];
  readonly minAvailable: number;
  readonly recoverySeconds: number;
  readonly notify?: boolean;
  /** 1-based member numbers that cannot move, and that move only cold. */
  readonly none?: readonly number[];
  readonly cold?: readonly number[];
  readonly why?: string;
}

const OVERCOMMIT = { cpu: 4, memory: 1, disk: 1 };
const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples');

const CONTROLLER = [
  'mariadb',
  'rabbitmq-server',
  'keystone',
  'glance',
  'placement',
  'nova-api',
  'nova-conductor',
  'nova-scheduler',
  'neutron-server',
  'cinder-api',
  'cinder-volume',
  'ceph-mon',
  'kernel',
];
const NETWORK = [
  'openvswitch',
  'neutron-openvswitch-agent',
  'neutron-l3-agent',
  'neutron-dhcp-agent',
  'kernel',
];
const STORAGE = ['ceph-osd', 'kernel'];
const COMPUTE = ['nova-compute', 'libvirt', 'qemu', 'openvswitch', 'neutron-openvswitch-agent', 'kernel'];

/** Tenant flavors (name, resources, weight in the random mix). */
const TENANT_FLAVORS: readonly (readonly [string, Resources, number])[] = [
  ['m1.medium', { vcpus: 4, memoryMiB: 8192, diskGiB: 40 }, 1],
  ['m1.large', { vcpus: 8, memoryMiB: 16384, diskGiB: 80 }, 4],
  ['m1.xlarge', { vcpus: 16, memoryMiB: 32768, diskGiB: 160 }, 5],
];

const q = (version: string): string => JSON.stringify(version);
const res = (r: Resources): string =>
  `{ vcpus: ${r.vcpus}, memoryMiB: ${r.memoryMiB}, diskGiB: ${r.diskGiB} }`;

function software(components: readonly string[], indent: string, skip: readonly string[] = []): string[] {
  return [
    `${indent}software:`,
    ...components
      .filter((c) => !skip.includes(c))
      .map((c) => `${indent}  ${c}: ${q(ZED_SOFTWARE[c] as string)}`),
  ];
}

function makeHost(name: string, zone: string, rack: string, capacity: Resources, site?: string): Host {
  const base = { name, zone, rack, capacity, used: { vcpus: 0, memoryMiB: 0, diskGiB: 0 }, vms: [] };
  return site === undefined ? base : { ...base, site };
}

function fits(host: Host, f: Resources, memoryShare = 1): boolean {
  return (
    host.used.vcpus + f.vcpus <= host.capacity.vcpus * OVERCOMMIT.cpu &&
    host.used.memoryMiB + f.memoryMiB <= host.capacity.memoryMiB * OVERCOMMIT.memory * memoryShare &&
    host.used.diskGiB + f.diskGiB <= host.capacity.diskGiB * OVERCOMMIT.disk
  );
}

function place(host: Host, vm: Vm): void {
  if (!fits(host, vm.flavor)) throw new Error(`${vm.name} does not fit on ${host.name}`);
  host.used.vcpus += vm.flavor.vcpus;
  host.used.memoryMiB += vm.flavor.memoryMiB;
  host.used.diskGiB += vm.flavor.diskGiB;
  host.vms.push(vm);
}

function placeVnfs(hosts: ReadonlyMap<string, Host>, vnfs: readonly VnfSpec[]): void {
  for (const vnf of vnfs) {
    if (new Set(vnf.hosts).size !== vnf.hosts.length) throw new Error(`${vnf.name}: two members on one host`);
    vnf.hosts.forEach((hostName, i) => {
      const host = hosts.get(hostName);
      if (host === undefined) throw new Error(`${vnf.name}: unknown host ${hostName}`);
      const member = i + 1;
      const migration = vnf.none?.includes(member) ? 'none' : vnf.cold?.includes(member) ? 'cold' : undefined;
      place(host, {
        name: `${vnf.prefix}-${member}`,
        flavor: vnf.flavor,
        serverGroup: `${vnf.prefix}-sg`,
        vnf: vnf.name,
        ...(migration === undefined ? {} : { migration }),
        ...(migration !== undefined && vnf.why !== undefined ? { note: vnf.why } : {}),
      });
    });
  }
}

/** The tenant flavor at `pick` (0 to the total weight) along the weighted list. */
function weighted(pick: number): readonly [string, Resources, number] {
  let rest = pick;
  for (const entry of TENANT_FLAVORS) {
    rest -= entry[2];
    if (rest < 0) return entry;
  }
  return TENANT_FLAVORS[TENANT_FLAVORS.length - 1] as readonly [string, Resources, number];
}

/** Fills every host with tenant instances up to a random share of its memory in [low, high]. */
function fillTenants(hosts: readonly Host[], seed: number, low: number, high: number, prefix: string): void {
  const random = mulberry32(seed);
  const totalWeight = TENANT_FLAVORS.reduce((s, [, , w]) => s + w, 0);
  let n = 0;
  for (const host of hosts) {
    const share = low + (high - low) * random();
    for (let tries = 0; tries < 20; tries++) {
      const entry = weighted(random() * totalWeight);
      if (!fits(host, entry[1], share)) continue;
      place(host, { name: `${prefix}${String(++n).padStart(3, '0')}`, flavor: entry[1] });
    }
  }
}

function instanceLines(hosts: readonly Host[]): string[] {
  const lines: string[] = [];
  for (const host of hosts) {
    const pct = (x: number, cap: number) => Math.round((100 * x) / cap);
    lines.push(
      `  # ${host.name} (${host.zone}, ${host.rack}): ${host.vms.length} instances, ` +
        `memory ${pct(host.used.memoryMiB, host.capacity.memoryMiB)}%, ` +
        `vCPU ${pct(host.used.vcpus, host.capacity.vcpus * OVERCOMMIT.cpu)}% ` +
        `of ${host.capacity.vcpus}x${OVERCOMMIT.cpu}, ` +
        `disk ${pct(host.used.diskGiB, host.capacity.diskGiB)}%`,
    );
    for (const vm of host.vms) {
      const fields = [`name: ${vm.name}`, `host: ${host.name}`, `resources: ${res(vm.flavor)}`];
      if (vm.serverGroup !== undefined) fields.push(`serverGroup: ${vm.serverGroup}`);
      if (vm.vnf !== undefined) fields.push(`vnf: ${vm.vnf}`);
      if (vm.migration !== undefined) fields.push(`migration: ${vm.migration}`);
      lines.push(`  - { ${fields.join(', ')} }${vm.note === undefined ? '' : `  # ${vm.note}`}`);
    }
  }
  return lines;
}

function vnfLines(vnfs: readonly VnfSpec[]): { groups: string[]; vnfs: string[] } {
  const groups: string[] = [];
  const out: string[] = [];
  for (const v of vnfs) {
    groups.push(
      `  - name: ${v.prefix}-sg   # ${v.name}: ${v.comment}`,
      '    policy: anti-affinity',
      '    maxImpacted: 1',
      `    recoverySeconds: ${v.recoverySeconds}`,
    );
    out.push(
      `  - name: ${v.name}   # ${v.hosts.length} instances, may lose ${v.hosts.length - v.minAvailable}`,
    );
    out.push(`    minAvailable: ${v.minAvailable}`);
    if (v.notify === true) out.push('    maintenance: { notify: true, leadTimeSeconds: 60 }');
  }
  return { groups, vnfs: out };
}

function computeNode(host: Host): string[] {
  return [
    `  - name: ${host.name}`,
    ...(host.site === undefined ? [] : [`    site: ${host.site}`]),
    `    zone: ${host.zone}`,
    `    rack: ${host.rack}`,
    '    roles: [compute]',
    `    capacity: ${res(host.capacity)}`,
    ...software(COMPUTE, '    '),
  ];
}

function otherNode(
  name: string,
  role: string,
  components: readonly string[],
  extra: readonly string[] = [],
  skip: readonly string[] = [],
): string[] {
  return [
    `  - name: ${name}`,
    ...extra.map((l) => `    ${l}`),
    `    roles: [${role}]`,
    ...software(components, '    ', skip),
  ];
}

function summary(hosts: readonly Host[]): { instances: number; memory: number; vcpus: number; disk: number } {
  const sum = (f: (h: Host) => number) => hosts.reduce((s, h) => s + f(h), 0);
  return {
    instances: sum((h) => h.vms.length),
    memory: sum((h) => h.used.memoryMiB) / sum((h) => h.capacity.memoryMiB),
    vcpus: sum((h) => h.used.vcpus) / sum((h) => h.capacity.vcpus * OVERCOMMIT.cpu),
    disk: sum((h) => h.used.diskGiB) / sum((h) => h.capacity.diskGiB),
  };
}

function targetLines(): string[] {
  const groups: readonly (readonly [string, readonly string[]])[] = [
    ['Data stores and messaging', ['mariadb', 'rabbitmq-server']],
    ['OpenStack control plane (Zed 2022.2 -> Antelope 2023.1)', CONTROLLER.slice(2, 11)],
    ['Ceph (Quincy point release)', ['ceph-mon', 'ceph-osd']],
    ['Open vSwitch and neutron agents', ['openvswitch', 'neutron-openvswitch-agent', 'neutron-l3-agent']],
    ['', ['neutron-dhcp-agent']],
    ['Compute', ['nova-compute', 'libvirt', 'qemu']],
    ['Every node reboots into the new kernel', ['kernel']],
  ];
  const lines = ['target:', '  software:'];
  for (const [comment, components] of groups) {
    if (comment !== '') lines.push(`    # ${comment}`);
    for (const c of components)
      lines.push(
        `    ${c}: ${q(ANTELOPE_SOFTWARE[c] as string)}`.padEnd(42) +
          `# from ${q(ZED_SOFTWARE[c] as string)}`,
      );
  }
  return lines;
}

function write(dir: string, file: string, lines: readonly string[]): void {
  mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, dir, file), `${lines.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------------
// examples/ha: one site, everything redundant, 24 computes in two zones.

function ha(): void {
  const capacity: Resources = { vcpus: 48, memoryMiB: 196608, diskGiB: 1000 };
  const computes: Host[] = [];
  for (let i = 1; i <= 24; i++) {
    const name = `cmp-${String(i).padStart(2, '0')}`;
    computes.push(makeHost(name, i <= 12 ? 'az1' : 'az2', `r0${Math.ceil(i / 6)}`, capacity));
  }
  const byName = new Map(computes.map((h) => [h.name, h]));
  const vnfs: VnfSpec[] = [
    {
      name: 'vEPC-MME',
      prefix: 'vepc-mme',
      comment: 'mobility management, one member per rack',
      flavor: { vcpus: 8, memoryMiB: 32768, diskGiB: 80 },
      hosts: ['cmp-01', 'cmp-07', 'cmp-13', 'cmp-19'],
      minAvailable: 3,
      recoverySeconds: 60,
      notify: true,
    },
    {
      name: 'vIMS-CSCF',
      prefix: 'vims-cscf',
      comment: 'IMS call session control',
      flavor: { vcpus: 8, memoryMiB: 16384, diskGiB: 60 },
      hosts: ['cmp-02', 'cmp-05', 'cmp-08', 'cmp-14', 'cmp-17', 'cmp-20'],
      minAvailable: 5,
      recoverySeconds: 45,
      notify: true,
    },
    {
      name: 'vFW',
      prefix: 'vfw',
      comment: 'firewall; two members use SR-IOV and cannot move',
      flavor: { vcpus: 4, memoryMiB: 8192, diskGiB: 40 },
      hosts: ['cmp-03', 'cmp-09', 'cmp-15', 'cmp-21'],
      minAvailable: 3,
      recoverySeconds: 30,
      none: [1, 3],
      why: 'SR-IOV VF passthrough: down while its host is upgraded',
    },
    {
      name: 'vDNS',
      prefix: 'vdns',
      comment: 'resolvers; one member has a local volume and moves cold',
      flavor: { vcpus: 2, memoryMiB: 4096, diskGiB: 20 },
      hosts: ['cmp-04', 'cmp-16', 'cmp-22'],
      minAvailable: 2,
      recoverySeconds: 30,
      cold: [3],
      why: 'local volume: cold migration (down while it moves)',
    },
    {
      name: 'vRouter',
      prefix: 'vrouter',
      comment: 'virtual routers; one member is pinned by a DPDK NIC',
      flavor: { vcpus: 4, memoryMiB: 8192, diskGiB: 20 },
      hosts: ['cmp-06', 'cmp-10', 'cmp-18', 'cmp-23'],
      minAvailable: 3,
      recoverySeconds: 30,
      notify: true,
      none: [1],
      why: 'DPDK NIC bound to the host: cannot move',
    },
  ];
  placeVnfs(byName, vnfs);
  const special: readonly (readonly [string, Vm])[] = [
    [
      'cmp-11',
      { name: 'tenant-web-1', flavor: { vcpus: 4, memoryMiB: 8192, diskGiB: 40 }, serverGroup: 'tenant-web' },
    ],
    [
      'cmp-12',
      { name: 'tenant-web-2', flavor: { vcpus: 4, memoryMiB: 8192, diskGiB: 40 }, serverGroup: 'tenant-web' },
    ],
    [
      'cmp-24',
      { name: 'tenant-web-3', flavor: { vcpus: 4, memoryMiB: 8192, diskGiB: 40 }, serverGroup: 'tenant-web' },
    ],
    [
      'cmp-05',
      {
        name: 'license-srv-1',
        flavor: { vcpus: 2, memoryMiB: 4096, diskGiB: 40 },
        migration: 'cold',
        note: 'MAC-bound licence: cold migration only',
      },
    ],
    [
      'cmp-20',
      {
        name: 'legacy-db-1',
        flavor: { vcpus: 8, memoryMiB: 32768, diskGiB: 200 },
        migration: 'cold',
        note: 'too busy to converge a live migration',
      },
    ],
    [
      'cmp-11',
      {
        name: 'pcap-probe-1',
        flavor: { vcpus: 4, memoryMiB: 8192, diskGiB: 40 },
        migration: 'none',
        note: 'PCI passthrough capture card: cannot move',
      },
    ],
  ];
  for (const [host, vm] of special) place(byName.get(host) as Host, vm);
  fillTenants(computes, 2023_1, 0.42, 0.58, 'vm-');
  const s = summary(computes);

  const header = [
    '# escalator example "ha": a highly available single-site NFV cloud on OpenStack Zed.',
    '#',
    '#   3 controllers  ctl-1..3   galera (mariadb), rabbitmq and ceph-mon clusters, each may lose',
    '#                             one member; ctl-1 is the galera primary and is upgraded last',
    '#   2 network      net-1..2   L3/DHCP agents with HA routers: one may be down at a time',
    '#   6 storage      stor-1..6  Ceph OSD hosts: at most 2 down at a time (minAvailable 4)',
    `#  24 computes     cmp-01..24 az1 = cmp-01..12 (racks r01, r02), az2 = cmp-13..24 (racks r03, r04),`,
    `#                             48 cores / 192 GiB / 1000 GiB each, overcommit 4x CPU`,
    `#  ${s.instances} instances, filling the computes to ${Math.round(s.memory * 100)}% of memory, ` +
      `${Math.round(s.vcpus * 100)}% of vCPUs (with overcommit) and ${Math.round(s.disk * 100)}% of disk:`,
    '#   5 VNFs, each with an anti-affinity server group (one member down at a time, then a pause);',
    '#   vfw-1, vfw-3, vrouter-1 and pcap-probe-1 cannot move (migration: none) and are down while',
    '#   their host is upgraded; vdns-3, license-srv-1 and legacy-db-1 move by cold migration only;',
    '#   the rest are tenant VMs that live-migrate.',
    '#',
    '# Generated by scripts/make-examples.ts; versions are quoted so that YAML keeps them strings.',
  ];
  const controllers = [1, 2, 3].flatMap((i) =>
    otherNode(`ctl-${i}`, 'controller', CONTROLLER, [
      `access: { address: 10.10.0.1${i}, credentialsRef: ssh-ops }`,
    ]),
  );
  const { groups, vnfs: vnfOut } = vnfLines(vnfs);
  const inventory = [
    ...header,
    'apiVersion: escalator/v1',
    'kind: Inventory',
    'metadata:',
    '  name: ha-lab',
    '  labels: { release: zed, owner: nfv-ops }',
    'nodes:',
    '  # Control plane',
    ...controllers,
    '  # Network nodes (neutron L3/DHCP)',
    ...[1, 2].flatMap((i) => otherNode(`net-${i}`, 'network', NETWORK)),
    '  # Ceph OSD hosts',
    ...[1, 2, 3, 4, 5, 6].flatMap((i) => otherNode(`stor-${i}`, 'storage', STORAGE)),
    '  # Compute nodes',
    ...computes.flatMap(computeNode),
    'clusters:',
    '  - name: galera',
    '    component: mariadb',
    '    members: [ctl-1, ctl-2, ctl-3]',
    '    minAvailable: 2',
    '    primary: ctl-1',
    '  - name: rabbitmq',
    '    component: rabbitmq-server',
    '    members: [ctl-1, ctl-2, ctl-3]',
    '    minAvailable: 2',
    '  - name: ceph-mon',
    '    component: ceph-mon',
    '    members: [ctl-1, ctl-2, ctl-3]',
    '    minAvailable: 2',
    '  - name: l3-ha',
    '    component: neutron-l3-agent',
    '    members: [net-1, net-2]',
    '    minAvailable: 1',
    '  - name: ceph-osd',
    '    component: ceph-osd',
    '    members: [stor-1, stor-2, stor-3, stor-4, stor-5, stor-6]',
    '    minAvailable: 4',
    'instances:',
    ...instanceLines(computes),
    'serverGroups:',
    ...groups,
    '  - name: tenant-web   # a tenant web tier, spread where possible',
    '    policy: soft-anti-affinity',
    'vnfs:',
    ...vnfOut,
    'overcommit: { cpu: 4.0, memory: 1.0, disk: 1.0 }',
  ];
  write('ha', 'inventory.yaml', inventory);

  write('ha', 'campaign.yaml', [
    '# Upgrade the whole "ha" cloud from OpenStack Zed to Antelope, plus a new kernel everywhere.',
    '# Escalator orders the work by component dependencies: data stores, keystone, placement and the',
    '# nova/neutron/cinder control plane on the controllers first (one controller at a time, ctl-1 last),',
    '# Ceph monitors before OSDs, then network nodes and computes. A quarter of the computes may be out',
    '# of service at once; the first compute wave is a single canary node.',
    'apiVersion: escalator/v1',
    'kind: Campaign',
    'metadata:',
    '  name: ha-zed-to-antelope',
    ...targetLines(),
    'strategy:',
    '  maxParallel: "25%"          # at most 6 of the 24 computes out of service at once',
    '  canary: 1                   # the first compute wave is one node, verified before the rest',
    '  instanceAction: live-migrate',
    '  onFailure: pause            # stop and wait for an operator',
    '  maxFailures: 0',
    '  siteOrder: sequential',
  ]);
  console.log('ha:', s);
}

// ---------------------------------------------------------------------------------------------------
// examples/multi-site: two sites, keystone shared from site-a.

function multiSite(): void {
  const capacity: Resources = { vcpus: 32, memoryMiB: 131072, diskGiB: 800 };
  const sites = ['a', 'b'] as const;
  const computes = new Map<string, Host[]>();
  for (const s of sites) {
    const hosts: Host[] = [];
    for (let i = 1; i <= 8; i++)
      hosts.push(
        makeHost(
          `${s}-cmp-0${i}`,
          `${s}-az${i <= 4 ? 1 : 2}`,
          `${s}-r${i <= 4 ? 1 : 2}`,
          capacity,
          `site-${s}`,
        ),
      );
    computes.set(s, hosts);
  }
  const all = [...(computes.get('a') ?? []), ...(computes.get('b') ?? [])];
  const byName = new Map(all.map((h) => [h.name, h]));
  const vnfs: VnfSpec[] = [
    {
      name: 'vIMS-CSCF',
      prefix: 'vims-cscf',
      comment: 'site-a, IMS call session control',
      flavor: { vcpus: 8, memoryMiB: 16384, diskGiB: 60 },
      hosts: ['a-cmp-01', 'a-cmp-03', 'a-cmp-05', 'a-cmp-07'],
      minAvailable: 3,
      recoverySeconds: 45,
      notify: true,
    },
    {
      name: 'vDNS',
      prefix: 'vdns',
      comment: 'site-a resolvers',
      flavor: { vcpus: 2, memoryMiB: 4096, diskGiB: 20 },
      hosts: ['a-cmp-02', 'a-cmp-06', 'a-cmp-08'],
      minAvailable: 2,
      recoverySeconds: 30,
    },
    {
      name: 'vEPC-MME',
      prefix: 'vepc-mme',
      comment: 'site-b mobility management',
      flavor: { vcpus: 8, memoryMiB: 32768, diskGiB: 80 },
      hosts: ['b-cmp-01', 'b-cmp-03', 'b-cmp-05', 'b-cmp-07'],
      minAvailable: 3,
      recoverySeconds: 60,
      notify: true,
    },
    {
      name: 'vFW',
      prefix: 'vfw',
      comment: 'site-b firewall pair; vfw-1 uses SR-IOV',
      flavor: { vcpus: 4, memoryMiB: 8192, diskGiB: 40 },
      hosts: ['b-cmp-02', 'b-cmp-06'],
      minAvailable: 1,
      recoverySeconds: 30,
      none: [1],
      why: 'SR-IOV VF passthrough: down while its host is upgraded',
    },
  ];
  placeVnfs(byName, vnfs);
  fillTenants(computes.get('a') ?? [], 11, 0.35, 0.5, 'a-vm-');
  fillTenants(computes.get('b') ?? [], 12, 0.35, 0.5, 'b-vm-');
  const s = summary(all);

  const controllers = (site: 'a' | 'b') =>
    [1, 2, 3].flatMap((i) =>
      otherNode(
        `${site}-ctl-${i}`,
        'controller',
        CONTROLLER,
        [`site: site-${site}`],
        site === 'b' ? ['keystone', 'ceph-mon'] : ['ceph-mon'],
      ),
    );
  const clusters = (site: 'a' | 'b') => [
    `  - name: galera-${site}`,
    '    component: mariadb',
    `    members: [${site}-ctl-1, ${site}-ctl-2, ${site}-ctl-3]`,
    '    minAvailable: 2',
    `    primary: ${site}-ctl-1`,
    `  - name: rabbitmq-${site}`,
    '    component: rabbitmq-server',
    `    members: [${site}-ctl-1, ${site}-ctl-2, ${site}-ctl-3]`,
    '    minAvailable: 2',
  ];
  const { groups, vnfs: vnfOut } = vnfLines(vnfs);
  write('multi-site', 'inventory.yaml', [
    '# escalator example "multi-site": two OpenStack Zed sites (regions) run by one campaign.',
    '#',
    '#   site-a  a-ctl-1..3 (galera-a, rabbitmq-a), a-cmp-01..08 in zones a-az1, a-az2',
    '#           keystone runs only here and serves both sites (sharedServices), so site-a goes first',
    '#   site-b  b-ctl-1..3 (galera-b, rabbitmq-b), b-cmp-01..08 in zones b-az1, b-az2; no keystone',
    `#   ${s.instances} instances filling the computes to ${Math.round(s.memory * 100)}% of memory;`,
    '#   VNFs vIMS-CSCF and vDNS on site-a, vEPC-MME and vFW on site-b (vfw-1 cannot move).',
    '#',
    '# Generated by scripts/make-examples.ts; versions are quoted so that YAML keeps them strings.',
    'apiVersion: escalator/v1',
    'kind: Inventory',
    'metadata:',
    '  name: two-sites',
    'sites:',
    '  - name: site-a',
    '    sharedServices: [keystone]',
    '  - name: site-b',
    'nodes:',
    '  # site-a',
    ...controllers('a'),
    ...(computes.get('a') ?? []).flatMap(computeNode),
    '  # site-b',
    ...controllers('b'),
    ...(computes.get('b') ?? []).flatMap(computeNode),
    'clusters:',
    ...clusters('a'),
    ...clusters('b'),
    'instances:',
    ...instanceLines(all),
    'serverGroups:',
    ...groups,
    'vnfs:',
    ...vnfOut,
  ]);
  write('multi-site', 'campaign.yaml', [
    '# Upgrade both sites from OpenStack Zed to Antelope, one site after the other: site-a (which',
    '# serves keystone to site-b) first, then site-b. An operator approves after the canary wave.',
    'apiVersion: escalator/v1',
    'kind: Campaign',
    'metadata:',
    '  name: two-sites-zed-to-antelope',
    ...targetLines().filter((l) => !/ceph|neutron-l3|neutron-dhcp|Ceph/.test(l)),
    'strategy:',
    '  maxParallel: 2              # at most 2 computes out of service at once',
    '  canary: 1',
    '  instanceAction: live-migrate',
    '  siteOrder: sequential       # finish site-a before site-b begins',
    '  onFailure: pause',
    '  approveAfterWaves: [0]      # wait for an operator after the first wave',
  ]);
  console.log('multi-site:', s);
}

ha();
multiSite();
