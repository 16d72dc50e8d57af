/**
 * Who the local CLI user is to the authorizer.
 * @module
 */
import type { Principal } from '../ports/authorizer.js';
import type { EscalatorConfig } from './types.js';

/**
 * The local CLI user as a principal for the authorizer: `local:<operator.id>` (the OS user name unless
 * escalator.yaml sets one) with `operator.roles` (default `[admin]`), authenticated `via: 'local'`. Every
 * command the CLI runs is authorized and audited (journaled) as this principal.
 *
 * @example
 * ```ts
 * const config = await loadConfig('escalator.yaml');
 * const operator = operatorOf(config); // { id: 'local:ana', roles: ['admin'], via: 'local' }
 * await engine.pause(operator, 'maintenance window over');
 * ```
 */
export function operatorOf(config: EscalatorConfig): Principal {
  return { id: `local:${config.operator.id}`, roles: [...config.operator.roles], via: 'local' };
}
