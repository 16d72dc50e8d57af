/**
 * The imperative shell around the engine core: it feeds inputs to `decide` one at a time, writes the
 * records it returns to the journal (write-ahead: nothing happens before its record is durable),
 * starts the effects (`run/perform.ts`), and feeds their outcomes back as observations. Each record is
 * announced as events and log lines once written (`run/announce.ts`).
 *
 * Writes are pipelined: the core takes a decision's records at once and the next input is decided
 * while they are being made durable; an effect starts, and a record is announced, only once its
 * records are. Appends go to the store in order, so a store that batches concurrent appends (the file
 * store does) syncs many decisions at a time: at 10,000 nodes, one sync per record was most of a
 * campaign's time.
 */
import { setMaxListeners } from 'node:events';
import type { EventEmitter } from 'eventemitter3';
import { ErrorCode, EscalatorError, ForbiddenError } from '../errors.js';
import type { AuthorizationDecision, Principal } from '../ports/authorizer.js';
import type { Clock } from '../ports/clock.js';
import type { Logger, LogLevel } from '../ports/logger.js';
import type { JournalEntry, StateStore } from '../ports/state-store.js';
import { COMMAND_ACTION, type Command } from './commands.js';
import { type DecideContext, type Decision, decide } from './core/decide.js';
import { describeError, type Effect, type Observation } from './core/effects.js';
import { type CoreState, createCore, evolve } from './core/state.js';
import type { EngineEvents } from './events.js';
import { applyRecord, type CampaignSnapshot, type JournalRecord, type NewRecord, replay } from './journal.js';
import { RESTING_STATES } from './machine.js';
import type { EnginePolicy } from './policy.js';
import { Announcer } from './run/announce.js';
import { DenialCounter } from './run/denials.js';
import type { RunEnv } from './run/env.js';
import { EffectPerformer } from './run/perform.js';
import { retryingAdapters } from './run/retrying-adapters.js';

/** What the runner is built with. */
export interface RunnerOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly policy: EnginePolicy;
  readonly logger: Logger | undefined;
  readonly env: Omit<RunEnv, 'log' | 'retried'>;
  readonly events: EventEmitter<EngineEvents>;
  /** Records after the last snapshot that make a wave boundary compact the journal; 0: never. */
  readonly compactEvery: number;
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
  #core: CoreState | undefined;
  /** Inputs are decided one at a time, in arrival order. */
  #mailbox: Promise<unknown> = Promise.resolve();
  readonly #controllers = new Map<string, AbortController>();
  /** Effects started and not yet settled (a revival waits for them). */
  readonly #settling = new Set<Promise<void>>();
  readonly #denials = new DenialCounter();
  readonly #performer: EffectPerformer;
  readonly #announcer: Announcer;
  #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  /** Set when the journal could not be written: the runner stops, nothing more is decided. */
  #dead: unknown;
  /** Resolves once every record given to the store so far is durable (and announced). */
  #durable: Promise<void> = Promise.resolve();
  /** Settles once every append given to the store so far has settled, whatever its outcome. */
  #issued: Promise<unknown> = Promise.resolve();
  /** After a failed write: settles once the core is back on what the journal holds. */
  #stopped: Promise<void> = Promise.resolve();
  /** The seq of the last snapshot taken (or read back at open). */
  #compactedAt = 0;
  /** A wave boundary passed: compact at the first record the core is not past. */
  #compactDue = false;

  constructor(options: RunnerOptions) {
    this.#o = options;
    const env: RunEnv = {
      ...options.env,
      retried: retryingAdapters(options.env.adapters, options.policy.retry, options.clock, (call, error, n) =>
        this.#log('warn', 'call.retry', `${call}: attempt ${n}: ${describeError(error).message}`),
      ),
      log: (...args) => this.#log(...args),
    };
    this.#performer = new EffectPerformer(env);
    this.#announcer = new Announcer(options.events, env.log);
  }

  get core(): CoreState | undefined {
    return this.#core;
  }

  /** Whether the campaign is being driven (effects may be in flight). */
  get active(): boolean {
    return this.#core?.active ?? false;
  }

  /** Takes a snapshot replayed from the journal (nothing in flight: a crash ended what ran). */
  load(snapshot: CampaignSnapshot, compactedAt = 0): void {
    this.#core = createCore(snapshot);
    this.#compactedAt = compactedAt;
  }

  /**
   * Replaces the journal up to `seq` with a snapshot, when enough records followed the last one and
   * the core is exactly at `seq` (pipelined writes may have taken it further: then at a later record).
   * The documents are shared, not copied (they never change in place: a replan replaces the plan);
   * what does change in place is copied now, since the store writes it later. A failed compaction
   * leaves the journal as it was.
   */
  #compact(core: CoreState, seq: number): void {
    const every = this.#o.compactEvery;
    const compact = this.#o.store.compact?.bind(this.#o.store);
    if (!compact || every <= 0 || seq - this.#compactedAt < every) {
      this.#compactDue = false;
      return;
    }
    if (core.snapshot.seq !== seq) return;
    this.#compactDue = false;
    const { inventory, campaign, plan, ...changing } = core.snapshot;
    const state: CampaignSnapshot = { ...structuredClone(changing), inventory, campaign, plan };
    this.#compactedAt = seq;
    compact(core.snapshot.id, { seq, type: 'snapshot', state } as unknown as JournalEntry).then(
      () => this.#log('info', 'journal.compacted', `records up to ${seq} replaced by a snapshot`),
      (error: unknown) =>
        this.#log(
          'warn',
          'journal.compact-failed',
          `the journal stays whole: ${describeError(error).message}`,
        ),
    );
  }

  /** Writes a new campaign's first records. */
  begin(records: readonly NewRecord[]): Promise<void> {
    return this.#serial(() => {
      this.#write(records);
      return this.#durable;
    });
  }

  /**
   * Decides a command and applies the decision; resolves once it is journaled and under way. A journal
   * that could not be written stopped the campaign: a command tries again once what ran has settled.
   */
  command(principal: Principal, command: Command, authorization: AuthorizationDecision): Promise<Accepted> {
    return this.#serial(async () => {
      const core = this.#need();
      if (!authorization.allowed && this.#denials.repeat(principal, command.type, this.#o.clock.now()))
        throw new ForbiddenError(principal.id, COMMAND_ACTION[command.type], authorization.reason);
      if (this.#dead !== undefined) await this.#revive();
      if (!authorization.allowed)
        this.#log(
          'warn',
          `auth.${command.type}`,
          `denied to ${principal.id}: ${authorization.reason}`,
          core.snapshot.id,
          ErrorCode.Forbidden,
        );
      const decision = decide(core, { type: 'command', command, principal, authorization }, this.#ctx());
      this.#apply(decision);
      // Accepted means journaled.
      await this.#durable;
      if (decision.refusal) throw decision.refusal;
      return { seq: core.snapshot.seq, state: core.snapshot.state };
    });
  }

  /** Writes what repeated denials were counted but not yet journaled (on close). */
  flush(): Promise<void> {
    return this.#serial(() => {
      this.#write(this.#denials.drain(this.#ctx().now));
      return this.#durable;
    });
  }

  /** Resolves when the campaign rests (or is not driven); rejects when the journal cannot be written. */
  whenResting(): Promise<void> {
    if (this.#dead !== undefined) {
      const dead = this.#dead;
      return this.#stopped.then(() => Promise.reject(dead));
    }
    if (!this.active) return this.#mailbox.then(() => this.#durable);
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
    const run = this.#mailbox.then(task);
    this.#mailbox = run.catch(() => undefined);
    return run;
  }

  /**
   * After a failed journal write: waits for the cancelled work to settle, then goes on from what the
   * journal holds (the core had taken records that never became durable).
   */
  async #revive(): Promise<void> {
    await Promise.all([...this.#settling]);
    await this.#stopped;
    await this.#reload();
    this.#durable = Promise.resolve();
    this.#dead = undefined;
    this.#log('info', 'engine.revived', 'trying the journal again');
  }

  /** Puts the core back on what the journal holds (nothing in flight), when the journal can be read. */
  async #reload(): Promise<void> {
    const id = this.#core?.snapshot.id;
    if (id === undefined) return;
    try {
      const entries = await this.#o.store.read(id);
      this.#core = createCore(replay(id, entries));
      this.#compactedAt = entries[0]?.type === 'snapshot' ? entries[0].seq : 0;
    } catch (error) {
      this.#log(
        'error',
        'engine.reload',
        `the journal cannot be read back: ${describeError(error).message}`,
        id,
      );
    }
  }

  /** Applies a decision, then asks the core what follows until it has nothing more to do. */
  #apply(first: Decision): void {
    const core = this.#need();
    let decision = first;
    this.#write(this.#denials.drain(this.#ctx().now));
    for (;;) {
      this.#write(decision.records);
      if (decision.cancel === 'all')
        for (const c of this.#controllers.values())
          c.abort(new EscalatorError(ErrorCode.Timeout, 'cancelled: the campaign was aborted'));
      if (decision.activate) {
        core.active = true;
        // Steps left running by a crash or a stop are found again (and probed) by a fresh schedule.
        core.schedule = undefined;
      }
      for (const effect of decision.effects) this.#start(effect, this.#durable);
      decision = decide(core, { type: 'advance' }, this.#ctx());
      if (decision.records.length === 0 && decision.effects.length === 0) break;
    }
    // At rest, timers that only waited to wake the core are of no use.
    if (RESTING_STATES.has(core.snapshot.state))
      for (const [key, effect] of core.inFlight)
        if (effect.type === 'wait') {
          this.#controllers.get(key)?.abort();
          this.#controllers.delete(key);
          core.inFlight.delete(key);
        }
    if (core.active && RESTING_STATES.has(core.snapshot.state) && core.inFlight.size === 0) {
      core.active = false;
      // Resting is told, to those waiting now, once the records that brought it are durable; a failed
      // write tells them once the core is back on the journal, as the stop does.
      const waiters = this.#waiters;
      this.#waiters = [];
      void this.#durable.then(
        () => {
          for (const w of waiters) w.resolve();
        },
        (error: unknown) =>
          this.#stopped.finally(() => {
            for (const w of waiters) w.reject(error);
          }),
      );
    }
  }

  /**
   * The journal cannot be written (a full disk, a lost volume): nothing may happen that it cannot
   * record, so the campaign stops as a crash would stop it — running work is cancelled and stays
   * `running` in the journal, to be probed when it goes on. The process, and other campaigns, live on.
   */
  #die(error: unknown): void {
    if (this.#dead !== undefined) return;
    this.#dead = error;
    if (this.#core) this.#core.active = false;
    for (const c of this.#controllers.values()) c.abort(error);
    // The core took records the journal refused: once every append given to the store has settled,
    // it goes back to what the journal holds, and only then is the stop told to those waiting.
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#stopped = this.#issued
      .then(() => this.#reload())
      .finally(() => {
        for (const w of waiters) w.reject(error);
      });
    const message = `the journal could not be written, the campaign stopped: ${describeError(error).message}`;
    this.#log('error', 'engine.stopped', message, undefined, 'journal-unwritable');
    // Announced, not journaled (the journal is what failed).
    this.#o.events.emit('alarm', {
      code: 'journal-unwritable',
      severity: 'critical',
      object: this.#core?.snapshot.id ?? '',
      message,
      at: new Date(this.#o.clock.now()).toISOString(),
    });
  }

  /** Why the campaign stopped when its journal could not be written, until a command revives it. */
  get stoppedBy(): unknown {
    return this.#dead;
  }

  /**
   * Numbers the records and applies them to the core at once; appends each durably, in order, and
   * announces it once it is. Appends are one record each, so that a crash keeps every record before it
   * whatever the store (a backup is journaled before the step that took it succeeds); a failed append
   * stops the campaign ({@link Runner.#die}).
   */
  #write(records: readonly NewRecord[]): void {
    for (const r of records) {
      const record = { ...r, seq: (this.#core?.snapshot.seq ?? 0) + 1 } as JournalRecord;
      const id = this.#core?.snapshot.id ?? (record.type === 'created' ? record.campaignId : '');
      if (this.#core) evolve(this.#core, record);
      else this.#core = createCore(applyRecord(undefined, record));
      const core = this.#core;
      const appended = this.#o.store.append(id, [record as unknown as JournalEntry]);
      this.#issued = Promise.allSettled([this.#issued, appended]);
      // Chained: announced in order, and a failure stops everything written after it too.
      this.#durable = this.#durable.then(
        () =>
          appended.then(() => {
            if (this.#dead !== undefined) return;
            this.#announcer.announce(core, record);
            if (record.type === 'wave' && record.event === 'verified') this.#compactDue = true;
            if (this.#compactDue) this.#compact(core, record.seq);
          }),
        (error: unknown) => {
          appended.catch(() => undefined);
          throw error;
        },
      );
      this.#durable.catch((error: unknown) => this.#die(error));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Effects

  /** Starts an effect once `durable` (its decision's records) resolves; never when it rejects. */
  #start(effect: Effect, durable: Promise<void>): void {
    const core = this.#need();
    if (effect.type === 'deliver-reply') {
      void durable.then(
        () => {
          this.#performer.deliver(effect.notice, effect.reply);
          this.#log('info', 'notify.maintenance-reply', effect.reply, effect.notice);
        },
        () => undefined,
      );
      return;
    }
    const key = effect.key;
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    this.#controllers.set(key, controller);
    core.inFlight.set(key, effect);
    let settled!: () => void;
    const settling = new Promise<void>((resolve) => {
      settled = resolve;
    });
    this.#settling.add(settling);
    const ended = durable
      .then(() => {
        controller.signal.throwIfAborted();
        return this.#performer.perform(core, effect, controller.signal, (o) => this.#observe(o));
      })
      .then(
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
        this.#settling.delete(settling);
        settled();
        // Stopped (the journal failed): what ended is found again from the journal when it goes on.
        if (this.#dead !== undefined) return;
        this.#apply(decide(core, { type: 'observation', observation }, this.#ctx()));
      }).catch(() => undefined),
    );
  }

  /** Tells the core something while an effect still runs (a step running long). */
  #observe(observation: Observation): void {
    void this.#serial(async () => {
      if (this.#dead !== undefined) return;
      const core = this.#need();
      this.#apply(decide(core, { type: 'observation', observation }, this.#ctx()));
    }).catch(() => undefined);
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
