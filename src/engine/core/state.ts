/**
 * The engine core's state: the campaign's snapshot (the fold of its journal) plus what only a running
 * engine knows (effects in flight, whether it drives the campaign), and indexes derived from both so
 * that each decision costs the work it does, not the size of the plan.
 *
 * Everything here is a function of the journal and of the effects in flight; the indexes are caches,
 * rebuilt whenever what they derive from changes.
 */
import { resolveCatalog } from '../../catalog/catalog.js';
import type { Catalog } from '../../model/component.js';
import type { Plan, Step, Wave } from '../../model/plan.js';
import { applyRecord, type CampaignSnapshot, type JournalRecord } from '../journal.js';
import type { StepState } from '../machine.js';
import { indexSteps, type StepIndex } from '../steps/relations.js';
import type { Effect } from './effects.js';

/** Step states after which a step's dependents may start. */
export const DONE_STEP: ReadonlySet<StepState> = new Set(['succeeded', 'skipped']);

/** Lookups over one plan, built once per plan. */
export interface PlanIndex {
  readonly plan: Plan;
  readonly catalog: Catalog;
  /** Each step with the index of its wave. */
  readonly steps: ReadonlyMap<string, { readonly step: Step; readonly wave: number }>;
  /** Steps of the same wave that wait for a step. */
  readonly dependents: ReadonlyMap<string, readonly Step[]>;
  /** An instance's server group and how many of its members may move at once. */
  readonly groupOf: ReadonlyMap<string, GroupLimits>;
  /**
   * The server groups each step starts impacting (a migration; stopping, or rebooting under, the
   * members that stay on their node): such a step waits for the groups' `recoverySeconds`.
   */
  readonly impacts: ReadonlyMap<string, readonly GroupLimits[]>;
  /** The server groups whose impacted member is whole again when each step ends. */
  readonly recoveries: ReadonlyMap<string, readonly GroupLimits[]>;
  /** Steps related to a step, by typed keys (a migration's source node's disable-compute...). */
  readonly relations: StepIndex;
}

/** A server group's limits, as the engine enforces them. */
export interface GroupLimits {
  readonly name: string;
  /** How many members may be impacted at once. */
  readonly max: number;
  /** How long the group gets after an impact ended before the next one starts. */
  readonly recoverySeconds: number;
}

/** Which steps of the current wave may start, kept up to date as step records arrive. */
export interface WaveSchedule {
  readonly wave: Wave;
  /** Per step: how many steps of the wave it still waits for. */
  readonly waiting: Map<string, number>;
  /** Steps whose dependencies are done and that may (re)start, in the order they became ready. */
  readonly ready: Set<string>;
}

/** Graceful rollback's order, worked out once when rolling back starts. */
export interface RollbackPlan {
  /** Steps a crash or an abort left running: marked failed first, so they are undone like failures. */
  readonly interrupted: readonly string[];
  /** Steps to undo, in order. */
  readonly order: readonly string[];
  /** Everything before it is undone (a cache of the scan). */
  cursor: number;
}

/** The state the core decides on. Owned by one runner; `evolve` updates it record by record. */
export interface CoreState {
  snapshot: CampaignSnapshot;
  /** Effects started and not yet ended, by key. Empty after a crash: nothing runs then. */
  readonly inFlight: Map<string, Effect>;
  /** Whether the engine drives the campaign: false after `open` until a command sets it going. */
  active: boolean;
  index: PlanIndex;
  /** When an impact on a member of each server group last ended, in ms. */
  readonly lastImpact: Map<string, number>;
  schedule: WaveSchedule | undefined;
  rollback: RollbackPlan | undefined;
}

/** A core state for a snapshot, with nothing in flight. */
export function createCore(snapshot: CampaignSnapshot): CoreState {
  const core: CoreState = {
    snapshot,
    inFlight: new Map(),
    active: false,
    index: indexPlan(snapshot),
    lastImpact: new Map(),
    schedule: undefined,
    rollback: undefined,
  };
  for (const [id, record] of Object.entries(snapshot.steps))
    if (record.endedAt !== undefined) noteImpact(core, id, record.endedAt);
  return core;
}

/** Keeps the time an impact on a group member ended (its migration, its node's return). */
function noteImpact(core: CoreState, step: string, at: string): void {
  const time = Date.parse(at);
  for (const group of core.index.recoveries.get(step) ?? [])
    if (time > (core.lastImpact.get(group.name) ?? Number.NEGATIVE_INFINITY))
      core.lastImpact.set(group.name, time);
}

/**
 * Applies a journal record to the core state, in place (a campaign of 10,000 nodes has hundreds of
 * thousands of records): the snapshot through the journal's reducer, then the derived indexes.
 */
export function evolve(core: CoreState, record: JournalRecord): void {
  core.snapshot = applyRecord(core.snapshot, record);
  switch (record.type) {
    case 'created':
    case 'snapshot':
    case 'replan':
      core.index = indexPlan(core.snapshot);
      core.schedule = undefined;
      core.rollback = undefined;
      return;
    case 'wave':
    case 'request':
      core.schedule = undefined;
      return;
    case 'campaign':
      // Entering a phase starts its caches afresh (steps a crash left running are found again).
      core.schedule = undefined;
      if (record.to === 'rolling-back') core.rollback = undefined;
      return;
    case 'step': {
      if (record.to !== 'running' && record.event !== 'undo') noteImpact(core, record.step, record.at);
      const schedule = core.schedule;
      if (!schedule?.waiting.has(record.step)) return;
      // Started or ended: no longer waiting to start. Done: its dependents may be ready.
      schedule.ready.delete(record.step);
      if (!DONE_STEP.has(record.to)) return;
      for (const d of core.index.dependents.get(record.step) ?? []) {
        const n = (schedule.waiting.get(d.id) ?? 1) - 1;
        schedule.waiting.set(d.id, n);
        if (n === 0 && startable(core.snapshot, d.id)) schedule.ready.add(d.id);
      }
      return;
    }
    default:
      return;
  }
}

/** The first wave not yet done, or undefined when every wave is. */
export function currentWave(snapshot: CampaignSnapshot): Wave | undefined {
  const done = new Set(snapshot.wavesDone);
  return snapshot.plan.waves.find((w) => !done.has(w.index));
}

/** The wave whose approval gate is open, if any. */
export function openGate(snapshot: CampaignSnapshot): number | undefined {
  return snapshot.campaign.strategy.approveAfterWaves.find(
    (w) => snapshot.wavesDone.includes(w) && !snapshot.wavesApproved.includes(w),
  );
}

/** The schedule of `wave`, built from the snapshot when the cached one is for something else. */
export function scheduleOf(core: CoreState, wave: Wave): WaveSchedule {
  if (core.schedule?.wave === wave) return core.schedule;
  const snapshot = core.snapshot;
  const inWave = new Set(wave.steps.map((s) => s.id));
  const waiting = new Map<string, number>();
  const ready = new Set<string>();
  for (const step of wave.steps) {
    let n = 0;
    for (const a of step.after) if (inWave.has(a) && !DONE_STEP.has(stateOf(snapshot, a))) n++;
    waiting.set(step.id, n);
    if (n === 0 && startable(snapshot, step.id)) ready.add(step.id);
  }
  core.schedule = { wave, waiting, ready };
  return core.schedule;
}

/** Rollback's plan, worked out from the snapshot once per rollback. */
export function rollbackOf(core: CoreState): RollbackPlan {
  if (core.rollback) return core.rollback;
  const snapshot = core.snapshot;
  const interrupted: string[] = [];
  const failed: string[] = [];
  for (const [id, record] of Object.entries(snapshot.steps)) {
    if (record.state === 'running') interrupted.push(id);
    if (record.state === 'running' || record.state === 'failed' || record.state === 'timed-out')
      failed.push(id);
  }
  // Failed steps may have half-done effects: undone first, then the succeeded ones newest first.
  const todo = [...failed, ...[...snapshot.completionOrder].reverse()];
  // Moving an instance back needs its old host enabled again: a migration's undo waits for the undo
  // of its source node's disable-compute, which reverse order would otherwise reach after it.
  const todoSet = new Set(todo);
  const placed = new Set<string>();
  const waitFor = new Map<string, string[]>();
  const order: string[] = [];
  const place = (id: string) => {
    order.push(id);
    placed.add(id);
  };
  for (const id of todo) {
    const step = core.index.steps.get(id)?.step;
    const disable = step?.kind === 'migrate' ? core.index.relations.sourceDisable(step)?.id : undefined;
    if (disable && todoSet.has(disable) && !placed.has(disable)) {
      waitFor.set(disable, [...(waitFor.get(disable) ?? []), id]);
      continue;
    }
    place(id);
    for (const waiting of waitFor.get(id) ?? []) place(waiting);
    waitFor.delete(id);
  }
  for (const rest of waitFor.values()) for (const id of rest) place(id);
  core.rollback = { interrupted, order, cursor: 0 };
  return core.rollback;
}

/** A step's state in the snapshot. */
export function stateOf(snapshot: CampaignSnapshot, id: string): StepState {
  return snapshot.steps[id]?.state ?? 'pending';
}

/**
 * Whether a step whose dependencies are done may be set going: pending; left running by a crash (it
 * is probed first); failed and asked to be retried.
 */
function startable(snapshot: CampaignSnapshot, id: string): boolean {
  const state = stateOf(snapshot, id);
  if (state === 'pending' || state === 'running') return true;
  return (state === 'failed' || state === 'timed-out') && snapshot.requests.retry.includes(id);
}

function indexPlan(snapshot: CampaignSnapshot): PlanIndex {
  const plan = snapshot.plan;
  const steps = new Map<string, { step: Step; wave: number }>();
  for (const wave of plan.waves)
    for (const step of wave.steps) steps.set(step.id, { step, wave: wave.index });
  const dependents = new Map<string, Step[]>();
  for (const wave of plan.waves)
    for (const step of wave.steps)
      for (const a of step.after) {
        if (steps.get(a)?.wave !== wave.index) continue; // only steps of the same wave gate each other
        const list = dependents.get(a);
        if (list) list.push(step);
        else dependents.set(a, [step]);
      }
  const groups = new Map(snapshot.inventory.serverGroups.map((g) => [g.name, g]));
  const groupOf = new Map<string, GroupLimits>();
  for (const i of snapshot.inventory.instances) {
    const group = i.serverGroup === undefined ? undefined : groups.get(i.serverGroup);
    if (i.serverGroup)
      groupOf.set(i.name, {
        name: i.serverGroup,
        max: group?.maxImpacted ?? 1,
        recoverySeconds: group?.recoverySeconds ?? 0,
      });
  }
  const relations = indexSteps(plan);
  return {
    plan,
    catalog: resolveCatalog(snapshot.campaign.components),
    steps,
    dependents,
    groupOf,
    ...indexImpacts(plan, groupOf, relations),
    relations,
  };
}

/**
 * Which steps start and end impacts on server group members: a migration does both; members that
 * stay on their node are impacted from `stop-instances` to `start-instances`, or, left running, from
 * the node's `reboot` to its `wait-node`.
 */
function indexImpacts(
  plan: Plan,
  groupOf: ReadonlyMap<string, GroupLimits>,
  relations: StepIndex,
): Pick<PlanIndex, 'impacts' | 'recoveries'> {
  const impacts = new Map<string, GroupLimits[]>();
  const recoveries = new Map<string, GroupLimits[]>();
  const groupsOf = (instances: readonly string[]) => [
    ...new Set(instances.flatMap((i) => groupOf.get(i) ?? [])),
  ];
  const add = (map: Map<string, GroupLimits[]>, step: Step | undefined, groups: GroupLimits[]) => {
    if (step && groups.length > 0) map.set(step.id, groups);
  };
  for (const wave of plan.waves)
    for (const step of wave.steps) {
      if (step.kind === 'migrate') {
        const groups = groupsOf([step.instance]);
        add(impacts, step, groups);
        add(recoveries, step, groups);
      }
      if (step.kind !== 'check-empty') continue;
      const groups = groupsOf(step.instances);
      const stop = relations.nodeStep(wave.index, step.node, 'stop-instances');
      if (stop) {
        add(impacts, stop, groups);
        add(recoveries, relations.nodeStep(wave.index, step.node, 'start-instances'), groups);
      } else {
        add(impacts, relations.nodeStep(wave.index, step.node, 'reboot'), groups);
        add(recoveries, relations.nodeStep(wave.index, step.node, 'wait-node'), groups);
      }
    }
  return { impacts, recoveries };
}
