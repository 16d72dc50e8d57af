/**
 * The VNF family: maintenance conversations with VNF managers. `notify-vnf` asks before a wave touches
 * a VNF's instances and waits for the answer; `notify-vnf-done` says the maintenance is over.
 */
import type { StepOf } from '../../model/plan.js';
import type { MaintenanceNotice } from '../../ports/vnf-manager.js';
import {
  nothingToUndo,
  permanent,
  type StepContext,
  type StepHandler,
  type StepHandlers,
} from './context.js';

/** The notice of a step: one id per campaign and step, so a manager's answer finds its way back. */
function notice(ctx: StepContext, step: StepOf<'notify-vnf' | 'notify-vnf-done'>): MaintenanceNotice {
  return {
    id: `${ctx.campaignId}/${step.id}`,
    vnf: step.vnf,
    instances: step.instances,
    leadTimeSeconds: step.expectedSeconds,
    reason: `upgrade campaign ${ctx.campaignId}`,
  };
}

/**
 * `notify-vnf`: asks the VNF's manager and waits for its answer, from the adapter or through
 * `engine.notify`; a refusal or no answer fails for good. Without a VNF manager, goes ahead at once.
 */
export const notifyVnf: StepHandler<StepOf<'notify-vnf'>> = {
  describe: (step) =>
    `ask the manager of VNF ${step.vnf} for maintenance of ${step.instances.length} instances`,
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
  undo: nothingToUndo,
};

/** `notify-vnf-done`: tells the VNF's manager the maintenance is over (nothing to do without one). */
export const notifyVnfDone: StepHandler<StepOf<'notify-vnf-done'>> = {
  describe: (step) => `tell the manager of VNF ${step.vnf} the maintenance is over`,
  async run(ctx, step) {
    await ctx.adapters.vnfm?.notifyDone(notice(ctx, step), { signal: ctx.signal });
    return undefined;
  },
  isDone: async () => false, // telling twice is harmless
  undo: nothingToUndo,
};

/** The handlers of the VNF family, by kind. */
export const VNF_HANDLERS: StepHandlers<'notify-vnf' | 'notify-vnf-done'> = {
  'notify-vnf': notifyVnf,
  'notify-vnf-done': notifyVnfDone,
};
