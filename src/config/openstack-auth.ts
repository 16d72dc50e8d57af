/**
 * Where Escalator's OpenStack credentials come from, as openstacksdk and the `openstack` client find
 * them: the cloud of clouds.yaml named by `openstack.cloud` (else by `OS_CLOUD`), with secure.yaml laid
 * over it, else the `OS_*` environment variables; then what `escalator.yaml` says explicitly overrides
 * them. The result is exactly the options of the Keystone session (`createKeystoneSession`,
 * `createOpenStackVim({ keystone })`).
 * @module
 */
import { join, resolve } from 'node:path';
import type {
  EndpointInterface,
  KeystoneCredentials,
  KeystoneSessionOptions,
} from '../adapters/openstack/keystone.js';
import { DocumentError, type DocumentIssue, EscalatorError, FileUnreadableError } from '../errors.js';
import { type ParsedSource, parseSourceOf } from '../loader/source.js';
import { ENDPOINT_INTERFACES, type SecretRef } from '../model/config.js';
import { didYouMean } from '../util/did-you-mean.js';
import { configError, configIssue } from './positions.js';
import { fileAccess, resolveSecret } from './secrets.js';
import type { ConfigEnvironment, ConfigFileAccess, EscalatorConfig } from './types.js';

/**
 * What {@link resolveOpenStackAuth} found.
 * @example
 * ```ts
 * import { createKeystoneSession } from 'escalator/openstack';
 * const auth: OpenStackAuth = await resolveOpenStackAuth(await loadConfig('escalator.yaml'));
 * const session = createKeystoneSession(auth.keystone);
 * console.log(`credentials from ${auth.source}`);
 * ```
 */
export interface OpenStackAuth {
  /**
   * Exactly the options of `createKeystoneSession` (and of `createOpenStackVim({ keystone })`): Keystone's
   * URL, the credentials (secrets read), and the region, interface and endpoint overrides when set.
   * They hold secrets: never log them.
   */
  readonly keystone: KeystoneSessionOptions;
  /**
   * The PEM file of CAs to trust for the cloud's TLS certificates (`openstack.caBundle`, clouds.yaml's
   * `cacert` or `OS_CACERT`), when one is set. A host gives its text to the session's transport:
   * `createKeystoneSession({ ...auth.keystone, request: { transport: nodeHttpTransport({ ca }) } })`
   * (the CLI does).
   */
  readonly caBundle?: string | undefined;
  /** Where the credentials came from, for messages, e.g. `cloud "lab" of /etc/openstack/clouds.yaml`. */
  readonly source: string;
}

type AuthType = 'password' | 'application-credential';

/** The fields a source may give, with a string value each. */
interface Fields {
  authUrl?: string;
  username?: string;
  password?: string;
  userDomainName?: string;
  projectName?: string;
  projectDomainName?: string;
  applicationCredentialId?: string;
  applicationCredentialSecret?: string;
  region?: string;
  interface?: string;
  caBundle?: string;
}

/** Where a field comes from in each kind of source, for messages. */
const NAMES: Record<keyof Fields, { clouds: string; env: string; config: string }> = {
  authUrl: { clouds: 'auth.auth_url', env: 'OS_AUTH_URL', config: 'authUrl' },
  username: { clouds: 'auth.username', env: 'OS_USERNAME', config: 'username' },
  password: { clouds: 'auth.password', env: 'OS_PASSWORD', config: 'password' },
  userDomainName: { clouds: 'auth.user_domain_name', env: 'OS_USER_DOMAIN_NAME', config: 'userDomainName' },
  projectName: { clouds: 'auth.project_name', env: 'OS_PROJECT_NAME', config: 'projectName' },
  projectDomainName: {
    clouds: 'auth.project_domain_name',
    env: 'OS_PROJECT_DOMAIN_NAME',
    config: 'projectDomainName',
  },
  applicationCredentialId: {
    clouds: 'auth.application_credential_id',
    env: 'OS_APPLICATION_CREDENTIAL_ID',
    config: 'applicationCredentialId',
  },
  applicationCredentialSecret: {
    clouds: 'auth.application_credential_secret',
    env: 'OS_APPLICATION_CREDENTIAL_SECRET',
    config: 'applicationCredentialSecret',
  },
  region: { clouds: 'region_name', env: 'OS_REGION_NAME', config: 'regionName' },
  interface: { clouds: 'interface', env: 'OS_INTERFACE', config: 'interface' },
  caBundle: { clouds: 'cacert', env: 'OS_CACERT', config: 'caBundle' },
};

/** Identifiers the Keystone session cannot use, and the name it needs instead. */
const ID_INSTEAD_OF_NAME: readonly [keyof Fields, string, string][] = [
  ['username', 'auth.user_id', 'OS_USER_ID'],
  ['projectName', 'auth.project_id', 'OS_PROJECT_ID'],
  ['userDomainName', 'auth.user_domain_id', 'OS_USER_DOMAIN_ID'],
  ['projectDomainName', 'auth.project_domain_id', 'OS_PROJECT_DOMAIN_ID'],
  ['applicationCredentialId', 'auth.application_credential_name', 'OS_APPLICATION_CREDENTIAL_NAME'],
];

/** The credentials of one source (a cloud of clouds.yaml, or the environment), before the config's overrides. */
interface Source {
  readonly fields: Fields;
  readonly authType: AuthType | undefined;
  /** Identifier fields that were given where the session needs names (see {@link ID_INSTEAD_OF_NAME}). */
  readonly ids: ReadonlySet<keyof Fields>;
  readonly describe: string;
  /** An issue about a field of this source (missing or wrong), in the file it belongs to. */
  issue(
    field: keyof Fields | 'auth_type' | undefined,
    message: string,
  ): { file: string; issue: DocumentIssue };
  /** How to name a field of this source in a message. */
  name(field: keyof Fields): string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function authTypeOf(value: string): AuthType | undefined {
  const v = value.toLowerCase();
  if (v === 'password' || v === 'v3password') return 'password';
  if (v === 'v3applicationcredential' || v === 'applicationcredential' || v === 'v3_application_credential')
    return 'application-credential';
  return undefined;
}

const UNSUPPORTED_AUTH = 'is not supported: Escalator authenticates with password or v3applicationcredential';

/** The credentials of the `OS_*` environment. */
function environmentSource(env: ConfigEnvironment, cwd: string, config: EscalatorConfig): Source {
  const get = (name: string) => nonEmpty(env[name]);
  const fields: Fields = {};
  const put = (key: keyof Fields, value: string | undefined) => {
    if (value !== undefined) fields[key] = value;
  };
  put('authUrl', get('OS_AUTH_URL'));
  put('username', get('OS_USERNAME'));
  put('password', get('OS_PASSWORD'));
  put('userDomainName', get('OS_USER_DOMAIN_NAME'));
  put('projectName', get('OS_PROJECT_NAME') ?? get('OS_TENANT_NAME'));
  put('projectDomainName', get('OS_PROJECT_DOMAIN_NAME'));
  put('applicationCredentialId', get('OS_APPLICATION_CREDENTIAL_ID'));
  put('applicationCredentialSecret', get('OS_APPLICATION_CREDENTIAL_SECRET'));
  put('region', get('OS_REGION_NAME'));
  put('interface', get('OS_INTERFACE') ?? get('OS_ENDPOINT_TYPE'));
  const cacert = get('OS_CACERT');
  if (cacert !== undefined) fields.caBundle = resolve(cwd, cacert);
  const issues: { file: string; issue: DocumentIssue }[] = [];
  const type = get('OS_AUTH_TYPE');
  const authType = type === undefined ? undefined : authTypeOf(type);
  if (type !== undefined && authType === undefined)
    issues.push({
      file: config.configFile,
      issue: configIssue(
        config,
        ['openstack'],
        'unsupported',
        `OS_AUTH_TYPE ${JSON.stringify(type)} ${UNSUPPORTED_AUTH}`,
      ),
    });
  const ids = new Set<keyof Fields>();
  for (const [field, , variable] of ID_INSTEAD_OF_NAME) if (get(variable) !== undefined) ids.add(field);
  const source: Source = {
    fields,
    authType,
    ids,
    describe: 'the OS_* environment',
    issue: (field, message) => ({
      file: config.configFile,
      issue: configIssue(config, ['openstack'], field === undefined ? 'missing' : 'invalid', message),
    }),
    name: (field) => NAMES[field].env,
  };
  if (issues.length > 0)
    throw new DocumentError(
      config.configFile,
      issues.map((i) => i.issue),
    );
  return source;
}

/** One parsed clouds.yaml or secure.yaml. */
interface CloudsFile {
  readonly path: string;
  readonly source: ParsedSource;
  readonly clouds: Record<string, unknown>;
}

/** The clouds.yaml (or secure.yaml) search path of openstacksdk, first first. */
function candidates(env: ConfigEnvironment, cwd: string, base: 'clouds' | 'secure'): string[] {
  const home = nonEmpty(env['HOME']);
  const xdg = nonEmpty(env['XDG_CONFIG_HOME']) ?? (home === undefined ? undefined : join(home, '.config'));
  const explicit = nonEmpty(env[base === 'clouds' ? 'OS_CLIENT_CONFIG_FILE' : 'OS_CLIENT_SECURE_FILE']);
  return [
    ...(explicit === undefined ? [] : [resolve(cwd, explicit)]),
    join(cwd, `${base}.yaml`),
    ...(xdg === undefined ? [] : [join(xdg, 'openstack', `${base}.yaml`)]),
    `/etc/openstack/${base}.yaml`,
  ];
}

/** Reads and checks the first of `paths` that exists. */
async function firstCloudsFile(
  paths: readonly string[],
  read: (path: string) => Promise<string>,
): Promise<CloudsFile | undefined> {
  for (const path of paths) {
    let text: string;
    try {
      text = await read(path);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new FileUnreadableError(path, error);
    }
    const source = parseSourceOf(text, path);
    const data = source.data;
    const where = (p: (string | number)[], message: string): DocumentError =>
      new DocumentError(path, [{ code: 'schema', path: p, message, ...source.locate(p) }]);
    if (!isRecord(data)) throw where([], 'expected a map with a clouds: key, as openstacksdk reads it');
    const clouds = Object.hasOwn(data, 'clouds') ? data['clouds'] : undefined;
    if (clouds !== undefined && clouds !== null && !isRecord(clouds))
      throw where(['clouds'], 'expected a map of cloud names to clouds');
    return { path, source, clouds: isRecord(clouds) ? clouds : {} };
  }
  return undefined;
}

/** The credentials of a cloud of clouds.yaml, with secure.yaml laid over it. */
async function cloudSource(
  name: string,
  namedBy: string,
  env: ConfigEnvironment,
  access: ReturnType<typeof fileAccess>,
  config: EscalatorConfig,
): Promise<Source> {
  const looked = candidates(env, access.cwd, 'clouds');
  const clouds = await firstCloudsFile(looked, access.readFile);
  const namePath = config.openstack?.cloud === undefined ? ['openstack'] : ['openstack', 'cloud'];
  if (!clouds)
    throw configError(config, [
      configIssue(
        config,
        namePath,
        'no-clouds-yaml',
        `cloud "${name}" (${namedBy}) needs a clouds.yaml, and there is none in ${looked.join(', ')}` +
          (env['OS_CLIENT_CONFIG_FILE'] ? '' : ' (set OS_CLIENT_CONFIG_FILE to name one)'),
      ),
    ]);
  const entry = Object.hasOwn(clouds.clouds, name) ? clouds.clouds[name] : undefined;
  if (!isRecord(entry)) {
    const known = Object.keys(clouds.clouds);
    const at = entry === undefined ? ['clouds'] : ['clouds', name];
    throw new DocumentError(clouds.path, [
      {
        code: entry === undefined ? 'unknown-cloud' : 'schema',
        path: at,
        message:
          entry === undefined
            ? `no cloud "${name}" (${namedBy} in ${config.configFile})${didYouMean(name, known)}; ` +
              (known.length === 0 ? 'this file has no clouds' : `this file has: ${known.join(', ')}`)
            : `cloud "${name}" must be a map (auth, region_name, ...)`,
        ...clouds.source.locate(at, { key: entry === undefined }),
      },
    ]);
  }
  const secure = await firstCloudsFile(candidates(env, access.cwd, 'secure'), access.readFile);
  const secureEntry = secure && Object.hasOwn(secure.clouds, name) ? secure.clouds[name] : undefined;
  const layers: { file: CloudsFile; entry: Record<string, unknown> }[] = [
    ...(secure && isRecord(secureEntry) ? [{ file: secure, entry: secureEntry }] : []),
    { file: clouds, entry },
  ];

  const problems: { file: string; issue: DocumentIssue }[] = [];
  const at = (file: CloudsFile, keys: readonly string[], code: string, message: string) => {
    const p = ['clouds', name, ...keys];
    problems.push({ file: file.path, issue: { code, path: p, message, ...file.source.locate(p) } });
  };
  /** A string field, secure.yaml first; a wrong type is reported without quoting the value. */
  const get = (keys: readonly string[]): string | undefined => {
    for (const { file, entry: e } of layers) {
      let v: unknown = e;
      for (const k of keys) v = isRecord(v) && Object.hasOwn(v, k) ? v[k] : undefined;
      if (v === undefined || v === null || v === '') continue;
      if (typeof v === 'string') return v;
      if (typeof v === 'number' && Number.isFinite(v)) return String(v);
      at(file, keys, 'schema', 'expected a string');
      return undefined;
    }
    return undefined;
  };
  for (const { file, entry: e } of layers)
    if (Object.hasOwn(e, 'auth') && e['auth'] !== null && !isRecord(e['auth']))
      at(file, ['auth'], 'schema', 'expected a map (auth_url, username, ...)');

  const fields: Fields = {};
  for (const key of Object.keys(NAMES) as (keyof Fields)[]) {
    if (key === 'region') continue;
    const value = get(NAMES[key].clouds.split('.'));
    if (value !== undefined) fields[key] = value;
  }
  const tenant = fields.projectName === undefined ? get(['auth', 'tenant_name']) : undefined;
  if (tenant !== undefined) fields.projectName = tenant;
  const region = get(['region_name']) ?? firstRegion(entry['regions']);
  if (region !== undefined) fields.region = region;
  if (fields.caBundle !== undefined) fields.caBundle = resolve(access.cwd, fields.caBundle);
  if (entry['verify'] === false)
    at(
      clouds,
      ['verify'],
      'unsupported',
      'verify: false is not supported: Escalator always checks TLS certificates (use cacert)',
    );
  const type = get(['auth_type']);
  const authType = type === undefined ? undefined : authTypeOf(type);
  if (type !== undefined && authType === undefined)
    at(clouds, ['auth_type'], 'unsupported', `auth_type ${JSON.stringify(type)} ${UNSUPPORTED_AUTH}`);
  const ids = new Set<keyof Fields>();
  for (const [field, key] of ID_INSTEAD_OF_NAME) if (get(key.split('.')) !== undefined) ids.add(field);
  if (problems.length > 0) {
    const file = problems[0]!.file;
    throw new DocumentError(
      file,
      problems.filter((p) => p.file === file).map((p) => p.issue),
    );
  }
  const files = secure && isRecord(secureEntry) ? `${clouds.path} and ${secure.path}` : clouds.path;
  return {
    fields,
    authType,
    ids,
    describe: `cloud "${name}" of ${files}`,
    issue: (field, message) => {
      const keys =
        field === undefined ? [] : field === 'auth_type' ? ['auth_type'] : NAMES[field].clouds.split('.');
      const p = ['clouds', name, ...keys];
      return { file: clouds.path, issue: { code: 'invalid', path: p, message, ...clouds.source.locate(p) } };
    },
    name: (field) => NAMES[field].clouds,
  };
}

function firstRegion(regions: unknown): string | undefined {
  if (!Array.isArray(regions)) return undefined;
  const first: unknown = regions[0];
  if (typeof first === 'string' && first !== '') return first;
  if (isRecord(first) && typeof first['name'] === 'string' && first['name'] !== '') return first['name'];
  return undefined;
}

/**
 * Resolves the OpenStack credentials of `config` into the options of the Keystone session.
 *
 * Where each value comes from, first found wins:
 * 1. what `openstack` in escalator.yaml says (`authUrl`, `username`, `password: { env | file }`,
 *    `regionName`, `interface`, `caBundle`, ...);
 * 2. the cloud named by `openstack.cloud`, else by `OS_CLOUD`, in the first clouds.yaml of
 *    openstacksdk's search path (`OS_CLIENT_CONFIG_FILE`, `./clouds.yaml`,
 *    `$XDG_CONFIG_HOME/openstack/clouds.yaml` or `~/.config/openstack/clouds.yaml`,
 *    `/etc/openstack/clouds.yaml`), with the same cloud of secure.yaml (same places,
 *    `OS_CLIENT_SECURE_FILE`) laid over it;
 * 3. without a cloud name, the `OS_*` environment variables (`OS_AUTH_URL`, `OS_USERNAME`,
 *    `OS_PASSWORD`, `OS_PROJECT_NAME`, `OS_USER_DOMAIN_NAME`, `OS_PROJECT_DOMAIN_NAME`,
 *    `OS_REGION_NAME`, `OS_INTERFACE`, `OS_CACERT`, `OS_APPLICATION_CREDENTIAL_ID`,
 *    `OS_APPLICATION_CREDENTIAL_SECRET`, `OS_AUTH_TYPE`).
 *
 * An application credential is used when escalator.yaml names one, else when the source's `auth_type`
 * / `OS_AUTH_TYPE` says so or it has an application credential id; a password otherwise.
 *
 * @param env - @defaultValue `process.env`
 * @param files - @defaultValue the real file system, clouds.yaml looked for in `process.cwd()`
 * @throws {@link DocumentError} naming escalator.yaml, clouds.yaml or secure.yaml with the line of
 *   each problem (a cloud that is not there, with the clouds the file has; a value missing; a secret
 *   that cannot be read); {@link FileUnreadableError} when a clouds.yaml exists but cannot be read.
 *   No message holds a secret.
 * @example
 * ```ts
 * import { createOpenStackVim } from 'escalator/openstack';
 * const config = await loadConfig('escalator.yaml');
 * const { keystone } = await resolveOpenStackAuth(config);
 * const vim = createOpenStackVim({ keystone, instances: inventory.instances });
 * ```
 */
export async function resolveOpenStackAuth(
  config: EscalatorConfig,
  env: ConfigEnvironment = process.env,
  files: ConfigFileAccess = {},
): Promise<OpenStackAuth> {
  const os = config.openstack;
  if (os === undefined)
    throw configError(config, [
      configIssue(
        config,
        [],
        'missing-section',
        'there is no openstack section: add { cloud: NAME } for a cloud of clouds.yaml, or openstack: {} to use the OS_* environment variables',
      ),
    ]);
  const access = fileAccess(files);
  const cloudName = os.cloud ?? nonEmpty(env['OS_CLOUD']);
  const source =
    cloudName === undefined
      ? environmentSource(env, access.cwd, config)
      : await cloudSource(
          cloudName,
          os.cloud === undefined ? 'named by OS_CLOUD' : 'named by openstack.cloud',
          env,
          access,
          config,
        );

  // What escalator.yaml says explicitly, secrets read.
  const configProblems: DocumentIssue[] = [];
  const explicit: Fields = {};
  const put = (key: keyof Fields, value: string | undefined) => {
    if (value !== undefined) explicit[key] = value;
  };
  const secret = async (field: 'password' | 'applicationCredentialSecret', ref: SecretRef | undefined) => {
    if (ref === undefined) return;
    try {
      explicit[field] = await resolveSecret(ref, env, access);
    } catch (error) {
      if (!EscalatorError.is(error)) throw error;
      configProblems.push(configIssue(config, ['openstack', field], 'secret-unavailable', error.message));
    }
  };
  put('authUrl', os.authUrl);
  put('username', os.username);
  put('userDomainName', os.userDomainName);
  put('projectName', os.projectName);
  put('projectDomainName', os.projectDomainName);
  put('applicationCredentialId', os.applicationCredentialId);
  put('region', os.regionName);
  put('interface', os.interface);
  put('caBundle', os.caBundle);
  await secret('password', os.password);
  await secret('applicationCredentialSecret', os.applicationCredentialSecret);
  if (configProblems.length > 0) throw configError(config, configProblems);

  const explicitApplication =
    os.applicationCredentialId !== undefined || os.applicationCredentialSecret !== undefined;
  const explicitPassword = os.username !== undefined || os.password !== undefined;
  const type: AuthType = explicitApplication
    ? 'application-credential'
    : explicitPassword
      ? 'password'
      : (source.authType ??
        (source.fields.applicationCredentialId !== undefined ? 'application-credential' : 'password'));
  const merged: Fields = { ...source.fields, ...explicit };

  const problems: { file: string; issue: DocumentIssue }[] = [];
  const need = (field: keyof Fields, what: string): string => {
    const value = merged[field];
    if (value !== undefined) return value;
    const hint = source.ids.has(field)
      ? ` (it gives an id instead, which Escalator's Keystone session does not take: give the name)`
      : '';
    problems.push(
      source.issue(
        undefined,
        `${what} is missing${hint}: ${source.describe} gives no ${source.name(field)}; set it there, or give openstack.${NAMES[field].config} in ${config.configFile}`,
      ),
    );
    return '';
  };
  const authUrl = need('authUrl', "Keystone's URL");
  let credentials: KeystoneCredentials;
  if (type === 'application-credential') {
    credentials = {
      applicationCredential: {
        id: need('applicationCredentialId', 'the application credential id'),
        secret: need('applicationCredentialSecret', 'the application credential secret'),
      },
    };
  } else {
    const username = need('username', 'the user name');
    const password = need('password', 'the password');
    const projectName = need('projectName', 'the project name');
    credentials = {
      password: {
        username,
        password,
        projectName,
        ...(merged.userDomainName === undefined ? {} : { userDomainName: merged.userDomainName }),
        ...(merged.projectDomainName === undefined ? {} : { projectDomainName: merged.projectDomainName }),
      },
    };
  }
  if (authUrl !== '' && !/^https?:\/\/[^\s/]/i.test(authUrl))
    problems.push(
      explicit.authUrl !== undefined
        ? {
            file: config.configFile,
            issue: configIssue(
              config,
              ['openstack', 'authUrl'],
              'invalid',
              "expected Keystone's http(s) URL",
            ),
          }
        : source.issue(
            'authUrl',
            `${source.name('authUrl')} must be Keystone's http(s) URL, e.g. https://keystone.example:5000/v3`,
          ),
    );
  let iface: EndpointInterface | undefined;
  if (merged.interface !== undefined) {
    const normal = merged.interface.replace(/URL$/, '').toLowerCase();
    if ((ENDPOINT_INTERFACES as readonly string[]).includes(normal)) iface = normal as EndpointInterface;
    else
      problems.push(
        source.issue(
          'interface',
          `${source.name('interface')} must be one of ${ENDPOINT_INTERFACES.join(', ')}, got ${JSON.stringify(merged.interface)}`,
        ),
      );
  }
  if (merged.caBundle !== undefined) {
    try {
      await access.mode(merged.caBundle);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      problems.push(
        explicit.caBundle !== undefined
          ? {
              file: config.configFile,
              issue: configIssue(
                config,
                ['openstack', 'caBundle'],
                'unreadable',
                `cannot read the CA bundle (${reason})`,
              ),
            }
          : source.issue(
              'caBundle',
              `cannot read the CA bundle ${source.name('caBundle')} names (${reason})`,
            ),
      );
    }
  }
  if (problems.length > 0) {
    const file = problems[0]!.file;
    const issues = problems.filter((p) => p.file === file).map((p) => p.issue);
    throw file === config.configFile ? configError(config, issues) : new DocumentError(file, issues);
  }
  const keystone: KeystoneSessionOptions = {
    authUrl,
    credentials,
    ...(merged.region === undefined ? {} : { region: merged.region }),
    ...(iface === undefined ? {} : { interface: iface }),
    ...(os.endpointOverride === undefined ? {} : { endpointOverride: { ...os.endpointOverride } }),
  };
  return {
    keystone,
    ...(merged.caBundle === undefined ? {} : { caBundle: merged.caBundle }),
    source: source.describe,
  };
}
