/**
 * What to do next, from the state alone: the phase's effect, the wave's steps that may start (their
 * dependencies done, within `maxConcurrentSteps` and each server group's `maxImpacted`), the requests
 * that wait for a safe point, the next undo of a rollback.
 */
import type { CampaignEvent } from '../machine.js';
import { type DecideContext, type Decision, NOTHING } from './decision.js';
import type { Effect } from './effects.js';
import { alarm, stepRecord, transition } from './records.js';
import {
  type CoreState,
  currentWave,
  DONE_STEP,
  openGate,
  rollbackOf,
  scheduleOf,
  stateOf,
} from './state.js';
import { windowProblem } from './window.js';

/** Decides the next records and effects, or nothing when the campaign waits. */
export function advance(core: CoreState, ctx: DecideContext): Decision {
  if (!core.active) return NOTHING;
  const s = core.snapshot;
  // A timer waiting for a group's recovery is no work in flight: a request may act at once.
  let busy = false;
  for (const effect of core.inFlight.values()) if (effect.type !== 'wait') busy = true;
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
    if (busy) return NOTHING;
    // The last safe point that fits the window: a wave that cannot finish in it does not start.
    const closing = windowProblem(s, s.finishBy, ctx.now, wave);
    if (closing)
      return {
        records: [
          alarm('major', 'window-closing', `wave-${wave.index}`, closing, ctx),
          ...moveTo('pause', `${closing}: resume in the next window, giving its finishBy`).records,
        ],
        effects: [],
      };
    return start({ type: 'check-drift', key: `drift:${wave.index}`, wave: wave.index });
  }

  const schedule = scheduleOf(core, wave);
  let stepsInFlight = 0;
  const moving = new Map<string, number>();
  for (const effect of core.inFlight.values()) {
    if (!('step' in effect) || effect.type === 'undo-step') continue;
    stepsInFlight++;
    const group =
      effect.step.kind === 'migrate' && effect.step.instance
        ? core.index.groupOf.get(effect.step.instance)
        : undefined;
    if (group) moving.set(group.name, (moving.get(group.name) ?? 0) + 1);
  }
  const effects: Effect[] = [];
  const now = Date.parse(ctx.now);
  let recoveredAt: number | undefined;
  for (const id of schedule.ready) {
    if (stepsInFlight + effects.length >= ctx.policy.maxConcurrentSteps) break;
    const key = `step:${id}`;
    if (core.inFlight.has(key)) continue;
    const entry = core.index.steps.get(id);
    if (!entry) continue;
    const step = entry.step;
    // maxImpacted holds while instances move, even when the plan does not order its batches.
    const group =
      step.kind === 'migrate' && step.instance ? core.index.groupOf.get(step.instance) : undefined;
    if (group && (moving.get(group.name) ?? 0) >= group.max) continue;
    // After a member was impacted, its group gets `recoverySeconds` before the next one is.
    const ready = recoveredBy(core, id);
    if (ready > now) {
      recoveredAt = Math.min(recoveredAt ?? ready, ready);
      continue;
    }
    if (group) moving.set(group.name, (moving.get(group.name) ?? 0) + 1);
    effects.push(
      stateOf(s, id) === 'running'
        ? { type: 'probe-step', key, step, wave: wave.index, data: s.steps[id]?.data }
        : { type: 'prepare-step', key, step, wave: wave.index },
    );
  }
  if (recoveredAt !== undefined) {
    const key = `wait:${recoveredAt}`;
    if (!core.inFlight.has(key))
      effects.push({ type: 'wait', key, until: new Date(recoveredAt).toISOString() });
  }
  if (effects.length > 0) return { records: [], effects };
  if (busy || recoveredAt !== undefined) return NOTHING;
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
        return {
          records: [],
          effects: [{ type: 'undo-step', key: `undo:${id}`, step: entry.step, wave: entry.wave }],
        };
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
    return {
      type: 'backup',
      key: `backup:${label}`,
      label,
      node,
      software,
      databases: component.backup.databases,
    };
  }
  return undefined;
}

/** When every server group a step would impact has had its `recoverySeconds` since its last impact. */
function recoveredBy(core: CoreState, step: string): number {
  let ready = Number.NEGATIVE_INFINITY;
  for (const group of core.index.impacts.get(step) ?? []) {
    const last = core.lastImpact.get(group.name);
    if (last !== undefined) ready = Math.max(ready, last + group.recoverySeconds * 1000);
  }
  return ready;
}
