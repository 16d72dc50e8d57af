/** `escalator states`: draw the campaign's or the steps' state machine. */
import { type Command, Option } from 'commander';
import { machineDot, machineMermaid } from '../../engine/machine.js';
import type { Io } from '../io.js';

/** Adds `states` to the program. */
export function registerStates(program: Command, io: Io): void {
  program
    .command('states')
    .description("draw the campaign's (or a step's) state machine")
    .addOption(
      new Option('--machine <which>', 'which machine').choices(['campaign', 'step']).default('campaign'),
    )
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(['mermaid', 'dot']).default('mermaid'),
    )
    .action((flags: { machine: 'campaign' | 'step'; format: 'mermaid' | 'dot' }) => {
      io.out(flags.format === 'dot' ? machineDot(flags.machine) : machineMermaid(flags.machine));
    });
}
