/**
 * escalator.yaml: loading with positioned errors, defaults and paths, secrets by reference only (never
 * in a message or a printed config), SSH settings per node, VNF managers, policies, the operator, and
 * fuzzing like the other documents. Real files in a temporary directory; no mocks.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  DEFAULT_POLICY,
  DocumentError,
  describeConfig,
  type EscalatorConfig,
  EscalatorError,
  enginePolicyOf,
  FileUnreadableError,
  type InventoryNode,
  loadConfig,
  nodeAgentOptionsOf,
  operatorOf,
  parseConfig,
  parseInventory,
  resolvePolicy,
  resolveSecret,
  resolveVnfManagers,
  sshSettingsFor,
} from '../src/index.js';
import { documentError, FULL_INVENTORY_YAML, positionOf } from './support/documents.js';

/** A value that must never appear in a message or a printed configuration. */
const SENTINEL = 'S3NT1NEL-hunter2-Zq9';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'escalator-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
/** Writes `text` to a new file in the temporary directory (in `sub` when given); returns its path. */
async function file(text: string, name = `escalator-${++counter}.yaml`, mode = 0o600): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text, { mode });
  await chmod(path, mode);
  return path;
}

/** Loads `text` from a file; expects a DocumentError and returns its lines. */
async function loadErrors(text: string): Promise<{ path: string; lines: string[]; error: DocumentError }> {
  const path = await file(text);
  const error = await loadConfig(path).then(
    () => {
      throw new Error('expected a DocumentError');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DocumentError);
  return { path, lines: (error as DocumentError).message.split('\n'), error: error as DocumentError };
}

const HEAD = 'apiVersion: escalator/v1\nkind: Config\n';

/** The error `promise` rejects with (failing the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<EscalatorError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(EscalatorError.is(error), String(error)).toBe(true);
  return error as EscalatorError;
}

describe('loading escalator.yaml', () => {
  it('fills every default of a minimal file, with paths next to the file', async () => {
    const path = await file(HEAD, 'minimal/escalator.yaml');
    const config = await loadConfig(path);
    const base = join(dir, 'minimal');
    expect(config).toMatchObject({
      backend: 'simulator',
      stateDirectory: join(base, '.escalator'),
      log: { file: join(base, '.escalator', 'escalator.log'), level: 'info' },
      simulator: {},
      ssh: { strictHostKeyChecking: 'yes', sudo: false, groups: [] },
      vnfManagers: [],
      policies: {},
      rest: { listen: '127.0.0.1:8080' },
      operator: { roles: ['admin'] },
      configFile: path,
    });
    expect(config.openstack).toBeUndefined();
    expect(config.operator.id.length).toBeGreaterThan(0);
  });

  it('reads both example files', async () => {
    const simulated = await loadConfig('examples/escalator.yaml');
    expect(simulated.backend).toBe('simulator');
    expect(simulated.simulator).toEqual({ speed: 600, seed: 42 });
    const real = await loadConfig('examples/real-cloud/escalator.yaml');
    expect(real.backend).toBe('openstack');
    expect(real.openstack).toMatchObject({
      cloud: 'lab-1',
      interface: 'internal',
      caBundle: '/etc/escalator/ca.pem',
    });
    expect(real.ssh.groups).toHaveLength(2);
    expect(real.vnfManagers.map((m) => m.header)).toEqual(['Authorization', 'X-Auth-Token']);
    expect(real.policies.steps?.migrate?.timeoutFactor).toBe(5);
    expect(real.operator).toEqual({ id: 'lab-1-ops', roles: ['admin'] });
  });

  it('resolves every relative path against the file directory, and ~/ against the home directory', async () => {
    const text = `${HEAD}backend: openstack
stateDirectory: state
log: { file: logs/escalator.log, level: debug }
openstack:
  password: { file: secrets/os-password }
  applicationCredentialId: app
  caBundle: ../ca.pem
ssh:
  identityFile: ~/.ssh/id_ed25519
  knownHostsFile: known_hosts
  groups:
    - match: { roles: [compute] }
      identityFile: keys/compute
      knownHostsFile: /abs/known_hosts
vnfManagers:
  - { vnf: a, endpoint: "https://vnfm.example/v1", token: { file: tokens/a } }
rest: { tokensFile: tokens.yaml }
`;
    // password and applicationCredentialId together are a conflict: take the password away for this test.
    const path = await file(text.replace('  applicationCredentialId: app\n', ''), 'paths/etc/escalator.yaml');
    const config = await loadConfig(path, { homeDirectory: '/home/ana' });
    const base = join(dir, 'paths', 'etc');
    expect(config.stateDirectory).toBe(join(base, 'state'));
    expect(config.log).toEqual({ file: join(base, 'logs', 'escalator.log'), level: 'debug' });
    expect(config.openstack?.password).toEqual({ file: join(base, 'secrets', 'os-password') });
    expect(config.openstack?.caBundle).toBe(join(dir, 'paths', 'ca.pem'));
    expect(config.ssh.identityFile).toBe('/home/ana/.ssh/id_ed25519');
    expect(config.ssh.knownHostsFile).toBe(join(base, 'known_hosts'));
    expect(config.ssh.groups[0]).toMatchObject({
      identityFile: join(base, 'keys', 'compute'),
      knownHostsFile: '/abs/known_hosts',
    });
    expect(config.vnfManagers[0]?.token).toEqual({ file: join(base, 'tokens', 'a') });
    expect(config.rest.tokensFile).toBe(join(base, 'tokens.yaml'));
  });

  it('parses text against the working directory, or the base directory given', () => {
    expect(parseConfig(`${HEAD}stateDirectory: s`).stateDirectory).toBe(join(process.cwd(), 's'));
    expect(parseConfig(`${HEAD}stateDirectory: s`, { baseDirectory: '/srv' }).stateDirectory).toBe('/srv/s');
    expect(parseConfig(`${HEAD}stateDirectory: s`, { file: '/etc/e/escalator.yaml' }).stateDirectory).toBe(
      '/etc/e/s',
    );
  });

  it('reads JSON too', () => {
    const config = parseConfig('{"apiVersion":"escalator/v1","kind":"Config","backend":"simulator"}');
    expect(config.backend).toBe('simulator');
  });

  it('refuses a file that is not there with FileUnreadableError', async () => {
    const missing = join(dir, 'nope.yaml');
    const error = await rejection(loadConfig(missing));
    expect(error).toBeInstanceOf(FileUnreadableError);
    expect((error as Error).message).toContain(missing);
  });
});

describe('errors in escalator.yaml: file:line:column field: message', () => {
  it('positions a wrong type, a bad enum, a bad listen address and an unknown key with a suggestion', async () => {
    const text = `${HEAD}backend: openstak
stateDirectry: /x
simulator: { speed: fast }
log: { level: verbose }
rest:
  listen: "localhost:99999"
ssh:
  port: 0
  strictHostKeyChecking: no
`;
    const { path, lines } = await loadErrors(text);
    const at = (marked: string) => {
      const p = positionOf(text, marked);
      return `${path}:${p.line}:${p.column}`;
    };
    expect(lines).toEqual([
      `${at('backend: |openstak')} backend: expected simulator or openstack, got "openstak"`,
      `${at('stateDirectry')} stateDirectry: unknown field "stateDirectry"; did you mean "stateDirectory"?`,
      `${at('speed: |fast')} simulator.speed: expected a speed above 0, e.g. 60, got "fast"`,
      `${at('level: |verbose')} log.level: expected one of debug, info, warn, error, got "verbose"`,
      `${at('listen: |"localhost')} rest.listen: expected host:port, [v6]:port or a port, e.g. 127.0.0.1:8080, got "localhost:99999"`,
      `${at('port: |0')} ssh.port: expected a TCP port, 1 to 65535, got 0`,
      // YAML 1.2: `no` is the string "no".
      `${at('strictHostKeyChecking: |no')} ssh.strictHostKeyChecking: expected yes or accept-new (turning host key checking off is not offered), got "no"`,
    ]);
  });

  it('names unknown keys deep inside, with the known ones', async () => {
    const text = `${HEAD}policies:
  steps:
    migrat: { timeoutFactor: 2 }
  retry: { retrys: 3 }
openstack:
  regionNmae: RegionOne
`;
    const { path, lines } = await loadErrors(text);
    const at = (marked: string) => {
      const p = positionOf(text, marked);
      return `${path}:${p.line}:${p.column}`;
    };
    expect(lines[0]).toBe(
      `${at('migrat:')} policies.steps.migrat: unknown field "migrat"; did you mean "migrate"?`,
    );
    expect(lines[1]).toBe(
      `${at('retrys')} policies.retry.retrys: unknown field "retrys"; did you mean "retries"? (known fields: retries, minDelayMs, factor, maxDelayMs)`,
    );
    expect(lines[2]).toMatch(
      new RegExp(
        `^${at('regionNmae').replace(/[.]/g, '\\.')} openstack\\.regionNmae: unknown field "regionNmae"; did you mean "regionName"\\?`,
      ),
    );
  });

  it('refuses backend openstack without an openstack section, at the backend line', async () => {
    const text = `${HEAD}backend: openstack\n`;
    const { path, lines } = await loadErrors(text);
    const p = positionOf(text, 'backend: |openstack');
    expect(lines).toEqual([
      `${path}:${p.line}:${p.column} backend: backend openstack needs an openstack section: { cloud: NAME } for a cloud of clouds.yaml, or openstack: {} to use the OS_* environment variables`,
    ]);
    expect(parseConfig(`${HEAD}backend: openstack\nopenstack: {}\n`).openstack).toEqual({});
  });

  it('refuses a password and an application credential together', async () => {
    const text = `${HEAD}openstack:
  username: admin
  password: { env: OS_PASSWORD }
  applicationCredentialId: abc
`;
    const { lines } = await loadErrors(text);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      'openstack.applicationCredentialId: give either a password (username, password) or an application credential (applicationCredentialId), not both',
    );
  });

  it('refuses a VNF with two managers', async () => {
    const text = `${HEAD}vnfManagers:
  - { vnf: epc, endpoint: "https://a.example" }
  - { vnf: epc, endpoint: "https://b.example" }
`;
    const { lines } = await loadErrors(text);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /:5:\d+ vnfManagers\[1\]\.vnf: VNF "epc" already has a manager at vnfManagers\[0\]$/,
    );
  });

  it.each([
    [
      'ssh:\n  jumpHost: "bad host"\n',
      'ssh.jumpHost: expected "user@host:port" (user and port optional), or "none"',
    ],
    ['ssh:\n  jumpHost: "ops@bastion:70000"\n', 'ssh.jumpHost: expected a jump host port, 1 to 65535'],
    ['ssh:\n  groups:\n    - match: {}\n', 'ssh.groups[0].match: expected roles, names or both'],
    [
      'ssh:\n  groups:\n    - match: { roles: [computer] }\n',
      'ssh.groups[0].match.roles[0]: expected one of controller',
    ],
    [
      'policies:\n  hangFactor: 0.5\n',
      'policies.hangFactor: expected a factor of 1 or more, e.g. 2, got 0.5',
    ],
    ['policies:\n  onDrift: ignore\n', 'policies.onDrift: expected pause or replan, got "ignore"'],
    [
      'vnfManagers:\n  - { vnf: a, endpoint: "ftp://x" }\n',
      'vnfManagers[0].endpoint: expected an http(s) URL, got "ftp://x"',
    ],
    ['operator:\n  roles: []\n', 'operator.roles: expected at least one role'],
    ['kind: Inventory\n', 'kind: expected "Config", got "Inventory"'],
  ])('positions %j', async (tail, message) => {
    const text = tail.startsWith('kind:') ? `apiVersion: escalator/v1\n${tail}` : `${HEAD}${tail}`;
    const { path, lines } = await loadErrors(text);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${path.replace(/[.]/g, '\\.')}:\\d+:\\d+ `));
    expect(lines[0]).toContain(message);
  });

  it('positions YAML syntax errors', async () => {
    const text = `${HEAD}log: { level: info\nbackend: simulator\n`;
    const { error } = await loadErrors(text);
    expect(error.issues[0]).toMatchObject({ code: 'syntax' });
    expect(error.issues[0]?.line).toBeGreaterThanOrEqual(3);
    expect(error.message).toMatch(/:\d+:\d+ \(document\): invalid YAML: /);
  });

  it('refuses binary and huge input early, with one line', async () => {
    const path = await file('');
    await writeFile(path, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]));
    const binary = await rejection(loadConfig(path));
    expect(binary.message.split('\n')).toEqual([
      `${path}:1:1 (document): not a YAML or JSON text: binary content (invalid UTF-8) in the first 1024 bytes`,
    ]);
    const huge = documentError(() => parseConfig('#'.repeat(128 * 2 ** 20 + 1), { file: 'huge.yaml' }));
    expect(huge.message.split('\n')).toHaveLength(1);
    expect(huge.message).toContain('huge.yaml:1:1 (document): too large');
  });
});

describe('secrets are references, never values', () => {
  it.each([
    ['openstack:\n  password: SECRET\n', 'openstack.password'],
    ['openstack:\n  password: 123456789\n', 'openstack.password'],
    ['openstack:\n  applicationCredentialSecret: "SECRET"\n', 'openstack.applicationCredentialSecret'],
    ['vnfManagers:\n  - { vnf: a, endpoint: "https://v.example", token: SECRET }\n', 'vnfManagers[0].token'],
  ])('refuses a literal secret (%j) without repeating it', async (tail, field) => {
    const text = `${HEAD}${tail.replace('SECRET', SENTINEL)}`;
    const { path, lines } = await loadErrors(text);
    const value = tail.includes('SECRET') ? SENTINEL : '123456789';
    const p = positionOf(text, `: |${tail.includes('"SECRET"') ? `"${SENTINEL}"` : value}`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^${path.replace(/[.]/g, '\\.')}:${p.line}:${p.column} ${field.replace(/[.[\]]/g, '\\$&')}: a literal secret is refused: write where it is kept instead, e\\.g\\. `,
      ),
    );
    expect(lines[0]).not.toContain(value);
  });

  it.each([
    `openstack:\n  password: { env: "${SENTINEL}!" }\n`,
    `openstack:\n  password: { value: ${SENTINEL} }\n`,
    `openstack:\n  password: [${SENTINEL}]\n`,
    `openstack:\n  password: { env: OS_PASSWORD, file: ${SENTINEL} }\n`,
    `openstack:\n  authUrl: "https://admin:${SENTINEL}@keystone.example:5000/v3"\n`,
    `vnfManagers:\n  - { vnf: a, endpoint: "https://x:${SENTINEL}@v.example" }\n`,
    `openstack:\n  passwd: ${SENTINEL}\n`,
  ])('never quotes what sits under a secret field or a URL password: %j', async (tail) => {
    const { lines } = await loadErrors(`${HEAD}${tail}`);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain(SENTINEL);
  });

  it('names the fields of a reference for a misspelt key, alone', async () => {
    const { lines } = await loadErrors(`${HEAD}openstack:\n  password: { evn: OS_PASSWORD }\n`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /:4:15 openstack\.password\.evn: unknown field "evn" \(known fields: env, file\)$/,
    );
  });

  it('shows secrets by where they are kept in describeConfig', async () => {
    const secretFile = await file(`${SENTINEL}\n`, 'secrets/os-password');
    const text = `${HEAD}backend: openstack
openstack:
  cloud: lab
  password: { file: ${secretFile} }
vnfManagers:
  - { vnf: "*", endpoint: "https://vnfm.example/v1", token: { env: VNFM_TOKEN } }
`;
    const config = await loadConfig(await file(text));
    const env = { VNFM_TOKEN: SENTINEL };
    // The secrets are really there...
    expect(await resolveSecret({ file: secretFile })).toBe(SENTINEL);
    expect((await resolveVnfManagers(config, env)).endpointOf('x')).toBe('https://vnfm.example/v1');
    // ...and never printed.
    const shown = describeConfig(config);
    expect(shown).not.toContain(SENTINEL);
    expect(shown).toContain(`password: <from file ${secretFile}>`);
    expect(shown).toContain('token: <from env VNFM_TOKEN>');
    expect(shown).toContain(`# ${config.configFile} (every default filled in`);
    expect(parseYaml(shown)).toMatchObject({
      apiVersion: 'escalator/v1',
      kind: 'Config',
      backend: 'openstack',
    });
  });
});

describe('resolveSecret', () => {
  it('reads an environment variable', async () => {
    expect(await resolveSecret({ env: 'X_SECRET' }, { X_SECRET: SENTINEL })).toBe(SENTINEL);
  });

  it('names an unset or empty variable, and says nothing else', async () => {
    for (const env of [{}, { X_SECRET: '' }]) {
      const error = await rejection(resolveSecret({ env: 'X_SECRET' }, env));
      expect(EscalatorError.is(error) && error.code).toBe('ESC_INVALID_OPTION');
      expect(error.message).toMatch(
        /^environment variable X_SECRET is (not set|empty); it should hold the secret$/,
      );
    }
  });

  it('reads a file, trimmed, when only its owner may read it', async () => {
    const path = await file(`  ${SENTINEL}\n\n`, 'secrets/trimmed', 0o400);
    expect(await resolveSecret({ file: path })).toBe(SENTINEL);
  });

  it.each([0o640, 0o604, 0o620, 0o644])(
    'refuses a secret file of mode %o, without its content',
    async (mode) => {
      const path = await file(SENTINEL, `secrets/open-${mode.toString(8)}`, mode);
      const error = await rejection(resolveSecret({ file: path }));
      expect(EscalatorError.is(error) && error.code).toBe('ESC_INVALID_OPTION');
      expect(error.message).toBe(
        `secret file ${path} may be read or written by others (mode 0${mode.toString(8)}); make it readable by its owner only: chmod 600 ${path}`,
      );
    },
  );

  it('refuses an empty file, and one that is not there', async () => {
    const empty = await file('\n', 'secrets/empty');
    await expect(resolveSecret({ file: empty })).rejects.toThrow(`secret file ${empty} is empty`);
    const missing = join(dir, 'secrets', 'missing');
    const error = await rejection(resolveSecret({ file: missing }));
    expect(error).toBeInstanceOf(FileUnreadableError);
  });

  it('puts the line of a token that cannot be read in the error of resolveVnfManagers', async () => {
    const text = `${HEAD}vnfManagers:
  - vnf: epc
    endpoint: https://vnfm.example/v1
    token: { env: EPC_TOKEN }
`;
    const path = await file(text);
    const config = await loadConfig(path);
    const error = await rejection(resolveVnfManagers(config, {}));
    const p = positionOf(text, 'token: |{ env');
    expect(error.message).toBe(
      `${path}:${p.line}:${p.column} vnfManagers[0].token: environment variable EPC_TOKEN is not set; it should hold the secret`,
    );
  });
});

describe('SSH settings per node', () => {
  const inventory = parseInventory(FULL_INVENTORY_YAML);
  const node = (name: string): InventoryNode => inventory.nodes.find((n) => n.name === name)!;
  const ctl = node('ctl-1'); // no access block
  const cmp = node('cmp-1'); // access { address: 10.0.0.11, port: 2222, user: ops, credentialsRef: lab-ssh }

  it('uses the inventory access block when escalator.yaml says nothing', () => {
    const config = parseConfig(HEAD);
    expect(sshSettingsFor(config, cmp)).toEqual({
      endpoint: { node: 'cmp-1', address: '10.0.0.11', port: 2222, user: 'ops', credentialsRef: 'lab-ssh' },
      transport: { strictHostKeyChecking: 'yes' },
      sudo: false,
    });
    expect(sshSettingsFor(config, ctl)).toEqual({
      endpoint: { node: 'ctl-1', address: 'ctl-1' },
      transport: { strictHostKeyChecking: 'yes' },
      sudo: false,
    });
  });

  it('merges defaults and every matching group in order, later over earlier', () => {
    const config = parseConfig(
      `${HEAD}ssh:
  user: escalator
  sudo: true
  identityFile: /keys/default
  knownHostsFile: /etc/escalator/known_hosts
  jumpHost: ops@bastion:2200
  connectTimeoutSeconds: 5
  maxConnections: 8
  groups:
    - match: { roles: [compute] }
      identityFile: /keys/compute
      strictHostKeyChecking: accept-new
    - match: { names: ["cmp-[0-9]"], roles: [compute, storage] }
      port: 2022
      jumpHost: none
    - match: { names: ["ctl-*"] }
      sudo: false
`,
      { file: '/etc/escalator/escalator.yaml' },
    );
    expect(sshSettingsFor(config, cmp)).toEqual({
      // A configured key wins over the inventory's credentialsRef.
      endpoint: { node: 'cmp-1', address: '10.0.0.11', port: 2022, user: 'escalator' },
      transport: {
        strictHostKeyChecking: 'accept-new',
        identityFile: '/keys/compute',
        knownHostsFile: '/etc/escalator/known_hosts',
        connectTimeoutSeconds: 5,
        extraOptions: { ProxyJump: 'none' },
      },
      sudo: true,
      maxConnections: 8,
    });
    expect(sshSettingsFor(config, ctl)).toEqual({
      endpoint: { node: 'ctl-1', address: 'ctl-1', user: 'escalator' },
      transport: {
        strictHostKeyChecking: 'yes',
        identityFile: '/keys/default',
        knownHostsFile: '/etc/escalator/known_hosts',
        connectTimeoutSeconds: 5,
        extraOptions: { ProxyJump: 'ops@bastion:2200' },
      },
      sudo: false,
      maxConnections: 8,
    });
  });

  it('matches names by glob, whole names only', () => {
    const config = parseConfig(
      `${HEAD}ssh:\n  groups:\n    - match: { names: ["cmp-?", "x[!a-z]"] }\n      port: 7\n`,
    );
    const port = (name: string) => sshSettingsFor(config, { ...cmp, name, access: undefined }).endpoint.port;
    expect(port('cmp-1')).toBe(7);
    expect(port('x1')).toBe(7);
    expect(port('xa')).toBeUndefined();
    expect(port('cmp-10')).toBeUndefined();
    expect(port('my-cmp-1')).toBeUndefined();
  });
});

describe('VNF managers, policies and the operator', () => {
  it('serves a VNF by its own entry first, then by the first matching glob; tokens in their header', async () => {
    const config = parseConfig(`${HEAD}vnfManagers:
  - { vnf: "*", endpoint: "https://all.example", token: { env: ALL_TOKEN }, header: X-Auth-Token }
  - { vnf: epc, endpoint: "https://epc.example", token: { env: EPC_TOKEN } }
  - { vnf: "ims-*", endpoint: "https://ims.example" }
`);
    const { endpointOf, headers } = await resolveVnfManagers(config, {
      ALL_TOKEN: 'a-token',
      EPC_TOKEN: 'e-token',
    });
    const headersOf = typeof headers === 'function' ? headers : () => headers;
    expect(endpointOf('epc')).toBe('https://epc.example');
    expect(headersOf('epc')).toEqual({ Authorization: 'Bearer e-token' });
    expect(endpointOf('ims-1')).toBe('https://all.example'); // "*" comes first
    expect(headersOf('other')).toEqual({ 'X-Auth-Token': 'a-token' });
    const none = await resolveVnfManagers(parseConfig(HEAD), {});
    expect(none.endpointOf('epc')).toBeUndefined();
  });

  it('maps policies onto the engine policy input, keeping the defaults of what it leaves out', () => {
    const config = parseConfig(`${HEAD}policies:
  retry: { retries: 7 }
  onDrift: replan
  hangFloorSeconds: 30
  steps:
    upgrade-packages: { onFailure: rollback }
    migrate: { timeoutFactor: 3 }
`);
    const input = enginePolicyOf(config);
    expect(input).toEqual({
      retry: { retries: 7 },
      onDrift: 'replan',
      hangFloorSeconds: 30,
      steps: { 'upgrade-packages': { onFailure: 'rollback' }, migrate: { timeoutFactor: 3 } },
    });
    const policy = resolvePolicy(input);
    expect(policy.retry).toEqual({ ...DEFAULT_POLICY.retry, retries: 7 });
    expect(policy.hangFactor).toBe(DEFAULT_POLICY.hangFactor);
    expect(policy.steps.migrate).toMatchObject({
      timeoutFactor: 3,
      retry: DEFAULT_POLICY.steps.migrate?.retry,
    });
    expect(enginePolicyOf(parseConfig(HEAD))).toEqual({});
  });

  it('gives the SSH node agent its options from the nodes block, in milliseconds', () => {
    const config = parseConfig(`${HEAD}ssh: { sudo: true }
nodes:
  packages: { nova-compute: [nova-compute, python3-nova] }
  backupDirectory: /srv/backups
  updateIndex: false
  commands: { bootId: [escalator-boot-id] }
  commandTimeoutSeconds: 600
  waitReady: { firstPollSeconds: 0.5, timeoutSeconds: 120 }
`);
    const options = nodeAgentOptionsOf(config);
    expect(options).toMatchObject({
      sudo: true,
      backupRoot: '/srv/backups',
      updateIndex: false,
      commands: { bootId: ['escalator-boot-id'] },
      commandTimeoutMs: 600_000,
      waitReady: { initialDelayMs: 500, timeoutMs: 120_000 },
    });
    expect(options.packages?.('nova-compute')).toEqual(['nova-compute', 'python3-nova']);
    // A component the file does not list keeps the agent's default (the catalog's packages).
    expect(options.packages?.('kernel')).toBeUndefined();
    // Nothing set: only sudo, every other option the agent's default.
    expect(nodeAgentOptionsOf(parseConfig(HEAD))).toEqual({ sudo: false });
  });

  it('refuses a relative backup directory, an empty command and a bad package name, positioned', () => {
    const text = `${HEAD}nodes:
  backupDirectory: backups
  packages: { nova: ["nova compute"] }
  commands: { reboot: [] }
`;
    const error = documentError(() => parseConfig(text, { file: 'e.yaml' }));
    expect(error.message.split('\n')).toEqual([
      `e.yaml:${positionOf(text, 'backupDirectory: |backups').line}:20 nodes.backupDirectory: expected an absolute path on the node, e.g. /var/backups/escalator, got "backups"`,
      expect.stringMatching(
        /^e\.yaml:\d+:\d+ nodes\.packages\.nova\[0\]: expected a distribution package name, e\.g\. python3-nova/,
      ),
      expect.stringMatching(
        /^e\.yaml:\d+:\d+ nodes\.commands\.reboot: expected a command as a list of words/,
      ),
    ]);
  });

  it('gives the local operator as a principal', () => {
    const config = parseConfig(`${HEAD}operator: { id: ana, roles: [operator, viewer] }\n`);
    expect(operatorOf(config)).toEqual({ id: 'local:ana', roles: ['operator', 'viewer'], via: 'local' });
    const byDefault = operatorOf(parseConfig(HEAD));
    expect(byDefault.id).toMatch(/^local:./);
    expect(byDefault.roles).toEqual(['admin']);
  });
});

// --- Fuzzing, as test/fuzz.test.ts does for the other documents ---------------------------------------
const FULL_CONFIG_YAML = `${HEAD}metadata: { name: lab-1 }
backend: openstack
stateDirectory: state
log: { file: escalator.log, level: warn }
simulator: { speed: 60, seed: 7 }
openstack:
  cloud: lab
  regionName: RegionOne
  interface: internal
  caBundle: ca.pem
  password: { env: OS_PASSWORD }
  endpointOverride: { compute: "http://10.0.0.5:8774/v2.1" }
ssh:
  user: escalator
  port: 22
  sudo: true
  jumpHost: ops@bastion:22
  groups:
    - match: { roles: [compute], names: ["cmp-*"] }
      identityFile: keys/compute
nodes:
  packages: { nova-compute: [nova-compute, python3-nova] }
  backupDirectory: /var/backups/escalator
  commands: { bootId: [cat, /proc/sys/kernel/random/boot_id] }
  waitReady: { firstPollSeconds: 1, timeoutSeconds: 600 }
vnfManagers:
  - { vnf: epc, endpoint: "https://vnfm.example/v1", token: { file: token }, header: X-Auth-Token }
policies:
  retry: { retries: 3, minDelayMs: 1000, factor: 2, maxDelayMs: 5000 }
  hangFactor: 2
  onDrift: pause
  steps: { migrate: { timeoutFactor: 2, onFailure: pause } }
rest: { listen: "[::1]:8080", tokensFile: tokens.yaml }
operator: { id: ana, roles: [admin] }
`;

afterEach(() => {
  expect(Object.keys(Object.prototype)).toEqual([]);
});

/** Parses; returns the config, or the DocumentError after checking every issue is positioned in the text. */
function outcome(text: string): EscalatorConfig | DocumentError {
  try {
    return parseConfig(text, { file: 'fuzz.yaml', baseDirectory: '/base', homeDirectory: '/home/u' });
  } catch (error) {
    if (!EscalatorError.is(error) || error.code !== 'ESC_INVALID_DOCUMENT') throw error;
    expect(error).toBeInstanceOf(DocumentError);
    const { issues } = error as DocumentError;
    expect(issues.length).toBeGreaterThan(0);
    const lines = text.split('\n');
    for (const issue of issues) {
      const line = issue.line ?? 0;
      expect(line, JSON.stringify(issue)).toBeGreaterThanOrEqual(1);
      expect(line).toBeLessThanOrEqual(lines.length);
      expect(issue.column).toBeGreaterThanOrEqual(1);
      expect(issue.column).toBeLessThanOrEqual((lines[line - 1]?.length ?? 0) + 1);
      expect(issue.message.length).toBeGreaterThan(0);
    }
    return error as DocumentError;
  }
}

type Json = unknown;
type Path = (string | number)[];

function paths(root: Json): Path[] {
  const out: Path[] = [];
  const stack: [Json, Path][] = [[root, []]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, path] = top;
    if (path.length > 0) out.push(path);
    if (Array.isArray(node)) for (const [i, child] of node.entries()) stack.push([child, [...path, i]]);
    else if (typeof node === 'object' && node !== null)
      for (const [k, child] of Object.entries(node)) stack.push([child, [...path, k]]);
  }
  return out;
}

const key = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom(
    '__proto__',
    'constructor',
    'password',
    'env',
    'file',
    'token',
    'match',
    'groups',
    'openstack',
  ),
);
const edgy = fc.constantFrom<unknown>(
  0,
  -1,
  0.5,
  65536,
  1e308,
  '',
  '~',
  '~/x',
  '../x',
  'none',
  'a\0b',
  '__proto__',
  'openstack',
  'simulator',
  'accept-new',
  'https://u:p@x.example',
  'http://x.example',
  '0.0.0.0:0',
  '[::1]:1',
  true,
  null,
  [],
  {},
  { env: 'X' },
  { file: 'f' },
  { env: 'X', file: 'f' },
  { roles: [] },
);
const value = fc.oneof(edgy, fc.jsonValue({ maxDepth: 2 }));
const mutation = fc.record({
  kind: fc.constantFrom('replace', 'delete', 'rename', 'insert'),
  pick: fc.nat(),
  value,
  key,
});

function mutate(doc: Json, m: { kind: string; pick: number; value: unknown; key: string }): void {
  const all = paths(doc);
  const path = all[m.pick % Math.max(1, all.length)];
  if (!path) return;
  const parent = path.slice(0, -1).reduce<Json>((n, p) => (n as Record<string | number, Json>)[p], doc);
  const last = path.at(-1) as string | number;
  const holder = parent as Record<string | number, Json>;
  const define = (k: string, v: unknown) =>
    Object.defineProperty(holder, k, { value: v, enumerable: true, writable: true, configurable: true });
  // Always a copy: fc.constantFrom hands out the same object every run, and placing one object twice
  // (or inside itself) made later runs cyclic, so paths() never ended and the worker ran out of heap.
  const value = structuredClone(m.value);
  if (m.kind === 'replace') holder[last] = value;
  else if (m.kind === 'delete') {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else delete holder[last];
  } else if (m.kind === 'rename' && !Array.isArray(parent)) {
    const moved = holder[last];
    delete holder[last];
    define(m.key, moved);
  } else if (Array.isArray(parent)) parent.push(structuredClone(parent[0] ?? value));
  else define(m.key, value);
}

describe('the config loader never throws anything but a positioned DocumentError', () => {
  const bases = [parseYaml(FULL_CONFIG_YAML) as Json, { apiVersion: 'escalator/v1', kind: 'Config' }];

  it('takes the full fixture', () => {
    expect(outcome(FULL_CONFIG_YAML)).not.toBeInstanceOf(DocumentError);
  });

  it('on mutated valid configs, and is stable when valid', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: bases.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (base, mutations, yaml) => {
          const doc = structuredClone(bases[base]);
          for (const m of mutations) mutate(doc, m);
          const text = yaml ? stringifyYaml(doc) : JSON.stringify(doc, null, 2);
          const result = outcome(text);
          if (result instanceof DocumentError) return;
          // Parsed again, a loaded config (its paths absolute now) is the same.
          const { configFile: _, ...document } = result;
          const again = outcome(JSON.stringify(document));
          expect(again).not.toBeInstanceOf(DocumentError);
          const { configFile: __, ...documentAgain } = again as EscalatorConfig;
          expect(documentAgain).toEqual(document);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('on random JSON values and strings', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
        outcome(JSON.stringify(v));
        outcome(stringifyYaml(v));
        outcome(`${HEAD}openstack: ${JSON.stringify(v)}`);
        outcome(`${HEAD}ssh: ${JSON.stringify(v)}`);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 200 })),
        (s) => {
          outcome(s);
          outcome(`${HEAD}${s}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never quotes a secret placed anywhere under a secret field', () => {
    fc.assert(
      fc.property(fc.constantFrom('password', 'applicationCredentialSecret'), value, (field, v) => {
        const secretish = typeof v === 'object' && v !== null ? { ...v, env: SENTINEL } : SENTINEL;
        const result = outcome(
          JSON.stringify({ apiVersion: 'escalator/v1', kind: 'Config', openstack: { [field]: secretish } }),
        );
        if (result instanceof DocumentError) expect(result.message).not.toContain(SENTINEL);
      }),
      { numRuns: 100 },
    );
  });
});
