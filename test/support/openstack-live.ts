/**
 * Helpers for tests against a real OpenStack: booting and deleting servers, server groups, resetting
 * a server's state, and following a migration through the Vim port until it ends. They use the
 * adapter's own Nova client, so they speak the same microversion.
 */
import type { NovaVim } from '../../src/adapters/openstack/nova.js';
import type { MigrationStatus, Vim } from '../../src/ports/vim.js';

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
