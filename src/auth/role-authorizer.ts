/**
 * An {@link Authorizer} from a table of roles to the actions they allow.
 * @module
 */
import { ErrorCode, EscalatorError } from '../errors.js';
import {
  ACTIONS,
  type Action,
  type AuthorizationDecision,
  type Authorizer,
  type Principal,
} from '../ports/authorizer.js';
import { didYouMean } from '../util/did-you-mean.js';

/**
 * The built-in policy: `viewer` reads; `operator` also creates, starts, pauses, resumes, approves and
 * answers maintenance notices; `admin` may do everything, including skip, abort, rollback, restore and
 * commit.
 */
export const DEFAULT_ROLES: Readonly<Record<string, readonly Action[]>> = Object.freeze({
  viewer: Object.freeze(['read'] as const),
  operator: Object.freeze(['read', 'create', 'start', 'pause', 'resume', 'approve', 'notify'] as const),
  admin: Object.freeze([...ACTIONS]),
});

/** Options of {@link createRoleAuthorizer}. */
export interface RoleAuthorizerOptions {
  /**
   * The whole policy: role name to the actions it allows. Replaces the built-in one; to extend it,
   * spread {@link DEFAULT_ROLES}.
   * @defaultValue {@link DEFAULT_ROLES}
   * @example `{ ...DEFAULT_ROLES, approver: ['read', 'approve'] }`
   */
  readonly roles?: Readonly<Record<string, readonly Action[]>> | undefined;
}

/**
 * Creates an {@link Authorizer} that allows an action when any of the principal's roles allows it
 * (several roles give the union). Every decision says which role allowed it, or why none did, e.g.
 * `role "viewer" does not allow "rollback"`. The policy is the same for every campaign.
 *
 * @example
 * ```ts
 * const authorizer = createRoleAuthorizer();
 * await authorizer.authorize({ id: 'ana', roles: ['operator'] }, 'pause', 'upgrade-2026-11');
 * // { allowed: true, reason: 'role "operator" allows "pause"' }
 * ```
 */
export function createRoleAuthorizer(options: RoleAuthorizerOptions = {}): Authorizer {
  const table = new Map<string, ReadonlySet<Action>>();
  for (const [role, actions] of Object.entries(options.roles ?? DEFAULT_ROLES)) {
    if (!Array.isArray(actions))
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        `roles.${role} must be a list of actions, e.g. ['read']`,
      );
    for (const action of actions)
      if (!(ACTIONS as readonly string[]).includes(action))
        throw new EscalatorError(
          ErrorCode.InvalidOption,
          `roles.${role}: "${action}" is not an action${didYouMean(String(action), ACTIONS)} (actions: ${ACTIONS.join(', ')})`,
        );
    table.set(role, new Set(actions));
  }
  return {
    async authorize(principal: Principal, action: Action, _campaign: string): Promise<AuthorizationDecision> {
      const roles = principal.roles ?? [];
      if (roles.length === 0) return { allowed: false, reason: `principal "${principal.id}" has no roles` };
      const refusals: string[] = [];
      for (const role of roles) {
        const allowed = table.get(role);
        if (allowed === undefined) refusals.push(`role "${role}" is not defined`);
        else if (allowed.has(action)) return { allowed: true, reason: `role "${role}" allows "${action}"` };
        else refusals.push(`role "${role}" does not allow "${action}"`);
      }
      return { allowed: false, reason: refusals.join('; ') };
    },
  };
}
