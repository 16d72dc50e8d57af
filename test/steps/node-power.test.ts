/** The node-power family (reboot, wait-node) against the simulated cloud. */
import { describe, expect, it } from 'vitest';
import type { StepData } from '../../src/engine/steps/index.js';
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

  it('journals the boot id the reboot journaled, and waits for another one: not for the first answer', async () => {
    const { clock, cloud, ctx } = lab();
    const rebootStep = stepOf('reboot', { id: 'w0.cmp-2.reboot', node: 'cmp-2' });
    const step = stepOf('wait-node', { id: 'w0.cmp-2.wait-node', node: 'cmp-2' });
    const before = (await reboot.prepare?.(ctx(), rebootStep)) as StepData;
    // What the journal holds for the wave's reboot of the node, as a resumed process reads it.
    const journaled = ctx({
      journaled: (s, kind) => (s.node === 'cmp-2' && kind === 'reboot' ? before : undefined),
    });
    const data = await waitNode.prepare?.(journaled, step);
    expect(data).toEqual({ since: before.bootId });
    expect(await waitNode.isDone(journaled, step, data)).toBe(false); // not rebooted yet

    // A node whose reboot was accepted but that still answers on its old boot (a resumed process
    // asking at once, or a reboot delayed by systemd-run): the wait goes on until the new boot answers.
    let back = false;
    void clock.sleep(30_000).then(async () => {
      await cloud.nodes.reboot('cmp-2');
      void waitNode.run(ctx(), step, undefined).then(() => (back = true));
    });
    const start = clock.now();
    await waitNode.run(journaled, step, data);
    expect(clock.now() - start).toBeGreaterThanOrEqual(30_000 + 100_000); // the delay, then the reboot
    expect(await cloud.nodes.bootId('cmp-2')).not.toBe(before.bootId);
    expect(await waitNode.isDone(journaled, step, data)).toBe(true);
    expect(await waitNode.isDone(ctx(), step, data)).toBe(true); // its own journaled data
    await clock.sleep(10_000);
    expect(back).toBe(true);
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
