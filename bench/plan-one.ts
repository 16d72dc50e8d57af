/**
 * One benchmark case in a fresh process (so peak memory is its own): generate a seeded synthetic
 * cloud, plan it, check the plan, and print one JSON line of figures.
 * Usage: tsx bench/plan-one.ts <computes> [seed] [--two-sites] (two sites, 10% of instances that cannot
 * move, maxParallel 5%)
 */
import { verifyPlan } from '../src/checker/verify-plan.js';
import { CampaignSchema } from '../src/model/campaign.js';
import { InventorySchema } from '../src/model/inventory.js';
import { createPlan } from '../src/planner/create-plan.js';
import { generateCloud } from '../src/testing/synthetic-cloud.js';
import { jsonLines } from '../src/util/json-lines.js';

const computes = Number(process.argv[2] ?? 100);
const seed = Number(process.argv[3]?.startsWith('--') ? 1 : (process.argv[3] ?? 1));
const twoSites = process.argv.includes('--two-sites');
const { inventory, campaign } = generateCloud({
  computes,
  seed,
  ...(twoSites ? { sites: 2, unmovableShare: 0.1, maxParallel: '5%' } : {}),
});
const inv = InventorySchema.parse(inventory);
const camp = CampaignSchema.parse(campaign);
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
const plan = createPlan(inv, camp);
const t1 = performance.now();
const verdict = verifyPlan(inv, camp, plan);
const t2 = performance.now();
// What `escalator plan --format json` writes, line by line.
let jsonBytes = 0;
for (const line of jsonLines(plan, 4)) jsonBytes += Buffer.byteLength(line) + 1;
const t3 = performance.now();
const firstComputeWave = plan.waves.find((w) => w.canary);
const firstFullWave = plan.waves[(firstComputeWave?.index ?? 0) + 1];
console.log(
  JSON.stringify({
    computes,
    twoSites,
    nodes: inv.nodes.length,
    instances: inv.instances.length,
    planMs: t1 - t0,
    checkMs: t2 - t1,
    jsonMB: jsonBytes / 1e6,
    jsonMs: t3 - t2,
    steps: plan.waves.reduce((n, w) => n + w.steps.length, 0),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    planHeapMiB: (process.memoryUsage().rss - rssBefore) / 2 ** 20,
    waves: plan.totals?.waves,
    lowerBound: plan.totals?.lowerBoundWaves,
    migrations: plan.totals?.migrations,
    mustMove: plan.totals?.instancesToMove,
    movedTwice: plan.totals?.movedTwice,
    firstWavesMoves: (firstComputeWave?.migrations.length ?? 0) + (firstFullWave?.migrations.length ?? 0),
    violations: verdict.violations.length,
  }),
);
