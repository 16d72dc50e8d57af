/**
 * The node-power family: `reboot` restarts a node (its boot id, journaled before, tells after a crash
 * whether it happened) and `wait-node` waits until it answers again.
 */
import type { StepOf } from '../../model/plan.js';
import { nothingToUndo, type StepHandler, type StepHandlers } from './context.js';

/** `reboot`: restarts the node. Not undone: a node that rebooted is back as it was. */
export const reboot: StepHandler<StepOf<'reboot'>> = {
  describe: (step) => `reboot ${step.node}`,
  prepare: async (ctx, step) => ({
    bootId: await ctx.adapters.nodes.bootId(step.node, { signal: ctx.signal }),
  }),
  async run(ctx, step) {
    await ctx.adapters.nodes.reboot(step.node, { signal: ctx.signal });
    return undefined;
  },
  async isDone(ctx, step, data) {
    if (!data?.bootId) return false;
    try {
      return (await ctx.adapters.nodes.bootId(step.node, { signal: ctx.signal })) !== data.bootId;
    } catch {
      return true; // the node is away: the reboot was accepted; wait-node follows
    }
  },
  undo: nothingToUndo,
};

/** `wait-node`: resolves when the node answers again. */
export const waitNode: StepHandler<StepOf<'wait-node'>> = {
  describe: (step) => `wait until ${step.node} answers`,
  async run(ctx, step) {
    await ctx.adapters.nodes.waitReady(step.node, { signal: ctx.signal });
    return undefined;
  },
  isDone: async () => false, // waiting again for a node that is up returns at once
  undo: nothingToUndo,
};

/** The handlers of the node-power family, by kind. */
export const NODE_POWER_HANDLERS: StepHandlers<'reboot' | 'wait-node'> = {
  reboot,
  'wait-node': waitNode,
};
