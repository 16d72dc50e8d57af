/** Process exit codes of the `escalator` command; scripts may rely on them. */
export const ExitCode = {
  /** Done: documents valid, campaign completed. */
  Ok: 0,
  /** A document is invalid, or the plan is infeasible. */
  Invalid: 1,
  /** Wrong command-line usage. */
  Usage: 2,
  /** The campaign stopped in `paused` and waits for an operator. */
  Paused: 3,
  /** The campaign was rolled back (or restored). */
  RolledBack: 4,
  /** The campaign failed. */
  Failed: 5,
  /** An unexpected internal error. */
  Internal: 70,
} as const;
