/**
 * The campaign's and the steps' state machines as tables, and the journal reducer that folds records
 * through them. Pure: no engine, no clock.
 */
import { describe, expect, it } from 'vitest';
import { type JournalRecord, replay } from '../src/engine/journal.js';
import {
  CAMPAIGN_STATES,
  CAMPAIGN_TRANSITIONS,
  type CampaignEvent,
  type CampaignState,
  campaignTransition,
  machineDot,
  machineMermaid,
  STEP_STATES,
  STEP_TRANSITIONS,
  type StepEvent,
  type StepState,
  stepTransition,
} from '../src/engine/machine.js';
import { ErrorCode, EscalatorError, IllegalTransitionError, JournalCorruptError } from '../src/errors.js';
import type { Campaign } from '../src/model/campaign.js';
import type { Inventory } from '../src/model/inventory.js';
import { type Plan, PlanSchema, type StepInput } from '../src/model/plan.js';
import type { JournalEntry } from '../src/ports/state-store.js';

/** Every campaign transition, written out by hand: a change to the table must change this list too. */
const EXPECTED_CAMPAIGN: readonly (readonly [CampaignState, CampaignEvent, CampaignState])[] = [
  ['created', 'start', 'prechecking'],
  ['created', 'abort', 'failed'],
  ['prechecking', 'prechecks-passed', 'backing-up'],
  ['prechecking', 'prechecks-failed', 'failed'],
  ['prechecking', 'abort', 'failed'],
  ['backing-up', 'backup-done', 'executing'],
  ['backing-up', 'backup-failed', 'failed'],
  ['backing-up', 'abort', 'failed'],
  ['executing', 'pause', 'paused'],
  ['executing', 'waves-done', 'verifying'],
  ['executing', 'fail', 'failed'],
  ['executing', 'abort', 'failed'],
  ['executing', 'rollback', 'rolling-back'],
  ['paused', 'resume', 'executing'],
  ['paused', 'abort', 'failed'],
  ['paused', 'rollback', 'rolling-back'],
  ['verifying', 'verified', 'completed'],
  ['verifying', 'verification-failed', 'failed'],
  ['verifying', 'abort', 'failed'],
  ['verifying', 'rollback', 'rolling-back'],
  ['completed', 'commit', 'committed'],
  ['completed', 'rollback', 'rolling-back'],
  ['failed', 'rollback', 'rolling-back'],
  ['failed', 'restore', 'restoring'],
  ['failed', 'resume', 'executing'],
  ['failed', 'recheck', 'prechecking'],
  ['rolling-back', 'rolled-back', 'rolled-back'],
  ['rolling-back', 'undo-failed', 'restoring'],
  ['rolling-back', 'abort', 'failed'],
  ['rolled-back', 'restore', 'restoring'],
  ['restoring', 'restored', 'restored'],
  ['restoring', 'restore-failed', 'failed'],
];

/** Every step transition, written out by hand. */
const EXPECTED_STEP: readonly (readonly [StepState, StepEvent, StepState])[] = [
  ['pending', 'start', 'running'],
  ['pending', 'skip', 'skipped'],
  ['running', 'succeed', 'succeeded'],
  ['running', 'fail', 'failed'],
  ['running', 'time-out', 'timed-out'],
  ['running', 'recheck', 'running'],
  ['succeeded', 'undo', 'undone'],
  ['failed', 'retry', 'running'],
  ['failed', 'skip', 'skipped'],
  ['failed', 'undo', 'undone'],
  ['timed-out', 'retry', 'running'],
  ['timed-out', 'skip', 'skipped'],
  ['timed-out', 'undo', 'undone'],
];

const CAMPAIGN_EVENTS: readonly CampaignEvent[] = [
  'start',
  'prechecks-passed',
  'prechecks-failed',
  'backup-done',
  'backup-failed',
  'pause',
  'resume',
  'waves-done',
  'verified',
  'verification-failed',
  'commit',
  'fail',
  'abort',
  'rollback',
  'rolled-back',
  'undo-failed',
  'restore',
  'restored',
  'restore-failed',
  'recheck',
];
const STEP_EVENTS: readonly StepEvent[] = [
  'start',
  'succeed',
  'fail',
  'time-out',
  'skip',
  'retry',
  'undo',
  'recheck',
];

/** The rows of a transition table, as [from, event, to]. */
function rows<S extends string, E extends string>(
  table: Readonly<Record<S, Readonly<Partial<Record<E, S>>>>>,
): [S, E, S][] {
  const out: [S, E, S][] = [];
  for (const [from, events] of Object.entries(table) as [S, Partial<Record<E, S>>][])
    for (const [event, to] of Object.entries(events) as [E, S | undefined][])
      if (to) out.push([from, event, to]);
  return out;
}

const key = (row: readonly string[]) => row.join(' | ');

function expectIllegal(fn: () => unknown, machine: 'campaign' | 'step', from: string, event: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `${machine}: ${from} --${event}--> should be refused`).toBeInstanceOf(
    IllegalTransitionError,
  );
  const error = caught as IllegalTransitionError;
  expect(error.code).toBe('ESC_ILLEGAL_TRANSITION');
  expect(error.code).toBe(ErrorCode.IllegalTransition);
  expect(EscalatorError.is(error)).toBe(true);
  expect(error.machine).toBe(machine);
  expect(error.from).toBe(from);
  expect(error.event).toBe(event);
  expect(error.message).toContain(`"${event}"`);
  expect(error.message).toContain(`"${from}"`);
}

describe('campaign machine', () => {
  it('has exactly the transitions written out by hand', () => {
    expect(rows(CAMPAIGN_TRANSITIONS).map(key).sort()).toEqual(EXPECTED_CAMPAIGN.map(key).sort());
    expect(Object.keys(CAMPAIGN_TRANSITIONS).sort()).toEqual([...CAMPAIGN_STATES].sort());
  });

  it.each(EXPECTED_CAMPAIGN.map((r) => [...r]))(
    'accepts %s --%s--> %s (expected list)',
    (from, event, to) => {
      expect(campaignTransition(from, event)).toBe(to);
    },
  );

  it.each(rows(CAMPAIGN_TRANSITIONS))('accepts %s --%s--> %s (table)', (from, event, to) => {
    expect(campaignTransition(from, event)).toBe(to);
  });

  it('refuses every (state, event) pair that is not in the table', () => {
    const allowed = new Set(EXPECTED_CAMPAIGN.map(([from, event]) => `${from}|${event}`));
    let refused = 0;
    for (const state of CAMPAIGN_STATES)
      for (const event of CAMPAIGN_EVENTS) {
        if (allowed.has(`${state}|${event}`)) continue;
        expectIllegal(() => campaignTransition(state, event), 'campaign', state, event);
        refused++;
      }
    expect(refused).toBe(CAMPAIGN_STATES.length * CAMPAIGN_EVENTS.length - EXPECTED_CAMPAIGN.length);
  });

  it('only ever reaches known states, and every event is used somewhere', () => {
    for (const [, , to] of rows(CAMPAIGN_TRANSITIONS)) expect(CAMPAIGN_STATES).toContain(to);
    const used = new Set(rows(CAMPAIGN_TRANSITIONS).map(([, event]) => event));
    expect([...used].sort()).toEqual([...CAMPAIGN_EVENTS].sort());
  });

  it('committed and restored are final', () => {
    expect(Object.keys(CAMPAIGN_TRANSITIONS.committed)).toEqual([]);
    expect(Object.keys(CAMPAIGN_TRANSITIONS.restored)).toEqual([]);
  });
});

describe('step machine', () => {
  it('has exactly the transitions written out by hand', () => {
    expect(rows(STEP_TRANSITIONS).map(key).sort()).toEqual(EXPECTED_STEP.map(key).sort());
    expect(Object.keys(STEP_TRANSITIONS).sort()).toEqual([...STEP_STATES].sort());
  });

  it.each(EXPECTED_STEP.map((r) => [...r]))('accepts %s --%s--> %s (expected list)', (from, event, to) => {
    expect(stepTransition(from, event)).toBe(to);
  });

  it.each(rows(STEP_TRANSITIONS))('accepts %s --%s--> %s (table)', (from, event, to) => {
    expect(stepTransition(from, event)).toBe(to);
  });

  it('refuses every (state, event) pair that is not in the table', () => {
    const allowed = new Set(EXPECTED_STEP.map(([from, event]) => `${from}|${event}`));
    let refused = 0;
    for (const state of STEP_STATES)
      for (const event of STEP_EVENTS) {
        if (allowed.has(`${state}|${event}`)) continue;
        expectIllegal(() => stepTransition(state, event), 'step', state, event);
        refused++;
      }
    expect(refused).toBe(STEP_STATES.length * STEP_EVENTS.length - EXPECTED_STEP.length);
  });
});

describe('machine drawings', () => {
  const id = (s: string) => s.replace(/-/g, '_');

  it.each([
    ['campaign', EXPECTED_CAMPAIGN],
    ['step', EXPECTED_STEP],
  ] as const)('Mermaid draws every %s transition', (which, expected) => {
    const text = machineMermaid(which);
    const lines = text.split('\n');
    expect(lines[0]).toBe('stateDiagram-v2');
    expect(lines).toContain(`  [*] --> ${which === 'campaign' ? 'created' : 'pending'}`);
    for (const [from, event, to] of expected)
      expect(lines).toContain(`  ${id(from)} --> ${id(to)}: ${event}`);
    const edges = lines.filter((l) => /^ {2}\w+ --> \w+: /.test(l));
    expect(edges).toHaveLength(expected.length);
  });

  it('Mermaid marks the final states', () => {
    const lines = machineMermaid('campaign').split('\n');
    expect(lines).toContain('  committed --> [*]');
    expect(lines).toContain('  restored --> [*]');
    expect(machineMermaid('step').split('\n')).toContain('  skipped --> [*]');
  });

  it.each([
    ['campaign', EXPECTED_CAMPAIGN],
    ['step', EXPECTED_STEP],
  ] as const)('Graphviz draws every %s transition', (which, expected) => {
    const text = machineDot(which);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`digraph ${which} {`);
    expect(lines.at(-1)).toBe('}');
    for (const [from, event, to] of expected)
      expect(lines).toContain(`  "${from}" -> "${to}" [label="${event}"];`);
    expect(lines.filter((l) => l.includes(' -> '))).toHaveLength(expected.length);
  });
});

// ---------------------------------------------------------------------------------------------------
// The journal reducer

const AT = '2026-01-01T00:00:00.000Z';
const at = (s: number) => new Date(Date.parse(AT) + s * 1000).toISOString();

/** A two-wave plan of three steps, built by hand. */
function tinyPlan(): Plan {
  const step = (
    id: string,
    kind: 'disable-compute' | 'upgrade-packages' | 'enable-compute',
    after: string[],
  ): StepInput => ({
    id,
    after,
    expectedSeconds: 5,
    timeoutSeconds: 60,
    verify: 'checked',
    ...(kind === 'upgrade-packages'
      ? { kind, node: 'cmp-1', software: { nova: '2' }, previous: { nova: '1' } }
      : { kind, node: 'cmp-1' }),
  });
  return PlanSchema.parse({
    apiVersion: 'escalator/v1',
    kind: 'Plan',
    metadata: { name: 'tiny-plan' },
    waves: [
      {
        index: 0,
        nodes: ['cmp-1'],
        steps: [step('w0.a', 'disable-compute', []), step('w0.b', 'upgrade-packages', ['w0.a'])],
      },
      { index: 1, nodes: ['cmp-2'], steps: [step('w1.c', 'enable-compute', [])] },
    ],
  });
}

type Rec = JournalRecord extends infer R ? (R extends JournalRecord ? Omit<R, 'seq'> : never) : never;

function numbered(records: readonly Rec[]): JournalEntry[] {
  return records.map((r, i) => ({ ...r, seq: i + 1 }) as unknown as JournalEntry);
}

function journal(): Rec[] {
  const admin = { id: 'ada', roles: ['admin'] };
  return [
    {
      type: 'created',
      at: at(0),
      campaignId: 'tiny',
      inventory: { metadata: { name: 'inv' } } as unknown as Inventory,
      campaign: { metadata: { name: 'tiny' } } as unknown as Campaign,
      plan: tinyPlan(),
    },
    { type: 'campaign', at: at(1), event: 'start', from: 'created', to: 'prechecking' },
    {
      type: 'precheck',
      at: at(2),
      report: { ok: true, checks: [{ name: 'c', ok: true, detail: 'fine', nodes: [] }], unhealthyNodes: [] },
    },
    { type: 'campaign', at: at(2), event: 'prechecks-passed', from: 'prechecking', to: 'backing-up' },
    { type: 'campaign', at: at(3), event: 'backup-done', from: 'backing-up', to: 'executing' },
    { type: 'wave', at: at(3), wave: 0, event: 'started' },
    { type: 'step', at: at(4), step: 'w0.a', event: 'start', from: 'pending', to: 'running' },
    { type: 'step', at: at(5), step: 'w0.a', event: 'succeed', from: 'running', to: 'succeeded' },
    {
      type: 'step',
      at: at(6),
      step: 'w0.b',
      event: 'start',
      from: 'pending',
      to: 'running',
      data: { bootId: 'b1' },
    },
    {
      type: 'step',
      at: at(7),
      step: 'w0.b',
      event: 'fail',
      from: 'running',
      to: 'failed',
      error: { code: 'ESC_ADAPTER_FAILURE', message: 'refused' },
    },
    {
      type: 'alarm',
      at: at(7),
      alarm: { code: 'step-failed', severity: 'major', object: 'w0.b', message: 'refused', at: at(7) },
    },
    { type: 'campaign', at: at(8), event: 'pause', from: 'executing', to: 'paused', reason: 'w0.b failed' },
    { type: 'audit', at: at(9), principal: admin, action: 'resume', allowed: true, reason: 'ok' },
    { type: 'campaign', at: at(9), event: 'resume', from: 'paused', to: 'executing' },
    { type: 'step', at: at(10), step: 'w0.b', event: 'retry', from: 'failed', to: 'running' },
    {
      type: 'backup',
      at: at(11),
      step: 'w0.b',
      backup: { node: 'cmp-1', label: 'w0.b', location: '/b', software: { x: '1' }, checksum: 'sha256:x' },
    },
    { type: 'step', at: at(12), step: 'w0.b', event: 'succeed', from: 'running', to: 'succeeded' },
    { type: 'wave', at: at(12), wave: 0, event: 'verified' },
    { type: 'wave', at: at(13), wave: 0, event: 'approved' },
    { type: 'wave', at: at(13), wave: 1, event: 'started' },
    { type: 'step', at: at(14), step: 'w1.c', event: 'start', from: 'pending', to: 'running' },
    { type: 'step', at: at(15), step: 'w1.c', event: 'recheck', from: 'running', to: 'running' },
    { type: 'step', at: at(16), step: 'w1.c', event: 'succeed', from: 'running', to: 'succeeded' },
    { type: 'wave', at: at(16), wave: 1, event: 'verified' },
    { type: 'campaign', at: at(17), event: 'waves-done', from: 'executing', to: 'verifying' },
    { type: 'campaign', at: at(18), event: 'verified', from: 'verifying', to: 'completed' },
  ];
}

describe('journal replay', () => {
  it('folds a hand-built journal into the right snapshot', () => {
    const state = replay('tiny', numbered(journal()));
    expect(state.id).toBe('tiny');
    expect(state.state).toBe('completed');
    expect(state.seq).toBe(journal().length);
    expect(state.createdAt).toBe(at(0));
    expect(state.updatedAt).toBe(at(18));
    expect(state.reason).toBeUndefined();
    expect(state.steps).toEqual({
      'w0.a': { state: 'succeeded', attempts: 1, startedAt: at(4), endedAt: at(5) },
      'w0.b': { state: 'succeeded', attempts: 2, startedAt: at(10), endedAt: at(12), data: { bootId: 'b1' } },
      'w1.c': { state: 'succeeded', attempts: 1, startedAt: at(14), endedAt: at(16) },
    });
    expect(state.completionOrder).toEqual(['w0.a', 'w0.b', 'w1.c']);
    expect(state.wavesDone).toEqual([0, 1]);
    expect(state.wavesApproved).toEqual([0]);
    expect(state.failures).toBe(1);
    expect(state.backups.map((b) => b.label)).toEqual(['w0.b']);
    expect(state.alarms.map((a) => a.code)).toEqual(['step-failed']);
    expect(state.audit.map((a) => [a.principal.id, a.action, a.allowed])).toEqual([['ada', 'resume', true]]);
    expect(state.precheck?.ok).toBe(true);
  });

  it('keeps the pause reason and the step error while they apply', () => {
    const records = journal().slice(0, 12);
    const state = replay('tiny', numbered(records));
    expect(state.state).toBe('paused');
    expect(state.reason).toBe('w0.b failed');
    expect(state.steps['w0.b']).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: { code: 'ESC_ADAPTER_FAILURE', message: 'refused' },
    });
  });

  it('a replan keeps the known steps and adds the new ones as pending', () => {
    const plan = tinyPlan();
    const newPlan = PlanSchema.parse({
      ...plan,
      waves: [
        plan.waves[0],
        {
          index: 1,
          nodes: ['cmp-3'],
          steps: [{ ...plan.waves[1]!.steps[0]!, id: 'w1.d', node: 'cmp-3' }],
        },
      ],
    });
    const records = [
      ...journal().slice(0, 19),
      { type: 'replan', at: at(13), plan: newPlan, reason: 'drift' } as Rec,
    ];
    const state = replay('tiny', numbered(records));
    expect(Object.keys(state.steps).sort()).toEqual(['w0.a', 'w0.b', 'w1.d']);
    expect(state.steps['w0.b']?.state).toBe('succeeded');
    expect(state.steps['w1.d']).toEqual({ state: 'pending', attempts: 0 });
    expect(state.plan).toEqual(newPlan);
    // A replan without an inventory (older journals) keeps the one the campaign was created with.
    expect(state.inventory).toEqual({ metadata: { name: 'inv' } });
  });

  it('a replan adopts the fresh inventory it was made on', () => {
    const fresh = { metadata: { name: 'fresh' } } as unknown as Inventory;
    const records = [
      ...journal().slice(0, 19),
      { type: 'replan', at: at(13), plan: tinyPlan(), inventory: fresh, reason: 'drift' } as Rec,
    ];
    expect(replay('tiny', numbered(records)).inventory).toEqual(fresh);
  });

  const corruptions: [string, (records: Rec[]) => Rec[], RegExp][] = [
    [
      'an illegal campaign transition',
      (r) => [
        ...r.slice(0, 2),
        { type: 'campaign', at: at(2), event: 'verified', from: 'prechecking', to: 'completed' },
      ],
      /not allowed/,
    ],
    [
      'an illegal step transition',
      (r) => [
        ...r.slice(0, 6),
        { type: 'step', at: at(4), step: 'w0.a', event: 'succeed', from: 'pending', to: 'succeeded' },
      ],
      /not allowed/,
    ],
    [
      'an unknown step',
      (r) => [
        ...r.slice(0, 6),
        { type: 'step', at: at(4), step: 'w9.nope', event: 'start', from: 'pending', to: 'running' },
      ],
      /unknown step "w9.nope"/,
    ],
    [
      'a step "from" that does not match',
      (r) => [
        ...r.slice(0, 8),
        { type: 'step', at: at(6), step: 'w0.a', event: 'undo', from: 'failed', to: 'undone' },
      ],
      /record says "failed"/,
    ],
    [
      'a campaign "from" that does not match',
      (r) => [
        ...r.slice(0, 2),
        { type: 'campaign', at: at(2), event: 'prechecks-passed', from: 'paused', to: 'backing-up' } as Rec,
      ],
      /campaign is "prechecking", record says "paused"/,
    ],
    [
      'a "to" that the event does not lead to',
      (r) => [
        ...r.slice(0, 2),
        { type: 'campaign', at: at(2), event: 'prechecks-passed', from: 'prechecking', to: 'completed' },
      ],
      /leads to "backing-up", record says "completed"/,
    ],
    ['a record before "created"', (r) => r.slice(1), /before "created"/],
    ['a second "created"', (r) => [...r.slice(0, 3), r[0] as Rec], /second "created"/],
  ];

  it.each(corruptions)('throws JournalCorruptError on %s', (_name, corrupt, detail) => {
    const entries = numbered(corrupt(journal()));
    let caught: unknown;
    try {
      replay('tiny', entries);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(JournalCorruptError);
    const error = caught as JournalCorruptError;
    expect(error.code).toBe('ESC_JOURNAL_CORRUPT');
    expect(error.campaign).toBe('tiny');
    expect(error.message).toMatch(detail);
  });

  it('names the record that does not fit', () => {
    const records = journal();
    records.splice(7, 0, {
      type: 'step',
      at: at(4),
      step: 'w0.a',
      event: 'start',
      from: 'pending',
      to: 'running',
    });
    expect(() => replay('tiny', numbered(records))).toThrow(JournalCorruptError);
    try {
      replay('tiny', numbered(records));
    } catch (error) {
      expect((error as JournalCorruptError).line).toBe(8);
    }
  });

  it('an empty journal is corrupt', () => {
    expect(() => replay('tiny', [])).toThrow(/empty/);
    expect(() => replay('tiny', [])).toThrow(JournalCorruptError);
  });
});
