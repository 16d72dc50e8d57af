/**
 * The migration family: `migrate` moves one instance to its planned target and follows the VIM's
 * migration record until it completes; undone by moving the instance back to its source.
 */
import { AdapterError } from '../../errors.js';
import type { StepOf } from '../../model/plan.js';
import { permanent, type StepContext, type StepHandler, type StepHandlers, vimHost } from './context.js';

/**
 * Waits for a migration the VIM accepted, polling its status every `ctx.pollMs`. Rejects when it ends
 * in error (transient when the VIM says the refusal may pass) or lands elsewhere than `target`.
 */
export async function followMigration(ctx: StepContext, instance: string, target: string): Promise<void> {
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

/**
 * `migrate`: moves `instance` from `from` to `to` (live or cold); undone by moving it back to `from`.
 * Journals where the instance was and what the VIM said of its last migration before asking for one;
 * a migration already under way (after a crash, or a retry) is followed, never asked for twice, and
 * one that already landed on the target is done.
 */
export const migrate: StepHandler<StepOf<'migrate'>> = {
  describe: (step) => `${step.mode}-migrate ${step.instance} from ${step.from} to ${step.to}`,
  async prepare(ctx, step) {
    const status = await ctx.adapters.vim.migrationStatus(step.instance, { signal: ctx.signal });
    return { host: status.host, status: status.status };
  },
  async run(ctx, step) {
    const target = vimHost(ctx.inventory, step.to);
    // A migration already under way (after a crash, or a retry) is followed, not started again.
    const status = await ctx.adapters.vim.migrationStatus(step.instance, { signal: ctx.signal });
    if (status.status === 'completed' && status.host === target) return undefined;
    if (status.status !== 'running' && status.status !== 'queued')
      await ctx.adapters.vim.migrate(step.instance, { mode: step.mode, target }, { signal: ctx.signal });
    await followMigration(ctx, step.instance, target);
    return undefined;
  },
  async isDone(ctx, step) {
    const target = vimHost(ctx.inventory, step.to);
    const status = await ctx.adapters.vim.migrationStatus(step.instance, { signal: ctx.signal });
    return status.status === 'completed' && status.host === target;
  },
  async undo(ctx, step) {
    const back = vimHost(ctx.inventory, step.from);
    const status = await ctx.adapters.vim.migrationStatus(step.instance, { signal: ctx.signal });
    if (status.host === back) return; // never left, or already back
    await ctx.adapters.vim.migrate(step.instance, { mode: step.mode, target: back }, { signal: ctx.signal });
    await followMigration(ctx, step.instance, back);
  },
};

/** The handlers of the migration family, by kind. */
export const MIGRATION_HANDLERS: StepHandlers<'migrate'> = { migrate };
