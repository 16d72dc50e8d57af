/**
 * Helpers for tests against a real OpenStack: booting and deleting servers, server groups, resetting
 * a server's state, and following a migration through the Vim port until it ends. They use the
 * adapter's own Nova client, so they speak the same microversion.
 */
import { createKeystoneSession, type KeystoneSession } from '../../src/adapters/openstack/index.js';
import type { NovaVim } from '../../src/adapters/openstack/nova.js';
import type { MigrationStatus, Vim } from '../../src/ports/vim.js';
import type { OpenStackTestEnv } from './openstack-env.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface BootOptions {
  readonly name: string;
  readonly imageId: string;
  readonly flavorId: string;
  /** Server group to boot into (scheduler hint). */
  readonly group?: string | undefined;
  /** Availability zone `zone:host` to force a host (admin). */
  readonly host?: string | undefined;
}

/** Boots a server with no network and resolves to its id (not waiting for ACTIVE). */
export async function bootServer(nova: NovaVim, options: BootOptions): Promise<string> {
  const body: Record<string, unknown> = {
    server: {
      name: options.name,
      imageRef: options.imageId,
      flavorRef: options.flavorId,
      networks: 'none',
      ...(options.host ? { availability_zone: `nova:${options.host}` } : {}),
    },
  };
  if (options.group) body['os:scheduler_hints'] = { group: options.group };
  const { body: answer } = await nova.request<{ server?: { id?: string } }>('/servers', {
    method: 'POST',
    body,
  });
  const id = answer?.server?.id;
  if (!id) throw new Error(`boot of ${options.name} answered without a server id`);
  return id;
}

/** Polls a server until it has `status` and no task; throws on ERROR or after `timeoutMs`. */
export async function waitServer(
  nova: NovaVim,
  id: string,
  status: string,
  timeoutMs = 120_000,
): Promise<Awaited<ReturnType<NovaVim['getServer']>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await nova.getServer(id);
    if (s.status === status && !s['OS-EXT-STS:task_state']) return s;
    if (s.status === 'ERROR' && status !== 'ERROR')
      throw new Error(`server ${s.name} (${id}) went to ERROR: ${s.fault?.message ?? 'no fault recorded'}`);
    if (Date.now() > deadline)
      throw new Error(`server ${s.name} (${id}) is ${s.status}, not ${status}, after ${timeoutMs} ms`);
    await sleep(300);
  }
}

/** Deletes servers and waits until Nova no longer lists them. */
export async function deleteServers(
  nova: NovaVim,
  ids: readonly string[],
  timeoutMs = 120_000,
): Promise<void> {
  for (const id of ids) await nova.request(`/servers/${id}`, { method: 'DELETE', accept: [404] });
  const deadline = Date.now() + timeoutMs;
  for (const id of ids)
    for (;;) {
      const r = await nova.request(`/servers/${id}`, { accept: [404] });
      if (r.status === 404) break;
      if (Date.now() > deadline) throw new Error(`server ${id} was not deleted within ${timeoutMs} ms`);
      await sleep(300);
    }
}

/** Creates a server group (2.64 body: one `policy`) and resolves to its id. */
export async function createServerGroup(nova: NovaVim, name: string, policy: string): Promise<string> {
  const { body } = await nova.request<{ server_group?: { id?: string } }>('/os-server-groups', {
    method: 'POST',
    body: { server_group: { name, policy } },
  });
  const id = body?.server_group?.id;
  if (!id) throw new Error(`server group ${name} was created without an id`);
  return id;
}

export async function deleteServerGroup(nova: NovaVim, id: string): Promise<void> {
  await nova.request(`/os-server-groups/${id}`, { method: 'DELETE', accept: [404] });
}

/** `os-resetState` back to active (admin): what an operator does after a refused migration left ERROR. */
export async function resetToActive(nova: NovaVim, id: string): Promise<void> {
  await nova.request(`/servers/${id}/action`, {
    method: 'POST',
    body: { 'os-resetState': { state: 'active' } },
  });
}

/** Polls `migrationStatus` until completed or error; returns the last status and every status seen. */
export async function followMigration(
  vim: Pick<Vim, 'migrationStatus'>,
  instance: string,
  timeoutMs = 180_000,
  pollMs = 300,
): Promise<{ final: MigrationStatus; seen: MigrationStatus['status'][] }> {
  const seen: MigrationStatus['status'][] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await vim.migrationStatus(instance);
    if (seen.at(-1) !== status.status) seen.push(status.status);
    if (status.status === 'completed' || status.status === 'error') return { final: status, seen };
    if (Date.now() > deadline)
      throw new Error(
        `migration of ${instance} still ${status.status} after ${timeoutMs} ms (${status.message ?? ''})`,
      );
    await sleep(pollMs);
  }
}

/** A Keystone session of the test bed's admin, by password. */
export function adminSession(e: OpenStackTestEnv): KeystoneSession {
  return createKeystoneSession({
    authUrl: e.authUrl,
    region: e.region,
    credentials: {
      password: {
        username: e.username,
        password: e.password,
        projectName: e.projectName,
        userDomainName: e.userDomainName,
        projectDomainName: e.projectDomainName,
      },
    },
  });
}

/** The servers of an end-to-end test, by name: their ids and whether they are in its group. */
export type TestServers = Map<string, { id: string; group: boolean }>;

/**
 * Boots `<prefix>-member-a` and `-b` into a new anti-affinity group and `<prefix>-solo-1` and `-2`
 * outside it, one after another (parallel boots into one group race in the scheduler), each ACTIVE
 * before the next. Servers are added to `servers` as they are booted, so a failure leaves them for
 * cleanup; resolves to the group's id.
 */
export async function bootPairAndSolos(
  nova: NovaVim,
  e: OpenStackTestEnv,
  prefix: string,
  servers: TestServers,
): Promise<string> {
  const groupId = await createServerGroup(nova, `${prefix}-group`, 'anti-affinity');
  for (const [name, inGroup] of [
    [`${prefix}-member-a`, true],
    [`${prefix}-member-b`, true],
    [`${prefix}-solo-1`, false],
    [`${prefix}-solo-2`, false],
  ] as const) {
    const id = await bootServer(nova, {
      name,
      imageId: e.imageId,
      flavorId: e.flavorId,
      group: inGroup ? groupId : undefined,
    });
    servers.set(name, { id, group: inGroup });
    await waitServer(nova, id, 'ACTIVE', 180_000);
  }
  return groupId;
}

/** Where each of `servers` is now and its status, from one `/servers/detail` call. */
export async function serverHosts(
  nova: NovaVim,
  servers: TestServers,
  label: string,
): Promise<{ label: string; hosts: Record<string, string>; statuses: Record<string, string> }> {
  const byId = new Map([...servers].map(([name, s]) => [s.id, name]));
  const hosts: Record<string, string> = {};
  const statuses: Record<string, string> = {};
  for (const s of await nova.listServers()) {
    const name = byId.get(s.id);
    if (name === undefined) continue;
    hosts[name] = s['OS-EXT-SRV-ATTR:host'] ?? '';
    statuses[name] = s.status;
  }
  return { label, hosts, statuses };
}
