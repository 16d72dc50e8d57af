/**
 * The CLI's settings: from `escalator.yaml` (`-c FILE`, else `./escalator.yaml` when it exists), else
 * the defaults — the built-in simulator, state in `./.escalator`, the local user as an admin.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { enginePolicyOf, loadConfig, operatorOf } from '../config/index.js';
import type { EscalatorConfig } from '../config/types.js';
import { connectRealCloud, type RealCloud } from './real-cloud.js';
import { defaultSettings, type WorkspaceSettings } from './workspace.js';

const DEFAULT_CONFIG = 'escalator.yaml';

/** The CLI's settings, with the configuration they came from (undefined: the defaults). */
export interface Settings extends WorkspaceSettings {
  readonly config?: EscalatorConfig | undefined;
  /** The real cloud, for `backend: openstack`. */
  readonly realCloud?: RealCloud | undefined;
}

/** The configuration file the CLI reads: the one given, else `./escalator.yaml` when present. */
export function configFile(config: string | undefined): string | undefined {
  return config ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
}

/** The settings the CLI runs with. */
export async function loadSettings(config: string | undefined): Promise<Settings> {
  const file = configFile(config);
  if (file === undefined) return defaultSettings();
  const c = await loadConfig(file);
  const realCloud = c.backend === 'openstack' ? await connectRealCloud(c) : undefined;
  return {
    ...defaultSettings({
      directory: c.stateDirectory,
      backend: c.backend,
      openstack: realCloud?.backend,
      speed: c.simulator?.speed,
      seed: c.simulator?.seed,
      operator: operatorOf(c),
      logFile: c.log.file,
      logLevel: c.log.level,
      policy: enginePolicyOf(c),
    }),
    config: c,
    realCloud,
  };
}

/** Where `serve` keeps its journals for this configuration: the state directory's `journal/`. */
export function journalDirectory(settings: WorkspaceSettings): string {
  return join(settings.directory, 'journal');
}
