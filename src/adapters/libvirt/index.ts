/**
 * The libvirt adapter: the {@link Hypervisor} port answered by `virsh` on each compute node, over a
 * {@link CommandTransport} (see `escalator/ssh`).
 *
 * @example
 * ```ts
 * import { createVirshHypervisor } from 'escalator/libvirt';
 * import { createOpenSshTransport, inventoryEndpoints } from 'escalator/ssh';
 * const hypervisor = createVirshHypervisor({
 *   transport: createOpenSshTransport({ knownHostsFile }),
 *   endpoints: inventoryEndpoints(inventory),
 * });
 * ```
 * @module
 */
export { createVirshHypervisor, type VirshHypervisorOptions } from './virsh-hypervisor.js';
