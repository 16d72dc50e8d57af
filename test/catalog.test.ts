/** The component catalog: the built-in entries, overrides, dependency order and cycles. */
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_CATALOG,
  type Catalog,
  type ComponentOverride,
  DependencyCycleError,
  DocumentError,
  dependencyDepths,
  dependencyGraph,
  EscalatorError,
  resolveCatalog,
} from '../src/index.js';

/** The components the product relies on (docs, planner rules and examples name them). */
const REQUIRED = [
  'keystone',
  'glance',
  'placement',
  'nova-api',
  'nova-conductor',
  'nova-scheduler',
  'nova-compute',
  'neutron-server',
  'neutron-l3-agent',
  'neutron-dhcp-agent',
  'neutron-openvswitch-agent',
  'openvswitch',
  'cinder-api',
  'cinder-volume',
  'mariadb',
  'rabbitmq-server',
  'ceph-mon',
  'ceph-osd',
  'libvirt',
  'qemu',
  'kernel',
] as const;

/** A complete new component, for overrides that add one. */
const fresh = (dependsOn: string[] = []): ComponentOverride => ({
  roles: ['compute'],
  disruption: 'service-restart',
  expectedSeconds: 30,
  dependsOn,
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

describe('the built-in catalog', () => {
  const catalog = resolveCatalog();

  it('resolves without overrides', () => {
    expect(Object.keys(catalog).sort()).toEqual(Object.keys(BUILTIN_CATALOG).sort());
  });

  it.each(REQUIRED)('has %s', (name) => {
    expect(catalog[name]).toBeDefined();
    expect(catalog[name]?.roles.length).toBeGreaterThan(0);
    expect(catalog[name]?.expectedSeconds).toBeGreaterThan(0);
  });

  it('is acyclic: every dependency is strictly shallower than its dependant', () => {
    const depths = dependencyDepths(catalog);
    expect(depths.size).toBe(Object.keys(catalog).length);
    for (const [name, component] of Object.entries(catalog))
      for (const dep of component.dependsOn) {
        expect(catalog[dep], `${name} depends on unknown ${dep}`).toBeDefined();
        expect(depths.get(dep) ?? Number.NaN, `${dep} before ${name}`).toBeLessThan(
          depths.get(name) ?? Number.NaN,
        );
      }
  });

  it.each([
    ['keystone', 'nova-api'],
    ['mariadb', 'keystone'],
    ['nova-conductor', 'nova-compute'],
    ['nova-api', 'nova-conductor'],
    ['ceph-mon', 'ceph-osd'],
    ['neutron-server', 'neutron-openvswitch-agent'],
    ['libvirt', 'qemu'],
  ])('upgrades %s before %s', (before, after) => {
    const depths = dependencyDepths(catalog);
    expect(depths.get(before)).toBeLessThan(depths.get(after) ?? -1);
  });

  it('gives the documented depths to the roots and to nova-compute', () => {
    const depths = dependencyDepths(catalog);
    for (const root of ['mariadb', 'rabbitmq-server', 'ceph-mon', 'libvirt', 'kernel', 'openvswitch'])
      expect(depths.get(root), root).toBe(0);
    // mariadb 0 -> keystone 1 -> placement 2 -> nova-api 3 -> nova-conductor 4 -> nova-scheduler 5 -> nova-compute 6
    expect(depths.get('nova-compute')).toBe(6);
  });

  it('has an edge from each dependency to its dependant in the graph', () => {
    const graph = dependencyGraph(catalog);
    expect(graph.nodeCount()).toBe(Object.keys(catalog).length);
    expect(graph.hasEdge('keystone', 'nova-api')).toBe(true);
    expect(graph.hasEdge('nova-api', 'keystone')).toBe(false);
    expect(graph.predecessors('ceph-osd')).toEqual(['ceph-mon']);
  });

  it('fills in the defaults of entries that leave them out', () => {
    expect(BUILTIN_CATALOG['kernel']?.dependsOn).toBeUndefined();
    expect(catalog['kernel']).toMatchObject({
      dependsOn: [],
      rolling: true,
      controlPlane: false,
      services: [],
    });
    expect(catalog['qemu']?.services).toEqual([]);
  });

  it('marks the disruptive components as such', () => {
    expect(catalog['kernel']?.disruption).toBe('reboot');
    expect(catalog['qemu']?.disruption).toBe('evacuate');
    expect(catalog['openvswitch']?.disruption).toBe('evacuate');
    expect(catalog['nova-api']?.disruption).toBe('service-restart');
  });
});

describe('overrides', () => {
  it('replace only the fields they give', () => {
    const catalog = resolveCatalog({ kernel: { expectedSeconds: 600 } });
    const builtin = resolveCatalog()['kernel'];
    expect(catalog['kernel']).toEqual({ ...builtin, expectedSeconds: 600 });
    expect(catalog['kernel']?.disruption).toBe('reboot');
    expect(catalog['kernel']?.packages).toEqual(['linux-image-amd64']);
  });

  it('replace a list or object field as a whole', () => {
    const catalog = resolveCatalog({
      'nova-compute': {
        dependsOn: ['nova-conductor'],
        backup: { files: ['/etc/nova/nova.conf'], databases: [] },
      },
    });
    expect(catalog['nova-compute']?.dependsOn).toEqual(['nova-conductor']);
    expect(catalog['nova-compute']?.backup).toEqual({ files: ['/etc/nova/nova.conf'], databases: [] });
    expect(catalog['nova-compute']?.services).toEqual(['nova-compute']);
  });

  it('ignore fields given as undefined', () => {
    const catalog = resolveCatalog({
      kernel: { expectedSeconds: undefined, rolling: false } as ComponentOverride,
    });
    expect(catalog['kernel']?.expectedSeconds).toBe(420);
    expect(catalog['kernel']?.rolling).toBe(false);
  });

  it('do not change the built-in catalog', () => {
    resolveCatalog({ kernel: { expectedSeconds: 1, packages: ['other'] } });
    expect(BUILTIN_CATALOG['kernel']?.expectedSeconds).toBe(420);
    expect(resolveCatalog()['kernel']?.packages).toEqual(['linux-image-amd64']);
  });

  it('can change the dependency order', () => {
    const catalog = resolveCatalog({ kernel: { dependsOn: ['nova-compute'] } });
    expect(dependencyDepths(catalog).get('kernel')).toBe(7);
  });

  it('add a new component, with defaults filled in', () => {
    const catalog = resolveCatalog({ 'sriov-agent': fresh(['neutron-server']) });
    expect(catalog['sriov-agent']).toEqual({
      roles: ['compute'],
      dependsOn: ['neutron-server'],
      disruption: 'service-restart',
      rolling: true,
      expectedSeconds: 30,
      packages: [],
      services: [],
      controlPlane: false,
      backup: { files: [], databases: [] },
    });
    const depths = dependencyDepths(catalog);
    expect(depths.get('sriov-agent')).toBe((depths.get('neutron-server') ?? Number.NaN) + 1);
    expect(Object.keys(catalog)).toHaveLength(Object.keys(BUILTIN_CATALOG).length + 1);
  });

  it('refuse a new component without its required fields, saying what it needs', () => {
    const error = thrown(() => resolveCatalog({ 'sriov-agent': { roles: ['compute'] } }));
    expect(error).toBeInstanceOf(DocumentError);
    const doc = error as DocumentError;
    expect(doc.code).toBe('ESC_INVALID_DOCUMENT');
    expect(doc.file).toBe('components');
    expect(doc.issues.map((i) => [i.code, i.path])).toEqual([
      ['catalog-entry', ['sriov-agent', 'disruption']],
      ['catalog-entry', ['sriov-agent', 'expectedSeconds']],
    ]);
    for (const issue of doc.issues)
      expect(issue.message).toMatch(/\(a new component must give roles, disruption and expectedSeconds\)$/);
  });

  it('refuse an invalid value in an override of a built-in component, without the new-component hint', () => {
    const error = thrown(() =>
      resolveCatalog({ kernel: { disruption: 'explode' } as unknown as ComponentOverride }),
    );
    expect((error as DocumentError).issues).toEqual([
      {
        code: 'catalog-entry',
        path: ['kernel', 'disruption'],
        message: 'expected one of none, service-restart, evacuate, reboot',
      },
    ]);
  });

  it('refuse a dependency on an unknown component, with a suggestion', () => {
    const error = thrown(() =>
      resolveCatalog({ qemu: { dependsOn: ['libvirtd'] } }, 'campaign.yaml components'),
    );
    expect(error).toBeInstanceOf(DocumentError);
    expect((error as DocumentError).file).toBe('campaign.yaml components');
    expect((error as DocumentError).issues).toEqual([
      {
        code: 'unknown-reference',
        path: ['qemu', 'dependsOn', 0],
        message: 'unknown component "libvirtd"; did you mean "libvirt"?',
      },
    ]);
  });

  it('refuse names that would collide with Object.prototype, and leave it untouched', () => {
    const error = thrown(() =>
      resolveCatalog({ constructor: fresh(), kernel: { dependsOn: ['__proto__'] } }),
    );
    expect((error as DocumentError).issues).toEqual([
      { code: 'catalog-entry', path: ['constructor'], message: '"constructor" cannot be a component name' },
      {
        code: 'unknown-reference',
        path: ['kernel', 'dependsOn', 0],
        message: 'unknown component "__proto__"',
      },
    ]);
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>)['kernel']).toBeUndefined();
  });
});

describe('dependency cycles', () => {
  const cycle = (overrides: Record<string, ComponentOverride>): DependencyCycleError => {
    const error = thrown(() => resolveCatalog(overrides));
    expect(error).toBeInstanceOf(DependencyCycleError);
    expect(EscalatorError.is(error)).toBe(true);
    expect((error as DependencyCycleError).code).toBe('ESC_DEPENDENCY_CYCLE');
    return error as DependencyCycleError;
  };

  it('reports a -> b -> c -> a in order, in the cycle and the message', () => {
    // b depends on a, c on b, a on c: a must go before b, b before c, c before a.
    const error = cycle({ a: fresh(['c']), b: fresh(['a']), c: fresh(['b']) });
    expect(error.cycle).toEqual(['a', 'b', 'c', 'a']);
    expect(error.message).toBe('component dependencies form a cycle: a -> b -> c -> a');
  });

  it('reports a component that depends on itself', () => {
    const error = cycle({ loop: fresh(['loop']) });
    expect(error.cycle).toEqual(['loop', 'loop']);
    expect(error.message).toBe('component dependencies form a cycle: loop -> loop');
  });

  it('reports a cycle made through built-in components', () => {
    const error = cycle({ 'ceph-mon': { dependsOn: ['ceph-osd'] } });
    expect(error.cycle).toEqual(['ceph-mon', 'ceph-osd', 'ceph-mon']);
  });

  it('names only the components on the cycle, not those hanging off it', () => {
    const error = cycle({ a: fresh(['b']), b: fresh(['a']), c: fresh(['a']), d: fresh(['c']) });
    expect(error.cycle).toEqual(['a', 'b', 'a']);
  });

  it('leaves dependencyDepths to throw on a cyclic catalog it is handed directly', () => {
    const catalog = resolveCatalog({ a: fresh(), b: fresh(['a']) });
    const cyclic: Catalog = { ...catalog, a: { ...(catalog['a'] as Catalog[string]), dependsOn: ['b'] } };
    expect(() => dependencyDepths(cyclic)).toThrow();
  });
});
