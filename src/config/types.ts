/**
 * The types of a loaded configuration and of what the resolvers read.
 * @module
 */
import type { ConfigDocument } from '../model/config.js';
import type { LogLevel } from '../ports/logger.js';

/**
 * `escalator.yaml`, loaded: every default filled in, every path absolute (relative ones were read
 * from the config file's directory, `~/` from the home directory), `log.file` and `operator.id`
 * derived when the file left them out. Secrets are still references ({@link SecretRef}); read them
 * with {@link resolveSecret} or the resolvers ({@link resolveOpenStackAuth}, {@link resolveVnfManagers}).
 *
 * @example
 * ```ts
 * const config = await loadConfig('escalator.yaml');
 * console.log(config.backend, config.stateDirectory, config.log.file);
 * ```
 */
export type EscalatorConfig = Omit<ConfigDocument, 'log' | 'operator'> & {
  /** The log file (JSON lines) and the least level written to it. */
  readonly log: { readonly file: string; readonly level: LogLevel };
  /** The local operator: `id` is the OS user name unless the file gives one. See {@link operatorOf}. */
  readonly operator: { readonly id: string; readonly roles: readonly string[] };
  /** The file the configuration was read from, as given to {@link loadConfig}, or `<string>`. */
  readonly configFile: string;
};

/**
 * How the resolvers reach files; every member has the real default. Tests and hosts that look for
 * clouds.yaml elsewhere than the process's working directory set `cwd`.
 *
 * @example
 * ```ts
 * const config = await loadConfig('escalator.yaml');
 * const auth = await resolveOpenStackAuth(config, process.env, { cwd: '/etc/escalator' });
 * ```
 */
export interface ConfigFileAccess {
  /** Where `./clouds.yaml` and `./secure.yaml` are looked for. @defaultValue `process.cwd()` */
  readonly cwd?: string | undefined;
  /**
   * Reads a UTF-8 text file; rejects with a Node error whose `code` is `ENOENT` when it is absent.
   * @defaultValue `fs.promises.readFile(path, 'utf8')`
   */
  readonly readFile?: ((path: string) => Promise<string>) | undefined;
  /** The permission bits of a file, following symbolic links. @defaultValue from `fs.promises.stat` */
  readonly mode?: ((path: string) => Promise<number>) | undefined;
}

/**
 * The environment the resolvers read (`OS_*`, `OS_CLOUD`, secrets given as `{ env }`, `HOME`,
 * `XDG_CONFIG_HOME`); `process.env` by default.
 * @example
 * ```ts
 * const env: ConfigEnvironment = { OS_CLOUD: 'lab-1', HOME: '/home/ana' };
 * const auth = await resolveOpenStackAuth(await loadConfig('escalator.yaml'), env);
 * ```
 */
export type ConfigEnvironment = Readonly<Record<string, string | undefined>>;
