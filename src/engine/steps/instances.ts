/**
 * The instances family: instances that stay on a node are stopped before its upgrade and started after
 * (`stop-instances`, `start-instances`), and `check-empty` makes sure nothing else is left on it.
 */
import type { StepOf } from '../../model/plan.js';
import {
  nothingToUndo,
  permanent,
  type StepContext,
  type StepHandler,
  type StepHandlers,
  vimHost,
} from './context.js';

/** Whether every one of `instances` on the node reports one of `statuses` (Nova's words). */
async function allIn(
  ctx: StepContext,
  node: string,
  instances: readonly string[],
  statuses: readonly string[],
): Promise<boolean> {
  const listed = await ctx.adapters.vim.listInstances(vimHost(ctx.inventory, node), { signal: ctx.signal });
  const status = new Map(listed.map((i) => [i.name, i.status.toUpperCase()]));
  return instances.every((i) => statuses.includes(status.get(i) ?? ''));
}

async function startAll(ctx: StepContext, instances: readonly string[]): Promise<void> {
  for (const i of instances) await ctx.adapters.vim.startInstance(i, { signal: ctx.signal });
}

/** `stop-instances`: stops the instances that stay on the node; undone by starting them again. */
export const stopInstances: StepHandler<StepOf<'stop-instances'>> = {
  describe: (step) => `stop ${step.instances.join(', ')} on ${step.node}`,
  async run(ctx, step) {
    for (const i of step.instances) await ctx.adapters.vim.stopInstance(i, { signal: ctx.signal });
    return undefined;
  },
  isDone: (ctx, step) => allIn(ctx, step.node, step.instances, ['SHUTOFF', 'STOPPED']),
  undo: (ctx, step) => startAll(ctx, step.instances),
};

/** `start-instances`: starts the instances stopped before. Not undone: stopping them again helps no one. */
export const startInstances: StepHandler<StepOf<'start-instances'>> = {
  describe: (step) => `start ${step.instances.join(', ')} on ${step.node}`,
  async run(ctx, step) {
    await startAll(ctx, step.instances);
    return undefined;
  },
  isDone: (ctx, step) => allIn(ctx, step.node, step.instances, ['ACTIVE']),
  undo: nothingToUndo,
};

/** `check-empty`: fails for good when an instance other than those allowed to stay is on the node. */
export const checkEmpty: StepHandler<StepOf<'check-empty'>> = {
  describe: (step) =>
    step.instances.length > 0
      ? `check only ${step.instances.join(', ')} are left on ${step.node}`
      : `check ${step.node} hosts no instance`,
  async run(ctx, step) {
    const allowed = new Set(step.instances);
    const left = (
      await ctx.adapters.vim.listInstances(vimHost(ctx.inventory, step.node), { signal: ctx.signal })
    ).filter((i) => !allowed.has(i.name));
    if (left.length > 0)
      throw permanent(
        'node-not-empty',
        `${step.node} still hosts ${left.map((i) => i.name).join(', ')}, which should have left`,
      );
    return undefined;
  },
  isDone: async () => false, // a check, with no effect: looking again is the answer
  undo: nothingToUndo,
};

/** The handlers of the instances family, by kind. */
export const INSTANCES_HANDLERS: StepHandlers<'stop-instances' | 'start-instances' | 'check-empty'> = {
  'stop-instances': stopInstances,
  'start-instances': startInstances,
  'check-empty': checkEmpty,
};
