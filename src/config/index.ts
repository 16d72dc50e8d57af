/**
 * `escalator.yaml`, Escalator's configuration file: its schema ({@link EscalatorConfigSchema}), loading
 * with positioned errors ({@link loadConfig}, {@link parseConfig}), and what the CLI builds adapters
 * from: the OpenStack credentials ({@link resolveOpenStackAuth}, clouds.yaml and `OS_*` as openstacksdk
 * reads them), each node's SSH settings ({@link sshSettingsFor}) and node agent ({@link nodeAgentOptionsOf}), the VNF managers
 * ({@link resolveVnfManagers}), the engine's policies ({@link enginePolicyOf}), the local operator
 * ({@link operatorOf}); secrets only by reference ({@link resolveSecret}), and a printable form
 * ({@link describeConfig}).
 *
 * @example
 * ```ts
 * const config = await loadConfig('escalator.yaml');
 * if (config.backend === 'openstack') {
 *   const { keystone, source } = await resolveOpenStackAuth(config);
 *   console.log(`Keystone ${keystone.authUrl}, credentials from ${source}`);
 * }
 * ```
 * @module
 */
export { describeConfig } from './describe.js';
export { type ConfigParseOptions, loadConfig, parseConfig } from './load.js';
export { type ConfiguredNodeAgentOptions, nodeAgentOptionsOf } from './node-agent.js';
export { type OpenStackAuth, resolveOpenStackAuth } from './openstack-auth.js';
export { operatorOf } from './operator.js';
export { enginePolicyOf } from './policy.js';
export { resolveSecret } from './secrets.js';
export { type SshNodeSettings, sshSettingsFor } from './ssh.js';
export type { ConfigEnvironment, ConfigFileAccess, EscalatorConfig } from './types.js';
export { resolveVnfManagers } from './vnf-managers.js';
