/**
 * The engine's decisions, as a pure function: given the core state and one input — an operator's
 * command, an observation of the world, or `advance` ("records were applied: what next?") — it returns
 * the journal records to write and the effects to start. It reads no clock, calls no adapter and
 * mutates nothing the caller can see (indexes it reads are caches of the state).
 *
 * The runner applies the records (`evolve`), starts the effects, and asks `advance` again until there
 * is nothing more to do; observations of the effects come back through here.
 */
import { advance } from './advance.js';
import type { DecideContext, Decision, Input } from './decision.js';
import { onCommand } from './on-command.js';
import { onObservation } from './on-observation.js';
import type { CoreState } from './state.js';

export type { DecideContext, Decision, Input } from './decision.js';

/**
 * Decides what an input means for the campaign.
 *
 * @example
 * ```ts
 * import { createCore, decide, evolve, DEFAULT_POLICY, type CampaignSnapshot, type Principal } from 'escalator';
 * declare const snapshot: CampaignSnapshot;
 * declare const operator: Principal;
 * const core = createCore(snapshot);
 * const ctx = { now: new Date(0).toISOString(), policy: DEFAULT_POLICY, canRefresh: false };
 * const start = decide(core, { type: 'command', command: { type: 'start' }, principal: operator,
 *   authorization: { allowed: true, reason: 'operator' } }, ctx);
 * // start.records: the audit and the transition created → prechecking; nothing runs yet
 * ```
 */
export function decide(core: CoreState, input: Input, ctx: DecideContext): Decision {
  switch (input.type) {
    case 'command':
      return onCommand(core, input.command, input.principal, input.authorization, ctx);
    case 'observation':
      return onObservation(core, input.observation, ctx);
    case 'advance':
      return advance(core, ctx);
  }
}
