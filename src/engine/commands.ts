/**
 * What an engine is told from outside: an operator's commands and the notifications of the VIM, node
 * agents and VNF managers. Plain data, so that a command can be journaled, sent over HTTP, or replayed.
 */
import type { Action } from '../ports/authorizer.js';
import type { MaintenanceReply } from '../ports/vnf-manager.js';
import type { Alarm } from './journal.js';

/** Something from outside: the VIM, a node agent or a VNF manager telling the engine of an event. */
export type Notification =
  | { readonly type: 'maintenance-reply'; readonly notice: string; readonly reply: MaintenanceReply }
  | {
      readonly type: 'alarm';
      readonly severity: Alarm['severity'];
      readonly object: string;
      readonly message: string;
    }
  | {
      readonly type: 'node-event';
      readonly node: string;
      readonly event: 'down' | 'up';
      readonly message?: string | undefined;
    };

/**
 * An operator's command to a campaign. `pause` and `rollback` sent while steps run take effect at the
 * next safe point (running steps end, no new one starts); the request is journaled, so a crash keeps it.
 *
 * @example
 * ```ts
 * import type { Command } from 'escalator';
 * const pause: Command = { type: 'pause', reason: 'change window closes' };
 * ```
 */
export type Command =
  /** Leave `created`: prechecks, backups, then the waves. */
  | { readonly type: 'start'; readonly finishBy?: string | undefined }
  /** Go on from a pause or a failure (failed steps run again), or after a crash. */
  | { readonly type: 'resume'; readonly finishBy?: string | undefined }
  /**
   * Pass the approval gate the campaign waits at. With `hold`, only record the approval: the campaign
   * stays paused and goes on past the gate at its next `resume` (an approval given while no process
   * runs the campaign, e.g. `escalator approve` between two `escalator run`s).
   */
  | { readonly type: 'approve'; readonly finishBy?: string | undefined; readonly hold?: boolean | undefined }
  /**
   * Give up on one step of a resting campaign (failed, timed out, or not yet run): it counts as done,
   * so the steps after it may run. An operator's judgement, audited; a node's `check-empty` cannot be
   * skipped (its node would go down with instances on it).
   */
  | { readonly type: 'skip'; readonly step: string; readonly reason?: string | undefined }
  /** Rest at the next safe point. */
  | { readonly type: 'pause'; readonly reason?: string | undefined }
  /** Stop at once: running steps are cancelled and the campaign fails. */
  | { readonly type: 'abort'; readonly reason?: string | undefined }
  /** Undo what was done, in reverse order (at the next safe point when steps run). */
  | { readonly type: 'rollback'; readonly reason?: string | undefined }
  /** Reload the backups taken before the changes. */
  | { readonly type: 'restore' }
  /** Accept a completed campaign for good. */
  | { readonly type: 'commit' }
  /** Hand the engine a notification from outside. */
  | { readonly type: 'notify'; readonly notification: Notification };

/**
 * `finishBy` on `start`, `resume` or `approve`: the end of this maintenance window (ISO time), which
 * replaces `strategy.finishBy` from then on. A command whose next wave cannot finish before it is
 * refused (`WindowClosedError`); between waves, a campaign pauses with a `window-closing` alarm when
 * the next wave would not fit.
 */
export type WindowCommand = Extract<Command, { finishBy?: string | undefined }>;

/** The kinds of {@link Command}. */
export type CommandType = Command['type'];

/** The authorizer's action each command is checked as. */
export const COMMAND_ACTION: Readonly<Record<CommandType, Action>> = {
  start: 'start',
  resume: 'resume',
  approve: 'approve',
  skip: 'skip',
  pause: 'pause',
  abort: 'abort',
  rollback: 'rollback',
  restore: 'restore',
  commit: 'commit',
  notify: 'notify',
};
