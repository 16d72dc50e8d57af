import { resolveCatalog } from '../../src/catalog/catalog.js';
import { createVirtualClock, type VirtualClock } from '../../src/clock/virtual-clock.js';
import type { StepContext } from '../../src/engine/steps/index.js';
import type { Catalog } from '../../src/model/component.js';
import { type Inventory, InventorySchema } from '../../src/model/inventory.js';
import { type StepInput, type StepKind, type StepOf, StepSchema } from '../../src/model/plan.js';
import type { Adapters } from '../../src/ports/adapters.js';
import type { MaintenanceReply } from '../../src/ports/vnf-manager.js';
import { createSimulatedCloud, type SimulatedCloud } from '../../src/simulator/cloud.js';
import type { Fault } from '../../src/simulator/faults.js';

export const OLD = { 'nova-compute': '26.2.2', libvirt: '9.0.0' } as const;
export const NEW = { 'nova-compute': '27.1.0', libvirt: '10.0.0' } as const;

const compute = (name: string, vimName?: string) => ({
  name,
  roles: ['compute'],
  ...(vimName ? { vimName } : {}),
  capacity: { vcpus: 16, memoryMiB: 65536, diskGiB: 500 },
  software: { ...OLD },
});

/** The test cloud's inventory. */
export const INVENTORY: Inventory = InventorySchema.parse({
  apiVersion: 'escalator/v1',
  kind: 'Inventory',
  metadata: { name: 'steps-lab' },
  nodes: [
    { name: 'ctl-1', roles: ['controller'], software: { keystone: '22.0.0' } },
    compute('cmp-1', 'cmp-1.lab'),
    compute('cmp-2'),
    compute('cmp-3'),
  ],
  serverGroups: [{ name: 'sg', policy: 'anti-affinity' }],
  vnfs: [{ name: 'vnf-a', minAvailable: 1, maintenance: { notify: true, leadTimeSeconds: 60 } }],
  instances: [
    { name: 'vm-1', host: 'cmp-1', resources: { vcpus: 2, memoryMiB: 4096, diskGiB: 20 }, vnf: 'vnf-a' },
    {
      name: 'vm-2',
      host: 'cmp-1',
      resources: { vcpus: 2, memoryMiB: 4096, diskGiB: 20 },
      serverGroup: 'sg',
      migration: 'cold',
    },
    { name: 'vm-3', host: 'cmp-2', resources: { vcpus: 2, memoryMiB: 4096, diskGiB: 20 }, serverGroup: 'sg' },
  ],
});

/** A simulated cloud and a context for handlers on it. */
export interface Lab {
  readonly clock: VirtualClock;
  readonly cloud: SimulatedCloud;
  readonly catalog: Catalog;
  readonly adapters: Adapters;
  /** A context on the cloud; `overrides` replace its fields. */
  ctx(overrides?: Partial<StepContext>): StepContext;
}

/** A fresh simulated cloud on an auto-advancing virtual clock. */
export function lab(options: { faults?: readonly Fault[] } = {}): Lab {
  const clock = createVirtualClock({ autoAdvance: true });
  const catalog = resolveCatalog();
  const cloud = createSimulatedCloud(INVENTORY, { clock, catalog, seed: 7, faults: options.faults });
  const adapters: Adapters = {
    vim: cloud.vim,
    nodes: cloud.nodes,
    hypervisor: cloud.hypervisor,
    vnfm: cloud.vnfm,
  };
  return {
    clock,
    cloud,
    catalog,
    adapters,
    ctx: (overrides = {}) => ({
      campaignId: 'camp-1',
      adapters,
      inventory: INVENTORY,
      catalog,
      clock,
      pollMs: 2000,
      signal: new AbortController().signal,
      backups: [],
      // Nothing journaled by other steps unless a test says otherwise.
      journaled: () => undefined,
      // No reply through engine.notify unless a test says otherwise: wait until the step is done.
      awaitReply: (_id: string, signal: AbortSignal) =>
        new Promise<MaintenanceReply>((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        ),
      ...overrides,
    }),
  };
}

/** A step of `kind` with `fields`, parsed by the plan's schema (so the tests use only valid steps). */
export function stepOf<K extends StepKind>(
  kind: K,
  fields: Omit<
    Extract<StepInput, { kind: K }>,
    'kind' | 'id' | 'expectedSeconds' | 'timeoutSeconds' | 'verify'
  > & {
    id?: string;
    expectedSeconds?: number;
  },
): StepOf<K> {
  return StepSchema.parse({
    id: `w0.${kind}`,
    kind,
    expectedSeconds: 10,
    timeoutSeconds: 60,
    verify: 'checked',
    ...fields,
  }) as StepOf<K>;
}

export { expectAdapterError, rejection } from '../support/rejections.js';

/** Where an instance is now, as the VIM reports it. */
export async function hostOf(cloud: SimulatedCloud, instance: string): Promise<string> {
  return (await cloud.vim.migrationStatus(instance)).host;
}

/** The compute service status of a VIM host. */
export async function serviceOf(cloud: SimulatedCloud, host: string): Promise<string | undefined> {
  return (await cloud.vim.listComputeServices()).find((s) => s.host === host)?.status;
}
