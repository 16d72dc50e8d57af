/**
 * The VNF managers of escalator.yaml as the options of the HTTP VNF manager adapter.
 * @module
 */
import type { HttpVnfManagerOptions } from '../adapters/vnfm/http-vnf-manager.js';
import { type DocumentIssue, EscalatorError } from '../errors.js';
import { configError, configIssue } from './positions.js';
import { resolveSecret } from './secrets.js';
import { matchesGlob } from './ssh.js';
import type { ConfigEnvironment, ConfigFileAccess, EscalatorConfig } from './types.js';

/**
 * Resolves `vnfManagers` into the `endpointOf` and `headers` options of `createHttpVnfManager`, tokens
 * read now (so that a missing one fails before a campaign starts). A VNF is served by the entry that names
 * it, else by the first whose `vnf` is a glob matching it (`*` for all); `endpointOf` answers `undefined` for a VNF
 * no entry serves, so a host may fall back on the inventory (`inventoryVnfmEndpoints`). A token goes in
 * the entry's `header`: `Authorization: Bearer <token>`, or the token alone in any other header.
 *
 * @param env - @defaultValue `process.env`
 * @param files - @defaultValue the real file system
 * @throws {@link DocumentError} naming each token that cannot be read, at its line of escalator.yaml.
 * @example
 * ```ts
 * import { createHttpVnfManager, inventoryVnfmEndpoints } from 'escalator/vnfm';
 * const config = await loadConfig('escalator.yaml');
 * const { endpointOf, headers } = await resolveVnfManagers(config);
 * const fromInventory = inventoryVnfmEndpoints(inventory);
 * const vnfm = createHttpVnfManager({ endpointOf: (vnf) => endpointOf(vnf) ?? fromInventory(vnf), headers });
 * ```
 */
export async function resolveVnfManagers(
  config: EscalatorConfig,
  env: ConfigEnvironment = process.env,
  files: ConfigFileAccess = {},
): Promise<Required<Pick<HttpVnfManagerOptions, 'endpointOf'>> & Pick<HttpVnfManagerOptions, 'headers'>> {
  const problems: DocumentIssue[] = [];
  const managers = await Promise.all(
    config.vnfManagers.map(async (manager, i) => {
      let headers: Readonly<Record<string, string>> | undefined;
      if (manager.token !== undefined)
        try {
          const token = await resolveSecret(manager.token, env, files);
          const header = manager.header;
          headers = { [header]: header.toLowerCase() === 'authorization' ? `Bearer ${token}` : token };
        } catch (error) {
          if (!EscalatorError.is(error)) throw error;
          problems.push(
            configIssue(config, ['vnfManagers', i, 'token'], 'secret-unavailable', error.message),
          );
        }
      return { vnf: manager.vnf, endpoint: manager.endpoint, headers };
    }),
  );
  if (problems.length > 0) throw configError(config, problems);
  const find = (vnf: string) =>
    managers.find((m) => m.vnf === vnf) ?? managers.find((m) => matchesGlob(vnf, m.vnf));
  return {
    endpointOf: (vnf) => find(vnf)?.endpoint,
    headers: (vnf) => find(vnf)?.headers,
  };
}
