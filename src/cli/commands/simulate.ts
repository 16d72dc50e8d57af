/**
 * `escalator simulate` (the main job): run a whole campaign on the built-in simulated cloud and show
 * what end users would have felt; `escalator resume --journal DIR` finishes one that was killed.
 */
import { type Command, Option } from 'commander';
import { ErrorCode, EscalatorError } from '../../errors.js';
import { loadCampaign, loadInventory } from '../../loader/load.js';
import { formatDuration } from '../../planner/render.js';
import { type Fault, loadFaultScenario, parseFaultFlag } from '../../simulator/faults.js';
import { renderHtmlReport } from '../../simulator/html-report.js';
import {
  resumeSimulation,
  type SimulationResult,
  type SimulationStrategy,
  simulateCampaign,
} from '../../simulator/run.js';
import { renderComparison, renderTextReport } from '../../simulator/text-report.js';
import { ExitCode, exitCodeOf } from '../exit-codes.js';
import { type Io, UsageError, writeOutputFile } from '../io.js';
import { followProgress } from '../progress.js';
import { control, withWorkspace } from './campaigns.js';

interface SimulateFlags {
  faults?: string;
  fault: string[];
  seed: string;
  report?: string;
  json?: boolean;
  strategy: SimulationStrategy;
  compare?: boolean;
  speed?: string;
  journal?: string;
}

/** A numeric flag; `--speed` must be above 0 (time that never moves is no speed), others ≥ 0. */
function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (flag === '--speed' && !(Number.isFinite(n) && n > 0))
    throw new UsageError(`--speed expects a number above 0 (e.g. 10), got "${value}"`);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} expects a number, got "${value}"`);
  return n;
}

async function finish(
  io: Io,
  results: SimulationResult[],
  flags: { json?: boolean; report?: string },
): Promise<void> {
  const [main, other] = results;
  if (!main) return;
  if (flags.json) io.out(JSON.stringify(results.length === 1 ? main : results, null, 2));
  else {
    if (main.alreadyEnded)
      io.out(
        `\nThe campaign had already ended (${main.outcome.state}): nothing to resume; this is how it ended.`,
      );
    io.out('');
    io.out(other ? renderComparison(main, other) : renderTextReport(main));
  }
  if (flags.report) {
    await writeOutputFile(flags.report, renderHtmlReport(results));
    if (!flags.json) io.out(`\nreport written to ${flags.report}`);
  }
  io.exitCode(exitCodeOf(main.outcome.state));
}

/** Adds `simulate` and `resume` to the program. */
export function registerSimulate(program: Command, io: Io): void {
  program
    .command('simulate')
    .description(
      'run a whole campaign on the built-in simulated cloud and report what end users would have felt',
    )
    .argument('<inventory>', 'inventory file (YAML or JSON)')
    .argument('<campaign>', 'campaign file (YAML or JSON)')
    .option('--faults <file>', 'a fault scenario file (YAML or JSON: { faults: [...] })')
    .option(
      '--fault <kind:target>',
      'inject a fault, e.g. node-no-return:cmp-03 (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--seed <n>', 'seed of every random draw', '1')
    .addOption(
      new Option('--strategy <name>', 'how to plan').choices(['escalator', 'naive']).default('escalator'),
    )
    .option('--compare', 'also run the naive strategy on the same cloud and seed, and compare')
    .option('--report <file>', 'write a self-contained HTML report')
    .option('--json', 'print the result as JSON instead of text')
    .option('--speed <n>', 'run simulated time N times faster than real time (default: as fast as possible)')
    .option(
      '--journal <dir>',
      'keep the journal and the simulated cloud here, so `escalator resume` can finish a killed run',
    )
    .action(async (inventoryFile: string, campaignFile: string, flags: SimulateFlags) => {
      const inventory = await loadInventory(inventoryFile);
      const campaign = await loadCampaign(campaignFile, { inventory });
      const faults: Fault[] = [
        ...(flags.faults ? await loadFaultScenario(flags.faults, inventory) : []),
        ...flags.fault.map((flag) => parseFaultFlag(flag, inventory)),
      ];
      const seed = number(flags.seed, '--seed') ?? 1;
      const speed = number(flags.speed, '--speed');
      if (flags.compare && flags.journal)
        throw new UsageError('--compare and --journal cannot be used together');
      const strategies: SimulationStrategy[] = flags.compare ? ['escalator', 'naive'] : [flags.strategy];
      if (!flags.json)
        io.out(
          `Simulating campaign "${campaign.metadata.name}" on "${inventory.metadata.name}": ${inventory.nodes.length} nodes, ` +
            `${inventory.instances.length} instances, ${inventory.vnfs.length} VNFs; seed ${seed}` +
            `${faults.length ? `, ${faults.length} fault(s) injected` : ''}.`,
        );
      const results: SimulationResult[] = [];
      for (const strategy of strategies) {
        const result = await simulateCampaign({
          inventory,
          campaign,
          strategy,
          seed,
          faults,
          speed,
          journal: flags.journal,
          onEngine: (engine, plan, clock) => {
            if (flags.json) return;
            const t = plan.totals;
            io.out(
              `\n${strategy === 'naive' ? 'Naive strategy (fixed batches in inventory order, scheduler picks targets)' : 'Escalator plan'}: ` +
                `${plan.waves.length} waves, ${t?.migrations ?? 0} migrations, expected ${formatDuration(t?.estimatedSeconds ?? 0)}`,
            );
            stopAtEnd.push(followProgress(engine, plan, clock, io, strategies.length > 1 ? strategy : ''));
          },
        });
        for (const stop of stopAtEnd.splice(0)) stop();
        results.push(result);
      }
      await finish(io, results, flags);
    });

  program
    .command('resume')
    .description(
      'go on with campaign ID from a pause or a failure (failed steps run again), or finish a simulation kept with --journal',
    )
    .argument('[id]', "the campaign's id (escalator status lists them); runs it here when no process does")
    .option('--journal <dir>', 'the directory given to `simulate --journal`')
    .option('-c, --config <file>', 'the configuration file (default: ./escalator.yaml when present)')
    .option('--repair', 'first drop a journal record torn by the kill (resume reports one if there is)')
    .option('--report <file>', 'write a self-contained HTML report')
    .option('--json', 'print the result as JSON instead of text')
    .option('--speed <n>', 'run simulated time N times faster than real time')
    .option(
      '--break-lock',
      'take the campaign over from the process that holds its lock (only if it certainly is not running; logged)',
    )
    .action(
      async (
        id: string | undefined,
        flags: {
          journal?: string;
          config?: string;
          repair?: boolean;
          report?: string;
          json?: boolean;
          speed?: string;
          breakLock?: boolean;
        },
      ) => {
        if (flags.journal === undefined) {
          if (id === undefined)
            throw new UsageError('resume needs a campaign id, or --journal DIR for a kept simulation');
          await withWorkspace(flags.config, (ws) => control(ws, id, { type: 'resume' }, flags, io));
          return;
        }
        if (id !== undefined) throw new UsageError('give either a campaign id or --journal DIR, not both');
        if (!flags.json) io.out(`Resuming the simulated campaign kept in ${flags.journal}`);
        let result: SimulationResult;
        try {
          result = await resumeSimulation(flags.journal, {
            speed: number(flags.speed, '--speed'),
            repair: flags.repair,
            breakLock: flags.breakLock,
            onLockTakeover: (takeover) =>
              io.err(
                `escalator: took the lock of ${flags.journal} over from ${takeover.holder} ` +
                  `(${takeover.reason === 'broken' ? '--break-lock' : takeover.reason})`,
              ),
            onEngine: (engine, plan, clock) => {
              if (!flags.json) stopAtEnd.push(followProgress(engine, plan, clock, io));
            },
          });
        } catch (error) {
          for (const stop of stopAtEnd.splice(0)) stop();
          // A refusal (held lock, damaged journal) is an answer, not a crash: one line with its code.
          if (!EscalatorError.is(error) || !REFUSALS.has(error.code)) throw error;
          io.err(`escalator: ${error.message.replaceAll('\n', ' ')} [${error.code}]`);
          io.exitCode(ExitCode.Invalid);
          return;
        }
        for (const stop of stopAtEnd.splice(0)) stop();
        await finish(io, [result], flags);
      },
    );
}

const stopAtEnd: (() => void)[] = [];

/** Why `resume` refuses to go on, reported as one line and exit code 1. */
const REFUSALS: ReadonlySet<string> = new Set([ErrorCode.Locked, ErrorCode.JournalCorrupt]);
