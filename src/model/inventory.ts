/**
 * The escalator/v1 Inventory: what the cloud looks like now. Field names and meanings are a contract
 * with installers (docs/formats.md); add fields, never rename them.
 */
import { z } from 'zod';
import {
  apiVersion,
  count,
  metadata,
  name,
  nameList,
  positiveCount,
  ratio,
  resources,
  role,
  seconds,
  softwareVersions,
} from './common.js';

const nodeStateMessage = 'expected one of up, down, maintenance';

/** How Escalator reaches a node (used by the SSH adapter); credentials are named, never inlined. */
export const NodeAccessSchema = z.strictObject(
  {
    address: z.string({ error: 'expected a host name or IP address' }).min(1),
    port: z
      .number({ error: 'expected a TCP port, 1 to 65535' })
      .int({ error: 'expected a TCP port, 1 to 65535' })
      .min(1, { error: 'expected a TCP port, 1 to 65535' })
      .max(65535, { error: 'expected a TCP port, 1 to 65535' })
      .default(22),
    user: name.default('root'),
    credentialsRef: name.optional(),
  },
  { error: 'expected { address, port, user, credentialsRef }' },
);

export const NodeSchema = z.strictObject(
  {
    name,
    site: name.optional(),
    zone: name.optional(),
    rack: name.optional(),
    roles: z
      .array(role, { error: 'expected a list of roles, e.g. [compute]' })
      .min(1, { error: 'expected at least one role' }),
    state: z.enum(['up', 'down', 'maintenance'], { error: nodeStateMessage }).default('up'),
    capacity: resources.optional(),
    software: softwareVersions.default({}),
    /** Name of the host in the VIM when it differs from `name` (e.g. an FQDN in Nova). */
    vimName: name.optional(),
    access: NodeAccessSchema.optional(),
  },
  { error: 'expected a node object with name and roles' },
);

export const SiteSchema = z.strictObject(
  { name, sharedServices: nameList.default([]) },
  { error: 'expected a site object with a name' },
);

export const ClusterSchema = z.strictObject(
  {
    name,
    members: nameList.min(1, { error: 'expected at least one member' }),
    minAvailable: positiveCount,
    primary: name.optional(),
    /** What the cluster runs (e.g. mariadb, rabbitmq-server), for status tables. */
    component: name.optional(),
  },
  { error: 'expected a cluster object with name, members and minAvailable' },
);

export const MIGRATION_MODES = ['live', 'cold', 'none'] as const;

export const InstanceSchema = z.strictObject(
  {
    name,
    host: name,
    resources: resources.default({ vcpus: 0, memoryMiB: 0, diskGiB: 0 }),
    serverGroup: name.optional(),
    vnf: name.optional(),
    migration: z.enum(MIGRATION_MODES, { error: 'expected one of live, cold, none' }).default('live'),
    /** The instance's id in the VIM (a Nova server UUID), when known. */
    id: z.string().min(1).optional(),
  },
  { error: 'expected an instance object with name and host' },
);

export const SERVER_GROUP_POLICIES = [
  'anti-affinity',
  'affinity',
  'soft-anti-affinity',
  'soft-affinity',
] as const;

export const ServerGroupSchema = z.strictObject(
  {
    name,
    policy: z.enum(SERVER_GROUP_POLICIES, { error: `expected one of ${SERVER_GROUP_POLICIES.join(', ')}` }),
    maxImpacted: positiveCount.default(1),
    recoverySeconds: seconds.default(0),
  },
  { error: 'expected a server group object with name and policy' },
);

export const VnfSchema = z.strictObject(
  {
    name,
    minAvailable: count,
    maintenance: z
      .strictObject(
        {
          notify: z.boolean({ error: 'expected true or false' }).default(false),
          leadTimeSeconds: seconds.default(0),
          /** Where the VNF manager takes maintenance notifications (Doctor/Fenix style). */
          endpoint: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
        },
        { error: 'expected { notify, leadTimeSeconds }' },
      )
      .default({ notify: false, leadTimeSeconds: 0 }),
  },
  { error: 'expected a VNF object with name and minAvailable' },
);

export const OvercommitSchema = z.strictObject(
  { cpu: ratio.default(4), memory: ratio.default(1), disk: ratio.default(1) },
  { error: 'expected { cpu, memory, disk } allocation ratios' },
);

/** Zod schema of the escalator/v1 Inventory. */
export const InventorySchema = z.strictObject(
  {
    apiVersion,
    kind: z.literal('Inventory', { error: 'expected "Inventory"' }),
    metadata,
    sites: z.array(SiteSchema, { error: 'expected a list of sites' }).default([]),
    nodes: z
      .array(NodeSchema, { error: 'expected a list of nodes' })
      .min(1, { error: 'expected at least one node' }),
    clusters: z.array(ClusterSchema, { error: 'expected a list of clusters' }).default([]),
    instances: z.array(InstanceSchema, { error: 'expected a list of instances' }).default([]),
    serverGroups: z.array(ServerGroupSchema, { error: 'expected a list of server groups' }).default([]),
    vnfs: z.array(VnfSchema, { error: 'expected a list of VNFs' }).default([]),
    overcommit: OvercommitSchema.default({ cpu: 4, memory: 1, disk: 1 }),
  },
  { error: 'expected an Inventory document (an object with apiVersion, kind, metadata, nodes)' },
);

/** An escalator/v1 Inventory, with every default filled in. */
export type Inventory = z.output<typeof InventorySchema>;
/** An Inventory as written in a file (defaults may be left out). */
export type InventoryInput = z.input<typeof InventorySchema>;
/** A node of the inventory. */
export type InventoryNode = Inventory['nodes'][number];
/** A redundancy group (HA pair, quorum cluster). */
export type Cluster = Inventory['clusters'][number];
/** A virtual machine. */
export type Instance = Inventory['instances'][number];
/** A Nova-style server group. */
export type ServerGroup = Inventory['serverGroups'][number];
/** A virtual network function: a set of instances with a minimum that must keep running. */
export type Vnf = Inventory['vnfs'][number];
/** CPU, memory and disk. */
export type Resources = z.output<typeof resources>;
/** A node role. */
export type Role = z.output<typeof role>;
/** How an instance may move. */
export type MigrationMode = (typeof MIGRATION_MODES)[number];
