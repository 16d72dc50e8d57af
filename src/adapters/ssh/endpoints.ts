/**
 * Where the SSH adapters find a node: from the inventory's `access` blocks.
 * @module
 */
import { AdapterError } from '../../errors.js';
import type { Inventory } from '../../model/inventory.js';
import type { NodeEndpoint } from '../../ports/transport.js';

/**
 * Builds the `endpoints` function of {@link createSshNodeAgent} and {@link "escalator/libvirt"!createVirshHypervisor | createVirshHypervisor} from an
 * inventory: each node's `access { address, port, user, credentialsRef }`. A node without `access` (or
 * not in the inventory) makes the call fail with a permanent {@link AdapterError} (`ssh-no-access`).
 *
 * @example
 * ```ts
 * const nodes = createSshNodeAgent({ transport, endpoints: inventoryEndpoints(inventory) });
 * ```
 */
export function inventoryEndpoints(inventory: Inventory): (node: string) => NodeEndpoint {
  const byName = new Map(inventory.nodes.map((n) => [n.name, n]));
  return (node) => {
    const access = byName.get(node)?.access;
    if (!access)
      throw new AdapterError(
        `node ${node} has no access block in the inventory; add access: { address, user, credentialsRef }`,
        { kind: 'permanent', reason: 'ssh-no-access' },
      );
    return {
      node,
      address: access.address,
      port: access.port,
      user: access.user,
      ...(access.credentialsRef === undefined ? {} : { credentialsRef: access.credentialsRef }),
    };
  };
}
