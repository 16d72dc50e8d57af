/**
 * The InventoryOverlay (`escalator import --merge`): parsed with positioned errors like every document,
 * merged by name over an imported inventory, and the merged inventory checked as a loaded one is.
 */
import { describe, expect, it } from 'vitest';
import { DocumentError, type Inventory, parseInventory } from '../src/index.js';
import { mergeInventory, parseInventoryOverlay } from '../src/loader/load.js';

/** What `importInventory` gives: computes and servers only. */
const imported: Inventory = parseInventory(`
apiVersion: escalator/v1
kind: Inventory
metadata: { name: openstack }
nodes:
  - { name: cmp-1, roles: [compute], capacity: { vcpus: 8, memoryMiB: 16384, diskGiB: 100 }, software: { nova-compute: 26.2.2 } }
  - { name: cmp-2, roles: [compute], capacity: { vcpus: 8, memoryMiB: 16384, diskGiB: 100 }, software: { nova-compute: 26.2.2 } }
instances:
  - { name: fw-1, host: cmp-1, serverGroup: fw-sg }
  - { name: fw-2, host: cmp-2, serverGroup: fw-sg }
serverGroups:
  - { name: fw-sg, policy: anti-affinity }
`);

const overlayText = `apiVersion: escalator/v1
kind: InventoryOverlay
metadata: { name: lab-1 }
nodes:
  - { name: ctl-1, roles: [controller], software: { mariadb: 10.11.6 } }
  - { name: ctl-2, roles: [controller], software: { mariadb: 10.11.6 } }
  - { name: cmp-1, site: site-a, software: { kernel: 6.1.0-18 } }
clusters:
  - { name: galera, members: [ctl-1, ctl-2], minAvailable: 1 }
instances:
  - { name: fw-1, vnf: vFW }
  - { name: fw-2, vnf: vFW }
  - { name: gone-9, vnf: vFW }
serverGroups:
  - { name: fw-sg, maxImpacted: 1, recoverySeconds: 60 }
vnfs:
  - { name: vFW, minAvailable: 1 }
`;

describe('InventoryOverlay', () => {
  it('merges by name: fields given replace, software merges key by key, new objects are added', () => {
    const { inventory, report } = mergeInventory(imported, parseInventoryOverlay(overlayText));
    expect(inventory.metadata.name).toBe('lab-1');
    expect(inventory.nodes.map((n) => n.name)).toEqual(['cmp-1', 'cmp-2', 'ctl-1', 'ctl-2']);
    expect(inventory.nodes[0]).toMatchObject({
      site: 'site-a',
      roles: ['compute'],
      software: { 'nova-compute': '26.2.2', kernel: '6.1.0-18' },
    });
    expect(inventory.nodes[2]).toMatchObject({ roles: ['controller'], state: 'up' }); // defaults filled in
    expect(inventory.clusters).toEqual([{ name: 'galera', members: ['ctl-1', 'ctl-2'], minAvailable: 1 }]);
    expect(inventory.instances.map((i) => i.vnf)).toEqual(['vFW', 'vFW']);
    expect(inventory.serverGroups[0]).toEqual({
      name: 'fw-sg',
      policy: 'anti-affinity',
      maxImpacted: 1,
      recoverySeconds: 60,
    });
    expect(report.added).toEqual(['node ctl-1', 'node ctl-2', 'cluster galera', 'VNF vFW']);
    expect(report.changed).toContain('node cmp-1');
    expect(report.unmatched).toEqual(['instance gone-9']);
  });

  it('reports a bad overlay at file:line:column with the field', () => {
    const bad = overlayText.replace(
      'minAvailable: 1 }\ninstances',
      'minAvailable: 1, quorum: 2 }\ninstances',
    );
    try {
      parseInventoryOverlay(bad, { file: 'overlay.yaml' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DocumentError);
      expect(String((error as Error).message)).toMatch(/overlay\.yaml:9:\d+ clusters\[0\]\.quorum/);
    }
    expect(() => parseInventoryOverlay('apiVersion: escalator/v1\nkind: Inventory\n')).toThrow(
      /kind.*expected "InventoryOverlay"/,
    );
  });

  it('checks the merged inventory: a new node needs roles, a cluster its members', () => {
    const noRoles = parseInventoryOverlay(
      'apiVersion: escalator/v1\nkind: InventoryOverlay\nnodes:\n  - { name: net-1 }\n',
    );
    expect(() => mergeInventory(imported, noRoles, 'imported + overlay.yaml')).toThrow(
      /imported \+ overlay\.yaml nodes\[2\]\.roles: expected a list of roles/,
    );
    const strayMember = parseInventoryOverlay(
      'apiVersion: escalator/v1\nkind: InventoryOverlay\nclusters:\n  - { name: c, members: [ctl-9], minAvailable: 1 }\n',
    );
    expect(() => mergeInventory(imported, strayMember)).toThrow(/ctl-9/);
  });
});
