/**
 * The VNF-manager adapter: Doctor/Fenix-style maintenance notices over HTTP ({@link createHttpVnfManager}),
 * on Node's fetch by default ({@link fetchTransport}) or any {@link escalator!HttpTransport | HttpTransport} the host supplies.
 *
 * @example
 * ```ts
 * import { createHttpVnfManager, inventoryVnfmEndpoints } from 'escalator/vnfm';
 * const vnfm = createHttpVnfManager({ endpointOf: inventoryVnfmEndpoints(inventory), pollSeconds: 5 });
 * ```
 * @module escalator/vnfm
 */
export { type FetchTransportOptions, fetchTransport } from '../http/fetch-transport.js';
export {
  createHttpVnfManager,
  type HttpVnfManagerOptions,
  inventoryVnfmEndpoints,
  type MaintenanceCompleteBody,
  type MaintenanceRequestBody,
} from './http-vnf-manager.js';
