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
import { versionMatches } from '../../model/versions.js';
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
   * `undefined` for a component means the default.
   * @defaultValue the catalog's `packages` of the component, or `[component]` when it lists none
   */
  readonly packages?: ((component: string) => readonly string[] | undefined) | undefined;
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

/**
 * How one component's asked version maps onto the distribution's package versions, as
 * {@link SshNodeAgent.resolveVersions} reports it (a plan or CLI shows both forms).
 */
export interface ResolvedVersion {
  /** The version the campaign asked for: exact (`2:26.2.2-1~deb12u5`) or upstream (`26.2.2`). */
  readonly asked: string;
  /** Package name to the exact version the package manager installs for it. */
  readonly packages: Readonly<Record<string, string>>;
}

/** One component in {@link SshNodeAgent.checkVersions}. */
export interface VersionCheck {
  readonly asked: string;
  /**
   * What {@link NodeAgent.installedVersions} reports for the component (its packages' version,
   * `mixed(...)`, a version followed by a dpkg state such as `(half-configured)`), or `undefined` when
   * none of its packages is there.
   */
  readonly installed: string | undefined;
  /** Every package of the component is fully installed at a version that {@link versionMatches} the asked one. */
  readonly ok: boolean;
}

/** What {@link SshNodeAgent.checkVersions} found. */
export interface VersionsCheck {
  /** Every component is `ok`. */
  readonly ok: boolean;
  readonly components: Readonly<Record<string, VersionCheck>>;
}

/**
 * The {@link NodeAgent} of {@link createSshNodeAgent}, plus what only it can tell: how asked versions
 * resolve to package versions on a node. The engine sees it through the `NodeAgent` port only.
 */
export interface SshNodeAgent extends NodeAgent {
  /**
   * For each component, the exact package versions an install of the asked version would pin, read
   * from `apt-cache policy` on the node (the repositories' versions and the installed one): the asked
   * version itself when it is listed, else the highest listed version that {@link versionMatches} it
   * (compared with `dpkg --compare-versions` on the node). Rejects with a permanent `apt-failed`
   * naming the package, the asked version and those available when none matches. Does not run
   * `apt-get update`. With dnf, versions are exact: each package maps to the asked version as is.
   *
   * @example
   * ```ts
   * import type { SshNodeAgent } from 'escalator/ssh';
   * declare const nodes: SshNodeAgent; // from createSshNodeAgent
   * await nodes.resolveVersions('cmp-001', { nova: '26.2.2' });
   * // { nova: { asked: '26.2.2', packages: { 'nova-compute': '2:26.2.2-1~deb12u5', ... } } }
   * ```
   */
  resolveVersions(
    node: string,
    software: Readonly<Record<string, string>>,
    options?: CallOptions,
  ): Promise<Record<string, ResolvedVersion>>;
  /**
   * Whether the node runs the asked versions, exact or upstream: an installed `2:26.2.2-1~deb12u5`
   * satisfies `26.2.2` (see {@link versionMatches}). A package left half-configured or unpacked by a
   * failed or interrupted install never does.
   */
  checkVersions(
    node: string,
    software: Readonly<Record<string, string>>,
    options?: CallOptions,
  ): Promise<VersionsCheck>;
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
  /** `apt-cache policy` of each package, each preceded by a NUL (which apt never prints). */
  policy: 'for p in "$@"; do printf "\\000"; apt-cache policy -- "$p" || exit 3; done',
  /** The highest of each group of versions (groups end with an empty argument), one line per group. */
  highest:
    'b=; for v in "$@"; do if [ -z "$v" ]; then printf "%s\\n" "$b"; b=; elif [ -z "$b" ] || dpkg --compare-versions "$v" gt "$b"; then b=$v; fi; done',
} as const;

/** dpkg's states (second letter of `db:Status-Abbrev`) of a package present but not usable. */
const DPKG_BROKEN: Readonly<Record<string, string>> = {
  H: 'half-installed',
  U: 'unpacked',
  F: 'half-configured',
};

/** A version line of `apt-cache policy`'s version table: ` *** 1:27.1.0-1 500` or `     1:27.1.0-1 500`. */
const POLICY_VERSION = /^ (?:\*\*\*| {3}) (\S+) -?\d+$/gm;

/** What apt prints when a `pkg=version` it was given is not in any of its lists. */
const APT_VERSION_NOT_FOUND = /^E: Version '.*' for '.*' was not found$/m;
/** What apt prints when an earlier dpkg run was killed half-way (a crash, a cancelled install). */
const DPKG_INTERRUPTED = /dpkg was interrupted, you must manually run/;

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

/**
 * What apt and dpkg said went wrong (`E:` lines, `dpkg: error ...` with the line after it), redacted,
 * for an error message: the last lines of output alone are often apt's summary, not dpkg's reason.
 */
function aptTail(result: CommandResult): string {
  const lines = `${result.stderr}\n${result.stdout}`.split('\n');
  const kept: string[] = [];
  for (const [i, line] of lines.entries()) {
    if (/^E: /.test(line)) kept.push(line.trim());
    else if (/^dpkg: error/.test(line)) {
      kept.push(line.trim());
      const next = lines[i + 1];
      if (next !== undefined && /^\s/.test(next) && next.trim() !== '') kept.push(next.trim());
    }
  }
  if (kept.length === 0) return tail(result);
  const text = [...new Set(kept)].join(' | ');
  return `exit ${result.exitCode}: ${redactString(text.length > 600 ? `${text.slice(0, 600)}…` : text)}`;
}

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

/** One package to install: the component it carries and the version asked for it. */
interface PackageSpec {
  readonly component: string;
  readonly pkg: string;
  readonly asked: string;
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
 *   version is its packages' version when they agree, `mixed(pkg=version, ...)` when they do not; a
 *   package dpkg left half-configured or unpacked shows its state (`1:27.1.0-1 (half-configured)`).
 * - `installVersions`: `apt-get install -y --allow-downgrades pkg=version ...` (or `dnf -y install
 *   pkg-version ...`), non-interactive, keeping changed configuration files. A version may be exact
 *   (`2:26.2.2-1~deb12u5`) or upstream (`26.2.2`): when apt does not know the asked version, it is
 *   resolved as {@link SshNodeAgent.resolveVersions} does and the install runs again (dnf: exact
 *   versions only). An install a crash or a cancel interrupted is finished first (`dpkg --configure
 *   -a`). apt's exit 100 is a permanent `apt-failed` (with dpkg's own message), a held dpkg lock a
 *   transient `apt-locked`; packages on hold are not changed (apt refuses, `apt-failed`).
 * - `resolveVersions`, `checkVersions` (not in the port): asked versions to exact package versions,
 *   and whether the installed ones match them (see {@link versionMatches}).
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
 * await nodes.installVersions('cmp-001', { 'nova-compute': '2:29.0.1-0ubuntu1' }); // or '29.0.1'
 * ```
 */
export function createSshNodeAgent(options: SshNodeAgentOptions): SshNodeAgent {
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
  return new SshNodeAgentImpl(options, pm, root);
}

class SshNodeAgentImpl implements SshNodeAgent {
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
    const installed = await this.#installedPackages(node, [...wanted.values()].flat(), options);
    const out: Record<string, string> = {};
    for (const [component, pkgs] of wanted) {
      const version = componentVersion(pkgs, installed);
      if (version !== undefined) out[component] = version;
    }
    return out;
  }

  async checkVersions(
    node: string,
    software: Readonly<Record<string, string>>,
    options: CallOptions = {},
  ): Promise<VersionsCheck> {
    const wanted = Object.entries(software).map(
      ([component, asked]) => [component, asked, this.#packagesOf(component)] as const,
    );
    const installed = await this.#installedPackages(
      node,
      wanted.flatMap(([, , pkgs]) => pkgs),
      options,
    );
    const components: Record<string, VersionCheck> = {};
    for (const [component, asked, pkgs] of wanted)
      components[component] = {
        asked,
        installed: componentVersion(pkgs, installed),
        ok: pkgs.every((p) => {
          const found = installed.get(p);
          return found !== undefined && found.state === undefined && versionMatches(found.version, asked);
        }),
      };
    return { ok: Object.values(components).every((c) => c.ok), components };
  }

  async resolveVersions(
    node: string,
    software: Readonly<Record<string, string>>,
    options: CallOptions = {},
  ): Promise<Record<string, ResolvedVersion>> {
    const specs = this.#specs(software);
    const exact =
      this.#pm === 'dnf'
        ? new Map(specs.map((s) => [s, s.asked]))
        : await this.#resolveApt(node, specs, this.#probe(options));
    const out: Record<string, { asked: string; packages: Record<string, string> }> = {};
    for (const spec of specs) {
      const entry = out[spec.component] ?? { asked: spec.asked, packages: {} };
      entry.packages[spec.pkg] = exact.get(spec) ?? spec.asked;
      out[spec.component] = entry;
    }
    return out;
  }

  async installVersions(
    node: string,
    software: Readonly<Record<string, string>>,
    options: CallOptions = {},
  ): Promise<void> {
    const specs = this.#specs(software);
    if (specs.length === 0) return;
    const timeouts = this.#long(options);
    if (this.#pm === 'dnf') {
      // Exact versions only: dnf has no `dpkg --compare-versions` to pick among upstream matches here.
      const args = specs.map((s) => `${s.pkg}-${s.asked}`);
      const result = await this.#exec(node, ['env', 'LC_ALL=C', 'dnf', '-y', 'install', '--', ...args], {
        ...timeouts,
        privileged: true,
      });
      if (result.exitCode !== 0)
        throw permanent('dnf-failed', `dnf could not install ${args.join(' ')} on ${node} (${tail(result)})`);
      return;
    }
    const apt = ['env', 'DEBIAN_FRONTEND=noninteractive', 'LC_ALL=C', 'apt-get'];
    if (this.#o.updateIndex !== false) {
      const update = await this.#exec(node, [...apt, '-q', 'update'], { ...timeouts, privileged: true });
      if (update.exitCode !== 0) throw this.#aptError(node, 'update the package index', update, true);
    }
    const install = (args: readonly string[]) =>
      this.#exec(
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
          ...args,
        ],
        { ...timeouts, privileged: true },
      );
    // The asked versions go to apt as they are first: an exact version needs no look-up, and apt
    // itself is the judge of which versions it knows.
    let args = specs.map((s) => `${s.pkg}=${s.asked}`);
    let result = await install(args);
    if (result.exitCode !== 0 && DPKG_INTERRUPTED.test(`${result.stderr}\n${result.stdout}`)) {
      // An earlier install was killed half-way (a crash, a cancelled step): apt refuses to go on until
      // dpkg finishes it. Finish it, keeping changed configuration files, then install again.
      const configure = await this.#exec(
        node,
        [
          'env',
          'DEBIAN_FRONTEND=noninteractive',
          'LC_ALL=C',
          'dpkg',
          '--force-confdef',
          '--force-confold',
          '--configure',
          '-a',
        ],
        { ...timeouts, privileged: true },
      );
      if (configure.exitCode !== 0)
        throw this.#aptError(node, 'finish an interrupted install (dpkg --configure -a)', configure, false);
      result = await install(args);
    }
    if (result.exitCode !== 0 && APT_VERSION_NOT_FOUND.test(result.stderr)) {
      // Some asked version is not a package version (`26.2.2`): resolve every one against the
      // candidates and install those, or say which versions there are.
      const refused = result;
      const exact = await this.#resolveApt(node, specs, timeouts, { args, result }).catch((error) => {
        // The look-up itself failed (no apt-cache?): apt's own refusal is the better message.
        if (error instanceof AdapterError && error.reason === 'apt-cache-failed')
          throw this.#aptError(node, `install ${args.join(' ')}`, refused, false);
        throw error;
      });
      const resolved = specs.map((s) => `${s.pkg}=${exact.get(s) ?? s.asked}`);
      if (resolved.some((r, i) => r !== args[i])) {
        args = resolved;
        result = await install(args);
      }
    }
    if (result.exitCode !== 0) throw this.#aptError(node, `install ${args.join(' ')}`, result, false);
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

  /** One entry per package of each component, in a stable order; every name and version checked. */
  #specs(software: Readonly<Record<string, string>>): PackageSpec[] {
    const specs: PackageSpec[] = [];
    for (const [component, asked] of Object.entries(software).sort(([a], [b]) => a.localeCompare(b))) {
      operand(asked, `version of ${component}`);
      for (const pkg of this.#packagesOf(component)) {
        if (this.#pm === 'apt' && pkg.includes('='))
          throw permanent('invalid-argument', `package name "${pkg}" contains "="`);
        specs.push({ component, pkg, asked });
      }
    }
    return specs;
  }

  /**
   * Installed packages among `packages`: version, and the dpkg state when the package is there but not
   * usable (half-configured after a failed postinst, unpacked after an interrupted install).
   */
  async #installedPackages(
    node: string,
    packages: readonly string[],
    options: CallOptions,
  ): Promise<Map<string, InstalledPackage>> {
    const installed = new Map<string, InstalledPackage>();
    const sorted = [...new Set(packages)].sort();
    if (sorted.length === 0) return installed;
    const argv =
      this.#pm === 'apt'
        ? ['env', 'LC_ALL=C', 'dpkg-query', '-W', '-f', DPKG_FORMAT, '--', ...sorted]
        : ['env', 'LC_ALL=C', 'rpm', '-q', '--qf', RPM_FORMAT, '--', ...sorted];
    const result = await this.#exec(node, argv, { ...this.#probe(options), privileged: false });
    // Both exit non-zero when some package is not installed and still list the others.
    const listed = this.#pm === 'apt' ? result.exitCode <= 1 : result.exitCode <= sorted.length;
    if (!listed)
      throw permanent(
        `${this.#pm === 'apt' ? 'dpkg-query' : 'rpm'}-failed`,
        `cannot list packages on ${node} (${tail(result)})`,
      );
    for (const line of result.stdout.split('\n')) {
      const fields = line.split('\t');
      let name: string | undefined;
      let version: string | undefined;
      let state: string | undefined;
      if (this.#pm === 'apt' && fields.length === 3) {
        const flag = fields[1]?.[1] ?? ''; // "ii ": wanted install, installed
        if (flag === 'i' || flag === 'W' || flag === 't') [name, , version] = fields;
        else if (DPKG_BROKEN[flag] !== undefined) {
          [name, , version] = fields;
          state = DPKG_BROKEN[flag];
        }
      } else if (this.#pm === 'dnf' && fields.length === 2) [name, version] = fields;
      if (name && version && !installed.has(name)) installed.set(name, { version: version.trim(), state });
    }
    return installed;
  }

  /**
   * The exact version to pin for each spec: the asked one when `apt-cache policy` lists it, else the
   * highest listed one that {@link versionMatches} it. Throws a permanent `apt-failed` naming what
   * matches nothing (with apt's refusal when `failed` tells which install it was), and
   * `apt-cache-failed` when the candidates cannot be listed.
   */
  async #resolveApt(
    node: string,
    specs: readonly PackageSpec[],
    timeouts: { timeoutMs: number; signal: AbortSignal | undefined },
    failed?: { args: readonly string[]; result: CommandResult } | undefined,
  ): Promise<Map<PackageSpec, string>> {
    const packages = [...new Set(specs.map((s) => s.pkg))];
    const out = new Map<PackageSpec, string>();
    if (packages.length === 0) return out;
    const policy = await this.#exec(
      node,
      ['env', 'LC_ALL=C', 'sh', '-c', SCRIPTS.policy, 'escalator-policy', ...packages],
      { ...timeouts, privileged: false },
    );
    const sections = policy.stdout.split('\0').slice(1);
    if (policy.exitCode !== 0 || sections.length !== packages.length)
      throw permanent('apt-cache-failed', `cannot list the package versions on ${node} (${tail(policy)})`);
    const candidates = new Map(
      packages.map((p, i) => [
        p,
        [...new Set([...(sections[i] ?? '').matchAll(POLICY_VERSION)].map((m) => m[1] ?? ''))],
      ]),
    );
    const missing: string[] = [];
    const ambiguous = new Map<PackageSpec, string[]>();
    for (const spec of specs) {
      const listed = candidates.get(spec.pkg) ?? [];
      if (listed.includes(spec.asked)) out.set(spec, spec.asked);
      else {
        const matches = listed.filter((v) => versionMatches(v, spec.asked));
        if (matches.length === 1 && matches[0] !== undefined) out.set(spec, matches[0]);
        else if (matches.length > 1) ambiguous.set(spec, matches);
        else
          missing.push(
            `${spec.pkg} has no version ${spec.asked} (available: ${listed.length > 0 ? listed.join(', ') : 'none, the package is unknown to apt'})`,
          );
      }
    }
    if (missing.length > 0)
      throw permanent(
        'apt-failed',
        failed
          ? `apt on ${node} could not install ${failed.args.join(' ')} (${aptTail(failed.result)}): ${missing.join('; ')}`
          : `no package version on ${node} for ${missing.join('; ')}`,
      );
    if (ambiguous.size > 0) {
      // Several revisions of one upstream version: the highest, as dpkg orders them (never a JS compare).
      const groups = [...ambiguous.values()];
      const highest = await this.#exec(
        node,
        ['sh', '-c', SCRIPTS.highest, 'escalator-highest', ...groups.flatMap((g) => [...g, ''])],
        { ...timeouts, privileged: false },
      );
      const lines = highest.stdout.split('\n').slice(0, groups.length);
      if (highest.exitCode !== 0 || lines.length !== groups.length || lines.some((l) => l === ''))
        throw permanent('apt-cache-failed', `cannot compare package versions on ${node} (${tail(highest)})`);
      [...ambiguous.keys()].forEach((spec, i) => {
        out.set(spec, lines[i] ?? spec.asked);
      });
    }
    return out;
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
    return permanent('apt-failed', `apt on ${node} could not ${what} (${aptTail(result)})`);
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

/** A package found by dpkg-query or rpm. */
interface InstalledPackage {
  readonly version: string;
  /** dpkg's state when the package is there but not usable (`half-configured`...); else undefined. */
  readonly state: string | undefined;
}

/**
 * A component's version from its packages': theirs when they agree (with dpkg's state when not fully
 * installed, e.g. `1:27.1.0-1 (half-configured)`), `mixed(pkg=version, ...)` when they do not,
 * undefined when none is installed.
 */
function componentVersion(
  pkgs: readonly string[],
  installed: ReadonlyMap<string, InstalledPackage>,
): string | undefined {
  const versions = pkgs.map((p) => {
    const found = installed.get(p);
    return found && (found.state === undefined ? found.version : `${found.version} (${found.state})`);
  });
  if (versions.every((v) => v === undefined)) return undefined;
  const first = versions[0];
  return first !== undefined && versions.every((v) => v === first)
    ? first
    : `mixed(${pkgs.map((p, i) => `${p}=${versions[i] ?? 'none'}`).join(', ')})`;
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
