/**
 * The campaign's and the steps' state machines as data: every allowed transition is a row of a table,
 * anything else is an {@link IllegalTransitionError}. Pure; drawable as Mermaid or Graphviz.
 */
import { IllegalTransitionError } from '../errors.js';

/** States of a campaign. */
export const CAMPAIGN_STATES = [
  'created',
  'prechecking',
  'backing-up',
  'executing',
  'paused',
  'verifying',
  'completed',
  'committed',
  'failed',
  'rolling-back',
  'rolled-back',
  'restoring',
  'restored',
] as const;
/** See {@link CAMPAIGN_STATES}. */
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

/** Events that move a campaign. */
export type CampaignEvent =
  | 'start'
  | 'prechecks-passed'
  | 'prechecks-failed'
  | 'backup-done'
  | 'backup-failed'
  | 'pause'
  | 'resume'
  | 'waves-done'
  | 'verified'
  | 'verification-failed'
  | 'commit'
  | 'fail'
  | 'abort'
  | 'rollback'
  | 'rolled-back'
  | 'undo-failed'
  | 'restore'
  | 'restored'
  | 'restore-failed'
  | 'recheck';

/** Every allowed campaign transition: state → event → next state. */
export const CAMPAIGN_TRANSITIONS: Readonly<
  Record<CampaignState, Readonly<Partial<Record<CampaignEvent, CampaignState>>>>
> = {
  created: { start: 'prechecking', abort: 'failed' },
  prechecking: { 'prechecks-passed': 'backing-up', 'prechecks-failed': 'failed', abort: 'failed' },
  'backing-up': { 'backup-done': 'executing', 'backup-failed': 'failed', abort: 'failed' },
  executing: {
    pause: 'paused',
    'waves-done': 'verifying',
    fail: 'failed',
    abort: 'failed',
    rollback: 'rolling-back',
  },
  paused: { resume: 'executing', abort: 'failed', rollback: 'rolling-back' },
  verifying: {
    verified: 'completed',
    'verification-failed': 'failed',
    abort: 'failed',
    rollback: 'rolling-back',
  },
  completed: { commit: 'committed', rollback: 'rolling-back' },
  committed: {},
  // A campaign that failed before any change goes back through prechecks and backups (recheck).
  failed: { rollback: 'rolling-back', restore: 'restoring', resume: 'executing', recheck: 'prechecking' },
  'rolling-back': { 'rolled-back': 'rolled-back', 'undo-failed': 'restoring', abort: 'failed' },
  'rolled-back': { restore: 'restoring' },
  restoring: { restored: 'restored', 'restore-failed': 'failed' },
  restored: {},
};

/** States in which the engine is not working and waits for an operator (or is done). */
export const RESTING_STATES: ReadonlySet<CampaignState> = new Set([
  'created',
  'paused',
  'completed',
  'committed',
  'failed',
  'rolled-back',
  'restored',
]);

/** States that end a campaign for good. */
export const FINAL_STATES: ReadonlySet<CampaignState> = new Set(['committed', 'restored']);

/** States of a step. */
export const STEP_STATES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'timed-out',
  'undone',
] as const;
/** See {@link STEP_STATES}. */
export type StepState = (typeof STEP_STATES)[number];

/** Events that move a step. */
export type StepEvent = 'start' | 'succeed' | 'fail' | 'time-out' | 'skip' | 'retry' | 'undo' | 'recheck';

/** Every allowed step transition. `recheck` re-enters `running` after a crash, to ask "already done?". */
export const STEP_TRANSITIONS: Readonly<Record<StepState, Readonly<Partial<Record<StepEvent, StepState>>>>> =
  {
    pending: { start: 'running', skip: 'skipped' },
    running: { succeed: 'succeeded', fail: 'failed', 'time-out': 'timed-out', recheck: 'running' },
    succeeded: { undo: 'undone' },
    failed: { retry: 'running', skip: 'skipped', undo: 'undone' },
    'timed-out': { retry: 'running', skip: 'skipped', undo: 'undone' },
    skipped: {},
    undone: {},
  };

/**
 * The campaign's next state, or an {@link IllegalTransitionError}.
 * @example
 * ```ts
 * campaignTransition('executing', 'pause'); // 'paused'
 * ```
 */
export function campaignTransition(state: CampaignState, event: CampaignEvent): CampaignState {
  const next = CAMPAIGN_TRANSITIONS[state][event];
  if (next === undefined) throw new IllegalTransitionError('campaign', state, event);
  return next;
}

/** The step's next state, or an {@link IllegalTransitionError}. */
export function stepTransition(state: StepState, event: StepEvent): StepState {
  const next = STEP_TRANSITIONS[state][event];
  if (next === undefined) throw new IllegalTransitionError('step', state, event);
  return next;
}

/** Draws a transition table as a Mermaid state diagram. */
export function machineMermaid(which: 'campaign' | 'step'): string {
  const table: Readonly<Record<string, Readonly<Partial<Record<string, string>>>>> =
    which === 'campaign' ? CAMPAIGN_TRANSITIONS : STEP_TRANSITIONS;
  const id = (s: string) => s.replace(/-/g, '_');
  const lines = ['stateDiagram-v2', `  [*] --> ${which === 'campaign' ? 'created' : 'pending'}`];
  for (const [from, events] of Object.entries(table))
    for (const [event, to] of Object.entries(events))
      if (to) lines.push(`  ${id(from)} --> ${id(to)}: ${event}`);
  for (const [from, events] of Object.entries(table))
    if (Object.keys(events).length === 0) lines.push(`  ${id(from)} --> [*]`);
  return lines.join('\n');
}

/** Draws a transition table as Graphviz. */
export function machineDot(which: 'campaign' | 'step'): string {
  const table: Readonly<Record<string, Readonly<Partial<Record<string, string>>>>> =
    which === 'campaign' ? CAMPAIGN_TRANSITIONS : STEP_TRANSITIONS;
  const lines = [`digraph ${which} {`, '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  for (const [from, events] of Object.entries(table))
    for (const [event, to] of Object.entries(events))
      if (to) lines.push(`  "${from}" -> "${to}" [label="${event}"];`);
  lines.push('}');
  return lines.join('\n');
}
