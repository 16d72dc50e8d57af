import { verifyPlan, verifyWaves } from '/work/main/src/checker/verify-plan.js';
import { CampaignSchema } from '/work/main/src/model/campaign.js';
import { InventorySchema } from '/work/main/src/model/inventory.js';
import { createPlan } from '/work/main/src/planner/create-plan.js';
import { generateCloud } from '/work/main/src/testing/synthetic-cloud.js';
const computes = Number(process.argv[2] ?? 1000);
const { inventory, campaign } = generateCloud({ computes, seed: 1 });
const inv = InventorySchema.parse(inventory);
const camp = CampaignSchema.parse(campaign);
const plan = createPlan(inv, camp);
const steps = plan.waves.reduce((a, w) => a + w.steps.length, 0);
for (let k = 0; k < 3; k++) {
  const t0 = performance.now(); verifyWaves(inv, camp, plan); const t1 = performance.now();
  const v = verifyPlan(inv, camp, plan); const t2 = performance.now();
  console.log({ computes, steps, wavesMs: Math.round(t1 - t0), fullMs: Math.round(t2 - t1), ok: v.ok });
}
console.log((globalThis as any).T);
