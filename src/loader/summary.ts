/** A short account of an inventory (and what a campaign would touch), for `escalator validate`. */

import type { Campaign } from '../model/campaign.js';
import type { Inventory, Role } from '../model/inventory.js';
import { upgradeScope } from '../model/scope.js';
import { assertCampaign, assertInventory } from './assert-parsed.js';

/** Counts that describe an inventory and, given a campaign, its upgrade scope. */
export interface InventorySummary {
  readonly name: string;
  /** Site name (or `default`) to role to node count. */
  readonly nodesBySite: Readonly<Record<string, Readonly<Partial<Record<Role, number>>>>>;
  readonly nodes: number;
  readonly instances: number;
  readonly serverGroups: number;
  readonly vnfs: number;
  readonly clusters: number;
  /** Nodes not `up`. */
  readonly nodesNotUp: number;
  /** With a campaign: nodes that will be upgraded. */
  readonly nodesToUpgrade?: number | undefined;
  /** With a campaign: in-scope nodes that need an upgrade but are not up (left alone). */
  readonly nodesSkipped?: readonly string[] | undefined;
}

/** Summarises an inventory; with a campaign, also how many nodes it upgrades. */
export function summarizeInventory(inventory: Inventory, campaign?: Campaign): InventorySummary {
  assertInventory(inventory);
  if (campaign !== undefined) assertCampaign(campaign);
  // A Map, not a plain object: a site named "__proto__" must not reach Object.prototype.
  const bySite = new Map<string, Partial<Record<Role, number>>>();
  for (const node of inventory.nodes) {
    const siteName = node.site ?? 'default';
    const site = bySite.get(siteName) ?? {};
    bySite.set(siteName, site);
    for (const role of node.roles) site[role] = (site[role] ?? 0) + 1;
  }
  const scope = campaign ? upgradeScope(inventory, campaign) : undefined;
  return {
    name: inventory.metadata.name,
    nodesBySite: Object.fromEntries(bySite),
    nodes: inventory.nodes.length,
    instances: inventory.instances.length,
    serverGroups: inventory.serverGroups.length,
    vnfs: inventory.vnfs.length,
    clusters: inventory.clusters.length,
    nodesNotUp: inventory.nodes.filter((n) => n.state !== 'up').length,
    nodesToUpgrade: scope?.upgrade.length,
    nodesSkipped: scope?.skipped.map((n) => n.name),
  };
}
