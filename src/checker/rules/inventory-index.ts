/**
 * The inventory's nodes indexed once for the node-level rules (coverage, wave size, clusters, shared
 * services, order), using the campaign semantics of `model/scope.ts` and nothing of the planner's.
 *
 * @internal
 * @module
 */
import type { Campaign } from '../../model/campaign.js';
import type { Inventory, InventoryNode } from '../../model/inventory.js';
import { inScope, outdatedComponents } from '../../model/scope.js';
import { push, siteOf } from './common.js';

/** The inventory's nodes indexed for the node-level rules; built once. @internal */
export interface Index {
  readonly nodes: ReadonlyMap<string, InventoryNode>;
  readonly outdated: ReadonlyMap<string, readonly string[]>;
  /** Nodes the plan must upgrade, in inventory order. */
  readonly required: ReadonlySet<string>;
  readonly clustersOf: ReadonlyMap<string, readonly number[]>;
  /** Members of each cluster (by position) whose inventory state is up. */
  readonly clusterBaseUp: readonly number[];
  readonly sharedGroups: readonly SharedGroup[];
  readonly sharedOf: ReadonlyMap<string, readonly number[]>;
}

/** The implicit redundancy group of a site's shared services. @internal */
export interface SharedGroup {
  readonly site: string;
  readonly members: readonly string[];
  /** Members whose inventory state is up. */
  readonly up: number;
}

/** Builds the {@link Index} of an inventory for a campaign. @internal */
export function buildIndex(inventory: Inventory, campaign: Campaign): Index {
  const nodes = new Map<string, InventoryNode>();
  const outdated = new Map<string, readonly string[]>();
  const required = new Set<string>();
  for (const node of inventory.nodes) {
    nodes.set(node.name, node);
    const components = outdatedComponents(node, campaign.target);
    outdated.set(node.name, components);
    if (node.state === 'up' && components.length > 0 && inScope(node, campaign.scope))
      required.add(node.name);
  }
  const isUp = (name: string) => nodes.get(name)?.state === 'up';

  const clustersOf = new Map<string, number[]>();
  const clusterBaseUp = inventory.clusters.map((cluster, c) => {
    const members = new Set(cluster.members);
    for (const member of members) push(clustersOf, member, c);
    return [...members].filter(isUp).length;
  });

  const sharedGroups: SharedGroup[] = [];
  const sharedOf = new Map<string, number[]>();
  for (const site of inventory.sites) {
    if (site.sharedServices.length === 0) continue;
    const members = inventory.nodes
      .filter((n) => siteOf(n) === site.name && site.sharedServices.some((s) => n.software[s] !== undefined))
      .map((n) => n.name);
    if (members.length === 0) continue;
    // A declared cluster holding all of them already guards their availability (with its own quorum).
    if (inventory.clusters.some((c) => members.every((m) => c.members.includes(m)))) continue;
    for (const member of members) push(sharedOf, member, sharedGroups.length);
    sharedGroups.push({ site: site.name, members, up: members.filter(isUp).length });
  }

  return { nodes, outdated, required, clustersOf, clusterBaseUp, sharedGroups, sharedOf };
}
