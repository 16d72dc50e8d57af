/**
 * Loading `escalator.yaml`: the project's document loader (binary and huge input refused, syntax
 * errors positioned, unknown keys named with a suggestion), the schema of {@link EscalatorConfigSchema},
 * checks across fields, then paths made absolute. Issues under a secret field never quote its value.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import { DocumentError, type DocumentIssue, FileUnreadableError } from '../errors.js';
import type { ParseOptions } from '../loader/load.js';
import { parseSourceOf } from '../loader/source.js';
import { fromZodIssues } from '../loader/zod-issues.js';
import { redactString } from '../logging/redact.js';
import {
  type ConfigDocument,
  EscalatorConfigSchema,
  SECRET_FIELDS,
  type SecretRef,
} from '../model/config.js';
import { rememberSource } from './positions.js';
import type { EscalatorConfig } from './types.js';

/**
 * Options of {@link parseConfig} and {@link loadConfig}.
 * @example
 * ```ts
 * const config = parseConfig(yamlText, { file: 'escalator.yaml', baseDirectory: '/etc/escalator' });
 * ```
 */
export interface ConfigParseOptions extends ParseOptions {
  /**
   * The directory relative paths of the file are read from.
   * @defaultValue the directory of `file`, or the working directory for text without a file
   */
  readonly baseDirectory?: string | undefined;
  /**
   * What `~/` in a path stands for.
   * @defaultValue the user's home directory (`os.homedir()`)
   */
  readonly homeDirectory?: string | undefined;
}

type Path = (string | number)[];

/** Whether an issue sits under a secret reference (its value must never be quoted). */
function underSecret(path: readonly PropertyKey[]): boolean {
  return path.some((part) => typeof part === 'string' && SECRET_FIELDS.has(part));
}

/**
 * Turns zod's issues into document issues. Under a secret field the value is never quoted: a string or
 * number there is a literal secret, refused as such; anything else gets the schema's expectation alone.
 * Every other message goes through {@link redactString}, so that a URL with a password in it is not
 * quoted whole.
 */
function configIssues(all: readonly z.core.$ZodIssue[]): DocumentIssue[] {
  // A refinement of an object that also has unknown keys ("exactly one of env or file" beside "unknown
  // field evn") says less than the unknown key's suggestion: keep the latter only.
  const unknownAt = new Set(
    all.filter((i) => i.code === 'unrecognized_keys').map((i) => JSON.stringify(i.path)),
  );
  const issues = all.filter((i) => i.code !== 'custom' || !unknownAt.has(JSON.stringify(i.path)));
  const plain = issues.filter((i) => i.code === 'unrecognized_keys' || !underSecret(i.path));
  const out = fromZodIssues(plain, EscalatorConfigSchema).map((i) => ({
    ...i,
    message: redactString(i.message),
  }));
  const seen = new Set<string>();
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys' || !underSecret(issue.path)) continue;
    const path: Path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const input = (issue as { input?: unknown }).input;
    const field = path.at(-1);
    const literal =
      typeof field === 'string' &&
      SECRET_FIELDS.has(field) &&
      (typeof input === 'string' || typeof input === 'number' || typeof input === 'boolean');
    const message = literal
      ? `a literal secret is refused: write where it is kept instead, e.g. ${field}: { env: ${example(String(field))[0]} } or ${field}: { file: ${example(String(field))[1]} }`
      : `${issue.message}${input === undefined && issue.code === 'invalid_type' ? ', but it is missing' : ''}`;
    const id = JSON.stringify([path, message]);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ code: literal ? 'literal-secret' : 'schema', path, message });
  }
  return out;
}

/** An environment variable and a file to show in the advice about a literal secret. */
function example(field: string): [string, string] {
  if (field === 'password') return ['OS_PASSWORD', '/etc/escalator/os-password'];
  if (field === 'applicationCredentialSecret')
    return ['OS_APPLICATION_CREDENTIAL_SECRET', '/etc/escalator/os-application-credential-secret'];
  return ['VNFM_TOKEN', '/etc/escalator/vnfm-token'];
}

/** Checks across fields, on a document that passed the schema. */
function checkConfig(doc: ConfigDocument): DocumentIssue[] {
  const out: DocumentIssue[] = [];
  if (doc.backend === 'openstack' && doc.openstack === undefined)
    out.push({
      code: 'missing-section',
      path: ['backend'],
      message:
        'backend openstack needs an openstack section: { cloud: NAME } for a cloud of clouds.yaml, ' +
        'or openstack: {} to use the OS_* environment variables',
    });
  const os = doc.openstack;
  if (os) {
    const password = (['username', 'password'] as const).filter((k) => os[k] !== undefined);
    const application = (['applicationCredentialId', 'applicationCredentialSecret'] as const).filter(
      (k) => os[k] !== undefined,
    );
    if (password.length > 0 && application.length > 0)
      out.push({
        code: 'conflict',
        path: ['openstack', application[0]!],
        message: `give either a password (${password.join(', ')}) or an application credential (${application.join(', ')}), not both`,
      });
  }
  const managers = new Map<string, number>();
  doc.vnfManagers.forEach((manager, i) => {
    const first = managers.get(manager.vnf);
    if (first !== undefined)
      out.push({
        code: 'duplicate-name',
        path: ['vnfManagers', i, 'vnf'],
        message: `VNF "${manager.vnf}" already has a manager at vnfManagers[${first}]`,
      });
    else managers.set(manager.vnf, i);
  });
  return out;
}

/** The OS user name, as the CLI's local operator has it. */
function osUserName(): string {
  const fromEnv = process.env['USER'] || process.env['LOGNAME'];
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

/** Makes the document's paths absolute and fills the defaults that depend on them. */
function resolveDocument(doc: ConfigDocument, base: string, home: string, file: string): EscalatorConfig {
  const abs = (p: string): string =>
    p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : isAbsolute(p) ? p : resolve(base, p);
  /** `{ [key]: absolute path }`, or nothing when the field is not set. */
  const path = <K extends string>(key: K, p: string | undefined) =>
    (p === undefined ? {} : { [key]: abs(p) }) as { [P in K]?: string };
  /** `{ [key]: reference }` with a file reference's path made absolute, or nothing. */
  const secret = <K extends string>(key: K, ref: SecretRef | undefined) =>
    (ref === undefined ? {} : { [key]: ref.file === undefined ? ref : { file: abs(ref.file) } }) as {
      [P in K]?: SecretRef;
    };
  const stateDirectory = abs(doc.stateDirectory);
  const { openstack: os, ssh } = doc;
  return {
    ...doc,
    stateDirectory,
    log: { level: doc.log.level, file: abs(doc.log.file ?? join(stateDirectory, 'escalator.log')) },
    ...(os === undefined
      ? {}
      : {
          openstack: {
            ...os,
            ...path('caBundle', os.caBundle),
            ...secret('password', os.password),
            ...secret('applicationCredentialSecret', os.applicationCredentialSecret),
          },
        }),
    ssh: {
      ...ssh,
      ...path('identityFile', ssh.identityFile),
      ...path('knownHostsFile', ssh.knownHostsFile),
      groups: ssh.groups.map((g) => ({
        ...g,
        ...path('identityFile', g.identityFile),
        ...path('knownHostsFile', g.knownHostsFile),
      })),
    },
    vnfManagers: doc.vnfManagers.map((m) => ({ ...m, ...secret('token', m.token) })),
    rest: { ...doc.rest, ...path('tokensFile', doc.rest.tokensFile) },
    operator: { id: doc.operator.id ?? osUserName(), roles: doc.operator.roles },
    configFile: file,
  };
}

/**
 * Parses `escalator.yaml` from YAML or JSON text, checks it, and resolves its paths (relative ones
 * against `baseDirectory`, by default the directory of `file`).
 * @throws {@link DocumentError} listing every problem as `file:line:column field: message`.
 * @example
 * ```ts
 * const config = parseConfig('apiVersion: escalator/v1\nkind: Config\nbackend: simulator\n', {
 *   file: 'escalator.yaml',
 * });
 * ```
 */
export function parseConfig(text: string, options: ConfigParseOptions = {}): EscalatorConfig {
  const file = options.file ?? '<string>';
  const source = parseSourceOf(text, file);
  const parsed = EscalatorConfigSchema.safeParse(source.data, { reportInput: true });
  const issues = parsed.success ? checkConfig(parsed.data) : configIssues(parsed.error.issues);
  if (issues.length > 0 || !parsed.success)
    throw new DocumentError(
      file,
      issues
        .map((i) => ({ ...i, ...source.locate(i.path, { key: i.code === 'unknown-field' }) }))
        .sort((a, b) => a.line - b.line || a.column - b.column),
    );
  const base =
    options.baseDirectory ?? (options.file === undefined ? process.cwd() : dirname(resolve(options.file)));
  const config = resolveDocument(parsed.data, resolve(base), options.homeDirectory ?? homedir(), file);
  rememberSource(config, source.locate);
  return config;
}

/**
 * Reads and parses `escalator.yaml` (YAML or JSON); relative paths in it are read from its directory.
 * @throws {@link DocumentError} listing every problem, or {@link FileUnreadableError}.
 * @example
 * ```ts
 * const config = await loadConfig('escalator.yaml');
 * if (config.backend === 'openstack') console.log(describeConfig(config));
 * ```
 */
export async function loadConfig(file: string, options: ConfigParseOptions = {}): Promise<EscalatorConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FileUnreadableError(file, error);
  }
  return parseConfig(text, {
    ...options,
    file: options.file ?? file,
    baseDirectory: options.baseDirectory ?? dirname(resolve(file)),
  });
}
