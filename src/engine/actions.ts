/**
 * What each kind of step does through the ports, how to tell after a crash whether it is already done,
 * and how to undo it. One table, keyed by step kind.
 */
import { AdapterError } from '../errors.js';
import type { Catalog } from '../model/component.js';
import type { Inventory } from '../model/inventory.js';
import type { Step, StepKind } from '../model/plan.js';
import type { Clock } from '../ports/clock.js';
import type { Hypervisor } from '../ports/hypervisor.js';
import type { BackupRef, NodeAgent } from '../ports/node-agent.js';
import type { Vim } from '../ports/vim.js';
import type { MaintenanceNotice, MaintenanceReply, VnfManager } from '../ports/vnf-manager.js';

/** The adapters a campaign runs on. */
export interface Adapters {
  readonly vim: Vim;
  readonly nodes: NodeAgent;
  /** Optional: checks the hypervisor is ready before a compute is re-enabled. */
  readonly hypervisor?: Hypervisor | undefined;
  /** Optional: without it, `notify` steps are acknowledged at once (no VNF manager to ask). */
  readonly vnfm?: VnfManager | undefined;
}

/** What an action needs besides the step. @internal */
export interface ActionContext {
  readonly campaignId: string;
  readonly adapters: Adapters;
  readonly inventory: Inventory;
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly pollMs: number;
  readonly signal: AbortSignal;
  /** Backups recorded so far. */
  readonly backups: readonly BackupRef[];
  /** Resolves when a VNF manager answers the notice through `engine.notify`. */
  awaitReply(noticeId: string, signal: AbortSignal): Promise<MaintenanceReply>;
}

/** What a step's run produced, to be journaled. @internal */
export interface ActionResult {
  readonly backup?: BackupRef | undefined;
}

/** One kind of step. @internal */
export interface StepAction {
  /** Facts to record before the step starts (write-ahead), e.g. the boot id before a reboot. */
  prepare?(ctx: ActionContext, step: Step): Promise<Record<string, string> | undefined>;
  run(
    ctx: ActionContext,
    step: Step,
    data: Readonly<Record<string, string>> | undefined,
  ): Promise<ActionResult | undefined>;
  /** After a crash left the step running: is its effect already there? */
  isDone(
    ctx: ActionContext,
    step: Step,
    data: Readonly<Record<string, string>> | undefined,
  ): Promise<boolean>;
}

const permanent = (reason: string, message: string) =>
  new AdapterError(message, { kind: 'permanent', reason });

/** The VIM's name of a node. */
export function vimHost(inventory: Inventory, node: string): string {
  return inventory.nodes.find((n) => n.name === node)?.vimName ?? node;
}

function need<T>(value: T | undefined, what: string, step: Step): T {
  if (value === undefined) throw permanent('bad-step', `step ${step.id} has no ${what}`);
  return value;
}

function notice(ctx: ActionContext, step: Step): MaintenanceNotice {
  return {
    id: `${ctx.campaignId}/${step.id}`,
    vnf: need(step.vnf, 'vnf', step),
    instances: step.instances ?? [],
    leadTimeSeconds: step.expectedSeconds,
    reason: `upgrade campaign ${ctx.campaignId}`,
  };
}

/** Services of the components a step touches, from the catalog. */
function servicesOf(ctx: ActionContext, software: Readonly<Record<string, string>> | undefined): string[] {
  const out = new Set<string>();
  for (const c of Object.keys(software ?? {})) for (const s of ctx.catalog[c]?.services ?? []) out.add(s);
  return [...out];
}

async function computeStatus(ctx: ActionContext, node: string): Promise<'enabled' | 'disabled' | undefined> {
  const host = vimHost(ctx.inventory, node);
  const services = await ctx.adapters.vim.listComputeServices({ signal: ctx.signal });
  return services.find((s) => s.host === host)?.status;
}

async function versionsMatch(
  ctx: ActionContext,
  node: string,
  software: Readonly<Record<string, string>>,
): Promise<boolean> {
  const installed = await ctx.adapters.nodes.installedVersions(node, Object.keys(software), {
    signal: ctx.signal,
  });
  return Object.entries(software).every(([c, v]) => installed[c] === v);
}

/** Waits for a migration the VIM accepted, polling its status. */
async function followMigration(ctx: ActionContext, instance: string, target: string): Promise<void> {
  for (;;) {
    const status = await ctx.adapters.vim.migrationStatus(instance, { signal: ctx.signal });
    if (status.status === 'completed') {
      if (status.host !== target)
        throw permanent(
          'migration-misplaced',
          `${instance} landed on ${status.host}, not on the planned ${target}`,
        );
      return;
    }
    if (status.status === 'error')
      throw new AdapterError(
        `migration of ${instance} failed${status.message ? `: ${status.message}` : ''}`,
        {
          // A refusal the VIM says may pass (a scheduler's stale view) is retried by the step's policy.
          kind: status.retryable ? 'transient' : 'permanent',
          reason: 'migration-failed',
        },
      );
    await ctx.clock.sleep(ctx.pollMs, ctx.signal);
  }
}

/** The action of every step kind. @internal */
export const ACTIONS: Readonly<Record<StepKind, StepAction>> = {
  'notify-vnf': {
    async run(ctx, step) {
      const n = notice(ctx, step);
      if (!ctx.adapters.vnfm) return undefined;
      const inner = new AbortController();
      const stop = () => inner.abort(ctx.signal.reason);
      ctx.signal.addEventListener('abort', stop, { once: true });
      try {
        // The answer may come from the adapter or, for managers that call back, through engine.notify.
        const reply = await Promise.race([
          ctx.adapters.vnfm.notifyMaintenance(n, { signal: inner.signal }),
          ctx.awaitReply(n.id, inner.signal),
        ]);
        if (reply === 'nack')
          throw permanent('vnf-nack', `the manager of VNF ${n.vnf} refused the maintenance`);
        if (reply === 'timeout')
          throw permanent(
            'vnf-timeout',
            `the manager of VNF ${n.vnf} did not answer within ${n.leadTimeSeconds} s`,
          );
        return undefined;
      } finally {
        inner.abort();
        ctx.signal.removeEventListener('abort', stop);
      }
    },
    isDone: async () => false, // asking again is harmless and the answer may have changed
  },
  'notify-vnf-done': {
    async run(ctx, step) {
      await ctx.adapters.vnfm?.notifyDone(notice(ctx, step), { signal: ctx.signal });
      return undefined;
    },
    isDone: async () => false,
  },
  'disable-compute': {
    async run(ctx, step) {
      const node = need(step.node, 'node', step);
      await ctx.adapters.vim.disableComputeService(
        vimHost(ctx.inventory, node),
        `escalator ${ctx.campaignId}: ${step.id}`,
        {
          signal: ctx.signal,
        },
      );
      return undefined;
    },
    isDone: async (ctx, step) => (await computeStatus(ctx, need(step.node, 'node', step))) === 'disabled',
  },
  'enable-compute': {
    async run(ctx, step) {
      const node = need(step.node, 'node', step);
      if (ctx.adapters.hypervisor && !(await ctx.adapters.hypervisor.ready(node, { signal: ctx.signal })))
        throw new AdapterError(`the hypervisor of ${node} is not ready`, {
          kind: 'transient',
          reason: 'hypervisor-not-ready',
        });
      await ctx.adapters.vim.enableComputeService(vimHost(ctx.inventory, node), { signal: ctx.signal });
      return undefined;
    },
    isDone: async (ctx, step) => (await computeStatus(ctx, need(step.node, 'node', step))) === 'enabled',
  },
  migrate: {
    async run(ctx, step) {
      const instance = need(step.instance, 'instance', step);
      const target = vimHost(ctx.inventory, need(step.to, 'target', step));
      // A migration already under way (after a crash, or a retry) is followed, not started again.
      const status = await ctx.adapters.vim.migrationStatus(instance, { signal: ctx.signal });
      if (status.status === 'completed' && status.host === target) return undefined;
      if (status.status !== 'running' && status.status !== 'queued')
        await ctx.adapters.vim.migrate(
          instance,
          { mode: step.mode ?? 'live', target },
          { signal: ctx.signal },
        );
      await followMigration(ctx, instance, target);
      return undefined;
    },
    async isDone(ctx, step) {
      const target = vimHost(ctx.inventory, need(step.to, 'target', step));
      const status = await ctx.adapters.vim.migrationStatus(need(step.instance, 'instance', step), {
        signal: ctx.signal,
      });
      return status.status === 'completed' && status.host === target;
    },
  },
  'stop-instances': {
    async run(ctx, step) {
      for (const i of step.instances ?? []) await ctx.adapters.vim.stopInstance(i, { signal: ctx.signal });
      return undefined;
    },
    isDone: async () => false, // stopping a stopped instance is harmless
  },
  'start-instances': {
    async run(ctx, step) {
      for (const i of step.instances ?? []) await ctx.adapters.vim.startInstance(i, { signal: ctx.signal });
      return undefined;
    },
    isDone: async () => false,
  },
  'check-empty': {
    async run(ctx, step) {
      const node = need(step.node, 'node', step);
      const allowed = new Set(step.instances ?? []);
      const left = (
        await ctx.adapters.vim.listInstances(vimHost(ctx.inventory, node), { signal: ctx.signal })
      ).filter((i) => !allowed.has(i.name));
      if (left.length > 0)
        throw permanent(
          'node-not-empty',
          `${node} still hosts ${left.map((i) => i.name).join(', ')}, which should have left`,
        );
      return undefined;
    },
    isDone: async () => false,
  },
  backup: {
    async run(ctx, step) {
      const node = need(step.node, 'node', step);
      const software = step.software ?? {};
      const files = new Set<string>();
      const databases = new Set<string>();
      for (const c of Object.keys(software)) {
        for (const f of ctx.catalog[c]?.backup.files ?? []) files.add(f);
        for (const d of ctx.catalog[c]?.backup.databases ?? []) databases.add(d);
      }
      const backup = await ctx.adapters.nodes.backup(
        node,
        { label: step.id, software, files: [...files], databases: [...databases] },
        { signal: ctx.signal },
      );
      return { backup };
    },
    isDone: async (ctx, step) => ctx.backups.some((b) => b.label === step.id),
  },
  'upgrade-packages': {
    async run(ctx, step) {
      const node = need(step.node, 'node', step);
      await ctx.adapters.nodes.installVersions(node, step.software ?? {}, { signal: ctx.signal });
      const services = servicesOf(ctx, step.software);
      if (services.length > 0)
        await ctx.adapters.nodes.restartServices(node, services, { signal: ctx.signal });
      return undefined;
    },
    isDone: (ctx, step) => versionsMatch(ctx, need(step.node, 'node', step), step.software ?? {}),
  },
  reboot: {
    prepare: async (ctx, step) => ({
      bootId: await ctx.adapters.nodes.bootId(need(step.node, 'node', step), { signal: ctx.signal }),
    }),
    async run(ctx, step) {
      await ctx.adapters.nodes.reboot(need(step.node, 'node', step), { signal: ctx.signal });
      return undefined;
    },
    async isDone(ctx, step, data) {
      if (!data?.bootId) return false;
      try {
        return (
          (await ctx.adapters.nodes.bootId(need(step.node, 'node', step), { signal: ctx.signal })) !==
          data.bootId
        );
      } catch {
        return true; // the node is away: the reboot was accepted; wait-node follows
      }
    },
  },
  'wait-node': {
    async run(ctx, step) {
      await ctx.adapters.nodes.waitReady(need(step.node, 'node', step), { signal: ctx.signal });
      return undefined;
    },
    isDone: async () => false, // waiting again for a node that is up returns at once
  },
  'verify-services': {
    async run(ctx, step) {
      const node = need(step.node, 'node', step);
      if (!(await versionsMatch(ctx, node, step.software ?? {})))
        throw new AdapterError(`${node} does not report the target versions yet`, {
          kind: 'transient',
          reason: 'versions-differ',
        });
      const health = await ctx.adapters.nodes.health(node, servicesOf(ctx, step.software), {
        signal: ctx.signal,
      });
      if (!health.ok)
        throw new AdapterError(
          `services not active on ${node}: ${health.services
            .filter((s) => !s.active)
            .map((s) => s.name)
            .join(', ')}`,
          { kind: 'transient', reason: 'services-down' },
        );
      return undefined;
    },
    isDone: async () => false,
  },
};

/** How a step is undone during graceful rollback, or `undefined` when it needs no undoing. @internal */
export async function undoStep(ctx: ActionContext, step: Step): Promise<void> {
  const undo = step.undo;
  if (!undo || undo.kind === 'none') return;
  const node = step.node ?? '';
  switch (undo.kind) {
    case 'enable-compute':
      await ctx.adapters.vim.enableComputeService(vimHost(ctx.inventory, node), { signal: ctx.signal });
      return;
    case 'disable-compute':
      await ctx.adapters.vim.disableComputeService(
        vimHost(ctx.inventory, node),
        `escalator ${ctx.campaignId}: rollback`,
        {
          signal: ctx.signal,
        },
      );
      return;
    case 'migrate': {
      const instance = need(step.instance, 'instance', step);
      const back = vimHost(ctx.inventory, need(undo.to, 'undo target', step));
      const status = await ctx.adapters.vim.migrationStatus(instance, { signal: ctx.signal });
      if (status.host === back) return;
      await ctx.adapters.vim.migrate(
        instance,
        { mode: step.mode ?? 'live', target: back },
        { signal: ctx.signal },
      );
      await followMigration(ctx, instance, back);
      return;
    }
    case 'downgrade-packages': {
      const software = undo.software ?? {};
      await ctx.adapters.nodes.installVersions(node, software, { signal: ctx.signal });
      const services = servicesOf(ctx, software);
      if (services.length > 0)
        await ctx.adapters.nodes.restartServices(node, services, { signal: ctx.signal });
      return;
    }
    case 'start-instances':
      for (const i of step.instances ?? []) await ctx.adapters.vim.startInstance(i, { signal: ctx.signal });
      return;
  }
}
