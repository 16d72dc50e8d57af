/**
 * The {@link NodeAgent} over any {@link CommandTransport} (the OpenSSH one in production): packages with
 * apt or dnf, services with systemd, backups with tar, mysqldump and sha256sum, all as argv (every
 * argument reaches the node's shell quoted, see {@link shellQuote}).
 * @module
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { systemClock } from '../../clock/system-clock.js';
import { AdapterError, ErrorCode, EscalatorError } from '../../errors.js';
import { redactString } from '../../logging/redact.js';
import type { Catalog } from '../../model/component.js';
import type { Clock } from '../../ports/clock.js';
import type { CallOptions } from '../../ports/common.js';
import type {
  BackupRef,
  BackupRequest,
  CommandResult,
  HealthReport,
  NodeAgent,
  RunOptions,
  WaitReadyOptions,
} from '../../ports/node-agent.js';
import type { CommandTransport, NodeEndpoint } from '../../ports/transport.js';

/** Commands the agent runs that a host (or a test) may replace. */
export interface SshNodeAgentCommands {
  /** Prints the boot id. @defaultValue `['cat', '/proc/sys/kernel/random/boot_id']` */
  readonly bootId?: readonly string[] | undefined;
  /**
   * Starts a reboot and returns at once (the reboot must happen after the command returned, or the
   * connection drops before its exit status comes back).
   * @defaultValue a `sh -c` script: `systemd-run --on-active=2 systemctl reboot` where systemd-run
   * exists, else `nohup sh -c 'sleep 2; systemctl reboot || shutdown -r now' &`
   */
  readonly reboot?: readonly string[] | undefined;
}

/** Options of {@link createSshNodeAgent}. */
export interface SshNodeAgentOptions {
  /** Runs commands on nodes, e.g. {@link createOpenSshTransport}. */
  readonly transport: CommandTransport;
  /** Where a node is: see {@link inventoryEndpoints}. May throw an {@link AdapterError}. */
  readonly endpoints: (node: string) => NodeEndpoint;
  /** @defaultValue 'apt' */
  readonly packageManager?: 'apt' | 'dnf' | undefined;
  /**
   * Component catalog: its `packages` are the default of {@link SshNodeAgentOptions.packages}. Every
   * package of a component is pinned to the component's version.
   */
  readonly catalog?: Catalog | undefined;
  /**
   * The distribution packages that carry a component's version. When the catalog lists packages that
   * version separately (galera next to mariadb-server), return only those that follow the component.
   * @defaultValue the catalog's `packages` of the component, or `[component]` when it lists none
   */
  readonly packages?: ((component: string) => readonly string[]) | undefined;
  /** Run `apt-get update` before installing, so that the exact versions asked for are known. @defaultValue true */
  readonly updateIndex?: boolean | undefined;
  /** Prefix privileged commands with `sudo -n --` (for a non-root login user). @defaultValue false */
  readonly sudo?: boolean | undefined;
  /** Where backups go on the node. @defaultValue '/var/backups/escalator' */
  readonly backupRoot?: string | undefined;
  /** Extra arguments of `mysqldump` and `mysql`, e.g. `['--defaults-file=/etc/mysql/debian.cnf']`. */
  readonly mysqlArgs?: readonly string[] | undefined;
  /** Replacements for some commands. */
  readonly commands?: SshNodeAgentCommands | undefined;
  /** Timeout of package installs, backups and restores. @defaultValue 1_800_000 (30 minutes) */
  readonly commandTimeoutMs?: number | undefined;
  /** Timeout of short queries (versions, boot id, health, restart). @defaultValue 60_000 */
  readonly probeTimeoutMs?: number | undefined;
  /** How {@link NodeAgent.waitReady} polls: first delay, doubling up to the maximum, giving up after the timeout. */
  readonly waitReady?:
    | {
        /** @defaultValue 2_000 */
        readonly initialDelayMs?: number | undefined;
        /** @defaultValue 30_000 */
        readonly maxDelayMs?: number | undefined;
        /** @defaultValue 1_200_000 (20 minutes) */
        readonly timeoutMs?: number | undefined;
      }
    | undefined;
  /** Time of backup names and of waiting. @defaultValue the system clock */
  readonly clock?: Clock | undefined;
}

const DEFAULT_REBOOT_SCRIPT = [
  'if command -v systemd-run >/dev/null 2>&1 &&',
  '  systemd-run --quiet --collect --on-active=2 systemctl reboot >/dev/null 2>&1; then exit 0; fi',
  "nohup sh -c 'sleep 2; systemctl reboot || shutdown -r now' >/dev/null 2>&1 </dev/null &",
].join('\n');

/** `dpkg-query -f`: name, status flags (second char `i`: installed), version. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} syntax, not a template
const DPKG_FORMAT = '${Package}\t${db:Status-Abbrev}\t${Version}\n';
/** `rpm --qf`: name, `[epoch:]version-release`. */
const RPM_FORMAT = '%{NAME}\t%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n';

const BACKUP_FORMAT = 'escalator-backup/v1';

/** Scripts given to `sh -c` with positional arguments: they never contain data, so nothing is injected. */
const SCRIPTS = {
  dump: 'umask 077; out=$1; shift; exec mysqldump "$@" > "$out"',
  load: 'in=$1; shift; exec mysql "$@" < "$in"',
  write: 'umask 077; printf "%s" "$2" > "$1"',
  sum: 'cd -- "$1" || exit 3; shift; sha256sum -- "$@" > SHA256SUMS || exit 4; sha256sum SHA256SUMS',
  verify:
    'cd -- "$1" || exit 3; sha256sum SHA256SUMS || exit 4; sha256sum -c --strict --quiet SHA256SUMS >&2 || exit 5',
} as const;

/** What a backup directory holds, as `manifest.json`. */
interface Manifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly node: string;
  readonly label: string;
  readonly created: string;
  readonly software: Record<string, string>;
  readonly files: readonly string[];
  readonly archive?: string | undefined;
  readonly databases: readonly { readonly name: string; readonly dump: string }[];
}

const permanent = (reason: string, message: string, cause?: unknown) =>
  new AdapterError(message, { kind: 'permanent', reason, cause });
const transient = (reason: string, message: string, cause?: unknown) =>
  new AdapterError(message, { kind: 'transient', reason, cause });

/** The last lines of a command's error output, redacted, for an error message. */
function tail(result: CommandResult): string {
  const text = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-4).join(' | ');
  const cut = text.length > 400 ? `…${text.slice(-400)}` : text;
  return cut === '' ? `exit ${result.exitCode}` : `exit ${result.exitCode}: ${redactString(cut)}`;
}

function checkPositive(value: number | undefined, name: string): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0))
    throw new EscalatorError(ErrorCode.InvalidOption, `${name} must be a number above 0, got ${value}`);
}

/**
 * Refuses an argument that a program would read as an option (`-...`) or that is empty: quoting stops
 * the shell, not `apt-get` from taking `-oAPT::...` for an option.
 */
function operand(value: string, what: string): string {
  if (typeof value !== 'string' || value === '' || value.startsWith('-') || value.includes('\0'))
    throw permanent('invalid-argument', `${what} "${value}" is not allowed (empty, NUL or starts with "-")`);
  return value;
}

/**
 * Creates the {@link NodeAgent} that runs commands over a {@link CommandTransport}.
 *
 * - `installedVersions`: `dpkg-query -W` (or `rpm -q`) of the components' packages; a component's
 *   version is its packages' version when they agree, `mixed(pkg=version, ...)` when they do not.
 * - `installVersions`: `apt-get install -y --allow-downgrades pkg=version ...` (or `dnf -y install
 *   pkg-version ...`), non-interactive, keeping changed configuration files. apt's exit 100 is a
 *   permanent `apt-failed`, a held dpkg lock a transient `apt-locked`.
 * - `restartServices`, `health`: `systemctl restart` and `systemctl is-active`.
 * - `bootId`, `reboot`, `waitReady`: the kernel's boot id; a reboot detached from the connection;
 *   polling the boot id with backoff until the node answers with one other than the `since` it is
 *   given (the journaled boot id from before the reboot: the agent itself remembers nothing).
 * - `backup`, `restore`: a timestamped directory under `/var/backups/escalator/<label>/` with a tar of
 *   the files, one mysqldump per database, a manifest and `SHA256SUMS`, whose own hash is the
 *   {@link BackupRef.checksum}; a restore checks it, untars, loads the dumps and reinstalls the recorded
 *   versions.
 *
 * @example
 * ```ts
 * const nodes = createSshNodeAgent({
 *   transport: createOpenSshTransport({ knownHostsFile, resolveIdentity: (ref) => `/etc/escalator/keys/${ref}` }),
 *   endpoints: inventoryEndpoints(inventory),
 *   catalog,
 * });
 * await nodes.installVersions('cmp-001', { 'nova-compute': '2:29.0.1-0ubuntu1' });
 * ```
 */
export function createSshNodeAgent(options: SshNodeAgentOptions): NodeAgent {
  if (!options || typeof options.transport?.exec !== 'function')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'transport is not set. Pass createSshNodeAgent({ transport: createOpenSshTransport(), endpoints })',
    );
  if (typeof options.endpoints !== 'function')
    throw new EscalatorError(
      ErrorCode.InvalidOption,
      'endpoints is not set. Pass createSshNodeAgent({ transport, endpoints: inventoryEndpoints(inventory) })',
    );
  const pm = options.packageManager ?? 'apt';
  if (pm !== 'apt' && pm !== 'dnf')
    throw new EscalatorError(ErrorCode.InvalidOption, `packageManager must be 'apt' or 'dnf', got ${pm}`);
  checkPositive(options.commandTimeoutMs, 'commandTimeoutMs');
  checkPositive(options.probeTimeoutMs, 'probeTimeoutMs');
  checkPositive(options.waitReady?.initialDelayMs, 'waitReady.initialDelayMs');
  checkPositive(options.waitReady?.maxDelayMs, 'waitReady.maxDelayMs');
  checkPositive(options.waitReady?.timeoutMs, 'waitReady.timeoutMs');
  const root = options.backupRoot ?? '/var/backups/escalator';
  if (!posix.isAbsolute(root))
    throw new EscalatorError(ErrorCode.InvalidOption, `backupRoot must be an absolute path, got "${root}"`);
  for (const [name, argv] of Object.entries(options.commands ?? {}))
    if (argv !== undefined && argv.length === 0)
      throw new EscalatorError(ErrorCode.InvalidOption, `commands.${name} must not be empty`);
  return new SshNodeAgent(options, pm, root);
}

class SshNodeAgent implements NodeAgent {
  readonly #o: SshNodeAgentOptions;
  readonly #pm: 'apt' | 'dnf';
  readonly #root: string;
  readonly #clock: Clock;

  constructor(options: SshNodeAgentOptions, pm: 'apt' | 'dnf', root: string) {
    this.#o = options;
    this.#pm = pm;
    this.#root = root;
    this.#clock = options.clock ?? systemClock;
  }

  run(node: string, argv: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
    return this.#exec(node, argv, {
      privileged: false,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
  }

  async installedVersions(
    node: string,
    components: readonly string[],
    options: CallOptions = {},
  ): Promise<Record<string, string>> {
    const wanted = new Map(components.map((c) => [c, this.#packagesOf(c)]));
    const packages = [...new Set([...wanted.values()].flat())].sort();
    if (packages.length === 0) return {};
    const argv =
      this.#pm === 'apt'
        ? ['env', 'LC_ALL=C', 'dpkg-query', '-W', '-f', DPKG_FORMAT, '--', ...packages]
        : ['env', 'LC_ALL=C', 'rpm', '-q', '--qf', RPM_FORMAT, '--', ...packages];
    const result = await this.#exec(node, argv, { ...this.#probe(options), privileged: false });
    // Both exit non-zero when some package is not installed and still list the others.
    const listed = this.#pm === 'apt' ? result.exitCode <= 1 : result.exitCode <= packages.length;
    if (!listed)
      throw permanent(
        `${this.#pm === 'apt' ? 'dpkg-query' : 'rpm'}-failed`,
        `cannot list packages on ${node} (${tail(result)})`,
      );
    const installed = new Map<string, string>();
    for (const line of result.stdout.split('\n')) {
      const fields = line.split('\t');
      let name: string | undefined;
      let version: string | undefined;
      if (this.#pm === 'apt' && fields.length === 3) {
        const state = fields[1]?.[1]; // "ii ": wanted install, installed
        if (state === 'i' || state === 'W' || state === 't') [name, , version] = fields;
      } else if (this.#pm === 'dnf' && fields.length === 2) [name, version] = fields;
      if (name && version && !installed.has(name)) installed.set(name, version.trim());
    }
    const out: Record<string, string> = {};
    for (const [component, pkgs] of wanted) {
      const versions = pkgs.map((p) => installed.get(p));
      if (versions.every((v) => v === undefined)) continue;
      const first = versions[0];
      out[component] =
        first !== undefined && versions.every((v) => v === first)
          ? first
          : `mixed(${pkgs.map((p, i) => `${p}=${versions[i] ?? 'none'}`).join(', ')})`;
    }
    return out;
  }

  async installVersions(
    node: string,
    software: Readonly<Record<string, string>>,
    options: CallOptions = {},
  ): Promise<void> {
    const specs: string[] = [];
    for (const [component, version] of Object.entries(software).sort(([a], [b]) => a.localeCompare(b))) {
      operand(version, `version of ${component}`);
      for (const pkg of this.#packagesOf(component)) {
        if (this.#pm === 'apt' && pkg.includes('='))
          throw permanent('invalid-argument', `package name "${pkg}" contains "="`);
        specs.push(this.#pm === 'apt' ? `${pkg}=${version}` : `${pkg}-${version}`);
      }
    }
    if (specs.length === 0) return;
    const timeouts = this.#long(options);
    if (this.#pm === 'dnf') {
      const result = await this.#exec(node, ['env', 'LC_ALL=C', 'dnf', '-y', 'install', '--', ...specs], {
        ...timeouts,
        privileged: true,
      });
      if (result.exitCode !== 0)
        throw permanent(
          'dnf-failed',
          `dnf could not install ${specs.join(' ')} on ${node} (${tail(result)})`,
        );
      return;
    }
    const apt = ['env', 'DEBIAN_FRONTEND=noninteractive', 'LC_ALL=C', 'apt-get'];
    if (this.#o.updateIndex !== false) {
      const update = await this.#exec(node, [...apt, '-q', 'update'], { ...timeouts, privileged: true });
      if (update.exitCode !== 0) throw this.#aptError(node, 'update the package index', update, true);
    }
    const result = await this.#exec(
      node,
      [
        ...apt,
        '-q',
        '-y',
        '--allow-downgrades',
        '-o',
        'Dpkg::Options::=--force-confdef',
        '-o',
        'Dpkg::Options::=--force-confold',
        '-o',
        'DPkg::Lock::Timeout=120',
        'install',
        ...specs,
      ],
      { ...timeouts, privileged: true },
    );
    if (result.exitCode !== 0) throw this.#aptError(node, `install ${specs.join(' ')}`, result, false);
  }

  async restartServices(node: string, services: readonly string[], options: CallOptions = {}): Promise<void> {
    if (services.length === 0) return;
    for (const s of services) operand(s, 'service');
    const result = await this.#exec(node, ['systemctl', 'restart', '--', ...services], {
      ...this.#long(options),
      privileged: true,
    });
    if (result.exitCode !== 0)
      throw permanent(
        'service-restart-failed',
        `systemctl could not restart ${services.join(', ')} on ${node} (${tail(result)})`,
      );
  }

  async health(node: string, services: readonly string[], options: CallOptions = {}): Promise<HealthReport> {
    if (services.length === 0) return { ok: true, services: [] };
    for (const s of services) operand(s, 'service');
    const result = await this.#exec(node, ['env', 'LC_ALL=C', 'systemctl', 'is-active', '--', ...services], {
      ...this.#probe(options),
      privileged: false,
    });
    // One line per unit, in order; exit 0 when all are active, 3 when some are not.
    const lines = result.stdout.split('\n').filter((l) => l.trim() !== '');
    if (lines.length !== services.length)
      throw permanent(
        'systemctl-failed',
        `systemctl is-active gave no state per service on ${node} (${tail(result)})`,
      );
    const report = services.map((name, i) => ({ name, active: lines[i]?.trim() === 'active' }));
    return { ok: report.every((s) => s.active), services: report };
  }

  async bootId(node: string, options: CallOptions = {}): Promise<string> {
    const argv = this.#o.commands?.bootId ?? ['cat', '/proc/sys/kernel/random/boot_id'];
    const result = await this.#exec(node, argv, { ...this.#probe(options), privileged: false });
    const id = result.stdout.trim();
    if (result.exitCode !== 0 || id === '')
      throw transient('node-not-ready', `${node} did not tell its boot id (${tail(result)})`);
    return id;
  }

  async reboot(node: string, options: CallOptions = {}): Promise<void> {
    // No boot id is kept here: the reboot step journals it before, and passes it to waitReady, so a
    // process resumed after a crash waits for the same thing as the one that asked for the reboot.
    const argv = this.#o.commands?.reboot ?? ['sh', '-c', DEFAULT_REBOOT_SCRIPT];
    const result = await this.#exec(node, argv, { ...this.#probe(options), privileged: true });
    if (result.exitCode !== 0)
      throw permanent('reboot-failed', `${node} refused to reboot (${tail(result)})`);
  }

  async waitReady(node: string, options: WaitReadyOptions = {}): Promise<void> {
    const { signal, since } = options;
    const settings = this.#o.waitReady ?? {};
    const maxDelay = settings.maxDelayMs ?? 30_000;
    const deadline = this.#clock.now() + (settings.timeoutMs ?? 1_200_000);
    let delay = Math.min(settings.initialDelayMs ?? 2_000, maxDelay);
    let last = 'no answer yet';
    for (;;) {
      signal?.throwIfAborted();
      try {
        const id = await this.bootId(node, options);
        if (since === undefined || id !== since) return;
        last = `still on boot id ${id}, the reboot has not happened yet`;
      } catch (error) {
        signal?.throwIfAborted();
        if (!(EscalatorError.is(error) && error.retryable)) throw error;
        last = error.message;
      }
      if (this.#clock.now() + delay > deadline)
        throw transient(
          'node-not-ready',
          `${node} is not back after ${settings.timeoutMs ?? 1_200_000} ms (${last})`,
        );
      await this.#clock.sleep(delay, signal);
      delay = Math.min(delay * 2, maxDelay);
    }
  }

  async backup(node: string, request: BackupRequest, options: CallOptions = {}): Promise<BackupRef> {
    const files = request.files.map((f) => {
      if (typeof f !== 'string' || !posix.isAbsolute(f) || f.includes('\0') || f.split('/').includes('..'))
        throw permanent('invalid-argument', `backup file "${f}" must be an absolute path without ".."`);
      return f;
    });
    for (const db of request.databases) operand(db, 'database');
    const created = new Date(this.#clock.now()).toISOString();
    const location = posix.join(this.#root, labelDir(request.label), created.replace(/[-:]/g, ''));
    const exec = (argv: readonly string[]) =>
      this.#exec(node, argv, { ...this.#long(options), privileged: true });
    const check = (result: CommandResult, what: string) => {
      if (result.exitCode !== 0)
        throw permanent('backup-failed', `backup on ${node}: cannot ${what} (${tail(result)})`);
    };

    check(await exec(['mkdir', '-p', '-m', '0700', '--', posix.dirname(location)]), 'create the directory');
    check(await exec(['mkdir', '-m', '0700', '--', location]), `create ${location}`);
    try {
      const artifacts: string[] = [];
      let archive: string | undefined;
      if (files.length > 0) {
        archive = 'files.tar.gz';
        // Relative to / so that the archive restores in place; `--` keeps a name like "-x" a file.
        const relative = files.map((f) => f.replace(/^\/+/, '') || '.');
        check(
          await exec(['tar', '-czf', posix.join(location, archive), '-C', '/', '--', ...relative]),
          `archive ${files.join(', ')}`,
        );
        artifacts.push(archive);
      }
      const databases = request.databases.map((name, i) => ({ name, dump: `db-${i}.sql` }));
      for (const { name, dump } of databases) {
        check(
          await exec([
            'sh',
            '-c',
            SCRIPTS.dump,
            'escalator-dump',
            posix.join(location, dump),
            ...(this.#o.mysqlArgs ?? []),
            '--single-transaction',
            '--routines',
            '--events',
            '--triggers',
            '--databases',
            name,
          ]),
          `dump database ${name}`,
        );
        artifacts.push(dump);
      }
      const manifest: Manifest = {
        format: BACKUP_FORMAT,
        node,
        label: request.label,
        created,
        software: { ...request.software },
        files,
        ...(archive === undefined ? {} : { archive }),
        databases,
      };
      check(
        await exec([
          'sh',
          '-c',
          SCRIPTS.write,
          'escalator-write',
          posix.join(location, 'manifest.json'),
          JSON.stringify(manifest),
        ]),
        'write the manifest',
      );
      artifacts.push('manifest.json');
      const sums = await exec(['sh', '-c', SCRIPTS.sum, 'escalator-sum', location, ...artifacts]);
      check(sums, 'compute checksums');
      const hash = /^([0-9a-f]{64})\b/.exec(sums.stdout.trim())?.[1];
      if (!hash) throw permanent('backup-failed', `backup on ${node}: sha256sum printed no checksum`);
      return {
        node,
        label: request.label,
        location,
        software: { ...request.software },
        checksum: `sha256:${hash}`,
      };
    } catch (error) {
      // Leave no half-written backup behind (best effort: the node may be the problem).
      await this.#exec(node, ['rm', '-rf', '--', location], {
        timeoutMs: this.#o.probeTimeoutMs ?? 60_000,
        signal: undefined,
        privileged: true,
      }).catch(() => undefined);
      throw error;
    }
  }

  async restore(node: string, backup: BackupRef, options: CallOptions = {}): Promise<void> {
    const location = backup.location;
    if (!posix.isAbsolute(location) || location.includes('\0'))
      throw permanent('invalid-argument', `backup location "${location}" is not an absolute path`);
    const exec = (argv: readonly string[]) =>
      this.#exec(node, argv, { ...this.#long(options), privileged: true });

    const verify = await exec(['sh', '-c', SCRIPTS.verify, 'escalator-verify', location]);
    if (verify.exitCode === 3) throw permanent('backup-missing', `backup ${location} is not on ${node}`);
    if (verify.exitCode !== 0)
      throw permanent(
        'backup-corrupt',
        `backup ${location} on ${node} fails its checksums (${tail(verify)})`,
      );
    const hash = /^([0-9a-f]{64})\b/.exec(verify.stdout.trim())?.[1];
    if (`sha256:${hash}` !== backup.checksum)
      throw permanent(
        'backup-checksum',
        `backup ${location} on ${node} is not the one recorded (checksum sha256:${hash}, expected ${backup.checksum})`,
      );

    const read = await exec(['cat', '--', posix.join(location, 'manifest.json')]);
    let manifest: Manifest;
    try {
      if (read.exitCode !== 0) throw new Error(tail(read));
      manifest = JSON.parse(read.stdout) as Manifest;
      if (manifest.format !== BACKUP_FORMAT || !Array.isArray(manifest.databases))
        throw new Error('not a manifest');
    } catch (cause) {
      throw permanent('backup-corrupt', `backup ${location} on ${node} has no readable manifest`, cause);
    }
    if (manifest.archive !== undefined) {
      const untar = await exec(['tar', '-xzpf', posix.join(location, manifest.archive), '-C', '/']);
      if (untar.exitCode !== 0)
        throw permanent('restore-failed', `cannot restore files on ${node} (${tail(untar)})`);
    }
    for (const { name, dump } of manifest.databases) {
      const load = await exec([
        'sh',
        '-c',
        SCRIPTS.load,
        'escalator-load',
        posix.join(location, dump),
        ...(this.#o.mysqlArgs ?? []),
      ]);
      if (load.exitCode !== 0)
        throw permanent('restore-failed', `cannot load database ${name} on ${node} (${tail(load)})`);
    }
    if (Object.keys(backup.software).length > 0) await this.installVersions(node, backup.software, options);
  }

  #packagesOf(component: string): readonly string[] {
    const pkgs = this.#o.packages?.(component) ?? this.#o.catalog?.[component]?.packages;
    const list = pkgs && pkgs.length > 0 ? pkgs : [component];
    for (const p of list) operand(p, `package of ${component}`);
    return list;
  }

  #aptError(node: string, what: string, result: CommandResult, update: boolean): AdapterError {
    const text = `${result.stderr}\n${result.stdout}`;
    if (
      /Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock the administration directory/i.test(
        text,
      )
    )
      return transient('apt-locked', `apt on ${node} is busy with another process (${tail(result)})`);
    if (update) return transient('apt-update-failed', `apt on ${node} could not ${what} (${tail(result)})`);
    return permanent('apt-failed', `apt on ${node} could not ${what} (${tail(result)})`);
  }

  #probe(options: CallOptions): { timeoutMs: number; signal: AbortSignal | undefined } {
    return { timeoutMs: this.#o.probeTimeoutMs ?? 60_000, signal: options.signal };
  }

  #long(options: CallOptions): { timeoutMs: number; signal: AbortSignal | undefined } {
    return { timeoutMs: this.#o.commandTimeoutMs ?? 1_800_000, signal: options.signal };
  }

  async #exec(
    node: string,
    argv: readonly string[],
    how: { privileged: boolean; timeoutMs: number | undefined; signal: AbortSignal | undefined },
  ): Promise<CommandResult> {
    let endpoint: NodeEndpoint;
    try {
      endpoint = this.#o.endpoints(node);
    } catch (error) {
      if (EscalatorError.is(error)) throw error;
      throw permanent('unknown-node', `no endpoint for node ${node}: ${String(error)}`, error);
    }
    if (!endpoint) throw permanent('unknown-node', `no endpoint for node ${node}`);
    const full = how.privileged && this.#o.sudo ? ['sudo', '-n', '--', ...argv] : argv;
    return this.#o.transport.exec(endpoint, full, { timeoutMs: how.timeoutMs, signal: how.signal });
  }
}

/** A label as one safe path component, with a hash of the original so that two labels never collide. */
function labelDir(label: string): string {
  const safe =
    label
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^\.+/, '_')
      .slice(0, 80) || '_';
  return `${safe}-${createHash('sha256').update(label).digest('hex').slice(0, 8)}`;
}
