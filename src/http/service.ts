/**
 * The campaign service: many campaigns by id, one {@link Engine} each, behind one object that a REST
 * API (or any host) calls with the principal that asks. It validates and plans new campaigns, runs them
 * in the background, serialises the mutating requests of each campaign, keeps each journal in memory for
 * paging and event streams, and on startup opens every campaign its store holds.
 * @module
 */
import { setMaxListeners } from 'node:events';
import { verifyPlan } from '../checker/verify-plan.js';
import { systemClock } from '../clock/system-clock.js';
import type { Command, Notification } from '../engine/commands.js';
import { createEngine, type Engine } from '../engine/engine.js';
import type { Alarm, JournalRecord } from '../engine/journal.js';
import type { EnginePolicyInput } from '../engine/policy.js';
import type { CampaignStatus } from '../engine/status.js';
import { type DocumentIssue, ErrorCode, EscalatorError, ForbiddenError, formatPath } from '../errors.js';
import { checkCampaign, checkCampaignAgainstInventory, checkInventory } from '../loader/integrity.js';
import { fromZodIssues } from '../loader/zod-issues.js';
import { redact, redactString } from '../logging/redact.js';
import type { Inventory } from '../model/inventory.js';
import type { Plan } from '../model/plan.js';
import { createPlan } from '../planner/create-plan.js';
import type { Action, AuthorizationDecision, Authorizer, Principal } from '../ports/authorizer.js';
import type { Clock } from '../ports/clock.js';
import type { Logger, LogLevel } from '../ports/logger.js';
import type { StateStore } from '../ports/state-store.js';
import { CAMPAIGN_ID_PATTERN } from '../stores/journal-format.js';
import { type BackendFactory, type CampaignBackend, createSimulatorBackend } from './backend.js';
import { campaignNotFound, HttpErrorCode, type RequestIssue, ServiceError } from './problem.js';
import {
  type ActionResult,
  CAMPAIGN_ACTIONS,
  type CampaignAction,
  type CampaignSummary,
  CreateCampaignRequestSchema,
  type Health,
  NotificationSchema,
} from './schemas.js';

/** Options of {@link createCampaignService}. */
export interface CampaignServiceOptions {
  /**
   * Makes the adapters of each campaign from its inventory.
   * @defaultValue {@link createSimulatorBackend}`()`: a fresh simulated cloud per campaign on `clock`
   */
  readonly adapters?: BackendFactory | undefined;
  /** Where the journals live; every campaign it holds is opened at startup. */
  readonly store: StateStore;
  /** Decides who may do what; every request goes through it (reads as `read`). */
  readonly authorizer: Authorizer;
  /**
   * The clock of every campaign (one clock shared by all).
   * @defaultValue {@link systemClock}
   * @example `createVirtualClock({ autoAdvance: true, speed: 60 })` for a simulated cloud a person can watch
   */
  readonly clock?: Clock | undefined;
  /** @defaultValue a logger that drops everything */
  readonly logger?: Logger | undefined;
  /** The engines' policies. @defaultValue the engine's defaults */
  readonly policy?: EnginePolicyInput | undefined;
  /** Names the service in the store's locks. @defaultValue `escalator-service-<pid>` */
  readonly owner?: string | undefined;
  /**
   * Who the service is when it acts on its own: pausing the running campaigns when it shuts down.
   * @defaultValue `{ id: 'escalator-service', roles: ['admin'], via: 'local' }`
   */
  readonly servicePrincipal?: Principal | undefined;
}

/** A campaign's status table with where it stands (on the wire: `CampaignStatusSchema`). */
export type CampaignStatusView = CampaignStatus & CampaignSummary;

/** A page of a campaign's journal. */
export interface JournalPage {
  readonly records: readonly JournalRecord[];
  /** The last sequence number of the journal when the page was read. */
  readonly lastSeq: number;
  /** Whether records follow the page. */
  readonly more: boolean;
}

/** A campaign the store holds but the service could not open. */
export interface UnavailableCampaign {
  readonly id: string;
  readonly code: string;
  readonly message: string;
}

/** What {@link CampaignService.close} did. */
export interface ShutdownReport {
  /** Campaigns that were running and were paused at a safe point. */
  readonly paused: readonly string[];
  /** Campaigns still running when the time was up (their journal is consistent; steps may be mid-way). */
  readonly stillRunning: readonly string[];
}

/** Manages campaigns by id. Every method takes the principal that asks; see {@link createCampaignService}. */
export interface CampaignService {
  /** Resolves once the campaigns found in the store are opened. */
  ready(): Promise<void>;
  /** The service's own health. */
  health(): Health;
  /** Whether {@link CampaignService.close} was called. */
  readonly closing: boolean;
  /** Aborted when {@link CampaignService.close} is called: long-lived work (event streams) ends then. */
  readonly signal: AbortSignal;
  /**
   * Checks, before a request's body is read, that `principal` may perform `action` on campaign `id`
   * (`'*'` for `create`: the id is in the body, and {@link CampaignService.create} checks it again). A
   * host calls it first so that who may not act costs it no memory: the body of a refused request is
   * never read.
   *
   * A refused command on an existing campaign is handed to its engine without its body, so that the
   * refusal is in the campaign's audit trail as before; the engine's answer is final, so in the rare
   * case that the authorizer changed its answer in between, the command is performed (without a
   * reason) and its result returned. Otherwise resolves to `undefined`: the request may go on.
   * @throws `ForbiddenError`; a `ServiceError` 404 (no such campaign) or 503 (shutting down, faulted).
   */
  admit(principal: Principal, action: Action, id: string): Promise<ActionResult | undefined>;
  /**
   * Validates `{ id?, inventory, campaign, plan? }`, plans (unless a plan is given), checks the plan and
   * writes the campaign's first journal record. The campaign waits in `created` for `start`.
   */
  create(principal: Principal, body: unknown): Promise<CampaignSummary>;
  list(principal: Principal): Promise<{
    readonly campaigns: readonly CampaignSummary[];
    readonly unavailable: readonly UnavailableCampaign[];
  }>;
  status(principal: Principal, id: string): Promise<CampaignStatusView>;
  plan(principal: Principal, id: string): Promise<Plan>;
  alarms(principal: Principal, id: string): Promise<readonly Alarm[]>;
  journal(
    principal: Principal,
    id: string,
    page?: { readonly after?: number | undefined; readonly limit?: number | undefined },
  ): Promise<JournalPage>;
  /**
   * Performs an action. Resolves once the engine accepted it (authorized, allowed in the current
   * state) — runs go on in the background. Rejects with `ForbiddenError`, `IllegalTransitionError`...
   */
  act(
    principal: Principal,
    id: string,
    action: CampaignAction,
    /** `reason` for pause, abort, rollback and skip; `step`, the step `skip` gives up on. */
    options?: { readonly reason?: string | undefined; readonly step?: string | undefined },
  ): Promise<ActionResult>;
  /** Validates a notification and hands it to the campaign's engine. Resolves to the journal's last seq. */
  notify(principal: Principal, id: string, body: unknown): Promise<number>;
  /**
   * Calls `listener` with every record after `after` — those already written first, then each new one
   * as it is written — with no gap and no duplicate. Returns the function that stops it.
   */
  subscribe(
    principal: Principal,
    id: string,
    after: number,
    listener: (record: JournalRecord) => void,
  ): Promise<() => void>;
  /**
   * Stops taking requests, pauses the running campaigns (running steps finish and are journaled, no new
   * step starts), waits for them to rest for at most `timeoutMs`, then releases the engines.
   */
  close(options?: { readonly timeoutMs?: number | undefined }): Promise<ShutdownReport>;
}

/** One campaign the service holds. */
interface Entry {
  readonly id: string;
  readonly engine: Engine;
  readonly backend: CampaignBackend;
  /** The journal, as stored: the store's records at open, then each record the engine writes. */
  readonly log: JournalRecord[];
  readonly listeners: Set<(record: JournalRecord) => void>;
  /** Settles when the campaign rests, while it runs: for the service's log and shutdown. */
  run: Promise<void> | undefined;
  /** Set once its engine stopped on an error: the campaign is read-only until the service restarts. */
  fault: Fault | undefined;
}

/** Why a campaign's engine stopped; see `CampaignSummarySchema.fault`. */
interface Fault {
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

const DEFAULT_SERVICE_PRINCIPAL: Principal = Object.freeze({
  id: 'escalator-service',
  roles: Object.freeze(['admin']),
  via: 'local',
});

/**
 * Creates a {@link CampaignService}. It starts opening the store's campaigns at once; `ready()` tells
 * when that is done (every method waits for it).
 *
 * @example
 * ```ts
 * const service = createCampaignService({
 *   store: createFileStore({ directory: '/var/lib/escalator' }),
 *   authorizer: createRoleAuthorizer(),
 *   adapters: (inventory) => ({ vim, nodes }),
 * });
 * const created = await service.create(operator, { inventory, campaign });
 * await service.act(operator, created.id, 'start');
 * ```
 */
export function createCampaignService(options: CampaignServiceOptions): CampaignService {
  if (!options?.store)
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'store is required: pass createMemoryStore() or createFileStore({ directory })',
    );
  if (!options.authorizer)
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'authorizer is required: pass createRoleAuthorizer() or your own',
    );
  if (options.adapters !== undefined && typeof options.adapters !== 'function')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'adapters must be a function (inventory, context) => adapters, e.g. createSimulatorBackend()',
    );
  return new Service(options);
}

class Service implements CampaignService {
  readonly #store: StateStore;
  readonly #authorizer: Authorizer;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #policy: EnginePolicyInput | undefined;
  readonly #owner: string;
  readonly #backends: BackendFactory;
  readonly #servicePrincipal: Principal;
  readonly #entries = new Map<string, Entry>();
  readonly #unavailable = new Map<string, UnavailableCampaign>();
  /** Ids being created: a second create of the same id is a conflict. */
  readonly #creating = new Set<string>();
  /**
   * Redacted copies of the large documents readers ask for again and again (a plan, a status table),
   * by the engine's object: the engine keeps one object until it changes.
   */
  readonly #shownCopies = new WeakMap<object, object>();
  readonly #started = performance.now();
  readonly #loaded: Promise<void>;
  #isLoaded = false;
  #listFailed = false;
  #closing = false;
  readonly #closer = new AbortController();

  constructor(options: CampaignServiceOptions) {
    this.#store = options.store;
    this.#authorizer = options.authorizer;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    this.#policy = options.policy;
    this.#owner = options.owner ?? `escalator-service-${process.pid}`;
    this.#backends = options.adapters ?? createSimulatorBackend();
    this.#servicePrincipal = options.servicePrincipal ?? DEFAULT_SERVICE_PRINCIPAL;
    setMaxListeners(0, this.#closer.signal); // one listener per open event stream
    this.#loaded = this.#load();
  }

  get closing(): boolean {
    return this.#closing;
  }

  get signal(): AbortSignal {
    return this.#closer.signal;
  }

  ready(): Promise<void> {
    return this.#loaded;
  }

  health(): Health {
    let running = 0;
    let faulted = 0;
    for (const entry of this.#entries.values()) {
      if (entry.fault) faulted++;
      else if (entry.engine.running) running++;
    }
    return {
      status: this.#closing
        ? 'stopping'
        : !this.#isLoaded
          ? 'starting'
          : this.#unavailable.size > 0 || this.#listFailed || faulted > 0
            ? 'degraded'
            : 'ok',
      uptimeSeconds: Math.round((performance.now() - this.#started) / 1000),
      campaigns: { total: this.#entries.size, running, unavailable: this.#unavailable.size, faulted },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Startup

  async #load(): Promise<void> {
    let ids: readonly string[] = [];
    try {
      ids = await this.#store.list();
    } catch (error) {
      // The service still serves (new campaigns; an id already stored is refused when created).
      this.#listFailed = true;
      this.#log('error', 'service.load', `cannot list the store's campaigns: ${messageOf(error)}`);
    }
    for (const id of ids) {
      try {
        await this.#open(id);
        const entry = this.#entries.get(id);
        this.#log('info', 'service.open', `opened in state ${entry?.engine.snapshot().state}`, id);
      } catch (error) {
        const code = EscalatorError.is(error) ? error.code : HttpErrorCode.Internal;
        this.#unavailable.set(id, { id, code, message: messageOf(error) });
        this.#log('error', 'service.open', `cannot open: ${messageOf(error)}`, id, code);
      }
    }
    this.#isLoaded = true;
  }

  /** Opens a campaign from its journal (taking its lock) and starts following its records. */
  async #open(id: string): Promise<Entry> {
    const entries = (await this.#store.read(id)) as unknown as readonly JournalRecord[];
    const origin = originOf(entries);
    if (!origin) throw new EscalatorError(ErrorCode.JournalCorrupt, `campaign "${id}" has an empty journal`);
    const entry = await this.#entryFor(id, origin.inventory, origin.createdAt);
    try {
      await entry.engine.open(id);
    } catch (error) {
      await entry.backend.close?.();
      throw error;
    }
    // Nothing is written between open and here: the engine holds the lock and does not run yet.
    for (const record of (await entry.engine.journal()) as unknown as JournalRecord[])
      entry.log.push(shown(record));
    this.#entries.set(id, entry);
    return entry;
  }

  /** An engine for a campaign on its backend, its records followed into the in-memory log. */
  async #entryFor(id: string, inventory: Inventory, createdAt: number): Promise<Entry> {
    const backend = await this.#backend(inventory, id, createdAt);
    const engine = createEngine({
      adapters: backend.adapters,
      store: this.#store,
      authorizer: this.#authorizer,
      clock: this.#clock,
      logger: this.#logger,
      policy: this.#policy,
      owner: this.#owner,
      refreshInventory: backend.refreshInventory,
    });
    const entry: Entry = {
      id,
      engine,
      backend,
      log: [],
      listeners: new Set(),
      run: undefined,
      fault: undefined,
    };
    engine.subscribe((written) => {
      // Kept and sent redacted: every reader (any role, admin too) sees the same record without secrets.
      const record = shown(written);
      entry.log.push(record);
      for (const listener of entry.listeners) {
        try {
          listener(record);
        } catch (error) {
          this.#log('error', 'service.listener', messageOf(error), id);
        }
      }
    });
    return entry;
  }

  async #backend(inventory: Inventory, id: string, createdAt: number): Promise<CampaignBackend> {
    const made = await this.#backends(inventory, { id, clock: this.#clock, createdAt });
    if (made && typeof made === 'object' && 'adapters' in made) return made;
    return { adapters: made };
  }

  // -------------------------------------------------------------------------------------------
  // Admitting

  async admit(principal: Principal, action: Action, id: string): Promise<ActionResult | undefined> {
    await this.#loaded;
    this.#assertOpen();
    if (action === 'create') {
      await this.#authorize(principal, 'create', id);
      return undefined;
    }
    const entry = this.#entry(id);
    const decision = await this.#authorizer.authorize(principal, action, id);
    if (decision.allowed) {
      this.#assertHealthy(entry);
      return undefined;
    }
    // The campaign actions are commands of the same name that need no body (a reason is optional).
    const command = (CAMPAIGN_ACTIONS as readonly Action[]).includes(action)
      ? (action as CampaignAction)
      : undefined;
    if (command === undefined || entry.fault) throw new ForbiddenError(principal.id, action, decision.reason);
    // The engine journals the refusal (and throws it) before it looks at a skip's step; its answer is
    // the one that counts.
    const accepted = await this.#send(
      entry,
      principal,
      command === 'skip' ? { type: 'skip', step: '' } : ({ type: command } as Command),
    );
    this.#log('info', `service.${command}`, `${command} by ${principal.id}`, id);
    return { ...this.#summary(entry), action: command, seq: accepted.seq };
  }

  // -------------------------------------------------------------------------------------------
  // Creating

  async create(principal: Principal, body: unknown): Promise<CampaignSummary> {
    await this.#loaded;
    this.#assertOpen();
    // Authorized before the body is examined: who may not create learns nothing about the documents.
    await this.#authorize(principal, 'create', looseId(body));
    const parsed = CreateCampaignRequestSchema.safeParse(body, { reportInput: true });
    if (!parsed.success)
      throw invalidBody(
        ErrorCode.InvalidDocument,
        fromZodIssues(parsed.error.issues, CreateCampaignRequestSchema),
      );
    const { inventory, campaign } = parsed.data;
    const id = parsed.data.id ?? campaign.metadata.name;
    if (parsed.data.id === undefined && !CAMPAIGN_ID_PATTERN.test(id))
      throw invalidBody(ErrorCode.InvalidDocument, [
        {
          code: 'schema',
          path: ['campaign', 'metadata', 'name'],
          message: `"${id}" cannot be a campaign id (letters, digits, ".", "_" or "-", up to 128): pass an "id"`,
        },
      ]);
    if (id !== looseId(body)) await this.#authorize(principal, 'create', id);
    const issues = [
      ...prefixed('inventory', checkInventory(inventory)),
      ...prefixed('campaign', checkCampaign(campaign)),
      ...prefixed('campaign', checkCampaignAgainstInventory(campaign, inventory)),
    ];
    if (issues.length > 0) throw invalidBody(ErrorCode.InvalidDocument, issues);
    if (this.#entries.has(id) || this.#creating.has(id) || this.#unavailable.has(id))
      throw new ServiceError(
        409,
        HttpErrorCode.Conflict,
        `campaign "${id}" already exists: choose another id`,
      );
    this.#creating.add(id);
    try {
      const plan = parsed.data.plan ?? createPlan(inventory, campaign);
      const verdict = verifyPlan(inventory, campaign, plan);
      if (!verdict.ok)
        throw new ServiceError(
          422,
          HttpErrorCode.InvalidPlan,
          parsed.data.plan
            ? `the plan breaks ${verdict.violations.length} rule(s) for these documents: see errors`
            : `the planner's plan breaks ${verdict.violations.length} rule(s) (please report this); pass a plan`,
          {
            errors: verdict.violations.slice(0, 100).map((v) => ({
              path: v.wave === undefined ? 'plan' : `plan.waves[${v.wave}]`,
              message: v.message,
              code: v.code,
            })),
          },
        );
      const entry = await this.#entryFor(id, inventory, this.#clock.now());
      try {
        await entry.engine.create(principal, { id, inventory, campaign, plan });
      } catch (error) {
        await entry.backend.close?.();
        // Another process created it first: the journal the engine found says so.
        if (EscalatorError.is(error) && error.code === ErrorCode.InvalidOption)
          throw new ServiceError(
            409,
            HttpErrorCode.Conflict,
            `campaign "${id}" already exists: choose another id`,
          );
        throw error;
      }
      this.#entries.set(id, entry);
      this.#log('info', 'service.create', `created by ${principal.id}: ${plan.waves.length} waves`, id);
      return this.#summary(entry);
    } finally {
      this.#creating.delete(id);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  async list(principal: Principal): ReturnType<CampaignService['list']> {
    await this.#loaded;
    const campaigns: CampaignSummary[] = [];
    for (const entry of [...this.#entries.values()].sort((a, b) => a.id.localeCompare(b.id))) {
      const decision = await this.#authorizer.authorize(principal, 'read', entry.id);
      if (decision.allowed) campaigns.push(this.#summary(entry));
    }
    const unavailable: UnavailableCampaign[] = [];
    for (const item of this.#unavailable.values())
      if ((await this.#authorizer.authorize(principal, 'read', item.id)).allowed) unavailable.push(item);
    return { campaigns, unavailable };
  }

  async status(principal: Principal, id: string): Promise<CampaignStatusView> {
    const entry = await this.#readable(principal, id);
    const status = this.#shown(entry.engine.status());
    return { ...status, ...this.#summary(entry) };
  }

  async plan(principal: Principal, id: string): Promise<Plan> {
    return this.#shown((await this.#readable(principal, id)).engine.snapshot().plan);
  }

  async alarms(principal: Principal, id: string): Promise<readonly Alarm[]> {
    return redactDocument((await this.#readable(principal, id)).engine.snapshot().alarms);
  }

  async journal(
    principal: Principal,
    id: string,
    page: { readonly after?: number | undefined; readonly limit?: number | undefined } = {},
  ): Promise<JournalPage> {
    const entry = await this.#readable(principal, id);
    const after = page.after ?? 0;
    const limit = page.limit ?? 100;
    const start = indexAfter(entry.log, after);
    const records = entry.log.slice(start, start + limit);
    return {
      records,
      lastSeq: entry.log.at(-1)?.seq ?? 0,
      more: start + limit < entry.log.length,
    };
  }

  async subscribe(
    principal: Principal,
    id: string,
    after: number,
    listener: (record: JournalRecord) => void,
  ): Promise<() => void> {
    const entry = await this.#readable(principal, id);
    // From here to the end, synchronous: no record can be written between the replay and the listening.
    const missed = entry.log.slice(indexAfter(entry.log, after));
    entry.listeners.add(listener);
    for (const record of missed) listener(record);
    return () => {
      entry.listeners.delete(listener);
    };
  }

  // -------------------------------------------------------------------------------------------
  // Acting

  async act(
    principal: Principal,
    id: string,
    action: CampaignAction,
    options: { readonly reason?: string | undefined; readonly step?: string | undefined } = {},
  ): Promise<ActionResult> {
    await this.#loaded;
    const entry = this.#entry(id);
    this.#assertOpen();
    this.#assertHealthy(entry);
    const command: Command =
      action === 'skip'
        ? { type: 'skip', step: options.step ?? '', reason: options.reason }
        : action === 'pause' || action === 'abort' || action === 'rollback'
          ? { type: action, reason: options.reason }
          : { type: action };
    // Resolves once the engine accepted it (journaled, under way) or refused it: no guessing here.
    await this.#send(entry, principal, command);
    this.#log('info', `service.${action}`, `${action} by ${principal.id}`, id);
    return { ...this.#summary(entry), action };
  }

  /**
   * Sends a command to a campaign's engine. A refusal is the engine's answer; any other error means the
   * engine stopped (its journal could not be written): the campaign is marked faulted and the request
   * gets a 503 that says so, while the service and the other campaigns go on.
   */
  async #send(entry: Entry, principal: Principal, command: Command) {
    let accepted: Awaited<ReturnType<Engine['send']>>;
    try {
      accepted = await entry.engine.send(principal, command);
    } catch (error) {
      if (isRefusal(error)) throw error;
      this.#runFailed(entry, error);
      throw faultedError(entry);
    }
    this.#track(entry);
    return accepted;
  }

  /** Follows a running campaign in the background until it rests, for the log and for shutdown. */
  #track(entry: Entry): void {
    if (entry.run || !entry.engine.running) return;
    const run: Promise<void> = entry.engine.whenResting().then(
      (result) => {
        this.#log(
          result.state === 'failed' ? 'warn' : 'info',
          'service.rest',
          `rests in ${result.state}${result.reason ? `: ${result.reason}` : ''}`,
          entry.id,
        );
      },
      (error: unknown) => this.#runFailed(entry, error),
    );
    entry.run = run;
    void run.finally(() => {
      if (entry.run === run) entry.run = undefined;
    });
  }

  #runFailed(entry: Entry, error: unknown): void {
    const code = codeOf(error);
    if (!entry.fault)
      entry.fault = {
        code,
        message: redactString(messageOf(error)),
        at: new Date(this.#clock.now()).toISOString(),
      };
    this.#log('error', 'service.run', `the run stopped with an error: ${messageOf(error)}`, entry.id, code);
  }

  async notify(principal: Principal, id: string, body: unknown): Promise<number> {
    await this.#loaded;
    const entry = this.#entry(id);
    this.#assertOpen();
    this.#assertHealthy(entry);
    const parsed = NotificationSchema.safeParse(body, { reportInput: true });
    if (!parsed.success)
      throw invalidBody(HttpErrorCode.InvalidRequest, fromZodIssues(parsed.error.issues, NotificationSchema));
    await this.#send(entry, principal, { type: 'notify', notification: parsed.data as Notification });
    return entry.log.at(-1)?.seq ?? 0;
  }

  // -------------------------------------------------------------------------------------------
  // Closing

  async close(options: { readonly timeoutMs?: number | undefined } = {}): Promise<ShutdownReport> {
    this.#closing = true;
    this.#closer.abort();
    await this.#loaded.catch(() => undefined);
    const timeoutMs = options.timeoutMs ?? 30_000;
    const paused: string[] = [];
    const entries = [...this.#entries.values()];
    for (const entry of entries) {
      if (!entry.engine.running || entry.fault) continue;
      this.#track(entry);
      // Steps running finish and are journaled; no new step starts; the campaign rests in `paused`.
      entry.engine
        .send(this.#servicePrincipal, { type: 'pause', reason: 'the service is shutting down' })
        .catch((error: unknown) => this.#runFailed(entry, error));
      paused.push(entry.id);
    }
    // Real time, not the campaigns' clock: a virtual clock must not shorten the wait.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    await Promise.race([Promise.all(entries.map((e) => e.run)), deadline]);
    clearTimeout(timer);
    const stillRunning = entries.filter((e) => e.run !== undefined).map((e) => e.id);
    await Promise.all(
      entries
        .filter((e) => e.run === undefined)
        .map(async (entry) => {
          await entry.engine.close().catch((error: unknown) => this.#runFailed(entry, error));
          await entry.backend.close?.();
          entry.listeners.clear();
        }),
    );
    this.#log(
      'info',
      'service.close',
      `closed; paused ${paused.length}, still running ${stillRunning.length}`,
    );
    return { paused: paused.filter((id) => !stillRunning.includes(id)), stillRunning };
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  #entry(id: string): Entry {
    const entry = this.#entries.get(id);
    if (!entry) {
      const unavailable = this.#unavailable.get(id);
      if (unavailable)
        throw new ServiceError(
          503,
          HttpErrorCode.Unavailable,
          `campaign "${id}" could not be opened (${unavailable.code}); see the server's log`,
        );
      throw campaignNotFound(id);
    }
    return entry;
  }

  async #readable(principal: Principal, id: string): Promise<Entry> {
    await this.#loaded;
    const entry = this.#entry(id);
    await this.#authorize(principal, 'read', id);
    return entry;
  }

  async #authorize(principal: Principal, action: Action, id: string): Promise<AuthorizationDecision> {
    const decision = await this.#authorizer.authorize(principal, action, id);
    if (!decision.allowed) throw new ForbiddenError(principal.id, action, decision.reason);
    return decision;
  }

  /** A redacted copy of a document the engine keeps as one object until it changes. */
  #shown<T extends object>(document: T): T {
    let copy = this.#shownCopies.get(document) as T | undefined;
    if (copy === undefined) {
      copy = redactDocument(document);
      this.#shownCopies.set(document, copy);
    }
    return copy;
  }

  /** A faulted campaign takes no command: its engine stopped. */
  #assertHealthy(entry: Entry): void {
    if (entry.fault) throw faultedError(entry);
  }

  #assertOpen(): void {
    if (this.#closing)
      throw new ServiceError(503, HttpErrorCode.Unavailable, 'the service is shutting down', {
        headers: { 'retry-after': '5' },
      });
  }

  #summary(entry: Entry): CampaignSummary {
    const snapshot = entry.engine.snapshot();
    const status = entry.engine.status();
    return {
      id: entry.id,
      state: snapshot.state,
      ...(snapshot.reason === undefined ? {} : { reason: redactString(snapshot.reason) }),
      running: entry.fault === undefined && entry.engine.running,
      seq: snapshot.seq,
      createdAt: snapshot.createdAt,
      updatedAt: snapshot.updatedAt,
      progress: status.progress,
      href: `/v1/campaigns/${encodeURIComponent(entry.id)}`,
      ...(entry.fault === undefined ? {} : { fault: entry.fault }),
    };
  }

  #log(level: LogLevel, action: string, message: string, campaign?: string, code?: string): void {
    this.#logger?.log({
      time: new Date(this.#clock.now()).toISOString(),
      level,
      campaign,
      action,
      code,
      message,
    });
  }
}

/**
 * A journal record as readers see it: secrets redacted (credentials in URLs, values under secret-named
 * keys such as a `password` label), whole however large (no object bound). The journal on disk keeps
 * what the engine wrote.
 */
function shown(record: JournalRecord): JournalRecord {
  return redactDocument(record);
}

/** A redacted copy of a document of the same shape (secrets are strings replaced by strings). */
function redactDocument<T>(value: T): T {
  return redact(value, { maxObjects: Number.POSITIVE_INFINITY }) as T;
}

/** Whether an engine's error is its answer to a request (refused, not allowed now), not its failure. */
function isRefusal(error: unknown): boolean {
  if (error instanceof ServiceError) return true;
  if (!EscalatorError.is(error)) return false;
  return (
    error.code === ErrorCode.Forbidden ||
    error.code === ErrorCode.IllegalTransition ||
    error.code === ErrorCode.InvalidDocument ||
    error.code === ErrorCode.Locked
  );
}

function faultedError(entry: Entry): ServiceError {
  const fault = entry.fault;
  return new ServiceError(
    503,
    HttpErrorCode.CampaignFaulted,
    `campaign "${entry.id}" stopped on an error and takes no command until the service restarts` +
      `${fault ? ` (${fault.message.startsWith(fault.code) ? '' : `${fault.code}: `}${fault.message})` : ''}; ` +
      'its state and journal stay readable, and ' +
      'after a restart it resumes from its journal. Other campaigns are not affected.',
  );
}

/** The code of an error: an Escalator code, a system code (`ENOSPC`), or `ESC_INTERNAL`. */
function codeOf(error: unknown): string {
  if (EscalatorError.is(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : HttpErrorCode.Internal;
}

/** The inventory and creation time a journal starts from. */
function originOf(
  entries: readonly JournalRecord[],
): { readonly inventory: Inventory; readonly createdAt: number } | undefined {
  const first = entries[0];
  if (first?.type === 'created') return { inventory: first.inventory, createdAt: Date.parse(first.at) };
  if (first?.type === 'snapshot')
    return { inventory: first.state.inventory, createdAt: Date.parse(first.state.createdAt) };
  return undefined;
}

/** The index of the first record with a seq above `after` (records are in seq order). */
function indexAfter(log: readonly JournalRecord[], after: number): number {
  let low = 0;
  let high = log.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((log[mid]?.seq ?? 0) <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The id a create request names, read before validation (for the authorizer). */
function looseId(body: unknown): string {
  const b = body as { id?: unknown; campaign?: { metadata?: { name?: unknown } } } | null;
  if (typeof b?.id === 'string') return b.id;
  const name = b?.campaign?.metadata?.name;
  return typeof name === 'string' ? name : '*';
}

function prefixed(root: string, issues: readonly DocumentIssue[]): DocumentIssue[] {
  return issues.map((i) => ({ ...i, path: [root, ...i.path] }));
}

function invalidBody(code: ErrorCode | HttpErrorCode, issues: readonly DocumentIssue[]): ServiceError {
  const errors: RequestIssue[] = issues.map((i) => ({
    path: formatPath(i.path),
    message: i.message,
    code: i.code,
  }));
  return new ServiceError(
    400,
    code,
    `the request body has ${errors.length} problem${errors.length === 1 ? '' : 's'}: see errors`,
    { errors },
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
