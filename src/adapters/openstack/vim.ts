/**
 * The OpenStack {@link Vim}: Nova (with Placement for capacity), Neutron's agents and Cinder's
 * services behind the one port the engine calls.
 * @module
 */
import { ErrorCode, EscalatorError } from '../../errors.js';
import type { Vim } from '../../ports/vim.js';
import { type CinderClient, createCinderClient } from './cinder.js';
import { createKeystoneSession, type KeystoneSession, type KeystoneSessionOptions } from './keystone.js';
import { createNeutronClient, type NeutronClient } from './neutron.js';
import { createNovaVim, type NovaVim, type NovaVimOptions } from './nova.js';
import { createPlacementClient, type PlacementClient } from './placement.js';

/** Options of {@link createOpenStackVim}: a session (or what makes one) and Nova's options. */
export interface OpenStackVimOptions extends Omit<NovaVimOptions, 'session'> {
  /** An existing session. Give this or `keystone`. */
  readonly session?: KeystoneSession | undefined;
  /** Options to create the session with. Give this or `session`. */
  readonly keystone?: KeystoneSessionOptions | undefined;
  /** @defaultValue a client on the session */
  readonly neutron?: NeutronClient | undefined;
  /** @defaultValue a client on the session */
  readonly cinder?: CinderClient | undefined;
}

/** The OpenStack {@link Vim}, with its parts for hosts that need more than the port. */
export interface OpenStackVim extends Vim {
  readonly session: KeystoneSession;
  readonly nova: NovaVim;
  readonly placement: PlacementClient;
  readonly neutron: NeutronClient;
  readonly cinder: CinderClient;
}

/**
 * Creates the OpenStack {@link Vim}. Alarms: Nova, Neutron and Cinder have no alarm API, so
 * `listAlarms` reports what Nova knows to be wrong, compute services down or forced down, as critical
 * alarms; a host with Aodh, Prometheus or another monitor wraps this Vim and adds its own alarms.
 *
 * @example
 * ```ts
 * const vim = createOpenStackVim({
 *   keystone: {
 *     authUrl: 'http://controller:5000/v3',
 *     credentials: { applicationCredential: { id: process.env.OS_APPLICATION_CREDENTIAL_ID!, secret } },
 *   },
 *   instances: inventory.instances, // inventory names → Nova ids
 * });
 * const engine = createEngine({ adapters: { vim, nodes }, store, authorizer: createRoleAuthorizer(), clock: systemClock });
 * ```
 */
export function createOpenStackVim(options: OpenStackVimOptions): OpenStackVim {
  if ((options?.session === undefined) === (options?.keystone === undefined))
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'give exactly one of session (a KeystoneSession) or keystone ({ authUrl, credentials, region? })',
    );
  const { session: given, keystone, neutron: n, cinder: c, ...rest } = options;
  const session = given ?? createKeystoneSession(keystone!);
  const placement = rest.placement ?? createPlacementClient({ session });
  const nova = createNovaVim({ ...rest, session, placement });
  const neutron = n ?? createNeutronClient({ session });
  const cinder = c ?? createCinderClient({ session });
  return {
    session,
    nova,
    placement,
    neutron,
    cinder,
    listComputeServices: (o) => nova.listComputeServices(o),
    disableComputeService: (host, reason, o) => nova.disableComputeService(host, reason, o),
    enableComputeService: (host, o) => nova.enableComputeService(host, o),
    listHypervisors: (o) => nova.listHypervisors(o),
    listInstances: (host, o) => nova.listInstances(host, o),
    migrate: (instance, request, o) => nova.migrate(instance, request, o),
    migrationStatus: (instance, o) => nova.migrationStatus(instance, o),
    abortMigration: (instance, o) => nova.abortMigration(instance, o),
    stopInstance: (instance, o) => nova.stopInstance(instance, o),
    startInstance: (instance, o) => nova.startInstance(instance, o),
    listServerGroups: (o) => nova.listServerGroups(o),
    listNetworkAgents: (o) => neutron.listNetworkAgents(o),
    listVolumeServices: (o) => cinder.listVolumeServices(o),
    listAlarms: (o) => nova.listAlarms(o),
  };
}
