/**
 * Seeded, pure generator of realistic synthetic clouds for benchmarks and property tests.
 *
 * The same options always give the same cloud. Every generated inventory is valid by construction:
 * members of an anti-affinity group sit on distinct hosts, no host is filled past its capacity times
 * the overcommit ratios, every instance sits on a compute node, and every VNF can lose one instance.
 *
 * @module
 */
import type { z } from 'zod';
import { DocumentError, ErrorCode, EscalatorError } from '../errors.js';
import { fromZodIssues } from '../loader/zod-issues.js';
import {
  type Campaign,
  type CampaignInput,
  CampaignSchema,
  maxParallel as maxParallelSchema,
} from '../model/campaign.js';
import { type Inventory, type InventoryInput, InventorySchema } from '../model/inventory.js';
import { mulberry32, shuffle } from '../util/random.js';

type NodeInput = InventoryInput['nodes'][number];
type ClusterInput = NonNullable<InventoryInput['clusters']>[number];
type InstanceInput = NonNullable<InventoryInput['instances']>[number];
type ServerGroupInput = NonNullable<InventoryInput['serverGroups']>[number];
type VnfInput = NonNullable<InventoryInput['vnfs']>[number];
type SiteInput = NonNullable<InventoryInput['sites']>[number];

/** CPU, memory and disk of a node or a flavor, as written in an inventory. */
export interface SyntheticResources {
  /** Virtual (for a flavor) or physical (for a node) CPUs. */
  readonly vcpus: number;
  /** Memory in MiB. */
  readonly memoryMiB: number;
  /** Local disk in GiB. */
  readonly diskGiB: number;
}

/** Options of {@link generateCloud}. Only `computes` and `seed` are required. */
export interface SyntheticCloudOptions {
  /** Number of compute nodes over all sites (a whole number, 0 or more). */
  readonly computes: number;
  /** Seed of the pseudo-random generator: the same seed and options give the same cloud. */
  readonly seed: number;
  /**
   * Instances per compute node; every compute gets exactly this many.
   * @defaultValue 12
   */
  readonly instancesPerNode?: number | undefined;
  /**
   * Target share (0 to 1) of each compute node's capacity (times overcommit) that instances use,
   * measured on the scarcest resource (memory with the default node size). The result is close to
   * the target, never above capacity; it can be above the target when even the smallest flavor
   * would be too big for it.
   * @defaultValue 0.5
   */
  readonly fill?: number | undefined;
  /**
   * Smallest and largest number of members of an anti-affinity server group. Each group is its own
   * VNF with `minAvailable` = size - 1. Groups are never larger than the site's compute count.
   * @defaultValue `{ min: 2, max: 5 }`
   */
  readonly groupSize?: { readonly min: number; readonly max: number } | undefined;
  /**
   * Share (0 to 1) of instances that belong to a server group (and VNF); the others stand alone.
   * @defaultValue 0.5
   */
  readonly groupedShare?: number | undefined;
  /**
   * Share (0 to 1) of instances that cannot move (`migration: none`).
   * @defaultValue 0.05
   */
  readonly unmovableShare?: number | undefined;
  /**
   * Share (0 to 1) of instances that only move by cold migration (`migration: cold`).
   * @defaultValue 0.05
   */
  readonly coldShare?: number | undefined;
  /**
   * Controllers per site. With 2 or more, they form galera (mariadb), rabbitmq and ceph-mon clusters
   * whose `minAvailable` is a majority (2 of 3), at most all but one.
   * @defaultValue 3
   */
  readonly controllers?: number | undefined;
  /**
   * Network nodes per site (L3/DHCP agents). With 2 or more they form an `l3-ha` cluster that may
   * lose one member.
   * @defaultValue 2
   */
  readonly networkNodes?: number | undefined;
  /**
   * Ceph OSD storage nodes per site. With 2 or more they form a `ceph-osd` cluster that may lose a
   * third of its members (at least one).
   * @defaultValue max(3, ceil(computes of the site / 20))
   */
  readonly storageNodes?: number | undefined;
  /**
   * Number of sites, named `site-1`, `site-2`, ...; computes are spread evenly and every site has
   * its own controllers, network and storage nodes and clusters. With more than one, the inventory
   * lists `sites` and `site-1` shares keystone with the others.
   * @defaultValue 1
   */
  readonly sites?: number | undefined;
  /**
   * Availability zones per site; a site's computes are split into contiguous blocks, one per zone.
   * Zones are numbered over all sites: `az1`, `az2`, ...
   * @defaultValue 2
   */
  readonly zones?: number | undefined;
  /**
   * Compute nodes per rack. Racks are numbered over all sites: `r001`, `r002`, ...
   * @defaultValue 20
   */
  readonly rackSize?: number | undefined;
  /**
   * Capacity of every compute node.
   * @defaultValue `{ vcpus: 64, memoryMiB: 262144, diskGiB: 3840 }`
   */
  readonly nodeCapacity?: SyntheticResources | undefined;
  /**
   * The campaign's `strategy.maxParallel`: a number of nodes or a percentage such as `"10%"`.
   * @defaultValue "10%"
   */
  readonly maxParallel?: number | string | undefined;
  /**
   * `metadata.name` of both documents.
   * @defaultValue `synthetic-<seed>`
   */
  readonly name?: string | undefined;
}

/**
 * A generated cloud: an inventory and a campaign that upgrades all of it from Zed to Antelope, both
 * parsed (defaults filled in), so they go to `createPlan` and the engine as they are.
 */
export interface SyntheticCloud {
  /** The cloud as it is, with every node on {@link ZED_SOFTWARE} versions. */
  inventory: Inventory;
  /** A campaign to {@link ANTELOPE_SOFTWARE} versions of every component. */
  campaign: Campaign;
}

/**
 * Versions of the built-in catalog's components in an OpenStack Zed cloud (Debian bookworm kernel),
 * the starting point of generated clouds and of the examples.
 */
export const ZED_SOFTWARE: Readonly<Record<string, string>> = Object.freeze({
  mariadb: '10.6.16',
  'rabbitmq-server': '3.10.7',
  keystone: '22.0.1',
  glance: '25.1.0',
  placement: '8.0.0',
  'nova-api': '26.2.2',
  'nova-conductor': '26.2.2',
  'nova-scheduler': '26.2.2',
  'nova-compute': '26.2.2',
  'neutron-server': '21.2.0',
  openvswitch: '2.17.7',
  'neutron-openvswitch-agent': '21.2.0',
  'neutron-l3-agent': '21.2.0',
  'neutron-dhcp-agent': '21.2.0',
  'cinder-api': '21.3.1',
  'cinder-volume': '21.3.1',
  'ceph-mon': '17.2.6',
  'ceph-osd': '17.2.6',
  libvirt: '8.0.0',
  qemu: '6.2.0',
  kernel: '6.1.0-18-amd64',
});

/** Versions of the same components in OpenStack Antelope: the target of generated campaigns. */
export const ANTELOPE_SOFTWARE: Readonly<Record<string, string>> = Object.freeze({
  mariadb: '10.11.6',
  'rabbitmq-server': '3.11.28',
  keystone: '23.0.1',
  glance: '26.0.0',
  placement: '9.0.0',
  'nova-api': '27.1.0',
  'nova-conductor': '27.1.0',
  'nova-scheduler': '27.1.0',
  'nova-compute': '27.1.0',
  'neutron-server': '22.0.2',
  openvswitch: '3.1.3',
  'neutron-openvswitch-agent': '22.0.2',
  'neutron-l3-agent': '22.0.2',
  'neutron-dhcp-agent': '22.0.2',
  'cinder-api': '22.1.0',
  'cinder-volume': '22.1.0',
  'ceph-mon': '17.2.7',
  'ceph-osd': '17.2.7',
  libvirt: '9.0.0',
  qemu: '7.2.0',
  kernel: '6.1.0-21-amd64',
});

const CONTROLLER_COMPONENTS = [
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
const NETWORK_COMPONENTS = [
  'openvswitch',
  'neutron-openvswitch-agent',
  'neutron-l3-agent',
  'neutron-dhcp-agent',
  'kernel',
];
const STORAGE_COMPONENTS = ['ceph-osd', 'kernel'];
const COMPUTE_COMPONENTS = [
  'nova-compute',
  'libvirt',
  'qemu',
  'openvswitch',
  'neutron-openvswitch-agent',
  'kernel',
];

/** General-purpose flavors, smallest first (2 GiB of memory per vCPU, 10 GiB of disk per GiB). */
const FLAVORS: readonly SyntheticResources[] = [
  { vcpus: 1, memoryMiB: 2048, diskGiB: 20 },
  { vcpus: 2, memoryMiB: 4096, diskGiB: 40 },
  { vcpus: 4, memoryMiB: 8192, diskGiB: 80 },
  { vcpus: 8, memoryMiB: 16384, diskGiB: 160 },
  { vcpus: 16, memoryMiB: 32768, diskGiB: 320 },
  { vcpus: 32, memoryMiB: 65536, diskGiB: 640 },
];

const DEFAULT_CAPACITY: SyntheticResources = { vcpus: 64, memoryMiB: 262144, diskGiB: 3840 };
/** The inventory's overcommit (Nova's usual allocation ratios). */
const OVERCOMMIT = { cpu: 4, memory: 1, disk: 1 } as const;

/**
 * Generates a synthetic cloud: controllers, network, storage and compute nodes over one or more
 * sites and zones, clusters, instances of assorted flavors, anti-affinity server groups each backing
 * a VNF, and a campaign that upgrades every component from Zed to Antelope.
 *
 * Pure and deterministic: the result depends only on `options`. Fast: 10,000 computes with 12
 * instances each take a fraction of a second.
 *
 * @throws {@link escalator!EscalatorError | EscalatorError} with code `ESC_INVALID_OPTION` when an option is out of range, or
 * when `instancesPerNode` instances of the smallest flavor do not fit on a node.
 * @example
 * ```ts
 * const { inventory, campaign } = generateCloud({ computes: 200, seed: 7, sites: 2 });
 * ```
 */
export function generateCloud(options: SyntheticCloudOptions): SyntheticCloud {
  const o = resolveOptions(options);
  const random = mulberry32(o.seed);
  const multiSite = o.sites > 1;

  const sites: SiteInput[] = [];
  const nodes: NodeInput[] = [];
  const clusters: ClusterInput[] = [];
  const instances: InstanceInput[] = [];
  const serverGroups: ServerGroupInput[] = [];
  const vnfs: VnfInput[] = [];
  const counters = { controller: 0, network: 0, storage: 0, compute: 0, rack: 0, instance: 0, group: 0 };

  for (let s = 0; s < o.sites; s++) {
    const siteName = `site-${s + 1}`;
    if (multiSite)
      sites.push(s === 0 ? { name: siteName, sharedServices: ['keystone'] } : { name: siteName });
    const siteComputes =
      Math.floor(((s + 1) * o.computes) / o.sites) - Math.floor((s * o.computes) / o.sites);
    const storageCount = o.storageNodes ?? Math.max(3, Math.ceil(siteComputes / 20));
    const suffix = multiSite ? `-${siteName}` : '';
    const node = (
      name: string,
      role: NodeInput['roles'][number],
      components: readonly string[],
    ): NodeInput => {
      const n: NodeInput = { name, roles: [role], software: versions(components) };
      if (multiSite) n.site = siteName;
      return n;
    };

    // Control plane: every site has its own (site-1's keystone serves the others).
    const controllers: string[] = [];
    for (let i = 0; i < o.controllers; i++) {
      const name = `ctl-${++counters.controller}`;
      controllers.push(name);
      const components =
        multiSite && s > 0 ? CONTROLLER_COMPONENTS.filter((c) => c !== 'keystone') : CONTROLLER_COMPONENTS;
      nodes.push(node(name, 'controller', components));
    }
    if (controllers.length >= 2) {
      const quorum = Math.min(Math.floor(controllers.length / 2) + 1, controllers.length - 1);
      const primary = controllers[0] as string;
      clusters.push(
        {
          name: `galera${suffix}`,
          component: 'mariadb',
          members: controllers,
          minAvailable: quorum,
          primary,
        },
        {
          name: `rabbitmq${suffix}`,
          component: 'rabbitmq-server',
          members: [...controllers],
          minAvailable: quorum,
        },
        { name: `ceph-mon${suffix}`, component: 'ceph-mon', members: [...controllers], minAvailable: quorum },
      );
    }
    const networkNodes: string[] = [];
    for (let i = 0; i < o.networkNodes; i++) {
      const name = `net-${++counters.network}`;
      networkNodes.push(name);
      nodes.push(node(name, 'network', NETWORK_COMPONENTS));
    }
    if (networkNodes.length >= 2)
      clusters.push({
        name: `l3-ha${suffix}`,
        component: 'neutron-l3-agent',
        members: networkNodes,
        minAvailable: networkNodes.length - 1,
      });
    const storageNodes: string[] = [];
    for (let i = 0; i < storageCount; i++) {
      const name = `stor-${pad(++counters.storage, 3)}`;
      storageNodes.push(name);
      nodes.push(node(name, 'storage', STORAGE_COMPONENTS));
    }
    if (storageNodes.length >= 2)
      clusters.push({
        name: `ceph-osd${suffix}`,
        component: 'ceph-osd',
        members: storageNodes,
        minAvailable: storageNodes.length - Math.max(1, Math.floor(storageNodes.length / 3)),
      });

    // Computes: contiguous blocks per zone, racks of rackSize.
    const computes: string[] = [];
    const firstZone = s * o.zones;
    for (let i = 0; i < siteComputes; i++) {
      const name = `cmp-${pad(++counters.compute, 5)}`;
      computes.push(name);
      const n = node(name, 'compute', COMPUTE_COMPONENTS);
      n.zone = `az${firstZone + 1 + Math.floor((i * o.zones) / siteComputes)}`;
      if (i % o.rackSize === 0) counters.rack++;
      n.rack = `r${pad(counters.rack, 3)}`;
      n.capacity = { ...o.capacity };
      nodes.push(n);
    }

    placeInstances(o, random, computes, counters, instances, serverGroups, vnfs);
  }

  const name = o.name;
  const inventory: InventoryInput = {
    apiVersion: 'escalator/v1',
    kind: 'Inventory',
    metadata: { name, labels: { generator: 'escalator/synthetic-cloud', seed: String(o.seed) } },
    ...(multiSite ? { sites } : {}),
    nodes,
    clusters,
    instances,
    serverGroups,
    vnfs,
    overcommit: { ...OVERCOMMIT },
  };
  const campaign: CampaignInput = {
    apiVersion: 'escalator/v1',
    kind: 'Campaign',
    metadata: { name: `${name}-zed-to-antelope` },
    target: { software: { ...ANTELOPE_SOFTWARE } },
    strategy: {
      maxParallel: o.maxParallel,
      canary: 1,
      instanceAction: 'live-migrate',
      siteOrder: 'sequential',
      onFailure: 'pause',
      maxFailures: 0,
    },
  };
  // Parsed, not cast: the documents get their defaults, and a bad option (a name zod refuses) is
  // reported as a DocumentError rather than failing later in the planner.
  return {
    inventory: parseGenerated('Inventory', inventory, InventorySchema),
    campaign: parseGenerated('Campaign', campaign, CampaignSchema),
  };
}

/** Parses a generated document; throws {@link DocumentError} listing its problems. */
function parseGenerated<S extends z.ZodType>(kind: string, document: z.input<S>, schema: S): z.output<S> {
  const parsed = schema.safeParse(document, { reportInput: true });
  if (!parsed.success)
    throw new DocumentError(`<generateCloud ${kind}>`, fromZodIssues(parsed.error.issues, schema));
  return parsed.data;
}

interface ResolvedOptions {
  seed: number;
  computes: number;
  instancesPerNode: number;
  fill: number;
  groupMin: number;
  groupMax: number;
  groupedShare: number;
  unmovableShare: number;
  coldShare: number;
  controllers: number;
  networkNodes: number;
  storageNodes: number | undefined;
  sites: number;
  zones: number;
  rackSize: number;
  capacity: SyntheticResources;
  maxParallel: number | string;
  name: string;
  /** Per flavor, its share of a node: the largest of its CPU, memory and disk shares. */
  weights: readonly number[];
}

function resolveOptions(options: SyntheticCloudOptions): ResolvedOptions {
  const whole = (name: string, value: number | undefined, fallback: number, min: number): number => {
    const v = value ?? fallback;
    if (!Number.isSafeInteger(v) || v < min)
      invalid(`${name} must be a whole number, ${min} or more (got ${v})`);
    return v;
  };
  const share = (name: string, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback;
    if (!(v >= 0 && v <= 1)) invalid(`${name} must be between 0 and 1 (got ${v})`);
    return v;
  };
  if (!Number.isFinite(options.seed)) invalid(`seed must be a finite number (got ${options.seed})`);
  const computes = whole('computes', options.computes, 0, 0);
  const fill = share('fill', options.fill, 0.5);
  if (fill === 0) invalid('fill must be greater than 0');
  const groupMin = whole('groupSize.min', options.groupSize?.min, 2, 2);
  const groupMax = whole('groupSize.max', options.groupSize?.max, 5, groupMin);
  const unmovableShare = share('unmovableShare', options.unmovableShare, 0.05);
  const coldShare = share('coldShare', options.coldShare, 0.05);
  if (unmovableShare + coldShare > 1) invalid('unmovableShare + coldShare must be at most 1');
  const capacity = options.nodeCapacity ?? DEFAULT_CAPACITY;
  for (const key of ['vcpus', 'memoryMiB', 'diskGiB'] as const)
    if (!(capacity[key] > 0 && Number.isFinite(capacity[key])))
      invalid(`nodeCapacity.${key} must be a number greater than 0`);
  const weights = FLAVORS.map((f) =>
    Math.max(
      f.vcpus / (capacity.vcpus * OVERCOMMIT.cpu),
      f.memoryMiB / (capacity.memoryMiB * OVERCOMMIT.memory),
      f.diskGiB / (capacity.diskGiB * OVERCOMMIT.disk),
    ),
  );
  const instancesPerNode = whole('instancesPerNode', options.instancesPerNode, 12, 0);
  if (instancesPerNode * (weights[0] ?? 0) > 1)
    invalid(
      `${instancesPerNode} instances of the smallest flavor (1 vCPU, 2 GiB, 20 GiB) do not fit on a node`,
    );
  const storageNodes =
    options.storageNodes === undefined ? undefined : whole('storageNodes', options.storageNodes, 0, 0);
  const maxParallel = options.maxParallel ?? '10%';
  if (!maxParallelSchema.safeParse(maxParallel).success)
    invalid(`maxParallel must be a positive whole number or a percentage like "10%" (got ${maxParallel})`);
  const resolved: ResolvedOptions = {
    seed: options.seed,
    computes,
    instancesPerNode,
    fill,
    groupMin,
    groupMax,
    groupedShare: share('groupedShare', options.groupedShare, 0.5),
    unmovableShare,
    coldShare,
    controllers: whole('controllers', options.controllers, 3, 0),
    networkNodes: whole('networkNodes', options.networkNodes, 2, 0),
    storageNodes,
    sites: whole('sites', options.sites, 1, 1),
    zones: whole('zones', options.zones, 2, 1),
    rackSize: whole('rackSize', options.rackSize, 20, 1),
    capacity: { vcpus: capacity.vcpus, memoryMiB: capacity.memoryMiB, diskGiB: capacity.diskGiB },
    maxParallel,
    name: options.name ?? `synthetic-${options.seed}`,
    weights,
  };
  return resolved;
}

function invalid(message: string): never {
  throw new EscalatorError(ErrorCode.InvalidOption, `generateCloud: ${message}`);
}

/**
 * Places `instancesPerNode` instances on every compute of a site. Slot `i` goes to host
 * `order[i % n]` for a random permutation `order` of the hosts, so any run of at most `n`
 * consecutive slots lands on distinct hosts: a server group takes consecutive slots. Flavors are
 * chosen per slot to steer each host towards the fill target, and only among those that leave room
 * for the smallest flavor in the host's remaining slots, so no host ends over capacity.
 */
function placeInstances(
  o: ResolvedOptions,
  random: () => number,
  computes: readonly string[],
  counters: { instance: number; group: number },
  instances: InstanceInput[],
  serverGroups: ServerGroupInput[],
  vnfs: VnfInput[],
): void {
  const n = computes.length;
  if (n === 0 || o.instancesPerNode === 0) return;
  const order = shuffle(
    Array.from({ length: n }, (_, i) => i),
    random,
  );
  const used = new Float64Array(n); // sum of flavor weights, the share of the node in use
  const hard = { vcpus: new Float64Array(n), memoryMiB: new Float64Array(n), diskGiB: new Float64Array(n) };
  const slotsLeft = new Int32Array(n).fill(o.instancesPerNode);
  const limits = {
    vcpus: o.capacity.vcpus * OVERCOMMIT.cpu,
    memoryMiB: o.capacity.memoryMiB * OVERCOMMIT.memory,
    diskGiB: o.capacity.diskGiB * OVERCOMMIT.disk,
  };
  const smallest = FLAVORS[0] as SyntheticResources;
  const fits = (host: number, f: SyntheticResources): boolean => {
    const after = (slotsLeft[host] as number) - 1;
    return (
      (hard.vcpus[host] as number) + f.vcpus + after * smallest.vcpus <= limits.vcpus &&
      (hard.memoryMiB[host] as number) + f.memoryMiB + after * smallest.memoryMiB <= limits.memoryMiB &&
      (hard.diskGiB[host] as number) + f.diskGiB + after * smallest.diskGiB <= limits.diskGiB
    );
  };
  // Probability that a unit (a group or a lone instance) is a group, so that groupedShare of the
  // instances end up in groups: p*E[size] / (p*E[size] + 1 - p) = groupedShare.
  const meanSize = (o.groupMin + o.groupMax) / 2;
  const g = o.groupedShare;
  const pGroup = g >= 1 ? 1 : g / (meanSize * (1 - g) + g);
  const maxGroup = Math.min(o.groupMax, n);
  const total = n * o.instancesPerNode;
  const hosts: number[] = [];

  for (let slot = 0; slot < total; ) {
    let size = 1;
    if (maxGroup >= 2 && random() < pGroup) {
      const min = Math.min(o.groupMin, maxGroup);
      size = Math.min(min + Math.floor(random() * (maxGroup - min + 1)), total - slot);
      if (size < 2) size = 1;
    }
    hosts.length = 0;
    for (let k = 0; k < size; k++) hosts.push(order[(slot + k) % n] as number);
    slot += size;

    // Aim the first host at its fill target, with jitter for a mix of flavors.
    const first = hosts[0] as number;
    const target =
      (Math.max(0, o.fill - (used[first] as number)) / (slotsLeft[first] as number)) * (0.5 + random());
    let index = pickFlavor(o.weights, target, random);
    while (index > 0 && !hosts.every((h) => fits(h, FLAVORS[index] as SyntheticResources))) index--;
    const flavor = FLAVORS[index] as SyntheticResources;

    let group: string | undefined;
    if (size >= 2) {
      const id = pad(++counters.group, 5);
      group = `sg-${id}`;
      serverGroups.push({
        name: group,
        policy: 'anti-affinity',
        maxImpacted: 1,
        recoverySeconds: 30 * Math.floor(random() * 3),
      });
      const vnf: VnfInput = { name: `vnf-${id}`, minAvailable: size - 1 };
      if (random() < 0.25) vnf.maintenance = { notify: true, leadTimeSeconds: 60 };
      vnfs.push(vnf);
    }
    for (const h of hosts) {
      used[h] = (used[h] as number) + (o.weights[index] as number);
      hard.vcpus[h] = (hard.vcpus[h] as number) + flavor.vcpus;
      hard.memoryMiB[h] = (hard.memoryMiB[h] as number) + flavor.memoryMiB;
      hard.diskGiB[h] = (hard.diskGiB[h] as number) + flavor.diskGiB;
      slotsLeft[h] = (slotsLeft[h] as number) - 1;
      const instance: InstanceInput = {
        name: `vm-${pad(++counters.instance, 6)}`,
        host: computes[h] as string,
        resources: { vcpus: flavor.vcpus, memoryMiB: flavor.memoryMiB, diskGiB: flavor.diskGiB },
      };
      if (group !== undefined) {
        instance.serverGroup = group;
        instance.vnf = `vnf-${group.slice(3)}`;
      }
      const r = random();
      if (r < o.unmovableShare) instance.migration = 'none';
      else if (r < o.unmovableShare + o.coldShare) instance.migration = 'cold';
      instances.push(instance);
    }
  }
}

/**
 * The index of a flavor whose weight is `target` on average: the two flavors around it, the larger
 * chosen with the probability that makes the expected weight equal to the target.
 */
function pickFlavor(weights: readonly number[], target: number, random: () => number): number {
  const last = weights.length - 1;
  if (target <= (weights[0] as number)) return 0;
  if (target >= (weights[last] as number)) return last;
  let hi = 1;
  while ((weights[hi] as number) < target) hi++;
  const lo = weights[hi - 1] as number;
  const up = weights[hi] as number;
  return random() < (target - lo) / (up - lo) ? hi : hi - 1;
}

function versions(components: readonly string[]): Record<string, string> {
  const software: Record<string, string> = {};
  for (const c of components) software[c] = ZED_SOFTWARE[c] as string;
  return software;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
