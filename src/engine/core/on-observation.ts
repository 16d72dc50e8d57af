/** What the world's answers mean: the observations half of `decide`. */
import { EscalatorError, InfeasiblePlanError } from '../../errors.js';
import { replan } from '../../planner/replan.js';
import type { NewRecord } from '../journal.js';
import type { CampaignEvent, CampaignState } from '../machine.js';
import { type DecideContext, type Decision, NOTHING } from './decision.js';
import type { Observation } from './effects.js';
import { alarm, isRecord, request, runStep, stepRecord, transition } from './records.js';
import { type CoreState, stateOf } from './state.js';

/** Decides what an effect's outcome means for the campaign. */
export function onObservation(core: CoreState, o: Observation, ctx: DecideContext): Decision {
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
        effects: [runStep(entry.step, entry.wave, s.steps[o.step]?.data, ctx, s)],
      };
    }
    case 'step-attempt':
      if (stateOf(s, o.step) !== 'running') return NOTHING;
      return records({ type: 'attempt', at: ctx.now, step: o.step, attempt: o.attempt });
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
    case 'waited': // what follows is `advance`'s to decide
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
  const decision = stepEnded(core, o, ctx);
  // However it ended, it no longer hangs: its alarm is cleared first.
  const hung = s.alarms.some(
    (a) => a.code === 'step-hang' && a.object === o.step && a.clearedAt === undefined,
  );
  if (!hung) return decision;
  const cleared: NewRecord = { type: 'alarm-cleared', at: ctx.now, code: 'step-hang', object: o.step };
  return { ...decision, records: [cleared, ...decision.records] };
}

function stepEnded(
  core: CoreState,
  o: Extract<Observation, { type: 'step-ended' }>,
  ctx: DecideContext,
): Decision {
  const s = core.snapshot;
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
    return {
      records: [ended, raised, request('rollback', `${o.step} failed: ${message}`, ctx)],
      effects: [],
    };
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
