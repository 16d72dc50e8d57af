/**
 * Builds an escalator/v1 Inventory from a live OpenStack cloud: its compute nodes (capacity from
 * Placement, zone and state from the compute service), its instances (host, flavor, server group,
 * how each can move), its server groups, and the overcommit ratios Placement applies. Software
 * versions are left empty for the installer to fill in.
 * @module
 */
import { DocumentError } from '../../errors.js';
import { checkInventory } from '../../loader/integrity.js';
import { fromZodIssues } from '../../loader/zod-issues.js';
import {
  type Inventory,
  type InventoryInput,
  InventorySchema,
  type MigrationMode,
} from '../../model/inventory.js';
import type { CallOptions } from '../../ports/common.js';
import { mapLimit } from './internal.js';
import type { KeystoneSession } from './keystone.js';
import { createNovaVim, type NovaServer, type NovaVim } from './nova.js';
import { createPlacementClient, type PlacementClient } from './placement.js';

/** Options of {@link importInventory}. */
export interface ImportInventoryOptions extends CallOptions {
  /**
   * The inventory's `metadata.name`.
   * @defaultValue 'openstack'
   */
  readonly name?: string | undefined;
  /** `metadata.labels`. */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** Every node's `site`. Unset: none (one site). */
  readonly site?: string | undefined;
  /**
   * `maxImpacted` of every server group: how many members may be down or moving at once.
   * @defaultValue 1
   */
  readonly maxImpacted?: number | undefined;
  /** A Nova client to reuse (its microversion and name cache). Default: a new one on the session. */
  readonly nova?: NovaVim | undefined;
  /** A Placement client to reuse. Default: a new one on the session. */
  readonly placement?: PlacementClient | undefined;
  /** Told about what was left out or guessed (an instance with no host, differing ratios, ...). */
  readonly onWarning?: ((message: string) => void) | undefined;
}

type NodeInput = InventoryInput['nodes'][number];
type InstanceInput = NonNullable<InventoryInput['instances']>[number];
type GroupInput = NonNullable<InventoryInput['serverGroups']>[number];

const POLICIES = new Set(['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity']);

/**
 * How a server can move, from its status: ACTIVE and PAUSED servers live-migrate, SHUTOFF ones move
 * cold; others (ERROR, SUSPENDED, SHELVED, RESCUE, a resize awaiting confirmation...) cannot be moved
 * by Nova now.
 */
function migrationOf(server: NovaServer): MigrationMode {
  if (server.status === 'ACTIVE' || server.status === 'PAUSED') return 'live';
  if (server.status === 'SHUTOFF') return 'cold';
  return 'none';
}

/** A server's resources, from its embedded flavor (2.47+), as Placement allocates them. */
function resourcesOf(server: NovaServer): { vcpus: number; memoryMiB: number; diskGiB: number } {
  const f = server.flavor ?? {};
  const volumeBacked = server.image === '' || server.image === null || server.image === undefined;
  return {
    vcpus: f.vcpus ?? 0,
    memoryMiB: f.ram ?? 0,
    diskGiB: (volumeBacked ? 0 : (f.disk ?? 0)) + (f.ephemeral ?? 0) + Math.ceil((f.swap ?? 0) / 1024),
  };
}

/** Names made unique: a name used more than once gets the first 8 characters of its id appended. */
function uniqueNames<T extends { id: string; name: string }>(items: readonly T[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const i of items) count.set(i.name, (count.get(i.name) ?? 0) + 1);
  const out = new Map<string, string>();
  for (const i of items) {
    const base = i.name === '' ? i.id : i.name;
    out.set(i.id, (count.get(i.name) ?? 0) > 1 || i.name === '' ? `${base}-${i.id.slice(0, 8)}` : base);
  }
  return out;
}

/**
 * Reads the cloud and returns an escalator/v1 Inventory, parsed with `InventorySchema` (defaults filled
 * in, ready for {@link escalator!createPlan | createPlan} and the engine) and checked for integrity (so it loads as is). Instance names are Nova's; a name used by
 * several servers (Nova allows that) gets the server id's first 8 characters appended, and every
 * instance carries its Nova `id`, so pass the inventory's instances to `createOpenStackVim` to have
 * the adapter follow those names. Overcommit ratios are the lowest Placement applies on any compute
 * node (the safe choice when they differ). Only compute nodes are listed: controllers, network and
 * storage nodes are not in Nova and are for the installer to add.
 *
 * @throws {@link escalator!DocumentError | DocumentError} when the cloud yields no valid inventory (e.g. no compute service).
 * @example
 * ```ts
 * const inventory = await importInventory(session, { name: 'lab-1' });
 * await writeFile('inventory.yaml', YAML.stringify(inventory));
 * ```
 */
export async function importInventory(
  session: KeystoneSession,
  options: ImportInventoryOptions = {},
): Promise<Inventory> {
  const signal = options.signal;
  const warn = options.onWarning ?? (() => undefined);
  const placement = options.placement ?? createPlacementClient({ session });
  const nova = options.nova ?? createNovaVim({ session, placement });

  const [services, hypervisors, servers, groups] = await Promise.all([
    nova.listComputeServices({ signal }),
    nova.listHypervisors({ signal }),
    nova.listServers({ signal }),
    nova.listServerGroups({ signal }),
  ]);

  // Capacity and ratios: from the hypervisors (Placement from 2.88 on), else asked of Placement.
  const byHost = new Map(hypervisors.map((h) => [h.host, h]));
  const ratios = await mapLimit([...byHost.values()], 8, async (h) => {
    if (h.allocationRatios) return h.allocationRatios;
    try {
      return (await placement.capacity(h.id, { signal }))?.allocationRatios;
    } catch (error) {
      warn(`could not read Placement's allocation ratios of ${h.host}: ${(error as Error).message}`);
      return undefined;
    }
  });
  const overcommit: { cpu?: number; memory?: number; disk?: number } = {};
  for (const key of ['cpu', 'memory', 'disk'] as const) {
    const values = ratios.map((r) => r?.[key]).filter((v): v is number => typeof v === 'number' && v > 0);
    if (values.length === 0) continue;
    const low = Math.min(...values);
    if (values.some((v) => v !== low))
      warn(
        `compute nodes have different ${key} allocation ratios (${[...new Set(values)].join(', ')}); using ${low}`,
      );
    overcommit[key] = low;
  }

  const nodes: NodeInput[] = [];
  const nodeNames = new Set<string>();
  for (const s of services) {
    if (s.host === '' || nodeNames.has(s.host)) continue;
    nodeNames.add(s.host);
    const h = byHost.get(s.host);
    const node: NodeInput = {
      name: s.host,
      roles: ['compute'],
      state: s.state === 'down' ? 'down' : s.status === 'disabled' ? 'maintenance' : 'up',
      software: {},
    };
    if (options.site !== undefined) node.site = options.site;
    if (s.zone) node.zone = s.zone;
    if (h?.vcpus !== undefined && h.memoryMiB !== undefined)
      node.capacity = { vcpus: h.vcpus, memoryMiB: h.memoryMiB, diskGiB: h.diskGiB ?? 0 };
    else warn(`no capacity known for compute node ${s.host}`);
    nodes.push(node);
  }

  const groupNames = uniqueNames(groups.map((g) => ({ id: g.id, name: g.name })));
  const groupOf = new Map<string, string>();
  const serverGroups: GroupInput[] = [];
  for (const g of groups) {
    if (!POLICIES.has(g.policy)) {
      warn(
        `server group ${g.name} (${g.id}) has policy "${g.policy}", which Escalator does not know; left out`,
      );
      continue;
    }
    const name = groupNames.get(g.id)!;
    serverGroups.push({
      name,
      policy: g.policy as GroupInput['policy'],
      maxImpacted: options.maxImpacted ?? 1,
    });
    for (const m of g.members) groupOf.set(m, name);
  }

  const instanceNames = uniqueNames(servers.map((s) => ({ id: s.id, name: s.name })));
  const instances: InstanceInput[] = [];
  for (const s of servers) {
    const host = s['OS-EXT-SRV-ATTR:host'];
    const name = instanceNames.get(s.id)!;
    if (!host) {
      warn(`instance ${name} (${s.id}, ${s.status}) has no host; left out`);
      continue;
    }
    if (!nodeNames.has(host)) warn(`instance ${name} is on ${host}, which has no nova-compute service`);
    const migration = migrationOf(s);
    if (migration === 'none')
      warn(`instance ${name} is ${s.status}: Nova cannot move it now (migration: none)`);
    const instance: InstanceInput = { name, id: s.id, host, resources: resourcesOf(s), migration };
    const group = groupOf.get(s.id);
    if (group !== undefined) instance.serverGroup = group;
    instances.push(instance);
  }

  const metadata: InventoryInput['metadata'] = { name: options.name ?? 'openstack' };
  if (options.labels !== undefined) metadata.labels = { ...options.labels };
  const document: InventoryInput = {
    apiVersion: 'escalator/v1',
    kind: 'Inventory',
    metadata,
    nodes,
    instances,
    serverGroups,
  };
  if (Object.keys(overcommit).length > 0) document.overcommit = overcommit;

  // Parsed, so the result has its defaults filled in: it goes to createPlan and the engine as is.
  const parsed = InventorySchema.safeParse(document);
  const issues = parsed.success
    ? checkInventory(parsed.data)
    : fromZodIssues(parsed.error.issues, InventorySchema);
  if (!parsed.success || issues.length > 0) throw new DocumentError('<openstack>', issues);
  return parsed.data;
}
