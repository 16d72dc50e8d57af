/** The `escalator` command line: one commander program, a module per command. */
import { Command, CommanderError } from 'commander';
import { ErrorCode, EscalatorError } from '../errors.js';
import { registerCampaignCommands } from './commands/campaigns.js';
import { registerImport } from './commands/import.js';
import { registerPlan } from './commands/plan.js';
import { registerPrecheck } from './commands/precheck.js';
import { registerServe } from './commands/serve.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStates } from './commands/states.js';
import { registerValidate } from './commands/validate.js';
import { ExitCode } from './exit-codes.js';
import { type Io, OutputFileError, processIo, UsageError } from './io.js';

const VERSION = '0.1.0';

/** Builds the program; commands write through `io`. */
export function createProgram(io: Io = processIo()): Command {
  const program = new Command('escalator')
    .description('Plan and carry out smooth upgrades of NFV clouds (OpenStack VIM and NFVI).')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();
  registerValidate(program, io);
  registerPlan(program, io);
  registerSimulate(program, io);
  registerStates(program, io);
  registerServe(program, io);
  registerImport(program, io);
  registerPrecheck(program, io);
  registerCampaignCommands(program, io);
  return program;
}

/**
 * Errors about what the user gave — documents, files, directories, option values, a journal that is
 * damaged or in use — exit with 1 ("invalid input"); other Escalator errors mean the campaign failed
 * (5); anything else is a bug (70).
 */
const INVALID_INPUT: ReadonlySet<string> = new Set([
  ErrorCode.InvalidDocument,
  ErrorCode.FileUnreadable,
  ErrorCode.DependencyCycle,
  ErrorCode.Infeasible,
  ErrorCode.InvalidOption,
  ErrorCode.JournalCorrupt,
  ErrorCode.Locked,
  // A command the campaign's state does not allow, or the operator may not give.
  ErrorCode.IllegalTransition,
  ErrorCode.Forbidden,
  ErrorCode.WindowClosed,
]);

/** Maps an error to an exit code and a message on standard error. */
export function reportError(error: unknown, io: Io): void {
  if (error instanceof CommanderError) {
    io.exitCode(error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage);
    return;
  }
  if (EscalatorError.is(error)) {
    io.err(error.message);
    io.exitCode(INVALID_INPUT.has(error.code) ? ExitCode.Invalid : ExitCode.Failed);
    return;
  }
  if (error instanceof UsageError) {
    io.err(`error: ${error.message}`);
    io.exitCode(ExitCode.Usage);
    return;
  }
  if (error instanceof OutputFileError) {
    io.err(`error: ${error.message}`);
    io.exitCode(ExitCode.Invalid);
    return;
  }
  // Anything else is a bug or an environment problem: say it plainly; the stack only when asked for.
  const debug = process.env.ESCALATOR_DEBUG === '1';
  io.err(
    `error: ${error instanceof Error ? (debug ? (error.stack ?? error.message) : error.message) : String(error)}`,
  );
  if (!debug) io.err('(set ESCALATOR_DEBUG=1 to see where it came from)');
  io.exitCode(ExitCode.Internal);
}

/** Runs the program on the given arguments (without `node` and the script). */
export async function runCli(argv: readonly string[], io: Io = processIo()): Promise<void> {
  try {
    await createProgram(io).parseAsync([...argv], { from: 'user' });
  } catch (error) {
    reportError(error, io);
  }
}
