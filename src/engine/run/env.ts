/**
 * What the effects of a campaign run with: the host's adapters and clock, the engine's policy, and a
 * way to write log lines. Built once per engine by the runner.
 */
import type { Inventory } from '../../model/inventory.js';
import type { Adapters } from '../../ports/adapters.js';
import type { Clock } from '../../ports/clock.js';
import type { LogLevel } from '../../ports/logger.js';
import type { EnginePolicy } from '../policy.js';

/** The collaborators an effect may use. */
export interface RunEnv {
  /** The host's adapters, as given: a step's own work retries at the step's level. */
  readonly adapters: Adapters;
  /** The same adapters with every call retried by the engine's policy: for checks and probes. */
  readonly retried: Adapters;
  readonly clock: Clock;
  readonly policy: EnginePolicy;
  readonly refreshInventory?: ((current: Inventory, signal: AbortSignal) => Promise<Inventory>) | undefined;
  log(level: LogLevel, action: string, message: string, object?: string, code?: string): void;
}
