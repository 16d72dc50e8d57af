import { loadCampaign, loadInventory } from './src/loader/load.js';
import { simulateCampaign } from './src/simulator/run.js';
const dir = process.argv[2] ?? 'ha';
const p = Number(process.argv[3] ?? 0.05);
const inventory = await loadInventory(`/work/main/examples/${dir}/inventory.yaml`);
const campaign = await loadCampaign(`/work/main/examples/${dir}/campaign.yaml`, { inventory });
const out: Record<string, number> = {};
for (let seed = 1; seed <= 20; seed++) {
  const r = await simulateCampaign({ inventory, campaign: { ...campaign, strategy: { ...campaign.strategy, approveAfterWaves: [] } }, seed, faults: [{ kind: 'api-error', error: '5xx', probability: p }] });
  const key = `${r.outcome.state}${r.outcome.state === 'completed' ? '' : `: ${(r.outcome.reason ?? '').slice(0, 90)}`}`;
  out[key] = (out[key] ?? 0) + 1;
}
console.log(JSON.stringify(out, null, 1));
