/**
 * The libvirt adapter: the {@link escalator!Hypervisor | Hypervisor} port answered by `virsh` on each compute node, over a
 * {@link escalator!CommandTransport | CommandTransport} (see `escalator/ssh`).
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
 * @module escalator/libvirt
 */
export { createVirshHypervisor, type VirshHypervisorOptions } from './virsh-hypervisor.js';
