/** The compute-service family (disable-compute, enable-compute) against the simulated cloud. */
import { describe, expect, it } from 'vitest';
import { disableCompute, enableCompute } from '../../src/engine/steps/compute-service.js';
import { expectAdapterError, lab, rejection, serviceOf, stepOf } from './harness.js';

describe('disable-compute', () => {
  it('disables the node under its VIM name, with a reason naming the step; undo enables it', async () => {
    const { cloud, ctx } = lab();
    const step = stepOf('disable-compute', { node: 'cmp-1' });
    expect(await disableCompute.isDone(ctx(), step, undefined)).toBe(false);
    expect(await disableCompute.run(ctx(), step, undefined)).toBeUndefined();
    const service = (await cloud.vim.listComputeServices()).find((s) => s.host === 'cmp-1.lab');
    expect(service).toMatchObject({
      status: 'disabled',
      disabledReason: 'escalator camp-1: w0.disable-compute',
    });
    expect(await disableCompute.isDone(ctx(), step, undefined)).toBe(true);

    await disableCompute.undo(ctx(), step);
    expect(await serviceOf(cloud, 'cmp-1.lab')).toBe('enabled');
    expect(await disableCompute.isDone(ctx(), step, undefined)).toBe(false);
    expect(disableCompute.describe?.(step)).toBe('disable the compute service of cmp-1');
  });
});

describe('enable-compute', () => {
  it('enables the node; undo disables it again with a rollback reason', async () => {
    const { cloud, ctx } = lab();
    const step = stepOf('enable-compute', { node: 'cmp-2' });
    await cloud.vim.disableComputeService('cmp-2', 'someone');
    expect(await enableCompute.isDone(ctx(), step, undefined)).toBe(false);
    await enableCompute.run(ctx(), step, undefined);
    expect(await serviceOf(cloud, 'cmp-2')).toBe('enabled');
    expect(await enableCompute.isDone(ctx(), step, undefined)).toBe(true);

    await enableCompute.undo(ctx(), step);
    const service = (await cloud.vim.listComputeServices()).find((s) => s.host === 'cmp-2');
    expect(service).toMatchObject({ status: 'disabled', disabledReason: 'escalator camp-1: rollback' });
    expect(await enableCompute.isDone(ctx(), step, undefined)).toBe(false);
  });

  it('waits for the hypervisor: a node that is not back fails transiently (hypervisor-not-ready)', async () => {
    const { cloud, ctx } = lab({ faults: [{ kind: 'node-no-return', node: 'cmp-2' }] });
    const step = stepOf('enable-compute', { node: 'cmp-2' });
    await cloud.vim.disableComputeService('cmp-2', 'upgrade');
    await cloud.nodes.reboot('cmp-2');
    const error = expectAdapterError(
      await rejection(enableCompute.run(ctx(), step, undefined)),
      'transient',
      'hypervisor-not-ready',
    );
    expect(error.message).toBe('the hypervisor of cmp-2 is not ready');
    expect(await serviceOf(cloud, 'cmp-2')).toBe('disabled');
  });

  it('without a hypervisor adapter, enables at once', async () => {
    const { cloud, ctx, adapters } = lab({ faults: [{ kind: 'node-no-return', node: 'cmp-2' }] });
    await cloud.vim.disableComputeService('cmp-2', 'upgrade');
    await cloud.nodes.reboot('cmp-2');
    const step = stepOf('enable-compute', { node: 'cmp-2' });
    await enableCompute.run(ctx({ adapters: { vim: adapters.vim, nodes: adapters.nodes } }), step, undefined);
    expect(await serviceOf(cloud, 'cmp-2')).toBe('enabled');
  });
});
