/** The `Authorizer` port: who may do what to a campaign. Every mutating engine call goes through it. */

/** Actions on a campaign. `read` covers status, plan, journal and events. */
export const ACTIONS = [
  'read',
  'create',
  'start',
  'pause',
  'resume',
  'approve',
  'skip',
  'abort',
  'rollback',
  'restore',
  'commit',
  'notify',
] as const;
/** See {@link ACTIONS}. */
export type Action = (typeof ACTIONS)[number];

/** Who asks. Built by the host (or a token verifier) after authentication. */
export interface Principal {
  /** A stable id: a user name, a Keystone user id, a service name. */
  readonly id: string;
  /** Roles, e.g. `admin`, `operator`, `viewer`. */
  readonly roles: readonly string[];
  /** How the principal was authenticated (`static-token`, `keystone`, `local`), for the audit trail. */
  readonly via?: string | undefined;
}

/** The answer of an authorizer. */
export interface AuthorizationDecision {
  readonly allowed: boolean;
  /** Why, for the audit trail and the error message. */
  readonly reason: string;
}

/** Decides whether a principal may perform an action on a campaign. */
export interface Authorizer {
  authorize(principal: Principal, action: Action, campaign: string): Promise<AuthorizationDecision>;
}
