/** The `Clock` port: the engine never reads the time or waits except through it. */

/** Time and waiting. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal | undefined): Promise<void>;
}
