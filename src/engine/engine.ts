/**
 * The engine facade: one campaign per engine. `create` or `open` a campaign, `send` it commands (each
 * resolves once accepted: authorized, journaled and under way), `whenResting` to wait for it to stop,
 * `subscribe` to its records. Decisions are made by the pure core (`core/decide.ts`); the runner
 * performs them; the journal is the only state, so a crashed campaign resumes by replaying it.
 */
import { EventEmitter } from 'eventemitter3';
import { verifyPlan } from '../checker/verify-plan.js';
import {
  DocumentError,
  ErrorCode,
  EscalatorError,
  ForbiddenError,
  IllegalTransitionError,
} from '../errors.js';
import { assertCampaign, assertInventory, assertPlan } from '../loader/assert-parsed.js';
import type { Campaign } from '../model/campaign.js';
import type { Inventory } from '../model/inventory.js';
import type { Plan } from '../model/plan.js';
import { createPlan } from '../planner/create-plan.js';
import type { Adapters } from '../ports/adapters.js';
import type { Authorizer, Principal } from '../ports/authorizer.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { JournalEntry, LockTakeover, StateStore, StoreLock } from '../ports/state-store.js';
import { COMMAND_ACTION, type Command, type Notification } from './commands.js';
import { describeError, type ErrorInfo } from './core/effects.js';
import type { EngineEvents } from './events.js';
import { type CampaignSnapshot, type JournalRecord, replay } from './journal.js';
import { type CampaignState, RESTING_STATES } from './machine.js';
import { type EnginePolicyInput, resolvePolicy } from './policy.js';
import { type Accepted, Runner } from './runner.js';
import { type CampaignStatus, statusOf } from './status.js';

/** Collaborators of an engine: `adapters`, `store`, `authorizer` and `clock` are required. */
export interface EngineOptions {
  /** How the engine reaches the cloud: the VIM and the node agent, optionally a hypervisor and a VNF manager. */
  readonly adapters: Adapters;
  /** Where the journal lives: `createMemoryStore()` or `createFileStore({ directory })`; a file store survives a crash. */
  readonly store: StateStore;
  /** Decides who may do what. There is no "allow everything" default: pass `createRoleAuthorizer()` or your own. */
  readonly authorizer: Authorizer;
  /** The time source: `systemClock`, or a virtual clock for tests and simulations. */
  readonly clock: Clock;
  /** @defaultValue a logger that drops everything */
  readonly logger?: Logger | undefined;
  /** Retry, timeout, hang, concurrency and drift policies. @defaultValue {@link DEFAULT_POLICY} */
  readonly policy?: EnginePolicyInput | undefined;
  /** Names this engine in the store's lock. @defaultValue `escalator-<pid>` */
  readonly owner?: string | undefined;
  /**
   * Reads a fresh inventory from the live cloud. With it and `policy.onDrift: 'replan'`, a wave whose
   * cloud changed is re-planned instead of pausing.
   */
  readonly refreshInventory?: ((current: Inventory, signal: AbortSignal) => Promise<Inventory>) | undefined;
  /**
   * Compacts the journal (when the store can, `StateStore.compact`) at a wave boundary once this many
   * records followed the last snapshot, so that opening a campaign of 10,000 nodes replays a snapshot
   * and the records after it rather than every record. `0` never compacts. Each compaction copies the
   * campaign's changing state (at 10,000 computes it raised the simulation's peak memory by ~400 MiB
   * with a file journal), so it is not done often.
   * @defaultValue 100000
   */
  readonly compactEvery?: number | undefined;
}

/** A new campaign: the parsed documents, and the plan when already made. */
export interface NewCampaign {
  /** @defaultValue the campaign's `metadata.name` */
  readonly id?: string | undefined;
  readonly inventory: Inventory;
  readonly campaign: Campaign;
  /**
   * A plan made elsewhere (a file, a REST request): checked whole by `verifyPlan`, steps included, and
   * refused with a `DocumentError` naming each violation.
   * @defaultValue `createPlan(inventory, campaign)`
   */
  readonly plan?: Plan | undefined;
  /**
   * Runs a supplied plan that breaks the invariants. Only for simulations that show what such a plan
   * does (the naive baseline of `escalator simulate --compare`); never for a real cloud.
   * @defaultValue false
   */
  readonly unsafePlan?: boolean | undefined;
}

/** Options of {@link Engine.open}. */
export interface OpenOptions {
  /**
   * Take the campaign's lock even from a live holder (`--break-lock`): only when that engine is
   * certainly not running. Needs `principal`, who must be allowed to `resume`.
   * @defaultValue false
   */
  readonly breakLock?: boolean | undefined;
  /** Who opens the campaign: named in the audit record of a lock takeover. Defaults to the engine's owner. */
  readonly principal?: Principal | undefined;
}

/** Where a campaign rests. */
export interface CampaignOutcome {
  readonly state: CampaignState;
  readonly reason?: string | undefined;
}

export type { Accepted } from './runner.js';

/**
 * Runs one campaign. Create it with {@link createEngine}. Every mutating call takes the principal that
 * asks and goes through the authorizer; refusals are `ForbiddenError` or `IllegalTransitionError`.
 */
export class Engine extends EventEmitter<EngineEvents> {
  readonly #store: StateStore;
  readonly #authorizer: Authorizer;
  readonly #owner: string;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #runner: Runner;
  #lock: StoreLock | undefined;
  #statusCache: { seq: number; status: CampaignStatus } | undefined;

  /** Prefer {@link createEngine}. */
  constructor(options: EngineOptions) {
    super();
    const required = [
      ['adapters', 'pass { adapters: { vim, nodes } }'],
      ['store', 'pass createMemoryStore() or createFileStore({ directory })'],
      ['authorizer', 'pass createRoleAuthorizer() or your own'],
      ['clock', 'pass systemClock'],
    ] as const;
    for (const [name, fix] of required)
      if (!options?.[name]) throw new EscalatorError(ErrorCode.InvalidOption, `${name} is required: ${fix}`);
    if (!options.adapters.vim || !options.adapters.nodes)
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        'adapters.vim and adapters.nodes are required: pass { adapters: { vim, nodes } }',
      );
    this.#store = options.store;
    this.#authorizer = options.authorizer;
    this.#owner = options.owner ?? `escalator-${process.pid}`;
    this.#clock = options.clock;
    this.#logger = options.logger;
    const policy = resolvePolicy(options.policy);
    this.#runner = new Runner({
      store: options.store,
      clock: options.clock,
      policy,
      logger: options.logger,
      env: {
        adapters: options.adapters,
        clock: options.clock,
        policy,
        refreshInventory: options.refreshInventory,
      },
      events: this,
      compactEvery: options.compactEvery ?? 100_000,
    });
  }

  /** The campaign's id, once created or opened. */
  get id(): string | undefined {
    return this.#runner.core?.snapshot.id;
  }

  /**
   * Whether the campaign is moving: driven by this engine and not resting. (After an abort, cancelled
   * work may still be settling; {@link Engine.whenResting} waits for that too.)
   */
  get running(): boolean {
    const state = this.#runner.core?.snapshot.state;
    return this.#runner.active && state !== undefined && !RESTING_STATES.has(state);
  }

  /** The campaign's full state (the fold of its journal). */
  snapshot(): CampaignSnapshot {
    return this.#need();
  }

  /** The status table: per node, module, cluster and site, with progress and alarms. */
  status(): CampaignStatus {
    const state = this.#need();
    if (this.#statusCache?.seq !== state.seq) this.#statusCache = { seq: state.seq, status: statusOf(state) };
    return this.#statusCache.status;
  }

  /** The journal as stored. */
  async journal(): Promise<readonly JournalEntry[]> {
    return this.#store.read(this.#need().id);
  }

  /**
   * Calls `listener` with every journal record from now on, right after it is written. Returns the
   * function that stops it.
   */
  subscribe(listener: (record: JournalRecord) => void): () => void {
    this.on('record', listener);
    return () => {
      this.off('record', listener);
    };
  }

  /**
   * Creates the campaign: plans it unless a plan is given, takes its lock and writes the journal's
   * first records. It waits in `created` for a `start` command.
   * @throws `ForbiddenError`; `EscalatorError` `ESC_INVALID_OPTION` when the campaign already has a
   * journal; `DocumentError` when the documents are not parsed ones.
   */
  async create(principal: Principal, input: NewCampaign): Promise<Accepted> {
    const current = this.#runner.core?.snapshot;
    if (current) throw new IllegalTransitionError('campaign', current.state, 'create');
    assertInventory(input?.inventory);
    assertCampaign(input.campaign);
    if (input.plan !== undefined) assertPlan(input.plan);
    const id = input.id ?? input.campaign.metadata.name;
    const decision = await this.#authorize(principal, 'create', id);
    this.#lock = await this.#store.lock(id, this.#owner);
    try {
      const existing = await this.#store.read(id).catch(() => []);
      if (existing.length > 0)
        throw new EscalatorError(
          ErrorCode.InvalidOption,
          `campaign "${id}" already has a journal: open and resume it instead`,
        );
      const plan = input.plan ?? createPlan(input.inventory, input.campaign);
      if (input.plan !== undefined && input.unsafePlan !== true)
        refuseUnsafe(input.inventory, input.campaign, plan);
      const at = new Date(this.#clock.now()).toISOString();
      await this.#runner.begin([
        { type: 'created', at, campaignId: id, inventory: input.inventory, campaign: input.campaign, plan },
        { type: 'audit', at, principal, action: 'create', allowed: true, reason: decision.reason },
      ]);
    } catch (error) {
      await this.#releaseLock();
      throw error;
    }
    const snapshot = this.#need();
    return { seq: snapshot.seq, state: snapshot.state };
  }

  /**
   * Loads a campaign from its journal (after a crash, or in another process) and takes its lock.
   * Nothing runs until a command (`resume`) says so. Taking over the lock of an engine that is gone (an
   * expired lease, a dead process) or, with `breakLock`, of a live one is audited in the journal and
   * told in {@link Engine.tookOver}.
   * @throws `JournalCorruptError` when the journal is damaged; `LockedError` when another engine runs it;
   * `ForbiddenError` when `breakLock` is asked by someone who may not `resume`.
   */
  async open(id: string, options: OpenOptions = {}): Promise<CampaignSnapshot> {
    const current = this.#runner.core?.snapshot;
    if (current)
      throw new EscalatorError(ErrorCode.InvalidOption, `this engine already holds campaign "${current.id}"`);
    const principal = options.principal ?? { id: this.#owner, roles: [], via: 'local' };
    // Breaking a live lock is an administrative act: checked before the lock is touched.
    const decision = options.breakLock ? await this.#authorize(principal, 'resume', id) : undefined;
    this.#lock = await this.#store.lock(id, this.#owner, { breakLock: options.breakLock });
    try {
      const entries = await this.#store.read(id);
      this.#runner.load(replay(id, entries), entries[0]?.type === 'snapshot' ? entries[0].seq : 0);
      const takeover = this.#lock.tookOver;
      if (takeover)
        await this.#runner.begin([
          {
            type: 'audit',
            at: new Date(this.#clock.now()).toISOString(),
            principal,
            action: 'resume',
            allowed: true,
            reason: `took over the lock of ${takeover.holder} (${takeover.reason})${decision ? `; ${decision.reason}` : ''}`,
          },
        ]);
    } catch (error) {
      await this.#releaseLock();
      throw error;
    }
    return this.#need();
  }

  /** Whose lock {@link Engine.open} took over, and why; undefined when the lock was free. */
  get tookOver(): LockTakeover | undefined {
    return this.#lock?.tookOver;
  }

  /**
   * Sends a command. Resolves once it is accepted — authorized, journaled, its work under way — with
   * the journal's last sequence number and the campaign's state; work goes on in the background
   * (see {@link Engine.whenResting}). Rejects with `ForbiddenError` (the denial is in the audit trail)
   * or `IllegalTransitionError` (not allowed in this state).
   *
   * @example
   * ```ts
   * import type { Engine, Principal } from 'escalator';
   * declare const engine: Engine;
   * declare const operator: Principal;
   * await engine.send(operator, { type: 'start' });
   * const { state } = await engine.whenResting(); // 'completed', or 'paused' at an approval gate
   * if (state === 'paused') await engine.send(operator, { type: 'approve' });
   * ```
   */
  async send(principal: Principal, command: Command): Promise<Accepted> {
    const id = this.#need().id;
    const authorization = await this.#authorizer.authorize(principal, COMMAND_ACTION[command.type], id);
    return this.#runner.command(principal, command, authorization);
  }

  /** Resolves with where the campaign rests once it does (at once when it is not running). */
  async whenResting(): Promise<CampaignOutcome> {
    await this.#runner.whenResting();
    return this.#outcome();
  }

  /**
   * Why the campaign stopped without resting, when its journal could not be written (a full disk):
   * running work was cancelled and stays `running` in the journal; the next command (`resume`) tries
   * the journal again and goes on, probing what was interrupted. Undefined otherwise.
   */
  get stoppedBy(): ErrorInfo | undefined {
    const error = this.#runner.stoppedBy;
    return error === undefined ? undefined : describeError(error);
  }

  /** Waits for the campaign to rest, journals the denials still being counted, releases its lock. */
  async close(): Promise<void> {
    await this.#runner.whenResting().catch(() => undefined);
    if (this.#runner.core) await this.#runner.flush().catch(() => undefined);
    await this.#releaseLock();
  }

  // -----------------------------------------------------------------------------------------------
  // Conveniences: a command, then wait for rest.

  /** Creates the campaign and runs it until it rests: completed, paused (a failure or a gate), failed. */
  async start(principal: Principal, input: NewCampaign): Promise<CampaignOutcome> {
    const current = this.#runner.core?.snapshot;
    if (current) throw new IllegalTransitionError('campaign', current.state, 'start');
    // Checked as `start` before anything is written: who may not start leaves no campaign behind.
    const id = input?.id ?? input?.campaign?.metadata?.name ?? '*';
    await this.#authorize(principal, 'start', id);
    await this.create(principal, input);
    return this.#run(principal, { type: 'start' });
  }

  /** Goes on from a pause, a failure, or a crash; resolves when the campaign rests again. */
  resume(principal: Principal): Promise<CampaignOutcome> {
    return this.#run(principal, { type: 'resume' });
  }

  /** Approves the gate the campaign waits at, then resumes. */
  approve(principal: Principal): Promise<CampaignOutcome> {
    return this.#run(principal, { type: 'approve' });
  }

  /** Asks a running campaign to pause at the next safe point; resolves when it rests. */
  pause(principal: Principal, reason?: string): Promise<CampaignOutcome> {
    return this.#run(principal, { type: 'pause', reason });
  }

  /** Stops at once: running steps are cancelled, the campaign fails. Roll back or restore afterwards. */
  abort(principal: Principal, reason?: string): Promise<CampaignOutcome> {
    return this.#run(principal, { type: 'abort', reason });
  }

  /** Undoes what was done, in reverse order; falls back to restoring backups when an undo fails. */
  rollback(principal: Principal, reason?: string): Promise<CampaignOutcome> {
    return this.#run(principal, { type: 'rollback', reason });
  }

  /** Restores the backups taken before the changes (when undo is impossible). */
  restore(principal: Principal): Promise<CampaignOutcome> {
    return this.#run(principal, { type: 'restore' });
  }

  /** Accepts a completed campaign for good: it can no longer be rolled back. */
  commit(principal: Principal): Promise<CampaignOutcome> {
    return this.#run(principal, { type: 'commit' });
  }

  /** Takes a notification from outside (a VNF manager's answer, an alarm, a node event). */
  async notify(principal: Principal, notification: Notification): Promise<void> {
    await this.send(principal, { type: 'notify', notification });
  }

  // -----------------------------------------------------------------------------------------------

  /** Checks an action before a campaign exists (no journal to audit in: the denial is logged). */
  async #authorize(principal: Principal, action: 'create' | 'start' | 'resume', id: string) {
    const decision = await this.#authorizer.authorize(principal, action, id);
    if (decision.allowed) return decision;
    this.#logger?.log({
      time: new Date(this.#clock.now()).toISOString(),
      level: 'warn',
      campaign: id,
      action: `auth.${action}`,
      code: ErrorCode.Forbidden,
      message: `denied to ${principal.id}: ${decision.reason}`,
    });
    throw new ForbiddenError(principal.id, action, decision.reason);
  }

  async #run(principal: Principal, command: Command): Promise<CampaignOutcome> {
    await this.send(principal, command);
    return this.whenResting();
  }

  #need(): CampaignSnapshot {
    const snapshot = this.#runner.core?.snapshot;
    if (!snapshot)
      throw new EscalatorError(ErrorCode.InvalidOption, 'no campaign: call create() or open() first');
    return snapshot;
  }

  #outcome(): CampaignOutcome {
    const s = this.#need();
    return { state: s.state, reason: s.reason };
  }

  async #releaseLock(): Promise<void> {
    const lock = this.#lock;
    this.#lock = undefined;
    await lock?.release();
  }
}

/** Throws a `DocumentError` naming every rule a supplied plan breaks (steps included). */
function refuseUnsafe(inventory: Inventory, campaign: Campaign, plan: Plan): void {
  const verdict = verifyPlan(inventory, campaign, plan);
  if (verdict.ok) return;
  throw new DocumentError(
    '<plan>',
    verdict.violations.map((v) => ({
      code: v.code,
      path: v.wave === undefined ? [] : ['waves', v.wave],
      message: v.message,
    })),
  );
}

/**
 * Creates an engine for one campaign.
 * @example
 * ```ts
 * import { createEngine, createFileStore, createRoleAuthorizer, systemClock } from 'escalator';
 * import type { Adapters, Campaign, Inventory, Principal } from 'escalator';
 * declare const adapters: Adapters;
 * declare const inventory: Inventory;
 * declare const campaign: Campaign;
 * declare const operator: Principal;
 * const engine = createEngine({ adapters, store: createFileStore({ directory: '.escalator' }),
 *   authorizer: createRoleAuthorizer(), clock: systemClock });
 * engine.on('step', (e) => console.log(e.step.id, e.to));
 * await engine.create(operator, { inventory, campaign });
 * await engine.send(operator, { type: 'start' });
 * const outcome = await engine.whenResting();
 * ```
 */
export function createEngine(options: EngineOptions): Engine {
  return new Engine(options);
}
