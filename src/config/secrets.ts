/**
 * Reading the secrets `escalator.yaml` names: from an environment variable or from a file that only its
 * owner may read. Error messages name where the secret was looked for, never what it is.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { ErrorCode, EscalatorError, FileUnreadableError } from '../errors.js';
import type { SecretRef } from '../model/config.js';
import type { ConfigEnvironment, ConfigFileAccess } from './types.js';

/** The real file system, with the members of `files` that are given instead. @internal */
export function fileAccess(files: ConfigFileAccess = {}): Required<{
  [K in keyof ConfigFileAccess]-?: NonNullable<ConfigFileAccess[K]>;
}> {
  return {
    cwd: files.cwd ?? process.cwd(),
    readFile: files.readFile ?? ((path) => readFile(path, 'utf8')),
    mode: files.mode ?? (async (path) => (await stat(path)).mode),
  };
}

/**
 * Reads a secret: the value of the environment variable, or the content of the file with surrounding
 * white space (a final newline) removed. A secret file that its group or others may read or write is
 * refused, as OpenSSH refuses such a private key.
 *
 * @param env - where `{ env }` secrets are read. @defaultValue `process.env`
 * @param files - how files are read. @defaultValue the real file system
 * @throws `EscalatorError` `ESC_INVALID_OPTION` when the variable is unset or empty, the file is empty
 *   or open to others; {@link FileUnreadableError} when the file cannot be read. Messages never hold
 *   the secret.
 * @example
 * ```ts
 * const password = await resolveSecret({ env: 'OS_PASSWORD' });
 * const token = await resolveSecret({ file: '/etc/escalator/vnfm-token' });
 * ```
 */
export async function resolveSecret(
  ref: SecretRef,
  env: ConfigEnvironment = process.env,
  files: ConfigFileAccess = {},
): Promise<string> {
  if (ref.env !== undefined) {
    const value = env[ref.env];
    if (value === undefined || value === '')
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        `environment variable ${ref.env} is ${value === undefined ? 'not set' : 'empty'}; it should hold the secret`,
      );
    return value;
  }
  const path = ref.file;
  if (typeof path !== 'string' || path === '')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'a secret reference needs { env: NAME } or { file: PATH }',
    );
  const access = fileAccess(files);
  let mode: number;
  let text: string;
  try {
    mode = await access.mode(path);
    text = await access.readFile(path);
  } catch (error) {
    throw new FileUnreadableError(path, error);
  }
  if ((mode & 0o077) !== 0)
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      `secret file ${path} may be read or written by others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); ` +
        `make it readable by its owner only: chmod 600 ${path}`,
    );
  const value = text.trim();
  if (value === '') throw new EscalatorError(ErrorCode.InvalidOption, `secret file ${path} is empty`);
  return value;
}
