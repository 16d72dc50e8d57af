/**
 * The engine's decisions, as a pure function: given the core state and one input — an operator's
 * command, an observation of the world, or `advance` ("records were applied: what next?") — it returns
 * the journal records to write and the effects to start. It reads no clock, calls no adapter and
 * mutates nothing the caller can see (indexes it reads are caches of the state).
 *
 * The runner applies the records (`evolve`), starts the effects, and asks `advance` again until there
 * is nothing more to do; observations of the effects come back through here.
 */
import {
  EscalatorError,
  ForbiddenError,
  IllegalTransitionError,
  InfeasiblePlanError,
} from '../../errors.js';
import { replan } from '../../planner/replan.js';
import type { AuthorizationDecision, Principal } from '../../ports/authorizer.js';
import { type Command, COMMAND_ACTION } from '../commands.js';
import type { Alarm, CampaignSnapshot, NewRecord } from '../journal.js';
import {
  CAMPAIGN_TRANSITIONS,
  type CampaignEvent,
  type CampaignState,
  RESTING_STATES,
  stepTransition,
} from '../machine.js';
import type { EnginePolicy } from '../policy.js';
import type { Effect, Observation } from './effects.js';
import {
  type CoreState,
  currentWave,
  DONE_STEP,
  openGate,
  rollbackOf,
  scheduleOf,
  stateOf,
} from './state.js';

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

const NOTHING: Decision = Object.freeze({ records: [], effects: [] });

/** States in which the engine works on its own (not waiting for an operator). */
const WORKING = (state: CampaignState) => !RESTING_STATES.has(state);

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

// -------------------------------------------------------------------------------------------------
// Commands

function onCommand(
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
  const running = core.active && WORKING(s.state);
  const refuse = (): Decision => ({
    records: [],
    effects: [],
    refusal: new IllegalTransitionError('campaign', running ? `${s.state} (running)` : s.state, command.type),
  });
  /** The records of a campaign transition, or a refusal when the machine does not allow it. */
  const moving = (event: CampaignEvent, reason?: string, before: NewRecord[] = []): Decision => {
    const next = transition(s, event, reason, ctx);
    if (!next) return refuse();
    return { records: [audit(true), ...before, next], effects: [], activate: true };
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
      if (WORKING(s.state))
        // A crash left it mid-way: go on from where the journal says.
        return { records: [audit(true), ...retry], effects: [], activate: true };
      // Nothing changed yet (it failed in prechecks or backups): through them again, never around them.
      const untouched = Object.values(s.steps).every((r) => r.state === 'pending');
      if (s.state === 'failed' && untouched) return moving('recheck', `resumed by ${by}`, retry);
      if (s.state === 'paused' || s.state === 'failed') return moving('resume', undefined, retry);
      return refuse();
    }
    case 'approve': {
      const wave = openGate(s);
      if (wave === undefined || s.state !== 'paused' || core.active) return refuse();
      return moving('resume', `wave ${wave} approved by ${by}`, [
        { type: 'wave', at: ctx.now, wave, event: 'approved' },
      ]);
    }
    case 'pause':
      if (!running) return refuse();
      return {
        records: [
          audit(true),
          request('pause', `${command.reason ?? 'paused by an operator'} (${by})`, ctx),
        ],
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
  const running = core.active && WORKING(core.snapshot.state);
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

// -------------------------------------------------------------------------------------------------
// Observations

function onObservation(core: CoreState, o: Observation, ctx: DecideContext): Decision {
  const s = core.snapshot;
  const records = (...list: (NewRecord | undefined)[]): Decision => ({
    records: list.filter((r): r is NewRecord => r !== undefined),
    effects: [],
  });
  switch (o.type) {
    case 'prechecked': {
      if (s.state !== 'prechecking') return NOTHING;
      const report: NewRecord = { type: 'precheck', at: ctx.now, report: o.report };
      if (o.report.ok) return records(report, transition(s, 'prechecks-passed', undefined, ctx));
      const failed = o.report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
      const offer = o.report.unhealthyNodes.length
        ? `; to go ahead without them, leave out ${o.report.unhealthyNodes.join(', ')} (excludeNodes)`
        : '';
      return records(report, transition(s, 'prechecks-failed', `${failed.join('; ')}${offer}`, ctx));
    }
    case 'backed-up':
      return records({ type: 'backup', at: ctx.now, step: o.label, backup: o.backup });
    case 'drift-checked': {
      if (s.state !== 'executing') return NOTHING;
      if (!o.problems) return records({ type: 'wave', at: ctx.now, wave: o.wave, event: 'started' });
      const stale = alarm('major', 'plan-stale', `wave-${o.wave}`, o.problems, ctx);
      // Re-plan once per wave: drift a new plan cannot clear (a critical alarm, say) pauses instead.
      if (ctx.policy.onDrift === 'replan' && ctx.canRefresh && s.replannedAt !== o.wave)
        return {
          records: [stale],
          effects: [
            { type: 'refresh-inventory', key: `refresh:${o.wave}`, wave: o.wave, reason: o.problems },
          ],
        };
      return records(
        stale,
        transition(s, 'pause', `the cloud changed before wave ${o.wave}: ${o.problems}`, ctx),
      );
    }
    case 'inventory-refreshed': {
      if (s.state !== 'executing') return NOTHING;
      try {
        const plan = replan(s.plan, { wavesDone: s.wavesDone }, o.inventory, s.campaign, {
          catalog: core.index.catalog,
        });
        return records({
          type: 'replan',
          at: ctx.now,
          plan,
          inventory: o.inventory,
          reason: o.reason,
          wave: o.wave,
        });
      } catch (error) {
        if (!(error instanceof InfeasiblePlanError) && !EscalatorError.is(error)) throw error;
        return records(
          alarm('major', 'engine-error', s.id, error.message, ctx),
          transition(s, 'pause', `re-planning before wave ${o.wave} failed: ${error.message}`, ctx),
        );
      }
    }
    case 'step-prepared': {
      if (s.state !== 'executing') return NOTHING;
      const entry = core.index.steps.get(o.step);
      if (!entry) return NOTHING;
      const from = stateOf(s, o.step);
      const event = from === 'pending' ? 'start' : 'retry';
      return {
        records: [stepRecord(s, o.step, event, ctx, { data: o.data })],
        effects: [runStep(entry.step, entry.wave, o.data, ctx)],
      };
    }
    case 'step-probed': {
      const entry = core.index.steps.get(o.step);
      if (!entry || stateOf(s, o.step) !== 'running') return NOTHING;
      if (o.done) return records(stepRecord(s, o.step, 'succeed', ctx));
      if (s.state !== 'executing') return NOTHING;
      return {
        records: [stepRecord(s, o.step, 'recheck', ctx)],
        effects: [runStep(entry.step, entry.wave, s.steps[o.step]?.data, ctx)],
      };
    }
    case 'step-hang':
      return records(
        alarm(
          'warning',
          'step-hang',
          o.step,
          `${o.step} runs longer than ${o.factor}× its expected ${o.expectedSeconds} s`,
          ctx,
        ),
      );
    case 'step-ended':
      return onStepEnded(core, o, ctx);
    case 'wave-verified': {
      if (s.state !== 'executing') return NOTHING;
      if (!o.problems) return records({ type: 'wave', at: ctx.now, wave: o.wave, event: 'verified' });
      const policy = s.campaign.strategy.onFailure;
      return records(
        alarm('major', 'wave-verification', `wave-${o.wave}`, o.problems, ctx),
        transition(
          s,
          policy === 'rollback' ? 'rollback' : 'pause',
          `wave ${o.wave} failed verification: ${o.problems}`,
          ctx,
        ),
      );
    }
    case 'campaign-verified':
      if (s.state !== 'verifying') return NOTHING;
      return records(
        o.problems && s.campaign.strategy.onFailure !== 'continue'
          ? transition(s, 'verification-failed', o.problems, ctx)
          : transition(s, 'verified', undefined, ctx),
      );
    case 'step-undone':
      if (s.state !== 'rolling-back') return NOTHING;
      return records(stepRecord(s, o.step, 'undo', ctx));
    case 'undo-failed':
      if (s.state !== 'rolling-back') return NOTHING;
      return records(
        alarm('critical', 'undo-failed', o.step, o.error.message, ctx),
        transition(s, 'undo-failed', `cannot undo ${o.step}: ${o.error.message}; restoring backups`, ctx),
      );
    case 'restored':
      if (s.state !== 'restoring') return NOTHING;
      return records(transition(s, 'restored', `${o.count} backup(s) restored`, ctx));
    case 'effect-failed':
      return onEffectFailed(core, o.key, o.error.message, ctx);
    case 'effect-cancelled':
      return NOTHING;
  }
}

function onStepEnded(
  core: CoreState,
  o: Extract<Observation, { type: 'step-ended' }>,
  ctx: DecideContext,
): Decision {
  const s = core.snapshot;
  if (stateOf(s, o.step) !== 'running') return NOTHING;
  if (o.outcome === 'succeeded')
    return {
      records: [
        ...(o.backup ? [{ type: 'backup', at: ctx.now, step: o.step, backup: o.backup } as const] : []),
        stepRecord(s, o.step, 'succeed', ctx),
      ],
      effects: [],
    };
  const ended = stepRecord(s, o.step, o.outcome === 'timed-out' ? 'time-out' : 'fail', ctx, {
    error: o.error,
  });
  // A campaign no longer executing (aborted, say) only records what happened.
  if (s.state !== 'executing') return { records: [ended], effects: [] };
  const kind = core.index.steps.get(o.step)?.step.kind;
  const policy = (kind && ctx.policy.steps[kind]?.onFailure) ?? s.campaign.strategy.onFailure;
  const message = o.error?.message ?? 'failed';
  const failures = s.failures + 1;
  const { maxFailures } = s.campaign.strategy;
  const raised = alarm('major', 'step-failed', o.step, message, ctx);
  if (policy === 'continue' && failures <= maxFailures)
    // Tolerated: what depends on it is given up, the rest goes on.
    return { records: [ended, raised, ...giveUpAfter(core, o.step, ctx)], effects: [] };
  if (policy === 'rollback')
    return { records: [ended, raised, request('rollback', `${o.step} failed: ${message}`, ctx)], effects: [] };
  const reason =
    policy === 'continue'
      ? `${failures} failures, more than maxFailures ${maxFailures}: ${o.step}: ${message}`
      : `${o.step} failed: ${message}`;
  return { records: [ended, raised, request('pause', reason, ctx)], effects: [] };
}

/** Skip records for every pending step that waits, directly or not, for a tolerated failure. */
function giveUpAfter(core: CoreState, failed: string, ctx: DecideContext): NewRecord[] {
  const out: NewRecord[] = [];
  const seen = new Set<string>();
  const queue = [failed];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    for (const d of core.index.dependents.get(id) ?? []) {
      if (seen.has(d.id) || stateOf(core.snapshot, d.id) !== 'pending') continue;
      seen.add(d.id);
      out.push(stepRecord(core.snapshot, d.id, 'skip', ctx));
      queue.push(d.id);
    }
  }
  return out;
}

/** An effect ended in an error its policy could not absorb: the campaign rests where an operator can act. */
function onEffectFailed(core: CoreState, key: string, message: string, ctx: DecideContext): Decision {
  const s = core.snapshot;
  if (key.startsWith('step:')) {
    if (s.state !== 'executing') return NOTHING;
    return {
      records: [request('pause', `internal error in ${key.slice('step:'.length)}: ${message}`, ctx)],
      effects: [],
    };
  }
  // Backups and restores fail as their own phase's failure, without an engine-error alarm.
  if (key.startsWith('backup:') && s.state === 'backing-up')
    return { records: [transition(s, 'backup-failed', message, ctx)].filter(isRecord), effects: [] };
  if (key === 'restore' && s.state === 'restoring')
    return { records: [transition(s, 'restore-failed', message, ctx)].filter(isRecord), effects: [] };
  const resting: Partial<Record<CampaignState, CampaignEvent>> = {
    prechecking: 'prechecks-failed',
    'backing-up': 'backup-failed',
    executing: 'pause',
    verifying: 'verification-failed',
    'rolling-back': 'undo-failed',
    restoring: 'restore-failed',
  };
  const event = resting[s.state];
  if (!event) return NOTHING;
  return {
    records: [alarm('major', 'engine-error', s.id, message, ctx), transition(s, event, message, ctx)].filter(
      isRecord,
    ),
    effects: [],
  };
}

// -------------------------------------------------------------------------------------------------
// Advance: what to do next, from the state alone

function advance(core: CoreState, ctx: DecideContext): Decision {
  if (!core.active) return NOTHING;
  const s = core.snapshot;
  const busy = core.inFlight.size > 0;
  const start = (effect: Effect): Decision =>
    effect.key !== undefined && core.inFlight.has(effect.key) ? NOTHING : { records: [], effects: [effect] };
  const moveTo = (event: CampaignEvent, reason?: string): Decision => {
    const next = transition(s, event, reason, ctx);
    return next ? { records: [next], effects: [] } : NOTHING;
  };
  switch (s.state) {
    case 'prechecking':
      return start({ type: 'precheck', key: 'precheck' });
    case 'backing-up': {
      if (busy) return NOTHING;
      const next = nextBackup(core);
      return next ? start(next) : moveTo('backup-done');
    }
    case 'executing':
      return advanceExecution(core, ctx, busy, moveTo, start);
    case 'verifying':
      if (s.requests.rollback && !busy) return moveTo('rollback', s.requests.rollback);
      return start({ type: 'verify-campaign', key: 'verify-campaign' });
    case 'rolling-back':
      return busy ? NOTHING : advanceRollback(core, ctx, moveTo);
    case 'restoring':
      return start({ type: 'restore', key: 'restore' });
    default:
      return NOTHING;
  }
}

function advanceExecution(
  core: CoreState,
  ctx: DecideContext,
  busy: boolean,
  moveTo: (event: CampaignEvent, reason?: string) => Decision,
  start: (effect: Effect) => Decision,
): Decision {
  const s = core.snapshot;
  // Requests wait for a safe point: nothing in flight.
  if (s.requests.rollback) return busy ? NOTHING : moveTo('rollback', s.requests.rollback);
  if (s.requests.pause) return busy ? NOTHING : moveTo('pause', s.requests.pause);
  const wave = currentWave(s);
  if (!wave) {
    if (busy) return NOTHING;
    const gate = openGate(s);
    return gate === undefined
      ? moveTo('waves-done')
      : moveTo('pause', `approval needed after wave ${gate}: call approve`);
  }
  const previous = wave.index - 1;
  if (
    s.campaign.strategy.approveAfterWaves.includes(previous) &&
    s.wavesDone.includes(previous) &&
    !s.wavesApproved.includes(previous)
  )
    return busy ? NOTHING : moveTo('pause', `approval needed after wave ${previous}: call approve`);
  if (!s.wavesStarted.includes(wave.index) && wave.steps.every((st) => stateOf(s, st.id) === 'pending')) {
    if (core.inFlight.has(`refresh:${wave.index}`)) return NOTHING;
    return start({ type: 'check-drift', key: `drift:${wave.index}`, wave: wave.index });
  }

  const schedule = scheduleOf(core, wave);
  let stepsInFlight = 0;
  const moving = new Map<string, number>();
  for (const effect of core.inFlight.values()) {
    if (!('step' in effect) || effect.type === 'undo-step') continue;
    stepsInFlight++;
    const group = effect.step.kind === 'migrate' && effect.step.instance ? core.index.groupOf.get(effect.step.instance) : undefined;
    if (group) moving.set(group.name, (moving.get(group.name) ?? 0) + 1);
  }
  const effects: Effect[] = [];
  for (const id of schedule.ready) {
    if (stepsInFlight + effects.length >= ctx.policy.maxConcurrentSteps) break;
    const key = `step:${id}`;
    if (core.inFlight.has(key)) continue;
    const entry = core.index.steps.get(id);
    if (!entry) continue;
    const step = entry.step;
    // maxImpacted holds while instances move, even when the plan does not order its batches.
    const group = step.kind === 'migrate' && step.instance ? core.index.groupOf.get(step.instance) : undefined;
    if (group) {
      if ((moving.get(group.name) ?? 0) >= group.max) continue;
      moving.set(group.name, (moving.get(group.name) ?? 0) + 1);
    }
    effects.push(
      stateOf(s, id) === 'running'
        ? { type: 'probe-step', key, step, wave: wave.index, data: s.steps[id]?.data }
        : { type: 'prepare-step', key, step, wave: wave.index },
    );
  }
  if (effects.length > 0) return { records: [], effects };
  if (busy) return NOTHING;
  // Nothing runs and nothing can start: the wave is over, or it waits for failed steps.
  const left = wave.steps.filter((st) => !DONE_STEP.has(stateOf(s, st.id)));
  const tolerated = left.every((st) => ['failed', 'timed-out'].includes(stateOf(s, st.id)));
  if (left.length === 0 || tolerated)
    return start({ type: 'verify-wave', key: `verify:${wave.index}`, wave: wave.index });
  return moveTo('pause', s.reason ?? 'paused');
}

function advanceRollback(
  core: CoreState,
  ctx: DecideContext,
  moveTo: (event: CampaignEvent, reason?: string) => Decision,
): Decision {
  const s = core.snapshot;
  const rollback = rollbackOf(core);
  const interrupted = rollback.interrupted.filter((id) => stateOf(s, id) === 'running');
  if (interrupted.length > 0)
    return {
      records: interrupted.map((id) =>
        stepRecord(s, id, 'fail', ctx, {
          error: { code: 'ESC_INTERNAL', message: 'interrupted before rollback' },
        }),
      ),
      effects: [],
    };
  while (rollback.cursor < rollback.order.length) {
    const id = rollback.order[rollback.cursor] as string;
    const state = stateOf(s, id);
    if (state === 'succeeded' || state === 'failed' || state === 'timed-out') {
      const entry = core.index.steps.get(id);
      if (entry)
        return { records: [], effects: [{ type: 'undo-step', key: `undo:${id}`, step: entry.step, wave: entry.wave }] };
    }
    rollback.cursor++;
  }
  return moveTo('rolled-back');
}

/** The next campaign-level backup: each clustered data store's databases, once, before any change. */
function nextBackup(core: CoreState): Effect | undefined {
  const s = core.snapshot;
  const planned = new Set(s.plan.waves.flatMap((w) => w.nodes));
  for (const cluster of s.inventory.clusters) {
    const component = cluster.component ? core.index.catalog[cluster.component] : undefined;
    if (!component || component.backup.databases.length === 0) continue;
    if (!cluster.members.some((m) => planned.has(m))) continue;
    const label = `campaign.${cluster.name}`;
    if (s.backups.some((b) => b.label === label)) continue;
    const node = cluster.primary ?? cluster.members[0] ?? '';
    const software = Object.fromEntries(
      Object.entries(s.inventory.nodes.find((n) => n.name === node)?.software ?? {}).filter(
        ([c]) => c === cluster.component,
      ),
    );
    return { type: 'backup', key: `backup:${label}`, label, node, software, databases: component.backup.databases };
  }
  return undefined;
}

// -------------------------------------------------------------------------------------------------
// Record builders

function runStep(
  step: Extract<Effect, { type: 'run-step' }>['step'],
  wave: number,
  data: Readonly<Record<string, string>> | undefined,
  ctx: DecideContext,
): Effect {
  const policy = ctx.policy.steps[step.kind];
  return {
    type: 'run-step',
    key: `step:${step.id}`,
    step,
    wave,
    data,
    timeoutMs: step.timeoutSeconds * 1000 * (policy?.timeoutFactor ?? 1),
    hangMs: step.expectedSeconds * 1000 * ctx.policy.hangFactor,
    retry: { ...ctx.policy.retry, ...policy?.retry },
  };
}

function transition(
  s: CampaignSnapshot,
  event: CampaignEvent,
  reason: string | undefined,
  ctx: DecideContext,
): NewRecord | undefined {
  const to = CAMPAIGN_TRANSITIONS[s.state][event];
  if (to === undefined) return undefined;
  return { type: 'campaign', at: ctx.now, event, from: s.state, to, reason };
}

function stepRecord(
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

function request(kind: 'pause' | 'rollback', reason: string, ctx: DecideContext): NewRecord {
  return { type: 'request', at: ctx.now, request: kind, reason };
}

function alarm(
  severity: Alarm['severity'],
  code: string,
  object: string,
  message: string,
  ctx: DecideContext,
): NewRecord {
  return { type: 'alarm', at: ctx.now, alarm: { code, severity, object, message, at: ctx.now } };
}

function isRecord(r: NewRecord | undefined): r is NewRecord {
  return r !== undefined;
}
