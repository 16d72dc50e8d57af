/**
 * The node-power family: `reboot` restarts a node (its boot id, journaled before, tells after a crash
 * whether it happened) and `wait-node` waits until it answers again with another boot id than that one.
 */
import type { StepOf } from '../../model/plan.js';
import {
  nothingToUndo,
  type StepContext,
  type StepData,
  type StepHandler,
  type StepHandlers,
} from './context.js';

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

/**
 * The boot id the node had before its reboot: journaled by this step's `prepare`, else by the wave's
 * `reboot` of the node (a journal written before wait-node recorded it).
 */
function bootIdBefore(ctx: StepContext, step: StepOf<'wait-node'>, data: StepData | undefined) {
  return data?.since ?? ctx.journaled(step, 'reboot')?.bootId;
}

/**
 * `wait-node`: resolves when the node answers again with a boot id other than the one its `reboot`
 * journaled, so neither a node still going down nor a process resumed after a crash (which remembers
 * nothing) mistakes the old boot for the new one. Without a reboot before it, the first answer will do.
 */
export const waitNode: StepHandler<StepOf<'wait-node'>> = {
  describe: (step) => `wait until ${step.node} answers`,
  prepare: async (ctx, step) => {
    const since = bootIdBefore(ctx, step, undefined);
    return since === undefined ? undefined : { since };
  },
  async run(ctx, step, data) {
    await ctx.adapters.nodes.waitReady(step.node, {
      signal: ctx.signal,
      since: bootIdBefore(ctx, step, data),
    });
    return undefined;
  },
  async isDone(ctx, step, data) {
    const since = bootIdBefore(ctx, step, data);
    if (since === undefined) return false; // nothing to compare with: waiting again settles it
    try {
      return (await ctx.adapters.nodes.bootId(step.node, { signal: ctx.signal })) !== since;
    } catch {
      return false; // not answering: still away
    }
  },
  undo: nothingToUndo,
};

/** The handlers of the node-power family, by kind. */
export const NODE_POWER_HANDLERS: StepHandlers<'reboot' | 'wait-node'> = {
  reboot,
  'wait-node': waitNode,
};
