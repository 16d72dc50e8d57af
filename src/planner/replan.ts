/**
 * Re-planning mid-campaign: when the cloud changed (a node died, instances appeared), the remaining
 * work is planned again on a fresh inventory, keeping the waves already done as they were.
 */
import { assertCampaign, assertInventory, assertPlan } from '../loader/assert-parsed.js';
import type { Campaign } from '../model/campaign.js';
import type { Inventory } from '../model/inventory.js';
import type { Plan } from '../model/plan.js';
import { createPlan, type PlanOptions } from './create-plan.js';

/** What is already done. */
export interface PlanProgress {
  /** Indices of the waves that finished. Waves are done in order, so these are 0..k. */
  readonly wavesDone: readonly number[];
}

/**
 * Plans the rest of a campaign on a fresh inventory. Nodes of finished waves count as upgraded (their
 * software is set to the target, whatever the fresh inventory says); the new waves are numbered after
 * the last finished one, so step ids stay unique across the campaign.
 * @throws {@link InfeasiblePlanError} when the rest cannot be planned on the cloud as it is now.
 */
export function replan(
  plan: Plan,
  progress: PlanProgress,
  freshInventory: Inventory,
  campaign: Campaign,
  options: PlanOptions = {},
): Plan {
  assertPlan(plan);
  assertInventory(freshInventory);
  assertCampaign(campaign);
  const done = plan.waves.filter((w) => progress.wavesDone.includes(w.index));
  const upgraded = new Set(done.flatMap((w) => w.nodes));
  const inventory: Inventory = {
    ...freshInventory,
    nodes: freshInventory.nodes.map((n) =>
      upgraded.has(n.name)
        ? {
            ...n,
            software: Object.fromEntries(
              Object.entries(n.software).map(([c, v]) => [c, campaign.target.software[c] ?? v]),
            ),
          }
        : n,
    ),
  };
  const rest = createPlan(inventory, campaign, {
    ...options,
    firstWave: done.length,
    canaryDone: done.some((w) => w.canary),
  });
  const waves = [...done, ...rest.waves];
  return {
    ...rest,
    waves,
    totals: rest.totals && {
      ...rest.totals,
      waves: waves.length,
      nodes: waves.reduce((s, w) => s + w.nodes.length, 0),
      migrations: waves.reduce((s, w) => s + w.migrations.length, 0),
      estimatedSeconds: waves.reduce((s, w) => s + w.expectedSeconds, 0),
    },
  };
}
