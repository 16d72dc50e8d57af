/** `escalator validate`: check an inventory (and a campaign) and summarise them. */
import type { Command } from 'commander';
import { type PlanVerdict, verifyPlan } from '../../checker/verify-plan.js';
import { loadCampaign, loadInventory, loadPlan } from '../../loader/load.js';
import { summarizeInventory } from '../../loader/summary.js';
import { textTable as table } from '../../planner/render.js';
import { ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';

/** Adds the `validate` command to the program. */
export function registerValidate(program: Command, io: Io): void {
  program
    .command('validate')
    .description('check an inventory, and optionally a campaign against it, and summarise them')
    .argument('<inventory>', 'inventory file (YAML or JSON)')
    .argument('[campaign]', 'campaign file (YAML or JSON)')
    .option('--plan <file>', 'also check this plan (from `escalator plan --format json`) against both')
    .option('--json', 'print the summary as JSON')
    .action(
      async (
        inventoryFile: string,
        campaignFile: string | undefined,
        options: { json?: boolean; plan?: string },
      ) => {
        const inventory = await loadInventory(inventoryFile);
        const campaign = campaignFile ? await loadCampaign(campaignFile, { inventory }) : undefined;
        if (options.plan && !campaign) {
          io.err(
            '--plan needs the campaign file too: escalator validate <inventory> <campaign> --plan <file>',
          );
          io.exitCode(ExitCode.Usage);
          return;
        }
        const verdict =
          options.plan && campaign
            ? verifyPlan(inventory, campaign, await loadPlan(options.plan))
            : undefined;
        const summary = summarizeInventory(inventory, campaign);
        if (options.json) {
          io.out(
            JSON.stringify(
              { ok: verdict?.ok ?? true, summary, violations: verdict?.violations ?? [] },
              null,
              2,
            ),
          );
          io.exitCode(verdict && !verdict.ok ? ExitCode.Invalid : ExitCode.Ok);
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
        if (verdict) {
          if (verdict.ok) io.out(`${options.plan}: valid Plan, no invariant broken`);
          else printViolations(io, verdict);
        }
        io.exitCode(verdict && !verdict.ok ? ExitCode.Invalid : ExitCode.Ok);
      },
    );
}

/** Prints a plan checker's violations on standard error, one per line. */
export function printViolations(io: Io, verdict: PlanVerdict): void {
  io.err(`the plan breaks ${verdict.violations.length} invariant(s):`);
  for (const v of verdict.violations.slice(0, 50))
    io.err(`  ${v.wave === undefined ? '' : `wave ${v.wave}: `}${v.code}: ${v.message}`);
  if (verdict.violations.length > 50) io.err(`  … and ${verdict.violations.length - 50} more`);
}
