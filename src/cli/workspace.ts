/**
 * The CLI's state directory, shared by every command and by `serve`: campaigns' journals in
 * `<state>/journal/<id>/`, the simulated clouds in `<state>/journal/.simulator/`, command inboxes in
 * `<state>/inbox/<id>/`, and the log file. A campaign is named by its id and found there, whichever
 * process created it.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRoleAuthorizer } from '../auth/role-authorizer.js';
import { systemClock } from '../clock/system-clock.js';
import { createVirtualClock } from '../clock/virtual-clock.js';
import { createEngine, type Engine } from '../engine/engine.js';
import { type CampaignSnapshot, replay } from '../engine/journal.js';
import type { EnginePolicyInput } from '../engine/policy.js';
import { ErrorCode, EscalatorError, LockedError } from '../errors.js';
import {
  type BackendFactory,
  type CampaignBackend,
  createSimulatorBackend,
  lastOperationTime,
} from '../http/backend.js';
import { createJsonLinesLogger, type JsonLinesLogger } from '../logging/loggers.js';
import type { Inventory } from '../model/inventory.js';
import type { Principal } from '../ports/authorizer.js';
import type { Clock } from '../ports/clock.js';
import type { Logger, LogLevel } from '../ports/logger.js';
import type { StateStore } from '../ports/state-store.js';
import { holdStore } from '../simulator/hold-store.js';
import { createFileStore, type FileStateStore } from '../stores/file-store.js';
import { inboxDirectory } from './inbox.js';

/** What the CLI works with, from `escalator.yaml` (or its defaults). */
export interface WorkspaceSettings {
  /** The state directory. */
  readonly directory: string;
  /** `simulator`: each campaign runs on its own simulated cloud (kept in the state directory). */
  readonly backend: 'simulator' | 'openstack';
  /** The adapters of a campaign on a real cloud (made from the configuration). */
  readonly openstack?: BackendFactory | undefined;
  /** Simulated time runs this many times faster than real time (simulator only). */
  readonly speed?: number | undefined;
  /** Seeds the simulated clouds. */
  readonly seed?: number | undefined;
  /** Who the local user is to the authorizer (audited with every command). */
  readonly operator: Principal;
  /** The log file (JSON lines). */
  readonly logFile: string;
  readonly logLevel: LogLevel;
  readonly policy?: EnginePolicyInput | undefined;
}

/** The state directory's defaults: `./.escalator`, the simulator, the local user as an admin. */
export function defaultSettings(overrides: Partial<WorkspaceSettings> = {}): WorkspaceSettings {
  const directory = resolve(overrides.directory ?? '.escalator');
  return {
    backend: 'simulator',
    operator: localOperator(),
    logFile: join(directory, 'escalator.log'),
    logLevel: 'info',
    ...overrides,
    directory,
  };
}

/** The local user as a principal: the OS user name, an admin (the state directory is theirs). */
export function localOperator(roles: readonly string[] = ['admin']): Principal {
  const name = process.env.USER ?? process.env.LOGNAME ?? `uid-${process.getuid?.() ?? 'unknown'}`;
  return { id: `local:${name}`, roles, via: 'local' };
}

/** A campaign's engine with the backend it runs on. */
export interface OpenCampaign {
  readonly engine: Engine;
  readonly backend: CampaignBackend;
  readonly clock: Clock;
  /** Stops the engine and the backend. */
  close(): Promise<void>;
}

/** The state directory, opened. */
export class Workspace {
  readonly settings: WorkspaceSettings;
  readonly store: FileStateStore;
  readonly logger: Logger;
  readonly #log: JsonLinesLogger;
  readonly #backend: BackendFactory;

  constructor(settings: WorkspaceSettings) {
    this.settings = settings;
    const journal = join(settings.directory, 'journal');
    mkdirSync(journal, { recursive: true, mode: 0o700 });
    this.store = createFileStore({ directory: journal });
    this.#log = createJsonLinesLogger({ file: settings.logFile, level: settings.logLevel });
    this.logger = this.#log;
    if (settings.backend === 'openstack') {
      if (!settings.openstack)
        throw new EscalatorError(
          ErrorCode.InvalidOption,
          'backend openstack needs its adapters: give an `openstack` section in escalator.yaml',
        );
      this.#backend = settings.openstack;
    } else
      this.#backend = createSimulatorBackend({ directory: this.simulatorDirectory, seed: settings.seed });
  }

  /** Where the simulated clouds are kept (not a campaign id: the store ignores it). */
  get simulatorDirectory(): string {
    return join(this.store.directory, '.simulator');
  }

  /** The inbox of campaign `id`. */
  inbox(id: string): string {
    return inboxDirectory(this.settings.directory, id);
  }

  /** Campaign ids that have a journal. */
  list(): Promise<readonly string[]> {
    return this.store.list();
  }

  /**
   * The campaign's state, read from its journal without taking its lock (another process may be running
   * it): a record being appended at that moment is read again.
   * @throws `EscalatorError` `ESC_INVALID_OPTION` when there is no such campaign.
   */
  async snapshot(id: string): Promise<CampaignSnapshot> {
    for (let attempt = 0; ; attempt++) {
      try {
        const entries = await this.store.read(id);
        if (entries.length === 0) throw this.#unknown(id);
        return replay(id, entries);
      } catch (error) {
        if (!EscalatorError.is(error) || error.code !== ErrorCode.JournalCorrupt || attempt >= 5) throw error;
        await new Promise((done) => setTimeout(done, 50));
      }
    }
  }

  /** True when a live process holds campaign `id` (its lock is taken and its lease runs). */
  async isRunElsewhere(id: string): Promise<boolean> {
    try {
      const lock = await this.store.lock(id, `escalator-probe-${process.pid}`);
      await lock.release();
      return false;
    } catch (error) {
      if (error instanceof LockedError) return true;
      throw error;
    }
  }

  /**
   * Makes an engine for campaign `id` on its backend (a simulated cloud, or the real cloud), with the
   * state directory's store, the role authorizer and the log file. `createdAt` is when the campaign
   * started (the simulator accounts from then).
   */
  async open(id: string, inventory: Inventory, createdAt?: number): Promise<OpenCampaign> {
    let clock: Clock = systemClock;
    let store: StateStore = this.store;
    if (this.settings.backend === 'simulator') {
      // Virtual time never goes back: a later process starts after all its campaign recorded.
      const last = await this.#lastRecordedTime(id);
      const virtual = createVirtualClock({
        start: Math.max(Date.now(), last),
        autoAdvance: true,
        speed: this.settings.speed,
      });
      clock = virtual;
      store = holdStore(this.store, virtual); // virtual time waits for journal writes
    }
    const made = await this.#backend(inventory, { id, clock, createdAt: createdAt ?? clock.now() });
    const backend: CampaignBackend = 'adapters' in made ? made : { adapters: made };
    const engine = createEngine({
      adapters: backend.adapters,
      store,
      authorizer: createRoleAuthorizer(),
      clock,
      logger: this.logger,
      policy: this.settings.policy,
      refreshInventory: backend.refreshInventory,
      owner: `escalator-cli-${process.pid}`,
    });
    return {
      engine,
      backend,
      clock,
      close: async () => {
        await engine.close();
        await backend.close?.();
      },
    };
  }

  /**
   * The adapters of the configured backend for a look that changes nothing (`precheck`): on the
   * simulator, a fresh simulated cloud built from `inventory`, kept nowhere.
   */
  async probe(inventory: Inventory): Promise<CampaignBackend> {
    const factory =
      this.settings.backend === 'simulator'
        ? createSimulatorBackend({ seed: this.settings.seed })
        : this.#backend;
    const made = await factory(inventory, { id: 'precheck', clock: systemClock, createdAt: Date.now() });
    return 'adapters' in made ? made : { adapters: made };
  }

  /** Flushes and closes the log file. */
  close(): Promise<void> {
    return this.#log.close();
  }

  async #lastRecordedTime(id: string): Promise<number> {
    let latest = 0;
    const last = (await this.store.read(id).catch(() => [])).at(-1);
    const at = typeof last?.['at'] === 'string' ? Date.parse(last['at']) : Number.NaN;
    if (Number.isFinite(at)) latest = at;
    try {
      latest = Math.max(latest, lastOperationTime(this.simulatorDirectory, id));
    } catch {
      // no simulated cloud yet, or a damaged one: opening the campaign reports it
    }
    return latest;
  }

  #unknown(id: string): EscalatorError {
    return new EscalatorError(
      ErrorCode.InvalidOption,
      `no campaign "${id}" in ${this.settings.directory} (see \`escalator status\` for the campaigns there)`,
    );
  }
}
