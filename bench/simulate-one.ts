/**
 * One simulation benchmark in a fresh process: a seeded synthetic cloud of N computes, planned and run
 * on the simulated cloud; prints wall time, peak memory and simulated time as one JSON line.
 * Usage: tsx bench/simulate-one.ts <computes> [--journal] [--two-sites]
 * (--journal: a file journal in a temporary directory; --two-sites: two sites, 10% of instances that
 * cannot move, maxParallel 5%)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CampaignSchema } from '../src/model/campaign.js';
import { InventorySchema } from '../src/model/inventory.js';
import { simulateCampaign } from '../src/simulator/run.js';
import { generateCloud } from '../src/testing/synthetic-cloud.js';

const computes = Number(process.argv[2] ?? 100);
const twoSites = process.argv.includes('--two-sites');
const { inventory, campaign } = generateCloud({
  computes,
  seed: 3,
  ...(twoSites ? { sites: 2, unmovableShare: 0.1, maxParallel: '5%' } : {}),
});
const inv = InventorySchema.parse(inventory);
const camp = CampaignSchema.parse(campaign);
const journal = process.argv.includes('--journal')
  ? mkdtempSync(join(tmpdir(), 'escalator-bench-journal-'))
  : undefined;
const t0 = performance.now();
const result = await simulateCampaign({ inventory: inv, campaign: camp, seed: 1, journal });
if (journal) rmSync(journal, { recursive: true, force: true });
console.log(
  JSON.stringify({
    computes,
    journal: journal !== undefined,
    twoSites,
    nodes: inv.nodes.length,
    instances: inv.instances.length,
    state: result.outcome.state,
    wallSeconds: (performance.now() - t0) / 1000,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    simulatedHours: result.simulatedSeconds / 3600,
    steps: result.plan.waves.reduce((n, w) => n + w.steps.length, 0),
    vnfOutageSeconds: result.availability.vnfs.reduce((s, v) => s + v.downSeconds, 0),
    lostQuorums: result.availability.clusters.filter((c) => c.downSeconds > 0).length,
  }),
);
