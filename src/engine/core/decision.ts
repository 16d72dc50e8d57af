/**
 * The vocabulary of the engine's decisions: what `decide` is given (a context of values and one input)
 * and what it returns (records to journal, effects to start).
 */
import type { EscalatorError } from '../../errors.js';
import type { AuthorizationDecision, Principal } from '../../ports/authorizer.js';
import type { Command } from '../commands.js';
import type { NewRecord } from '../journal.js';
import type { EnginePolicy } from '../policy.js';
import type { Effect, Observation } from './effects.js';

/** What the core is given besides its state: values only, supplied by the runner. */
export interface DecideContext {
  /** The time to stamp records with (ISO): the runner reads its clock, the core never does. */
  readonly now: string;
  readonly policy: EnginePolicy;
  /** Whether the host can read a fresh inventory (needed to re-plan on drift). */
  readonly canRefresh: boolean;
}

/** One input of {@link decide}. */
export type Input =
  | {
      readonly type: 'command';
      readonly command: Command;
      readonly principal: Principal;
      /** The authorizer's answer, asked by the runner before deciding. */
      readonly authorization: AuthorizationDecision;
    }
  | { readonly type: 'observation'; readonly observation: Observation }
  | { readonly type: 'advance' };

/** What to do about an input. */
export interface Decision {
  /** Records to journal, in order, before anything else happens. */
  readonly records: readonly NewRecord[];
  /** Effects to start once the records are written. */
  readonly effects: readonly Effect[];
  /** Effects in flight to cancel: every one (an abort). */
  readonly cancel?: 'all' | undefined;
  /** Set when a command is refused; its records (a denied audit) are still written. */
  readonly refusal?: EscalatorError | undefined;
  /** Set when a command sets the engine driving the campaign. */
  readonly activate?: boolean | undefined;
}

/** The decision that changes nothing. */
export const NOTHING: Decision = Object.freeze({ records: [], effects: [] });
