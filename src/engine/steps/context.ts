/**
 * The contract of a step handler (what it is given, what it returns) and the helpers several step
 * families share: the VIM's name of a node, the services of components, the versions installed.
 */

import { AdapterError } from '../../errors.js';
import type { Catalog } from '../../model/component.js';
import type { Inventory } from '../../model/inventory.js';
import type { NodeStep, NodeStepKind, Step, StepKind, StepOf } from '../../model/plan.js';
import { versionMatches } from '../../model/versions.js';
import type { Adapters } from '../../ports/adapters.js';
import type { Clock } from '../../ports/clock.js';
import type { BackupRef } from '../../ports/node-agent.js';
import type { MaintenanceReply } from '../../ports/vnf-manager.js';

/** What a step handler needs besides the step: the campaign, its ports and what was recorded so far. */
export interface StepContext {
  readonly campaignId: string;
  readonly adapters: Adapters;
  readonly inventory: Inventory;
  readonly catalog: Catalog;
  readonly clock: Clock;
  /** How long to wait between two looks at something under way (a migration), in milliseconds. */
  readonly pollMs: number;
  /** Aborted when the step is cancelled (timeout, abort, pause with cancel). */
  readonly signal: AbortSignal;
  /** Backups recorded so far. */
  readonly backups: readonly BackupRef[];
  /**
   * What the step of `kind` on the same node in the same wave as `step` journaled before it ran (its
   * `prepare`), e.g. the boot id `reboot` read before restarting the node, which `wait-node` waits to
   * see replaced. Undefined when there is no such step or it recorded nothing. Read from the journal,
   * so a process resumed after a crash sees what the one before it learned.
   */
  journaled(step: NodeStep, kind: NodeStepKind): StepData | undefined;
  /** Resolves when a VNF manager answers the notice through `engine.notify`. */
  awaitReply(noticeId: string, signal: AbortSignal): Promise<MaintenanceReply>;
}

/** A permanent adapter failure with a stable `reason`. @internal */
export const permanent = (reason: string, message: string): AdapterError =>
  new AdapterError(message, { kind: 'permanent', reason });

/** The VIM's name of a node: its `vimName` in the inventory, else its name. */
export function vimHost(inventory: Inventory, node: string): string {
  return inventory.nodes.find((n) => n.name === node)?.vimName ?? node;
}

/** Services of the components a step touches, from the catalog. @internal */
export function servicesOf(ctx: StepContext, software: Readonly<Record<string, string>>): string[] {
  const out = new Set<string>();
  for (const c of Object.keys(software)) for (const s of ctx.catalog[c]?.services ?? []) out.add(s);
  return [...out];
}

/** Whether the node reports exactly these versions of these components. @internal */
export async function versionsMatch(
  ctx: StepContext,
  node: string,
  software: Readonly<Record<string, string>>,
): Promise<boolean> {
  const installed = await ctx.adapters.nodes.installedVersions(node, Object.keys(software), {
    signal: ctx.signal,
  });
  return Object.entries(software).every(([c, v]) => versionMatches(installed[c] ?? '', v));
}

/** Installs exactly these versions on a node, then restarts the services of their components. @internal */
export async function installAndRestart(
  ctx: StepContext,
  node: string,
  software: Readonly<Record<string, string>>,
): Promise<void> {
  await ctx.adapters.nodes.installVersions(node, software, { signal: ctx.signal });
  const services = servicesOf(ctx, software);
  if (services.length > 0) await ctx.adapters.nodes.restartServices(node, services, { signal: ctx.signal });
}

/** What a step's run produced, to be journaled. */
export interface StepResult {
  /** The backup a `backup` step took. */
  readonly backup?: BackupRef | undefined;
}

/** Facts a step's `prepare` recorded before it ran (write-ahead), given back to `run` and `isDone`. */
export type StepData = Readonly<Record<string, string>>;

/**
 * Everything about one kind of step: what it does through the ports, how to tell after a crash whether
 * its effect is already there, and how to take it back during graceful rollback. The engine looks a
 * handler up with `handlerOf(step)`; every method may reject with an {@link AdapterError}, whose `kind`
 * (transient or permanent) decides whether the engine's retry policy tries again.
 *
 * @typeParam S - the step kind it handles, e.g. `StepOf<'migrate'>`.
 */
export interface StepHandler<S extends Step = Step> {
  /** One line saying what the step does, for logs and dry runs. */
  describe?(step: S): string;
  /**
   * Facts to record before the step starts (write-ahead), e.g. the boot id before a reboot: after a
   * crash, `isDone` compares the world with them.
   */
  prepare?(ctx: StepContext, step: S): Promise<Record<string, string> | undefined>;
  /** Does the step; resolves once its effect is there (or rejects). */
  run(ctx: StepContext, step: S, data: StepData | undefined): Promise<StepResult | undefined>;
  /**
   * After a crash left the step running: is its effect already there? `false` runs it again, so `run`
   * must itself look before it acts where acting twice would harm or cost (an install, a migration).
   */
  isDone(ctx: StepContext, step: S, data: StepData | undefined): Promise<boolean>;
  /** Takes the step's effect back (graceful rollback); resolves at once when there is nothing to undo. */
  undo(ctx: StepContext, step: S): Promise<void>;
}

/** The handlers of some step kinds, by kind (a family's table). */
export type StepHandlers<K extends StepKind> = { readonly [P in K]: StepHandler<StepOf<P>> };

/** The `undo` of a step whose effect needs no taking back (or cannot be taken back). @internal */
export const nothingToUndo = async (): Promise<void> => {};
