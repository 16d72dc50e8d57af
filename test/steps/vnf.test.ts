/** The VNF family (notify-vnf, notify-vnf-done) against the simulated cloud's VNF manager. */
import { describe, expect, it } from 'vitest';
import { notifyVnf, notifyVnfDone } from '../../src/engine/steps/vnf.js';
import type { MaintenanceNotice, MaintenanceReply, VnfManager } from '../../src/ports/vnf-manager.js';
import { expectAdapterError, lab, rejection, stepOf } from './harness.js';

const notify = () =>
  stepOf('notify-vnf', { id: 'w0.notify.vnf-a', vnf: 'vnf-a', instances: ['vm-1'], expectedSeconds: 60 });

describe('notify-vnf', () => {
  it('asks the manager and goes ahead on its ack; asked again after a crash; nothing to undo', async () => {
    const { cloud, ctx, adapters } = lab();
    const seen: MaintenanceNotice[] = [];
    const vnfm: VnfManager = {
      ...cloud.vnfm,
      notifyMaintenance: (n, o) => {
        seen.push(n);
        return cloud.vnfm.notifyMaintenance(n, o);
      },
    };
    const step = notify();
    expect(await notifyVnf.run(ctx({ adapters: { ...adapters, vnfm } }), step, undefined)).toBeUndefined();
    expect(seen).toEqual([
      {
        id: 'camp-1/w0.notify.vnf-a',
        vnf: 'vnf-a',
        instances: ['vm-1'],
        leadTimeSeconds: 60,
        reason: 'upgrade campaign camp-1',
      },
    ]);
    expect(await notifyVnf.isDone(ctx(), step, undefined)).toBe(false);
    await notifyVnf.undo(ctx(), step);
  });

  it('fails for good when the manager refuses (vnf-nack)', async () => {
    const { ctx } = lab({ faults: [{ kind: 'vnfm-nack', vnf: 'vnf-a' }] });
    const error = expectAdapterError(
      await rejection(notifyVnf.run(ctx(), notify(), undefined)),
      'permanent',
      'vnf-nack',
    );
    expect(error.message).toBe('the manager of VNF vnf-a refused the maintenance');
  });

  it('fails for good when the manager does not answer within the lead time (vnf-timeout)', async () => {
    const { clock, ctx } = lab({ faults: [{ kind: 'vnfm-silent', vnf: 'vnf-a' }] });
    const start = clock.now();
    const error = expectAdapterError(
      await rejection(notifyVnf.run(ctx(), notify(), undefined)),
      'permanent',
      'vnf-timeout',
    );
    expect(error.message).toBe('the manager of VNF vnf-a did not answer within 60 s');
    expect(clock.now() - start).toBe(60_000);
  });

  it('takes the answer that comes first through engine.notify, and stops waiting for the adapter', async () => {
    const { clock, ctx } = lab({ faults: [{ kind: 'vnfm-silent', vnf: 'vnf-a' }] });
    const asked: string[] = [];
    const awaitReply = async (id: string): Promise<MaintenanceReply> => {
      asked.push(id);
      await clock.sleep(5_000);
      return 'ack';
    };
    const start = clock.now();
    await notifyVnf.run(ctx({ awaitReply }), notify(), undefined);
    expect(asked).toEqual(['camp-1/w0.notify.vnf-a']);
    expect(clock.now() - start).toBe(5_000);
    expect(clock.pending).toBe(0); // the adapter's wait was cancelled

    const nack = async (): Promise<MaintenanceReply> => 'nack';
    expectAdapterError(
      await rejection(notifyVnf.run(ctx({ awaitReply: nack }), notify(), undefined)),
      'permanent',
      'vnf-nack',
    );
  });

  it('goes ahead at once without a VNF manager', async () => {
    const { clock, ctx, adapters } = lab({ faults: [{ kind: 'vnfm-silent', vnf: 'vnf-a' }] });
    const start = clock.now();
    await notifyVnf.run(ctx({ adapters: { vim: adapters.vim, nodes: adapters.nodes } }), notify(), undefined);
    expect(clock.now()).toBe(start);
  });

  it('stops waiting when the step is cancelled', async () => {
    const { clock, ctx } = lab({ faults: [{ kind: 'vnfm-silent', vnf: 'vnf-a' }] });
    const abort = new AbortController();
    void clock.sleep(1_000).then(() => abort.abort(new Error('cancelled')));
    expect(
      ((await rejection(notifyVnf.run(ctx({ signal: abort.signal }), notify(), undefined))) as Error).message,
    ).toBe('cancelled');
  });
});

describe('notify-vnf-done', () => {
  it('tells the manager the maintenance of the instances is over', async () => {
    const { cloud, ctx, adapters } = lab();
    const seen: MaintenanceNotice[] = [];
    const vnfm: VnfManager = {
      ...cloud.vnfm,
      notifyDone: (n, o) => {
        seen.push(n);
        return cloud.vnfm.notifyDone(n, o);
      },
    };
    const step = stepOf('notify-vnf-done', {
      id: 'w0.notify-done.vnf-a',
      vnf: 'vnf-a',
      instances: ['vm-1'],
      expectedSeconds: 5,
    });
    await notifyVnfDone.run(ctx({ adapters: { ...adapters, vnfm } }), step, undefined);
    expect(seen).toEqual([
      {
        id: 'camp-1/w0.notify-done.vnf-a',
        vnf: 'vnf-a',
        instances: ['vm-1'],
        leadTimeSeconds: 5,
        reason: 'upgrade campaign camp-1',
      },
    ]);
    expect(await notifyVnfDone.isDone(ctx(), step, undefined)).toBe(false);
    await notifyVnfDone.undo(ctx(), step);
    // Without a manager there is no one to tell.
    await notifyVnfDone.run(ctx({ adapters: { vim: adapters.vim, nodes: adapters.nodes } }), step, undefined);
  });
});
