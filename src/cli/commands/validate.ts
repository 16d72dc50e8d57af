/** `escalator validate`: check an inventory (and a campaign) and summarise them. */
import type { Command } from 'commander';
import { loadCampaign, loadInventory } from '../../loader/load.js';
import { summarizeInventory } from '../../model/summary.js';
import { ExitCode } from '../exit-codes.js';
import { table } from '../format.js';
import type { Io } from '../io.js';

/** Adds the `validate` command to the program. */
export function registerValidate(program: Command, io: Io): void {
  program
    .command('validate')
    .description('check an inventory, and optionally a campaign against it, and summarise them')
    .argument('<inventory>', 'inventory file (YAML or JSON)')
    .argument('[campaign]', 'campaign file (YAML or JSON)')
    .option('--json', 'print the summary as JSON')
    .action(async (inventoryFile: string, campaignFile: string | undefined, options: { json?: boolean }) => {
      const inventory = await loadInventory(inventoryFile);
      const campaign = campaignFile ? await loadCampaign(campaignFile, { inventory }) : undefined;
      const summary = summarizeInventory(inventory, campaign);
      if (options.json) {
        io.out(JSON.stringify({ ok: true, summary }, null, 2));
        return;
      }
      const roles = ['controller', 'compute', 'network', 'storage'] as const;
      io.out(`${inventoryFile}: valid Inventory "${summary.name}"`);
      if (campaignFile && campaign) io.out(`${campaignFile}: valid Campaign "${campaign.metadata.name}"`);
      io.out('');
      io.out(
        table(
          ['site', ...roles],
          Object.entries(summary.nodesBySite).map(([site, counts]) => [
            site,
            ...roles.map((r) => counts[r] ?? 0),
          ]),
        ),
      );
      io.out('');
      io.out(
        `${summary.nodes} nodes (${summary.nodesNotUp} not up), ${summary.instances} instances, ` +
          `${summary.serverGroups} server groups, ${summary.vnfs} VNFs, ${summary.clusters} clusters`,
      );
      if (summary.nodesToUpgrade !== undefined) {
        io.out(`${summary.nodesToUpgrade} nodes need an upgrade`);
        if (summary.nodesSkipped?.length)
          io.out(
            `${summary.nodesSkipped.length} in scope but not up, left alone: ${summary.nodesSkipped.join(', ')}`,
          );
      }
      io.exitCode(ExitCode.Ok);
    });
}
