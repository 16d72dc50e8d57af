import type { CampaignState } from '../engine/machine.js';

/** Process exit codes of the `escalator` command; scripts may rely on them. */
export const ExitCode = {
  /**
   * Done: documents valid, campaign completed. Also `resume` of a campaign that had already ended
   * completed (it says so and shows how it ended), so a script that retries `resume` after a crash
   * sees success whether or not the first try got to the end.
   */
  Ok: 0,
  /**
   * Invalid input: a document is invalid or the plan infeasible; a file is missing, unreadable,
   * binary or too large, or cannot be written (`--out`, `--report`); a fault names something the
   * inventory lacks; a journal directory already holds a simulation, holds none to resume, is in use
   * by another process, or is damaged (the message says when `--repair` helps).
   */
  Invalid: 1,
  /** Wrong command-line usage: an unknown option or command, a bad flag value (`--speed 0`). */
  Usage: 2,
  /** The campaign stopped in `paused` and waits for an operator. */
  Paused: 3,
  /** The campaign was rolled back (or restored). */
  RolledBack: 4,
  /** The campaign failed. */
  Failed: 5,
  /** An unexpected internal error: a bug (run with ESCALATOR_DEBUG=1 for its stack). */
  Internal: 70,
} as const;

/** The exit code of a campaign that rests in `state`. */
export function exitCodeOf(state: CampaignState): number {
  switch (state) {
    case 'completed':
    case 'committed':
      return ExitCode.Ok;
    case 'paused':
    case 'created':
      return ExitCode.Paused;
    case 'rolled-back':
    case 'restored':
      return ExitCode.RolledBack;
    default:
      return ExitCode.Failed;
  }
}
