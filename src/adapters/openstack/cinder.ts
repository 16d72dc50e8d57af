/**
 * The Cinder client: volume services (`GET /v3/{project_id}/os-services`) as {@link ServiceStatus}.
 * @module
 */
import type { CallOptions } from '../../ports/common.js';
import type { ServiceStatus } from '../../ports/vim.js';
import { join } from './internal.js';
import type { KeystoneSession } from './keystone.js';

/** Options of {@link createCinderClient}. */
export interface CinderClientOptions {
  readonly session: KeystoneSession;
  /**
   * Catalog service types to try, in order.
   * @defaultValue ['block-storage', 'volumev3']
   */
  readonly serviceTypes?: readonly string[] | undefined;
}

/** A volume service with the fields beyond {@link ServiceStatus} that Cinder gives. */
export interface CinderService extends ServiceStatus {
  readonly zone?: string | undefined;
  readonly disabledReason?: string | undefined;
}

/** The Cinder calls the adapter needs. */
export interface CinderClient {
  /**
   * Every volume service (`cinder-scheduler`, `cinder-volume`, `cinder-backup`). Resolves to `[]` when
   * the catalog has no block-storage endpoint: a cloud without Cinder has no volume services to watch.
   */
  listVolumeServices(options?: CallOptions): Promise<readonly CinderService[]>;
}

interface RawService {
  binary?: string;
  host?: string;
  state?: string;
  status?: string;
  zone?: string;
  disabled_reason?: string | null;
}

/**
 * Creates a {@link CinderClient}. The catalog's URL usually ends with `/v3/<project id>`; when it ends
 * with `/v3`, the session's project id is added.
 *
 * @example
 * ```ts
 * const services = await createCinderClient({ session }).listVolumeServices();
 * ```
 */
export function createCinderClient(options: CinderClientOptions): CinderClient {
  const { session } = options;
  const types = options.serviceTypes ?? ['block-storage', 'volumev3'];
  return {
    async listVolumeServices(o = {}) {
      let base: string | undefined;
      for (const type of types) {
        base = await session.findEndpoint(type, { signal: o.signal });
        if (base !== undefined) break;
      }
      if (base === undefined) return [];
      if (/\/v3$/.test(base)) {
        const projectId = (await session.auth({ signal: o.signal })).projectId;
        if (projectId !== undefined) base = join(base, projectId);
      }
      const { body } = await session.request<{ services?: RawService[] }>({
        url: join(base, 'os-services'),
        signal: o.signal,
        service: 'cinder',
      });
      return (body?.services ?? []).map((s) => ({
        binary: s.binary ?? 'unknown',
        host: s.host ?? '',
        state: s.state === 'up' ? 'up' : 'down',
        enabled: s.status !== 'disabled',
        zone: s.zone,
        disabledReason: s.disabled_reason ?? undefined,
      }));
    },
  };
}
