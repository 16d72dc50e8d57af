/** `escalator plan`: build the plan of a campaign, check it independently, and show or save it. */
import { type Command, Option } from 'commander';
import { verifyPlan } from '../../checker/verify-plan.js';
import { loadCampaign, loadInventory } from '../../loader/load.js';
import { createPlan } from '../../planner/create-plan.js';
import { planDot, planMermaid, planTable } from '../../planner/render.js';
import { jsonLines } from '../../util/json-lines.js';
import { ExitCode } from '../exit-codes.js';
import { type Io, writeOutputLines } from '../io.js';
import { printViolations } from './validate.js';

const FORMATS = ['table', 'json', 'dot', 'mermaid'] as const;

/** Adds the `plan` command to the program. */
export function registerPlan(program: Command, io: Io): void {
  program
    .command('plan')
    .description('plan a campaign: waves, migrations and steps; the plan is checked before it is shown')
    .argument('<inventory>', 'inventory file (YAML or JSON)')
    .argument('<campaign>', 'campaign file (YAML or JSON)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('table'))
    .option('-o, --out <file>', 'write to this file instead of standard output')
    .action(
      async (
        inventoryFile: string,
        campaignFile: string,
        options: { format: (typeof FORMATS)[number]; out?: string },
      ) => {
        const inventory = await loadInventory(inventoryFile);
        const campaign = await loadCampaign(campaignFile, { inventory });
        const plan = createPlan(inventory, campaign);
        const verdict = verifyPlan(inventory, campaign, plan);
        if (!verdict.ok) {
          printViolations(io, verdict);
          io.exitCode(ExitCode.Internal); // the planner broke an invariant: a bug, never the user's fault
          return;
        }
        const summary = `${plan.waves.length} waves, ${plan.totals?.migrations ?? 0} migrations`;
        // JSON goes out line by line: a plan of 10,000 computes is longer than one string may be.
        const lines: Iterable<string> =
          options.format === 'json'
            ? jsonLines(plan, 4)
            : [
                options.format === 'dot'
                  ? planDot(plan)
                  : options.format === 'mermaid'
                    ? planMermaid(plan)
                    : planTable(plan),
              ];
        if (options.out) {
          await writeOutputLines(options.out, lines);
          io.out(`plan written to ${options.out} (${summary})`);
        } else for (const line of lines) io.out(line);
        io.exitCode(ExitCode.Ok);
      },
    );
}
