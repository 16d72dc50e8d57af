/**
 * SSH adapters: run Escalator's node work over the system OpenSSH client.
 *
 * - {@link createOpenSshTransport}: a {@link escalator!CommandTransport | CommandTransport} on `ssh` (argv, no local shell; host keys
 *   checked; one reused connection per node; timeouts and cancellation that kill the remote command).
 * - {@link createSshNodeAgent}: the {@link escalator!NodeAgent | NodeAgent} over any transport (apt/dnf, systemd, backups).
 * - {@link inventoryEndpoints}: where each node is, from the inventory's `access` blocks.
 * - {@link shellQuote}, {@link shellCommand}: the POSIX quoting every argument goes through.
 *
 * @example
 * ```ts
 * import { createOpenSshTransport, createSshNodeAgent, inventoryEndpoints } from 'escalator/ssh';
 * const transport = createOpenSshTransport({
 *   knownHostsFile: '/etc/escalator/known_hosts',
 *   resolveIdentity: (ref) => `/etc/escalator/keys/${ref}`,
 * });
 * const nodes = createSshNodeAgent({ transport, endpoints: inventoryEndpoints(inventory), catalog });
 * // ... run the campaign with { adapters: { vim, nodes } }, then:
 * await transport.close();
 * ```
 * @module escalator/ssh
 */
export { inventoryEndpoints } from './endpoints.js';
export {
  createSshNodeAgent,
  type ResolvedVersion,
  type SshNodeAgent,
  type SshNodeAgentCommands,
  type SshNodeAgentOptions,
  type VersionCheck,
  type VersionsCheck,
} from './node-agent.js';
export {
  createOpenSshTransport,
  type OpenSshTransport,
  type OpenSshTransportOptions,
} from './openssh-transport.js';
export { shellCommand, shellQuote } from './quote.js';
