import { CampaignSchema } from './src/model/campaign.js';
import { InventorySchema } from './src/model/inventory.js';
import { createPlan } from './src/planner/create-plan.js';
import { generateCloud } from './src/testing/synthetic-cloud.js';
const { inventory, campaign } = generateCloud({ computes: 4000, seed: 1 });
const plan = createPlan(InventorySchema.parse(inventory), CampaignSchema.parse(campaign));
let refs = 0, steps = 0; const byKind = new Map<string, number>();
for (const w of plan.waves) for (const s of w.steps) { steps++; refs += s.after.length; byKind.set(s.kind, (byKind.get(s.kind) ?? 0) + s.after.length); }
console.log({ steps, refs, byKind });
