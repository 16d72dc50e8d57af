/**
 * `escalator/http`: the REST API and service mode. A {@link createCampaignService} manages many
 * campaigns (one engine each) over a state store; {@link createHttpHandler} serves it as JSON under
 * `/v1` with bearer tokens, RFC 9457 problems and Server-Sent Events, mountable in any `node:http`
 * server; {@link openApiDocument} describes it; {@link closeGracefully} shuts it down.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createFileStore, createRoleAuthorizer, createStaticTokenVerifier, loadStaticTokens } from 'escalator';
 * import { closeGracefully, createCampaignService, createHttpHandler } from 'escalator/http';
 *
 * const service = createCampaignService({
 *   store: createFileStore({ directory: '/var/lib/escalator' }),
 *   authorizer: createRoleAuthorizer(),
 *   adapters: (inventory) => ({ vim, nodes }),
 * });
 * const verifier = createStaticTokenVerifier(await loadStaticTokens('tokens.yaml'));
 * const server = createServer(createHttpHandler(service, { verifier })).listen(8080, '127.0.0.1');
 * process.once('SIGTERM', () => void closeGracefully(server, service));
 * ```
 * @module escalator/http
 */
export {
  type BackendContext,
  type BackendFactory,
  type CampaignBackend,
  createSimulatorBackend,
  type SimulatorBackendOptions,
} from './backend.js';
export {
  type BodyKind,
  createHttpHandler,
  DEFAULT_BODY_LIMITS,
  type HttpHandler,
  type HttpHandlerOptions,
  ROUTES,
} from './handler.js';
export { API_DOCUMENT_VERSION, openApiDocument } from './openapi.js';
export { HttpErrorCode, type RequestIssue } from './problem.js';
export {
  type ActionResult,
  CAMPAIGN_ACTIONS,
  type CampaignAction,
  type CampaignSummary,
  type CreateCampaignRequest,
  type Health,
  type NotificationRequest,
  type Problem,
} from './schemas.js';
export {
  type CampaignService,
  type CampaignServiceOptions,
  type CampaignStatusView,
  createCampaignService,
  type JournalPage,
  type ShutdownReport,
  type UnavailableCampaign,
} from './service.js';
export { type CloseOptions, closeGracefully } from './shutdown.js';
