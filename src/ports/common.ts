/** What every port method accepts: a signal to cancel it. */
export interface CallOptions {
  /** Aborts the call; the adapter stops what it does and rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}
