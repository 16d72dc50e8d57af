/**
 * The campaign engine: runs a plan against the world through the ports, one campaign per engine.
 *
 * Every transition is checked against the state machine and written to the journal before it counts
 * as done; the in-memory state is the fold of the journal, so a crashed campaign resumes by replaying
 * it. A step found `running` after a crash is first asked "already done?" through its adapter.
 */
import { setMaxListeners } from 'node:events';
import { EventEmitter } from 'eventemitter3';
import { resolveCatalog } from '../catalog/catalog.js';
import {
  ErrorCode,
  EscalatorError,
  ForbiddenError,
  IllegalTransitionError,
  StepTimeoutError,
} from '../errors.js';
import type { Campaign } from '../model/campaign.js';
import type { Catalog } from '../model/component.js';
import type { Inventory } from '../model/inventory.js';
import type { Plan, Step, Wave } from '../model/plan.js';
import { createPlan } from '../planner/create-plan.js';
import { replan } from '../planner/replan.js';
import type { Action, Authorizer, Principal } from '../ports/authorizer.js';
import type { Clock } from '../ports/clock.js';
import type { Logger, LogLevel } from '../ports/logger.js';
import type { JournalEntry, StateStore, StoreLock } from '../ports/state-store.js';
import type { MaintenanceReply } from '../ports/vnf-manager.js';
import { mapLimit } from '../util/map-limit.js';
import { ACTIONS, type ActionContext, type Adapters, undoStep, vimHost } from './actions.js';
import {
  type Alarm,
  applyRecord,
  type CampaignSnapshot,
  type JournalRecord,
  type NewRecord,
  replay,
} from './journal.js';
import {
  type CampaignEvent,
  type CampaignState,
  campaignTransition,
  RESTING_STATES,
  type StepEvent,
  type StepState,
  stepTransition,
} from './machine.js';
import { type EnginePolicy, type EnginePolicyInput, resolvePolicy, withRetry } from './policy.js';
import { runPrechecks } from './prechecks.js';
import { type CampaignStatus, type Progress, progressOf, statusOf } from './status.js';

/** Collaborators of an engine. Only `adapters` is required. */
export interface EngineOptions {
  readonly adapters: Adapters;
  /** Where the journal lives. Required to resume after a crash; the library offers memory and file stores. */
  readonly store: StateStore;
  /** Decides who may do what. Required: there is no "allow everything" default. */
  readonly authorizer: Authorizer;
  /** @defaultValue a logger that drops everything */
  readonly logger?: Logger | undefined;
  /** @defaultValue the system clock */
  readonly clock: Clock;
  /** Retry, timeout, hang, concurrency and drift policies. @defaultValue {@link DEFAULT_POLICY} */
  readonly policy?: EnginePolicyInput | undefined;
  /** Names this engine in the store's lock and the journal. @defaultValue `escalator-<pid>` */
  readonly owner?: string | undefined;
  /**
   * Reads a fresh inventory from the live cloud. With it and `policy.onDrift: 'replan'`, a wave whose
   * cloud changed is re-planned instead of pausing.
   */
  readonly refreshInventory?: ((current: Inventory, signal: AbortSignal) => Promise<Inventory>) | undefined;
}

/** What `start` takes: the documents, and the plan when already made. */
export interface CampaignInput {
  /** @defaultValue the campaign's `metadata.name` */
  readonly id?: string | undefined;
  readonly inventory: Inventory;
  readonly campaign: Campaign;
  /** @defaultValue `createPlan(inventory, campaign)` */
  readonly plan?: Plan | undefined;
}

/** Where a run stopped. */
export interface CampaignOutcome {
  readonly state: CampaignState;
  readonly reason?: string | undefined;
}

/** Something from outside: the VIM, a node agent or a VNF manager telling the engine of an event. */
export type Notification =
  | { readonly type: 'maintenance-reply'; readonly notice: string; readonly reply: MaintenanceReply }
  | {
      readonly type: 'alarm';
      readonly severity: Alarm['severity'];
      readonly object: string;
      readonly message: string;
    }
  | {
      readonly type: 'node-event';
      readonly node: string;
      readonly event: 'down' | 'up';
      readonly message?: string | undefined;
    };

/** The engine's typed events. */
export interface EngineEvents {
  transition: [
    {
      readonly from: CampaignState;
      readonly to: CampaignState;
      readonly event: CampaignEvent;
      readonly reason?: string | undefined;
    },
  ];
  step: [
    {
      readonly step: Step;
      readonly wave: number;
      readonly from: StepState;
      readonly to: StepState;
      readonly error?: { readonly code: string; readonly message: string } | undefined;
    },
  ];
  progress: [Progress];
  alarm: [Alarm];
  wave: [{ readonly wave: number; readonly event: 'started' | 'verified' | 'approved' }];
  /** Every journal record, after it was written (the REST API streams these). */
  record: [JournalRecord];
}

const DONE_STEP: ReadonlySet<StepState> = new Set(['succeeded', 'skipped']);

type WaveOutcome = 'done' | 'paused' | 'rollback' | 'aborted';

/**
 * Runs one campaign. Create it with {@link createEngine}; `start` a new campaign or `open` one from
 * its journal; every mutating call takes the principal that asks and goes through the authorizer.
 */
export class Engine extends EventEmitter<EngineEvents> {
  readonly #adapters: Adapters;
  readonly #store: StateStore;
  readonly #authorizer: Authorizer;
  readonly #logger: Logger | undefined;
  readonly #clock: Clock;
  readonly #policy: EnginePolicy;
  readonly #owner: string;
  readonly #refresh: EngineOptions['refreshInventory'];
  #state: CampaignSnapshot | undefined;
  #catalog: Catalog | undefined;
  #lock: StoreLock | undefined;
  #running: Promise<CampaignOutcome> | undefined;
  #pauseReason: string | undefined;
  #rollbackRequested = false;
  #abort = newController();
  #writes: Promise<unknown> = Promise.resolve();
  readonly #replies = new Map<string, (reply: MaintenanceReply) => void>();
  #statusCache: { seq: number; status: CampaignStatus } | undefined;
  #progressTick = 0;
  /** The wave before which the plan was last re-planned in this run. */
  #replannedAt: number | undefined;

  /** Prefer {@link createEngine}. */
  constructor(options: EngineOptions) {
    super();
    if (!options?.adapters?.vim || !options.adapters.nodes)
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        'adapters.vim and adapters.nodes are required: pass { adapters: { vim, nodes } }',
      );
    if (!options.store)
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        'store is required: pass createMemoryStore() or createFileStore({ directory })',
      );
    if (!options.authorizer)
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        'authorizer is required: pass createRoleAuthorizer() or your own',
      );
    if (!options.clock)
      throw new EscalatorError(ErrorCode.InvalidOption, 'clock is required: pass systemClock');
    this.#adapters = options.adapters;
    this.#store = options.store;
    this.#authorizer = options.authorizer;
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#policy = resolvePolicy(options.policy);
    this.#owner = options.owner ?? `escalator-${process.pid}`;
    this.#refresh = options.refreshInventory;
  }

  /** The campaign's id, once started or opened. */
  get id(): string | undefined {
    return this.#state?.id;
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
   * Creates the campaign (planning it unless a plan is given), then runs it until it rests: completed,
   * paused (a failure or a gate), failed, rolled back.
   */
  async start(principal: Principal, input: CampaignInput): Promise<CampaignOutcome> {
    if (this.#state) throw new IllegalTransitionError('campaign', this.#state.state, 'start');
    const id = input.id ?? input.campaign.metadata.name;
    await this.#check(principal, 'start', id);
    this.#lock = await this.#store.lock(id, this.#owner);
    const existing = await this.#store.read(id).catch(() => []);
    if (existing.length > 0) {
      await this.#releaseLock();
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        `campaign "${id}" already has a journal: open and resume it instead`,
      );
    }
    const plan = input.plan ?? createPlan(input.inventory, input.campaign);
    this.#catalog = resolveCatalog(input.campaign.components);
    await this.#append({
      type: 'created',
      at: this.#now(),
      campaignId: id,
      inventory: input.inventory,
      campaign: input.campaign,
      plan,
    });
    await this.#audit(principal, 'start', true, 'allowed');
    await this.#transition('start');
    return this.#go();
  }

  /**
   * Loads a campaign from its journal (after a crash, or in another process) and takes its lock.
   * Call {@link Engine.resume} to go on.
   * @throws `JournalCorruptError` when the journal is damaged; `LockedError` when another engine runs it.
   */
  async open(id: string): Promise<CampaignSnapshot> {
    if (this.#state)
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        `this engine already holds campaign "${this.#state.id}"`,
      );
    this.#lock = await this.#store.lock(id, this.#owner);
    try {
      this.#state = replay(id, await this.#store.read(id));
    } catch (error) {
      await this.#releaseLock();
      throw error;
    }
    this.#catalog = resolveCatalog(this.#state.campaign.components);
    return this.#state;
  }

  /** Goes on from a pause, a gate (approval), a failure, or a crash. Resolves when the campaign rests again. */
  async resume(principal: Principal): Promise<CampaignOutcome> {
    const state = this.#need();
    await this.#check(principal, 'resume', state.id);
    if (this.#running) throw new IllegalTransitionError('campaign', `${state.state} (running)`, 'resume');
    for (const [id, step] of Object.entries(state.steps))
      if (step.state === 'failed' || step.state === 'timed-out') this.#retryFailed.add(id);
    // Nothing changed yet (it failed in prechecks or backups): go through them again, never around them.
    const untouched = Object.values(state.steps).every((s) => s.state === 'pending');
    if (state.state === 'failed' && untouched)
      await this.#transition('recheck', `resumed by ${principal.id}`);
    else if (state.state === 'paused' || state.state === 'failed') await this.#transition('resume');
    else if (RESTING_STATES.has(state.state) && state.state !== 'created')
      throw new IllegalTransitionError('campaign', state.state, 'resume');
    else if (state.state === 'created') await this.#transition('start');
    return this.#go();
  }

  /** Approves the gate the campaign waits at, then resumes. */
  async approve(principal: Principal): Promise<CampaignOutcome> {
    const state = this.#need();
    await this.#check(principal, 'approve', state.id);
    const wave = this.#gateWave();
    if (wave === undefined || state.state !== 'paused')
      throw new IllegalTransitionError('campaign', state.state, 'approve');
    await this.#append({ type: 'wave', at: this.#now(), wave, event: 'approved' });
    this.emit('wave', { wave, event: 'approved' });
    await this.#transition('resume', `wave ${wave} approved by ${principal.id}`);
    return this.#go();
  }

  /**
   * Asks a running campaign to pause at the next safe point: running steps finish, no new step starts.
   * Resolves when it rests.
   */
  async pause(principal: Principal, reason = 'paused by an operator'): Promise<CampaignOutcome> {
    const state = this.#need();
    await this.#check(principal, 'pause', state.id);
    if (!this.#running) throw new IllegalTransitionError('campaign', state.state, 'pause');
    this.#pauseReason = `${reason} (${principal.id})`;
    return this.#running;
  }

  /** Stops at once: running steps are cancelled, the campaign fails. Roll back or restore afterwards. */
  async abort(principal: Principal, reason = 'aborted by an operator'): Promise<CampaignOutcome> {
    const state = this.#need();
    await this.#check(principal, 'abort', state.id);
    this.#abort.abort(new EscalatorError(ErrorCode.Timeout, reason));
    if (this.#running) await this.#running.catch(() => undefined);
    if (this.#need().state !== 'failed') await this.#transition('abort', `${reason} (${principal.id})`);
    this.#abort = newController();
    return this.#outcome();
  }

  /** Undoes what was done, in reverse order; falls back to restoring backups when an undo fails. */
  async rollback(principal: Principal): Promise<CampaignOutcome> {
    const state = this.#need();
    await this.#check(principal, 'rollback', state.id);
    if (this.#running) {
      this.#rollbackRequested = true;
      return this.#running;
    }
    await this.#transition('rollback', `requested by ${principal.id}`);
    return this.#go();
  }

  /** Restores the backups taken before the changes (when undo is impossible). */
  async restore(principal: Principal): Promise<CampaignOutcome> {
    const state = this.#need();
    await this.#check(principal, 'restore', state.id);
    if (this.#running) throw new IllegalTransitionError('campaign', `${state.state} (running)`, 'restore');
    await this.#transition('restore', `requested by ${principal.id}`);
    return this.#go();
  }

  /** Accepts a completed campaign for good: it can no longer be rolled back. */
  async commit(principal: Principal): Promise<CampaignOutcome> {
    const state = this.#need();
    await this.#check(principal, 'commit', state.id);
    await this.#transition('commit', `committed by ${principal.id}`);
    return this.#outcome();
  }

  /** Takes a notification from outside (a VNF manager's answer, an alarm, a node event). */
  async notify(principal: Principal, notification: Notification): Promise<void> {
    const state = this.#need();
    await this.#check(principal, 'notify', state.id);
    switch (notification.type) {
      case 'maintenance-reply':
        this.#replies.get(notification.notice)?.(notification.reply);
        this.#log('info', 'notify.maintenance-reply', `${notification.reply}`, notification.notice);
        return;
      case 'alarm':
        await this.#alarm(notification.severity, 'external-alarm', notification.object, notification.message);
        if (notification.severity === 'critical' && this.#running)
          this.#pauseReason ??= `critical alarm on ${notification.object}: ${notification.message}`;
        return;
      case 'node-event':
        await this.#alarm(
          notification.event === 'down' ? 'major' : 'warning',
          `node-${notification.event}`,
          notification.node,
          notification.message ?? `node ${notification.node} is ${notification.event}`,
        );
        if (notification.event === 'down' && this.#running)
          this.#pauseReason ??= `node ${notification.node} went down: the plan must be checked`;
        return;
    }
  }

  /** Waits for the current run (if any) and releases the campaign's lock. */
  async close(): Promise<void> {
    if (this.#running) await this.#running.catch(() => undefined);
    await this.#releaseLock();
  }

  // ---------------------------------------------------------------------------------------------
  // Journal

  #need(): CampaignSnapshot {
    if (!this.#state)
      throw new EscalatorError(ErrorCode.InvalidOption, 'no campaign: call start() or open() first');
    return this.#state;
  }

  #now(): string {
    return new Date(this.#clock.now()).toISOString();
  }

  /** Writes a record (write-ahead), then applies it. Records are written one at a time, in order. */
  #append(record: NewRecord): Promise<JournalRecord> {
    const write = this.#writes.then(async () => {
      const seq = (this.#state?.seq ?? 0) + 1;
      const full = { ...record, seq } as JournalRecord;
      // Validate against the machine before anything is written: an illegal record never reaches the store.
      const id = this.#state?.id ?? (record.type === 'created' ? record.campaignId : '');
      await this.#store.append(id, [full as unknown as JournalEntry]);
      this.#state = applyRecord(this.#state, full);
      this.emit('record', full);
      return full;
    });
    this.#writes = write.catch(() => undefined);
    return write;
  }

  async #transition(event: CampaignEvent, reason?: string): Promise<void> {
    const from = this.#need().state;
    const to = campaignTransition(from, event);
    await this.#append({ type: 'campaign', at: this.#now(), event, from, to, reason });
    this.#log(
      to === 'failed' ? 'error' : 'info',
      'campaign.transition',
      `${from} → ${to}${reason ? `: ${reason}` : ''}`,
    );
    this.emit('transition', { from, to, event, reason });
  }

  async #stepTransition(
    step: Step,
    wave: number,
    event: StepEvent,
    extra: { error?: unknown; data?: Record<string, string> | undefined } = {},
  ): Promise<void> {
    const from = this.#need().steps[step.id]?.state ?? 'pending';
    const to = stepTransition(from, event);
    const error = extra.error === undefined ? undefined : describeError(extra.error);
    await this.#append({
      type: 'step',
      at: this.#now(),
      step: step.id,
      event,
      from,
      to,
      error,
      data: extra.data,
    });
    this.#log(
      error ? 'warn' : 'info',
      `step.${event}`,
      error ? error.message : `${from} → ${to}`,
      step.id,
      error?.code,
    );
    this.emit('step', { step, wave, from, to, error });
    if (to === 'succeeded' || to === 'skipped') this.#emitProgress();
  }

  /**
   * Progress is worked out from every step, so it is sent about 200 times per plan rather than at
   * every step (a plan for 1,000 nodes has some 20,000 steps), and always at the last one.
   */
  #emitProgress(): void {
    const plan = this.#need().plan;
    const total = plan.waves.reduce((n, w) => n + w.steps.length, 0);
    this.#progressTick++;
    if (this.#progressTick % Math.max(1, Math.floor(total / 200)) !== 0 && this.#progressTick < total) return;
    if (this.listenerCount('progress') > 0) this.emit('progress', progressOf(this.#need()));
  }

  async #audit(principal: Principal, action: Action, allowed: boolean, reason: string): Promise<void> {
    if (!this.#state) return;
    await this.#append({ type: 'audit', at: this.#now(), principal, action, allowed, reason });
  }

  async #check(principal: Principal, action: Action, campaign: string): Promise<void> {
    const decision = await this.#authorizer.authorize(principal, action, campaign);
    if (!decision.allowed) {
      await this.#audit(principal, action, false, decision.reason);
      this.#log(
        'warn',
        `auth.${action}`,
        `denied to ${principal.id}: ${decision.reason}`,
        campaign,
        ErrorCode.Forbidden,
      );
      throw new ForbiddenError(principal.id, action, decision.reason);
    }
    if (action !== 'start') await this.#audit(principal, action, true, decision.reason);
  }

  async #alarm(severity: Alarm['severity'], code: string, object: string, message: string): Promise<void> {
    const alarm: Alarm = { code, severity, object, message, at: this.#now() };
    await this.#append({ type: 'alarm', at: alarm.at, alarm });
    this.#log(
      severity === 'critical' || severity === 'major' ? 'error' : 'warn',
      'alarm',
      message,
      object,
      code,
    );
    this.emit('alarm', alarm);
  }

  #log(level: LogLevel, action: string, message: string, object?: string, code?: string): void {
    this.#logger?.log({ time: this.#now(), level, campaign: this.#state?.id, object, action, code, message });
  }

  async #releaseLock(): Promise<void> {
    const lock = this.#lock;
    this.#lock = undefined;
    await lock?.release();
  }

  #outcome(): CampaignOutcome {
    const s = this.#need();
    return { state: s.state, reason: s.reason };
  }

  // ---------------------------------------------------------------------------------------------
  // The run loop: from the current state until a resting one.

  #go(): Promise<CampaignOutcome> {
    this.#running ??= this.#drive().finally(() => {
      this.#running = undefined;
      this.#pauseReason = undefined;
      this.#rollbackRequested = false;
    });
    return this.#running;
  }

  async #drive(): Promise<CampaignOutcome> {
    for (;;) {
      const state = this.#need().state;
      if (RESTING_STATES.has(state)) return this.#outcome();
      if (this.#abort.signal.aborted) return this.#outcome();
      try {
        switch (state) {
          case 'prechecking':
            await this.#precheck();
            break;
          case 'backing-up':
            await this.#backup();
            break;
          case 'executing':
            await this.#execute();
            break;
          case 'verifying':
            await this.#verifyAll();
            break;
          case 'rolling-back':
            await this.#rollBack();
            break;
          case 'restoring':
            await this.#restoreAll();
            break;
          default:
            return this.#outcome();
        }
      } catch (error) {
        if (this.#abort.signal.aborted) return this.#outcome();
        // Whatever escaped (an adapter still failing after its retries, no plan for the rest): the
        // campaign rests in a state an operator can act on, never stuck in a working state.
        const restingEvent: Partial<Record<CampaignState, CampaignEvent>> = {
          prechecking: 'prechecks-failed',
          'backing-up': 'backup-failed',
          executing: 'pause',
          verifying: 'verification-failed',
          'rolling-back': 'undo-failed',
          restoring: 'restore-failed',
        };
        const event = restingEvent[this.#need().state];
        if (!event) throw error;
        await this.#alarm('major', 'engine-error', this.#need().id, describeError(error).message);
        await this.#transition(event, describeError(error).message);
      }
    }
  }

  #ctx(signal: AbortSignal): ActionContext {
    const state = this.#need();
    return {
      campaignId: state.id,
      adapters: this.#adapters,
      inventory: state.inventory,
      catalog: this.#catalog ?? resolveCatalog(state.campaign.components),
      clock: this.#clock,
      pollMs: this.#policy.pollSeconds * 1000,
      signal,
      backups: state.backups,
      awaitReply: (notice, s) =>
        new Promise<MaintenanceReply>((resolve, reject) => {
          this.#replies.set(notice, resolve);
          s.addEventListener('abort', () => {
            this.#replies.delete(notice);
            reject(s.reason);
          });
        }),
    };
  }

  async #precheck(): Promise<void> {
    const state = this.#need();
    const report = await runPrechecks(
      this.#adapters,
      state.inventory,
      state.plan,
      this.#ctx(this.#abort.signal).catalog,
      this.#abort.signal,
      (fn) => withRetry(fn, this.#policy.retry, this.#clock, { signal: this.#abort.signal }),
    );
    await this.#append({ type: 'precheck', at: this.#now(), report });
    if (report.ok) await this.#transition('prechecks-passed');
    else {
      const failed = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
      const offer = report.unhealthyNodes.length
        ? `; to go ahead without them, leave out ${report.unhealthyNodes.join(', ')} (excludeNodes)`
        : '';
      await this.#transition('prechecks-failed', `${failed.join('; ')}${offer}`);
    }
  }

  /** Campaign-level backup: the databases of clustered data stores, once, before any change. */
  async #backup(): Promise<void> {
    const state = this.#need();
    const catalog = this.#ctx(this.#abort.signal).catalog;
    const planned = new Set(state.plan.waves.flatMap((w) => w.nodes));
    try {
      for (const cluster of state.inventory.clusters) {
        const component = cluster.component ? catalog[cluster.component] : undefined;
        if (!component || component.backup.databases.length === 0) continue;
        if (!cluster.members.some((m) => planned.has(m))) continue;
        const label = `campaign.${cluster.name}`;
        if (state.backups.some((b) => b.label === label)) continue;
        const node = cluster.primary ?? cluster.members[0] ?? '';
        const software = Object.fromEntries(
          Object.entries(state.inventory.nodes.find((n) => n.name === node)?.software ?? {}).filter(
            ([c]) => c === cluster.component,
          ),
        );
        const backup = await withRetry(
          () =>
            this.#adapters.nodes.backup(
              node,
              { label, software, files: [], databases: component.backup.databases },
              { signal: this.#abort.signal },
            ),
          this.#policy.retry,
          this.#clock,
          { signal: this.#abort.signal },
        );
        await this.#append({ type: 'backup', at: this.#now(), step: label, backup });
      }
      await this.#transition('backup-done');
    } catch (error) {
      await this.#transition('backup-failed', describeError(error).message);
    }
  }

  /** Waves in order; gates and drift checks between them. */
  async #execute(): Promise<void> {
    for (const wave of this.#need().plan.waves) {
      const state = this.#need();
      if (state.wavesDone.includes(wave.index)) continue;
      const previous = wave.index - 1;
      if (
        state.campaign.strategy.approveAfterWaves.includes(previous) &&
        state.wavesDone.includes(previous) &&
        !state.wavesApproved.includes(previous)
      ) {
        await this.#transition('pause', `approval needed after wave ${previous}: call approve`);
        return;
      }
      const fresh = wave.steps.every((s) => (state.steps[s.id]?.state ?? 'pending') === 'pending');
      if (fresh) {
        const drift = await withRetry(() => this.#drift(wave), this.#policy.retry, this.#clock, {
          signal: this.#abort.signal,
        });
        if (drift) {
          await this.#alarm('major', 'plan-stale', `wave-${wave.index}`, drift);
          // Re-plan once per wave: drift a new plan cannot clear (a critical alarm) pauses instead.
          if (this.#policy.onDrift === 'replan' && this.#refresh && this.#replannedAt !== wave.index) {
            this.#replannedAt = wave.index;
            const inventory = await this.#refresh(state.inventory, this.#abort.signal);
            const plan = replan(state.plan, { wavesDone: state.wavesDone }, inventory, state.campaign, {
              catalog: this.#catalog,
            });
            await this.#append({ type: 'replan', at: this.#now(), plan, inventory, reason: drift });
            return; // #drive calls #execute again, on the new plan
          }
          await this.#transition('pause', `the cloud changed before wave ${wave.index}: ${drift}`);
          return;
        }
        await this.#append({ type: 'wave', at: this.#now(), wave: wave.index, event: 'started' });
        this.emit('wave', { wave: wave.index, event: 'started' });
      }
      const outcome = await this.#runWave(wave);
      if (outcome === 'aborted') return;
      if (outcome === 'rollback') {
        await this.#transition('rollback', this.#need().reason ?? 'a step failed');
        return;
      }
      if (outcome === 'paused') {
        await this.#transition('pause', this.#pauseReason ?? 'paused');
        return;
      }
      const problem = await this.#verifyWave(wave);
      if (problem) {
        await this.#alarm('major', 'wave-verification', `wave-${wave.index}`, problem);
        const policy = state.campaign.strategy.onFailure;
        await this.#transition(
          policy === 'rollback' ? 'rollback' : 'pause',
          `wave ${wave.index} failed verification: ${problem}`,
        );
        return;
      }
      await this.#append({ type: 'wave', at: this.#now(), wave: wave.index, event: 'verified' });
      this.emit('wave', { wave: wave.index, event: 'verified' });
      if (this.#pauseReason) {
        await this.#transition('pause', this.#pauseReason);
        return;
      }
      if (this.#rollbackRequested) {
        await this.#transition('rollback', 'requested by an operator');
        return;
      }
    }
    if (this.#gateWave() !== undefined) {
      await this.#transition('pause', `approval needed after wave ${this.#gateWave()}: call approve`);
      return;
    }
    await this.#transition('waves-done');
  }

  /** The wave whose approval gate is open, if any. */
  #gateWave(): number | undefined {
    const state = this.#need();
    return state.campaign.strategy.approveAfterWaves.find(
      (w) => state.wavesDone.includes(w) && !state.wavesApproved.includes(w),
    );
  }

  /**
   * Re-reads the live state before a wave and compares it with what the plan expects: the wave's
   * compute nodes are up, the targets are up and enabled, and the instances on the wave's nodes are
   * the ones the plan knows. Returns what changed, or undefined.
   */
  async #drift(wave: Wave): Promise<string | undefined> {
    const state = this.#need();
    const signal = this.#abort.signal;
    const computes = new Set(
      state.inventory.nodes.filter((n) => n.roles.includes('compute')).map((n) => n.name),
    );
    const services = new Map(
      (await this.#adapters.vim.listComputeServices({ signal })).map((s) => [s.host, s]),
    );
    const problems: string[] = [];
    for (const node of wave.nodes) {
      if (!computes.has(node)) continue;
      const s = services.get(vimHost(state.inventory, node));
      if (s?.state !== 'up') problems.push(`${node} is ${s ? s.state : 'unknown to the VIM'}`);
    }
    for (const target of new Set(wave.migrations.map((m) => m.to))) {
      const s = services.get(vimHost(state.inventory, target));
      if (s?.state !== 'up') problems.push(`target ${target} is ${s ? s.state : 'unknown to the VIM'}`);
      else if (s.status === 'disabled' && !s.disabledReason?.startsWith(`escalator ${state.id}`))
        problems.push(`target ${target} was disabled by someone else (${s.disabledReason ?? 'no reason'})`);
    }
    const expected = expectedPlacement(state, wave.index);
    await mapLimit(
      wave.nodes.filter((n) => computes.has(n)),
      16,
      async (node) => {
        const live = await this.#adapters.vim.listInstances(vimHost(state.inventory, node), { signal });
        const want = expected.get(node) ?? new Set<string>();
        const unexpected = live.filter((i) => !want.has(i.name)).map((i) => i.name);
        const missing = [...want].filter((name) => !live.some((i) => i.name === name));
        if (unexpected.length)
          problems.push(`${node} hosts instances the plan does not know: ${unexpected.join(', ')}`);
        if (missing.length) problems.push(`${node} no longer hosts ${missing.join(', ')}`);
      },
    );
    const critical = (await this.#adapters.vim.listAlarms({ signal })).filter(
      (a) => a.severity === 'critical',
    );
    for (const a of critical) problems.push(`critical alarm on ${a.resource}: ${a.message}`);
    return problems.length ? problems.join('; ') : undefined;
  }

  /** Runs the steps of a wave: each when its `after` steps are done, up to the concurrency limits. */
  async #runWave(wave: Wave): Promise<WaveOutcome> {
    const state = this.#need();
    const groupOf = new Map<string, { name: string; max: number }>();
    const groups = new Map(state.inventory.serverGroups.map((g) => [g.name, g.maxImpacted]));
    for (const i of state.inventory.instances)
      if (i.serverGroup) groupOf.set(i.name, { name: i.serverGroup, max: groups.get(i.serverGroup) ?? 1 });
    const stateOf = (id: string): StepState => this.#need().steps[id]?.state ?? 'pending';

    // Dependency counts instead of rescanning the wave: a wave of 1,000 nodes has ~20,000 steps.
    const byId = new Map(wave.steps.map((s) => [s.id, s]));
    const dependents = new Map<string, Step[]>();
    const waitingOn = new Map<string, number>();
    let left = 0;
    for (const step of wave.steps) {
      let n = 0;
      for (const a of step.after) {
        if (!byId.has(a)) continue;
        const list = dependents.get(a);
        if (list) list.push(step);
        else dependents.set(a, [step]);
        if (!DONE_STEP.has(stateOf(a))) n++;
      }
      waitingOn.set(step.id, n);
      if (!DONE_STEP.has(stateOf(step.id))) left++;
    }
    const queue: Step[] = wave.steps.filter(
      (s) => waitingOn.get(s.id) === 0 && !DONE_STEP.has(stateOf(s.id)),
    );
    let head = 0;
    const deferred = new Map<string, Step[]>(); // migrations waiting for their group's turn
    const movingPerGroup = new Map<string, number>();
    const running = new Map<string, Promise<void>>();
    let stop: WaveOutcome | undefined;

    const finished = (step: Step) => {
      left--;
      for (const d of dependents.get(step.id) ?? []) {
        const n = (waitingOn.get(d.id) ?? 1) - 1;
        waitingOn.set(d.id, n);
        if (n === 0) queue.push(d);
      }
    };
    // What depends on a tolerated failure is given up; otherwise it waits for a retry on resume.
    const giveUpAfter = async (step: Step) => {
      for (const d of dependents.get(step.id) ?? []) {
        if (stateOf(d.id) !== 'pending') continue;
        await this.#stepTransition(d, wave.index, 'skip');
        left--;
        await giveUpAfter(d);
      }
    };
    const release = (group: { name: string } | undefined) => {
      if (!group) return;
      movingPerGroup.set(group.name, (movingPerGroup.get(group.name) ?? 1) - 1);
      const next = deferred.get(group.name)?.shift();
      if (next) queue.push(next);
    };

    for (;;) {
      if (this.#abort.signal.aborted) stop = 'aborted';
      else if (this.#rollbackRequested) stop ??= 'rollback';
      else if (this.#pauseReason) stop ??= 'paused';
      while (!stop && running.size < this.#policy.maxConcurrentSteps && head < queue.length) {
        const step = queue[head++] as Step;
        const s = stateOf(step.id);
        if (running.has(step.id) || DONE_STEP.has(s) || s === 'undone') continue;
        // A failed step is retried only when an operator resumes the campaign.
        if ((s === 'failed' || s === 'timed-out') && !this.#retryFailed.has(step.id)) continue;
        const group = step.kind === 'migrate' && step.instance ? groupOf.get(step.instance) : undefined;
        if (group && (movingPerGroup.get(group.name) ?? 0) >= group.max) {
          const list = deferred.get(group.name);
          if (list) list.push(step);
          else deferred.set(group.name, [step]);
          continue;
        }
        if (group) movingPerGroup.set(group.name, (movingPerGroup.get(group.name) ?? 0) + 1);
        running.set(
          step.id,
          this.#runStep(step, wave.index).then(
            async (ok) => {
              running.delete(step.id);
              release(group);
              if (ok) finished(step);
              // A step cancelled by an abort did not fail: no failure policy, no step-failed alarm.
              else if (this.#abort.signal.aborted) stop ??= 'aborted';
              else {
                const outcome = await this.#onFailure(step);
                // Tolerated (continue within maxFailures): give up what depends on it, go on.
                if (outcome === undefined) await giveUpAfter(step);
                else stop ??= outcome;
              }
            },
            (error: unknown) => {
              running.delete(step.id);
              release(group);
              stop ??= this.#abort.signal.aborted ? 'aborted' : 'paused';
              this.#pauseReason ??= `internal error in ${step.id}: ${describeError(error).message}`;
            },
          ),
        );
      }
      if (running.size === 0) {
        if (stop) return stop;
        if (head < queue.length) continue;
        if (left === 0) return 'done';
        // Nothing runs and something is left: failed steps under `continue` (their dependents were
        // given up), or steps waiting on a failed one.
        const rest = wave.steps.filter((s) => !DONE_STEP.has(stateOf(s.id)));
        return rest.every((s) => ['failed', 'timed-out'].includes(stateOf(s.id))) ? 'done' : 'paused';
      }
      await Promise.race(running.values());
    }
  }

  /** Failed steps an operator asked to retry (on resume). */
  readonly #retryFailed = new Set<string>();

  #onFailurePolicy(step: Step): 'pause' | 'rollback' | 'continue' {
    return this.#policy.steps[step.kind]?.onFailure ?? this.#need().campaign.strategy.onFailure;
  }

  /** Decides what a failed step means for the wave, by policy. */
  async #onFailure(step: Step): Promise<WaveOutcome | undefined> {
    const state = this.#need();
    const policy = this.#onFailurePolicy(step);
    const error = state.steps[step.id]?.error?.message ?? 'failed';
    await this.#alarm('major', 'step-failed', step.id, error);
    if (policy === 'continue' && state.failures <= state.campaign.strategy.maxFailures) return undefined;
    if (policy === 'rollback') {
      this.#rollbackRequested = true;
      return 'rollback';
    }
    this.#pauseReason ??=
      policy === 'continue'
        ? `${state.failures} failures, more than maxFailures ${state.campaign.strategy.maxFailures}: ${step.id}: ${error}`
        : `${step.id} failed: ${error}`;
    return 'paused';
  }

  /**
   * Runs one step to an end state through its action, with retries, a hang alarm and a timeout.
   * Returns whether it succeeded.
   */
  async #runStep(step: Step, wave: number): Promise<boolean> {
    const action = ACTIONS[step.kind];
    const controller = new AbortController();
    const onAbort = () => controller.abort(this.#abort.signal.reason);
    this.#abort.signal.addEventListener('abort', onAbort, { once: true });
    const ctx = this.#ctx(controller.signal);
    try {
      const current = this.#need().steps[step.id];
      let data = current?.data;
      if (current?.state === 'running') {
        // Left running by a crash: ask the world before doing it again.
        if (await action.isDone(ctx, step, data).catch(() => false)) {
          await this.#stepTransition(step, wave, 'succeed');
          return true;
        }
        await this.#stepTransition(step, wave, 'recheck');
      } else {
        data = action.prepare ? await action.prepare(ctx, step) : undefined;
        const event: StepEvent = current?.state === 'pending' || current === undefined ? 'start' : 'retry';
        this.#retryFailed.delete(step.id);
        await this.#stepTransition(step, wave, event, { data });
      }
      const timeoutMs = step.timeoutSeconds * 1000 * (this.#policy.steps[step.kind]?.timeoutFactor ?? 1);
      const hangMs = step.expectedSeconds * 1000 * this.#policy.hangFactor;
      const timers = new AbortController();
      const hang = this.#clock.sleep(hangMs, timers.signal).then(
        () =>
          this.#alarm(
            'warning',
            'step-hang',
            step.id,
            `${step.id} runs longer than ${this.#policy.hangFactor}× its expected ${step.expectedSeconds} s`,
          ),
        () => undefined,
      );
      const timeout = this.#clock.sleep(timeoutMs, timers.signal).then(
        () => {
          controller.abort(new StepTimeoutError(step.id, timeoutMs / 1000));
          return 'timeout' as const;
        },
        () => 'cancelled' as const,
      );
      const retry = { ...this.#policy.retry, ...this.#policy.steps[step.kind]?.retry };
      const work = withRetry(() => action.run(ctx, step, data), retry, this.#clock, {
        signal: controller.signal,
        onRetry: (error, n) =>
          this.#log('warn', 'step.retry', `attempt ${n}: ${describeError(error).message}`, step.id),
      }).then(
        (result) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      const first = await Promise.race([work, timeout]);
      timers.abort();
      await hang;
      if (first === 'cancelled') return false;
      if (
        first === 'timeout' ||
        (!first.ok && controller.signal.reason instanceof StepTimeoutError && !this.#abort.signal.aborted)
      ) {
        await work; // let the cancelled attempt settle before recording
        await this.#stepTransition(step, wave, 'time-out', {
          error: new StepTimeoutError(step.id, timeoutMs / 1000),
        });
        return false;
      }
      if (!first.ok) {
        if (this.#abort.signal.aborted) return false; // leave it running: abort records the campaign's end
        await this.#stepTransition(step, wave, 'fail', { error: first.error });
        return false;
      }
      if (first.result?.backup)
        await this.#append({ type: 'backup', at: this.#now(), step: step.id, backup: first.result.backup });
      await this.#stepTransition(step, wave, 'succeed');
      return true;
    } finally {
      this.#abort.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Test after a wave: its nodes run the target versions and their services are up. */
  async #verifyWave(wave: Wave): Promise<string | undefined> {
    const state = this.#need();
    const problems: string[] = [];
    const failed = wave.steps.filter((s) => ['failed', 'timed-out'].includes(state.steps[s.id]?.state ?? ''));
    const skippedNodes = new Set(
      wave.steps
        .filter((s) => state.steps[s.id]?.state !== 'succeeded' && s.node)
        .map((s) => s.node as string),
    );
    const catalog = this.#ctx(this.#abort.signal).catalog;
    await mapLimit(
      wave.nodes.filter((n) => !skippedNodes.has(n)),
      16,
      async (node) => {
        const inv = state.inventory.nodes.find((n) => n.name === node);
        const target = Object.fromEntries(
          Object.keys(inv?.software ?? {})
            .filter((c) => state.campaign.target.software[c] !== undefined)
            .map((c) => [c, state.campaign.target.software[c] ?? '']),
        );
        const signal = this.#abort.signal;
        const retrying = <T>(fn: () => Promise<T>) =>
          withRetry(fn, this.#policy.retry, this.#clock, { signal });
        try {
          const installed = await retrying(() =>
            this.#adapters.nodes.installedVersions(node, Object.keys(target), { signal }),
          );
          const wrong = Object.entries(target).filter(([c, v]) => installed[c] !== v);
          if (wrong.length)
            problems.push(`${node} runs ${wrong.map(([c]) => `${c} ${installed[c] ?? 'none'}`).join(', ')}`);
          const services = Object.keys(target).flatMap((c) => catalog[c]?.services ?? []);
          const health = await retrying(() => this.#adapters.nodes.health(node, services, { signal }));
          if (!health.ok) problems.push(`${node}: services down`);
        } catch (error) {
          problems.push(`${node}: ${describeError(error).message}`);
        }
      },
    );
    // Failed steps under `continue` were already accounted for by policy; only report the rest.
    if (failed.length > 0 && state.campaign.strategy.onFailure !== 'continue')
      problems.push(`failed steps: ${failed.map((s) => s.id).join(', ')}`);
    return problems.length ? problems.join('; ') : undefined;
  }

  async #verifyAll(): Promise<void> {
    const state = this.#need();
    const problems: string[] = [];
    for (const wave of state.plan.waves) {
      const p = await this.#verifyWave(wave);
      if (p) problems.push(p);
    }
    const services = await withRetry(
      () => this.#adapters.vim.listComputeServices({ signal: this.#abort.signal }),
      this.#policy.retry,
      this.#clock,
      { signal: this.#abort.signal },
    ).catch(() => []);
    const ours = services.filter(
      (s) => s.status === 'disabled' && s.disabledReason?.startsWith(`escalator ${state.id}`),
    );
    if (ours.length) problems.push(`compute services still disabled: ${ours.map((s) => s.host).join(', ')}`);
    if (problems.length && state.campaign.strategy.onFailure !== 'continue')
      await this.#transition('verification-failed', problems.join('; '));
    else await this.#transition('verified');
  }

  /** Graceful rollback: undo succeeded steps in reverse order of completion. */
  async #rollBack(): Promise<void> {
    const state = this.#need();
    const steps = new Map(
      state.plan.waves.flatMap((w) => w.steps.map((s) => [s.id, { step: s, wave: w.index }] as const)),
    );
    const ctx = this.#ctx(this.#abort.signal);
    // Steps an abort or a crash interrupted are marked failed first, so they can be undone like failures.
    for (const [id, record] of Object.entries(state.steps)) {
      const entry = steps.get(id);
      if (record.state === 'running' && entry)
        await this.#stepTransition(entry.step, entry.wave, 'fail', {
          error: new Error('interrupted before rollback'),
        });
    }
    // Failed or timed-out steps may have half-done effects: undo those too, before the succeeded ones.
    const todo = [
      ...Object.entries(state.steps)
        .filter(([, r]) => r.state === 'failed' || r.state === 'timed-out')
        .map(([id]) => id),
      ...[...state.completionOrder].reverse(),
    ];
    // Moving an instance back needs its old host enabled again: a migration's undo waits until the
    // undo of its source's disable-compute (which reverse order would otherwise reach after it).
    const todoSet = new Set(todo);
    const waitFor = new Map<string, string[]>();
    const ordered: string[] = [];
    for (const id of todo) {
      const step = steps.get(id)?.step;
      const disable =
        step?.kind === 'migrate' ? step.after.find((a) => a.endsWith('.disable-compute')) : undefined;
      if (disable && todoSet.has(disable) && !ordered.includes(disable)) {
        waitFor.set(disable, [...(waitFor.get(disable) ?? []), id]);
        continue;
      }
      ordered.push(id, ...(waitFor.get(id) ?? []));
      waitFor.delete(id);
    }
    for (const rest of waitFor.values()) ordered.push(...rest);
    for (const id of ordered) {
      const entry = steps.get(id);
      const record = this.#need().steps[id];
      if (!entry || !record || record.state === 'undone') continue;
      try {
        await withRetry(() => undoStep(ctx, entry.step), this.#policy.retry, this.#clock, {
          signal: this.#abort.signal,
        });
        await this.#stepTransition(entry.step, entry.wave, 'undo');
      } catch (error) {
        // Cancelled by an abort, not failed: abort() records rolling-back → failed; no restore.
        if (this.#abort.signal.aborted) return;
        await this.#alarm('critical', 'undo-failed', id, describeError(error).message);
        await this.#transition(
          'undo-failed',
          `cannot undo ${id}: ${describeError(error).message}; restoring backups`,
        );
        return;
      }
    }
    await this.#transition('rolled-back');
  }

  /** Restore: every backup reloaded, newest first. */
  async #restoreAll(): Promise<void> {
    const state = this.#need();
    try {
      for (const backup of [...state.backups].reverse())
        await withRetry(
          () => this.#adapters.nodes.restore(backup.node, backup, { signal: this.#abort.signal }),
          this.#policy.retry,
          this.#clock,
          {
            signal: this.#abort.signal,
          },
        );
      await this.#transition('restored', `${state.backups.length} backup(s) restored`);
    } catch (error) {
      await this.#transition('restore-failed', describeError(error).message);
    }
  }
}

/** An abort controller whose signal may have many listeners (one per running step). */
function newController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** Expected instances on each node at the start of a wave, replaying the plan's migrations. */
function expectedPlacement(state: CampaignSnapshot, wave: number): Map<string, Set<string>> {
  const host = new Map(state.inventory.instances.map((i) => [i.name, i.host]));
  for (const w of state.plan.waves) {
    if (w.index >= wave) break;
    for (const m of w.migrations) host.set(m.instance, m.to);
  }
  const out = new Map<string, Set<string>>();
  for (const [instance, node] of host) {
    const set = out.get(node);
    if (set) set.add(instance);
    else out.set(node, new Set([instance]));
  }
  return out;
}

/** A short, stable description of an error for the journal. */
function describeError(error: unknown): { code: string; message: string } {
  if (EscalatorError.is(error)) {
    const reason = (error as { reason?: unknown }).reason;
    return {
      code: typeof reason === 'string' ? `${error.code}:${reason}` : error.code,
      message: error.message,
    };
  }
  if (error instanceof Error) return { code: 'ESC_INTERNAL', message: error.message };
  return { code: 'ESC_INTERNAL', message: String(error) };
}

/**
 * Creates an engine for one campaign.
 * @example
 * ```ts
 * const engine = createEngine({ adapters: { vim, nodes }, store: createFileStore({ directory: '.escalator' }),
 *   authorizer: createRoleAuthorizer(), clock: systemClock });
 * engine.on('step', (e) => console.log(e.step.id, e.to));
 * const outcome = await engine.start(operator, { inventory, campaign });
 * ```
 */
export function createEngine(options: EngineOptions): Engine {
  return new Engine(options);
}
