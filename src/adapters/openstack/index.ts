/**
 * `escalator/openstack`: the OpenStack adapter. A Keystone v3 session (password or application
 * credential, token renewal, catalog, token validation), the {@link escalator!Vim | Vim} over Nova (microversions
 * 2.56 to 2.93), Placement, Neutron and Cinder, and an importer that reads a live cloud into an
 * escalator/v1 Inventory. It speaks HTTP through an injectable `HttpTransport` and needs no SDK.
 *
 * @example
 * ```ts
 * import { createKeystoneSession, createOpenStackVim, importInventory } from 'escalator/openstack';
 * const session = createKeystoneSession({ authUrl, credentials: { password: { username, password, projectName } } });
 * const inventory = await importInventory(session, { name: 'lab-1' });
 * const vim = createOpenStackVim({ session, instances: inventory.instances });
 * ```
 * @module escalator/openstack
 */

export { type NodeHttpTransportOptions, nodeHttpTransport } from '../http/node-transport.js';
export {
  type CinderClient,
  type CinderClientOptions,
  type CinderService,
  createCinderClient,
} from './cinder.js';
export {
  createJsonClient,
  describeUrl,
  errorDetail,
  httpError,
  type JsonClient,
  type JsonClientOptions,
  type JsonRequest,
  type JsonResponse,
  parseRetryAfter,
  requestIdOf,
} from './http.js';
export { type ImportInventoryOptions, importInventory } from './import-inventory.js';
export {
  type ApplicationCredentials,
  type CatalogEndpoint,
  type CatalogService,
  createKeystoneSession,
  type EndpointInterface,
  type EndpointOptions,
  type KeystoneAuth,
  type KeystoneCredentials,
  type KeystoneSession,
  type KeystoneSessionOptions,
  type KeystoneTokenInfo,
  type KeystoneTokenVerifierOptions,
  keystoneTokenVerifier,
  type PasswordCredentials,
} from './keystone.js';
export {
  createNeutronClient,
  type NeutronAgent,
  type NeutronClient,
  type NeutronClientOptions,
} from './neutron.js';
export {
  compareMicroversions,
  createNovaVim,
  mapMigrationStatus,
  NOVA_MAX_MICROVERSION,
  NOVA_MIN_MICROVERSION,
  type NovaComputeService,
  type NovaHypervisorInfo,
  type NovaMigration,
  type NovaServer,
  type NovaServerGroup,
  type NovaVim,
  type NovaVimOptions,
  PLACEMENT_CAPACITY_MICROVERSION,
  type ServerFilters,
} from './nova.js';
export {
  createPlacementClient,
  type PlacementClient,
  type PlacementClientOptions,
  type PlacementInventory,
  type ProviderCapacity,
  type ResourceProvider,
} from './placement.js';
export { createOpenStackVim, type OpenStackVim, type OpenStackVimOptions } from './vim.js';
