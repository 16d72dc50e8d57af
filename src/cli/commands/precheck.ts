/**
 * `escalator precheck <inventory> <campaign>`: the engine's prechecks against the configured backend's
 * live cloud — compute services up, no critical alarm, nodes reachable and healthy, spare capacity —
 * changing nothing. Prints the report; exits 0 when every check passed, 5 when one did not.
 */
import { setMaxListeners } from 'node:events';
import type { Command } from 'commander';
import { resolveCatalog } from '../../catalog/catalog.js';
import { runPrechecks } from '../../engine/prechecks.js';
import { loadCampaign, loadInventory } from '../../loader/load.js';
import { createPlan } from '../../planner/create-plan.js';
import { textTable } from '../../planner/render.js';
import { ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { withWorkspace } from './campaigns.js';

/** Adds `precheck` to the program. */
export function registerPrecheck(program: Command, io: Io): void {
  program
    .command('precheck')
    .description("check the live cloud against a campaign's plan before running it (changes nothing)")
    .argument('<inventory>', 'inventory file (YAML or JSON)')
    .argument('<campaign>', 'campaign file (YAML or JSON)')
    .option('-c, --config <file>', 'the configuration file (default: ./escalator.yaml when present)')
    .option('--json', 'print the report as JSON')
    .action((inventoryFile: string, campaignFile: string, flags: { config?: string; json?: boolean }) =>
      withWorkspace(flags.config, async (ws) => {
        const inventory = await loadInventory(inventoryFile);
        const campaign = await loadCampaign(campaignFile, { inventory });
        const plan = createPlan(inventory, campaign);
        const backend = await ws.probe(inventory);
        const controller = new AbortController();
        setMaxListeners(0, controller.signal); // one listener per call in flight
        const stop = () => controller.abort(new Error('interrupted'));
        process.once('SIGINT', stop);
        try {
          const report = await runPrechecks(
            backend.adapters,
            inventory,
            plan,
            resolveCatalog(campaign.components),
            controller.signal,
          );
          if (flags.json) io.out(JSON.stringify(report, null, 2));
          else {
            io.out(`Prechecks of ${campaign.metadata.name} on the ${ws.settings.backend}:`);
            io.out(
              textTable(
                ['check', 'result', 'detail'],
                report.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', c.detail ?? '']),
              ),
            );
            if (report.unhealthyNodes.length > 0)
              io.out(
                `Unhealthy nodes (leave them out of scope to go ahead without them): ${report.unhealthyNodes.join(', ')}`,
              );
          }
          io.exitCode(report.ok ? ExitCode.Ok : ExitCode.Failed);
        } finally {
          process.off('SIGINT', stop);
          await backend.close?.();
        }
      }),
    );
}
