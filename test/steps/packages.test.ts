/** The packages family (backup, upgrade-packages, verify-services) against the simulated cloud. */
import { describe, expect, it } from 'vitest';
import { backup, upgradePackages, verifyServices } from '../../src/engine/steps/packages.js';
import type { BackupRequest, NodeAgent } from '../../src/ports/node-agent.js';
import { expectAdapterError, lab, NEW, OLD, rejection, stepOf } from './harness.js';

const upgrade = () =>
  stepOf('upgrade-packages', {
    id: 'w0.cmp-2.upgrade-packages',
    node: 'cmp-2',
    software: NEW,
    previous: OLD,
  });
const verify = () =>
  stepOf('verify-services', { id: 'w0.cmp-2.verify-services', node: 'cmp-2', software: NEW });

describe('backup', () => {
  it("saves the catalog's files and databases of the components with their versions; done once recorded", async () => {
    const { cloud, ctx, adapters } = lab();
    const requests: BackupRequest[] = [];
    const nodes: NodeAgent = {
      ...cloud.nodes,
      backup: (node, request, o) => {
        requests.push(request);
        return cloud.nodes.backup(node, request, o);
      },
    };
    const step = stepOf('backup', { id: 'w0.cmp-2.backup', node: 'cmp-2', software: OLD });
    expect(await backup.isDone(ctx(), step, undefined)).toBe(false);
    const result = await backup.run(ctx({ adapters: { ...adapters, nodes } }), step, undefined);
    expect(requests).toEqual([
      { label: 'w0.cmp-2.backup', software: OLD, files: ['/etc/nova', '/etc/libvirt'], databases: [] },
    ]);
    expect(result?.backup).toMatchObject({ node: 'cmp-2', label: 'w0.cmp-2.backup', software: OLD });
    const saved = result?.backup;
    if (!saved) throw new Error('no backup');
    expect(await backup.isDone(ctx({ backups: [saved] }), step, undefined)).toBe(true);
    await backup.undo(ctx(), step); // kept: a restore needs it
  });
});

describe('upgrade-packages', () => {
  it('installs the target versions and restarts their services; undo installs the previous ones', async () => {
    const { cloud, ctx } = lab();
    const step = upgrade();
    expect(await upgradePackages.isDone(ctx(), step, undefined)).toBe(false);
    expect(await upgradePackages.run(ctx(), step, undefined)).toBeUndefined();
    expect(await cloud.nodes.installedVersions('cmp-2', Object.keys(NEW))).toEqual(NEW);
    expect(await upgradePackages.isDone(ctx(), step, undefined)).toBe(true);
    expect((await cloud.nodes.health('cmp-2', ['nova-compute', 'libvirtd'])).ok).toBe(true);

    await upgradePackages.undo(ctx(), step);
    expect(await cloud.nodes.installedVersions('cmp-2', Object.keys(OLD))).toEqual(OLD);
    expect(await upgradePackages.isDone(ctx(), step, undefined)).toBe(false);
    expect(upgradePackages.describe?.(step)).toBe('install nova-compute 27.1.0, libvirt 10.0.0 on cmp-2');
  });

  it('journals the versions found before; a run after a crash between install and restart only restarts', async () => {
    const { cloud, ctx, adapters } = lab();
    const step = upgrade();
    expect(await upgradePackages.prepare?.(ctx(), step)).toEqual({
      'before:nova-compute': OLD['nova-compute'],
      'before:libvirt': OLD.libvirt,
    });
    let installs = 0;
    let restarts = 0;
    const nodes: NodeAgent = {
      ...cloud.nodes,
      installVersions: (node, software, o) => {
        installs++;
        return cloud.nodes.installVersions(node, software, o);
      },
      restartServices: (node, services, o) => {
        restarts++;
        return cloud.nodes.restartServices(node, services, o);
      },
    };
    const counted = () => ctx({ adapters: { ...adapters, nodes } });
    // The process that died had installed the packages (its restart may not have followed).
    await cloud.nodes.installVersions('cmp-2', NEW);
    await upgradePackages.run(counted(), step, undefined);
    expect({ installs, restarts }).toEqual({ installs: 0, restarts: 1 });
    expect(await upgradePackages.isDone(counted(), step, undefined)).toBe(true);
  });

  it('fails as the node agent says: for good, or transiently', async () => {
    const forGood = lab({ faults: [{ kind: 'upgrade-fails', node: 'cmp-2', transient: false }] });
    expectAdapterError(
      await rejection(upgradePackages.run(forGood.ctx(), upgrade(), undefined)),
      'permanent',
      'exit-100',
    );
    const passing = lab({ faults: [{ kind: 'upgrade-fails', node: 'cmp-2', transient: true }] });
    expectAdapterError(
      await rejection(upgradePackages.run(passing.ctx(), upgrade(), undefined)),
      'transient',
      'exit-100',
    );
    await upgradePackages.run(passing.ctx(), upgrade(), undefined); // the fault struck once
  });
});

describe('verify-services', () => {
  it('fails transiently until the node reports the target versions, then passes', async () => {
    const { ctx } = lab();
    const error = expectAdapterError(
      await rejection(verifyServices.run(ctx(), verify(), undefined)),
      'transient',
      'versions-differ',
    );
    expect(error.message).toBe('cmp-2 does not report the target versions yet');
    await upgradePackages.run(ctx(), upgrade(), undefined);
    expect(await verifyServices.run(ctx(), verify(), undefined)).toBeUndefined();
    expect(await verifyServices.isDone(ctx(), verify(), undefined)).toBe(false);
    await verifyServices.undo(ctx(), verify());
  });

  it('fails transiently while services are not active (services-down), naming them', async () => {
    const { ctx } = lab({ faults: [{ kind: 'service-no-start', node: 'cmp-2' }] });
    await upgradePackages.run(ctx(), upgrade(), undefined);
    const error = expectAdapterError(
      await rejection(verifyServices.run(ctx(), verify(), undefined)),
      'transient',
      'services-down',
    );
    expect(error.message).toBe('services not active on cmp-2: nova-compute, libvirtd');
  });
});
