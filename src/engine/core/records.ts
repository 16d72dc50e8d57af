/**
 * Builders of the records and effects the core returns. Each builder yields only what the state
 * machines allow: a step record the machine refuses throws before anything is written.
 */
import type { Step } from '../../model/plan.js';
import type { Alarm, CampaignSnapshot, NewRecord } from '../journal.js';
import { CAMPAIGN_TRANSITIONS, type CampaignEvent, stepTransition } from '../machine.js';
import type { DecideContext } from './decision.js';
import type { Effect } from './effects.js';
import { stateOf } from './state.js';

/**
 * The effect that runs a step under its kind's policy (timeout, hang threshold, retries). A fresh run
 * starts now; a run `resumed` after a crash (the campaign as journaled, the step `running`) keeps its
 * journaled start and attempts, so its timeout, hang alarm and retry budget go on rather than start over.
 */
export function runStep(
  step: Step,
  wave: number,
  data: Readonly<Record<string, string>> | undefined,
  ctx: DecideContext,
  resumed?: CampaignSnapshot | undefined,
): Effect {
  const policy = ctx.policy.steps[step.kind];
  const record = resumed?.steps[step.id];
  const startedAt = record?.startedAt ?? ctx.now;
  const hangMs = Math.max(step.expectedSeconds * ctx.policy.hangFactor, ctx.policy.hangFloorSeconds) * 1000;
  // The hang alarm of this run was raised before the crash: once is enough.
  const hangRaised = resumed?.alarms.some(
    (a) => a.code === 'step-hang' && a.object === step.id && a.at >= startedAt,
  );
  return {
    type: 'run-step',
    key: `step:${step.id}`,
    step,
    wave,
    data,
    timeoutMs: step.timeoutSeconds * 1000 * (policy?.timeoutFactor ?? 1),
    hangMs: hangRaised ? undefined : hangMs,
    retry: { ...ctx.policy.retry, ...policy?.retry },
    startedAt,
    attemptsMade: record ? (record.runAttempts ?? 1) : 0,
  };
}

/** A campaign transition record, or undefined when the machine does not allow `event` now. */
export function transition(
  s: CampaignSnapshot,
  event: CampaignEvent,
  reason: string | undefined,
  ctx: DecideContext,
): NewRecord | undefined {
  const to = CAMPAIGN_TRANSITIONS[s.state][event];
  if (to === undefined) return undefined;
  return { type: 'campaign', at: ctx.now, event, from: s.state, to, reason };
}

/** A step transition record; throws when the step machine does not allow `event` (a bug in the core). */
export function stepRecord(
  s: CampaignSnapshot,
  step: string,
  event: Extract<NewRecord, { type: 'step' }>['event'],
  ctx: DecideContext,
  extra: {
    readonly error?: { readonly code: string; readonly message: string } | undefined;
    readonly data?: Readonly<Record<string, string>> | undefined;
  } = {},
): NewRecord {
  const from = stateOf(s, step);
  const to = stepTransition(from, event); // throws on a bug in the core, before anything is written
  return { type: 'step', at: ctx.now, step, event, from, to, error: extra.error, data: extra.data };
}

/** A request that waits for a safe point (journaled: a crash keeps it). */
export function request(kind: 'pause' | 'rollback', reason: string, ctx: DecideContext): NewRecord {
  return { type: 'request', at: ctx.now, request: kind, reason };
}

/** An alarm record. */
export function alarm(
  severity: Alarm['severity'],
  code: string,
  object: string,
  message: string,
  ctx: DecideContext,
): NewRecord {
  return { type: 'alarm', at: ctx.now, alarm: { code, severity, object, message, at: ctx.now } };
}

/** Type guard to drop the transitions a state did not allow. */
export function isRecord(r: NewRecord | undefined): r is NewRecord {
  return r !== undefined;
}
