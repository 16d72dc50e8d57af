/**
 * The Nova part of the OpenStack {@link Vim}: compute services, hypervisors (capacity from Placement
 * from microversion 2.88 on), instances, live and cold migrations, power, server groups, and the
 * alarms Nova can tell (compute services down or forced down).
 *
 * Microversions: the adapter reads Nova's version document and uses the highest version it knows,
 * {@link NOVA_MAX_MICROVERSION}, or the cloud's maximum when lower, and refuses a cloud older than
 * {@link NOVA_MIN_MICROVERSION} with a permanent `nova-too-old` error, before anything is changed.
 * @module
 */
import { systemClock } from '../../clock/system-clock.js';
import { AdapterError, ErrorCode, EscalatorError } from '../../errors.js';
import type { Clock } from '../../ports/clock.js';
import type { CallOptions } from '../../ports/common.js';
import type {
  ComputeService,
  HypervisorInfo,
  MigrationRequest,
  MigrationStatus,
  Vim,
  VimAlarm,
  VimInstance,
  VimServerGroup,
} from '../../ports/vim.js';
import type { JsonRequest, JsonResponse } from './http.js';
import { isHttp, join, mapLimit, nextMarker, permanent, query, transient } from './internal.js';
import type { KeystoneSession } from './keystone.js';
import { createPlacementClient, type PlacementClient, type ProviderCapacity } from './placement.js';

/**
 * The lowest compute microversion the adapter works with, and why:
 * - 2.53: compute services and hypervisors are addressed by UUID (`PUT /os-services/{uuid}` to
 *   disable a host with a reason);
 * - 2.30 / 2.25: `os-migrateLive` takes a target `host` without forcing past the scheduler, and
 *   `block_migration: "auto"`;
 * - 2.56: a cold `migrate` takes a target `host` (the planner, not the scheduler, chooses targets);
 * - 2.47 / 2.23 / 2.24: servers embed their flavor; a server's live migrations can be listed and
 *   aborted.
 * 2.56 is the highest of these (Queens).
 */
export const NOVA_MIN_MICROVERSION = '2.56';

/**
 * The highest compute microversion the adapter asks for: Zed's maximum, the newest it is tested
 * against. Newer clouds are spoken to at this version; older ones at their own maximum.
 * Along the way: 2.59 sorts `/os-migrations` newest first, 2.64 gives server groups one `policy`,
 * 2.65 aborts queued live migrations, 2.84 explains failed instance-action events, and 2.88 drops
 * hypervisor capacity (then read from Placement).
 */
export const NOVA_MAX_MICROVERSION = '2.93';

/** The first microversion whose hypervisors carry no capacity: from it on, Placement is asked. */
export const PLACEMENT_CAPACITY_MICROVERSION = '2.88';

/** A version `major.minor` as numbers, or undefined. */
function parseVersion(v: string | undefined | null): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)$/.exec((v ?? '').trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Compares two `major.minor` versions: negative, 0 or positive. */
export function compareMicroversions(a: string, b: string): number {
  const x = parseVersion(a) ?? [0, 0];
  const y = parseVersion(b) ?? [0, 0];
  return x[0] - y[0] || x[1] - y[1];
}

/** The fields of a Nova server that the adapter reads. */
export interface NovaServer {
  readonly id: string;
  readonly name: string;
  /** ACTIVE, SHUTOFF, MIGRATING, RESIZE, VERIFY_RESIZE, ERROR, ... */
  readonly status: string;
  readonly tenant_id?: string;
  readonly 'OS-EXT-SRV-ATTR:host'?: string | null;
  readonly 'OS-EXT-SRV-ATTR:hypervisor_hostname'?: string | null;
  readonly 'OS-EXT-STS:task_state'?: string | null;
  readonly 'OS-EXT-STS:vm_state'?: string | null;
  readonly 'OS-EXT-AZ:availability_zone'?: string | null;
  /** Embedded since 2.47. */
  readonly flavor?: {
    readonly vcpus?: number;
    readonly ram?: number;
    readonly disk?: number;
    readonly ephemeral?: number;
    readonly swap?: number;
    readonly original_name?: string;
  };
  /** `""` for a server booted from a volume. */
  readonly image?: string | { readonly id?: string } | null;
  readonly fault?: { readonly message?: string; readonly code?: number } | null;
}

/** A Nova migration record (`/os-migrations`). */
export interface NovaMigration {
  readonly id: number;
  readonly uuid?: string;
  readonly status: string;
  readonly instance_uuid: string;
  readonly source_compute?: string | null;
  readonly dest_compute?: string | null;
  /** `live-migration`, `migration` (cold), `resize` or `evacuation`. */
  readonly migration_type?: string;
  readonly created_at?: string;
  readonly updated_at?: string | null;
}

/** A compute service with the fields beyond {@link ComputeService} that Nova gives. */
export interface NovaComputeService extends ComputeService {
  /** The service's UUID. */
  readonly id: string;
  /** The availability zone. */
  readonly zone?: string | undefined;
  readonly forcedDown: boolean;
  readonly updatedAt?: string | undefined;
}

/** A hypervisor with the fields beyond {@link HypervisorInfo} that Nova and Placement give. */
export interface NovaHypervisorInfo extends HypervisorInfo {
  /** The compute node's UUID (also its Placement resource provider's). */
  readonly id: string;
  readonly hypervisorHostname: string;
  readonly status?: 'enabled' | 'disabled' | undefined;
  /** Local disk (Placement: DISK_GB total minus reserved; before 2.88: `local_gb`). */
  readonly diskGiB?: number | undefined;
  readonly diskGiBUsed?: number | undefined;
  /** Placement's allocation ratios (only read from 2.88 on). */
  readonly allocationRatios?: ProviderCapacity['allocationRatios'] | undefined;
  /** Where the capacity figures come from. */
  readonly capacitySource: 'nova' | 'placement' | 'none';
}

/** A server group as Nova records it. */
export interface NovaServerGroup extends VimServerGroup {
  readonly projectId?: string | undefined;
}

/** Options of {@link createNovaVim}. */
export interface NovaVimOptions {
  readonly session: KeystoneSession;
  /**
   * Use exactly this microversion (it must be at least {@link NOVA_MIN_MICROVERSION} and within the
   * cloud's range). Unset: negotiated.
   */
  readonly microversion?: string | undefined;
  /** @defaultValue a client on the session's `placement` endpoint */
  readonly placement?: PlacementClient | undefined;
  /**
   * Instances as the inventory names them, with their Nova ids: migrations and power actions on these
   * names go to these ids, and {@link NovaVim.listInstances} reports these names. Other names are
   * looked up in Nova (and must be unique there).
   */
  readonly instances?: readonly { readonly name: string; readonly id?: string | undefined }[] | undefined;
  /** @defaultValue the session's clock */
  readonly clock?: Clock | undefined;
  /**
   * How often to look while waiting for a server to stop or start.
   * @defaultValue 1000
   */
  readonly pollIntervalMs?: number | undefined;
  /**
   * How long to wait for a server to reach SHUTOFF or ACTIVE before failing (transient `timeout`).
   * @defaultValue 300_000
   */
  readonly powerTimeoutMs?: number | undefined;
  /**
   * After Nova accepted a migration, how long its record may take to appear before
   * {@link NovaVim.migrationStatus} reports an error rather than `queued`.
   * @defaultValue 120_000
   */
  readonly migrationGraceMs?: number | undefined;
  /**
   * Page size of server and hypervisor listings (Nova caps it at its `max_limit`, 1000 by default).
   * @defaultValue 500
   */
  readonly pageSize?: number | undefined;
  /**
   * How many Placement providers to read at once.
   * @defaultValue 8
   */
  readonly concurrency?: number | undefined;
}

/** Filters of {@link NovaVim.listServers}. */
export interface ServerFilters extends CallOptions {
  /** Only servers on this compute host. */
  readonly host?: string | undefined;
  /** Servers of every project (admin). @defaultValue true */
  readonly allTenants?: boolean | undefined;
}

/** The Nova part of the OpenStack {@link Vim}, and a few more calls the importer and tests use. */
export interface NovaVim
  extends Pick<
    Vim,
    | 'disableComputeService'
    | 'enableComputeService'
    | 'migrate'
    | 'migrationStatus'
    | 'abortMigration'
    | 'stopInstance'
    | 'startInstance'
    | 'listAlarms'
  > {
  /** The microversion in use, negotiated at the first call. */
  microversion(options?: CallOptions): Promise<string>;
  /** Nova's compute API URL (ending in `/v2.1`). */
  apiUrl(options?: CallOptions): Promise<string>;
  /** A request to Nova at the negotiated microversion; `path` is relative to {@link NovaVim.apiUrl}. */
  request<T = unknown>(path: string, request?: Omit<JsonRequest, 'url'>): Promise<JsonResponse<T>>;
  /** Compute services of binary `nova-compute`. */
  listComputeServices(options?: CallOptions): Promise<readonly NovaComputeService[]>;
  /**
   * Hypervisors with capacity: before 2.88 from Nova itself; from 2.88 on from Placement (the compute
   * node's resource provider: total minus reserved, and usages), with `runningVms` counted from the
   * hypervisor's server list.
   */
  listHypervisors(options?: CallOptions): Promise<readonly NovaHypervisorInfo[]>;
  /** Instances on a compute host, every project, paged through. */
  listInstances(host: string, options?: CallOptions): Promise<readonly VimInstance[]>;
  /** Server groups of every project. */
  listServerGroups(options?: CallOptions): Promise<readonly NovaServerGroup[]>;
  /** Servers with every field Nova gives (`/servers/detail`), paged through. */
  listServers(filters?: ServerFilters): Promise<readonly NovaServer[]>;
  /** One server. Rejects with a permanent `instance-not-found` when it does not exist. */
  getServer(instance: string, options?: CallOptions): Promise<NovaServer>;
  /** A name or UUID → the server's UUID (names must be unique in Nova, or be given in `instances`). */
  resolveInstance(instance: string, options?: CallOptions): Promise<string>;
  /** The instance's migration records, newest first. */
  listMigrations(instance: string, options?: CallOptions): Promise<readonly NovaMigration[]>;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Nova migration statuses, by what they mean for Escalator. */
const QUEUED = new Set(['accepted', 'queued', 'preparing', 'pre-migrating', 'scheduled']);
const RUNNING = new Set([
  'running',
  'post-migrating',
  'migrating',
  'finished',
  'confirming',
  'reverting',
  'cancelling',
]);
const COMPLETED = new Set(['completed', 'confirmed', 'done']);
const FAILED = new Set(['error', 'failed', 'cancelled', 'reverted', 'aborted']);

/**
 * How a Nova migration status reads as a {@link MigrationStatus}: `accepted`, `queued`, `preparing`
 * and `pre-migrating` are queued; `running`, `post-migrating`, `migrating`, `finished` (a cold
 * migration waiting for its confirmation), `confirming`, `reverting` and `cancelling` are running;
 * `completed`, `confirmed` and `done` are completed; `error`, `failed`, `cancelled`, `reverted` and
 * `aborted` are errors. An unknown status reads as running, so that a step timeout, not a guess,
 * decides.
 */
export function mapMigrationStatus(status: string): MigrationStatus['status'] {
  const s = status.toLowerCase();
  if (QUEUED.has(s)) return 'queued';
  if (COMPLETED.has(s)) return 'completed';
  if (FAILED.has(s)) return 'error';
  if (RUNNING.has(s)) return 'running';
  return 'running';
}

interface Pending {
  readonly target: string;
  readonly mode: MigrationRequest['mode'];
  /** The newest migration record id before this migration was asked for (0: none). */
  readonly baseline: number;
  readonly since: number;
}

interface RawService {
  id?: string | number;
  binary?: string;
  host?: string;
  zone?: string;
  status?: string;
  state?: string;
  updated_at?: string | null;
  disabled_reason?: string | null;
  forced_down?: boolean;
}

interface RawHypervisor {
  id?: string | number;
  hypervisor_hostname?: string;
  state?: string;
  status?: string;
  service?: { host?: string; id?: string | number; disabled_reason?: string | null };
  vcpus?: number;
  vcpus_used?: number;
  memory_mb?: number;
  memory_mb_used?: number;
  local_gb?: number;
  local_gb_used?: number;
  running_vms?: number;
  servers?: { uuid?: string; name?: string }[];
}

interface RawGroup {
  id?: string;
  name?: string;
  policy?: string;
  policies?: string[];
  members?: string[];
  project_id?: string;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Creates the Nova part of the OpenStack {@link Vim}.
 *
 * @example
 * ```ts
 * const nova = createNovaVim({ session });
 * await nova.disableComputeService('cmp-2', 'escalator: upgrade');
 * await nova.migrate('web-1', { mode: 'live', target: 'cmp-3' });
 * ```
 */
export function createNovaVim(options: NovaVimOptions): NovaVim {
  const { session } = options;
  if (!session || typeof session.request !== 'function')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'session is not set. Pass { session: createKeystoneSession({ authUrl, credentials }) }',
    );
  if (options.microversion !== undefined && parseVersion(options.microversion) === undefined)
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `microversion must look like "2.79"; got ${JSON.stringify(options.microversion)}`,
    );
  const clock = options.clock ?? session.clock ?? systemClock;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const powerTimeoutMs = options.powerTimeoutMs ?? 300_000;
  const graceMs = options.migrationGraceMs ?? 120_000;
  const pageSize = options.pageSize ?? 500;
  const concurrency = options.concurrency ?? 8;
  const placement = options.placement ?? createPlacementClient({ session });

  /** Inventory name → id, and id → inventory name. */
  const idByName = new Map<string, string>();
  const nameById = new Map<string, string>();
  for (const i of options.instances ?? [])
    if (i.id) {
      idByName.set(i.name, i.id);
      nameById.set(i.id, i.name);
    }
  /** Names looked up in Nova. */
  const resolved = new Map<string, string>();
  const pending = new Map<string, Pending>();

  let negotiated: Promise<{ apiUrl: string; version: string }> | undefined;

  const negotiate = async (signal: AbortSignal | undefined) => {
    const endpoint = await session.endpoint('compute', { signal });
    const match = /^(.*\/v2(?:\.1)?)(?:\/[^/]+)?$/.exec(endpoint);
    let versionUrl: string;
    let apiUrl: string;
    if (match?.[1]) {
      versionUrl = `${match[1]}/`;
      apiUrl = endpoint;
    } else {
      versionUrl = `${endpoint}/v2.1/`;
      apiUrl = `${endpoint}/v2.1`;
    }
    const { body } = await session.request<{
      version?: { id?: string; version?: string; min_version?: string };
      versions?: { id?: string; version?: string; min_version?: string }[];
    }>({ url: versionUrl, signal, service: 'nova' });
    const doc = body?.version ?? body?.versions?.find((v) => v.id === 'v2.1');
    const max = doc?.version ?? '';
    const min = doc?.min_version || '2.1';
    if (parseVersion(max) === undefined || compareMicroversions(max, NOVA_MIN_MICROVERSION) < 0)
      throw permanent(
        'nova-too-old',
        `nova: the cloud's compute API goes up to microversion ${max || 'none (v2.0, no microversions)'}; ` +
          `Escalator needs at least ${NOVA_MIN_MICROVERSION} (Queens or later: services by UUID, live and cold ` +
          `migration to a chosen host) and uses up to ${NOVA_MAX_MICROVERSION}`,
      );
    let version: string;
    if (options.microversion !== undefined) {
      version = options.microversion;
      if (
        compareMicroversions(version, NOVA_MIN_MICROVERSION) < 0 ||
        compareMicroversions(version, max) > 0 ||
        compareMicroversions(version, min) < 0
      )
        throw permanent(
          'nova-microversion-unsupported',
          `nova: microversion ${version} was asked for, but the cloud offers ${min} to ${max} and ` +
            `Escalator needs at least ${NOVA_MIN_MICROVERSION}`,
        );
    } else version = compareMicroversions(max, NOVA_MAX_MICROVERSION) < 0 ? max : NOVA_MAX_MICROVERSION;
    return { apiUrl, version };
  };

  const api = (signal: AbortSignal | undefined) => {
    if (!negotiated) {
      negotiated = negotiate(signal);
      // A failure (Keystone away, a cancelled call) is not remembered: the next call tries again.
      negotiated.catch(() => {
        negotiated = undefined;
      });
    }
    return negotiated;
  };

  const request = async <T>(path: string, r: Omit<JsonRequest, 'url'> = {}): Promise<JsonResponse<T>> => {
    const { apiUrl, version } = await api(r.signal);
    return session.request<T>({
      ...r,
      url: join(apiUrl, path),
      headers: {
        ...r.headers,
        'OpenStack-API-Version': `compute ${version}`,
        'X-OpenStack-Nova-API-Version': version,
      },
      service: r.service ?? 'nova',
    });
  };

  const atLeast = async (v: string, signal: AbortSignal | undefined) =>
    compareMicroversions((await api(signal)).version, v) >= 0;

  const rawServices = async (host: string | undefined, signal: AbortSignal | undefined) => {
    const { body } = await request<{ services?: RawService[] }>(
      `/os-services${query({ binary: 'nova-compute', host })}`,
      { signal },
    );
    return (body?.services ?? []).filter((s) => s.binary === undefined || s.binary === 'nova-compute');
  };

  const toService = (s: RawService): NovaComputeService => ({
    id: String(s.id ?? ''),
    host: s.host ?? '',
    status: s.status === 'disabled' ? 'disabled' : 'enabled',
    state: s.state === 'up' ? 'up' : 'down',
    disabledReason: s.disabled_reason ?? undefined,
    zone: s.zone,
    forcedDown: s.forced_down === true,
    updatedAt: s.updated_at ?? undefined,
  });

  const setStatus = async (
    host: string,
    body: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<void> => {
    const services = (await rawServices(host, signal)).filter((s) => s.host === host);
    if (services.length === 0) {
      const known = (await rawServices(undefined, signal)).map((s) => s.host).join(', ');
      throw permanent(
        'unknown-compute-host',
        `nova: no nova-compute service on host "${host}" (known: ${known || 'none'})`,
      );
    }
    for (const s of services) await request(`/os-services/${s.id}`, { method: 'PUT', body, signal });
  };

  const serverPages = async (
    params: Record<string, string | number | boolean | undefined>,
    signal?: AbortSignal,
  ) => {
    const out: NovaServer[] = [];
    let marker: string | undefined;
    const seen = new Set<string>();
    for (;;) {
      const { body } = await request<{ servers?: NovaServer[]; servers_links?: unknown }>(
        `/servers/detail${query({ ...params, limit: pageSize, marker })}`,
        { signal },
      );
      const page = body?.servers ?? [];
      out.push(...page);
      marker = nextMarker(body?.servers_links);
      if (marker === undefined || page.length === 0 || seen.has(marker)) return out;
      seen.add(marker);
    }
  };

  const resolve = async (instance: string, signal: AbortSignal | undefined): Promise<string> => {
    const mapped = idByName.get(instance);
    if (mapped !== undefined) return mapped;
    if (UUID.test(instance)) return instance;
    const cached = resolved.get(instance);
    if (cached !== undefined) return cached;
    const matches = (
      await serverPages({ all_tenants: 1, name: `^${escapeRegex(instance)}$` }, signal)
    ).filter((s) => s.name === instance);
    if (matches.length === 0) throw permanent('instance-not-found', `nova: no server is named "${instance}"`);
    if (matches.length > 1)
      throw permanent(
        'instance-ambiguous',
        `nova: ${matches.length} servers are named "${instance}" (${matches.map((s) => s.id).join(', ')}); ` +
          'give the inventory instance its id',
      );
    const id = matches[0]!.id;
    resolved.set(instance, id);
    return id;
  };

  /** Runs `fn` on the instance's id; a cached name that no longer exists is looked up once more. */
  const withId = async <T>(
    instance: string,
    signal: AbortSignal | undefined,
    fn: (id: string) => Promise<T>,
  ): Promise<T> => {
    const wasCached = resolved.has(instance);
    const id = await resolve(instance, signal);
    try {
      return await fn(id);
    } catch (error) {
      const gone =
        isHttp(error, 404) || (error instanceof AdapterError && error.reason === 'instance-not-found');
      if (!(wasCached && gone)) throw error;
      resolved.delete(instance);
      return fn(await resolve(instance, signal));
    }
  };

  const getServer = async (id: string, signal: AbortSignal | undefined): Promise<NovaServer> => {
    const response = await request<{ server?: NovaServer }>(`/servers/${encodeURIComponent(id)}`, {
      signal,
      accept: [404],
    });
    if (response.status === 404 || !response.body?.server)
      throw permanent('instance-not-found', `nova: server ${id} does not exist`, response.requestId);
    return response.body.server;
  };

  const hostOf = (s: NovaServer) => s['OS-EXT-SRV-ATTR:host'] ?? '';
  const taskOf = (s: NovaServer) => s['OS-EXT-STS:task_state'] ?? null;
  /** Whether the server's task moves it: `migrating` (live) or a `resize_*` step (cold). */
  const moving = (s: NovaServer) => {
    const task = taskOf(s);
    return task !== null && (task === 'migrating' || task.startsWith('resize'));
  };

  const migrations = async (id: string, signal: AbortSignal | undefined, limit?: number) => {
    const sorted = await atLeast('2.59', signal);
    const { body } = await request<{ migrations?: NovaMigration[] }>(
      `/os-migrations${query({ instance_uuid: id, limit: sorted ? limit : undefined })}`,
      { signal },
    );
    return (body?.migrations ?? [])
      .filter((m) => m.instance_uuid === undefined || m.instance_uuid === id)
      .sort((a, b) => b.id - a.id);
  };

  /** Why the last move of the server failed, from its instance actions (best effort). */
  const failureDetail = async (id: string, signal: AbortSignal | undefined): Promise<string | undefined> => {
    try {
      const { body } = await request<{
        instanceActions?: { action?: string; request_id?: string; message?: string | null }[];
      }>(`/servers/${id}/os-instance-actions`, { signal });
      const action = (body?.instanceActions ?? []).find((a) =>
        ['live-migration', 'migrate', 'resize', 'confirmResize'].includes(a.action ?? ''),
      );
      if (!action?.request_id) return undefined;
      const detail = await request<{
        instanceAction?: {
          events?: { event?: string; result?: string; details?: string; traceback?: string }[];
        };
      }>(`/servers/${id}/os-instance-actions/${encodeURIComponent(action.request_id)}`, { signal });
      const failed = (detail.body?.instanceAction?.events ?? []).find((e) => e.result === 'Error');
      if (failed?.details) return failed.details;
      const last = failed?.traceback
        ?.split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .pop();
      return last ?? action.message ?? undefined;
    } catch {
      return undefined;
    }
  };

  /** How far an in-progress live migration got (`GET /servers/{id}/migrations`), best effort. */
  const liveProgress = async (id: string, migrationId: number, signal: AbortSignal | undefined) => {
    try {
      const { body } = await request<{
        migrations?: {
          id?: number;
          memory_total_bytes?: number | null;
          memory_processed_bytes?: number | null;
        }[];
      }>(`/servers/${id}/migrations`, { signal });
      const m = body?.migrations?.find((x) => x.id === migrationId);
      if (!m?.memory_total_bytes) return '';
      return `, ${Math.round(((m.memory_processed_bytes ?? 0) / m.memory_total_bytes) * 100)}% of memory copied`;
    } catch {
      return '';
    }
  };

  const failed = async (
    id: string,
    server: NovaServer,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<MigrationStatus> => {
    const why = server.fault?.message ?? (await failureDetail(id, signal));
    const status: MigrationStatus = {
      status: 'error',
      host: hostOf(server),
      message: why ? `${what}: ${why}` : what,
    };
    // The scheduler refused: its view of the hosts lags (a server that left a host stays counted there
    // until nova-compute's instance sync, every 120 s by default), so the same move may pass later.
    return why && /no valid host was found/i.test(why) ? { ...status, retryable: true } : status;
  };

  const migrationStatus = async (id: string, signal: AbortSignal | undefined): Promise<MigrationStatus> => {
    const server = await getServer(id, signal);
    const host = hostOf(server);
    const task = taskOf(server);
    const list = await migrations(id, signal, 5);
    const mine = pending.get(id);
    const latest = list.find((m) => mine === undefined || m.id > mine.baseline);

    if (server.status === 'VERIFY_RESIZE') {
      if (latest?.migration_type !== 'migration')
        return { status: 'running', host, message: 'a resize waits for someone to confirm or revert it' };
      // A cold migration stops at VERIFY_RESIZE (record `finished`) until confirmed: the adapter
      // confirms it once. The server stays VERIFY_RESIZE while the record says `confirming`.
      if (latest.status === 'finished')
        try {
          await request(`/servers/${id}/action`, { method: 'POST', body: { confirmResize: null }, signal });
        } catch (error) {
          // Confirmed meanwhile by another poll or an operator: the record says so next time.
          if (!(isHttp(error, 400) || isHttp(error, 409))) throw error;
        }
      return { status: 'running', host, message: `cold migration ${latest.id}: confirming` };
    }

    if (latest === undefined) {
      if (mine !== undefined) {
        if (server.status === 'ERROR')
          return failed(id, server, 'the migration failed before it started', signal);
        if (moving(server) || clock.now() - mine.since < graceMs)
          return { status: 'queued', host, message: `waiting for nova to start the move to ${mine.target}` };
        pending.delete(id);
        return {
          status: 'error',
          host,
          message: `nova accepted the move to ${mine.target} but recorded no migration within ${graceMs / 1000} s`,
        };
      }
      // No record of a move: the instance is where it is (unless a move just began).
      if (moving(server)) return { status: 'running', host, message: `task ${task}` };
      return { status: 'completed', host };
    }

    let status = mapMigrationStatus(latest.status);
    // Nova marks a live migration completed a moment after the host changed, and may still be
    // cleaning up after it says completed: done only when the server has no task and sits on the
    // destination.
    if (status === 'completed' && moving(server)) status = 'running';
    const route = `${latest.migration_type ?? 'migration'} ${latest.id} ${latest.source_compute ?? '?'} → ${
      latest.dest_compute ?? '?'
    }`;
    if (status === 'error' || (server.status === 'ERROR' && status !== 'running' && status !== 'queued')) {
      if (mine !== undefined) pending.delete(id);
      return failed(id, server, `${route} ended ${latest.status}`, signal);
    }
    if (status === 'completed') {
      if (mine !== undefined) pending.delete(id);
      return { status, host };
    }
    const progress =
      latest.migration_type === 'live-migration' ? await liveProgress(id, latest.id, signal) : '';
    return { status, host, message: `${route}: ${latest.status}${progress}` };
  };

  const waitFor = async (
    id: string,
    want: 'ACTIVE' | 'SHUTOFF',
    signal: AbortSignal | undefined,
  ): Promise<void> => {
    const deadline = clock.now() + powerTimeoutMs;
    for (;;) {
      const s = await getServer(id, signal);
      if (s.status === want && taskOf(s) === null) return;
      if (s.status === 'ERROR')
        throw permanent(
          'instance-error',
          `nova: server ${s.name} (${id}) went to ERROR${s.fault?.message ? `: ${s.fault.message}` : ''}`,
        );
      if (clock.now() >= deadline)
        throw transient(
          'timeout',
          `nova: server ${s.name} (${id}) is ${s.status}, not ${want}, after ${powerTimeoutMs / 1000} s`,
        );
      await clock.sleep(pollIntervalMs, signal);
    }
  };

  const power = async (
    instance: string,
    action: 'os-stop' | 'os-start',
    want: 'ACTIVE' | 'SHUTOFF',
    signal: AbortSignal | undefined,
  ) =>
    withId(instance, signal, async (id) => {
      const s = await getServer(id, signal);
      if (s.status === want && taskOf(s) === null) return;
      if (taskOf(s) === null)
        try {
          await request(`/servers/${id}/action`, { method: 'POST', body: { [action]: null }, signal });
        } catch (error) {
          // 409: the server changed state meanwhile (another stop, a task): look again below.
          if (!isHttp(error, 409)) throw error;
        }
      await waitFor(id, want, signal);
    });

  const vim: NovaVim = {
    microversion: async (o) => (await api(o?.signal)).version,
    apiUrl: async (o) => (await api(o?.signal)).apiUrl,
    request,
    async listComputeServices(o = {}) {
      return (await rawServices(undefined, o.signal)).map(toService);
    },
    async disableComputeService(host, reason, o = {}) {
      // Nova keeps at most 255 characters of the reason.
      await setStatus(host, { status: 'disabled', disabled_reason: reason.slice(0, 255) }, o.signal);
    },
    async enableComputeService(host, o = {}) {
      await setStatus(host, { status: 'enabled' }, o.signal);
    },
    async listHypervisors(o = {}) {
      const signal = o.signal;
      const fromPlacement = await atLeast(PLACEMENT_CAPACITY_MICROVERSION, signal);
      const raw: RawHypervisor[] = [];
      let marker: string | undefined;
      const seen = new Set<string>();
      for (;;) {
        const { body } = await request<{ hypervisors?: RawHypervisor[]; hypervisors_links?: unknown }>(
          `/os-hypervisors/detail${query({ with_servers: fromPlacement ? true : undefined, limit: pageSize, marker })}`,
          { signal },
        );
        const page = body?.hypervisors ?? [];
        raw.push(...page);
        marker = nextMarker(body?.hypervisors_links);
        if (marker === undefined || page.length === 0 || seen.has(marker)) break;
        seen.add(marker);
      }
      if (!fromPlacement)
        return raw.map((h) => ({
          id: String(h.id ?? ''),
          hypervisorHostname: h.hypervisor_hostname ?? '',
          host: h.service?.host ?? h.hypervisor_hostname ?? '',
          state: h.state === 'up' ? 'up' : 'down',
          status: h.status === 'disabled' ? 'disabled' : h.status === 'enabled' ? 'enabled' : undefined,
          vcpus: h.vcpus,
          memoryMiB: h.memory_mb,
          vcpusUsed: h.vcpus_used,
          memoryMiBUsed: h.memory_mb_used,
          diskGiB: h.local_gb,
          diskGiBUsed: h.local_gb_used,
          runningVms: h.running_vms,
          capacitySource: h.vcpus === undefined ? 'none' : 'nova',
        }));
      const providers = await placement.listResourceProviders({ signal });
      return mapLimit(raw, concurrency, async (h): Promise<NovaHypervisorInfo> => {
        const id = String(h.id ?? '');
        // The compute node's UUID is its provider's; older nodes may differ, so fall back on the name.
        const provider =
          providers.find((p) => p.uuid === id) ?? providers.find((p) => p.name === h.hypervisor_hostname);
        const cap = provider ? await placement.capacity(provider.uuid, { signal }) : undefined;
        return {
          id,
          hypervisorHostname: h.hypervisor_hostname ?? '',
          host: h.service?.host ?? h.hypervisor_hostname ?? '',
          state: h.state === 'up' ? 'up' : 'down',
          status: h.status === 'disabled' ? 'disabled' : h.status === 'enabled' ? 'enabled' : undefined,
          vcpus: cap?.vcpus,
          memoryMiB: cap?.memoryMiB,
          vcpusUsed: cap?.vcpusUsed,
          memoryMiBUsed: cap?.memoryMiBUsed,
          diskGiB: cap?.diskGiB,
          diskGiBUsed: cap?.diskGiBUsed,
          runningVms: (h.servers ?? []).length,
          allocationRatios: cap?.allocationRatios,
          capacitySource: cap ? 'placement' : 'none',
        };
      });
    },
    async listInstances(host, o = {}) {
      const servers = await serverPages({ all_tenants: 1, host }, o.signal);
      return servers
        .filter((s) => hostOf(s) === host)
        .map((s) => ({ id: s.id, name: nameById.get(s.id) ?? s.name, host: hostOf(s), status: s.status }));
    },
    listServers: (f = {}) =>
      serverPages({ all_tenants: f.allTenants === false ? undefined : 1, host: f.host }, f.signal),
    getServer: (instance, o = {}) => withId(instance, o.signal, (id) => getServer(id, o.signal)),
    resolveInstance: (instance, o = {}) => resolve(instance, o.signal),
    listMigrations: (instance, o = {}) => withId(instance, o.signal, (id) => migrations(id, o.signal)),
    async migrate(instance, migration, o = {}) {
      const signal = o.signal;
      if (migration.mode !== 'live' && migration.mode !== 'cold')
        throw permanent(
          'bad-request',
          `nova: migration mode must be live or cold, got ${String(migration.mode)}`,
        );
      if (!migration.target) throw permanent('bad-request', 'nova: a migration needs a target host');
      await withId(instance, signal, async (id) => {
        const baseline = (await migrations(id, signal, 1))[0]?.id ?? 0;
        const body =
          migration.mode === 'live'
            ? { 'os-migrateLive': { host: migration.target, block_migration: 'auto' } }
            : { migrate: { host: migration.target } };
        await request(`/servers/${id}/action`, { method: 'POST', body, signal });
        pending.set(id, { target: migration.target, mode: migration.mode, baseline, since: clock.now() });
      });
    },
    migrationStatus: (instance, o = {}) => withId(instance, o.signal, (id) => migrationStatus(id, o.signal)),
    async abortMigration(instance, o = {}) {
      const signal = o.signal;
      await withId(instance, signal, async (id) => {
        const { body } = await request<{ migrations?: { id: number; status?: string }[] }>(
          `/servers/${id}/migrations`,
          { signal },
        );
        const live = body?.migrations ?? [];
        for (const m of live)
          await request(`/servers/${id}/migrations/${m.id}`, { method: 'DELETE', signal, accept: [404] });
        if (live.length > 0) return;
        // A cold migration cannot be stopped midway; one waiting for confirmation is reverted.
        const server = await getServer(id, signal);
        if (server.status === 'VERIFY_RESIZE')
          await request(`/servers/${id}/action`, { method: 'POST', body: { revertResize: null }, signal });
      });
    },
    stopInstance: (instance, o = {}) => power(instance, 'os-stop', 'SHUTOFF', o.signal),
    startInstance: (instance, o = {}) => power(instance, 'os-start', 'ACTIVE', o.signal),
    async listServerGroups(o = {}) {
      const out: NovaServerGroup[] = [];
      for (let offset = 0; ; offset += pageSize) {
        const { body } = await request<{ server_groups?: RawGroup[] }>(
          `/os-server-groups${query({ all_projects: true, limit: pageSize, offset })}`,
          { signal: o.signal },
        );
        const page = body?.server_groups ?? [];
        for (const g of page)
          out.push({
            id: g.id ?? '',
            name: g.name ?? g.id ?? '',
            policy: g.policy ?? g.policies?.[0] ?? '',
            members: g.members ?? [],
            projectId: g.project_id,
          });
        if (page.length < pageSize) return out;
      }
    },
    async listAlarms(o = {}): Promise<readonly VimAlarm[]> {
      const alarms: VimAlarm[] = [];
      for (const s of (await rawServices(undefined, o.signal)).map(toService)) {
        if (s.forcedDown)
          alarms.push({
            id: `nova-compute-forced-down:${s.host}`,
            severity: 'critical',
            resource: s.host,
            message: `nova-compute on ${s.host} is forced down (evacuation or fencing in progress)`,
          });
        else if (s.state === 'down')
          alarms.push({
            id: `nova-compute-down:${s.host}`,
            severity: 'critical',
            resource: s.host,
            message: `nova-compute on ${s.host} is down${s.updatedAt ? ` (last report ${s.updatedAt})` : ''}`,
          });
      }
      return alarms;
    },
  };
  return vim;
}
