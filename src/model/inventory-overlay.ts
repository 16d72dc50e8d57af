/**
 * The escalator/v1 InventoryOverlay: what an operator knows that a cloud's APIs do not say, merged over
 * an imported inventory (`escalator import --merge FILE`). Nova lists computes and servers; it does not
 * know the controllers, their clusters and quorums, which servers make up which VNF, the managers to
 * ask, or how a server group tolerates impacts.
 *
 * Everything in it is matched by name: a node, server group or instance that the import found gets the
 * fields the overlay gives (a node's `software` is merged key by key); a node, cluster, site or VNF it did
 * not find is added whole.
 */
import { z } from 'zod';
import { apiVersion, metadata, name, positiveCount, seconds, softwareVersions } from './common.js';
import {
  ClusterSchema,
  type Inventory,
  MIGRATION_MODES,
  NodeSchema,
  OvercommitSchema,
  SERVER_GROUP_POLICIES,
  SiteSchema,
  VnfSchema,
} from './inventory.js';

/** A node of the overlay: any of a node's fields; `roles` are required for a node the import lacks. */
const OverlayNodeSchema = NodeSchema.partial()
  .required({ name: true })
  .extend({ software: softwareVersions.optional() });

/** Zod schema of the escalator/v1 InventoryOverlay. */
export const InventoryOverlaySchema = z.strictObject(
  {
    apiVersion,
    kind: z.literal('InventoryOverlay', { error: 'expected "InventoryOverlay"' }),
    /** Replaces the imported inventory's metadata when given. */
    metadata: metadata.optional(),
    sites: z.array(SiteSchema, { error: 'expected a list of sites' }).default([]),
    nodes: z.array(OverlayNodeSchema, { error: 'expected a list of nodes' }).default([]),
    clusters: z.array(ClusterSchema, { error: 'expected a list of clusters' }).default([]),
    instances: z
      .array(
        z.strictObject(
          {
            name,
            vnf: name.optional(),
            serverGroup: name.optional(),
            migration: z.enum(MIGRATION_MODES, { error: 'expected one of live, cold, none' }).optional(),
          },
          { error: 'expected an instance object with name (and vnf, serverGroup or migration)' },
        ),
        { error: 'expected a list of instances' },
      )
      .default([]),
    serverGroups: z
      .array(
        z.strictObject(
          {
            name,
            policy: z
              .enum(SERVER_GROUP_POLICIES, { error: `expected one of ${SERVER_GROUP_POLICIES.join(', ')}` })
              .optional(),
            maxImpacted: positiveCount.optional(),
            recoverySeconds: seconds.optional(),
          },
          { error: 'expected a server group object with name (and maxImpacted, recoverySeconds, policy)' },
        ),
        { error: 'expected a list of server groups' },
      )
      .default([]),
    vnfs: z.array(VnfSchema, { error: 'expected a list of VNFs' }).default([]),
    overcommit: OvercommitSchema.optional(),
  },
  { error: 'expected an InventoryOverlay document (an object with apiVersion and kind)' },
);

/** An escalator/v1 InventoryOverlay, with its defaults filled in. */
export type InventoryOverlay = z.output<typeof InventoryOverlaySchema>;

/** What {@link mergeInventory} did, for the operator to read. */
export interface MergeReport {
  /** Objects of the imported inventory that the overlay changed, e.g. `node ctl-1`. */
  readonly changed: readonly string[];
  /** Objects the overlay added. */
  readonly added: readonly string[];
  /** Instances or server groups the overlay names but the import did not find (left out). */
  readonly unmatched: readonly string[];
}

/** Replaces the items of `base` that `extra` names, appends the others. */
function byName<T extends { readonly name: string }>(
  base: readonly T[],
  extra: readonly T[],
  kind: string,
  report: { changed: string[]; added: string[] },
): T[] {
  const out = [...base];
  const at = new Map(out.map((item, i) => [item.name, i]));
  for (const item of extra) {
    const i = at.get(item.name);
    if (i === undefined) {
      at.set(item.name, out.length);
      out.push(item);
      report.added.push(`${kind} ${item.name}`);
    } else {
      out[i] = item;
      report.changed.push(`${kind} ${item.name}`);
    }
  }
  return out;
}

/**
 * The overlay laid over an inventory (see the module comment), as an Inventory document still to be
 * parsed and checked: the loader's `mergeInventory` does both.
 * @internal
 */
export function overlayInventory(
  base: Inventory,
  overlay: InventoryOverlay,
): { readonly document: Record<string, unknown>; readonly report: MergeReport } {
  const report = { changed: [] as string[], added: [] as string[], unmatched: [] as string[] };
  const nodes: unknown[] = [...base.nodes];
  const nodeAt = new Map(base.nodes.map((n, i) => [n.name, i]));
  for (const node of overlay.nodes) {
    const i = nodeAt.get(node.name);
    const given = Object.fromEntries(Object.entries(node).filter(([, v]) => v !== undefined));
    if (i === undefined) {
      nodeAt.set(node.name, nodes.length);
      nodes.push(given);
      report.added.push(`node ${node.name}`);
      continue;
    }
    const current = base.nodes[i] as Inventory['nodes'][number];
    nodes[i] = { ...current, ...given, software: { ...current.software, ...node.software } };
    report.changed.push(`node ${node.name}`);
  }
  const instances = base.instances.map((inst) => ({ ...inst }));
  const instanceAt = new Map(instances.map((inst, i) => [inst.name, i]));
  for (const inst of overlay.instances) {
    const i = instanceAt.get(inst.name);
    if (i === undefined) {
      report.unmatched.push(`instance ${inst.name}`);
      continue;
    }
    const given = Object.fromEntries(Object.entries(inst).filter(([, v]) => v !== undefined));
    instances[i] = { ...(instances[i] as (typeof instances)[number]), ...given };
    report.changed.push(`instance ${inst.name}`);
  }
  const groups = base.serverGroups.map((g) => ({ ...g }));
  const groupAt = new Map(groups.map((g, i) => [g.name, i]));
  for (const group of overlay.serverGroups) {
    const i = groupAt.get(group.name);
    if (i === undefined) {
      report.unmatched.push(`server group ${group.name}`);
      continue;
    }
    const given = Object.fromEntries(Object.entries(group).filter(([, v]) => v !== undefined));
    groups[i] = { ...(groups[i] as (typeof groups)[number]), ...given };
    report.changed.push(`server group ${group.name}`);
  }
  const document = {
    ...base,
    metadata: overlay.metadata ?? base.metadata,
    sites: byName(base.sites, overlay.sites, 'site', report),
    nodes,
    clusters: byName(base.clusters, overlay.clusters, 'cluster', report),
    instances,
    serverGroups: groups,
    vnfs: byName(base.vnfs, overlay.vnfs, 'VNF', report),
    overcommit: overlay.overcommit ?? base.overcommit,
  };
  return { document, report };
}
