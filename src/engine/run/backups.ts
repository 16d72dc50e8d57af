/**
 * Campaign-level backups before any change, and restoring every backup when a rollback cannot undo.
 */
import type { BackupRef } from '../../ports/node-agent.js';
import type { Effect } from '../core/effects.js';
import type { CampaignSnapshot } from '../journal.js';
import type { RunEnv } from './env.js';

/** Backs up one clustered data store's databases on the node the core chose. */
export function backUp(
  env: RunEnv,
  effect: Extract<Effect, { type: 'backup' }>,
  signal: AbortSignal,
): Promise<BackupRef> {
  const request = {
    label: effect.label,
    software: effect.software,
    files: [],
    databases: effect.databases,
  };
  return env.retried.nodes.backup(effect.node, request, { signal });
}

/** Reloads every backup, newest first. Returns how many. */
export async function restoreAll(env: RunEnv, state: CampaignSnapshot, signal: AbortSignal): Promise<number> {
  for (const backup of [...state.backups].reverse())
    await env.retried.nodes.restore(backup.node, backup, { signal });
  return state.backups.length;
}
