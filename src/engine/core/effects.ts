/**
 * The engine core's vocabulary with the world: effects it asks the runner to perform, and the
 * observations the runner feeds back when they end. Plain data, so the core stays testable without
 * clocks, adapters or fakes.
 */
import { EscalatorError } from '../../errors.js';
import type { Inventory } from '../../model/inventory.js';
import type { Step } from '../../model/plan.js';
import type { BackupRef } from '../../ports/node-agent.js';
import type { MaintenanceReply } from '../../ports/vnf-manager.js';
import type { PrecheckReport } from '../journal.js';
import type { RetryPolicy } from '../policy.js';

/** A short, stable description of an error, as journaled. */
export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
}

/**
 * Work the core asks for. Each has a `key` naming it while it is in flight: the core never asks twice
 * for the same key, and counts running steps and moving server groups from the keys in flight.
 */
export type Effect =
  /** Check the live cloud before any change. Ends in `prechecked`. */
  | { readonly type: 'precheck'; readonly key: 'precheck' }
  /** Back up a clustered data store's databases once, before any change. Ends in `backed-up`. */
  | {
      readonly type: 'backup';
      readonly key: string;
      readonly label: string;
      readonly node: string;
      readonly software: Readonly<Record<string, string>>;
      readonly databases: readonly string[];
    }
  /** Compare the live cloud with what the plan expects before a wave. Ends in `drift-checked`. */
  | { readonly type: 'check-drift'; readonly key: string; readonly wave: number }
  /** Read a fresh inventory to re-plan the rest. Ends in `inventory-refreshed`. */
  | {
      readonly type: 'refresh-inventory';
      readonly key: string;
      readonly wave: number;
      readonly reason: string;
    }
  /** Gather the facts a step journals before it starts (e.g. the boot id). Ends in `step-prepared`. */
  | { readonly type: 'prepare-step'; readonly key: string; readonly step: Step; readonly wave: number }
  /**
   * Run a step under its policy: retries, a hang alarm after `hangMs` (`step-hang`), cancelled after
   * `timeoutMs`. Ends in `step-ended`.
   */
  | {
      readonly type: 'run-step';
      readonly key: string;
      readonly step: Step;
      readonly wave: number;
      readonly data: Readonly<Record<string, string>> | undefined;
      readonly timeoutMs: number;
      /** Undefined when no hang alarm is wanted. */
      readonly hangMs: number | undefined;
      readonly retry: RetryPolicy;
      /**
       * When the step's run started (ISO, its journaled `startedAt`): the timeout and the hang alarm
       * count from there, so a step re-run after a crash gets what was left of them, not a fresh one.
       */
      readonly startedAt: string;
      /**
       * Attempts of the retry policy the run had made before a crash (0 for a fresh run): the interrupted
       * one is run again as that same attempt, and only the rest of the budget follows.
       */
      readonly attemptsMade: number;
    }
  /** Ask the world whether a step a crash left running already took effect. Ends in `step-probed`. */
  | {
      readonly type: 'probe-step';
      readonly key: string;
      readonly step: Step;
      readonly wave: number;
      readonly data: Readonly<Record<string, string>> | undefined;
    }
  /** Test a wave's nodes: target versions installed, services up. Ends in `wave-verified`. */
  | { readonly type: 'verify-wave'; readonly key: string; readonly wave: number }
  /** Test the whole campaign after the last wave. Ends in `campaign-verified`. */
  | { readonly type: 'verify-campaign'; readonly key: 'verify-campaign' }
  /** Undo one step during graceful rollback. Ends in `step-undone` or `undo-failed`. */
  | { readonly type: 'undo-step'; readonly key: string; readonly step: Step; readonly wave: number }
  /** Wake the core at `until` (ISO): a server group's recovery time is over. Ends in `waited`. */
  | { readonly type: 'wait'; readonly key: string; readonly until: string }
  /** Reload every backup, newest first. Ends in `restored`. */
  | { readonly type: 'restore'; readonly key: 'restore' }
  /** Hand a VNF manager's answer to the step waiting for it (no key: nothing to wait for). */
  | {
      readonly type: 'deliver-reply';
      readonly key?: undefined;
      readonly notice: string;
      readonly reply: MaintenanceReply;
    };

/**
 * What the runner saw when an effect ended (or, for `step-hang`, while it runs). Any effect may also
 * end in `effect-failed` (an error its policy could not absorb) or `effect-cancelled` (an abort).
 */
export type Observation =
  | { readonly type: 'prechecked'; readonly report: PrecheckReport }
  | { readonly type: 'backed-up'; readonly label: string; readonly backup: BackupRef }
  | { readonly type: 'drift-checked'; readonly wave: number; readonly problems: string | undefined }
  | {
      readonly type: 'inventory-refreshed';
      readonly wave: number;
      readonly inventory: Inventory;
      readonly reason: string;
    }
  | {
      readonly type: 'step-prepared';
      readonly step: string;
      readonly data: Readonly<Record<string, string>> | undefined;
    }
  | { readonly type: 'step-probed'; readonly step: string; readonly done: boolean }
  /** A step's retry policy starts another attempt (2 for the first retry): journaled, so a crash keeps the count. */
  | { readonly type: 'step-attempt'; readonly step: string; readonly attempt: number }
  | {
      readonly type: 'step-hang';
      readonly step: string;
      readonly expectedSeconds: number;
      readonly factor: number;
    }
  | {
      readonly type: 'step-ended';
      readonly step: string;
      readonly outcome: 'succeeded' | 'failed' | 'timed-out';
      readonly error?: ErrorInfo | undefined;
      /** A backup the step took, to journal. */
      readonly backup?: BackupRef | undefined;
    }
  | { readonly type: 'wave-verified'; readonly wave: number; readonly problems: string | undefined }
  | { readonly type: 'campaign-verified'; readonly problems: string | undefined }
  | { readonly type: 'step-undone'; readonly step: string }
  | { readonly type: 'undo-failed'; readonly step: string; readonly error: ErrorInfo }
  | { readonly type: 'restored'; readonly count: number }
  | { readonly type: 'waited'; readonly key: string }
  | { readonly type: 'effect-failed'; readonly key: string; readonly error: ErrorInfo }
  | { readonly type: 'effect-cancelled'; readonly key: string };

/** A short, stable description of an error for the journal: its code (with an adapter's reason) and message. */
export function describeError(error: unknown): ErrorInfo {
  if (EscalatorError.is(error)) {
    const reason = (error as { reason?: unknown }).reason;
    return {
      code: typeof reason === 'string' ? `${error.code}:${reason}` : error.code,
      message: error.message,
    };
  }
  if (error instanceof Error) return { code: 'ESC_INTERNAL', message: error.message };
  return { code: 'ESC_INTERNAL', message: String(error) };
}
