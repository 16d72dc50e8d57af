/**
 * Where the fields of a loaded configuration sit in its file, so that problems found later (a secret's
 * environment variable not set, a cloud missing from clouds.yaml) still point at the line that caused
 * them. The positions are kept beside the config object, not in it: the object stays plain data.
 * @module
 */
import { DocumentError, type DocumentIssue } from '../errors.js';
import type { ParsedSource } from '../loader/source.js';
import type { EscalatorConfig } from './types.js';

type Locate = ParsedSource['locate'];

const sources = new WeakMap<object, Locate>();

/** Remembers where `config`'s fields are. @internal */
export function rememberSource(config: EscalatorConfig, locate: Locate): void {
  sources.set(config, locate);
}

/** An issue at `path` of the config, positioned when the config came from a file or text. @internal */
export function configIssue(
  config: EscalatorConfig,
  path: readonly (string | number)[],
  code: string,
  message: string,
): DocumentIssue {
  const locate = sources.get(config);
  return { code, path, message, ...(locate ? locate(path) : {}) };
}

/** A {@link DocumentError} naming the config file, its issues in file order. @internal */
export function configError(config: EscalatorConfig, issues: readonly DocumentIssue[]): DocumentError {
  return new DocumentError(
    config.configFile,
    [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0)),
  );
}
