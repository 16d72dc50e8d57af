/**
 * The planner's entry point: from an Inventory, a Campaign and the catalog to a Plan. Pure — no I/O,
 * no clock, no randomness: the same documents always give the same plan.
 */
import { resolveCatalog } from '../catalog/catalog.js';
import { InfeasiblePlanError } from '../errors.js';
import { assertCampaign, assertInventory } from '../loader/assert-parsed.js';
import type { Campaign } from '../model/campaign.js';
import { API_VERSION } from '../model/common.js';
import type { Catalog } from '../model/component.js';
import type { Inventory } from '../model/inventory.js';
import type { Plan, VnfImpact, Wave } from '../model/plan.js';
import { planExactly } from './exact.js';
import { buildPrecedence } from './precedence.js';
import { migrationSeconds, waveSteps } from './steps.js';
import { buildWaves, type WaveDraft } from './waves.js';
import { buildWorld, type World } from './world.js';

/** Options of {@link createPlan}. */
export interface PlanOptions {
  /**
   * The component catalog to plan with.
   * @defaultValue the built-in catalog with the campaign's `components` overrides
   */
  readonly catalog?: Catalog | undefined;
  /**
   * Index of the first wave (re-planning numbers the new waves after the finished ones).
   * @defaultValue 0
   */
  readonly firstWave?: number | undefined;
  /**
   * The canary already ran (re-planning): no wave is limited to the canary size.
   * @defaultValue false
   */
  readonly canaryDone?: boolean | undefined;
}

/**
 * Plans a campaign: dependency order, rolling waves that keep every cluster's quorum, every server
 * group's `maxImpacted` and every VNF's `minAvailable`, instance moves planned so each instance moves
 * once where capacity allows, and the steps of every wave with durations, verifications and undos.
 *
 * When the greedy wave builder finds no plan, a small problem (at most 6 planned nodes and 12
 * instances on them; see `exact.ts`) is searched exactly, so "no plan possible" there means none exists.
 *
 * @throws {@link InfeasiblePlanError} naming the constraint, the objects and a fix when no plan exists
 * (on a large problem: when the greedy found none; when the exact search ran out of its budget, the
 * message starts "no plan found (search limit reached)" instead of "no plan possible").
 * @example
 * ```ts
 * const plan = createPlan(inventory, campaign);
 * console.log(plan.totals?.waves, plan.totals?.migrations);
 * ```
 */
export function createPlan(inventory: Inventory, campaign: Campaign, options: PlanOptions = {}): Plan {
  assertInventory(inventory);
  assertCampaign(campaign);
  const catalog = options.catalog ?? resolveCatalog(campaign.components);
  const attempt = (computesPerWave?: number) => {
    const world = buildWorld(inventory, campaign, catalog);
    const precedence = buildPrecedence(world);
    const drafts = buildWaves(
      world,
      precedence,
      options.firstWave ?? 0,
      options.canaryDone ?? false,
      computesPerWave,
    );
    return { world, drafts };
  };
  let planned: ReturnType<typeof attempt> | undefined;
  try {
    planned = attempt();
  } catch (error) {
    if (!(error instanceof InfeasiblePlanError)) throw error;
    // Smaller waves need less spare room: before giving up, try one compute node at a time.
    if (error.detail.constraint === 'capacity')
      try {
        planned = attempt(1);
      } catch {
        // the exact search below, or the first error
      }
    // The greedy may miss a plan: on small problems, an exact search decides (see exact.ts).
    planned ??= planExactly(
      inventory,
      campaign,
      catalog,
      {
        firstWave: options.firstWave ?? 0,
        canaryDone: options.canaryDone ?? false,
        lowerBound: options.canaryDone ? undefined : lowerBoundWaves,
      },
      error,
    );
  }
  const { world, drafts } = planned;
  const waves: Wave[] = drafts.map((draft) => toWave(world, draft));
  const migrations = waves.reduce((s, w) => s + w.migrations.length, 0);
  return {
    apiVersion: API_VERSION,
    kind: 'Plan',
    metadata: {
      name: `${campaign.metadata.name}-plan`,
      inventory: inventory.metadata.name,
      campaign: campaign.metadata.name,
    },
    waves,
    totals: {
      waves: waves.length,
      nodes: waves.reduce((s, w) => s + w.nodes.length, 0),
      migrations,
      instancesToMove: world.instances.filter((i) => i.moves > 0).length,
      movedTwice: world.instances.filter((i) => i.moves > 1).length,
      estimatedSeconds: waves.reduce((s, w) => s + w.expectedSeconds, 0),
      lowerBoundWaves: lowerBoundWaves(world),
    },
    impact: vnfImpact(world, drafts, waves),
    skipped: world.nodes.filter((n) => !n.up && n.outdated.length > 0).map((n) => n.name),
  };
}

/** A wave of the plan from a draft: names, migrations and its steps. @internal */
export function toWave(world: World, draft: WaveDraft): Wave {
  const { steps, expectedSeconds } = waveSteps(world, draft);
  const site = sharedSite(draft);
  return {
    index: draft.index,
    nodes: draft.nodes.map((n) => n.name),
    migrations: draft.migrations.map((m) => ({
      instance: m.instance.name,
      from: m.from.name,
      to: m.to.name,
      mode: m.mode,
      batch: m.batch,
    })),
    steps,
    ...(site === undefined ? {} : { site }),
    canary: draft.canary,
    expectedSeconds,
  };
}

function sharedSite(draft: WaveDraft): string | undefined {
  const site = draft.nodes[0]?.site;
  return draft.nodes.every((n) => n.site === site) ? site : undefined;
}

function vnfImpact(world: World, drafts: WaveDraft[], waves: Wave[]): VnfImpact[] {
  const impact = world.vnfs.map((v) => ({
    vnf: v.name,
    instances: v.size,
    minAvailable: v.minAvailable,
    minRunning: v.size - v.alreadyDown,
    liveMigrations: 0,
    coldMigrations: 0,
    instanceDownSeconds: 0,
    outageSeconds: 0,
  }));
  drafts.forEach((draft, i) => {
    const seconds = waves[i]?.expectedSeconds ?? 0;
    const downPerVnf = new Map<number, number>();
    for (const inst of draft.down)
      if (inst.vnf >= 0) downPerVnf.set(inst.vnf, (downPerVnf.get(inst.vnf) ?? 0) + 1);
    for (const stays of draft.stays.values())
      for (const inst of stays) {
        const row = impact[inst.vnf];
        if (row) row.instanceDownSeconds += seconds;
      }
    for (const m of draft.migrations) {
      const row = impact[m.instance.vnf];
      if (!row) continue;
      if (m.mode === 'live') row.liveMigrations++;
      else {
        row.coldMigrations++;
        row.instanceDownSeconds += migrationSeconds(m);
      }
    }
    for (const [v, down] of downPerVnf) {
      const row = impact[v];
      const vnf = world.vnfs[v];
      if (!row || !vnf) continue;
      const running = vnf.size - vnf.alreadyDown - down;
      row.minRunning = Math.min(row.minRunning, running);
      if (running < vnf.minAvailable) row.outageSeconds += seconds;
    }
  });
  return impact.map((row) => ({ ...row, instanceDownSeconds: Math.round(row.instanceDownSeconds) }));
}

/**
 * A lower bound on the number of waves of any valid plan: per site, the waves the controllers' clusters
 * need, then the compute waves (canary, then maxParallel at a time); sites add up when sequential.
 * @internal
 */
export function lowerBoundWaves(world: World): number {
  const { strategy } = world.campaign;
  const maxParallel = world.strategy.maxParallel;
  const canary = Math.min(strategy.canary, maxParallel);
  const computeWaves = (count: number) =>
    count === 0 ? 0 : count <= canary ? 1 : 1 + Math.ceil((count - canary) / maxParallel);
  const clusterWaves = (c: World['clusters'][number]) => {
    const planned = c.members.filter((m) => world.nodes[m]?.planned);
    if (planned.length === 0 || c.budget < 1) return 0;
    const primaryPlanned = planned.includes(c.primary);
    return primaryPlanned
      ? Math.ceil((planned.length - 1) / c.budget) + 1
      : Math.ceil(planned.length / c.budget);
  };
  const perSite = new Map<string, SiteRow>();
  for (const n of world.nodes) {
    if (!n.planned) continue;
    const row = perSite.get(n.site) ?? { control: 0, computes: 0, other: 0, hci: false };
    if (n.isCompute && !n.roles.includes('controller')) row.computes++;
    if (n.isCompute && n.roles.includes('controller')) row.hci = true;
    if (n.roles.includes('controller')) row.control = Math.max(row.control, 1);
    perSite.set(n.site, row);
  }
  for (const c of world.clusters) {
    const site = world.nodes[c.members[0] ?? -1]?.site;
    const row = site === undefined ? undefined : perSite.get(site);
    if (!row) continue;
    const waves = clusterWaves(c);
    const controllers = c.members.some((m) => world.nodes[m]?.roles.includes('controller'));
    if (controllers) row.control = Math.max(row.control, waves);
    else row.other = Math.max(row.other, waves);
  }
  const rows = [...perSite.values()];
  const siteBound = (r: SiteRow, canary = false) =>
    Math.max(r.control + (canary ? computeWaves(r.computes) : Math.ceil(r.computes / maxParallel)), r.other);
  // The canary shrinks only the first compute wave of the campaign, whichever site it is in; it may
  // cost that site no wave at all (when the site's other clusters need more waves anyway, or when a
  // controller that is also a compute takes it).
  const extra = Math.min(
    ...rows
      .filter((r) => r.computes > 0 || r.hci)
      .map((r) => (r.hci ? 0 : siteBound(r, true) - siteBound(r))),
    Infinity,
  );
  const canaryWaves = Number.isFinite(extra) ? extra : 0;
  if (strategy.siteOrder === 'sequential') return rows.reduce((s, r) => s + siteBound(r), 0) + canaryWaves;
  // Side by side, each site's computes still wait for its own controllers, and all share maxParallel.
  const allComputes = rows.reduce((s, r) => s + r.computes, 0);
  return Math.max(computeWaves(allComputes), ...rows.map((r) => siteBound(r)), 0);
}

interface SiteRow {
  control: number;
  computes: number;
  other: number;
  /** A planned node is both a controller and a compute. */
  hci: boolean;
}
