/**
 * The Neutron client: network agents (`GET /v2.0/agents`) as {@link ServiceStatus}.
 * @module
 */
import type { CallOptions } from '../../ports/common.js';
import type { ServiceStatus } from '../../ports/vim.js';
import { join } from './internal.js';
import type { KeystoneSession } from './keystone.js';

/** Options of {@link createNeutronClient}. */
export interface NeutronClientOptions {
  readonly session: KeystoneSession;
  /**
   * The catalog's service type.
   * @defaultValue 'network'
   */
  readonly serviceType?: string | undefined;
}

/** A network agent with the fields beyond {@link ServiceStatus} that Neutron gives. */
export interface NeutronAgent extends ServiceStatus {
  readonly id: string;
  /** E.g. `Open vSwitch agent`, `DHCP agent`, `OVN Controller agent`. */
  readonly agentType?: string | undefined;
  readonly availabilityZone?: string | undefined;
}

/** The Neutron calls the adapter needs. */
export interface NeutronClient {
  /**
   * Every agent: `state` from `alive`, `enabled` from `admin_state_up`. Resolves to `[]` when the
   * catalog has no network service or Neutron runs without the `agent` extension (404): there are then
   * no agents to watch.
   */
  listNetworkAgents(options?: CallOptions): Promise<readonly NeutronAgent[]>;
}

interface RawAgent {
  id?: string;
  binary?: string;
  host?: string;
  alive?: boolean;
  admin_state_up?: boolean;
  agent_type?: string;
  availability_zone?: string | null;
}

/**
 * Creates a {@link NeutronClient}.
 *
 * @example
 * ```ts
 * const down = (await createNeutronClient({ session }).listNetworkAgents()).filter((a) => a.state === 'down');
 * ```
 */
export function createNeutronClient(options: NeutronClientOptions): NeutronClient {
  const { session } = options;
  const serviceType = options.serviceType ?? 'network';
  return {
    async listNetworkAgents(o = {}) {
      const base = await session.findEndpoint(serviceType, { signal: o.signal });
      if (base === undefined) return [];
      const api = /\/v2\.0$/.test(base) ? base : join(base, 'v2.0');
      const response = await session.request<{ agents?: RawAgent[] }>({
        url: join(api, 'agents'),
        signal: o.signal,
        accept: [404],
        service: 'neutron',
      });
      if (response.status === 404) return [];
      return (response.body?.agents ?? []).map((a) => ({
        id: a.id ?? '',
        binary: a.binary ?? a.agent_type ?? 'unknown',
        host: a.host ?? '',
        state: a.alive === false ? 'down' : 'up',
        enabled: a.admin_state_up !== false,
        agentType: a.agent_type,
        availabilityZone: a.availability_zone ?? undefined,
      }));
    },
  };
}
