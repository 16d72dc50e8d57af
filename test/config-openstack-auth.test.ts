/**
 * resolveOpenStackAuth: clouds.yaml found where openstacksdk finds it (OS_CLIENT_CONFIG_FILE,
 * ./clouds.yaml, $XDG_CONFIG_HOME or ~/.config, /etc/openstack), the cloud named by openstack.cloud or
 * OS_CLOUD, secure.yaml laid over it, else the OS_* environment; escalator.yaml's overrides on top.
 * Real files in a temporary directory; the result must be accepted by createKeystoneSession as is.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeystoneSession } from '../src/adapters/openstack/index.js';
import {
  DocumentError,
  type EscalatorConfig,
  FileUnreadableError,
  type OpenStackAuth,
  parseConfig,
  resolveOpenStackAuth,
} from '../src/index.js';
import { positionOf } from './support/documents.js';

const SENTINEL = 'S3NT1NEL-os-secret-Qx7';
const HAS_SYSTEM_CLOUDS =
  existsSync('/etc/openstack/clouds.yaml') || existsSync('/etc/openstack/secure.yaml');

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'escalator-os-auth-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
/** A fresh directory tree: `cwd`, `home`, `xdg`, `etc` (empty). */
async function tree(): Promise<{ base: string; cwd: string; home: string; xdg: string }> {
  const base = join(root, `t${++counter}`);
  const t = { base, cwd: join(base, 'cwd'), home: join(base, 'home'), xdg: join(base, 'xdg') };
  for (const d of [t.cwd, t.home, t.xdg]) await mkdir(d, { recursive: true });
  return t;
}

async function put(path: string, text: string, mode = 0o600): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  await chmod(path, mode);
  return path;
}

/** clouds.yaml with one cloud per name, each with its own auth_url so the test can tell which was read. */
function clouds(...names: string[]): string {
  return `clouds:\n${names
    .map(
      (n) => `  ${n}:
    auth:
      auth_url: https://${n}.example:5000/v3
      username: admin
      password: ${SENTINEL}
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
`,
    )
    .join('')}`;
}

const HEAD = 'apiVersion: escalator/v1\nkind: Config\nbackend: openstack\n';

/** A config read from `text` as the file `<cwd>/escalator.yaml`. */
async function config(
  cwd: string,
  openstack: string,
): Promise<{ config: EscalatorConfig; text: string; path: string }> {
  const text = `${HEAD}openstack:\n${openstack}`;
  const path = await put(join(cwd, 'escalator.yaml'), text);
  return { config: parseConfig(text, { file: path }), text, path };
}

async function failure(promise: Promise<unknown>): Promise<DocumentError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a DocumentError');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DocumentError);
  expect((error as Error).message).not.toContain(SENTINEL);
  return error as DocumentError;
}

/** The session options must be what createKeystoneSession takes, as they are. */
function accepted(auth: OpenStackAuth): OpenStackAuth {
  expect(() => createKeystoneSession(auth.keystone)).not.toThrow();
  expect(JSON.stringify({ ...auth, keystone: undefined })).not.toContain(SENTINEL);
  return auth;
}

describe('clouds.yaml', () => {
  it('reads the cloud named by openstack.cloud, password and all', async () => {
    const t = await tree();
    const path = await put(join(t.cwd, 'clouds.yaml'), clouds('lab', 'prod'));
    const { config: c } = await config(t.cwd, '  cloud: lab\n');
    const auth = accepted(await resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }));
    expect(auth).toEqual({
      keystone: {
        authUrl: 'https://lab.example:5000/v3',
        credentials: {
          password: {
            username: 'admin',
            password: SENTINEL,
            projectName: 'admin',
            userDomainName: 'Default',
            projectDomainName: 'Default',
          },
        },
        region: 'RegionOne',
      },
      source: `cloud "lab" of ${path}`,
    });
  });

  it('looks in OS_CLIENT_CONFIG_FILE, ./clouds.yaml, $XDG_CONFIG_HOME or ~/.config, in that order', async () => {
    const t = await tree();
    const { config: c } = await config(t.cwd, '  cloud: a\n');
    const url = async (env: Record<string, string>) =>
      (await resolveOpenStackAuth(c, { HOME: t.home, ...env }, { cwd: t.cwd })).keystone.authUrl;
    const named = await put(
      join(t.base, 'named', 'my-clouds.yaml'),
      clouds('a').replace('a.example', 'named.example'),
    );
    await put(join(t.cwd, 'clouds.yaml'), clouds('a').replace('a.example', 'cwd.example'));
    await put(join(t.xdg, 'openstack', 'clouds.yaml'), clouds('a').replace('a.example', 'xdg.example'));
    await put(
      join(t.home, '.config', 'openstack', 'clouds.yaml'),
      clouds('a').replace('a.example', 'home.example'),
    );
    expect(await url({ OS_CLIENT_CONFIG_FILE: named, XDG_CONFIG_HOME: t.xdg })).toBe(
      'https://named.example:5000/v3',
    );
    // A named file that is not there is skipped, as openstacksdk does.
    expect(await url({ OS_CLIENT_CONFIG_FILE: join(t.base, 'absent.yaml') })).toBe(
      'https://cwd.example:5000/v3',
    );
    await rm(join(t.cwd, 'clouds.yaml'));
    expect(await url({ XDG_CONFIG_HOME: t.xdg })).toBe('https://xdg.example:5000/v3');
    expect(await url({})).toBe('https://home.example:5000/v3');
    // The first file found is the only one read: a cloud it lacks is not looked for further on.
    await put(join(t.cwd, 'clouds.yaml'), clouds('other'));
    const error = await failure(resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }));
    expect(error.file).toBe(join(t.cwd, 'clouds.yaml'));
  });

  it('takes the cloud from OS_CLOUD when openstack.cloud is absent; openstack.cloud wins over it', async () => {
    const t = await tree();
    await put(join(t.cwd, 'clouds.yaml'), clouds('lab', 'prod'));
    const env = { HOME: t.home, OS_CLOUD: 'prod', OS_AUTH_URL: 'https://env.example/v3' };
    const { config: fromEnv } = await config(t.cwd, '  regionName: RegionTwo\n');
    const auth = accepted(await resolveOpenStackAuth(fromEnv, env, { cwd: t.cwd }));
    expect(auth.keystone.authUrl).toBe('https://prod.example:5000/v3');
    expect(auth.keystone.region).toBe('RegionTwo');
    const { config: named } = await config(t.cwd, '  cloud: lab\n');
    expect((await resolveOpenStackAuth(named, env, { cwd: t.cwd })).keystone.authUrl).toBe(
      'https://lab.example:5000/v3',
    );
  });

  it('names the clouds.yaml line and lists its clouds when the cloud is not there', async () => {
    const t = await tree();
    const text = clouds('lab-1', 'prod');
    const path = await put(join(t.cwd, 'clouds.yaml'), text);
    const { config: c, path: configPath } = await config(t.cwd, '  cloud: lab-l\n');
    const error = await failure(resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }));
    const p = positionOf(text, 'clouds:');
    expect(error.message).toBe(
      `${path}:${p.line}:${p.column} clouds: no cloud "lab-l" (named by openstack.cloud in ${configPath}); did you mean "lab-1"?; this file has: lab-1, prod`,
    );
  });

  it('positions a malformed clouds.yaml', async () => {
    const t = await tree();
    const text = `clouds:\n  lab:\n    auth: { auth_url: x\n  prod: {}\n`;
    const path = await put(join(t.cwd, 'clouds.yaml'), text);
    const { config: c } = await config(t.cwd, '  cloud: lab\n');
    const error = await failure(resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }));
    expect(error.file).toBe(path);
    expect(error.issues[0]).toMatchObject({ code: 'syntax' });
    expect(error.message).toMatch(
      new RegExp(`^${path.replace(/[.]/g, '\\.')}:\\d+:\\d+ \\(document\\): invalid YAML`),
    );
  });

  it('positions wrong types in clouds.yaml without quoting them', async () => {
    const t = await tree();
    const text = `clouds:\n  lab:\n    auth:\n      auth_url: https://k.example/v3\n      password: [${SENTINEL}]\n      username: { a: ${SENTINEL} }\n`;
    const path = await put(join(t.cwd, 'clouds.yaml'), text);
    const { config: c } = await config(t.cwd, '  cloud: lab\n');
    const error = await failure(resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }));
    const pw = positionOf(text, `password: |[${SENTINEL}]`);
    const user = positionOf(text, `username: |{ a:`);
    expect(error.message.split('\n').sort()).toEqual(
      [
        `${path}:${pw.line}:${pw.column} clouds.lab.auth.password: expected a string`,
        `${path}:${user.line}:${user.column} clouds.lab.auth.username: expected a string`,
      ].sort(),
    );
  });

  it('says where it looked when there is no clouds.yaml at all', async () => {
    if (HAS_SYSTEM_CLOUDS) return; // this machine has a system-wide clouds.yaml
    const t = await tree();
    const { config: c, text, path } = await config(t.cwd, '  cloud: lab\n');
    const error = await failure(resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }));
    const p = positionOf(text, 'cloud: |lab');
    expect(error.message).toBe(
      `${path}:${p.line}:${p.column} openstack.cloud: cloud "lab" (named by openstack.cloud) needs a clouds.yaml, and there is none in ` +
        `${join(t.cwd, 'clouds.yaml')}, ${join(t.home, '.config', 'openstack', 'clouds.yaml')}, /etc/openstack/clouds.yaml (set OS_CLIENT_CONFIG_FILE to name one)`,
    );
  });

  it('lays secure.yaml over clouds.yaml', async () => {
    const t = await tree();
    await put(
      join(t.cwd, 'clouds.yaml'),
      'clouds:\n  lab:\n    auth: { auth_url: "https://k.example/v3", username: u, project_name: p }\n    interface: internalURL\n',
    );
    await put(
      join(t.home, '.config', 'openstack', 'secure.yaml'),
      `clouds:\n  lab:\n    auth: { password: ${SENTINEL} }\n`,
    );
    const { config: c } = await config(t.cwd, '  cloud: lab\n');
    const auth = accepted(await resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }));
    expect(auth.keystone.credentials).toEqual({
      password: { username: 'u', password: SENTINEL, projectName: 'p' },
    });
    expect(auth.keystone.interface).toBe('internal');
    expect(auth.source).toBe(
      `cloud "lab" of ${join(t.cwd, 'clouds.yaml')} and ${join(t.home, '.config', 'openstack', 'secure.yaml')}`,
    );
  });

  it('uses an application credential when auth_type says so', async () => {
    const t = await tree();
    await put(
      join(t.cwd, 'clouds.yaml'),
      `clouds:\n  lab:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: https://k.example/v3\n      application_credential_id: app-1\n      application_credential_secret: ${SENTINEL}\n      username: ignored\n`,
    );
    const { config: c } = await config(t.cwd, '  cloud: lab\n');
    const auth = accepted(await resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }));
    expect(auth.keystone.credentials).toEqual({ applicationCredential: { id: 'app-1', secret: SENTINEL } });
  });

  it('refuses what the Keystone session cannot do, in clouds.yaml, with the line', async () => {
    const t = await tree();
    const text =
      'clouds:\n  lab:\n    auth_type: token\n    verify: false\n    auth: { auth_url: "https://k.example/v3", token: abc }\n';
    const path = await put(join(t.cwd, 'clouds.yaml'), text);
    const { config: c } = await config(t.cwd, '  cloud: lab\n');
    const error = await failure(resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }));
    const type = positionOf(text, 'auth_type: |token');
    const verify = positionOf(text, 'verify: |false');
    expect(error.message.split('\n').sort()).toEqual(
      [
        `${path}:${type.line}:${type.column} clouds.lab.auth_type: auth_type "token" is not supported: Escalator authenticates with password or v3applicationcredential`,
        `${path}:${verify.line}:${verify.column} clouds.lab.verify: verify: false is not supported: Escalator always checks TLS certificates (use cacert)`,
      ].sort(),
    );
  });

  it('lists every missing value at once, at the cloud, and says when only an id was given', async () => {
    const t = await tree();
    const text =
      'clouds:\n  lab:\n    auth: { auth_url: "https://k.example/v3", username: u, project_id: 0a1b }\n';
    const path = await put(join(t.cwd, 'clouds.yaml'), text);
    const { config: c, path: configPath } = await config(t.cwd, '  cloud: lab\n');
    const error = await failure(resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }));
    const p = positionOf(text, 'lab:');
    const at = `${path}:${p.line + 1}:${5}`;
    expect(positionOf(text, '|auth:')).toEqual({ line: p.line + 1, column: 5 });
    expect(error.message.split('\n')).toEqual([
      `${at} clouds.lab: the password is missing: cloud "lab" of ${path} gives no auth.password; set it there, or give openstack.password in ${configPath}`,
      `${at} clouds.lab: the project name is missing (it gives an id instead, which Escalator's Keystone session does not take: give the name): cloud "lab" of ${path} gives no auth.project_name; set it there, or give openstack.projectName in ${configPath}`,
    ]);
  });
});

describe('the OS_* environment', () => {
  const base = {
    OS_AUTH_URL: 'https://keystone.example:5000/v3',
    OS_USERNAME: 'admin',
    OS_PASSWORD: SENTINEL,
    OS_PROJECT_NAME: 'admin',
    OS_USER_DOMAIN_NAME: 'Default',
    OS_PROJECT_DOMAIN_NAME: 'Default',
    OS_REGION_NAME: 'RegionOne',
    OS_INTERFACE: 'publicURL',
  };

  it('is used when no cloud is named, as openstack: {} says', async () => {
    const t = await tree();
    await put(join(t.cwd, 'clouds.yaml'), clouds('lab')); // not read: no cloud is named
    const c = parseConfig(`${HEAD}openstack: {}\n`, { file: join(t.cwd, 'escalator.yaml') });
    const ca = await put(join(t.cwd, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n', 0o644);
    const auth = accepted(
      await resolveOpenStackAuth(c, { ...base, OS_CACERT: 'ca.pem', HOME: t.home }, { cwd: t.cwd }),
    );
    expect(auth).toEqual({
      keystone: {
        authUrl: 'https://keystone.example:5000/v3',
        credentials: {
          password: {
            username: 'admin',
            password: SENTINEL,
            projectName: 'admin',
            userDomainName: 'Default',
            projectDomainName: 'Default',
          },
        },
        region: 'RegionOne',
        interface: 'public',
      },
      caBundle: ca,
      source: 'the OS_* environment',
    });
  });

  it('takes an application credential', async () => {
    const t = await tree();
    const { config: c } = await config(t.cwd, '  interface: admin\n');
    const env = {
      OS_AUTH_URL: 'https://keystone.example/v3',
      OS_APPLICATION_CREDENTIAL_ID: 'app-1',
      OS_APPLICATION_CREDENTIAL_SECRET: SENTINEL,
      OS_AUTH_TYPE: 'v3applicationcredential',
    };
    const auth = accepted(await resolveOpenStackAuth(c, env, { cwd: t.cwd }));
    expect(auth.keystone).toEqual({
      authUrl: 'https://keystone.example/v3',
      credentials: { applicationCredential: { id: 'app-1', secret: SENTINEL } },
      interface: 'admin',
    });
  });

  it('lists what is missing at the openstack line of escalator.yaml', async () => {
    const t = await tree();
    const { config: c, text, path } = await config(t.cwd, '  regionName: r\n');
    const error = await failure(
      resolveOpenStackAuth(c, { OS_USERNAME: 'u', OS_INTERFACE: 'private' }, { cwd: t.cwd }),
    );
    const p = positionOf(text, '|regionName');
    const at = `${path}:${p.line}:${p.column} openstack:`;
    expect(error.message.split('\n')).toEqual([
      `${at} Keystone's URL is missing: the OS_* environment gives no OS_AUTH_URL; set it there, or give openstack.authUrl in ${path}`,
      `${at} the password is missing: the OS_* environment gives no OS_PASSWORD; set it there, or give openstack.password in ${path}`,
      `${at} the project name is missing: the OS_* environment gives no OS_PROJECT_NAME; set it there, or give openstack.projectName in ${path}`,
      `${at} OS_INTERFACE must be one of public, internal, admin, got "private"`,
    ]);
  });
});

describe("escalator.yaml's overrides", () => {
  it('override the source, secrets read from the environment or an owner-only file', async () => {
    const t = await tree();
    await put(join(t.cwd, 'clouds.yaml'), clouds('lab'));
    const secretFile = await put(join(t.cwd, 'secrets', 'pw'), `${SENTINEL}-file\n`);
    const ca = await put(join(t.cwd, 'ca.pem'), 'x', 0o644);
    const { config: c } = await config(
      t.cwd,
      '  cloud: lab\n  username: escalator\n  password: { file: secrets/pw }\n  regionName: RegionTwo\n  interface: internal\n  caBundle: ca.pem\n  endpointOverride: { compute: "http://10.0.0.5:8774/v2.1" }\n',
    );
    const auth = accepted(await resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }));
    expect(auth.keystone).toEqual({
      authUrl: 'https://lab.example:5000/v3',
      credentials: {
        password: {
          username: 'escalator',
          password: `${SENTINEL}-file`,
          projectName: 'admin',
          userDomainName: 'Default',
          projectDomainName: 'Default',
        },
      },
      region: 'RegionTwo',
      interface: 'internal',
      endpointOverride: { compute: 'http://10.0.0.5:8774/v2.1' },
    });
    expect(auth.caBundle).toBe(ca);
    expect(secretFile).toBe(join(t.cwd, 'secrets', 'pw'));
  });

  it('an application credential in escalator.yaml wins over the password of clouds.yaml', async () => {
    const t = await tree();
    await put(join(t.cwd, 'clouds.yaml'), clouds('lab'));
    const { config: c } = await config(
      t.cwd,
      '  cloud: lab\n  applicationCredentialId: app-9\n  applicationCredentialSecret: { env: APP_SECRET }\n',
    );
    const auth = accepted(
      await resolveOpenStackAuth(c, { HOME: t.home, APP_SECRET: SENTINEL }, { cwd: t.cwd }),
    );
    expect(auth.keystone.credentials).toEqual({ applicationCredential: { id: 'app-9', secret: SENTINEL } });
  });

  it('puts a secret that cannot be read at its line of escalator.yaml', async () => {
    const t = await tree();
    await put(join(t.cwd, 'clouds.yaml'), clouds('lab'));
    const open = await put(join(t.cwd, 'open-pw'), SENTINEL, 0o644);
    const {
      config: c,
      text,
      path,
    } = await config(t.cwd, '  cloud: lab\n  password: { file: open-pw }\n  caBundle: missing-ca.pem\n');
    const error = await failure(resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }));
    const p = positionOf(text, 'password: |{ file');
    expect(error.message).toBe(
      `${path}:${p.line}:${p.column} openstack.password: secret file ${open} may be read or written by others (mode 0644); make it readable by its owner only: chmod 600 ${open}`,
    );
    const { config: byEnv } = await config(t.cwd, '  cloud: lab\n  password: { env: NOT_SET }\n');
    const unset = await failure(resolveOpenStackAuth(byEnv, { HOME: t.home }, { cwd: t.cwd }));
    expect(unset.message).toMatch(
      /:6:13 openstack\.password: environment variable NOT_SET is not set; it should hold the secret$/,
    );
  });

  it('says so when the CA bundle cannot be read', async () => {
    const t = await tree();
    await put(join(t.cwd, 'clouds.yaml'), clouds('lab'));
    const { config: c } = await config(t.cwd, '  cloud: lab\n  caBundle: missing-ca.pem\n');
    const error = await failure(resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }));
    expect(error.message).toMatch(/:6:13 openstack\.caBundle: cannot read the CA bundle \(ENOENT/);
  });

  it('needs an openstack section', async () => {
    const c = parseConfig('apiVersion: escalator/v1\nkind: Config\n', { file: 'escalator.yaml' });
    const error = await failure(resolveOpenStackAuth(c, {}));
    expect(error.message).toBe(
      'escalator.yaml:1:1 (document): there is no openstack section: add { cloud: NAME } for a cloud of clouds.yaml, or openstack: {} to use the OS_* environment variables',
    );
  });

  it('reports a clouds.yaml that cannot be read', async () => {
    const t = await tree();
    await mkdir(join(t.cwd, 'clouds.yaml')); // a directory: EISDIR
    const { config: c } = await config(t.cwd, '  cloud: lab\n');
    const error = await resolveOpenStackAuth(c, { HOME: t.home }, { cwd: t.cwd }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileUnreadableError);
  });
});
