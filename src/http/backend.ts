/**
 * What a campaign service runs each campaign on: a backend made per campaign from its inventory. The
 * default is the embedded simulator — a fresh simulated cloud per campaign on the service's clock — which
 * can keep each cloud's operations in a directory so that a restarted service finds its clouds as they
 * were (as `escalator simulate --journal` does).
 * @module
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { EngineOptions } from '../engine/engine.js';
import { AdapterError } from '../errors.js';
import type { Inventory } from '../model/inventory.js';
import type { Adapters } from '../ports/adapters.js';
import type { Clock } from '../ports/clock.js';
import { type CloudOperation, createSimulatedCloud, type SimulatorDurations } from '../simulator/cloud.js';

/** What a backend factory is told besides the inventory. */
export interface BackendContext {
  /** The campaign's id. */
  readonly id: string;
  /** The service's clock, shared by every campaign. */
  readonly clock: Clock;
  /** When the campaign was created (ms since the epoch): the simulator accounts availability from then. */
  readonly createdAt: number;
}

/** The adapters a campaign runs on, with what goes with them. */
export interface CampaignBackend {
  readonly adapters: Adapters;
  /** Reads the live cloud back as an inventory, for re-planning on drift. */
  readonly refreshInventory?: EngineOptions['refreshInventory'];
  /** Called when the service lets the campaign go (shutdown). */
  readonly close?: (() => void | Promise<void>) | undefined;
}

/**
 * Makes the adapters of one campaign from its inventory. Return plain {@link Adapters}, or a
 * {@link CampaignBackend} when there is more to it.
 *
 * @example
 * ```ts
 * const adapters: BackendFactory = () => ({ vim, nodes }); // e.g. the OpenStack VIM and the SSH node agent
 * ```
 */
export type BackendFactory = (
  inventory: Inventory,
  context: BackendContext,
) => Adapters | CampaignBackend | Promise<Adapters | CampaignBackend>;

/** Options of {@link createSimulatorBackend}. */
export interface SimulatorBackendOptions {
  /**
   * Seeds every random draw of each simulated cloud.
   * @defaultValue 1
   */
  readonly seed?: number | undefined;
  /** Typical durations of the simulated world. @defaultValue the simulator's defaults */
  readonly durations?: Partial<SimulatorDurations> | undefined;
  /**
   * Keeps each campaign's simulated cloud here (`<id>.jsonl`, its operations), so that a restarted
   * service resumes its campaigns on the clouds they left. Without it, a campaign reopened after a
   * restart finds a fresh cloud built from its inventory.
   */
  readonly directory?: string | undefined;
}

/**
 * The embedded simulator as a backend: each campaign gets its own simulated cloud built from its
 * inventory, on the service's clock.
 *
 * @example
 * ```ts
 * const service = createCampaignService({
 *   adapters: createSimulatorBackend({ directory: '.escalator/journal/.simulator' }),
 *   store, authorizer, clock: createVirtualClock({ autoAdvance: true, speed: 60 }),
 * });
 * ```
 */
export function createSimulatorBackend(options: SimulatorBackendOptions = {}): BackendFactory {
  const { directory } = options;
  if (directory !== undefined) mkdirSync(directory, { recursive: true });
  return (inventory, context) => {
    const file = directory === undefined ? undefined : join(directory, `${context.id}.jsonl`);
    const ops = file === undefined ? [] : readOperations(file, true);
    // Appended synchronously: an operation must be on disk before the journal record that follows it.
    const fd = file === undefined ? undefined : openSync(file, 'a');
    // A write that fails (disk full) must not throw inside the simulated cloud, where a timer's callback
    // would take the whole process down: the cloud stops answering instead, and the campaign pauses on
    // a permanent adapter error that says why. After a restart it resumes on the operations written.
    let unwritable: AdapterError | undefined;
    const record = (op: CloudOperation) => {
      if (fd === undefined || unwritable) return;
      try {
        writeSync(fd, `${JSON.stringify(op)}\n`);
      } catch (error) {
        unwritable = new AdapterError(
          `the simulated cloud of campaign "${context.id}" cannot record its operations in ${file} ` +
            `(${error instanceof Error ? error.message : String(error)}); free the space, then restart the service`,
          { kind: 'permanent', reason: 'simulator-log-unwritable', cause: error },
        );
      }
    };
    const cloud = createSimulatedCloud(inventory, {
      clock: context.clock,
      seed: options.seed ?? 1,
      durations: options.durations,
      startedAt: ops[0]?.at ?? context.createdAt,
      onOperation: fd === undefined ? undefined : record,
    });
    if (ops.length > 0) {
      cloud.replay(ops);
      cloud.recover();
    }
    return {
      adapters: {
        vim: refusingWhen(cloud.vim, () => unwritable),
        nodes: refusingWhen(cloud.nodes, () => unwritable),
        hypervisor: refusingWhen(cloud.hypervisor, () => unwritable),
        vnfm: refusingWhen(cloud.vnfm, () => unwritable),
      },
      refreshInventory: async () => cloud.inventory(),
      close: () => {
        if (fd !== undefined) closeSync(fd);
      },
    };
  };
}

/**
 * Reads an operation log. A torn last line (the process died while writing it) is dropped, and with
 * `repair` cut from the file, so that the operations appended next start on a line of their own.
 */
/** The adapter whose every call rejects with `failure()` once there is one. */
function refusingWhen<T extends object>(adapter: T, failure: () => Error | undefined): T {
  return new Proxy(adapter, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const error = failure();
        return error ? Promise.reject(error) : Reflect.apply(value, target, args);
      };
    },
  });
}

function readOperations(file: string, repair = false): CloudOperation[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const ops: CloudOperation[] = [];
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    try {
      ops.push(JSON.parse(line) as CloudOperation);
    } catch {
      if (i !== lines.length - 1) throw new Error(`${file}:${i + 1}: damaged operation log`);
      if (repair) truncateSync(file, Buffer.byteLength(text) - Buffer.byteLength(line));
      return ops;
    }
  }
  if (repair && text !== '' && !text.endsWith('\n')) appendFileSync(file, '\n');
  return ops;
}

/** The last time an operation log mentions (ms since the epoch), or 0. */
export function lastOperationTime(directory: string, id: string): number {
  return readOperations(join(directory, `${id}.jsonl`)).at(-1)?.at ?? 0;
}
