/**
 * What the effects of a campaign run with: the host's adapters and clock, the engine's policy, and a
 * way to write log lines. Built once per engine by the runner.
 */
import type { Inventory } from '../../model/inventory.js';
import type { Adapters } from '../../ports/adapters.js';
import type { Clock } from '../../ports/clock.js';
import type { LogLevel } from '../../ports/logger.js';
import { type EnginePolicy, withRetry } from '../policy.js';

/** The collaborators an effect may use. */
export interface RunEnv {
  readonly adapters: Adapters;
  readonly clock: Clock;
  readonly policy: EnginePolicy;
  readonly refreshInventory?: ((current: Inventory, signal: AbortSignal) => Promise<Inventory>) | undefined;
  log(level: LogLevel, action: string, message: string, object?: string, code?: string): void;
}

/** Runs `fn` under the engine's retry policy: transient errors are tried again, backoff on the clock. */
export function retrying<T>(env: RunEnv, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  return withRetry(fn, env.policy.retry, env.clock, { signal });
}
