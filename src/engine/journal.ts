/**
 * The journal's records and the pure reducer that folds them into the campaign's state. The journal is
 * the campaign's only state: the engine appends a record before it treats a transition as done, and
 * resuming after a crash is replaying the records.
 */
import { JournalCorruptError } from '../errors.js';
import type { Campaign } from '../model/campaign.js';
import type { Inventory } from '../model/inventory.js';
import type { Plan } from '../model/plan.js';
import type { Action, Principal } from '../ports/authorizer.js';
import type { BackupRef } from '../ports/node-agent.js';
import type { JournalEntry } from '../ports/state-store.js';
import {
  type CampaignEvent,
  type CampaignState,
  campaignTransition,
  RESTING_STATES,
  type StepEvent,
  type StepState,
  stepTransition,
} from './machine.js';

/** An alarm raised during the campaign. */
export interface Alarm {
  /** Stable code: `step-hang`, `step-failed`, `plan-stale`, `vim-alarm`, `wave-verification`... */
  readonly code: string;
  readonly severity: 'critical' | 'major' | 'minor' | 'warning';
  /** The object concerned: a step id, node, instance, VNF. */
  readonly object: string;
  readonly message: string;
  /** ISO time. */
  readonly at: string;
  /** When what it said was over (ISO time); absent while it stands. */
  readonly clearedAt?: string | undefined;
}

/** One check of the prechecks. */
export interface PrecheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /** Nodes found unhealthy by this check. */
  readonly nodes: readonly string[];
}

/** What the prechecks found. */
export interface PrecheckReport {
  readonly ok: boolean;
  readonly checks: readonly PrecheckResult[];
  /** Nodes that failed a check: candidates to exclude from the scope. */
  readonly unhealthyNodes: readonly string[];
}

/** Each kind of journal record. `at` is an ISO time from the engine's clock. */
export type JournalRecord =
  | {
      readonly seq: number;
      readonly type: 'created';
      readonly at: string;
      readonly campaignId: string;
      readonly inventory: Inventory;
      readonly campaign: Campaign;
      readonly plan: Plan;
    }
  | {
      readonly seq: number;
      readonly type: 'campaign';
      readonly at: string;
      readonly event: CampaignEvent;
      readonly from: CampaignState;
      readonly to: CampaignState;
      readonly reason?: string | undefined;
    }
  | {
      readonly seq: number;
      readonly type: 'step';
      readonly at: string;
      readonly step: string;
      readonly event: StepEvent;
      readonly from: StepState;
      readonly to: StepState;
      readonly error?: { readonly code: string; readonly message: string } | undefined;
      /** Facts a re-check after a crash needs (e.g. the boot id before a reboot). */
      readonly data?: Readonly<Record<string, string>> | undefined;
    }
  | {
      readonly seq: number;
      readonly type: 'wave';
      readonly at: string;
      readonly wave: number;
      readonly event: 'started' | 'verified' | 'approved';
    }
  | {
      readonly seq: number;
      readonly type: 'audit';
      readonly at: string;
      readonly principal: Principal;
      readonly action: Action;
      readonly allowed: boolean;
      readonly reason: string;
      /** How many denials the record stands for (repeated ones are coalesced); 1 when absent. */
      readonly count?: number | undefined;
    }
  | {
      readonly seq: number;
      readonly type: 'backup';
      readonly at: string;
      readonly step: string;
      readonly backup: BackupRef;
    }
  | {
      readonly seq: number;
      readonly type: 'attempt';
      readonly at: string;
      readonly step: string;
      /**
       * The attempt of the running step's retry policy that starts now (2 for the first retry; the
       * step's start is attempt 1). Journaled so that a step resumed after a crash goes on with what is
       * left of its retry budget instead of a fresh one.
       */
      readonly attempt: number;
    }
  | { readonly seq: number; readonly type: 'alarm'; readonly at: string; readonly alarm: Alarm }
  /** What an alarm said is over (a hung step ended): the alarm stays, with its `clearedAt`. */
  | {
      readonly seq: number;
      readonly type: 'alarm-cleared';
      readonly at: string;
      readonly code: string;
      readonly object: string;
    }
  | { readonly seq: number; readonly type: 'precheck'; readonly at: string; readonly report: PrecheckReport }
  | {
      readonly seq: number;
      readonly type: 'request';
      readonly at: string;
      /**
       * An operator's (or a policy's) intent that takes effect at the next safe point: pause or roll
       * back once the running steps have ended; retry these failed steps. Journaled so a crash keeps it.
       */
      readonly request: 'pause' | 'rollback' | 'retry' | 'window';
      readonly reason?: string | undefined;
      /** For `retry`: the failed steps to run again. */
      readonly steps?: readonly string[] | undefined;
      /** For `window`: the new end of the maintenance window (ISO), replacing `strategy.finishBy`. */
      readonly finishBy?: string | undefined;
    }
  | {
      readonly seq: number;
      readonly type: 'replan';
      readonly at: string;
      readonly plan: Plan;
      /** The wave before which the plan was re-planned (a campaign re-plans once per wave). */
      readonly wave?: number | undefined;
      /** The fresh inventory the plan was made on; later drift checks compare the cloud with it. */
      readonly inventory?: Inventory | undefined;
      readonly reason: string;
    }
  | {
      readonly seq: number;
      readonly type: 'snapshot';
      readonly at: string;
      readonly state: CampaignSnapshot;
    };

/** A record before the engine numbered it. */
export type NewRecord = JournalRecord extends infer R
  ? R extends JournalRecord
    ? Omit<R, 'seq'>
    : never
  : never;

/** What is known of one step. */
export interface StepRecord {
  readonly state: StepState;
  /** How many times the step was started (`start`, and an operator's `retry`). */
  readonly attempts: number;
  /**
   * Attempts of its retry policy begun in the current run, as the `attempt` records told (absent until
   * a first retry: 1); a run resumed after a crash goes on from here.
   */
  readonly runAttempts?: number | undefined;
  /** When the current run started (`start` or `retry`); a run resumed after a crash keeps it. */
  readonly startedAt?: string | undefined;
  readonly endedAt?: string | undefined;
  readonly error?: { readonly code: string; readonly message: string } | undefined;
  readonly data?: Readonly<Record<string, string>> | undefined;
}

/** Intents waiting for a safe point; cleared when the campaign comes to rest. */
export interface PendingRequests {
  /** Pause once the running steps have ended; the reason the campaign will rest with. */
  readonly pause?: string | undefined;
  /** Roll back once the running steps have ended. */
  readonly rollback?: string | undefined;
  /** Failed steps an operator asked to run again. */
  readonly retry: readonly string[];
}

/** The campaign's state: the fold of its journal. */
export interface CampaignSnapshot {
  readonly id: string;
  readonly seq: number;
  readonly state: CampaignState;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly inventory: Inventory;
  readonly campaign: Campaign;
  readonly plan: Plan;
  readonly steps: Readonly<Record<string, StepRecord>>;
  /** Step ids in the order they succeeded: graceful rollback undoes them in reverse. */
  readonly completionOrder: readonly string[];
  /** Waves whose drift check passed and whose steps may run. */
  readonly wavesStarted: readonly number[];
  /** When each wave started and was verified (ISO): observed durations correct the plan's estimates. */
  readonly waveTimes: Readonly<Record<number, { readonly started?: string; readonly verified?: string }>>;
  /** The end of the maintenance window in force: `strategy.finishBy`, or the one given on a later start. */
  readonly finishBy?: string | undefined;
  /** Waves whose steps all finished and whose verification passed. */
  readonly wavesDone: readonly number[];
  readonly wavesApproved: readonly number[];
  readonly backups: readonly BackupRef[];
  readonly alarms: readonly Alarm[];
  readonly audit: readonly Extract<JournalRecord, { type: 'audit' }>[];
  readonly failures: number;
  readonly requests: PendingRequests;
  /** The wave before which the plan was last re-planned. */
  readonly replannedAt?: number | undefined;
  readonly precheck?: PrecheckReport | undefined;
  /** Why the campaign is paused or failed. */
  readonly reason?: string | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };
type Draft = Mutable<CampaignSnapshot> & {
  waveTimes: CampaignSnapshot['waveTimes'];
  steps: Record<string, StepRecord>;
  requests: { pause?: string | undefined; rollback?: string | undefined; retry: string[] };
};

const NO_REQUESTS: PendingRequests = Object.freeze({ retry: Object.freeze([]) as readonly string[] });

/**
 * Applies one record to the state, in place (a campaign of 10,000 nodes has hundreds of thousands of
 * records: copying the state per record would be quadratic). Returns the state, or a new one for
 * `created` and `snapshot` records. Throws when the record does not fit (a transition the machine does
 * not allow, a step that does not exist): a journal that does that is corrupt.
 */
export function applyRecord(current: CampaignSnapshot | undefined, record: JournalRecord): CampaignSnapshot {
  // Snapshots written before a field existed get its empty value.
  if (record.type === 'snapshot') {
    const state: Partial<CampaignSnapshot> & CampaignSnapshot = structuredClone(record.state);
    return {
      ...state,
      wavesStarted: state.wavesStarted ?? [],
      waveTimes: state.waveTimes ?? {},
      requests: state.requests ?? { retry: [] },
    };
  }
  if (record.type === 'created') {
    if (current) throw new Error('a second "created" record');
    const steps: Record<string, StepRecord> = {};
    for (const wave of record.plan.waves)
      for (const s of wave.steps) steps[s.id] = { state: 'pending', attempts: 0 };
    return {
      id: record.campaignId,
      seq: record.seq,
      state: 'created',
      createdAt: record.at,
      updatedAt: record.at,
      inventory: record.inventory,
      campaign: record.campaign,
      plan: record.plan,
      steps,
      completionOrder: [],
      wavesStarted: [],
      waveTimes: {},
      finishBy: record.campaign.strategy?.finishBy, // hand-built journals may lack a strategy
      wavesDone: [],
      wavesApproved: [],
      backups: [],
      alarms: [],
      audit: [],
      failures: 0,
      requests: NO_REQUESTS,
    };
  }
  if (!current) throw new Error(`a "${record.type}" record before "created"`);
  const state = current as Draft;
  state.seq = record.seq;
  state.updatedAt = record.at;
  switch (record.type) {
    case 'campaign': {
      if (record.from !== state.state)
        throw new Error(`campaign is "${state.state}", record says "${record.from}"`);
      const to = campaignTransition(record.from, record.event);
      if (to !== record.to) throw new Error(`"${record.event}" leads to "${to}", record says "${record.to}"`);
      state.state = to;
      state.reason = record.reason;
      // At rest, what was asked for has happened (or no longer applies).
      if (RESTING_STATES.has(to)) state.requests = { retry: [] };
      break;
    }
    case 'step': {
      const step = state.steps[record.step];
      if (!step) throw new Error(`unknown step "${record.step}"`);
      if (record.from !== step.state)
        throw new Error(`step ${record.step} is "${step.state}", record says "${record.from}"`);
      const to = stepTransition(record.from, record.event);
      if (to !== record.to)
        throw new Error(`step "${record.event}" leads to "${to}", record says "${record.to}"`);
      const starting = record.event === 'start' || record.event === 'retry';
      state.steps[record.step] = {
        state: to,
        attempts: step.attempts + (starting ? 1 : 0),
        // A new run starts with its first attempt (absent: 1); a re-check after a crash keeps the count.
        runAttempts: starting ? undefined : step.runAttempts,
        startedAt: starting ? record.at : step.startedAt,
        endedAt: to === 'running' ? undefined : record.at,
        error: record.error,
        data: record.data ?? step.data,
      };
      if (record.event === 'retry' && state.requests.retry.includes(record.step))
        state.requests = { ...state.requests, retry: state.requests.retry.filter((s) => s !== record.step) };
      if (to === 'succeeded') state.completionOrder.push(record.step);
      if ((to === 'failed' || to === 'timed-out') && record.event !== 'undo') state.failures++;
      break;
    }
    case 'wave':
      if (record.event === 'started') state.wavesStarted.push(record.wave);
      if (record.event === 'verified') state.wavesDone.push(record.wave);
      if (record.event !== 'approved')
        state.waveTimes = {
          ...state.waveTimes,
          [record.wave]: { ...state.waveTimes[record.wave], [record.event]: record.at },
        };
      if (record.event === 'approved') state.wavesApproved.push(record.wave);
      break;
    case 'audit':
      state.audit.push(record);
      break;
    case 'backup':
      state.backups.push(record.backup);
      break;
    case 'attempt': {
      const step = state.steps[record.step];
      if (!step) throw new Error(`unknown step "${record.step}"`);
      if (step.state !== 'running')
        throw new Error(`attempt of step ${record.step}, which is "${step.state}"`);
      state.steps[record.step] = { ...step, runAttempts: record.attempt };
      break;
    }
    case 'alarm':
      state.alarms.push(record.alarm);
      break;
    case 'alarm-cleared': {
      const i = state.alarms.findIndex(
        (a) => a.code === record.code && a.object === record.object && a.clearedAt === undefined,
      );
      if (i >= 0) state.alarms[i] = { ...(state.alarms[i] as Alarm), clearedAt: record.at };
      break;
    }
    case 'precheck':
      state.precheck = record.report;
      break;
    case 'request':
      state.requests = {
        ...state.requests,
        ...(record.request === 'pause' ? { pause: state.requests.pause ?? record.reason ?? 'paused' } : {}),
        ...(record.request === 'rollback'
          ? { rollback: state.requests.rollback ?? record.reason ?? 'rollback requested' }
          : {}),
        ...(record.request === 'retry' ? { retry: [...(record.steps ?? [])] } : {}),
      };
      if (record.request === 'window') state.finishBy = record.finishBy;
      break;
    case 'replan': {
      // Steps already known keep their history; the new plan's new steps start pending.
      const steps: Record<string, StepRecord> = {};
      for (const wave of record.plan.waves)
        for (const s of wave.steps) steps[s.id] = state.steps[s.id] ?? { state: 'pending', attempts: 0 };
      state.plan = record.plan;
      state.steps = steps;
      if (record.wave !== undefined) state.replannedAt = record.wave;
      if (record.inventory) state.inventory = record.inventory;
      break;
    }
  }
  return state;
}

/**
 * Folds a whole journal into the campaign's state.
 * @throws {@link JournalCorruptError} when a record does not fit the ones before it.
 */
export function replay(campaign: string, entries: readonly JournalEntry[]): CampaignSnapshot {
  let state: CampaignSnapshot | undefined;
  for (const [i, entry] of entries.entries()) {
    try {
      state = applyRecord(state, entry as unknown as JournalRecord);
    } catch (error) {
      throw new JournalCorruptError(campaign, i + 1, error instanceof Error ? error.message : String(error));
    }
  }
  if (!state) throw new JournalCorruptError(campaign, 0, 'the journal is empty');
  return state;
}
