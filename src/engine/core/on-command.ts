/** What an operator's command means in each campaign state: the commands half of `decide`. */
import {
  ErrorCode,
  EscalatorError,
  ForbiddenError,
  IllegalTransitionError,
  WindowClosedError,
} from '../../errors.js';
import type { AuthorizationDecision, Principal } from '../../ports/authorizer.js';
import { COMMAND_ACTION, type Command } from '../commands.js';
import type { NewRecord } from '../journal.js';
import { type CampaignEvent, RESTING_STATES } from '../machine.js';
import type { DecideContext, Decision } from './decision.js';
import { alarm, request, stepRecord, transition } from './records.js';
import { type CoreState, currentWave, openGate, stateOf } from './state.js';
import { windowProblem } from './window.js';

/** Decides a command the authorizer has answered. */
export function onCommand(
  core: CoreState,
  command: Command,
  principal: Principal,
  authorization: AuthorizationDecision,
  ctx: DecideContext,
): Decision {
  const s = core.snapshot;
  const action = COMMAND_ACTION[command.type];
  const audit = (allowed: boolean): NewRecord => ({
    type: 'audit',
    at: ctx.now,
    principal,
    action,
    allowed,
    reason: authorization.reason,
  });
  if (!authorization.allowed)
    return {
      records: [audit(false)],
      effects: [],
      refusal: new ForbiddenError(principal.id, action, authorization.reason),
    };
  const running = core.active && !RESTING_STATES.has(s.state);
  const refuse = (): Decision => ({
    records: [],
    effects: [],
    refusal: new IllegalTransitionError('campaign', running ? `${s.state} (running)` : s.state, command.type),
  });
  // A new window given with the command replaces the campaign's from now on (journaled).
  const given = 'finishBy' in command ? command.finishBy : undefined;
  if (given !== undefined && Number.isNaN(Date.parse(given)))
    return {
      records: [],
      effects: [],
      refusal: new EscalatorError(
        ErrorCode.InvalidOption,
        `finishBy "${given}" is not a time: expected ISO 8601, e.g. 2026-12-01T06:00:00Z`,
      ),
    };
  const window: NewRecord[] =
    given === undefined ? [] : [{ type: 'request', at: ctx.now, request: 'window', finishBy: given }];
  /**
   * The records of a campaign transition, or a refusal when the machine does not allow it, or when it
   * sets waves going that the maintenance window cannot hold.
   */
  const moving = (event: CampaignEvent, reason?: string, before: NewRecord[] = []): Decision => {
    const next = transition(s, event, reason, ctx);
    if (!next) return refuse();
    if (event === 'start' || event === 'resume' || event === 'recheck') {
      const finishBy = given ?? s.finishBy;
      const problem = windowProblem(s, finishBy, ctx.now, currentWave(s));
      if (problem && finishBy !== undefined)
        return {
          records: [],
          effects: [],
          refusal: new WindowClosedError(finishBy, `${problem}: go on in a later window (give its finishBy)`),
        };
    }
    return { records: [audit(true), ...window, ...before, next], effects: [], activate: true };
  };
  const by = principal.id;

  switch (command.type) {
    case 'start':
      return s.state === 'created' && !core.active ? moving('start') : refuse();
    case 'resume': {
      if (running) return refuse();
      if (s.state === 'created') return moving('start');
      const failed = Object.entries(s.steps)
        .filter(([, r]) => r.state === 'failed' || r.state === 'timed-out')
        .map(([id]) => id);
      const retry: NewRecord[] = failed.length
        ? [{ type: 'request', at: ctx.now, request: 'retry', steps: failed }]
        : [];
      if (!RESTING_STATES.has(s.state))
        // A crash left it mid-way: go on from where the journal says.
        return { records: [audit(true), ...window, ...retry], effects: [], activate: true };
      // Nothing changed yet (it failed in prechecks or backups): through them again, never around them.
      const untouched = Object.values(s.steps).every((r) => r.state === 'pending');
      if (s.state === 'failed' && untouched) return moving('recheck', `resumed by ${by}`, retry);
      if (s.state === 'paused' || s.state === 'failed') return moving('resume', undefined, retry);
      return refuse();
    }
    case 'approve': {
      const wave = openGate(s);
      if (wave === undefined || s.state !== 'paused' || core.active) return refuse();
      const approved: NewRecord = { type: 'wave', at: ctx.now, wave, event: 'approved' };
      if (command.hold) return { records: [audit(true), ...window, approved], effects: [] };
      return moving('resume', `wave ${wave} approved by ${by}`, [approved]);
    }
    case 'skip':
      return onSkip(core, command, audit(true), running, ctx) ?? refuse();
    case 'pause':
      if (!running) return refuse();
      return {
        records: [audit(true), request('pause', `${command.reason ?? 'paused by an operator'} (${by})`, ctx)],
        effects: [],
      };
    case 'abort': {
      const reason = `${command.reason ?? 'aborted by an operator'} (${by})`;
      // Already failed: nothing more to stop than what may still be settling.
      if (s.state === 'failed') return { records: [audit(true)], effects: [], cancel: 'all' };
      const next = transition(s, 'abort', reason, ctx);
      if (!next) return refuse();
      return { records: [audit(true), next], effects: [], cancel: 'all' };
    }
    case 'rollback':
      if (running) {
        // At the next safe point: running steps end first, then everything done is undone.
        if (s.state !== 'executing' && s.state !== 'verifying') return refuse();
        return { records: [audit(true), request('rollback', `requested by ${by}`, ctx)], effects: [] };
      }
      return moving('rollback', `requested by ${by}`);
    case 'restore':
      if (running) return refuse();
      return moving('restore', `requested by ${by}`);
    case 'commit': {
      const next = transition(s, 'commit', `committed by ${by}`, ctx);
      return next ? { records: [audit(true), next], effects: [] } : refuse();
    }
    case 'notify':
      return onNotification(core, command, audit(true), ctx);
  }
}

function onNotification(
  core: CoreState,
  command: Extract<Command, { type: 'notify' }>,
  audit: NewRecord,
  ctx: DecideContext,
): Decision {
  const n = command.notification;
  const running = core.active && !RESTING_STATES.has(core.snapshot.state);
  switch (n.type) {
    case 'maintenance-reply':
      return {
        records: [audit],
        effects: [{ type: 'deliver-reply', notice: n.notice, reply: n.reply }],
      };
    case 'alarm':
      return {
        records: [
          audit,
          alarm(n.severity, 'external-alarm', n.object, n.message, ctx),
          ...(n.severity === 'critical' && running
            ? [request('pause', `critical alarm on ${n.object}: ${n.message}`, ctx)]
            : []),
        ],
        effects: [],
      };
    case 'node-event':
      return {
        records: [
          audit,
          alarm(
            n.event === 'down' ? 'major' : 'warning',
            `node-${n.event}`,
            n.node,
            n.message ?? `node ${n.node} is ${n.event}`,
            ctx,
          ),
          ...(n.event === 'down' && running
            ? [request('pause', `node ${n.node} went down: the plan must be checked`, ctx)]
            : []),
        ],
        effects: [],
      };
  }
}

/** Steps an operator may skip: those that did not succeed and are not running. */
const SKIPPABLE = new Set(['pending', 'failed', 'timed-out']);

/** `skip`: the step is marked skipped (its dependents may run); undefined when the state refuses it. */
function onSkip(
  core: CoreState,
  command: Extract<Command, { type: 'skip' }>,
  audit: NewRecord,
  running: boolean,
  ctx: DecideContext,
): Decision | undefined {
  const s = core.snapshot;
  if (running || !['paused', 'failed', 'created'].includes(s.state)) return undefined;
  const entry = core.index.steps.get(command.step);
  const invalid = (message: string): Decision => ({
    records: [],
    effects: [],
    refusal: new EscalatorError(ErrorCode.InvalidOption, message),
  });
  if (!entry) return invalid(`the plan has no step "${command.step}"`);
  if (entry.step.kind === 'check-empty')
    return invalid(
      `step "${command.step}" checks that node "${entry.step.node}" is empty before it goes down: it cannot be skipped (move or stop the instances, then resume)`,
    );
  const state = stateOf(s, command.step);
  if (!SKIPPABLE.has(state))
    return invalid(
      `step "${command.step}" is ${state}: only a pending, failed or timed-out step can be skipped`,
    );
  const reason = `${command.reason ?? 'skipped by an operator'} (${audit.type === 'audit' ? audit.principal.id : ''})`;
  return {
    records: [
      audit,
      stepRecord(s, command.step, 'skip', ctx, { error: { code: 'skipped', message: reason } }),
    ],
    effects: [],
  };
}
