/**
 * The campaign engine's policies, run against a small in-test cloud (test/support/fake-cloud.ts) on a
 * virtual clock with a memory store: retries, hangs and timeouts, failure policies, gates, VNF
 * maintenance conversations, drift, concurrency limits, prechecks, authorization, rollback, restore,
 * abort, status and events.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createRoleAuthorizer } from '../src/auth/role-authorizer.js';
import { createVirtualClock, type VirtualClock } from '../src/clock/virtual-clock.js';
import { createEngine, type Engine, type EngineOptions } from '../src/engine/engine.js';
import type { EngineEvents } from '../src/engine/events.js';
import type { CampaignSnapshot } from '../src/engine/journal.js';
import type { EnginePolicyInput } from '../src/engine/policy.js';
import { ForbiddenError, IllegalTransitionError } from '../src/errors.js';
import { loadCampaign, loadInventory } from '../src/loader/load.js';
import { type Campaign, type CampaignInput, CampaignSchema } from '../src/model/campaign.js';
import { type Inventory, type InventoryInput, InventorySchema } from '../src/model/inventory.js';
import type { Plan, Step } from '../src/model/plan.js';
import { createPlan } from '../src/planner/create-plan.js';
import type { Adapters } from '../src/ports/adapters.js';
import type { Principal } from '../src/ports/authorizer.js';
import type { LogRecord } from '../src/ports/logger.js';
import type { StateStore } from '../src/ports/state-store.js';
import { createMemoryStore, type MemoryStateStore } from '../src/stores/memory-store.js';
import { FakeCloud } from './support/fake-cloud.js';

const admin: Principal = { id: 'ada', roles: ['admin'] };
const operator: Principal = { id: 'otto', roles: ['operator'] };
const viewer: Principal = { id: 'vic', roles: ['viewer'] };
const START = Date.parse('2026-11-25T00:00:00Z');

interface Harness {
  readonly clock: VirtualClock;
  readonly cloud: FakeCloud;
  readonly store: MemoryStateStore;
  readonly engine: Engine;
  readonly inventory: Inventory;
  readonly campaign: Campaign;
  readonly plan: Plan;
  readonly logs: LogRecord[];
  /** Every event the engine emitted, in order. */
  readonly events: { [K in keyof EngineEvents]: EngineEvents[K][0][] };
  /** Steps of the plan by id. */
  step(id: string): Step;
  /** The snapshot's record of a step. */
  record(id: string): CampaignSnapshot['steps'][string];
  start(): ReturnType<Engine['start']>;
}

interface HarnessOptions {
  readonly policy?: EnginePolicyInput;
  readonly plan?: Plan;
  /** The plan breaks a rule on purpose (to see the engine hold the line at run time). */
  readonly unsafePlan?: boolean;
  readonly adapters?: (cloud: FakeCloud, clock: VirtualClock, engine: () => Engine) => Partial<Adapters>;
  readonly refreshInventory?: (cloud: FakeCloud) => EngineOptions['refreshInventory'];
  readonly setup?: (cloud: FakeCloud) => void;
}

function harness(inventory: Inventory, campaign: Campaign, options: HarnessOptions = {}): Harness {
  const clock = createVirtualClock({ autoAdvance: true, start: START });
  const cloud = new FakeCloud(inventory, { clock });
  options.setup?.(cloud);
  const store = createMemoryStore();
  const logs: LogRecord[] = [];
  const engine: Engine = createEngine({
    adapters: {
      vim: cloud.vim,
      nodes: cloud.nodes,
      vnfm: cloud.vnfm,
      ...options.adapters?.(cloud, clock, () => engine),
    },
    store,
    authorizer: createRoleAuthorizer(),
    clock,
    logger: { log: (r) => logs.push(r) },
    policy: options.policy,
    refreshInventory: options.refreshInventory?.(cloud),
  });
  const events: Harness['events'] = {
    transition: [],
    step: [],
    progress: [],
    alarm: [],
    wave: [],
    record: [],
  };
  const listen = engine.on.bind(engine) as (name: keyof EngineEvents, fn: (e: unknown) => void) => Engine;
  for (const name of Object.keys(events) as (keyof EngineEvents)[])
    listen(name, (e) => (events[name] as unknown[]).push(e));
  const plan = options.plan ?? createPlan(inventory, campaign);
  const steps = new Map(plan.waves.flatMap((w) => w.steps.map((s) => [s.id, s] as const)));
  return {
    clock,
    cloud,
    store,
    engine,
    inventory,
    campaign,
    plan,
    logs,
    events,
    step: (id) => {
      const s = steps.get(id);
      if (!s) throw new Error(`no step ${id} in the plan`);
      return s;
    },
    record: (id) => {
      const r = engine.snapshot().steps[id];
      if (!r) throw new Error(`no step ${id} in the snapshot`);
      return r;
    },
    start: () => engine.start(admin, { inventory, campaign, plan, unsafePlan: options.unsafePlan }),
  };
}

/** The campaign with some strategy fields changed. */
function withStrategy(campaign: Campaign, strategy: Partial<Campaign['strategy']>): Campaign {
  return CampaignSchema.parse({ ...campaign, strategy: { ...campaign.strategy, ...strategy } });
}

/** Effects of a kind (`install`, `migrate`, ...), in order. */
function effects(cloud: FakeCloud, ...kinds: string[]): string[] {
  return cloud.state.effects.filter((e) => kinds.some((k) => e.startsWith(`${k}:`)));
}

let minimalInventory: Inventory;
let minimalCampaign: Campaign;
beforeAll(async () => {
  minimalInventory = await loadInventory('examples/minimal/inventory.yaml');
  minimalCampaign = await loadCampaign('examples/minimal/campaign.yaml', { inventory: minimalInventory });
});

const OLD = 'nova-compute=26.2.2,kernel=6.1.0-18-amd64';
const NEW = 'nova-compute=27.1.0,kernel=6.1.0-21-amd64';

describe('retries', () => {
  it('retries a transient fault with backoff waited on the virtual clock, and the step succeeds', async () => {
    const calls: number[] = [];
    const h = harness(minimalInventory, minimalCampaign, {
      policy: { retry: { retries: 3, minDelayMs: 2000, factor: 3, maxDelayMs: 60_000 } },
      setup: (cloud) => cloud.faults.set('installVersions:cmp-1', ['transient', 'transient']),
      adapters: (cloud, clock) => ({
        nodes: {
          ...cloud.nodes,
          installVersions: (node, software, o) => {
            if (node === 'cmp-1') calls.push(clock.now());
            return cloud.nodes.installVersions(node, software, o);
          },
        },
      }),
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('completed');
    const step = h.record('w0.cmp-1.upgrade-packages');
    expect(step.state).toBe('succeeded');
    expect(step.attempts).toBe(1); // retries inside one attempt of the step
    expect(calls).toHaveLength(3);
    // Each call takes the fake's 1 s; then backoff 2 s, then 6 s (factor 3), all in virtual time.
    expect(calls[1]! - calls[0]!).toBe(1000 + 2000);
    expect(calls[2]! - calls[1]!).toBe(1000 + 6000);
    expect(h.cloud.count(`install:cmp-1:${NEW}`)).toBe(1);
    // Retried call by call, each retry logged with the call it repeats.
    expect(
      h.logs.filter((l) => l.action === 'call.retry' && l.message.startsWith('nodes.installVersions:')),
    ).toHaveLength(2);
    expect(h.engine.snapshot().failures).toBe(0);
  });

  it('gives up after the last retry and fails the step', async () => {
    const h = harness(minimalInventory, minimalCampaign, {
      policy: { retry: { retries: 2, minDelayMs: 100 } },
      setup: (cloud) => cloud.faults.set('installVersions:cmp-1', ['transient', 'transient', 'transient']),
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('paused');
    expect(h.record('w0.cmp-1.upgrade-packages')).toMatchObject({
      state: 'failed',
      error: { code: 'ESC_ADAPTER_FAILURE:http-503' },
    });
    expect(h.cloud.faults.get('installVersions:cmp-1')).toEqual([]);
    expect(h.cloud.count(`install:cmp-1:${NEW}`)).toBe(0);
  });

  it('does not retry a permanent fault', async () => {
    let calls = 0;
    const h = harness(minimalInventory, minimalCampaign, {
      setup: (cloud) => cloud.faults.set('installVersions:cmp-1', ['permanent']),
      adapters: (cloud) => ({
        nodes: {
          ...cloud.nodes,
          installVersions: (node, software, o) => {
            if (node === 'cmp-1') calls++;
            return cloud.nodes.installVersions(node, software, o);
          },
        },
      }),
    });
    const outcome = await h.start();
    expect(calls).toBe(1);
    expect(outcome.state).toBe('paused');
    expect(h.record('w0.cmp-1.upgrade-packages')).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: { code: 'ESC_ADAPTER_FAILURE:http-409' },
    });
    expect(h.logs.filter((l) => l.action === 'step.retry' || l.action === 'call.retry')).toEqual([]);
    // Nothing after the failed step ran.
    expect(h.record('w0.cmp-1.reboot').state).toBe('pending');
    expect(h.cloud.count('reboot:cmp-1')).toBe(0);
  });
});

describe('real-cloud defaults', () => {
  /**
   * Nova Zed after a member of an anti-affinity group left a host: a move onto it is refused with "No
   * valid host" (a migration ending in error, marked as passing) for about 120 s.
   */
  const refusingFor = (ms: number) => (cloud: FakeCloud, clock: VirtualClock) => {
    const refusedUntil = new Map<string, number>();
    return {
      vim: {
        ...cloud.vim,
        migrate: async (
          instance: string,
          request: Parameters<typeof cloud.vim.migrate>[1],
          o?: { signal?: AbortSignal },
        ) => {
          if (!refusedUntil.has(instance)) refusedUntil.set(instance, clock.now() + ms);
          if (clock.now() < (refusedUntil.get(instance) ?? 0)) return;
          await cloud.vim.migrate(instance, request, o);
        },
        migrationStatus: async (instance: string, o?: { signal?: AbortSignal }) => {
          const status = await cloud.vim.migrationStatus(instance, o);
          return clock.now() < (refusedUntil.get(instance) ?? 0)
            ? { ...status, status: 'error' as const, retryable: true, message: 'No valid host was found' }
            : status;
        },
      },
    };
  };

  it('the default migrate policy rides out Nova\'s ~120 s "No valid host" refusal', async () => {
    const h = harness(minimalInventory, minimalCampaign, { adapters: refusingFor(120_000) });
    expect((await h.start()).state).toBe('completed');
    const migrate = h.plan.waves.flatMap((w) => w.steps).find((s) => s.kind === 'migrate');
    expect(migrate).toBeDefined();
    const record = h.record(migrate?.id as string);
    expect(record.state).toBe('succeeded');
    // Waited out in virtual time: more than the refusal, within the step's (widened) timeout.
    expect(Date.parse(record.endedAt as string) - Date.parse(record.startedAt as string)).toBeGreaterThan(
      120_000,
    );
  });

  it('the engine-wide retry policy alone gives up on it (why migrations have their own default)', async () => {
    const h = harness(minimalInventory, minimalCampaign, {
      adapters: refusingFor(120_000),
      policy: {
        steps: { migrate: { retry: { retries: 3, minDelayMs: 2000, factor: 2 }, timeoutFactor: 1 } },
      },
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('paused');
    expect(outcome.reason).toContain('No valid host');
  });

  it('a compute whose service died: the timed-out step says the compute service is down', async () => {
    const dead = new Set<string>();
    const h = harness(minimalInventory, minimalCampaign, {
      adapters: (cloud, clock) => ({
        vim: {
          ...cloud.vim,
          listComputeServices: async (o) =>
            (await cloud.vim.listComputeServices(o)).map((s) =>
              dead.has(s.host) ? { ...s, state: 'down' as const } : s,
            ),
          // A dead nova-compute: the call blocks until it is given up on.
          disableComputeService: async (host, reason, o) => {
            if (host !== 'cmp-1') return cloud.vim.disableComputeService(host, reason, o);
            dead.add(host);
            await clock.sleep(24 * 3600 * 1000, o?.signal);
          },
        },
      }),
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('paused');
    const record = h.record('w0.cmp-1.disable-compute');
    expect(record.state).toBe('timed-out');
    expect(record.error?.message).toContain('did not finish within');
    expect(record.error?.message).toContain('the compute service of cmp-1 is down in the VIM');
    expect(h.engine.snapshot().alarms.find((a) => a.code === 'step-failed')?.message).toContain('is down');
  });
});

describe('hangs and timeouts', () => {
  it('raises step-hang, then times the step out at its timeout', async () => {
    const h = harness(minimalInventory, minimalCampaign, {
      policy: { hangFloorSeconds: 0 }, // the factor alone, for a step expected to take seconds
      setup: (cloud) => cloud.faults.set('disable:cmp-1', ['hang']),
    });
    const step = h.step('w0.cmp-1.disable-compute');
    const outcome = await h.start();
    expect(outcome.state).toBe('paused');
    const record = h.record(step.id);
    expect(record.state).toBe('timed-out');
    expect(record.error?.code).toBe('ESC_TIMEOUT');
    const started = Date.parse(record.startedAt!);
    expect(Date.parse(record.endedAt!) - started).toBe(step.timeoutSeconds * 1000);
    const hang = h.engine.snapshot().alarms.find((a) => a.code === 'step-hang');
    expect(hang).toMatchObject({ object: step.id, severity: 'warning' });
    // 2 × the expected duration (the default hangFactor), well before the timeout.
    expect(Date.parse(hang!.at) - started).toBe(step.expectedSeconds * 2 * 1000);
    const alarms = h.engine.snapshot().alarms.map((a) => a.code);
    expect(alarms.indexOf('step-hang')).toBeLessThan(alarms.indexOf('step-failed'));
    expect(h.cloud.count('disable:cmp-1')).toBe(0);
    // The cancelled call left no timer behind.
    expect(h.clock.pending).toBe(0);
    expect(h.engine.snapshot().reason).toContain(step.id);
  });

  it('honours a per-kind timeoutFactor and hangFactor', async () => {
    const h = harness(minimalInventory, minimalCampaign, {
      policy: { hangFactor: 3, hangFloorSeconds: 0, steps: { 'disable-compute': { timeoutFactor: 2 } } },
      setup: (cloud) => cloud.faults.set('disable:cmp-1', ['hang']),
    });
    const step = h.step('w0.cmp-1.disable-compute');
    await h.start();
    const record = h.record(step.id);
    const started = Date.parse(record.startedAt!);
    expect(Date.parse(record.endedAt!) - started).toBe(step.timeoutSeconds * 2 * 1000);
    const hang = h.engine.snapshot().alarms.find((a) => a.code === 'step-hang');
    expect(Date.parse(hang!.at) - started).toBe(step.expectedSeconds * 3 * 1000);
  });
});

describe('onFailure: pause', () => {
  it('pauses with a reason naming the step; resume retries it and completes', async () => {
    const h = harness(minimalInventory, minimalCampaign, {
      setup: (cloud) => cloud.faults.set('installVersions:cmp-1', ['permanent']),
    });
    const first = await h.start();
    expect(first.state).toBe('paused');
    expect(first.reason).toContain('w0.cmp-1.upgrade-packages');
    expect(h.engine.status().nodes.find((n) => n.node === 'cmp-1')).toMatchObject({
      state: 'failed',
      step: 'w0.cmp-1.upgrade-packages',
    });
    expect(h.cloud.count(`install:cmp-1:${NEW}`)).toBe(0);

    const second = await h.engine.resume(operator);
    expect(second.state).toBe('completed');
    expect(h.record('w0.cmp-1.upgrade-packages')).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(h.cloud.count(`install:cmp-1:${NEW}`)).toBe(1);
    expect(h.cloud.count(`install:cmp-2:${NEW}`)).toBe(1);
    for (const [id, s] of Object.entries(h.engine.snapshot().steps)) expect(s.state, id).toBe('succeeded');
    const journal = await h.engine.journal();
    expect(
      journal
        .filter((r) => r['type'] === 'step' && r['step'] === 'w0.cmp-1.upgrade-packages')
        .map((r) => r['event']),
    ).toEqual(['start', 'fail', 'retry', 'succeed']);
  });
});

/** The effect an undo of `step` has on the fake cloud, or none. */
function undoEffects(step: Step): string[] {
  switch (step.kind) {
    case 'disable-compute':
      return [`enable:${step.node}`];
    case 'enable-compute':
      return [`disable:${step.node}`];
    case 'migrate':
      return [`migrate:${step.instance}:${step.from}`];
    case 'upgrade-packages':
      return [
        `install:${step.node}:${Object.entries(step.previous)
          .map(([c, v]) => `${c}=${v}`)
          .join(',')}`,
      ];
    default:
      return [];
  }
}

describe('onFailure: rollback', () => {
  it('undoes every succeeded step in reverse completion order (instances back once their host is enabled) and ends rolled-back', async () => {
    const campaign = withStrategy(minimalCampaign, { onFailure: 'rollback' });
    const h = harness(minimalInventory, campaign, {
      setup: (cloud) => cloud.faults.set('reboot:cmp-2', ['permanent']),
    });
    let failedAt = -1;
    h.engine.on('step', (e) => {
      if (e.to === 'failed') failedAt = h.cloud.state.effects.length;
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('rolled-back');
    const snapshot = h.engine.snapshot();
    const order = snapshot.completionOrder;
    expect(order.length).toBeGreaterThan(10);
    // Everything that had succeeded, and the failed step, is now undone.
    for (const [id, s] of Object.entries(snapshot.steps))
      expect(s.state, id).toBe(order.includes(id) || id === 'w1.cmp-2.reboot' ? 'undone' : 'pending');
    // The failed step first (it has no undo), then the succeeded steps, newest first — except that a
    // migration is moved back only once its old host is enabled again (its disable-compute undone).
    const newestFirst = [...order].reverse();
    const reordered: string[] = [];
    const waiting = new Map<string, string[]>();
    for (const id of newestFirst) {
      const disable =
        h.step(id).kind === 'migrate'
          ? h.step(id).after.find((a) => a.endsWith('.disable-compute'))
          : undefined;
      if (disable && !reordered.includes(disable))
        waiting.set(disable, [...(waiting.get(disable) ?? []), id]);
      else reordered.push(id, ...(waiting.get(id) ?? []));
    }
    const undone = h.events.step.filter((e) => e.to === 'undone').map((e) => e.step.id);
    expect(undone).toEqual(['w1.cmp-2.reboot', ...reordered]);
    const expected = reordered.flatMap((id) => undoEffects(h.step(id)));
    const after = h.cloud.state.effects.slice(failedAt).filter((e) => !e.startsWith('restart:'));
    expect(after).toEqual(expected);
    // Spelled out for this plan: cmp-2 back (enabled, then its instances return), then cmp-1.
    expect(after).toEqual([
      `install:cmp-2:${OLD}`,
      'enable:cmp-2',
      'migrate:cache-1:cmp-2',
      'migrate:db-1:cmp-2',
      'disable:cmp-1',
      `install:cmp-1:${OLD}`,
      'enable:cmp-1',
      'migrate:db-1:cmp-1',
    ]);
    // The cloud is as it was.
    expect(h.cloud.state.hosts).toEqual({
      'web-1': 'cmp-1',
      'db-1': 'cmp-1',
      'web-2': 'cmp-2',
      'cache-1': 'cmp-2',
    });
    expect(h.cloud.state.services['cmp-1']?.status).toBe('enabled');
    expect(h.cloud.state.services['cmp-2']?.status).toBe('enabled');
    expect(h.cloud.state.versions['cmp-1']).toMatchObject({
      'nova-compute': '26.2.2',
      kernel: '6.1.0-18-amd64',
    });
    expect(h.cloud.state.versions['cmp-2']).toMatchObject({
      'nova-compute': '26.2.2',
      kernel: '6.1.0-18-amd64',
    });
    expect(
      h.engine
        .status()
        .nodes.filter((n) => n.wave !== undefined)
        .map((n) => n.state),
    ).toEqual(['rolled-back', 'rolled-back']);
  });
});

describe('onFailure: continue', () => {
  it('tolerates maxFailures failures (skipping the node), and pauses at the next one', async () => {
    const campaign = withStrategy(minimalCampaign, { onFailure: 'continue', maxFailures: 1 });
    const h = harness(minimalInventory, campaign, {
      setup: (cloud) => {
        cloud.faults.set('installVersions:cmp-1', ['permanent']);
        cloud.faults.set('installVersions:cmp-2', ['permanent']);
      },
    });
    let pausedBeforeWave1 = false;
    h.engine.on('wave', (e) => {
      if (e.wave === 1 && e.event === 'started')
        pausedBeforeWave1 = h.engine.snapshot().state !== 'executing';
    });
    const outcome = await h.start();
    expect(pausedBeforeWave1).toBe(false);
    expect(outcome.state).toBe('paused');
    expect(outcome.reason).toContain('maxFailures 1');
    expect(outcome.reason).toContain('w1.cmp-2.upgrade-packages');
    const snapshot = h.engine.snapshot();
    expect(snapshot.failures).toBe(2);
    // The first failure: cmp-1's later steps were given up, and wave 0 still counted as done.
    expect(h.record('w0.cmp-1.upgrade-packages').state).toBe('failed');
    for (const kind of ['reboot', 'wait-node', 'verify-services', 'enable-compute'])
      expect(h.record(`w0.cmp-1.${kind}`).state, kind).toBe('skipped');
    expect(snapshot.wavesDone).toEqual([0]);
    expect(h.cloud.count('reboot:cmp-1')).toBe(0);
    // Wave 1 ran until its own failure.
    expect(h.record('w1.cmp-2.backup').state).toBe('succeeded');
    expect(h.record('w1.cmp-2.upgrade-packages').state).toBe('failed');
    expect(h.record('w1.cmp-2.reboot').state).toBe('pending');
    expect(h.events.transition.map((t) => t.to)).toEqual([
      'prechecking',
      'backing-up',
      'executing',
      'paused',
    ]);
    expect(snapshot.alarms.filter((a) => a.code === 'step-failed').map((a) => a.object)).toEqual([
      'w0.cmp-1.upgrade-packages',
      'w1.cmp-2.upgrade-packages',
    ]);
  });

  it('with maxFailures 0, the first failure pauses', async () => {
    const campaign = withStrategy(minimalCampaign, { onFailure: 'continue', maxFailures: 0 });
    const h = harness(minimalInventory, campaign, {
      setup: (cloud) => cloud.faults.set('installVersions:cmp-1', ['permanent']),
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('paused');
    expect(outcome.reason).toContain('w0.cmp-1.upgrade-packages');
    expect(h.engine.snapshot().wavesDone).toEqual([]);
  });
});

describe('approval gates', () => {
  it('pauses after a wave listed in approveAfterWaves; approve goes on', async () => {
    const campaign = withStrategy(minimalCampaign, { approveAfterWaves: [0] });
    const h = harness(minimalInventory, campaign);
    const first = await h.start();
    expect(first.state).toBe('paused');
    expect(first.reason).toContain('approval needed after wave 0');
    expect(h.engine.snapshot().wavesDone).toEqual([0]);
    expect(h.plan.waves[1]!.steps.every((s) => h.record(s.id).state === 'pending')).toBe(true);
    expect(effects(h.cloud, 'disable', 'install').filter((e) => e.includes('cmp-2'))).toEqual([]);

    // Resuming does not pass the gate: only approving does.
    const resumed = await h.engine.resume(operator);
    expect(resumed.state).toBe('paused');
    expect(resumed.reason).toContain('approval needed after wave 0');

    const approved = await h.engine.approve(operator);
    expect(approved.state).toBe('completed');
    expect(h.engine.snapshot().wavesApproved).toEqual([0]);
    expect(h.events.wave).toContainEqual({ wave: 0, event: 'approved' });
    expect(h.cloud.count(`install:cmp-2:${NEW}`)).toBe(1);
    await expect(h.engine.approve(operator)).rejects.toMatchObject({ code: 'ESC_ILLEGAL_TRANSITION' });
  });

  it('a gate after the last wave holds the campaign before verification', async () => {
    const campaign = withStrategy(minimalCampaign, { approveAfterWaves: [1] });
    const h = harness(minimalInventory, campaign);
    const first = await h.start();
    expect(first).toMatchObject({ state: 'paused', reason: expect.stringContaining('after wave 1') });
    expect((await h.engine.approve(operator)).state).toBe('completed');
  });
});

const compute = (name: string) => ({
  name,
  roles: ['compute' as const],
  capacity: { vcpus: 64, memoryMiB: 131072, diskGiB: 1000 },
  software: { 'nova-compute': '26.2.2' },
});
const vm = (name: string, host: string, extra: Record<string, string> = {}) => ({
  name,
  host,
  resources: { vcpus: 2, memoryMiB: 2048, diskGiB: 10 },
  ...extra,
});
function parseInventory(input: InventoryInput): Inventory {
  return InventorySchema.parse(input);
}
function parseCampaign(input: CampaignInput): Campaign {
  return CampaignSchema.parse(input);
}

/** Four computes; a VNF whose manager is told of maintenance, its instances in a soft anti-affinity group. */
function vnfLab(): { inventory: Inventory; campaign: Campaign } {
  const inventory = parseInventory({
    apiVersion: 'escalator/v1',
    kind: 'Inventory',
    metadata: { name: 'vnf-lab' },
    nodes: ['cmp-1', 'cmp-2', 'cmp-3', 'cmp-4'].map(compute),
    instances: [
      vm('mme-1', 'cmp-1', { vnf: 'vEPC', serverGroup: 'mme' }),
      vm('mme-2', 'cmp-1', { vnf: 'vEPC', serverGroup: 'mme' }),
      vm('mme-3', 'cmp-2', { vnf: 'vEPC', serverGroup: 'mme' }),
      vm('mme-4', 'cmp-2', { vnf: 'vEPC', serverGroup: 'mme' }),
      vm('vm-1', 'cmp-3'),
    ],
    serverGroups: [{ name: 'mme', policy: 'soft-anti-affinity', maxImpacted: 1 }],
    vnfs: [{ name: 'vEPC', minAvailable: 3, maintenance: { notify: true, leadTimeSeconds: 30 } }],
  });
  const campaign = parseCampaign({
    apiVersion: 'escalator/v1',
    kind: 'Campaign',
    metadata: { name: 'vnf-upgrade' },
    target: { software: { 'nova-compute': '27.1.0' } },
    strategy: { maxParallel: 2, canary: 1 },
  });
  return { inventory, campaign };
}

describe('VNF maintenance', () => {
  it("a manager answering nack fails the notify step, and none of its VNF's nodes is touched", async () => {
    const { inventory, campaign } = vnfLab();
    const h = harness(inventory, campaign, { setup: (cloud) => (cloud.vnfReply = 'nack') });
    const notify = h.plan.waves.flatMap((w) => w.steps).find((s) => s.kind === 'notify-vnf')!;
    const wave = h.plan.waves.find((w) => w.steps.includes(notify))!;
    const outcome = await h.start();
    expect(outcome.state).toBe('paused');
    expect(outcome.reason).toContain(notify.id);
    expect(h.record(notify.id)).toMatchObject({
      state: 'failed',
      error: { code: 'ESC_ADAPTER_FAILURE:vnf-nack' },
    });
    expect(h.cloud.count('notify:vEPC')).toBe(1);
    // The nodes that hold the VNF's instances wait for its manager; the notice is their only gate.
    const held = wave.steps.flatMap((s) =>
      s.kind === 'disable-compute' && s.after.includes(notify.id) ? [s] : [],
    );
    expect(held.length).toBeGreaterThan(0);
    for (const disable of held) {
      expect(effects(h.cloud, 'disable').filter((e) => e === `disable:${disable.node}`)).toEqual([]);
      const ofNode = wave.steps.filter((s) => 'node' in s && s.node === disable.node);
      expect(ofNode.every((s) => h.record(s.id).state === 'pending')).toBe(true);
    }
  });

  it('honours a maintenance reply delivered through engine.notify', async () => {
    const { inventory, campaign } = vnfLab();
    const notices: { id: string; at: number }[] = [];
    const h = harness(inventory, campaign, {
      adapters: (cloud, clock, engine) => ({
        vnfm: {
          // A manager that calls back: its answer comes 5 s later through engine.notify.
          notifyMaintenance: (notice, o) => {
            notices.push({ id: notice.id, at: clock.now() });
            void clock
              .sleep(5000)
              .then(() =>
                engine().notify(operator, { type: 'maintenance-reply', notice: notice.id, reply: 'ack' }),
              );
            return new Promise((_, reject) =>
              o?.signal?.addEventListener('abort', () => reject(o.signal?.reason)),
            );
          },
          notifyDone: cloud.vnfm.notifyDone,
        },
      }),
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('completed');
    const notifySteps = h.plan.waves.flatMap((w) => w.steps).filter((s) => s.kind === 'notify-vnf');
    expect(notices.map((n) => n.id)).toEqual(notifySteps.map((s) => `vnf-upgrade/${s.id}`));
    for (const s of notifySteps) {
      const r = h.record(s.id);
      expect(r.state).toBe('succeeded');
      expect(Date.parse(r.endedAt!) - Date.parse(r.startedAt!)).toBe(5000);
    }
    expect(h.engine.snapshot().audit.filter((a) => a.action === 'notify' && a.allowed)).toHaveLength(
      notifySteps.length,
    );
  });

  it('a nack delivered through engine.notify fails the step', async () => {
    const { inventory, campaign } = vnfLab();
    const h = harness(inventory, campaign, {
      adapters: (_cloud, clock, engine) => ({
        vnfm: {
          notifyMaintenance: (notice, o) => {
            void clock
              .sleep(5000)
              .then(() =>
                engine().notify(operator, { type: 'maintenance-reply', notice: notice.id, reply: 'nack' }),
              );
            return new Promise((_, reject) =>
              o?.signal?.addEventListener('abort', () => reject(o.signal?.reason)),
            );
          },
          notifyDone: async () => undefined,
        },
      }),
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('paused');
    const notify = h.plan.waves.flatMap((w) => w.steps).find((s) => s.kind === 'notify-vnf')!;
    expect(h.record(notify.id)).toMatchObject({
      state: 'failed',
      error: { code: 'ESC_ADAPTER_FAILURE:vnf-nack' },
    });
  });
});

/** Counts migrations in flight per server group through the VIM port. */
function groupCounter(inventory: Inventory) {
  const groupOf = new Map(inventory.instances.map((i) => [i.name, i.serverGroup] as const));
  const now = new Map<string, number>();
  const max = new Map<string, number>();
  return {
    max,
    adapters: (cloud: FakeCloud): Partial<Adapters> => ({
      vim: {
        ...cloud.vim,
        migrate: async (instance, request, o) => {
          const group = groupOf.get(instance);
          if (group) {
            now.set(group, (now.get(group) ?? 0) + 1);
            max.set(group, Math.max(max.get(group) ?? 0, now.get(group)!));
          }
          try {
            await cloud.vim.migrate(instance, request, o);
          } finally {
            if (group) now.set(group, now.get(group)! - 1);
          }
        },
      },
    }),
  };
}

describe('server group limits', () => {
  function groupLab() {
    const inventory = parseInventory({
      apiVersion: 'escalator/v1',
      kind: 'Inventory',
      metadata: { name: 'group-lab' },
      nodes: ['cmp-1', 'cmp-2', 'cmp-3', 'cmp-4', 'cmp-5'].map(compute),
      instances: [
        ...['a1', 'a2', 'a3'].map((n) => vm(n, 'cmp-1', { serverGroup: 'pair' })),
        ...['a4', 'a5', 'a6'].map((n) => vm(n, 'cmp-2', { serverGroup: 'pair' })),
        ...['b1', 'b2'].map((n) => vm(n, 'cmp-1', { serverGroup: 'solo' })),
        ...['b3', 'b4'].map((n) => vm(n, 'cmp-2', { serverGroup: 'solo' })),
        ...['c1', 'c2', 'c3'].map((n) => vm(n, 'cmp-1')),
      ],
      serverGroups: [
        { name: 'pair', policy: 'soft-anti-affinity', maxImpacted: 2 },
        { name: 'solo', policy: 'soft-anti-affinity', maxImpacted: 1 },
      ],
    });
    const campaign = parseCampaign({
      apiVersion: 'escalator/v1',
      kind: 'Campaign',
      metadata: { name: 'group-upgrade' },
      target: { software: { 'nova-compute': '27.1.0' } },
      strategy: { maxParallel: 2, canary: 1 },
    });
    return { inventory, campaign };
  }

  it('never migrates more than maxImpacted members of a group at once (planned batches)', async () => {
    const { inventory, campaign } = groupLab();
    const counter = groupCounter(inventory);
    const h = harness(inventory, campaign, { adapters: counter.adapters });
    expect((await h.start()).state).toBe('completed');
    expect(h.plan.totals?.migrations).toBeGreaterThanOrEqual(10);
    expect(counter.max.get('pair')).toBeLessThanOrEqual(2);
    expect(counter.max.get('solo')).toBe(1);
  });

  it('enforces maxImpacted itself, even when the plan does not order the batches', async () => {
    const { inventory, campaign } = groupLab();
    const planned = createPlan(inventory, campaign);
    // Every migration only waits for its source's disable: the engine alone must hold the group back.
    const plan: Plan = {
      ...planned,
      waves: planned.waves.map((w) => ({
        ...w,
        steps: w.steps.map((s) =>
          s.kind === 'migrate'
            ? { ...s, batch: 0, after: s.after.filter((a) => a.endsWith('.disable-compute')) }
            : s,
        ),
      })),
    };
    const counter = groupCounter(inventory);
    // The checker refuses such a plan (its steps and migrations disagree on batches) ...
    const checked = harness(inventory, campaign, { plan });
    await expect(checked.start()).rejects.toMatchObject({ code: 'ESC_INVALID_DOCUMENT' });
    // ... so it is run as a simulation of a bad plan would be.
    const h = harness(inventory, campaign, { plan, adapters: counter.adapters, unsafePlan: true });
    expect((await h.start()).state).toBe('completed');
    const pairMoves = plan.waves.flatMap((w) => w.migrations).filter((m) => m.instance.startsWith('a'));
    expect(pairMoves.length).toBeGreaterThanOrEqual(3);
    expect(counter.max.get('pair')).toBe(2);
    expect(counter.max.get('solo')).toBe(1);
    // Ungrouped instances are not held back.
    for (const m of plan.waves.flatMap((w) => w.migrations))
      expect(h.cloud.state.hosts[m.instance]).toBeDefined();
    expect(h.cloud.maxConcurrentMigrations).toBeGreaterThan(2);
  });
});

describe('drift', () => {
  /** Someone boots an instance on cmp-2 (a node of wave 1) while wave 0 runs. */
  function intrude(h: Harness): void {
    h.engine.on('wave', (e) => {
      if (e.wave === 0 && e.event === 'started') h.cloud.state.hosts['intruder'] = 'cmp-2';
    });
  }

  it('an unknown instance on a wave node raises plan-stale and pauses before the wave', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    intrude(h);
    const outcome = await h.start();
    expect(outcome.state).toBe('paused');
    expect(outcome.reason).toContain('before wave 1');
    expect(outcome.reason).toContain('intruder');
    const alarm = h.engine.snapshot().alarms.find((a) => a.code === 'plan-stale');
    expect(alarm).toMatchObject({ object: 'wave-1', severity: 'major' });
    expect(alarm?.message).toContain('cmp-2 hosts instances the plan does not know: intruder');
    expect(h.engine.snapshot().wavesDone).toEqual([0]);
    expect(h.plan.waves[1]!.steps.every((s) => h.record(s.id).state === 'pending')).toBe(true);
    expect(effects(h.cloud, 'disable').filter((e) => e === 'disable:cmp-2')).toEqual([]);
  });

  it('a missing instance is drift too', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    h.engine.on('wave', (e) => {
      if (e.wave === 0 && e.event === 'started') delete h.cloud.state.hosts['cache-1'];
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('paused');
    expect(outcome.reason).toContain('cmp-2 no longer hosts cache-1');
  });

  it("with onDrift 'replan', re-plans the rest on a fresh inventory and completes", async () => {
    let refreshes = 0;
    const h = harness(minimalInventory, minimalCampaign, {
      policy: { onDrift: 'replan' },
      refreshInventory: (cloud) => async (current) => {
        if (++refreshes > 3)
          throw new Error('refreshInventory called again and again: the replan did not settle');
        // The cloud as it is now: instances where the fake has them, the intruder included.
        const known = new Set(current.instances.map((i) => i.name));
        return parseInventory({
          ...current,
          instances: [
            ...current.instances.map((i) => ({ ...i, host: cloud.state.hosts[i.name] ?? i.host })),
            ...Object.entries(cloud.state.hosts)
              .filter(([name]) => !known.has(name))
              .map(([name, host]) => vm(name, host)),
          ],
        });
      },
    });
    intrude(h);
    const outcome = await h.start();
    expect(outcome.state).toBe('completed');
    expect(refreshes).toBe(1);
    const journal = await h.engine.journal();
    const replans = journal.filter((r) => r['type'] === 'replan');
    expect(replans).toHaveLength(1);
    expect(replans[0]?.['reason']).toContain('intruder');
    const plan = h.engine.snapshot().plan;
    expect(plan.waves[1]?.migrations.map((m) => m.instance)).toContain('intruder');
    expect(h.cloud.state.hosts['intruder']).not.toBe('cmp-2');
    expect(h.cloud.count('migrate:intruder:cmp-1')).toBe(1);
    expect(h.cloud.count(`install:cmp-2:${NEW}`)).toBe(1);
    expect(h.cloud.count(`install:cmp-1:${NEW}`)).toBe(1);
    expect(h.engine.status().progress.percent).toBe(100);
    for (const [id, s] of Object.entries(h.engine.snapshot().steps)) expect(s.state, id).toBe('succeeded');
  });
});

describe('prechecks', () => {
  it('a compute service down fails the campaign, naming the node, before anything changes', async () => {
    const h = harness(minimalInventory, minimalCampaign, {
      setup: (cloud) => (cloud.state.services['cmp-2']!.state = 'down'),
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('failed');
    expect(outcome.reason).toContain('compute services up: not up in the VIM: cmp-2');
    expect(outcome.reason).toContain('leave out cmp-2');
    const report = h.engine.snapshot().precheck;
    expect(report?.ok).toBe(false);
    expect(report?.unhealthyNodes).toEqual(['cmp-2']);
    expect(report?.checks.find((c) => c.name === 'compute services up')).toMatchObject({
      ok: false,
      nodes: ['cmp-2'],
    });
    expect(h.cloud.state.effects).toEqual([]);
    expect(h.events.transition.map((t) => t.to)).toEqual(['prechecking', 'failed']);
  });

  it('passes on a healthy cloud, and the report is journaled', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    await h.start();
    const report = h.engine.snapshot().precheck;
    expect(report?.ok).toBe(true);
    expect(report?.checks.every((c) => c.ok)).toBe(true);
    expect(report?.unhealthyNodes).toEqual([]);
  });
});

describe('authorization', () => {
  it('a viewer may not start: ForbiddenError, logged, and no campaign is created', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    const error = await h.engine
      .start(viewer, { inventory: minimalInventory, campaign: minimalCampaign })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'ESC_FORBIDDEN', principal: 'vic', action: 'start' });
    expect(await h.store.list()).toEqual([]);
    expect(h.logs).toContainEqual(
      expect.objectContaining({ action: 'auth.start', level: 'warn', code: 'ESC_FORBIDDEN' }),
    );
    expect(h.cloud.state.effects).toEqual([]);
  });

  it('a viewer may not pause, resume, roll back, abort or restore; each denial is in the audit trail', async () => {
    const campaign = withStrategy(minimalCampaign, { approveAfterWaves: [0] });
    const h = harness(minimalInventory, campaign);
    expect((await h.start()).state).toBe('paused');
    const before = h.engine.snapshot().seq;
    for (const [action, call] of [
      ['pause', () => h.engine.pause(viewer)],
      ['resume', () => h.engine.resume(viewer)],
      ['rollback', () => h.engine.rollback(viewer)],
      ['abort', () => h.engine.abort(viewer)],
      ['restore', () => h.engine.restore(viewer)],
      ['approve', () => h.engine.approve(viewer)],
    ] as const) {
      const error = await call().catch((e: unknown) => e);
      expect(error, action).toBeInstanceOf(ForbiddenError);
      expect(error, action).toMatchObject({ code: 'ESC_FORBIDDEN', action });
    }
    const snapshot = h.engine.snapshot();
    expect(snapshot.state).toBe('paused');
    const denials = snapshot.audit.filter((a) => a.seq > before);
    expect(denials.map((a) => [a.principal.id, a.action, a.allowed])).toEqual([
      ['vic', 'pause', false],
      ['vic', 'resume', false],
      ['vic', 'rollback', false],
      ['vic', 'abort', false],
      ['vic', 'restore', false],
      ['vic', 'approve', false],
    ]);
    expect(denials[0]?.reason).toContain('viewer');
    // Written to the store, not only kept in memory.
    const stored = (await h.store.read('computes-to-antelope')).filter(
      (r) => r.type === 'audit' && r.seq > before,
    );
    expect(stored).toHaveLength(6);
    // An operator may not roll back either (an admin action), but may approve.
    await expect(h.engine.rollback(operator)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await h.engine.approve(operator)).state).toBe('completed');
    expect(h.engine.snapshot().audit.at(-1)).toMatchObject({ action: 'approve', allowed: true });
  });

  it('a viewer may not pause a running campaign', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    let denied: unknown;
    h.engine.on('wave', (e) => {
      if (e.wave === 0 && e.event === 'started')
        h.engine.pause(viewer).catch((error: unknown) => (denied = error));
    });
    expect((await h.start()).state).toBe('completed');
    expect(denied).toBeInstanceOf(ForbiddenError);
    expect(
      h.engine
        .snapshot()
        .audit.filter((a) => !a.allowed)
        .map((a) => a.action),
    ).toEqual(['pause']);
  });
});

describe('restore', () => {
  it('when an undo fails for good, restores the backups newest first', async () => {
    const campaign = withStrategy(minimalCampaign, { onFailure: 'rollback' });
    const h = harness(minimalInventory, campaign, {
      setup: (cloud) => cloud.faults.set('reboot:cmp-2', ['permanent']),
    });
    // Once the failure is in, downgrading cmp-1 will be refused.
    h.engine.on('step', (e) => {
      if (e.to === 'failed') h.cloud.faults.set('installVersions:cmp-1', ['permanent']);
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('restored');
    expect(h.events.transition.map((t) => t.to)).toEqual([
      'prechecking',
      'backing-up',
      'executing',
      'rolling-back',
      'restoring',
      'restored',
    ]);
    expect(h.events.transition.find((t) => t.to === 'restoring')?.reason).toContain(
      'w0.cmp-1.upgrade-packages',
    );
    const alarm = h.engine.snapshot().alarms.find((a) => a.code === 'undo-failed');
    expect(alarm).toMatchObject({ object: 'w0.cmp-1.upgrade-packages', severity: 'critical' });
    const backups = h.engine.snapshot().backups.map((b) => b.label);
    expect(backups).toEqual(['w0.cmp-1.backup', 'w1.cmp-2.backup']);
    expect(effects(h.cloud, 'restore')).toEqual([
      'restore:cmp-2:w1.cmp-2.backup',
      'restore:cmp-1:w0.cmp-1.backup',
    ]);
    expect(h.cloud.state.restored).toEqual(['w1.cmp-2.backup', 'w0.cmp-1.backup']);
    expect(h.cloud.state.versions['cmp-1']).toMatchObject({
      'nova-compute': '26.2.2',
      kernel: '6.1.0-18-amd64',
    });
    expect(h.engine.snapshot().steps['w0.cmp-1.upgrade-packages']?.state).toBe('succeeded');
    expect(outcome.reason).toBe('2 backup(s) restored');
  });

  it('an operator may restore a rolled-back campaign', async () => {
    const campaign = withStrategy(minimalCampaign, { onFailure: 'rollback' });
    const h = harness(minimalInventory, campaign, {
      setup: (cloud) => cloud.faults.set('reboot:cmp-2', ['permanent']),
    });
    expect((await h.start()).state).toBe('rolled-back');
    expect((await h.engine.restore(admin)).state).toBe('restored');
    expect(effects(h.cloud, 'restore')).toEqual([
      'restore:cmp-2:w1.cmp-2.backup',
      'restore:cmp-1:w0.cmp-1.backup',
    ]);
  });
});

describe('abort', () => {
  it('cancels the running steps and fails the campaign; a rollback can follow', async () => {
    const signals: AbortSignal[] = [];
    const h = harness(minimalInventory, minimalCampaign, {
      setup: (cloud) => cloud.faults.set('installVersions:cmp-1', ['hang']),
      adapters: (cloud) => ({
        nodes: {
          ...cloud.nodes,
          installVersions: (node, software, o) => {
            if (o?.signal) signals.push(o.signal);
            // Aborted while the upgrade's call runs (not the rollback's).
            if (node === 'cmp-1' && !aborted) aborted = h.engine.abort(admin, 'stop now');
            return cloud.nodes.installVersions(node, software, o);
          },
        },
      }),
    });
    let aborted: Promise<unknown> | undefined;
    const outcome = await h.start();
    expect(aborted).toBeDefined();
    expect(await aborted).toMatchObject({ state: 'failed', reason: 'stop now (ada)' });
    expect(outcome.state).not.toBe('completed');
    expect(h.engine.snapshot().state).toBe('failed');
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
    expect(h.record('w0.cmp-1.upgrade-packages').state).toBe('running');
    expect(h.cloud.count(`install:cmp-1:${NEW}`)).toBe(0);
    expect(h.record('w0.cmp-1.reboot').state).toBe('pending');
    // Far from the 10-day hang and the step's 27-minute timeout: the call was cancelled, not waited out.
    expect(h.clock.now() - START).toBeLessThan(h.step('w0.cmp-1.upgrade-packages').timeoutSeconds * 1000);
    expect(h.clock.pending).toBe(0);
    expect(h.engine.snapshot().steps['w0.cmp-1.upgrade-packages']?.error).toBeUndefined();
    // Cancelled is not failed: no step-failed alarm for it.
    expect(h.engine.snapshot().alarms.filter((a) => a.code === 'step-failed')).toEqual([]);
    expect(h.engine.snapshot().failures).toBe(0);

    // The interrupted step is marked failed, then everything is undone.
    expect((await h.engine.rollback(admin)).state).toBe('rolled-back');
    expect(h.record('w0.cmp-1.upgrade-packages').state).toBe('undone');
    expect(h.cloud.state.hosts['db-1']).toBe('cmp-1');
    expect(h.cloud.state.services['cmp-1']?.status).toBe('enabled');
  });

  it('aborts a paused campaign', async () => {
    const campaign = withStrategy(minimalCampaign, { approveAfterWaves: [0] });
    const h = harness(minimalInventory, campaign);
    await h.start();
    expect((await h.engine.abort(admin)).state).toBe('failed');
  });
});

describe('status', () => {
  let haInventory: Inventory;
  let haCampaign: Campaign;
  beforeAll(async () => {
    haInventory = await loadInventory('examples/ha/inventory.yaml');
    haCampaign = await loadCampaign('examples/ha/campaign.yaml', { inventory: haInventory });
  });

  it('tables per node, module, cluster and site; 100% at the end', async () => {
    const h = harness(haInventory, haCampaign);
    const planned = new Map(h.plan.waves.flatMap((w) => w.nodes.map((n) => [n, w.index] as const)));
    // In the middle of the first wave, its node is out of its clusters.
    const first = h.plan.waves[0]!;
    const firstNode = first.nodes[0]!;
    const firstClusters = haInventory.clusters
      .filter((c) => c.members.includes(firstNode))
      .map((c) => c.name);
    expect(firstClusters.length).toBeGreaterThan(0);
    let during: ReturnType<Engine['status']> | undefined;
    h.engine.on('step', (e) => {
      if (!during && e.step.id === `w0.${firstNode}.upgrade-packages` && e.to === 'running')
        during = h.engine.status();
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('completed');

    expect(during?.state).toBe('executing');
    expect(during?.nodes.find((n) => n.node === firstNode)).toMatchObject({
      state: 'in-progress',
      step: `w0.${firstNode}.upgrade-packages`,
      wave: 0,
    });
    for (const c of during?.clusters ?? [])
      expect(c.out, c.cluster).toBe(firstClusters.includes(c.cluster) ? 1 : 0);
    expect(during?.progress.percent).toBeGreaterThan(0);
    expect(during?.progress.percent).toBeLessThan(100);
    expect(during?.nodes.filter((n) => n.state === 'pending').length).toBe(planned.size - 1);

    const status = h.engine.status();
    expect(status.id).toBe('ha-zed-to-antelope');
    expect(status.state).toBe('completed');
    const steps = h.plan.waves.reduce((n, w) => n + w.steps.length, 0);
    expect(status.progress).toEqual({
      percent: 100,
      etaSeconds: 0,
      stepsDone: steps,
      stepsTotal: steps,
      wavesDone: h.plan.waves.length,
      wavesTotal: h.plan.waves.length,
    });
    expect(status.nodes).toHaveLength(haInventory.nodes.length);
    for (const n of status.nodes) {
      const wave = planned.get(n.node);
      expect(n, n.node).toMatchObject(
        wave === undefined ? { state: 'untouched' } : { state: 'upgraded', wave },
      );
    }
    expect(status.modules.map((m) => m.component).sort()).toEqual(
      Object.keys(haCampaign.target.software).sort(),
    );
    for (const m of status.modules) {
      expect(m.nodes, m.component).toBeGreaterThan(0);
      expect(m.upgraded, m.component).toBe(m.nodes);
      expect(m.target).toBe(haCampaign.target.software[m.component]);
    }
    expect(status.clusters.map((c) => c.cluster).sort()).toEqual(
      haInventory.clusters.map((c) => c.name).sort(),
    );
    for (const c of status.clusters) {
      const cluster = haInventory.clusters.find((x) => x.name === c.cluster)!;
      expect(c).toEqual({
        cluster: c.cluster,
        members: cluster.members.length,
        minAvailable: cluster.minAvailable,
        out: 0,
        upgraded: cluster.members.filter((m) => planned.has(m)).length,
      });
    }
    const sites = new Map<string, number>();
    for (const n of haInventory.nodes)
      sites.set(n.site ?? 'default', (sites.get(n.site ?? 'default') ?? 0) + 1);
    expect(status.sites.map((s) => s.site).sort()).toEqual([...sites.keys()].sort());
    for (const s of status.sites) {
      const members = haInventory.nodes.filter((n) => (n.site ?? 'default') === s.site);
      const plannedHere = members.filter((n) => planned.has(n.name)).length;
      expect(s).toEqual({ site: s.site, nodes: members.length, planned: plannedHere, upgraded: plannedHere });
    }
    expect(status.failures).toBe(0);
    // Every planned node runs the target versions in the fake cloud.
    for (const node of planned.keys())
      for (const [c, v] of Object.entries(haCampaign.target.software))
        if (haInventory.nodes.find((n) => n.name === node)?.software[c] !== undefined)
          expect(h.cloud.state.versions[node]?.[c], `${node} ${c}`).toBe(v);
  });

  it('shows a paused campaign part way, and untouched nodes outside the scope', async () => {
    const campaign = withStrategy(minimalCampaign, { approveAfterWaves: [0] });
    const h = harness(minimalInventory, campaign);
    await h.start();
    const status = h.engine.status();
    expect(status.state).toBe('paused');
    expect(status.reason).toContain('approval');
    expect(status.nodes.map((n) => [n.node, n.state])).toEqual([
      ['ctl-1', 'untouched'],
      ['cmp-1', 'upgraded'],
      ['cmp-2', 'pending'],
    ]);
    expect(status.progress.wavesDone).toBe(1);
    expect(status.progress.stepsDone).toBe(h.plan.waves[0]!.steps.length);
    expect(status.progress.percent).toBeGreaterThan(0);
    expect(status.progress.percent).toBeLessThan(100);
    expect(status.modules.find((m) => m.component === 'nova-compute')).toMatchObject({
      nodes: 2,
      upgraded: 1,
    });
  });
});

describe('events', () => {
  it('emits transition, step, progress, alarm, wave and record events matching the journal', async () => {
    const h = harness(minimalInventory, minimalCampaign, {
      setup: (cloud) => cloud.faults.set('installVersions:cmp-2', ['permanent']),
    });
    expect((await h.start()).state).toBe('paused');
    expect((await h.engine.resume(admin)).state).toBe('completed');
    const journal = await h.engine.journal();
    const { events } = h;

    expect(events.transition.map((t) => `${t.from}>${t.to}:${t.event}`)).toEqual([
      'created>prechecking:start',
      'prechecking>backing-up:prechecks-passed',
      'backing-up>executing:backup-done',
      'executing>paused:pause',
      'paused>executing:resume',
      'executing>verifying:waves-done',
      'verifying>completed:verified',
    ]);
    expect(events.transition[3]?.reason).toContain('w1.cmp-2.upgrade-packages');

    const stepRecords = journal.filter((r) => r.type === 'step');
    expect(events.step.map((e) => [e.step.id, e.from, e.to])).toEqual(
      stepRecords.map((r) => [r['step'], r['from'], r['to']]),
    );
    const failed = events.step.find((e) => e.to === 'failed');
    expect(failed).toMatchObject({ wave: 1, step: { id: 'w1.cmp-2.upgrade-packages' } });
    expect(failed?.error?.code).toBe('ESC_ADAPTER_FAILURE:http-409');

    expect(events.progress).toHaveLength(events.step.filter((e) => e.to === 'succeeded').length);
    const percents = events.progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents[0]).toBeGreaterThan(0);
    expect(events.progress.at(-1)).toMatchObject({ percent: 100, etaSeconds: 0 });

    expect(events.alarm.map((a) => [a.code, a.object])).toEqual([
      ['step-failed', 'w1.cmp-2.upgrade-packages'],
    ]);
    expect(events.alarm).toEqual(h.engine.snapshot().alarms);

    expect(events.wave).toEqual([
      { wave: 0, event: 'started' },
      { wave: 0, event: 'verified' },
      { wave: 1, event: 'started' },
      { wave: 1, event: 'verified' },
    ]);
    expect(events.record.map((r) => r.seq)).toEqual(journal.map((r) => r.seq));
    expect(events.record).toEqual(journal);
  });
});

describe('the facade: create, send, whenResting', () => {
  it('send resolves on acceptance while the campaign runs; whenResting waits for rest', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    const created = await h.engine.create(operator, { inventory: h.inventory, campaign: h.campaign });
    expect(created).toMatchObject({ state: 'created', seq: 2 });
    expect(h.engine.running).toBe(false);
    const accepted = await h.engine.send(operator, { type: 'start' });
    expect(accepted.state).toBe('prechecking');
    expect(h.engine.running).toBe(true);
    expect(h.cloud.state.effects).toEqual([]); // accepted, nothing done yet
    await expect(h.engine.send(operator, { type: 'start' })).rejects.toBeInstanceOf(IllegalTransitionError);
    expect((await h.engine.whenResting()).state).toBe('completed');
    expect(h.engine.running).toBe(false);
    const records: string[] = [];
    const stop = h.engine.subscribe((r) => records.push(r.type));
    await h.engine.send(admin, { type: 'commit' });
    stop();
    await h.engine.send(admin, {
      type: 'notify',
      notification: { type: 'alarm', severity: 'minor', object: 'x', message: 'm' },
    });
    expect(records).toEqual(['audit', 'campaign']);
  });

  it('a pause requested while a step runs is journaled: a new process that resumes pauses at once', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    await h.engine.create(operator, { inventory: h.inventory, campaign: h.campaign });
    let cut = 0;
    h.engine.on('record', (r) => {
      if (r.type === 'step' && r.step === 'w0.cmp-1.upgrade-packages' && r.to === 'running')
        void h.engine.send(operator, { type: 'pause', reason: 'window' });
      if (r.type === 'request' && cut === 0) cut = r.seq;
    });
    await h.engine.send(operator, { type: 'start' });
    expect((await h.engine.whenResting()).state).toBe('paused');
    // The journal as a crash right after the request would have left it.
    const journal = (await h.store.read('computes-to-antelope')).filter((r) => r.seq <= cut);
    expect(journal.at(-1)).toMatchObject({ type: 'request', request: 'pause', reason: 'window (otto)' });
    const store = createMemoryStore();
    await store.append('computes-to-antelope', journal);
    const effectsBefore = h.cloud.state.effects.length;
    const next = createEngine({
      adapters: { vim: h.cloud.vim, nodes: h.cloud.nodes, vnfm: h.cloud.vnfm },
      store,
      authorizer: createRoleAuthorizer(),
      clock: h.clock,
    });
    const opened = await next.open('computes-to-antelope');
    expect(opened.requests.pause).toBe('window (otto)');
    expect(opened.steps['w0.cmp-1.upgrade-packages']?.state).toBe('running');
    await next.send(operator, { type: 'resume' });
    const rest = await next.whenResting();
    // The interrupted step is asked "already done?" and finished; nothing new starts; it pauses.
    expect(rest).toMatchObject({ state: 'paused', reason: 'window (otto)' });
    expect(next.snapshot().steps['w0.cmp-1.reboot']?.state).toBe('pending');
    expect(h.cloud.state.effects.slice(effectsBefore).filter((e) => e.startsWith('reboot:'))).toEqual([]);
    await next.close();
  });
});

describe('a service that stays up', () => {
  it('denials are coalesced: 500 refused pauses in a minute cost two journal records', async () => {
    const campaign = withStrategy(minimalCampaign, { approveAfterWaves: [0] });
    const h = harness(minimalInventory, campaign);
    expect((await h.start()).state).toBe('paused');
    const before = h.engine.snapshot().seq;
    for (let i = 0; i < 500; i++)
      await expect(h.engine.send(viewer, { type: 'pause' })).rejects.toBeInstanceOf(ForbiddenError);
    // The first at once; the rest counted, journaled as one record on the next write.
    expect(h.engine.snapshot().seq - before).toBe(1);
    await h.engine.close();
    const denials = h.engine.snapshot().audit.filter((a) => a.seq > before);
    expect(denials.map((a) => [a.action, a.allowed, a.count ?? 1])).toEqual([
      ['pause', false, 1],
      ['pause', false, 499],
    ]);
    expect(h.logs.filter((l) => l.action === 'auth.pause')).toHaveLength(1);
  });

  it('a journal that cannot be written stops the campaign with an alarm; once it can, resume completes', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    let full = false;
    const store: StateStore = {
      lock: (c, o, x) => h.store.lock(c, o, x),
      read: (c, x) => h.store.read(c, x),
      list: (x) => h.store.list(x),
      append: async (c, entries, x) => {
        if (full)
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return h.store.append(c, entries, x);
      },
    };
    const alarms: string[] = [];
    const engine = createEngine({
      adapters: { vim: h.cloud.vim, nodes: h.cloud.nodes, vnfm: h.cloud.vnfm },
      store,
      authorizer: createRoleAuthorizer(),
      clock: h.clock,
    });
    engine.on('alarm', (a) => alarms.push(a.code));
    engine.on('step', (e) => {
      if (e.step.id === 'w0.cmp-1.upgrade-packages' && e.to === 'running') full = true;
    });
    await engine.create(operator, { inventory: h.inventory, campaign: h.campaign });
    await engine.send(operator, { type: 'start' });
    await expect(engine.whenResting()).rejects.toThrow('ENOSPC');
    expect(engine.running).toBe(false);
    expect(engine.stoppedBy?.message).toContain('ENOSPC');
    expect(alarms).toContain('journal-unwritable');
    expect(engine.snapshot().steps['w0.cmp-1.upgrade-packages']?.state).toBe('running');
    full = false;
    await engine.send(operator, { type: 'resume' });
    expect(await engine.whenResting()).toEqual({ state: 'completed', reason: undefined });
    expect(engine.stoppedBy).toBeUndefined();
    expect(h.cloud.count(`install:cmp-1:${NEW}`)).toBe(1);
    await engine.close();
  });
});

describe('operator requests while running', () => {
  it('pause lets running steps finish, starts nothing new; resume completes', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    let paused: ReturnType<Engine['pause']> | undefined;
    h.engine.on('step', (e) => {
      if (e.step.id === 'w0.cmp-1.upgrade-packages' && e.to === 'running')
        paused = h.engine.pause(operator, 'lunch');
    });
    const outcome = await h.start();
    expect(await paused).toEqual(outcome);
    expect(outcome).toMatchObject({ state: 'paused', reason: 'lunch (otto)' });
    expect(h.record('w0.cmp-1.upgrade-packages').state).toBe('succeeded'); // finished, not cut short
    expect(h.record('w0.cmp-1.reboot').state).toBe('pending'); // not started
    expect(h.cloud.count('reboot:cmp-1')).toBe(0);
    expect((await h.engine.resume(operator)).state).toBe('completed');
    expect(h.cloud.count('reboot:cmp-1')).toBe(1);
  });

  it('pause is refused when nothing runs', async () => {
    const campaign = withStrategy(minimalCampaign, { approveAfterWaves: [0] });
    const h = harness(minimalInventory, campaign);
    await h.start();
    await expect(h.engine.pause(operator)).rejects.toMatchObject({ code: 'ESC_ILLEGAL_TRANSITION' });
  });

  it('rollback while running stops the wave and undoes what was done', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    let rollback: ReturnType<Engine['rollback']> | undefined;
    h.engine.on('step', (e) => {
      if (e.step.id === 'w1.cmp-2.backup' && e.to === 'succeeded') rollback = h.engine.rollback(admin);
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('rolled-back');
    expect(await rollback).toEqual(outcome);
    // The step in flight when the request registered finished; nothing after it started.
    expect(h.record('w1.cmp-2.reboot').state).toBe('pending');
    expect(h.record('w1.cmp-2.enable-compute').state).toBe('pending');
    expect(h.cloud.count('reboot:cmp-2')).toBe(0);
    for (const [id, s] of Object.entries(h.engine.snapshot().steps))
      expect(['undone', 'pending'], id).toContain(s.state);
    expect(h.record('w0.cmp-1.upgrade-packages').state).toBe('undone');
    expect(h.cloud.state.hosts).toEqual({
      'web-1': 'cmp-1',
      'db-1': 'cmp-1',
      'web-2': 'cmp-2',
      'cache-1': 'cmp-2',
    });
    expect(h.cloud.state.versions['cmp-1']).toMatchObject({ 'nova-compute': '26.2.2' });
  });

  it('a critical external alarm pauses the campaign', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    h.engine.on('wave', (e) => {
      if (e.wave === 0 && e.event === 'started')
        void h.engine.notify(operator, {
          type: 'alarm',
          severity: 'critical',
          object: 'ceph',
          message: 'HEALTH_ERR',
        });
    });
    const outcome = await h.start();
    expect(outcome).toMatchObject({ state: 'paused', reason: 'critical alarm on ceph: HEALTH_ERR' });
    expect(h.engine.snapshot().alarms).toContainEqual(
      expect.objectContaining({ code: 'external-alarm', object: 'ceph', severity: 'critical' }),
    );
  });

  it('a node going down pauses the campaign; a minor alarm does not', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    h.engine.on('wave', (e) => {
      if (e.wave === 0 && e.event === 'started') {
        void h.engine.notify(operator, { type: 'alarm', severity: 'minor', object: 'x', message: 'meh' });
        void h.engine.notify(operator, { type: 'node-event', node: 'cmp-2', event: 'down' });
      }
    });
    const outcome = await h.start();
    expect(outcome.state).toBe('paused');
    expect(outcome.reason).toContain('node cmp-2 went down');
    expect(h.engine.snapshot().alarms.map((a) => a.code)).toEqual(['external-alarm', 'node-down']);
  });
});

describe('lifecycle', () => {
  it('commit makes a completed campaign final: no rollback afterwards', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    await h.start();
    await expect(h.engine.commit(operator)).rejects.toBeInstanceOf(ForbiddenError);
    expect(await h.engine.commit(admin)).toMatchObject({ state: 'committed' });
    await expect(h.engine.rollback(admin)).rejects.toMatchObject({ code: 'ESC_ILLEGAL_TRANSITION' });
    await expect(h.engine.resume(admin)).rejects.toMatchObject({ code: 'ESC_ILLEGAL_TRANSITION' });
  });

  it('a completed campaign can still be rolled back before it is committed', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    await h.start();
    expect((await h.engine.rollback(admin)).state).toBe('rolled-back');
    expect(effects(h.cloud, 'install').slice(-2)).toEqual([`install:cmp-2:${OLD}`, `install:cmp-1:${OLD}`]);
  });

  it('start refuses a campaign that already has a journal, and a second start on one engine', async () => {
    const h = harness(minimalInventory, minimalCampaign);
    await h.start();
    await expect(h.start()).rejects.toMatchObject({ code: 'ESC_ILLEGAL_TRANSITION' });
    await h.engine.close();
    const other = createEngine({
      adapters: { vim: h.cloud.vim, nodes: h.cloud.nodes },
      store: h.store,
      authorizer: createRoleAuthorizer(),
      clock: h.clock,
    });
    await expect(
      other.start(admin, { inventory: minimalInventory, campaign: minimalCampaign }),
    ).rejects.toMatchObject({
      code: 'ESC_INVALID_OPTION',
      message: expect.stringContaining('already has a journal'),
    });
    // It released the lock it took: opening works.
    expect((await other.open('computes-to-antelope')).state).toBe('completed');
  });

  it('refuses to be built without its required collaborators', () => {
    const clock = createVirtualClock();
    const cloud = new FakeCloud(minimalInventory, { clock });
    const ok = {
      adapters: { vim: cloud.vim, nodes: cloud.nodes },
      store: createMemoryStore(),
      authorizer: createRoleAuthorizer(),
      clock,
    };
    for (const missing of ['adapters', 'store', 'authorizer', 'clock'] as const)
      expect(
        () => createEngine({ ...ok, [missing]: undefined } as unknown as EngineOptions),
        missing,
      ).toThrow(expect.objectContaining({ code: 'ESC_INVALID_OPTION' }));
  });
});

describe('abort during a rollback', () => {
  it('stops the rollback and fails the campaign (no undo-failed, no restore)', async () => {
    const campaign = withStrategy(minimalCampaign, { onFailure: 'rollback' });
    let aborted: Promise<unknown> | undefined;
    const h = harness(minimalInventory, campaign, {
      setup: (cloud) => cloud.faults.set('reboot:cmp-2', ['permanent']),
      adapters: (cloud, _clock, engine) => ({
        vim: {
          ...cloud.vim,
          // Rolling back, re-enabling cmp-2 hangs, and the operator aborts meanwhile.
          enableComputeService: (host, o) => {
            if (host === 'cmp-2' && engine().snapshot().state === 'rolling-back') {
              cloud.faults.set('enable:cmp-2', ['hang']);
              aborted ??= engine().abort(admin, 'stop the rollback');
            }
            return cloud.vim.enableComputeService(host, o);
          },
        },
      }),
    });
    const outcome = await h.start();
    expect(aborted).toBeDefined();
    expect(await aborted).toMatchObject({ state: 'failed', reason: 'stop the rollback (ada)' });
    expect(outcome.state).not.toBe('restoring');
    expect(h.engine.snapshot().state).toBe('failed');
    expect(h.events.transition.map((t) => t.to)).toEqual([
      'prechecking',
      'backing-up',
      'executing',
      'rolling-back',
      'failed',
    ]);
    expect(h.engine.snapshot().alarms.map((a) => a.code)).not.toContain('undo-failed');
    expect(effects(h.cloud, 'restore')).toEqual([]);
    expect(h.record('w1.cmp-2.disable-compute').state).toBe('succeeded'); // its undo was cancelled
    // The rollback can be taken up again from failed.
    expect((await h.engine.rollback(admin)).state).toBe('rolled-back');
    expect(h.cloud.state.services['cmp-2']?.status).toBe('enabled');
  });
});
