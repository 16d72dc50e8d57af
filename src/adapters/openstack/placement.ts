/**
 * The Placement client: resource providers, their inventories (total, reserved, allocation ratio)
 * and usages. Nova's hypervisor API stopped reporting capacity at microversion 2.88; Placement is
 * where the scheduler counts, so it is the better source anyway.
 *
 * Requests carry no microversion header, so Placement answers as 1.0: every call used here exists in
 * 1.0, which every Placement has.
 * @module
 */
import type { CallOptions } from '../../ports/common.js';
import { join, query } from './internal.js';
import type { KeystoneSession } from './keystone.js';

/** A resource provider (a compute node's provider has the node's UUID and hypervisor host name). */
export interface ResourceProvider {
  readonly uuid: string;
  readonly name: string;
}

/** One resource class of a provider's inventory. */
export interface PlacementInventory {
  readonly total: number;
  readonly reserved: number;
  readonly allocationRatio: number;
}

/** A provider's capacity in Escalator's terms. */
export interface ProviderCapacity {
  /** VCPU total minus reserved (physical, before the allocation ratio). */
  readonly vcpus?: number | undefined;
  /** MEMORY_MB total minus reserved. */
  readonly memoryMiB?: number | undefined;
  /** DISK_GB total minus reserved. */
  readonly diskGiB?: number | undefined;
  readonly vcpusUsed: number;
  readonly memoryMiBUsed: number;
  readonly diskGiBUsed: number;
  /** Allocation ratios of VCPU, MEMORY_MB and DISK_GB, where the provider has them. */
  readonly allocationRatios: {
    readonly cpu?: number | undefined;
    readonly memory?: number | undefined;
    readonly disk?: number | undefined;
  };
  /** Every resource class, as Placement reports it. */
  readonly inventories: Readonly<Record<string, PlacementInventory>>;
}

/** The Placement calls the adapter needs. */
export interface PlacementClient {
  listResourceProviders(
    options?: CallOptions & { readonly name?: string | undefined },
  ): Promise<readonly ResourceProvider[]>;
  /** The provider's capacity and usage; `undefined` when Placement does not know the provider. */
  capacity(uuid: string, options?: CallOptions): Promise<ProviderCapacity | undefined>;
}

/** Options of {@link createPlacementClient}. */
export interface PlacementClientOptions {
  readonly session: KeystoneSession;
  /**
   * The catalog's service type.
   * @defaultValue 'placement'
   */
  readonly serviceType?: string | undefined;
}

interface RawInventory {
  total?: number;
  reserved?: number;
  allocation_ratio?: number;
}

/**
 * Creates a {@link PlacementClient}.
 *
 * @example
 * ```ts
 * const placement = createPlacementClient({ session });
 * const [hypervisor] = await createNovaVim({ session }).listHypervisors();
 * const cap = hypervisor && (await placement.capacity(hypervisor.id)); // compute node UUID = provider UUID
 * ```
 */
export function createPlacementClient(options: PlacementClientOptions): PlacementClient {
  const { session } = options;
  const serviceType = options.serviceType ?? 'placement';
  const get = async <T>(path: string, signal: AbortSignal | undefined, accept?: number[]) => {
    const base = await session.endpoint(serviceType, { signal });
    return session.request<T>({ url: join(base, path), signal, accept, service: 'placement' });
  };
  return {
    async listResourceProviders(o = {}) {
      const { body } = await get<{ resource_providers?: { uuid?: string; name?: string }[] }>(
        `/resource_providers${query({ name: o.name })}`,
        o.signal,
      );
      return (body?.resource_providers ?? [])
        .filter((p) => typeof p.uuid === 'string')
        .map((p) => ({ uuid: p.uuid!, name: p.name ?? p.uuid! }));
    },
    async capacity(uuid, o = {}) {
      const path = `/resource_providers/${encodeURIComponent(uuid)}`;
      const inv = await get<{ inventories?: Record<string, RawInventory> }>(
        `${path}/inventories`,
        o.signal,
        [404],
      );
      if (inv.status === 404) return undefined;
      const use = await get<{ usages?: Record<string, number> }>(`${path}/usages`, o.signal, [404]);
      if (use.status === 404) return undefined;
      const inventories: Record<string, PlacementInventory> = {};
      for (const [rc, raw] of Object.entries(inv.body?.inventories ?? {}))
        inventories[rc] = {
          total: raw.total ?? 0,
          reserved: raw.reserved ?? 0,
          allocationRatio: raw.allocation_ratio ?? 1,
        };
      const usages = use.body?.usages ?? {};
      const usable = (rc: string) => {
        const i = inventories[rc];
        return i === undefined ? undefined : Math.max(0, i.total - i.reserved);
      };
      return {
        vcpus: usable('VCPU'),
        memoryMiB: usable('MEMORY_MB'),
        diskGiB: usable('DISK_GB'),
        vcpusUsed: usages['VCPU'] ?? 0,
        memoryMiBUsed: usages['MEMORY_MB'] ?? 0,
        diskGiBUsed: usages['DISK_GB'] ?? 0,
        allocationRatios: {
          cpu: inventories['VCPU']?.allocationRatio,
          memory: inventories['MEMORY_MB']?.allocationRatio,
          disk: inventories['DISK_GB']?.allocationRatio,
        },
        inventories,
      };
    },
  };
}
