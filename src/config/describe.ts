/**
 * The resolved configuration as an operator reads it, secrets shown by where they are kept.
 * @module
 */
import { stringify } from 'yaml';
import { SECRET_FIELDS, type SecretRef } from '../model/config.js';
import type { EscalatorConfig } from './types.js';

/** How a secret reference is shown. */
function showSecret(ref: SecretRef): string {
  return ref.env !== undefined ? `<from env ${ref.env}>` : `<from file ${ref.file}>`;
}

/** A copy for display: secret references replaced by their description, anything else under a secret key hidden. */
function display(value: unknown, key: string | undefined): unknown {
  if (key !== undefined && SECRET_FIELDS.has(key) && value !== undefined) {
    const ref = value as Partial<Record<'env' | 'file', unknown>>;
    if (typeof ref === 'object' && ref !== null && typeof ref.env === 'string')
      return showSecret({ env: ref.env });
    if (typeof ref === 'object' && ref !== null && typeof ref.file === 'string')
      return showSecret({ file: ref.file });
    return '<hidden>';
  }
  if (Array.isArray(value)) return value.map((v) => display(v, undefined));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, display(v, k)]),
    );
  return value;
}

/**
 * The resolved configuration as YAML, for `escalator config`-style output and logs: every default
 * filled in, every path absolute, and each secret shown as where it is kept (`<from env OS_PASSWORD>`,
 * `<from file /etc/escalator/token>`), never as its value (the configuration holds none).
 *
 * @example
 * ```ts
 * const config = await loadConfig('escalator.yaml');
 * console.log(describeConfig(config));
 * // # escalator.yaml (every default filled in; secrets shown by where they are kept)
 * // apiVersion: escalator/v1
 * // ...
 * //   password: <from env OS_PASSWORD>
 * ```
 */
export function describeConfig(config: EscalatorConfig): string {
  const { configFile, ...document } = config;
  return `# ${configFile} (every default filled in; secrets shown by where they are kept)\n${stringify(
    display(document, undefined),
    { lineWidth: 0 },
  )}`;
}
