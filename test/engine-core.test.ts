/**
 * The engine's pure core: `decide(state, command | observation | advance)` → records + effects.
 * Plain values only: no clock, no adapter, no store. Every command in every campaign state, every
 * observation, and the scheduling rules (dependencies, concurrency, server groups, gates, drift,
 * rollback order, crash recovery).
 */
import { describe, expect, it } from 'vitest';
import {
  CAMPAIGN_STATES,
  type CampaignEvent,
  type CampaignState,
  type Command,
  type CommandType,
  type CoreState,
  createCore,
  createPlan,
  DEFAULT_POLICY,
  type DecideContext,
  type Decision,
  decide,
  type Effect,
  type EnginePolicy,
  evolve,
  ForbiddenError,
  IllegalTransitionError,
  type Input,
  type JournalRecord,
  type NewRecord,
  type Notification,
  type Observation,
  type Plan,
  type Principal,
  parseCampaign,
  parseInventory,
  replay,
  type StepOf,
  statusOf,
} from '../src/index.js';
import { minimalCampaign, minimalInventory } from './support/documents.js';

const inventory = parseInventory(JSON.stringify(minimalInventory()));
const campaign = parseCampaign(JSON.stringify(minimalCampaign()), { inventory });
const plan = createPlan(inventory, campaign);
const operator: Principal = { id: 'olga', roles: ['operator'] };
const allowed = { allowed: true, reason: 'test' };
const ctx: DecideContext = { now: '2026-12-05T00:00:00.000Z', policy: DEFAULT_POLICY, canRefresh: false };

/** A core state whose journal starts with `created` and then follows `records`. */
function coreWith(records: readonly NewRecord[] = [], documents = { inventory, campaign, plan }): CoreState {
  const created = { type: 'created', at: ctx.now, campaignId: 'c1', ...documents } as const;
  const core = createCore(replay('c1', [{ ...created, seq: 1 }]));
  for (const r of records) evolve(core, { ...r, seq: core.snapshot.seq + 1 } as JournalRecord);
  return core;
}

const moves: Readonly<Record<CampaignState, readonly CampaignEvent[]>> = {
  created: [],
  prechecking: ['start'],
  'backing-up': ['start', 'prechecks-passed'],
  executing: ['start', 'prechecks-passed', 'backup-done'],
  paused: ['start', 'prechecks-passed', 'backup-done', 'pause'],
  verifying: ['start', 'prechecks-passed', 'backup-done', 'waves-done'],
  completed: ['start', 'prechecks-passed', 'backup-done', 'waves-done', 'verified'],
  committed: ['start', 'prechecks-passed', 'backup-done', 'waves-done', 'verified', 'commit'],
  failed: ['start', 'prechecks-failed'],
  'rolling-back': ['start', 'prechecks-passed', 'backup-done', 'pause', 'rollback'],
  'rolled-back': ['start', 'prechecks-passed', 'backup-done', 'pause', 'rollback', 'rolled-back'],
  restoring: ['start', 'prechecks-failed', 'restore'],
  restored: ['start', 'prechecks-failed', 'restore', 'restored'],
};

/** Campaign records that walk a new campaign to `state`. */
function walkTo(state: CampaignState, from: CampaignState = 'created'): NewRecord[] {
  const out: NewRecord[] = [];
  let at = from;
  for (const event of moves[state]) {
    const next = transitionOf(at, event);
    out.push({ type: 'campaign', at: ctx.now, event, from: at, to: next });
    at = next;
  }
  return out;
}

function transitionOf(from: CampaignState, event: CampaignEvent): CampaignState {
  const table: Record<string, CampaignState> = {
    'created:start': 'prechecking',
    'prechecking:prechecks-passed': 'backing-up',
    'prechecking:prechecks-failed': 'failed',
    'backing-up:backup-done': 'executing',
    'executing:pause': 'paused',
    'executing:waves-done': 'verifying',
    'verifying:verified': 'completed',
    'completed:commit': 'committed',
    'paused:rollback': 'rolling-back',
    'rolling-back:rolled-back': 'rolled-back',
    'failed:restore': 'restoring',
    'restoring:restored': 'restored',
  };
  const to = table[`${from}:${event}`];
  if (!to) throw new Error(`no walk from ${from} by ${event}`);
  return to;
}

function at(state: CampaignState, options: { active?: boolean; documents?: typeof docs } = {}): CoreState {
  const core = coreWith(walkTo(state), options.documents ?? docs);
  core.active = options.active ?? false;
  return core;
}
const docs = { inventory, campaign, plan };

const command = (c: Command, principal = operator, authorization = allowed): Input => ({
  type: 'command',
  command: c,
  principal,
  authorization,
});
const observe = (observation: Observation): Input => ({ type: 'observation', observation });

/**
 * What a runner does, without I/O: applies a decision's records, puts its effects in flight, and asks
 * `advance` until nothing more follows. Returns everything written and started.
 */
function settle(core: CoreState, input: Input, context: DecideContext = ctx) {
  const records: JournalRecord[] = [];
  const effects: Effect[] = [];
  let decision: Decision = decide(core, input, context);
  const first = decision;
  for (let i = 0; i < 1000; i++) {
    for (const r of decision.records) {
      const full = { ...r, seq: core.snapshot.seq + 1 } as JournalRecord;
      evolve(core, full);
      records.push(full);
    }
    if (decision.cancel === 'all') core.inFlight.clear();
    if (decision.activate) core.active = true;
    for (const e of decision.effects) {
      effects.push(e);
      if (e.key !== undefined) core.inFlight.set(e.key, e);
    }
    decision = decide(core, { type: 'advance' }, context);
    if (decision.records.length === 0 && decision.effects.length === 0) break;
  }
  return { first, records, effects, state: core.snapshot.state };
}

/** Ends an effect in flight with an observation, as a runner would. */
function finish(core: CoreState, key: string, observation: Observation, context = ctx) {
  core.inFlight.delete(key);
  return settle(core, observe(observation), context);
}

const transitions = (records: readonly JournalRecord[]) =>
  records.filter((r) => r.type === 'campaign').map((r) => (r.type === 'campaign' ? r.event : ''));

// -------------------------------------------------------------------------------------------------

describe('commands in every campaign state', () => {
  /** For each command: the event it moves the campaign by in each state when resting, or null (refused). */
  const gated = {
    ...docs,
    campaign: { ...campaign, strategy: { ...campaign.strategy, approveAfterWaves: [0] } },
  };
  const expected: Readonly<Record<CommandType, Partial<Record<CampaignState, CampaignEvent | 'accepted'>>>> =
    {
      start: { created: 'start' },
      resume: {
        created: 'start',
        paused: 'resume',
        failed: 'recheck',
        // A crash left it working: accepted, and the engine goes on from the journal.
        prechecking: 'accepted',
        'backing-up': 'accepted',
        executing: 'accepted',
        verifying: 'accepted',
        'rolling-back': 'accepted',
        restoring: 'accepted',
      },
      approve: {},
      // Skipping a pending step of a resting campaign: journaled, and nothing moves yet.
      skip: { created: 'accepted', paused: 'accepted', failed: 'accepted' },
      pause: {},
      abort: {
        created: 'abort',
        prechecking: 'abort',
        'backing-up': 'abort',
        executing: 'abort',
        paused: 'abort',
        verifying: 'abort',
        'rolling-back': 'abort',
        failed: 'accepted',
      },
      rollback: {
        executing: 'rollback',
        paused: 'rollback',
        verifying: 'rollback',
        completed: 'rollback',
        failed: 'rollback',
      },
      restore: { failed: 'restore', 'rolled-back': 'restore' },
      commit: { completed: 'commit' },
      notify: Object.fromEntries(CAMPAIGN_STATES.map((s) => [s, 'accepted'])),
    };
  const commands: Readonly<Record<CommandType, Command>> = {
    start: { type: 'start' },
    resume: { type: 'resume' },
    approve: { type: 'approve' },
    skip: { type: 'skip', step: plan.waves[0]?.steps[0]?.id as string },
    pause: { type: 'pause' },
    abort: { type: 'abort' },
    rollback: { type: 'rollback' },
    restore: { type: 'restore' },
    commit: { type: 'commit' },
    notify: { type: 'notify', notification: { type: 'alarm', severity: 'minor', object: 'x', message: 'm' } },
  };

  for (const type of Object.keys(commands) as CommandType[])
    for (const state of CAMPAIGN_STATES)
      it(`${type} in ${state} (not running)`, () => {
        const core = at(state);
        const want = expected[type][state];
        const d = decide(core, command(commands[type]), ctx);
        if (want === undefined) {
          expect(d.refusal).toBeInstanceOf(IllegalTransitionError);
          expect(d.records).toEqual([]);
          expect(d.effects).toEqual([]);
          return;
        }
        expect(d.refusal).toBeUndefined();
        expect(d.records[0]).toMatchObject({ type: 'audit', allowed: true, principal: operator });
        const moved = d.records.filter((r) => r.type === 'campaign');
        if (want === 'accepted') expect(moved).toEqual([]);
        else expect(moved).toEqual([expect.objectContaining({ event: want, from: state })]);
        // Whatever is written fits the journal's reducer.
        for (const r of d.records) evolve(core, { ...r, seq: core.snapshot.seq + 1 } as JournalRecord);
      });

  it('approve passes an open gate only', () => {
    const core = at('paused', { documents: gated });
    expect(decide(core, command({ type: 'approve' }), ctx).refusal).toBeInstanceOf(IllegalTransitionError);
    evolve(core, { type: 'wave', at: ctx.now, wave: 0, event: 'verified', seq: core.snapshot.seq + 1 });
    const d = decide(core, command({ type: 'approve' }), ctx);
    expect(d.records.map((r) => r.type)).toEqual(['audit', 'wave', 'campaign']);
    expect(d.records[1]).toMatchObject({ wave: 0, event: 'approved' });
    expect(d.activate).toBe(true);
  });

  it('skip marks a failed step skipped (audited, with who and why) and lets the steps after it run', () => {
    const core = at('paused');
    const step = plan.waves[0]?.steps.find((st) => (core.index.dependents.get(st.id) ?? []).length > 0);
    const id = step?.id as string;
    for (const [event, from, to] of [
      ['start', 'pending', 'running'],
      ['fail', 'running', 'failed'],
    ] as const)
      evolve(core, { type: 'step', at: ctx.now, step: id, event, from, to, seq: core.snapshot.seq + 1 });
    const d = decide(core, command({ type: 'skip', step: id, reason: 'known flaky check' }), ctx);
    expect(d.refusal).toBeUndefined();
    expect(d.records.map((r) => r.type)).toEqual(['audit', 'step']);
    expect(d.records[0]).toMatchObject({ action: 'skip', allowed: true });
    expect(d.records[1]).toMatchObject({
      step: id,
      event: 'skip',
      from: 'failed',
      to: 'skipped',
      error: { code: 'skipped', message: `known flaky check (${operator.id})` },
    });
    for (const r of d.records) evolve(core, { ...r, seq: core.snapshot.seq + 1 } as JournalRecord);
    expect(core.snapshot.steps[id]?.state).toBe('skipped');
  });

  it('skip refuses unknown, succeeded and check-empty steps, naming why', () => {
    const core = at('paused');
    const refusal = (step: string) =>
      (decide(core, command({ type: 'skip', step }), ctx).refusal as Error | undefined)?.message;
    expect(refusal('nope')).toBe('the plan has no step "nope"');
    const check = plan.waves.flatMap((w) => w.steps).find((st) => st.kind === 'check-empty');
    expect(refusal(check?.id as string)).toMatch(/checks that node ".*" is empty before it goes down/);
    const id = plan.waves[0]?.steps[0]?.id as string;
    for (const [event, from, to] of [
      ['start', 'pending', 'running'],
      ['succeed', 'running', 'succeeded'],
    ] as const)
      evolve(core, { type: 'step', at: ctx.now, step: id, event, from, to, seq: core.snapshot.seq + 1 });
    expect(refusal(id)).toBe(
      `step "${id}" is succeeded: only a pending, failed or timed-out step can be skipped`,
    );
  });

  it('approve with hold records the approval and stays paused; a later resume goes on past the gate', () => {
    const core = at('paused', { documents: gated });
    evolve(core, { type: 'wave', at: ctx.now, wave: 0, event: 'verified', seq: core.snapshot.seq + 1 });
    const d = decide(core, command({ type: 'approve', hold: true }), ctx);
    expect(d.records.map((r) => r.type)).toEqual(['audit', 'wave']);
    expect(d.activate).toBeUndefined();
    for (const r of d.records) evolve(core, { ...r, seq: core.snapshot.seq + 1 } as JournalRecord);
    expect(core.snapshot.state).toBe('paused');
    expect(core.snapshot.wavesApproved).toEqual([0]);
    // The gate is closed now: approving again is refused, resuming goes on.
    expect(decide(core, command({ type: 'approve' }), ctx).refusal).toBeInstanceOf(IllegalTransitionError);
    const resumed = decide(core, command({ type: 'resume' }), ctx).records;
    expect(resumed.filter((r) => r.type === 'campaign')).toEqual([
      expect.objectContaining({ event: 'resume' }),
    ]);
  });

  it('resume of a campaign that changed something retries its failed steps, then resumes', () => {
    const core = at('failed');
    const id = plan.waves[0]?.steps[0]?.id as string;
    for (const [event, from, to] of [
      ['start', 'pending', 'running'],
      ['fail', 'running', 'failed'],
    ] as const)
      evolve(core, { type: 'step', at: ctx.now, step: id, event, from, to, seq: core.snapshot.seq + 1 });
    const d = decide(core, command({ type: 'resume' }), ctx);
    expect(d.records.map((r) => r.type)).toEqual(['audit', 'request', 'campaign']);
    expect(d.records[1]).toMatchObject({ request: 'retry', steps: [id] });
    expect(d.records[2]).toMatchObject({ event: 'resume' });
  });

  it('while running: pause and rollback become journaled requests; start, resume, approve, restore are refused', () => {
    const core = at('executing', { active: true });
    const pause = decide(core, command({ type: 'pause', reason: 'window' }), ctx);
    expect(pause.records.map((r) => r.type)).toEqual(['audit', 'request']);
    expect(pause.records[1]).toMatchObject({ request: 'pause', reason: 'window (olga)' });
    const rollback = decide(core, command({ type: 'rollback' }), ctx);
    expect(rollback.records[1]).toMatchObject({ request: 'rollback' });
    for (const type of ['start', 'resume', 'approve', 'restore'] as const) {
      const d = decide(core, command({ type } as Command), ctx);
      expect(d.refusal, type).toBeInstanceOf(IllegalTransitionError);
      expect(d.refusal?.message, type).toContain('(running)');
    }
    const abort = decide(core, command({ type: 'abort' }), ctx);
    expect(abort.cancel).toBe('all');
    expect(abort.records[1]).toMatchObject({ type: 'campaign', event: 'abort', to: 'failed' });
  });

  it('a denied command writes only its denial and is refused with ForbiddenError', () => {
    for (const state of CAMPAIGN_STATES) {
      const d = decide(
        at(state),
        command({ type: 'rollback' }, operator, { allowed: false, reason: 'no' }),
        ctx,
      );
      expect(d.refusal).toBeInstanceOf(ForbiddenError);
      expect(d.records).toEqual([
        expect.objectContaining({ type: 'audit', allowed: false, action: 'rollback' }),
      ]);
      expect(d.effects).toEqual([]);
    }
  });

  it('notifications: a reply is delivered, a critical alarm or a node down asks a running campaign to pause', () => {
    const core = at('executing', { active: true });
    const notify = (notification: Notification, state = core) =>
      decide(state, command({ type: 'notify', notification }), ctx);
    const reply = notify({ type: 'maintenance-reply', notice: 'n', reply: 'ack' });
    expect(reply.effects).toEqual([{ type: 'deliver-reply', notice: 'n', reply: 'ack' }]);
    const critical = notify({ type: 'alarm', severity: 'critical', object: 'cmp-1', message: 'fire' });
    expect(critical.records.map((r) => r.type)).toEqual(['audit', 'alarm', 'request']);
    const down = notify({ type: 'node-event', node: 'cmp-2', event: 'down' });
    expect(down.records[2]).toMatchObject({
      request: 'pause',
      reason: expect.stringContaining('cmp-2 went down'),
    });
    const minor = notify({ type: 'alarm', severity: 'minor', object: 'x', message: 'm' });
    expect(minor.records.map((r) => r.type)).toEqual(['audit', 'alarm']);
    // Resting: recorded, no request.
    const resting = notify({ type: 'node-event', node: 'cmp-2', event: 'down' }, at('paused'));
    expect(resting.records.map((r) => r.type)).toEqual(['audit', 'alarm']);
  });
});

// -------------------------------------------------------------------------------------------------

describe('a campaign driven by observations alone', () => {
  it('start → precheck → backups → drift → steps in dependency order → verify → completed', () => {
    const core = coreWith();
    let out = settle(core, command({ type: 'start' }));
    expect(out.effects).toEqual([{ type: 'precheck', key: 'precheck' }]);
    out = finish(core, 'precheck', {
      type: 'prechecked',
      report: { ok: true, checks: [], unhealthyNodes: [] },
    });
    expect(transitions(out.records)).toEqual(['prechecks-passed', 'backup-done']);
    const wave0 = plan.waves[0] as Plan['waves'][number];
    expect(out.effects).toEqual([{ type: 'check-drift', key: 'drift:0', wave: 0 }]);
    out = finish(core, 'drift:0', { type: 'drift-checked', wave: 0, problems: undefined });
    expect(out.records[0]).toMatchObject({ type: 'wave', wave: 0, event: 'started' });
    // Only steps with nothing to wait for are started, each prepared first.
    const first = out.effects.map((e) => (e.type === 'prepare-step' ? e.step.id : e.type));
    for (const id of first)
      expect(
        wave0.steps.find((s) => s.id === id)?.after.filter((a) => wave0.steps.some((s) => s.id === a)),
      ).toEqual([]);
    // Run every step to success in whatever order the core offers them, checking dependencies.
    let guard = 0;
    const done = new Set<string>();
    for (;;) {
      const next = [...core.inFlight.values()][0];
      if (!next || guard++ > 10_000) break;
      if (next.type === 'prepare-step') {
        for (const a of next.step.after)
          if (core.index.steps.get(a)?.wave === next.wave)
            expect(done.has(a), `${next.step.id} after ${a}`).toBe(true);
        finish(core, next.key, { type: 'step-prepared', step: next.step.id, data: undefined });
      } else if (next.type === 'run-step') {
        done.add(next.step.id);
        finish(core, next.key, { type: 'step-ended', step: next.step.id, outcome: 'succeeded' });
      } else if (next.type === 'verify-wave')
        finish(core, next.key, { type: 'wave-verified', wave: next.wave, problems: undefined });
      else if (next.type === 'check-drift')
        finish(core, next.key, { type: 'drift-checked', wave: next.wave, problems: undefined });
      else if (next.type === 'verify-campaign')
        finish(core, next.key, { type: 'campaign-verified', problems: undefined });
      else throw new Error(`unexpected ${next.type}`);
    }
    expect(core.snapshot.state).toBe('completed');
    expect(core.active).toBe(true); // the runner turns it off once nothing is in flight
    expect(done.size).toBe(plan.waves.reduce((n, w) => n + w.steps.length, 0));
  });

  it('never runs more steps at once than maxConcurrentSteps', () => {
    const policy: EnginePolicy = { ...DEFAULT_POLICY, maxConcurrentSteps: 1 };
    const core = at('executing', { active: true });
    const context = { ...ctx, policy };
    settle(core, { type: 'advance' }, context);
    finish(core, 'drift:0', { type: 'drift-checked', wave: 0, problems: undefined }, context);
    expect([...core.inFlight.keys()].filter((k) => k.startsWith('step:'))).toHaveLength(1);
  });

  it('a hung step: no alarm before the floor for a short step; one step-hang, cleared when it ends', () => {
    const core = at('executing', { active: true });
    settle(core, { type: 'advance' });
    finish(core, 'drift:0', { type: 'drift-checked', wave: 0, problems: undefined });
    const prepared = [...core.inFlight.values()][0] as Extract<Effect, { type: 'prepare-step' }>;
    finish(core, prepared.key, { type: 'step-prepared', step: prepared.step.id, data: undefined });
    const run = core.inFlight.get(prepared.key) as Extract<Effect, { type: 'run-step' }>;
    // A step expected to take seconds is not called hung before hangFloorSeconds.
    expect(prepared.step.expectedSeconds * DEFAULT_POLICY.hangFactor).toBeLessThan(
      DEFAULT_POLICY.hangFloorSeconds,
    );
    expect(run.hangMs).toBe(DEFAULT_POLICY.hangFloorSeconds * 1000);
    const id = prepared.step.id;
    settle(
      core,
      observe({ type: 'step-hang', step: id, expectedSeconds: prepared.step.expectedSeconds, factor: 2 }),
    );
    expect(statusOf(core.snapshot).alarms.map((a) => a.code)).toEqual(['step-hang']);
    const out = finish(core, prepared.key, { type: 'step-ended', step: id, outcome: 'succeeded' });
    expect(out.records[0]).toMatchObject({ type: 'alarm-cleared', code: 'step-hang', object: id });
    expect(core.snapshot.alarms).toEqual([
      expect.objectContaining({ code: 'step-hang', clearedAt: ctx.now }),
    ]);
    expect(statusOf(core.snapshot).alarms).toEqual([]);
  });

  it('a failed step under pause: alarm, pause requested, the wave drains, the campaign rests paused', () => {
    const core = at('executing', { active: true });
    settle(core, { type: 'advance' });
    finish(core, 'drift:0', { type: 'drift-checked', wave: 0, problems: undefined });
    const prepared = [...core.inFlight.values()][0] as Extract<Effect, { type: 'prepare-step' }>;
    finish(core, prepared.key, { type: 'step-prepared', step: prepared.step.id, data: undefined });
    const out = finish(core, prepared.key, {
      type: 'step-ended',
      step: prepared.step.id,
      outcome: 'failed',
      error: { code: 'ESC_ADAPTER_FAILURE', message: 'boom' },
    });
    expect(out.records.map((r) => r.type)).toContain('request');
    expect(out.records).toContainEqual(
      expect.objectContaining({ type: 'alarm', alarm: expect.objectContaining({ code: 'step-failed' }) }),
    );
    // Drain whatever else was in flight.
    for (const e of [...core.inFlight.values()])
      finish(core, e.key as string, { type: 'effect-cancelled', key: e.key as string });
    expect(core.snapshot.state).toBe('paused');
    expect(core.snapshot.reason).toContain('boom');
  });

  it('a pause request survives a crash: replayed, the resumed campaign pauses at once', () => {
    const core = at('executing', { active: true });
    // A step runs, so the pause waits for it; then the process dies.
    core.inFlight.set('step:x', { type: 'precheck', key: 'precheck' });
    const out = settle(core, command({ type: 'pause', reason: 'window' }));
    expect(out.state).toBe('executing');
    const journal = [
      { type: 'created', at: ctx.now, campaignId: 'c1', ...docs, seq: 1 },
      ...walkTo('executing').map((r, i) => ({ ...r, seq: i + 2 })),
      ...out.records,
    ] as JournalRecord[];
    // Renumber: the settle above numbered after the walk.
    const renumbered = journal.map((r, i) => ({ ...r, seq: i + 1 }));
    const reopened = createCore(replay('c1', renumbered as never));
    expect(reopened.snapshot.requests.pause).toBe('window (olga)');
    const resumed = settle(reopened, command({ type: 'resume' }));
    expect(transitions(resumed.records)).toEqual(['pause']);
    expect(resumed.state).toBe('paused');
    expect(reopened.snapshot.requests.pause).toBeUndefined();
  });

  /** A campaign a crash stopped while wave 0's first step ran, having journaled a boot id. */
  const leftRunning = () => {
    const core = at('executing');
    evolve(core, { type: 'wave', at: ctx.now, wave: 0, event: 'started', seq: core.snapshot.seq + 1 });
    const id = plan.waves[0]?.steps[0]?.id as string;
    const start = {
      type: 'step',
      at: ctx.now,
      step: id,
      event: 'start',
      from: 'pending',
      to: 'running',
    } as const;
    evolve(core, { ...start, data: { bootId: 'b1' }, seq: core.snapshot.seq + 1 });
    return { core, id };
  };

  it('a step a crash left running is probed, not run again; done → succeeded', () => {
    const { core, id } = leftRunning();
    const out = settle(core, command({ type: 'resume' }));
    expect(out.effects).toContainEqual(
      expect.objectContaining({ type: 'probe-step', key: `step:${id}`, data: { bootId: 'b1' } }),
    );
    const done = finish(core, `step:${id}`, { type: 'step-probed', step: id, done: true });
    expect(done.records[0]).toMatchObject({ step: id, event: 'succeed' });
  });

  it('a probe that says "not done" rechecks and runs the step with its journaled facts', () => {
    const { core, id } = leftRunning();
    settle(core, command({ type: 'resume' }));
    const out = finish(core, `step:${id}`, { type: 'step-probed', step: id, done: false });
    expect(out.records[0]).toMatchObject({ step: id, event: 'recheck', from: 'running', to: 'running' });
    expect(out.effects).toContainEqual(
      expect.objectContaining({ type: 'run-step', key: `step:${id}`, data: { bootId: 'b1' } }),
    );
  });

  it('drift pauses before the wave; with onDrift replan and a refresher, the inventory is refreshed once per wave', () => {
    const core = at('executing', { active: true });
    settle(core, { type: 'advance' });
    let out = finish(core, 'drift:0', { type: 'drift-checked', wave: 0, problems: 'cmp-1 is down' });
    expect(out.records.map((r) => r.type)).toEqual(['alarm', 'campaign']);
    expect(out.state).toBe('paused');
    const context = { ...ctx, policy: { ...DEFAULT_POLICY, onDrift: 'replan' as const }, canRefresh: true };
    const again = at('executing', { active: true });
    settle(again, { type: 'advance' }, context);
    out = finish(again, 'drift:0', { type: 'drift-checked', wave: 0, problems: 'x' }, context);
    expect(out.effects).toEqual([expect.objectContaining({ type: 'refresh-inventory', wave: 0 })]);
    out = finish(
      again,
      'refresh:0',
      { type: 'inventory-refreshed', wave: 0, inventory, reason: 'x' },
      context,
    );
    expect(out.records[0]).toMatchObject({ type: 'replan', wave: 0 });
    expect(out.effects).toEqual([expect.objectContaining({ type: 'check-drift', wave: 0 })]);
    out = finish(again, 'drift:0', { type: 'drift-checked', wave: 0, problems: 'x' }, context);
    expect(out.state).toBe('paused'); // re-planned once already before this wave
  });

  it('an approval gate after a wave pauses before the next one', () => {
    const gated = {
      ...docs,
      campaign: { ...campaign, strategy: { ...campaign.strategy, approveAfterWaves: [0] } },
    };
    const core = at('executing', { active: true, documents: gated });
    evolve(core, { type: 'wave', at: ctx.now, wave: 0, event: 'verified', seq: core.snapshot.seq + 1 });
    const out = settle(core, { type: 'advance' });
    expect(out.state).toBe('paused');
    expect(core.snapshot.reason).toContain('approval needed after wave 0');
  });

  it('rollback: interrupted steps are failed first; a migration is undone after its source node is enabled again', () => {
    const core = at('paused');
    const wave = plan.waves.find((w) => w.steps.some((s) => s.kind === 'migrate')) as Plan['waves'][number];
    const migrate = wave.steps.find((s) => s.kind === 'migrate') as StepOf<'migrate'>;
    const disable = wave.steps.find((s) => s.kind === 'disable-compute' && s.node === migrate.from);
    expect(disable).toBeDefined();
    const seq = () => core.snapshot.seq + 1;
    for (const id of [disable?.id as string, migrate.id]) {
      evolve(core, {
        type: 'step',
        at: ctx.now,
        step: id,
        event: 'start',
        from: 'pending',
        to: 'running',
        seq: seq(),
      });
      evolve(core, {
        type: 'step',
        at: ctx.now,
        step: id,
        event: 'succeed',
        from: 'running',
        to: 'succeeded',
        seq: seq(),
      });
    }
    const other = wave.steps.find((s) => s.id !== migrate.id && s.id !== disable?.id) as { id: string };
    evolve(core, {
      type: 'step',
      at: ctx.now,
      step: other.id,
      event: 'start',
      from: 'pending',
      to: 'running',
      seq: seq(),
    });
    let out = settle(core, command({ type: 'rollback' }));
    expect(out.records).toContainEqual(expect.objectContaining({ step: other.id, event: 'fail' }));
    const undone: string[] = [];
    for (let i = 0; i < 10 && core.inFlight.size > 0; i++) {
      const e = [...core.inFlight.values()][0] as Extract<Effect, { type: 'undo-step' }>;
      undone.push(e.step.id);
      out = finish(core, e.key, { type: 'step-undone', step: e.step.id });
    }
    expect(undone.indexOf(disable?.id as string)).toBeLessThan(undone.indexOf(migrate.id));
    expect(undone[0]).toBe(other.id); // failures first
    expect(out.state).toBe('rolled-back');
  });

  it('an undo that fails for good raises a critical alarm and restores the backups', () => {
    const core = at('paused');
    const id = plan.waves[0]?.steps[0]?.id as string;
    evolve(core, {
      type: 'step',
      at: ctx.now,
      step: id,
      event: 'start',
      from: 'pending',
      to: 'running',
      seq: core.snapshot.seq + 1,
    });
    evolve(core, {
      type: 'step',
      at: ctx.now,
      step: id,
      event: 'succeed',
      from: 'running',
      to: 'succeeded',
      seq: core.snapshot.seq + 1,
    });
    settle(core, command({ type: 'rollback' }));
    let out = finish(core, `undo:${id}`, {
      type: 'undo-failed',
      step: id,
      error: { code: 'X', message: 'stuck' },
    });
    expect(out.records).toContainEqual(
      expect.objectContaining({
        type: 'alarm',
        alarm: expect.objectContaining({ severity: 'critical', code: 'undo-failed' }),
      }),
    );
    expect(out.effects).toEqual([{ type: 'restore', key: 'restore' }]);
    out = finish(core, 'restore', { type: 'restored', count: 2 });
    expect(out.state).toBe('restored');
  });

  it('an effect that fails for good leaves the campaign resting where an operator can act', () => {
    const cases: [CampaignState, string, CampaignState][] = [
      ['prechecking', 'precheck', 'failed'],
      ['executing', 'drift:0', 'paused'],
      ['verifying', 'verify-campaign', 'failed'],
    ];
    for (const [state, key, rest] of cases) {
      const core = at(state, { active: true });
      settle(core, { type: 'advance' });
      const out = finish(core, key, { type: 'effect-failed', key, error: { code: 'E', message: 'gone' } });
      expect(out.state, state).toBe(rest);
      expect(out.records).toContainEqual(
        expect.objectContaining({ type: 'alarm', alarm: expect.objectContaining({ code: 'engine-error' }) }),
      );
    }
  });

  it('observations that no longer apply change nothing', () => {
    const core = at('failed');
    for (const o of [
      { type: 'prechecked', report: { ok: true, checks: [], unhealthyNodes: [] } },
      { type: 'drift-checked', wave: 0, problems: undefined },
      { type: 'wave-verified', wave: 0, problems: undefined },
      { type: 'step-ended', step: 'nope', outcome: 'succeeded' },
      { type: 'effect-cancelled', key: 'x' },
    ] as Observation[])
      expect(decide(core, observe(o), ctx)).toEqual({ records: [], effects: [] });
  });
});
