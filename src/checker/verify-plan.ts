/**
 * The plan checker: replays a plan wave by wave on its own copy of the placement (instance -> host)
 * and reports every way it breaks the meanings a valid escalator/v1 plan must keep (docs/formats.md).
 *
 * It is written independently of the planner, sharing only the campaign semantics of
 * `model/scope.ts` (which nodes are in scope, which components are outdated, what `maxParallel`
 * resolves to), so that a planner bug does not hide itself. It is pure and runs in time linear in
 * the size of the inventory and the plan: a plan for 10,000 computes and 120,000 instances is checked
 * in a fraction of a second.
 *
 * This module is the entry and the order in which rules run; each rule lives in `rules/` (one concern
 * a file), and the codes and the collector in `violations.ts`.
 *
 * Wave numbers in violations are positions in `plan.waves` (which equal `index` in a valid plan).
 * A node's wave, for the ordering rules, is the first wave that lists it.
 *
 * @module
 */
import { resolveCatalog } from '../catalog/catalog.js';
import { assertCampaign, assertInventory, assertPlan } from '../loader/assert-parsed.js';
import type { Campaign } from '../model/campaign.js';
import type { Catalog } from '../model/component.js';
import type { Inventory } from '../model/inventory.js';
import type { Plan } from '../model/plan.js';
import { resolveStrategy } from '../model/scope.js';
import { checkAvailability } from './rules/availability.js';
import { checkAffinity, checkAntiAffinity, checkCapacity } from './rules/capacity.js';
import { checkClusters, checkPrimaries, checkSharedServices } from './rules/clusters.js';
import { checkCoverage, checkMissing } from './rules/coverage.js';
import { buildIndex } from './rules/inventory-index.js';
import { checkMigrations } from './rules/migrations.js';
import { checkControllersFirst, checkDependencies, SiteOrder } from './rules/order.js';
import { Placement } from './rules/placement.js';
import { checkRecovery } from './rules/recovery.js';
import { StepRules } from './rules/steps.js';
import { WaveSize } from './rules/wave-size.js';
import { Findings, type PlanViolation, ViolationCode } from './violations.js';

// The codes and the violation shape are part of this entry's API; they live in violations.ts so the
// rules can use them without importing this module back.
export { MAX_VIOLATIONS_PER_CODE, type PlanViolation, ViolationCode } from './violations.js';

/** The result of {@link verifyPlan}. */
export interface PlanVerdict {
  /** True when the plan breaks no rule. */
  readonly ok: boolean;
  /**
   * The violations, ordered by wave (plan-wide ones last); at most
   * {@link MAX_VIOLATIONS_PER_CODE} of each code.
   */
  readonly violations: readonly PlanViolation[];
  /** How many violations of each code were found, including those not kept. */
  readonly counts: Readonly<Record<ViolationCode, number>>;
}

/**
 * Checks a plan against the inventory and campaign it was made for, and reports every violation,
 * each with a stable {@link ViolationCode}, its wave, the objects involved and a message.
 *
 * The rules: every up, in-scope node that needs an upgrade is in exactly one wave and no other node
 * is; waves respect `maxParallel` and the canary size; clusters keep `minAvailable` members up and
 * upgrade their primary last; a site's shared services keep one node up; server groups and VNFs
 * keep their `maxImpacted` / `minAvailable`; migrations start on a node of their wave at the
 * instance's current host, target an up compute outside the wave in the same site, use an allowed
 * mode, move an instance once per wave, respect batches, capacity and (anti-)affinity; sites go one
 * at a time when `siteOrder` is sequential; controllers precede computes of their site; and a node
 * comes after every node that upgrades a component its own components depend on. The engine runs
 * `waves[].steps` as written, so they are checked too: each acts only on its own wave's nodes (and
 * instances that stay on them) with a kind the node's roles allow; migrate steps match the declared
 * migrations one to one; every node has its upgrade, verification and (computes) disable, check-empty
 * and enable steps; versions are the campaign's; `after` names this wave's or earlier steps without a
 * cycle; each node's steps depend on its earlier ones in the order of a node's upgrade; a compute is
 * disabled only after the maintenance notices of the VNFs it holds (`notify`); and a wave's
 * `expectedSeconds` leaves room for the `recoverySeconds` between impacts on a server group's members.
 *
 * State that the plan does not touch is the inventory's problem, not the plan's: a cluster, server
 * group, VNF or shared-service group is only checked in waves that take one of its members down,
 * and capacity and anti-affinity only where a wave's migrations changed something.
 *
 * @param catalog - the component catalog; defaults to `resolveCatalog(campaign.components)`.
 * @example
 * ```ts
 * const verdict = verifyPlan(inventory, campaign, plan);
 * if (!verdict.ok) for (const v of verdict.violations) console.error(`${v.code} wave ${v.wave}: ${v.message}`);
 * ```
 */
export function verifyPlan(
  inventory: Inventory,
  campaign: Campaign,
  plan: Plan,
  catalog?: Catalog,
): PlanVerdict {
  return check(inventory, campaign, plan, catalog, true);
}

/**
 * {@link verifyPlan} without the rules on `waves[].steps`: for a planner's candidate plans, which
 * have waves, nodes and migrations but no steps yet (the planner writes the steps last). Never use
 * it on a plan that will run: the engine runs steps as written.
 *
 * @internal
 */
export function verifyWaves(
  inventory: Inventory,
  campaign: Campaign,
  plan: Plan,
  catalog?: Catalog,
): PlanVerdict {
  return check(inventory, campaign, plan, catalog, false);
}

function check(
  inventory: Inventory,
  campaign: Campaign,
  plan: Plan,
  catalog: Catalog | undefined,
  withSteps: boolean,
): PlanVerdict {
  assertInventory(inventory);
  assertCampaign(campaign);
  assertPlan(plan);
  const resolvedCatalog = catalog ?? resolveCatalog(campaign.components);
  // Resolved once here: every rule reads the same maxParallel.
  const strategy = resolveStrategy(inventory, campaign);
  const findings = new Findings();
  const index = buildIndex(inventory, campaign);
  const placement = new Placement(inventory);
  const firstWave = new Map<string, number>();
  const size = new WaveSize(findings, index, strategy);
  const sites = new SiteOrder(findings, strategy.siteOrder === 'sequential');
  const steps = withSteps ? new StepRules(findings, index, placement, campaign.target, plan) : undefined;

  // The order of the rules within a wave is the order of its violations in the verdict.
  plan.waves.forEach((wave, w) => {
    if (wave.index !== w)
      findings.add(ViolationCode.WaveIndex, w, [], `the wave at position ${w} has index ${wave.index}`);
    const members = checkCoverage(findings, index, wave.nodes, w, firstWave);
    size.wave(members, w);
    checkClusters(findings, inventory, index, members, w);
    checkSharedServices(findings, index, members, w);
    sites.wave(index, members, w);
    const resident = placement.startWave(members, w);
    const moved = checkMigrations(findings, placement, wave.migrations, w, strategy.instanceAction);
    checkCapacity(findings, placement, moved.receivers, w);
    checkAntiAffinity(findings, placement, moved.instances, w);
    checkAffinity(findings, placement, moved.instances, w);
    checkAvailability(findings, placement, resident, moved.instances, w);
    // After the migrations: a step's instances are judged where the wave leaves them.
    steps?.wave(wave, w, members);
    if (withSteps) checkRecovery(findings, placement, wave, w);
  });

  checkMissing(findings, index, firstWave);
  checkPrimaries(findings, inventory, firstWave);
  checkControllersFirst(findings, index, firstWave);
  checkDependencies(findings, inventory, index, resolvedCatalog, firstWave);

  const violations: PlanViolation[] = findings.kept
    .map((v, i) => ({ v, i }))
    .sort(
      (a, b) => (a.v.wave ?? Number.MAX_SAFE_INTEGER) - (b.v.wave ?? Number.MAX_SAFE_INTEGER) || a.i - b.i,
    )
    .map(({ v }) => v);
  return { ok: violations.length === 0, violations, counts: findings.counts };
}
