/**
 * The SSH node agent's options from escalator.yaml's `nodes` block (seconds there, milliseconds in the
 * agent's options).
 * @module
 */
import type { SshNodeAgentOptions } from '../adapters/ssh/node-agent.js';
import type { EscalatorConfig } from './types.js';

/** The options of `createSshNodeAgent` that escalator.yaml sets: all but `transport` and `endpoints`. */
export type ConfiguredNodeAgentOptions = Omit<SshNodeAgentOptions, 'transport' | 'endpoints'>;

const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : Math.round(seconds * 1000));

/**
 * `createSshNodeAgent`'s options from the `nodes` block and `ssh.sudo`; what the file leaves out keeps
 * the agent's default (the catalog's packages, `/var/backups/escalator`, 30 min per install...).
 *
 * @example
 * ```ts
 * import { createOpenSshTransport, createSshNodeAgent, inventoryEndpoints } from 'escalator/ssh';
 * const config = await loadConfig('escalator.yaml');
 * const agent = createSshNodeAgent({
 *   ...nodeAgentOptionsOf(config),
 *   transport: createOpenSshTransport(),
 *   endpoints: inventoryEndpoints(inventory),
 * });
 * ```
 */
export function nodeAgentOptionsOf(config: EscalatorConfig): ConfiguredNodeAgentOptions {
  const n = config.nodes;
  const packages = n.packages;
  const options: ConfiguredNodeAgentOptions = {
    sudo: config.ssh.sudo,
    packageManager: n.packageManager,
    // A component the file does not list keeps the agent's default (catalog, else its own name).
    packages: packages === undefined ? undefined : (component) => packages[component],
    updateIndex: n.updateIndex,
    backupRoot: n.backupDirectory,
    mysqlArgs: n.mysqlArgs,
    commands: n.commands,
    commandTimeoutMs: ms(n.commandTimeoutSeconds),
    probeTimeoutMs: ms(n.probeTimeoutSeconds),
    waitReady:
      n.waitReady === undefined
        ? undefined
        : {
            initialDelayMs: ms(n.waitReady.firstPollSeconds),
            maxDelayMs: ms(n.waitReady.maxPollSeconds),
            timeoutMs: ms(n.waitReady.timeoutSeconds),
          },
  };
  return Object.fromEntries(
    Object.entries(options).filter(([, v]) => v !== undefined),
  ) as ConfiguredNodeAgentOptions;
}
