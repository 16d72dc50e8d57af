/**
 * The imperative shell around the engine core: it feeds inputs to `decide` one at a time, writes the
 * records it returns to the journal (write-ahead: nothing happens before its record is durable),
 * starts the effects through the ports, and feeds their outcomes back as observations. It also turns
 * records into events and log lines, so that what is announced is exactly what was journaled.
 */
import { setMaxListeners } from 'node:events';
import type { EventEmitter } from 'eventemitter3';
import { ErrorCode, EscalatorError } from '../errors.js';
import type { AuthorizationDecision, Principal } from '../ports/authorizer.js';
import type { Clock } from '../ports/clock.js';
import type { Logger, LogLevel } from '../ports/logger.js';
import type { JournalEntry, StateStore } from '../ports/state-store.js';
import type { MaintenanceReply } from '../ports/vnf-manager.js';
import type { Command } from './commands.js';
import { type DecideContext, type Decision, decide } from './core/decide.js';
import { describeError, type Effect, type Observation } from './core/effects.js';
import { type CoreState, createCore, evolve } from './core/state.js';
import type { EngineEvents } from './events.js';
import { applyRecord, type CampaignSnapshot, type JournalRecord, type NewRecord } from './journal.js';
import { RESTING_STATES } from './machine.js';
import type { EnginePolicy } from './policy.js';
import { runPrechecks } from './prechecks.js';
import { progressOf } from './status.js';
import { backUp, restoreAll } from './run/backups.js';
import { checkDrift, verifyCampaign, verifyWave } from './run/checks.js';
import { type RunEnv, retrying } from './run/env.js';
import { prepareStep, probeStep, runStep, undoStep } from './run/step.js';
import type { StepContext } from './steps/index.js';

/** What the runner is built with. */
export interface RunnerOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly policy: EnginePolicy;
  readonly logger: Logger | undefined;
  readonly env: Omit<RunEnv, 'log'>;
  readonly events: EventEmitter<EngineEvents>;
}

/** Where a command left the campaign once accepted. */
export interface Accepted {
  /** The journal's last sequence number after the command's records. */
  readonly seq: number;
  readonly state: CampaignSnapshot['state'];
}

/** Drives one campaign. Owned by an {@link Engine}; not part of the public API. */
export class Runner {
  readonly #o: RunnerOptions;
  readonly #env: RunEnv;
  #core: CoreState | undefined;
  /** Inputs are decided one at a time, in arrival order. */
  #mailbox: Promise<unknown> = Promise.resolve();
  readonly #controllers = new Map<string, AbortController>();
  readonly #replies = new Map<string, (reply: MaintenanceReply) => void>();
  #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  /** Set when the journal could not be written: the runner stops, nothing more is decided. */
  #dead: unknown;
  #progressTick = 0;

  constructor(options: RunnerOptions) {
    this.#o = options;
    this.#env = { ...options.env, log: (...args) => this.#log(...args) };
  }

  get core(): CoreState | undefined {
    return this.#core;
  }

  /** Whether the campaign is being driven (effects may be in flight). */
  get active(): boolean {
    return this.#core?.active ?? false;
  }

  /** Takes a snapshot replayed from the journal (nothing in flight: a crash ended what ran). */
  load(snapshot: CampaignSnapshot): void {
    this.#core = createCore(snapshot);
  }

  /** Writes a new campaign's first records. */
  begin(records: readonly NewRecord[]): Promise<void> {
    return this.#serial(() => this.#write(records));
  }

  /** Decides a command and applies the decision; resolves once it is journaled and under way. */
  command(principal: Principal, command: Command, authorization: AuthorizationDecision): Promise<Accepted> {
    return this.#serial(async () => {
      const core = this.#need();
      if (!authorization.allowed)
        this.#log(
          'warn',
          `auth.${command.type}`,
          `denied to ${principal.id}: ${authorization.reason}`,
          core.snapshot.id,
          ErrorCode.Forbidden,
        );
      const decision = decide(core, { type: 'command', command, principal, authorization }, this.#ctx());
      await this.#apply(decision);
      if (decision.refusal) throw decision.refusal;
      return { seq: core.snapshot.seq, state: core.snapshot.state };
    });
  }

  /** Resolves when the campaign rests (or is not driven); rejects when the journal cannot be written. */
  whenResting(): Promise<void> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    if (!this.active) return this.#mailbox.then(() => undefined);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  // -------------------------------------------------------------------------------------------
  // Deciding and applying

  #ctx(): DecideContext {
    return {
      now: new Date(this.#o.clock.now()).toISOString(),
      policy: this.#o.policy,
      canRefresh: this.#o.env.refreshInventory !== undefined,
    };
  }

  #need(): CoreState {
    if (!this.#core)
      throw new EscalatorError(ErrorCode.InvalidOption, 'no campaign: call create() or open() first');
    return this.#core;
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#mailbox.then(() => {
      if (this.#dead !== undefined) throw this.#dead;
      return task();
    });
    this.#mailbox = run.catch(() => undefined);
    return run;
  }

  /** Applies a decision, then asks the core what follows until it has nothing more to do. */
  async #apply(first: Decision): Promise<void> {
    const core = this.#need();
    let decision = first;
    try {
      for (;;) {
        await this.#write(decision.records);
        if (decision.cancel === 'all')
          for (const c of this.#controllers.values())
            c.abort(new EscalatorError(ErrorCode.Timeout, 'cancelled: the campaign was aborted'));
        if (decision.activate) core.active = true;
        for (const effect of decision.effects) this.#start(effect);
        decision = decide(core, { type: 'advance' }, this.#ctx());
        if (decision.records.length === 0 && decision.effects.length === 0) break;
      }
    } catch (error) {
      this.#die(error);
      throw error;
    }
    if (core.active && RESTING_STATES.has(core.snapshot.state) && core.inFlight.size === 0) {
      core.active = false;
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w.resolve();
    }
  }

  /** The journal cannot be written: stop everything, tell whoever waits. */
  #die(error: unknown): void {
    if (this.#dead !== undefined) return;
    this.#dead = error;
    if (this.#core) this.#core.active = false;
    for (const c of this.#controllers.values()) c.abort(error);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(error);
    this.#log('error', 'engine.stopped', `the journal could not be written: ${describeError(error).message}`);
  }

  /**
   * Numbers each record, appends it durably, then applies and announces it — one at a time, so that a
   * crash keeps every record before it (a backup is journaled before the step that took it succeeds).
   */
  async #write(records: readonly NewRecord[]): Promise<void> {
    for (const r of records) {
      const record = { ...r, seq: (this.#core?.snapshot.seq ?? 0) + 1 } as JournalRecord;
      const id = this.#core?.snapshot.id ?? (record.type === 'created' ? record.campaignId : '');
      await this.#o.store.append(id, [record as unknown as JournalEntry]);
      if (this.#core) evolve(this.#core, record);
      else this.#core = createCore(applyRecord(undefined, record));
      this.#announce(record);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Effects

  #start(effect: Effect): void {
    const core = this.#need();
    if (effect.type === 'deliver-reply') {
      this.#replies.get(effect.notice)?.(effect.reply);
      this.#log('info', 'notify.maintenance-reply', effect.reply, effect.notice);
      return;
    }
    const key = effect.key;
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    this.#controllers.set(key, controller);
    core.inFlight.set(key, effect);
    const ended = this.#perform(effect, controller.signal).then(
      (observation): Observation => observation ?? { type: 'effect-cancelled', key },
      (error: unknown): Observation =>
        controller.signal.aborted
          ? { type: 'effect-cancelled', key }
          : { type: 'effect-failed', key, error: describeError(error) },
    );
    void ended.then((observation) =>
      this.#serial(async () => {
        this.#controllers.delete(key);
        core.inFlight.delete(key);
        await this.#apply(decide(core, { type: 'observation', observation }, this.#ctx()));
      }).catch(() => undefined),
    );
  }

  /** Tells the core something while an effect still runs (a step running long). */
  #observe(observation: Observation): void {
    void this.#serial(async () => {
      const core = this.#need();
      await this.#apply(decide(core, { type: 'observation', observation }, this.#ctx()));
    }).catch(() => undefined);
  }

  async #perform(effect: Effect, signal: AbortSignal): Promise<Observation | undefined> {
    const core = this.#need();
    const env = this.#env;
    const state = core.snapshot;
    const catalog = core.index.catalog;
    switch (effect.type) {
      case 'precheck': {
        const report = await runPrechecks(env.adapters, state.inventory, state.plan, catalog, signal, (fn) =>
          retrying(env, signal, fn),
        );
        return { type: 'prechecked', report };
      }
      case 'backup':
        return { type: 'backed-up', label: effect.label, backup: await backUp(env, effect, signal) };
      case 'check-drift': {
        const wave = waveOf(core, effect.wave);
        const problems = await retrying(env, signal, () => checkDrift(env, core.snapshot, wave, signal));
        return { type: 'drift-checked', wave: effect.wave, problems };
      }
      case 'refresh-inventory': {
        const refresh = env.refreshInventory;
        if (!refresh) throw new EscalatorError(ErrorCode.InvalidOption, 'no refreshInventory to re-plan with');
        const inventory = await refresh(state.inventory, signal);
        return { type: 'inventory-refreshed', wave: effect.wave, inventory, reason: effect.reason };
      }
      case 'prepare-step':
        return prepareStep(this.#stepContext(signal), effect);
      case 'probe-step':
        return probeStep(this.#stepContext(signal), effect);
      case 'run-step':
        return runStep(env, (s) => this.#stepContext(s), effect, signal, () =>
          this.#observe({
            type: 'step-hang',
            step: effect.step.id,
            expectedSeconds: effect.step.expectedSeconds,
            factor: this.#o.policy.hangFactor,
          }),
        );
      case 'verify-wave': {
        const problems = await verifyWave(env, state, catalog, waveOf(core, effect.wave), signal);
        return { type: 'wave-verified', wave: effect.wave, problems };
      }
      case 'verify-campaign':
        return { type: 'campaign-verified', problems: await verifyCampaign(env, state, catalog, signal) };
      case 'undo-step':
        return undoStep(env, this.#stepContext(signal), effect, signal);
      case 'restore':
        return { type: 'restored', count: await restoreAll(env, state, signal) };
      case 'deliver-reply':
        return undefined;
    }
  }

  #stepContext(signal: AbortSignal): StepContext {
    const core = this.#need();
    const state = core.snapshot;
    return {
      campaignId: state.id,
      adapters: this.#env.adapters,
      inventory: state.inventory,
      catalog: core.index.catalog,
      clock: this.#o.clock,
      pollMs: this.#o.policy.pollSeconds * 1000,
      signal,
      backups: state.backups,
      awaitReply: (notice, s) =>
        new Promise<MaintenanceReply>((resolve, reject) => {
          this.#replies.set(notice, resolve);
          s.addEventListener(
            'abort',
            () => {
              this.#replies.delete(notice);
              reject(s.reason);
            },
            { once: true },
          );
        }),
    };
  }

  // -------------------------------------------------------------------------------------------
  // Announcing

  /** Events and log lines of a record, after it was written. */
  #announce(record: JournalRecord): void {
    const events = this.#o.events;
    const campaign = this.#core?.snapshot.id;
    switch (record.type) {
      case 'campaign':
        this.#log(
          record.to === 'failed' ? 'error' : 'info',
          'campaign.transition',
          `${record.from} → ${record.to}${record.reason ? `: ${record.reason}` : ''}`,
        );
        events.emit('transition', { from: record.from, to: record.to, event: record.event, reason: record.reason });
        break;
      case 'step': {
        const entry = this.#core?.index.steps.get(record.step);
        this.#log(
          record.error ? 'warn' : 'info',
          `step.${record.event}`,
          record.error ? record.error.message : `${record.from} → ${record.to}`,
          record.step,
          record.error?.code,
        );
        if (entry)
          events.emit('step', {
            step: entry.step,
            wave: entry.wave,
            from: record.from,
            to: record.to,
            error: record.error,
          });
        if (record.to === 'succeeded' || record.to === 'skipped') this.#progress();
        break;
      }
      case 'alarm': {
        const { alarm } = record;
        const severe = alarm.severity === 'critical' || alarm.severity === 'major';
        this.#log(severe ? 'error' : 'warn', 'alarm', alarm.message, alarm.object, alarm.code);
        events.emit('alarm', alarm);
        break;
      }
      case 'wave':
        events.emit('wave', { wave: record.wave, event: record.event });
        break;
      case 'request':
        this.#log('info', `request.${record.request}`, record.reason ?? record.steps?.join(', ') ?? '', campaign);
        break;
      default:
        break;
    }
    events.emit('record', record);
  }

  /**
   * Progress is worked out from every step, so it is sent about 200 times per plan rather than at
   * every step (a plan for 1,000 nodes has some 20,000 steps), and always at the last one.
   */
  #progress(): void {
    const core = this.#need();
    const total = core.index.steps.size;
    this.#progressTick++;
    if (this.#progressTick % Math.max(1, Math.floor(total / 200)) !== 0 && this.#progressTick < total) return;
    if (this.#o.events.listenerCount('progress') > 0) this.#o.events.emit('progress', progressOf(core.snapshot));
  }

  #log(level: LogLevel, action: string, message: string, object?: string, code?: string): void {
    this.#o.logger?.log({
      time: new Date(this.#o.clock.now()).toISOString(),
      level,
      campaign: this.#core?.snapshot.id,
      object,
      action,
      code,
      message,
    });
  }
}

function waveOf(core: CoreState, index: number) {
  const wave = core.snapshot.plan.waves.find((w) => w.index === index);
  if (!wave) throw new EscalatorError(ErrorCode.InvalidOption, `the plan has no wave ${index}`);
  return wave;
}
