import { loadCampaign, loadInventory } from './src/loader/load.js';
import { createPlan } from './src/planner/create-plan.js';
const inventory = await loadInventory('examples/minimal/inventory.yaml');
const campaign = await loadCampaign('examples/minimal/campaign.yaml', { inventory });
const plan = createPlan(inventory, campaign);
for (const w of plan.waves) console.log(w.index, w.nodes, JSON.stringify(w.migrations), w.steps.filter(s=>s.kind==='migrate').map(s=>[s.id, s.after]));
