/**
 * Authentication and authorization: a role-based authorizer with a built-in policy, static
 * bearer tokens, and a cache that keeps operators signed in while the identity service is upgraded.
 * @module
 */
export { createRoleAuthorizer, DEFAULT_ROLES, type RoleAuthorizerOptions } from './role-authorizer.js';
export {
  cacheVerifiedPrincipals,
  createStaticTokenVerifier,
  hashToken,
  loadStaticTokens,
  type PrincipalCacheOptions,
  type StaticTokenEntry,
  type TokenVerifier,
} from './tokens.js';
