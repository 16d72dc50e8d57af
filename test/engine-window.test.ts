/**
 * Time boxes and cool-downs: `strategy.finishBy` (a start that cannot fit is refused; a campaign stops
 * at the last wave boundary that fits, with a `window-closing` alarm; a later window is given on
 * resume) and `serverGroups[].recoverySeconds` (waited between impacts on members of a group).
 * The core's rules with plain values, then whole campaigns on the built-in simulator.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Campaign,
  type CoreState,
  createCore,
  createPlan,
  DEFAULT_POLICY,
  type DecideContext,
  decide,
  type Engine,
  evolve,
  type Inventory,
  type JournalRecord,
  loadCampaign,
  loadInventory,
  type NewRecord,
  type Plan,
  type Principal,
  replay,
  verifyPlan,
  WindowClosedError,
} from '../src/index.js';
import { simulateCampaign } from '../src/simulator/index.js';

const operator: Principal = { id: 'olga', roles: ['operator'] };
const allowed = { allowed: true, reason: 'test' };

let inventory: Inventory;
let campaign: Campaign;
let plan: Plan;
beforeAll(async () => {
  inventory = await loadInventory('examples/minimal/inventory.yaml');
  campaign = await loadCampaign('examples/minimal/campaign.yaml', { inventory });
  plan = createPlan(inventory, campaign);
});

const at = (iso: string): DecideContext => ({ now: iso, policy: DEFAULT_POLICY, canRefresh: false });

function core(strategy: Partial<Campaign['strategy']> = {}, records: NewRecord[] = []): CoreState {
  const c = { ...campaign, strategy: { ...campaign.strategy, ...strategy } };
  const created = {
    type: 'created',
    at: '2026-12-01T00:00:00.000Z',
    campaignId: 'c',
    inventory,
    campaign: c,
    plan,
  };
  const state = createCore(replay('c', [{ ...created, seq: 1 }]));
  for (const r of records) evolve(state, { ...r, seq: state.snapshot.seq + 1 } as JournalRecord);
  return state;
}

const moveTo = (from: string, event: string, to: string, when: string): NewRecord =>
  ({ type: 'campaign', at: when, event, from, to }) as NewRecord;

describe('finishBy, in the core', () => {
  it('refuses a start after the window closed (a window in the year 2000)', () => {
    const d = decide(
      core({ finishBy: '2000-01-01T06:00:00Z' }),
      { type: 'command', command: { type: 'start' }, principal: operator, authorization: allowed },
      at('2026-12-01T01:00:00Z'),
    );
    expect(d.refusal).toBeInstanceOf(WindowClosedError);
    expect(d.refusal?.message).toContain('closed at 2000-01-01T06:00:00Z');
    expect(d.records).toEqual([]);
  });

  it('refuses a start whose first wave cannot finish in the window, naming its estimate', () => {
    const first = plan.waves[0]?.expectedSeconds ?? 0;
    expect(first).toBeGreaterThan(60);
    const start = '2026-12-01T01:00:00.000Z';
    const finishBy = new Date(Date.parse(start) + (first - 60) * 1000).toISOString();
    const d = decide(
      core({ finishBy }),
      { type: 'command', command: { type: 'start' }, principal: operator, authorization: allowed },
      at(start),
    );
    expect(d.refusal).toMatchObject({ code: 'ESC_WINDOW_CLOSED', finishBy });
    expect(d.refusal?.message).toContain('wave 0 needs about');
    // The same start with a window that fits is accepted.
    const later = new Date(Date.parse(start) + (first + 60) * 1000).toISOString();
    expect(
      decide(
        core({ finishBy: later }),
        { type: 'command', command: { type: 'start' }, principal: operator, authorization: allowed },
        at(start),
      ).refusal,
    ).toBeUndefined();
  });

  it('between waves, a wave that would not fit is not started: window-closing alarm, paused', () => {
    const t0 = '2026-12-01T01:00:00.000Z';
    const state = core({ finishBy: '2026-12-01T01:30:00.000Z' }, [
      moveTo('created', 'start', 'prechecking', t0),
      moveTo('prechecking', 'prechecks-passed', 'backing-up', t0),
      moveTo('backing-up', 'backup-done', 'executing', t0),
    ]);
    state.active = true;
    const wave = plan.waves[0];
    const late = new Date(Date.parse('2026-12-01T01:30:00.000Z') - ((wave?.expectedSeconds ?? 0) - 1) * 1000);
    const d = decide(state, { type: 'advance' }, at(late.toISOString()));
    expect(d.records.map((r) => r.type)).toEqual(['alarm', 'campaign']);
    expect(d.records[0]).toMatchObject({
      alarm: { code: 'window-closing', object: 'wave-0', severity: 'major' },
    });
    expect(d.records[1]).toMatchObject({ event: 'pause' });
    expect(d.effects).toEqual([]);
    // Early enough, the wave goes ahead (its drift check first).
    expect(decide(state, { type: 'advance' }, at(t0)).effects).toEqual([
      expect.objectContaining({ type: 'check-drift', wave: 0 }),
    ]);
  });

  it('observed wave durations correct the estimate: waves that ran twice as long count double', () => {
    const t0 = Date.parse('2026-12-01T01:00:00.000Z');
    const w0 = plan.waves[0]?.expectedSeconds ?? 0;
    const w1 = plan.waves[1]?.expectedSeconds ?? 0;
    const iso = (ms: number) => new Date(ms).toISOString();
    const end0 = t0 + w0 * 2000;
    // Time for wave 1 as planned, not for twice that.
    const finishBy = iso(end0 + w1 * 1500);
    const state = core({ finishBy }, [
      moveTo('created', 'start', 'prechecking', iso(t0)),
      moveTo('prechecking', 'prechecks-passed', 'backing-up', iso(t0)),
      moveTo('backing-up', 'backup-done', 'executing', iso(t0)),
      { type: 'wave', at: iso(t0), wave: 0, event: 'started' },
      { type: 'wave', at: iso(end0), wave: 0, event: 'verified' },
    ]);
    state.active = true;
    const d = decide(state, { type: 'advance' }, at(iso(end0)));
    expect(d.records[0]).toMatchObject({ alarm: { code: 'window-closing', object: 'wave-1' } });
    expect((d.records[0] as { alarm: { message: string } }).alarm.message).toContain('× 2.00 as observed');
  });

  it('a resume may give the next window: journaled, and it replaces the campaign finishBy', () => {
    const t0 = '2026-12-01T01:00:00.000Z';
    const state = core({ finishBy: '2026-12-01T01:01:00.000Z' }, [
      moveTo('created', 'start', 'prechecking', t0),
      moveTo('prechecking', 'prechecks-passed', 'backing-up', t0),
      moveTo('backing-up', 'backup-done', 'executing', t0),
      moveTo('executing', 'pause', 'paused', t0),
    ]);
    const resume = (finishBy?: string) =>
      decide(
        state,
        {
          type: 'command',
          command: { type: 'resume', finishBy },
          principal: operator,
          authorization: allowed,
        },
        at('2026-12-02T01:00:00.000Z'),
      );
    expect(resume().refusal).toBeInstanceOf(WindowClosedError);
    expect(resume('tomorrow').refusal).toMatchObject({ code: 'ESC_INVALID_OPTION' });
    const d = resume('2026-12-02T06:00:00.000Z');
    expect(d.refusal).toBeUndefined();
    expect(d.records.map((r) => r.type)).toEqual(['audit', 'request', 'campaign']);
    for (const r of d.records) evolve(state, { ...r, seq: state.snapshot.seq + 1 } as JournalRecord);
    expect(state.snapshot.finishBy).toBe('2026-12-02T06:00:00.000Z');
  });
});

describe('recoverySeconds, in the core', () => {
  it("a group member's migration waits the group's recovery after the last impact, with a timer", async () => {
    const ha = await loadInventory('examples/ha/inventory.yaml');
    const haCampaign = await loadCampaign('examples/ha/campaign.yaml', { inventory: ha });
    const haPlan = createPlan(ha, haCampaign);
    const recovery = new Map(ha.serverGroups.map((g) => [g.name, g.recoverySeconds]));
    const groupOf = new Map(ha.instances.map((i) => [i.name, i.serverGroup]));
    const migrations = haPlan.waves.flatMap((w) =>
      w.steps.flatMap((s) =>
        s.kind === 'migrate' ? [{ s, w: w.index, group: groupOf.get(s.instance) }] : [],
      ),
    );
    const second = migrations.find(
      (m, i) =>
        m.group &&
        (recovery.get(m.group) ?? 0) > 0 &&
        migrations.slice(0, i).some((o) => o.group === m.group),
    );
    const first = migrations.find((m) => m.group === second?.group);
    expect(first && second && first !== second).toBeTruthy();
    const wait = (recovery.get(second?.group as string) ?? 0) * 1000;
    const t0 = '2026-12-01T01:00:00.000Z';
    const ended = Date.parse('2026-12-01T02:00:00.000Z');
    const done = (id: string, when: string): NewRecord[] => [
      { type: 'step', at: when, step: id, event: 'start', from: 'pending', to: 'running' },
      { type: 'step', at: when, step: id, event: 'succeed', from: 'running', to: 'succeeded' },
    ];
    const records: NewRecord[] = [
      moveTo('created', 'start', 'prechecking', t0),
      moveTo('prechecking', 'prechecks-passed', 'backing-up', t0),
      moveTo('backing-up', 'backup-done', 'executing', t0),
    ];
    for (const wave of haPlan.waves.filter((w) => w.index < (second?.w ?? 0)))
      records.push({ type: 'wave', at: t0, wave: wave.index, event: 'verified' });
    records.push({ type: 'wave', at: t0, wave: second?.w as number, event: 'started' });
    // Everything the second migration waits for is done; the first one ended at `ended`.
    for (const a of second?.s.after ?? []) if (a !== first?.s.id) records.push(...done(a, t0));
    records.push(...done(first?.s.id as string, new Date(ended).toISOString()));
    const created = {
      type: 'created',
      at: t0,
      campaignId: 'c',
      inventory: ha,
      campaign: haCampaign,
      plan: haPlan,
    };
    const state = createCore(replay('c', [{ ...created, seq: 1 }]));
    for (const r of records) evolve(state, { ...r, seq: state.snapshot.seq + 1 } as JournalRecord);
    state.active = true;
    const key = `step:${second?.s.id}`;
    const soon = decide(state, { type: 'advance' }, at(new Date(ended + wait - 1000).toISOString()));
    expect(soon.effects.map((e) => e.key)).not.toContain(key);
    expect(soon.effects).toContainEqual({
      type: 'wait',
      key: `wait:${ended + wait}`,
      until: new Date(ended + wait).toISOString(),
    });
    const later = decide(state, { type: 'advance' }, at(new Date(ended + wait).toISOString()));
    expect(later.effects.map((e) => e.key)).toContain(key);
  });
});

describe('on the simulator', () => {
  it('waits recoverySeconds between migrations of members of a group (HA example)', async () => {
    const ha = await loadInventory('examples/ha/inventory.yaml');
    const haCampaign = await loadCampaign('examples/ha/campaign.yaml', { inventory: ha });
    let engine: Engine | undefined;
    const result = await simulateCampaign({
      inventory: ha,
      campaign: { ...haCampaign, strategy: { ...haCampaign.strategy, approveAfterWaves: [] } },
      seed: 2,
      onEngine: (e) => {
        engine = e;
      },
    });
    expect(result.outcome.state).toBe('completed');
    const snapshot = (engine as Engine).snapshot();
    const groupOf = new Map(ha.instances.map((i) => [i.name, i.serverGroup]));
    const recovery = new Map(ha.serverGroups.map((g) => [g.name, g.recoverySeconds]));
    const moves = new Map<string, { start: number; end: number; id: string }[]>();
    for (const wave of snapshot.plan.waves)
      for (const step of wave.steps) {
        if (step.kind !== 'migrate') continue;
        const group = groupOf.get(step.instance);
        const record = snapshot.steps[step.id];
        if (!group || !record?.startedAt || !record.endedAt) continue;
        moves.set(group, [
          ...(moves.get(group) ?? []),
          { start: Date.parse(record.startedAt), end: Date.parse(record.endedAt), id: step.id },
        ]);
      }
    let pairs = 0;
    for (const [group, list] of moves) {
      list.sort((a, b) => a.start - b.start);
      for (let i = 1; i < list.length; i++) {
        const gap = ((list[i]?.start ?? 0) - Math.max(...list.slice(0, i).map((m) => m.end))) / 1000;
        expect(gap, `${group}: ${list[i - 1]?.id} → ${list[i]?.id}`).toBeGreaterThanOrEqual(
          recovery.get(group) ?? 0,
        );
        pairs++;
      }
    }
    expect(pairs).toBeGreaterThan(5);
  });

  it('members that stay on their node are impacts too: the next impact waits until the group rested', async () => {
    // In the minimal example web-1 and web-2 cannot move: each is down while its own host reboots.
    // With a long recoverySeconds, the second host's reboot must wait for web-1 to have rested.
    const minimal = await loadInventory('examples/minimal/inventory.yaml');
    const campaign = await loadCampaign('examples/minimal/campaign.yaml', { inventory: minimal });
    const inventory = {
      ...minimal,
      serverGroups: minimal.serverGroups.map((g) => ({ ...g, recoverySeconds: 1800 })),
    };
    const plan = createPlan(inventory, campaign);
    expect(verifyPlan(inventory, campaign, plan).ok).toBe(true);
    const result = await simulateCampaign({ inventory, campaign, seed: 1 });
    expect(result.outcome.state).toBe('completed');
    const [web] = result.availability.groups;
    expect(web).toMatchObject({ name: 'web', recoverySeconds: 1800, impacts: 2, breachCount: 0 });
    expect(web?.shortestGapSeconds).toBeGreaterThanOrEqual(1800);
  });

  it("the checker measures the cool-downs a wave needs against the wave's expected duration", async () => {
    const ha = await loadInventory('examples/ha/inventory.yaml');
    const haCampaign = await loadCampaign('examples/ha/campaign.yaml', { inventory: ha });
    const inventory = {
      ...ha,
      serverGroups: ha.serverGroups.map((g) => ({ ...g, recoverySeconds: 900 })),
    };
    const plan = createPlan(inventory, haCampaign);
    expect(verifyPlan(inventory, haCampaign, plan).violations).toEqual([]);
    // The same waves promised in a quarter of the time: the group cool-downs alone take longer.
    const rushed = {
      ...plan,
      waves: plan.waves.map((w) => ({ ...w, expectedSeconds: Math.floor(w.expectedSeconds / 4) })),
    };
    const verdict = verifyPlan(inventory, haCampaign, rushed);
    const found = verdict.violations.filter((v) => v.code === 'recovery-time');
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]?.message).toMatch(/needs \d+ × recoverySeconds 900 = \d+ s/);
  });

  it('a window that closes mid-campaign stops it at a wave boundary with window-closing; a later window finishes it', async () => {
    const ha = await loadInventory('examples/ha/inventory.yaml');
    const haCampaign = await loadCampaign('examples/ha/campaign.yaml', { inventory: ha });
    // The simulator starts at 2026-01-01T01:00Z; the HA campaign takes hours.
    const finishBy = '2026-01-01T02:00:00.000Z';
    let engine: Engine | undefined;
    const result = await simulateCampaign({
      inventory: ha,
      campaign: { ...haCampaign, strategy: { ...haCampaign.strategy, approveAfterWaves: [], finishBy } },
      seed: 2,
      onEngine: (e) => {
        engine = e;
      },
    });
    expect(result.outcome.state).toBe('paused');
    expect(result.outcome.reason).toContain('resume in the next window');
    expect(result.alarms.map((a) => a.code)).toContain('window-closing');
    const e = engine as Engine;
    // It stopped at a boundary, inside the window: every started wave was verified, before finishBy.
    const s = e.snapshot();
    expect(s.wavesStarted).toEqual(s.wavesDone);
    expect(Date.parse(s.updatedAt)).toBeLessThanOrEqual(Date.parse(finishBy));
    await expect(e.send(operator, { type: 'resume' })).rejects.toBeInstanceOf(WindowClosedError);
    await e.send(operator, { type: 'resume', finishBy: '2026-01-02T06:00:00.000Z' });
    expect((await e.whenResting()).state).toBe('completed');
  });
});
