/**
 * Graceful shutdown of a server that mounts the REST API: stop accepting, end the event streams, let
 * the running campaigns reach a journaled resting point, then close the connections left.
 * @module
 */
import type { Server } from 'node:http';
import { whenIdle } from './in-flight.js';
import type { CampaignService, ShutdownReport } from './service.js';

/** Options of {@link closeGracefully}. */
export interface CloseOptions {
  /**
   * How long running campaigns may take to pause (their running steps finish and are journaled).
   * Campaigns still running then are left as they are: their journal is consistent, and the steps
   * found running are re-checked when the campaign is resumed.
   * @defaultValue 30_000
   */
  readonly timeoutMs?: number | undefined;
  /**
   * How long requests in flight may take to be answered once the campaigns rest; connections still
   * open then are closed.
   * @defaultValue 5_000
   */
  readonly drainMs?: number | undefined;
}

/**
 * Shuts a server and its campaign service down without losing anything: the server stops accepting
 * connections; the service refuses new mutating requests (503) and ends every event stream (clients
 * reconnect elsewhere with `Last-Event-ID`); running campaigns are paused at their next safe point —
 * running steps finish and are journaled, no new step starts — and their engines release the store's
 * locks; finally connections still open are closed. Resolves with what happened to the campaigns.
 *
 * Pausing is journaled (`paused`, "the service is shutting down"): a restarted service opens the
 * campaign in `paused`, and `POST /v1/campaigns/{id}/actions/resume` goes on.
 *
 * @example
 * ```ts
 * process.once('SIGTERM', () => void closeGracefully(server, service).then(() => process.exit(0)));
 * ```
 */
export async function closeGracefully(
  server: Server,
  service: CampaignService,
  options: CloseOptions = {},
): Promise<ShutdownReport> {
  const closed = new Promise<void>((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
  const report = await service.close({ timeoutMs: options.timeoutMs });
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const drained = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.drainMs ?? 5_000);
  });
  // Answers being written are let finish; connections with no request in flight are closed now.
  await Promise.race([whenIdle(service), drained]);
  clearTimeout(timer);
  server.closeAllConnections();
  await closed;
  return report;
}
