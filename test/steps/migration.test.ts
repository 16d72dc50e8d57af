/** The migration family (migrate, following a migration) against the simulated cloud. */
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/engine/steps/migration.js';
import type { Vim } from '../../src/ports/vim.js';
import { expectAdapterError, hostOf, lab, rejection, stepOf } from './harness.js';

const move = (instance: string, from: string, to: string, mode: 'live' | 'cold' = 'live') =>
  stepOf('migrate', { id: `w0.migrate.${instance}`, instance, from, to, mode, batch: 0 });

describe('migrate', () => {
  it('moves the instance to the planned target and follows it to completion; undo moves it back', async () => {
    const { cloud, ctx } = lab();
    const step = move('vm-1', 'cmp-1', 'cmp-3');
    expect(await migrate.isDone(ctx(), step, undefined)).toBe(false);
    expect(await migrate.run(ctx(), step, undefined)).toBeUndefined();
    expect(await hostOf(cloud, 'vm-1')).toBe('cmp-3');
    expect(await migrate.isDone(ctx(), step, undefined)).toBe(true);
    // Run again (a retry): already there, nothing started.
    await migrate.run(ctx(), step, undefined);
    expect(await hostOf(cloud, 'vm-1')).toBe('cmp-3');

    await migrate.undo(ctx(), step);
    expect(await hostOf(cloud, 'vm-1')).toBe('cmp-1.lab'); // the source, under its VIM name
    expect(await migrate.isDone(ctx(), step, undefined)).toBe(false);
    expect(migrate.describe?.(step)).toBe('live-migrate vm-1 from cmp-1 to cmp-3');
  });

  it('moves cold instances cold, to the target under its VIM name', async () => {
    const { clock, cloud, ctx } = lab();
    const step = move('vm-1', 'cmp-1', 'cmp-2', 'cold');
    await migrate.run(ctx(), step, undefined);
    const back = move('vm-1', 'cmp-2', 'cmp-1', 'cold');
    const run = migrate.run(ctx(), back, undefined);
    await clock.sleep(5_000); // a cold move stops the instance while its disk is copied (a minute here)
    expect((await cloud.vim.listInstances('cmp-2')).find((i) => i.name === 'vm-1')?.status).toBe('SHUTOFF');
    await run;
    expect(await hostOf(cloud, 'vm-1')).toBe('cmp-1.lab');
    expect(await migrate.isDone(ctx(), back, undefined)).toBe(true);
  });

  it('journals where the instance was and its last migration before asking for one', async () => {
    const { ctx } = lab();
    expect(await migrate.prepare?.(ctx(), move('vm-1', 'cmp-1', 'cmp-3'))).toEqual({
      host: 'cmp-1.lab',
      status: 'completed',
    });
  });

  it('follows a migration already under way instead of starting another', async () => {
    const { cloud, ctx } = lab();
    await cloud.vim.migrate('vm-1', { mode: 'live', target: 'cmp-3' }); // e.g. before a crash
    expect((await cloud.vim.migrationStatus('vm-1')).status).toBe('running');
    await migrate.run(ctx(), move('vm-1', 'cmp-1', 'cmp-3'), undefined); // the VIM would refuse a second one
    expect(await hostOf(cloud, 'vm-1')).toBe('cmp-3');
  });

  it('undo leaves an instance that never left alone', async () => {
    const { cloud, ctx } = lab();
    await migrate.undo(ctx(), move('vm-1', 'cmp-1', 'cmp-3'));
    expect(await hostOf(cloud, 'vm-1')).toBe('cmp-1.lab');
    expect((await cloud.vim.migrationStatus('vm-1')).status).toBe('completed');
  });

  describe('errors', () => {
    it('a refused migration (no valid host) fails as the VIM says', async () => {
      const { cloud, ctx } = lab();
      await cloud.vim.disableComputeService('cmp-3', 'maintenance');
      const error = expectAdapterError(
        await rejection(migrate.run(ctx(), move('vm-1', 'cmp-1', 'cmp-3'), undefined)),
        'permanent',
        'no-valid-host',
      );
      expect(error.message).toContain("cmp-3's compute service is disabled");
      expect(await hostOf(cloud, 'vm-1')).toBe('cmp-1.lab');
    });

    it('a migration that ends in error fails for good (migration-failed), with the VIM message', async () => {
      const { ctx } = lab({ faults: [{ kind: 'migration-fails', instance: 'vm-1' }] });
      const error = expectAdapterError(
        await rejection(migrate.run(ctx(), move('vm-1', 'cmp-1', 'cmp-3'), undefined)),
        'permanent',
        'migration-failed',
      );
      expect(error.message).toBe('migration of vm-1 failed: simulated migration failure');
    });

    it('a move the server group forbids is accepted, then fails (migration-failed)', async () => {
      const { cloud, ctx } = lab();
      const error = expectAdapterError(
        await rejection(migrate.run(ctx(), move('vm-2', 'cmp-1', 'cmp-2', 'cold'), undefined)),
        'permanent',
        'migration-failed',
      );
      expect(error.message).toBe('migration of vm-2 failed: server group policy would be violated');
      expect(await hostOf(cloud, 'vm-2')).toBe('cmp-1.lab');
    });

    it('an error the VIM calls retryable fails transiently, for the retry policy', async () => {
      const { cloud, ctx, adapters } = lab({ faults: [{ kind: 'migration-fails', instance: 'vm-1' }] });
      // The simulator never says "retryable"; Nova does when its scheduler's view may be stale.
      const vim: Vim = {
        ...cloud.vim,
        migrationStatus: async (instance, options) => {
          const status = await cloud.vim.migrationStatus(instance, options);
          return status.status === 'error' ? { ...status, retryable: true } : status;
        },
      };
      expectAdapterError(
        await rejection(
          migrate.run(ctx({ adapters: { ...adapters, vim } }), move('vm-1', 'cmp-1', 'cmp-3'), undefined),
        ),
        'transient',
        'migration-failed',
      );
    });

    it('a migration that lands elsewhere than planned fails for good (migration-misplaced)', async () => {
      const { cloud, ctx } = lab();
      await cloud.vim.migrate('vm-1', { mode: 'live', target: 'cmp-2' }); // someone else's move
      const step = move('vm-1', 'cmp-1', 'cmp-3');
      const error = expectAdapterError(
        await rejection(migrate.run(ctx(), step, undefined)),
        'permanent',
        'migration-misplaced',
      );
      expect(error.message).toBe('vm-1 landed on cmp-2, not on the planned cmp-3');
      expect(await migrate.isDone(ctx(), step, undefined)).toBe(false);
    });

    it('stops following when the step is cancelled', async () => {
      const { clock, ctx } = lab();
      const abort = new AbortController();
      void clock.sleep(1000).then(() => abort.abort(new Error('cancelled')));
      const error = await rejection(
        migrate.run(ctx({ signal: abort.signal }), move('vm-1', 'cmp-1', 'cmp-3'), undefined),
      );
      expect(error).toBeInstanceOf(Error);
    });
  });
});
