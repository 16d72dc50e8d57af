/**
 * Running a whole campaign on the simulated cloud: plan, check, prechecks, backup, execute, verify,
 * on a virtual clock — and, with a journal directory, surviving a killed process: the campaign's
 * journal and the simulated cloud's own operations are kept there, and {@link resumeSimulation}
 * finishes the same campaign on the same cloud.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createRoleAuthorizer } from '../auth/role-authorizer.js';
import { type PlanVerdict, verifyPlan } from '../checker/verify-plan.js';
import { createVirtualClock, type VirtualClock } from '../clock/virtual-clock.js';
import type { CampaignOutcome, Engine } from '../engine/engine.js';
import { createEngine } from '../engine/engine.js';
import { replay } from '../engine/journal.js';
import type { EnginePolicyInput } from '../engine/policy.js';
import { DocumentError, ErrorCode, EscalatorError, FileUnreadableError } from '../errors.js';
import { type Campaign, CampaignSchema } from '../model/campaign.js';
import { type Inventory, InventorySchema } from '../model/inventory.js';
import { type Plan, stepNode } from '../model/plan.js';
import { createPlan } from '../planner/create-plan.js';
import { createNaivePlan } from '../planner/naive.js';
import type { Principal } from '../ports/authorizer.js';
import type { Logger } from '../ports/logger.js';
import type { LockTakeover, StateStore } from '../ports/state-store.js';
import { createFileStore } from '../stores/file-store.js';
import { createMemoryStore } from '../stores/memory-store.js';
import type { AvailabilityReport } from './availability.js';
import {
  type CloudOperation,
  createSimulatedCloud,
  type SimulatedCloud,
  type SimulatorDurations,
} from './cloud.js';
import { checkFaults, type Fault } from './faults.js';
import { holdStore } from './hold-store.js';

/** How the plan is made: Escalator's planner, or fixed batches in inventory order (for comparison). */
export type SimulationStrategy = 'escalator' | 'naive';

/** Options of {@link simulateCampaign}. */
export interface SimulationOptions {
  readonly inventory: Inventory;
  readonly campaign: Campaign;
  /** @defaultValue 'escalator' */
  readonly strategy?: SimulationStrategy | undefined;
  /** @defaultValue 1 */
  readonly seed?: number | undefined;
  readonly faults?: readonly Fault[] | undefined;
  readonly durations?: Partial<SimulatorDurations> | undefined;
  /** Virtual time runs this many times faster than real time. @defaultValue as fast as possible */
  readonly speed?: number | undefined;
  /** Keep the journal and the cloud's state here, so a killed run can be resumed. */
  readonly journal?: string | undefined;
  readonly policy?: EnginePolicyInput | undefined;
  readonly logger?: Logger | undefined;
  /** Called with the engine before it starts, to follow its events. */
  readonly onEngine?: ((engine: Engine, plan: Plan, clock: VirtualClock) => void) | undefined;
}

/** What a simulated campaign did and what users felt. */
export interface SimulationResult {
  readonly strategy: SimulationStrategy;
  readonly outcome: CampaignOutcome;
  readonly plan: Plan;
  /** The independent checker's verdict on the plan (the naive plan usually breaks invariants). */
  readonly verdict: PlanVerdict;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly simulatedSeconds: number;
  readonly availability: AvailabilityReport;
  /** Failed steps and what the policy did. */
  readonly failures: readonly { readonly step: string; readonly error: string }[];
  /** The campaign's transitions with their reasons, in order. */
  readonly transitions: readonly {
    readonly at: string;
    readonly from: string;
    readonly to: string;
    readonly reason?: string | undefined;
  }[];
  readonly alarms: readonly {
    readonly at: string;
    readonly code: string;
    readonly object: string;
    readonly message: string;
  }[];
  /** When each wave and each node of it started and ended (ms since the epoch), for timelines. */
  readonly timeline: readonly TimelineWave[];
  /**
   * Set by {@link resumeSimulation} when the campaign had already ended (completed, committed, rolled
   * back or restored) before this resume: nothing ran, the result is the one it ended with.
   */
  readonly alreadyEnded?: boolean | undefined;
}

/** One wave on the timeline. */
export interface TimelineWave {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly canary: boolean;
  readonly nodes: readonly {
    readonly node: string;
    readonly start: number;
    readonly end: number;
    readonly state: string;
  }[];
}

type StepTimes = Readonly<
  Record<string, { state: string; startedAt?: string | undefined; endedAt?: string | undefined }>
>;

/** Spans of waves and nodes from the steps' start and end times. */
function timelineOf(plan: Plan, steps: StepTimes): TimelineWave[] {
  const out: TimelineWave[] = [];
  for (const wave of plan.waves) {
    const perNode = new Map<string, { start: number; end: number; state: string }>();
    let start = Number.POSITIVE_INFINITY;
    let end = 0;
    for (const step of wave.steps) {
      const record = steps[step.id];
      if (!record?.startedAt) continue;
      const s = Date.parse(record.startedAt);
      const e = record.endedAt ? Date.parse(record.endedAt) : s;
      start = Math.min(start, s);
      end = Math.max(end, e);
      const node = stepNode(step);
      if (!node || !wave.nodes.includes(node)) continue;
      const row = perNode.get(node) ?? { start: s, end: e, state: 'succeeded' };
      row.start = Math.min(row.start, s);
      row.end = Math.max(row.end, e);
      if (record.state !== 'succeeded' && record.state !== 'skipped') row.state = record.state;
      perNode.set(node, row);
    }
    if (end === 0) continue;
    out.push({
      index: wave.index,
      start,
      end,
      canary: wave.canary,
      nodes: [...perNode].map(([node, r]) => ({ node, ...r })),
    });
  }
  return out;
}

/** The simulator's operator: a local admin. */
export const LOCAL_OPERATOR: Principal = { id: 'local-operator', roles: ['admin'], via: 'local' };

const START = Date.UTC(2026, 0, 1, 1, 0, 0);

interface SavedSimulation {
  readonly inventory: Inventory;
  readonly campaign: Campaign;
  readonly strategy: SimulationStrategy;
  readonly seed: number;
  readonly faults: readonly Fault[];
  readonly durations: Partial<SimulatorDurations>;
  readonly startedAt: number;
  readonly plan: Plan;
}

/** Appends the cloud's operations to a file, synchronously (they must precede the journal's records). */
function operationLog(file: string): { write(op: CloudOperation): void; close(): void } {
  const fd = openSync(file, 'a');
  return { write: (op) => writeSync(fd, `${JSON.stringify(op)}\n`), close: () => closeSync(fd) };
}

function readOperations(file: string): CloudOperation[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const ops: CloudOperation[] = [];
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    try {
      ops.push(JSON.parse(line) as CloudOperation);
    } catch {
      if (i !== lines.length - 1)
        throw new EscalatorError(
          ErrorCode.JournalCorrupt,
          `${file}:${i + 1}: the simulated cloud's operation log is damaged (only its last line may be torn by a kill)`,
        );
    }
  }
  return ops;
}

/**
 * Plans and runs a campaign on a fresh simulated cloud.
 * @throws DocumentError when a fault names a node, instance or VNF the inventory lacks (or a VNF
 * whose manager is never asked); `EscalatorError` `ESC_INVALID_OPTION` when `journal` already holds
 * a simulation.
 */
export async function simulateCampaign(options: SimulationOptions): Promise<SimulationResult> {
  const faultIssues = checkFaults(options.faults ?? [], options.inventory);
  if (faultIssues.length > 0)
    throw new DocumentError(
      'faults',
      faultIssues.map((issue) => ({ ...issue, path: ['faults', ...issue.path] })),
    );
  const strategy = options.strategy ?? 'escalator';
  const plan =
    strategy === 'naive'
      ? createNaivePlan(options.inventory, options.campaign)
      : createPlan(options.inventory, options.campaign);
  const saved: SavedSimulation = {
    inventory: options.inventory,
    campaign: options.campaign,
    strategy,
    seed: options.seed ?? 1,
    faults: options.faults ?? [],
    durations: options.durations ?? {},
    startedAt: START,
    plan,
  };
  if (options.journal) {
    mkdirSync(options.journal, { recursive: true });
    if (existsSync(join(options.journal, 'simulation.json')))
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        `${options.journal} already holds a simulation: resume it (escalator resume --journal ${options.journal}), or choose another directory`,
      );
    writeFileSync(join(options.journal, 'simulation.json'), JSON.stringify(saved));
  }
  return run(saved, options, false);
}

/** Options of {@link resumeSimulation}: the documents, seed and faults come from the directory. */
export type ResumeOptions = Omit<
  SimulationOptions,
  'inventory' | 'campaign' | 'journal' | 'strategy' | 'seed' | 'faults' | 'durations'
> & {
  /** Drop a journal record torn by the kill (a plain resume reports it) before resuming. */
  readonly repair?: boolean | undefined;
  /** Take the campaign's lock even from a live holder (`--break-lock`); only if it certainly is not running. */
  readonly breakLock?: boolean | undefined;
  /** Told whose lock the resume took over (an expired lease, a dead process, or `breakLock`), to log it. */
  readonly onLockTakeover?: ((takeover: LockTakeover) => void) | undefined;
};

/**
 * Finishes a simulation kept in a journal directory, on the same simulated cloud. A campaign that had
 * already ended is not run again: its result comes back with `alreadyEnded` set.
 * @throws `FileUnreadableError` when the directory holds no simulation; `LockedError` when another
 * process runs it; `JournalCorruptError` when its journal is damaged (see `repair`).
 */
export async function resumeSimulation(
  directory: string,
  options: ResumeOptions = {},
): Promise<SimulationResult> {
  const file = join(directory, 'simulation.json');
  let raw: SavedSimulation;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as SavedSimulation;
  } catch (error) {
    throw new FileUnreadableError(
      file,
      existsSync(file) ? error : `${directory} holds no simulation kept with simulate --journal`,
    );
  }
  const saved: SavedSimulation = {
    ...raw,
    inventory: InventorySchema.parse(raw.inventory),
    campaign: CampaignSchema.parse(raw.campaign),
  };
  if (options.repair) {
    // Repairing needs the lock; a takeover it makes is reported (the engine's open then finds it free).
    const journalStore = createFileStore({ directory: join(directory, 'journal') });
    const probe = await journalStore.lock(saved.campaign.metadata.name, `escalator-resume-${process.pid}`, {
      breakLock: options.breakLock,
    });
    try {
      if (probe.tookOver) options.onLockTakeover?.(probe.tookOver);
      await journalStore.repair(saved.campaign.metadata.name);
    } finally {
      await probe.release();
    }
  }
  return run(
    saved,
    { ...options, inventory: saved.inventory, campaign: saved.campaign, journal: directory },
    { breakLock: options.breakLock, onLockTakeover: options.onLockTakeover },
  );
}

/** Campaign states a resume leaves as they are: the campaign ended. */
const ENDED = new Set(['completed', 'committed', 'rolled-back', 'restored']);

async function run(
  saved: SavedSimulation,
  options: SimulationOptions,
  resuming: false | Pick<ResumeOptions, 'breakLock' | 'onLockTakeover'>,
): Promise<SimulationResult> {
  const ops = options.journal ? readOperations(join(options.journal, 'cloud.jsonl')) : [];
  const store: StateStore = options.journal
    ? createFileStore({ directory: join(options.journal, 'journal') })
    : createMemoryStore();
  const id = saved.campaign.metadata.name;
  // A damaged journal is reported (JournalCorruptError), not taken for an empty one.
  let entries = resuming ? await store.read(id) : [];
  const lastJournal = entries.length > 0 ? replay(id, entries).updatedAt : undefined;
  const resumeAt = Math.max(saved.startedAt, ops.at(-1)?.at ?? 0, lastJournal ? Date.parse(lastJournal) : 0);
  const clock = createVirtualClock({ start: resumeAt, autoAdvance: true, speed: options.speed });
  let log: ReturnType<typeof operationLog> | undefined;
  const cloud: SimulatedCloud = createSimulatedCloud(saved.inventory, {
    clock,
    seed: saved.seed,
    faults: saved.faults,
    durations: saved.durations,
    onOperation: (op) => log?.write(op),
    startedAt: saved.startedAt,
  });
  const engine = createEngine({
    adapters: { vim: cloud.vim, nodes: cloud.nodes, hypervisor: cloud.hypervisor, vnfm: cloud.vnfm },
    store: holdStore(store, clock),
    authorizer: createRoleAuthorizer(),
    clock,
    logger: options.logger,
    policy: options.policy,
    refreshInventory: async () => cloud.inventory(),
  });
  const verdict = verifyPlan(saved.inventory, saved.campaign, saved.plan);
  let alreadyEnded = false;
  try {
    // The campaign's lock first: a second process on the same directory is refused (LockedError)
    // before it writes a line to the cloud's log. A fresh campaign takes it in `start`, and its cloud
    // writes nothing before it does.
    if (resuming && entries.length > 0) {
      const opened = await engine.open(id, { principal: LOCAL_OPERATOR, breakLock: resuming.breakLock });
      if (engine.tookOver) resuming.onLockTakeover?.(engine.tookOver);
      alreadyEnded = ENDED.has(opened.state);
    }
    cloud.replay(ops);
    if (!alreadyEnded) {
      log = options.journal ? operationLog(join(options.journal, 'cloud.jsonl')) : undefined;
      cloud.recover();
    }
    options.onEngine?.(engine, saved.plan, clock);
    let outcome: CampaignOutcome;
    if (alreadyEnded) outcome = await engine.whenResting();
    else if (entries.length > 0) outcome = await engine.resume(LOCAL_OPERATOR);
    else
      outcome = await engine.start(LOCAL_OPERATOR, {
        id,
        inventory: saved.inventory,
        campaign: saved.campaign,
        plan: saved.plan,
        // The naive baseline is run to show what breaking the invariants costs.
        unsafePlan: saved.strategy === 'naive',
      });
    entries = await engine.journal();
    const snapshot = engine.snapshot();
    const endedAt = clock.now();
    return {
      strategy: saved.strategy,
      outcome,
      plan: snapshot.plan,
      verdict,
      startedAt: saved.startedAt,
      endedAt,
      simulatedSeconds: (endedAt - saved.startedAt) / 1000,
      availability: cloud.availability(),
      failures: Object.entries(snapshot.steps)
        .filter(([, s]) => s.error !== undefined)
        .map(([step, s]) => ({ step, error: s.error?.message ?? '' })),
      transitions: entries.flatMap((e) =>
        e.type === 'campaign'
          ? [
              {
                at: String(e.at),
                from: String(e.from),
                to: String(e.to),
                reason: e.reason as string | undefined,
              },
            ]
          : [],
      ),
      alarms: snapshot.alarms.map((a) => ({ at: a.at, code: a.code, object: a.object, message: a.message })),
      timeline: timelineOf(snapshot.plan, snapshot.steps),
      ...(alreadyEnded ? { alreadyEnded } : {}),
    };
  } finally {
    await engine.close();
    log?.close();
  }
}
