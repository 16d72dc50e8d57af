/**
 * The compute-service family: `disable-compute` (the scheduler places nothing new on a node) and
 * `enable-compute` (it may again). Each is the other's undo.
 */
import { AdapterError } from '../../errors.js';
import type { StepOf } from '../../model/plan.js';
import { type StepContext, type StepHandler, type StepHandlers, vimHost } from './context.js';

/** The node's compute service status as the VIM reports it, or undefined when it has none. */
async function computeStatus(ctx: StepContext, node: string): Promise<'enabled' | 'disabled' | undefined> {
  const host = vimHost(ctx.inventory, node);
  const services = await ctx.adapters.vim.listComputeServices({ signal: ctx.signal });
  return services.find((s) => s.host === host)?.status;
}

async function enable(ctx: StepContext, node: string): Promise<void> {
  await ctx.adapters.vim.enableComputeService(vimHost(ctx.inventory, node), { signal: ctx.signal });
}

async function disable(ctx: StepContext, node: string, reason: string): Promise<void> {
  await ctx.adapters.vim.disableComputeService(vimHost(ctx.inventory, node), reason, { signal: ctx.signal });
}

/** `disable-compute`: disables the node's compute service; undone by enabling it. */
export const disableCompute: StepHandler<StepOf<'disable-compute'>> = {
  describe: (step) => `disable the compute service of ${step.node}`,
  async run(ctx, step) {
    // The reason names the step, so other operators see who disabled the host and why.
    await disable(ctx, step.node, `escalator ${ctx.campaignId}: ${step.id}`);
    return undefined;
  },
  isDone: async (ctx, step) => (await computeStatus(ctx, step.node)) === 'disabled',
  undo: (ctx, step) => enable(ctx, step.node),
};

/** `enable-compute`: enables the node's compute service once its hypervisor is ready; undone by disabling it. */
export const enableCompute: StepHandler<StepOf<'enable-compute'>> = {
  describe: (step) => `enable the compute service of ${step.node}`,
  async run(ctx, step) {
    const node = step.node;
    if (ctx.adapters.hypervisor && !(await ctx.adapters.hypervisor.ready(node, { signal: ctx.signal })))
      throw new AdapterError(`the hypervisor of ${node} is not ready`, {
        kind: 'transient',
        reason: 'hypervisor-not-ready',
      });
    await enable(ctx, node);
    return undefined;
  },
  isDone: async (ctx, step) => (await computeStatus(ctx, step.node)) === 'enabled',
  undo: (ctx, step) => disable(ctx, step.node, `escalator ${ctx.campaignId}: rollback`),
};

/** The handlers of the compute-service family, by kind. */
export const COMPUTE_SERVICE_HANDLERS: StepHandlers<'disable-compute' | 'enable-compute'> = {
  'disable-compute': disableCompute,
  'enable-compute': enableCompute,
};
