/** The node-power family (reboot, wait-node) against the simulated cloud. */
import { describe, expect, it } from 'vitest';
import { reboot, waitNode } from '../../src/engine/steps/node-power.js';
import { lab, rejection, stepOf } from './harness.js';

describe('reboot', () => {
  it('journals the boot id first; done once the node went away or came back with another boot id', async () => {
    const { cloud, ctx } = lab();
    const step = stepOf('reboot', { node: 'cmp-2' });
    const data = await reboot.prepare?.(ctx(), step);
    expect(data).toEqual({ bootId: await cloud.nodes.bootId('cmp-2') });
    expect(await reboot.isDone(ctx(), step, data)).toBe(false);
    expect(await reboot.isDone(ctx(), step, undefined)).toBe(false); // nothing journaled: run it

    expect(await reboot.run(ctx(), step, data)).toBeUndefined();
    expect(await reboot.isDone(ctx(), step, data)).toBe(true); // away: the reboot was accepted
    await waitNode.run(ctx(), stepOf('wait-node', { node: 'cmp-2' }), undefined);
    expect(await cloud.nodes.bootId('cmp-2')).not.toBe(data?.bootId);
    expect(await reboot.isDone(ctx(), step, data)).toBe(true); // back with a new boot id
    await reboot.undo(ctx(), step);
  });
});

describe('wait-node', () => {
  it('returns at once for a node that is up, and when a rebooted node answers again', async () => {
    const { clock, cloud, ctx } = lab();
    const step = stepOf('wait-node', { node: 'cmp-2' });
    let start = clock.now();
    await waitNode.run(ctx(), step, undefined);
    expect(clock.now()).toBe(start);

    await cloud.nodes.reboot('cmp-2');
    start = clock.now();
    await waitNode.run(ctx(), step, undefined);
    expect(clock.now() - start).toBeGreaterThanOrEqual(100_000); // reboots take 150 s ± 20%
    expect(await waitNode.isDone(ctx(), step, undefined)).toBe(false);
    await waitNode.undo(ctx(), step);
  });

  it('waits for a node that does not come back until the step is cancelled', async () => {
    const { clock, cloud, ctx } = lab({ faults: [{ kind: 'node-no-return', node: 'cmp-2' }] });
    await cloud.nodes.reboot('cmp-2');
    const abort = new AbortController();
    void clock.sleep(3_600_000).then(() => abort.abort(new Error('timed out')));
    const error = await rejection(
      waitNode.run(ctx({ signal: abort.signal }), stepOf('wait-node', { node: 'cmp-2' }), undefined),
    );
    expect((error as Error).message).toBe('timed out');
  });
});
