/** The instances family (stop-instances, start-instances, check-empty) against the simulated cloud. */
import { describe, expect, it } from 'vitest';
import { checkEmpty, startInstances, stopInstances } from '../../src/engine/steps/instances.js';
import type { SimulatedCloud } from '../../src/simulator/cloud.js';
import { expectAdapterError, lab, rejection, stepOf } from './harness.js';

async function statuses(cloud: SimulatedCloud, host: string): Promise<Record<string, string>> {
  return Object.fromEntries((await cloud.vim.listInstances(host)).map((i) => [i.name, i.status]));
}

describe('stop-instances', () => {
  it('stops the instances that stay; undo starts them again', async () => {
    const { cloud, ctx } = lab();
    const step = stepOf('stop-instances', { node: 'cmp-1', instances: ['vm-1', 'vm-2'] });
    expect(await stopInstances.isDone(ctx(), step, undefined)).toBe(false);
    await stopInstances.run(ctx(), step, undefined);
    expect(await statuses(cloud, 'cmp-1')).toEqual({ 'vm-1': 'SHUTOFF', 'vm-2': 'SHUTOFF' });
    // After a crash, the VIM's word settles it: every one of them is shut off.
    expect(await stopInstances.isDone(ctx(), step, undefined)).toBe(true);
    await stopInstances.undo(ctx(), step);
    expect(await statuses(cloud, 'cmp-1')).toEqual({ 'vm-1': 'ACTIVE', 'vm-2': 'ACTIVE' });
  });
});

describe('start-instances', () => {
  it('starts the instances stopped before; undo leaves them running', async () => {
    const { cloud, ctx } = lab();
    await cloud.vim.stopInstance('vm-1');
    const step = stepOf('start-instances', { node: 'cmp-1', instances: ['vm-1'] });
    expect(await startInstances.isDone(ctx(), step, undefined)).toBe(false);
    await startInstances.run(ctx(), step, undefined);
    expect((await statuses(cloud, 'cmp-1'))['vm-1']).toBe('ACTIVE');
    expect(await startInstances.isDone(ctx(), step, undefined)).toBe(true);
    await startInstances.undo(ctx(), step);
    expect((await statuses(cloud, 'cmp-1'))['vm-1']).toBe('ACTIVE');
  });
});

describe('check-empty', () => {
  it('passes when only the instances allowed to stay are left', async () => {
    const { ctx } = lab();
    const step = stepOf('check-empty', { node: 'cmp-1', instances: ['vm-1', 'vm-2'] });
    expect(await checkEmpty.run(ctx(), step, undefined)).toBeUndefined();
    expect(await checkEmpty.isDone(ctx(), step, undefined)).toBe(false); // a check: looked at again
    await checkEmpty.undo(ctx(), step); // nothing to undo
  });

  it('fails for good when an instance that should have left is still there (node-not-empty)', async () => {
    const { ctx } = lab();
    const step = stepOf('check-empty', { node: 'cmp-1', instances: ['vm-1'] });
    const error = expectAdapterError(
      await rejection(checkEmpty.run(ctx(), step, undefined)),
      'permanent',
      'node-not-empty',
    );
    expect(error.message).toBe('cmp-1 still hosts vm-2, which should have left');
    const none = stepOf('check-empty', { node: 'cmp-1', instances: [] });
    expect(((await rejection(checkEmpty.run(ctx(), none, undefined))) as Error).message).toBe(
      'cmp-1 still hosts vm-1, vm-2, which should have left',
    );
  });

  it('passes on a node emptied by migrations', async () => {
    const { cloud, ctx } = lab();
    for (const vm of ['vm-1', 'vm-2']) {
      await cloud.vim.migrate(vm, { mode: 'live', target: 'cmp-3' });
      while ((await cloud.vim.migrationStatus(vm)).status !== 'completed') await cloud.vim.listAlarms();
    }
    await checkEmpty.run(ctx(), stepOf('check-empty', { node: 'cmp-1', instances: [] }), undefined);
  });
});
