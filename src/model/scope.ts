/**
 * Campaign semantics over an inventory: which nodes a campaign touches (in scope, up, and running a
 * component whose version differs from the target), how their instances are treated, and the strategy
 * with its relative limits resolved to numbers. Pure; shared by the summary, the planner, the checker
 * and the engine, so it lives with the documents rather than in any one of them.
 */

import type { Campaign } from './campaign.js';
import type { Inventory, InventoryNode } from './inventory.js';
import { versionMatches } from './versions.js';

/** True when the node falls inside the campaign's scope (every given filter matches). */
export function inScope(node: InventoryNode, scope: Campaign['scope']): boolean {
  if (scope.sites && !(node.site !== undefined && scope.sites.includes(node.site))) return false;
  if (scope.zones && !(node.zone !== undefined && scope.zones.includes(node.zone))) return false;
  if (scope.roles && !node.roles.some((r) => scope.roles?.includes(r))) return false;
  if (scope.nodes && !scope.nodes.includes(node.name)) return false;
  return true;
}

/** The components of a node whose installed version differs from the campaign's target. */
export function outdatedComponents(node: InventoryNode, target: Campaign['target']): string[] {
  const out: string[] = [];
  for (const [component, version] of Object.entries(target.software)) {
    const installed = node.software[component];
    // An installed `2:27.1.0-1~deb12u1` is the target `27.1.0`: versions as distributions write them.
    if (installed !== undefined && !versionMatches(installed, version)) out.push(component);
  }
  return out;
}

/** The nodes a campaign must upgrade, and in-scope nodes that need it but are not up. */
export interface UpgradeScope {
  /** Up, in-scope nodes with at least one outdated component, in inventory order. */
  readonly upgrade: readonly InventoryNode[];
  /** In-scope nodes that need an upgrade but are down or in maintenance: left alone. */
  readonly skipped: readonly InventoryNode[];
}

/** Splits the inventory's nodes into those the campaign upgrades and those it must skip. */
export function upgradeScope(inventory: Inventory, campaign: Campaign): UpgradeScope {
  const upgrade: InventoryNode[] = [];
  const skipped: InventoryNode[] = [];
  for (const node of inventory.nodes) {
    if (!inScope(node, campaign.scope) || outdatedComponents(node, campaign.target).length === 0) continue;
    (node.state === 'up' ? upgrade : skipped).push(node);
  }
  return { upgrade, skipped };
}

/**
 * The most compute nodes one wave may take: `strategy.maxParallel` as a number, or as a percentage of
 * the in-scope compute nodes (rounded down, at least 1). Prefer `resolveStrategy`, which resolves
 * it once for everything that reads the strategy.
 */
export function resolveMaxParallel(inventory: Inventory, campaign: Campaign): number {
  const { maxParallel } = campaign.strategy;
  if (typeof maxParallel === 'number') return maxParallel;
  const computes = inventory.nodes.filter(
    (n) => n.roles.includes('compute') && inScope(n, campaign.scope),
  ).length;
  return Math.max(1, Math.floor((computes * Number.parseFloat(maxParallel)) / 100));
}

/**
 * A campaign's strategy with `maxParallel` resolved against the inventory to a number of nodes, so the
 * planners and the checker read one value instead of each turning a percentage into a count.
 */
export type ResolvedStrategy = Omit<Campaign['strategy'], 'maxParallel'> & {
  /** The most compute nodes one wave may take (see {@link resolveMaxParallel}). */
  readonly maxParallel: number;
};

/** The campaign's strategy with every limit that depends on the inventory resolved (see {@link ResolvedStrategy}). */
export function resolveStrategy(inventory: Inventory, campaign: Campaign): ResolvedStrategy {
  return { ...campaign.strategy, maxParallel: resolveMaxParallel(inventory, campaign) };
}

/**
 * How an instance is treated when its node is taken out of service: moved live, moved cold (down while
 * it moves), or left in place (down until the node is back).
 */
export function instanceTreatment(
  migration: 'live' | 'cold' | 'none',
  action: Campaign['strategy']['instanceAction'],
): 'live' | 'cold' | 'stay' {
  if (migration === 'none' || action === 'none' || action === 'stop-start') return 'stay';
  if (migration === 'cold' || action === 'cold-migrate') return 'cold';
  return 'live';
}
