/**
 * Where the real OpenStack test bed is, for integration tests: reads the `env.json` that
 * `scripts/openstack/up.sh` writes once the cloud is ready (and `down.sh` moves aside), in
 * `$OPENSTACK_STATE_DIR` (default `/var/tmp/escalator-openstack`).
 *
 * `loadOpenStackEnv()` returns `undefined` when there is no such file (no cloud here: skip the
 * tests), and throws when the file is there but not what up.sh writes (a broken test bed should
 * fail loudly, not skip).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

export const DEFAULT_OPENSTACK_STATE_DIR = '/var/tmp/escalator-openstack';

export interface OpenStackEndpoints {
  readonly identity: string;
  readonly compute: string;
  readonly placement: string;
  readonly image: string;
  readonly network: string;
}

export interface OpenStackTestEnv {
  /** Keystone v3, e.g. `http://127.0.0.1:5000/v3`. */
  readonly authUrl: string;
  readonly region: string;
  /** Cloud admin (role `admin` on project `admin`). */
  readonly username: string;
  readonly password: string;
  readonly projectName: string;
  readonly userDomainName: string;
  readonly projectDomainName: string;
  readonly projectId: string;
  /** The fake nova-compute hosts, `cmp-1`..`cmp-N`; each is also its hypervisor and resource provider name. */
  readonly computeHosts: readonly string[];
  /** A tiny raw image, ACTIVE. */
  readonly imageId: string;
  /** 1 vCPU, 128 MB, 1 GB. */
  readonly flavorId: string;
  /** 2 vCPU, 256 MB, 1 GB (for resize tests). */
  readonly flavorIdSmall: string;
  /** There are no tenant networks: boot with `"networks": "none"` (microversion 2.37 or later). */
  readonly networkNone: true;
  /** An application credential of the admin user, scoped to the admin project. */
  readonly applicationCredentialId: string;
  readonly applicationCredentialSecret: string;
  /** A user with only the `member` role, on project `demo` (domain Default). */
  readonly demoUsername: string;
  readonly demoPassword: string;
  readonly demoProjectName: string;
  /** Nova's `compute_driver`, e.g. `fake.FakeDriver`. */
  readonly computeDriver: string;
  /** What `GET /v2.1/` answered, e.g. `{ min: '2.1', max: '2.93' }`. */
  readonly computeMicroversion: { readonly min: string; readonly max: string };
  readonly endpoints: OpenStackEndpoints;
  readonly stateDir: string;
  /** When up.sh last found the cloud ready (ISO 8601). */
  readonly writtenAt: string;
}

export function openStackStateDir(): string {
  const dir = process.env['OPENSTACK_STATE_DIR'];
  return dir !== undefined && dir !== '' ? dir : DEFAULT_OPENSTACK_STATE_DIR;
}

export function openStackEnvPath(stateDir: string = openStackStateDir()): string {
  return join(stateDir, 'env.json');
}

export function loadOpenStackEnv(stateDir: string = openStackStateDir()): OpenStackTestEnv | undefined {
  const path = openStackEnvPath(stateDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not JSON: ${(err as Error).message}`);
  }
  return parseOpenStackEnv(raw, path);
}

/** Checks the shape of an env.json document; `where` names it in error messages. */
export function parseOpenStackEnv(raw: unknown, where = 'env.json'): OpenStackTestEnv {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not an object');
  const o = raw as Record<string, unknown>;
  const str = (obj: Record<string, unknown>, key: string, prefix = ''): string => {
    const v = obj[key];
    if (typeof v !== 'string' || v === '') return fail(`${prefix}${key} must be a non-empty string`);
    return v;
  };
  const sub = (key: string): Record<string, unknown> => {
    const v = o[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(`${key} must be an object`);
    return v as Record<string, unknown>;
  };
  const hosts = o['computeHosts'];
  if (!Array.isArray(hosts) || hosts.length === 0 || !hosts.every((h) => typeof h === 'string' && h !== '')) {
    return fail('computeHosts must be a non-empty array of strings');
  }
  if (o['networkNone'] !== true) fail('networkNone must be true');
  const mv = sub('computeMicroversion');
  const ep = sub('endpoints');
  return {
    authUrl: str(o, 'authUrl'),
    region: str(o, 'region'),
    username: str(o, 'username'),
    password: str(o, 'password'),
    projectName: str(o, 'projectName'),
    userDomainName: str(o, 'userDomainName'),
    projectDomainName: str(o, 'projectDomainName'),
    projectId: str(o, 'projectId'),
    computeHosts: hosts as string[],
    imageId: str(o, 'imageId'),
    flavorId: str(o, 'flavorId'),
    flavorIdSmall: str(o, 'flavorIdSmall'),
    networkNone: true,
    applicationCredentialId: str(o, 'applicationCredentialId'),
    applicationCredentialSecret: str(o, 'applicationCredentialSecret'),
    demoUsername: str(o, 'demoUsername'),
    demoPassword: str(o, 'demoPassword'),
    demoProjectName: str(o, 'demoProjectName'),
    computeDriver: str(o, 'computeDriver'),
    computeMicroversion: {
      min: str(mv, 'min', 'computeMicroversion.'),
      max: str(mv, 'max', 'computeMicroversion.'),
    },
    endpoints: {
      identity: str(ep, 'identity', 'endpoints.'),
      compute: str(ep, 'compute', 'endpoints.'),
      placement: str(ep, 'placement', 'endpoints.'),
      image: str(ep, 'image', 'endpoints.'),
      network: str(ep, 'network', 'endpoints.'),
    },
    stateDir: str(o, 'stateDir'),
    writtenAt: str(o, 'writtenAt'),
  };
}

/**
 * The cloud to test against, or undefined (the suite is then skipped, saying why). With
 * ESCALATOR_REQUIRE_OPENSTACK=1 (`npm run test:openstack`) a missing cloud is a failure instead.
 * Call at the top of a test file; `suite` names it in the messages.
 */
export function requireOpenStackEnv(suite: string): OpenStackTestEnv | undefined {
  const env = loadOpenStackEnv();
  const required = process.env['ESCALATOR_REQUIRE_OPENSTACK'] === '1';
  if (!env && !required)
    console.warn(
      `${suite} skipped: ${openStackEnvPath()} is absent ` +
        '(bring a cloud up with scripts/openstack/up.sh; set ESCALATOR_REQUIRE_OPENSTACK=1 to fail instead)',
    );
  describe.runIf(!env && required)(`${suite} (required)`, () => {
    it('has a cloud to test against', () => {
      expect.fail(
        `ESCALATOR_REQUIRE_OPENSTACK=1 but ${openStackEnvPath()} is absent: run scripts/openstack/up.sh first`,
      );
    });
  });
  return env;
}

/** The `OS_*` variables of the test bed's admin, as an openrc would export them. */
export function openStackEnvVars(e: OpenStackTestEnv): Record<string, string> {
  return {
    OS_AUTH_URL: e.authUrl,
    OS_REGION_NAME: e.region,
    OS_USERNAME: e.username,
    OS_PASSWORD: e.password,
    OS_PROJECT_NAME: e.projectName,
    OS_USER_DOMAIN_NAME: e.userDomainName,
    OS_PROJECT_DOMAIN_NAME: e.projectDomainName,
  };
}
