/**
 * The escalator/v1 Config: Escalator's own configuration file, `escalator.yaml`. It says which backend
 * runs campaigns (the simulator or a real OpenStack cloud), where state and logs go, how to reach the
 * cloud (Keystone, SSH, VNF managers), the engine's policies, the REST API and who the local operator
 * is. Every field is described in docs/config.md.
 *
 * Secrets are never written in it: a password, an application credential secret or a token is a
 * reference, `{ env: NAME }` or `{ file: PATH }`, read when the configuration is resolved
 * (`resolveSecret`). The schema here is the document only; loading (relative paths, positions) and
 * resolving (clouds.yaml, `OS_*` variables, secrets) live in `src/config/`.
 */
import { z } from 'zod';
import { FAILURE_POLICIES } from './campaign.js';
import { amount, apiVersion, count, metadata, name, positiveCount, role, seconds } from './common.js';
import { STEP_KINDS, type StepKind } from './plan.js';

const pathMessage = 'expected a file path (a relative path is read from the directory of the config file)';
/** A file or directory path; relative ones are resolved against the config file's directory. */
const path = z
  .string({ error: pathMessage })
  .min(1, { error: pathMessage })
  .max(4096, { error: 'expected a path of at most 4096 characters' })
  .refine((p) => !p.includes('\0'), { error: 'expected a path without a NUL character' });

const envNameMessage = 'expected an environment variable name, e.g. OS_PASSWORD';

/** Where a secret is read from. Exactly one of `env` and `file`. */
const secretRefObject = z
  .strictObject(
    {
      /** The environment variable that holds the secret. */
      env: z
        .string({ error: envNameMessage })
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: envNameMessage })
        .max(255, { error: envNameMessage })
        .optional(),
      /** The file that holds the secret (surrounding white space is ignored); readable by its owner only. */
      file: path.optional(),
    },
    {
      error:
        'expected a reference to the secret, { env: NAME } or { file: PATH }: a secret is never written in escalator.yaml',
    },
  )
  .refine((r) => (r.env === undefined) !== (r.file === undefined), {
    error:
      'expected exactly one of env or file, e.g. { env: OS_PASSWORD } or { file: /etc/escalator/os-password }',
  });

/**
 * A reference to a secret, as parsed: either an environment variable or a file.
 * @example
 * ```ts
 * const ref: SecretRef = { env: 'OS_PASSWORD' };
 * const password = await resolveSecret(ref);
 * ```
 */
export type SecretRef =
  | { readonly env: string; readonly file?: undefined }
  | { readonly file: string; readonly env?: undefined };

/**
 * A secret given by reference: `{ env: NAME }` or `{ file: PATH }`. A literal value is refused by the
 * config loader (with a message that does not repeat it).
 */
export const SecretRefSchema = secretRefObject.transform(
  (r): SecretRef => (r.env !== undefined ? { env: r.env } : { file: r.file ?? '' }),
);

/** The keys whose values are secret references; issues under them never quote the value. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'password',
  'applicationCredentialSecret',
  'token',
]);

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
  .refine((u) => !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(u), {
    error: 'expected a URL without a user name or password in it (give secrets as { env } or { file })',
  });

const portMessage = 'expected a TCP port, 1 to 65535';
const port = z
  .number({ error: portMessage })
  .int({ error: portMessage })
  .min(1, { error: portMessage })
  .max(65535, { error: portMessage });

const positiveSeconds = z
  .number({ error: 'expected a number of seconds above 0' })
  .positive({ error: 'expected a number of seconds above 0' })
  .max(31_536_000, { error: 'expected at most a year of seconds (31536000)' });

const factorMessage = 'expected a factor above 0, e.g. 1.5';
const positiveFactor = z
  .number({ error: factorMessage })
  .positive({ error: factorMessage })
  .max(1000, { error: 'expected a factor of at most 1000' });

// --- OpenStack ---------------------------------------------------------------------------------------

/** Keystone endpoint interfaces, as `interface` / `OS_INTERFACE` name them. */
export const ENDPOINT_INTERFACES = ['public', 'internal', 'admin'] as const;

/**
 * How to reach the OpenStack cloud. Everything is optional: credentials come from clouds.yaml (the cloud
 * named by `cloud`, else by `OS_CLOUD`), else from the `OS_*` environment; the fields here override them.
 */
export const OpenStackConfigSchema = z.strictObject(
  {
    /** A cloud of clouds.yaml (openstacksdk's search path). Unset: `OS_CLOUD`, else the `OS_*` variables. */
    cloud: name.optional(),
    /** Keystone's URL, e.g. `https://keystone.example:5000/v3`. Overrides clouds.yaml / `OS_AUTH_URL`. */
    authUrl: httpUrl.optional(),
    username: name.optional(),
    /** @defaultValue 'Default' (Keystone's) */
    userDomainName: name.optional(),
    projectName: name.optional(),
    /** @defaultValue 'Default' (Keystone's) */
    projectDomainName: name.optional(),
    /** The user's password, by reference. */
    password: SecretRefSchema.optional(),
    applicationCredentialId: name.optional(),
    /** The application credential's secret, by reference. */
    applicationCredentialSecret: SecretRefSchema.optional(),
    /** The region whose endpoints to use. Overrides clouds.yaml's `region_name` / `OS_REGION_NAME`. */
    regionName: name.optional(),
    /** Which endpoints of the catalog to use. Overrides clouds.yaml / `OS_INTERFACE`. @defaultValue 'public' */
    interface: z
      .enum(ENDPOINT_INTERFACES, { error: `expected one of ${ENDPOINT_INTERFACES.join(', ')}` })
      .optional(),
    /** A PEM file of the CAs that signed the cloud's certificates. Overrides clouds.yaml's `cacert` / `OS_CACERT`. */
    caBundle: path.optional(),
    /** Endpoints to use instead of the catalog's, by service type, e.g. `{ compute: http://10.0.0.5:8774/v2.1 }`. */
    endpointOverride: z
      .record(name, httpUrl, { error: 'expected a map of service types to http(s) URLs' })
      .optional(),
  },
  {
    error:
      'expected an openstack object, e.g. { cloud: mycloud }, or {} to use the OS_* environment variables',
  },
);

// --- SSH ---------------------------------------------------------------------------------------------

const userMessage = 'expected a user name (letters, digits, _ . @ -)';
const sshUser = z
  .string({ error: userMessage })
  .regex(/^[A-Za-z0-9_.][A-Za-z0-9_.@-]*$/, { error: userMessage })
  .max(255, { error: userMessage });

const jumpHostMessage = 'expected "user@host:port" (user and port optional), or "none"';
const jumpHost = z
  .string({ error: jumpHostMessage })
  .max(1024, { error: jumpHostMessage })
  .regex(
    /^(?:none|(?:[A-Za-z0-9_.][A-Za-z0-9_.-]*@)?(?:[A-Za-z0-9_][A-Za-z0-9_.-]*|\[[0-9A-Fa-f:.%]+\])(?::\d{1,5})?)$/,
    {
      error: jumpHostMessage,
    },
  )
  .refine(
    (j) => {
      const p = /:(\d{1,5})$/.exec(j)?.[1];
      return p === undefined || (Number(p) >= 1 && Number(p) <= 65535);
    },
    { error: 'expected a jump host port, 1 to 65535' },
  );

/** The settings a group may override; the top-level `ssh` block gives their defaults. */
const sshOverrides = {
  /** The login user. @defaultValue the inventory's `access.user` */
  user: sshUser.optional(),
  /** @defaultValue the inventory's `access.port` (22) */
  port: port.optional(),
  /** The private key (`ssh -i`). @defaultValue OpenSSH's own */
  identityFile: path.optional(),
  /** @defaultValue OpenSSH's own (`~/.ssh/known_hosts` and the system's) */
  knownHostsFile: path.optional(),
  /** `yes` refuses unknown hosts, `accept-new` records a new host's key; checking cannot be turned off. */
  strictHostKeyChecking: z
    .enum(['yes', 'accept-new'], {
      error: 'expected yes or accept-new (turning host key checking off is not offered)',
    })
    .optional(),
  /** Run privileged commands through `sudo -n` (a non-root login user). */
  sudo: z.boolean({ error: 'expected true or false' }).optional(),
  /** A bastion to go through (`ProxyJump`): `user@host:port`, or `none` to go direct. */
  jumpHost: jumpHost.optional(),
  /** @defaultValue 10 (the transport's) */
  connectTimeoutSeconds: positiveSeconds.optional(),
  /** SSH connections open at once to nodes. */
  maxConnections: positiveCount.optional(),
};

/** Which nodes a group applies to: all the given conditions hold. */
export const SshMatchSchema = z
  .strictObject(
    {
      /** The node has one of these roles. */
      roles: z
        .array(role, { error: 'expected a list of roles, e.g. [compute]' })
        .min(1, { error: 'expected at least one role' })
        .optional(),
      /** The node's name matches one of these globs (`*`, `?`, `[a-z]`), e.g. `cmp-*`. */
      names: z
        .array(name, { error: 'expected a list of node names or globs, e.g. ["cmp-*"]' })
        .min(1, { error: 'expected at least one name or glob' })
        .optional(),
    },
    { error: 'expected { roles, names }, e.g. { roles: [compute] }' },
  )
  .refine((m) => m.roles !== undefined || m.names !== undefined, {
    error: 'expected roles, names or both, e.g. { roles: [compute] }',
  });

/** Settings for the nodes a `match` selects. */
export const SshGroupSchema = z.strictObject(
  { match: SshMatchSchema, ...sshOverrides },
  { error: 'expected a group object, e.g. { match: { roles: [compute] }, identityFile: keys/compute }' },
);

/** How Escalator reaches nodes over SSH: defaults, then the groups that match a node, in order. */
export const SshConfigSchema = z.strictObject(
  {
    ...sshOverrides,
    strictHostKeyChecking: sshOverrides.strictHostKeyChecking.unwrap().default('yes'),
    sudo: sshOverrides.sudo.unwrap().default(false),
    groups: z.array(SshGroupSchema, { error: 'expected a list of groups' }).default([]),
  },
  { error: 'expected an ssh object, e.g. { user: escalator, sudo: true }' },
);

// --- Nodes (the SSH node agent) -------------------------------------------------------------------

const remotePathMessage = 'expected an absolute path on the node, e.g. /var/backups/escalator';
/** A path on a node: absolute, since it is not read from this machine's directories. */
const remotePath = z
  .string({ error: remotePathMessage })
  .regex(/^\/[^\0]*$/, { error: remotePathMessage })
  .max(4096, { error: 'expected a path of at most 4096 characters' });

const argvMessage = 'expected a command as a list of words, e.g. [cat, /proc/sys/kernel/random/boot_id]';
/** A command as argv: run without a shell, each word passed as it is. */
const argv = z
  .array(
    z
      .string({ error: argvMessage })
      .max(4096, { error: 'expected a word of at most 4096 characters' })
      .refine((w) => !w.includes('\0'), { error: 'expected a word without a NUL character' }),
    { error: argvMessage },
  )
  .min(1, { error: argvMessage })
  .max(256, { error: 'expected at most 256 words' })
  .refine((words) => words[0] !== '', { error: 'expected a command name as the first word' });

const packageMessage = 'expected a distribution package name, e.g. python3-nova';
const packageName = z
  .string({ error: packageMessage })
  .regex(/^[A-Za-z0-9][A-Za-z0-9+._-]*$/, { error: packageMessage })
  .max(255, { error: packageMessage });

/** How the SSH node agent works on the nodes (`createSshNodeAgent`'s options). */
export const NodesConfigSchema = z.strictObject(
  {
    /** @defaultValue apt */
    packageManager: z.enum(['apt', 'dnf'], { error: 'expected apt or dnf' }).optional(),
    /**
     * The distribution packages that carry each component's version, pinned together to it.
     * @defaultValue the component catalog's packages, else the component's name
     */
    packages: z
      .record(
        name,
        z
          .array(packageName, {
            error: 'expected a list of package names, e.g. [nova-compute, python3-nova]',
          })
          .min(1, { error: 'expected at least one package' }),
        { error: 'expected a map of components to package lists, e.g. { nova-compute: [nova-compute] }' },
      )
      .optional(),
    /** Refresh the package index (`apt-get update`) before installing. @defaultValue true */
    updateIndex: z.boolean({ error: 'expected true or false' }).optional(),
    /** Where backups go on each node. @defaultValue /var/backups/escalator */
    backupDirectory: remotePath.optional(),
    /** Extra arguments of `mysqldump` and `mysql`, e.g. [--defaults-file=/etc/mysql/debian.cnf]. */
    mysqlArgs: z
      .array(z.string({ error: 'expected a list of arguments' }).max(4096), {
        error: 'expected a list of arguments',
      })
      .optional(),
    /** Replacements for the commands that read the boot id and start a reboot. */
    commands: z
      .strictObject(
        {
          /** Prints an id that changes at every boot. @defaultValue [cat, /proc/sys/kernel/random/boot_id] */
          bootId: argv.optional(),
          /** Starts a reboot and returns at once. @defaultValue systemd-run's delayed `systemctl reboot` */
          reboot: argv.optional(),
        },
        { error: 'expected { bootId, reboot }' },
      )
      .optional(),
    /** Time allowed for package installs, backups and restores. @defaultValue 1800 */
    commandTimeoutSeconds: positiveSeconds.optional(),
    /** Time allowed for short queries (versions, boot id, health). @defaultValue 60 */
    probeTimeoutSeconds: positiveSeconds.optional(),
    /** How a rebooting node is polled until it answers: first wait, doubling to the longest, giving up after the timeout. */
    waitReady: z
      .strictObject(
        {
          /** @defaultValue 2 */
          firstPollSeconds: positiveSeconds.optional(),
          /** @defaultValue 30 */
          maxPollSeconds: positiveSeconds.optional(),
          /** @defaultValue 1200 */
          timeoutSeconds: positiveSeconds.optional(),
        },
        { error: 'expected { firstPollSeconds, maxPollSeconds, timeoutSeconds }' },
      )
      .optional(),
  },
  { error: 'expected a nodes object, e.g. { backupDirectory: /var/backups/escalator }' },
);

// --- VNF managers ------------------------------------------------------------------------------------

/** A VNF manager that takes maintenance notices over HTTP (Doctor / Fenix style). */
export const VnfManagerConfigSchema = z.strictObject(
  {
    /** The VNF it manages: a name of the inventory, or a glob (`*`: every VNF not named elsewhere). */
    vnf: name,
    /** Its base URL; the adapter appends `/maintenance`. */
    endpoint: httpUrl,
    /** The API token, by reference; sent in `header`. */
    token: SecretRefSchema.optional(),
    /** The header that carries the token: `Authorization` gets `Bearer <token>`, another the token itself. */
    header: z
      .string({ error: 'expected an HTTP header name, e.g. X-Auth-Token' })
      .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { error: 'expected an HTTP header name, e.g. X-Auth-Token' })
      .max(256, { error: 'expected an HTTP header name, e.g. X-Auth-Token' })
      .default('Authorization'),
  },
  { error: 'expected a VNF manager object, e.g. { vnf: epc, endpoint: https://vnfm.example/v1 }' },
);

// --- Policies ----------------------------------------------------------------------------------------

const RetryPolicySchema = z.strictObject(
  {
    /** Attempts after the first. */
    retries: count.max(1000, { error: 'expected at most 1000 retries' }).optional(),
    /** Wait before the first retry, in ms. */
    minDelayMs: amount.optional(),
    /** Growth of the wait per retry. */
    factor: z
      .number({ error: 'expected a factor of 1 or more, e.g. 2' })
      .min(1, { error: 'expected a factor of 1 or more, e.g. 2' })
      .max(100, { error: 'expected a factor of at most 100' })
      .optional(),
    /** Longest wait, in ms. */
    maxDelayMs: amount.optional(),
  },
  { error: 'expected { retries, minDelayMs, factor, maxDelayMs }' },
);

const StepPolicySchema = z.strictObject(
  {
    retry: RetryPolicySchema.optional(),
    onFailure: z
      .enum(FAILURE_POLICIES, { error: `expected one of ${FAILURE_POLICIES.join(', ')}` })
      .optional(),
    /** Multiplies the plan's timeout of the step. */
    timeoutFactor: positiveFactor.optional(),
  },
  { error: 'expected { retry, onFailure, timeoutFactor }' },
);

const optionalStepPolicy = StepPolicySchema.optional();
const stepPolicies = z.strictObject(
  Object.fromEntries(STEP_KINDS.map((kind) => [kind, optionalStepPolicy])) as Record<
    StepKind,
    typeof optionalStepPolicy
  >,
  { error: 'expected a map of step kinds to policies, e.g. { migrate: { timeoutFactor: 2 } }' },
);

/** The engine's policies (`EnginePolicyInput`), field for field; what is left out keeps the engine's default. */
export const PoliciesConfigSchema = z.strictObject(
  {
    retry: RetryPolicySchema.optional(),
    /** A step running longer than expected × this raises a `step-hang` alarm. */
    hangFactor: z
      .number({ error: 'expected a factor of 1 or more, e.g. 2' })
      .min(1, { error: 'expected a factor of 1 or more, e.g. 2' })
      .max(1000, { error: 'expected a factor of at most 1000' })
      .optional(),
    /** No step is called hung before this many seconds. */
    hangFloorSeconds: seconds.optional(),
    /** Steps running at once across the wave. */
    maxConcurrentSteps: positiveCount.optional(),
    /** Seconds between two polls of a migration's progress. */
    pollSeconds: positiveSeconds.optional(),
    /** What to do when the live cloud no longer matches the plan before a wave. */
    onDrift: z.enum(['pause', 'replan'], { error: 'expected pause or replan' }).optional(),
    /** Per step kind overrides. */
    steps: stepPolicies.optional(),
  },
  { error: 'expected a policies object, e.g. { retry: { retries: 5 }, onDrift: pause }' },
);

// --- The rest ----------------------------------------------------------------------------------------

/** The REST API's default address. */
export const DEFAULT_LISTEN = '127.0.0.1:8080';

const listenMessage = 'expected host:port, [v6]:port or a port, e.g. 127.0.0.1:8080';
/** Exactly what `escalator serve --listen` accepts. */
const listen = z
  .string({ error: listenMessage })
  .max(300, { error: listenMessage })
  .refine(
    (value) => {
      const m =
        /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
      const p = Number(m?.[3]);
      return m !== null && Number.isInteger(p) && p >= 0 && p <= 65535;
    },
    { error: listenMessage },
  );

/** The log levels. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * Zod schema of the escalator/v1 Config (`escalator.yaml`); `loadConfig` and `parseConfig` use it and
 * then resolve paths. See docs/config.md for every field.
 * @example
 * ```ts
 * const result = EscalatorConfigSchema.safeParse({ apiVersion: 'escalator/v1', kind: 'Config' });
 * if (result.success) console.log(result.data.backend); // 'simulator'
 * ```
 */
export const EscalatorConfigSchema = z.strictObject(
  {
    apiVersion,
    kind: z.literal('Config', { error: 'expected "Config"' }),
    metadata: metadata.optional(),
    /** Where campaigns run. */
    backend: z
      .enum(['simulator', 'openstack'], { error: 'expected simulator or openstack' })
      .default('simulator'),
    /** Journals in `<dir>/journal`, command inboxes in `<dir>/inbox`, the log file. */
    stateDirectory: path.default('./.escalator'),
    log: z
      .strictObject(
        {
          /** @defaultValue `<stateDirectory>/escalator.log` */
          file: path.optional(),
          level: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
        },
        { error: 'expected { file, level }' },
      )
      .default({ level: 'info' }),
    /** The embedded simulator (backend `simulator`). */
    simulator: z
      .strictObject(
        {
          /** Simulated time runs this many times faster than real time. @defaultValue as fast as possible */
          speed: z
            .number({ error: 'expected a speed above 0, e.g. 60' })
            .positive({ error: 'expected a speed above 0, e.g. 60' })
            .max(1e9, { error: 'expected a speed of at most 1000000000' })
            .optional(),
          /** Seeds the simulated clouds (faults, durations). */
          seed: z
            .number({ error: 'expected a whole number' })
            .int({ error: 'expected a whole number' })
            .min(-Number.MAX_SAFE_INTEGER, { error: 'expected a whole number' })
            .max(Number.MAX_SAFE_INTEGER, { error: 'expected a whole number' })
            .optional(),
        },
        { error: 'expected { speed, seed }' },
      )
      .default({}),
    /** The cloud (backend `openstack`; required then). */
    openstack: OpenStackConfigSchema.optional(),
    ssh: SshConfigSchema.default({ strictHostKeyChecking: 'yes', sudo: false, groups: [] }),
    nodes: NodesConfigSchema.default({}),
    vnfManagers: z.array(VnfManagerConfigSchema, { error: 'expected a list of VNF managers' }).default([]),
    policies: PoliciesConfigSchema.default({}),
    rest: z
      .strictObject(
        {
          listen: listen.default(DEFAULT_LISTEN),
          /** A static tokens file (see `loadStaticTokens`). Unset: a generated admin token. */
          tokensFile: path.optional(),
        },
        { error: 'expected { listen, tokensFile }' },
      )
      .default({ listen: DEFAULT_LISTEN }),
    /** Who the local CLI user is to the authorizer; used and audited for every CLI command. */
    operator: z
      .strictObject(
        {
          /** @defaultValue the OS user name */
          id: name.optional(),
          roles: z
            .array(name, { error: 'expected a list of role names, e.g. [admin]' })
            .min(1, { error: 'expected at least one role' })
            .default(['admin']),
        },
        { error: 'expected { id, roles }' },
      )
      .default({ roles: ['admin'] }),
  },
  { error: 'expected a Config document (an object with apiVersion: escalator/v1 and kind: Config)' },
);

/**
 * `escalator.yaml` as written (defaults may be left out).
 * @example
 * ```ts
 * const input: EscalatorConfigInput = { apiVersion: 'escalator/v1', kind: 'Config', backend: 'openstack', openstack: { cloud: 'lab-1' } };
 * await writeFile('escalator.yaml', JSON.stringify(input));
 * ```
 */
export type EscalatorConfigInput = z.input<typeof EscalatorConfigSchema>;
/**
 * `escalator.yaml` as parsed by the schema, before the loader resolves paths and derived defaults
 * (the {@link EscalatorConfigSchema}'s output; `loadConfig` gives the resolved `EscalatorConfig`).
 * @example
 * ```ts
 * const document: ConfigDocument = EscalatorConfigSchema.parse({ apiVersion: 'escalator/v1', kind: 'Config' });
 * console.log(document.stateDirectory); // './.escalator', not yet made absolute
 * ```
 */
export type ConfigDocument = z.output<typeof EscalatorConfigSchema>;
