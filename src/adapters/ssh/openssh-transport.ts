/**
 * A {@link CommandTransport} over the system OpenSSH client (`ssh`), spawned with an argv (no local
 * shell), one connection per node reused through a control master.
 *
 * Why the OpenSSH client rather than the `ssh2` npm package: it is what operators already trust and
 * configure (known_hosts, certificates, `ProxyJump` bastions, agents, hardware keys, FIPS builds and
 * crypto policies all work as they do from a shell), it gets security fixes from the distribution, it
 * adds no dependency to the library, and its connection multiplexing (`ControlMaster`) gives cheap
 * reuse. The cost is one short-lived process per command and parsing a few of its messages.
 *
 * How a cancelled or timed-out command dies on the node: SSH without a terminal never signals the
 * remote command when the connection goes away. So every command is wrapped in a tiny POSIX `sh`
 * script ({@link REMOTE_WRAPPER}) that starts the command in its own session (`setsid`, with stdin from
 * `/dev/null`) and watches the channel's stdin, which the local side keeps open. On cancellation the
 * local side closes its stdin (and, after a grace period, kills the `ssh` process, which closes the
 * channel too); the watcher sees end-of-file and sends SIGTERM to the command's whole process group,
 * then SIGKILL five seconds later. `-tt` was not used: a terminal merges stderr into stdout, rewrites
 * newlines and echoes input.
 * @module
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { AdapterError, ErrorCode, EscalatorError } from '../../errors.js';
import { redactString } from '../../logging/redact.js';
import type { Logger } from '../../ports/logger.js';
import type { CommandResult } from '../../ports/node-agent.js';
import type { CommandTransport, ExecOptions, NodeEndpoint } from '../../ports/transport.js';
import { shellCommand, shellQuote } from './quote.js';

/**
 * The remote wrapper every command runs under (see the module doc). `$@` is the command; the channel's
 * stdin (saved as fd 3) is read only by the watcher, whose end-of-file means the connection is gone.
 * Plain POSIX `sh` (dash, bash, busybox ash); `setsid` (util-linux, busybox) is used when present so
 * that the whole process group can be signalled, otherwise only the command's process is.
 * @internal
 */
export const REMOTE_WRAPPER = [
  'exec 3<&0',
  'if command -v setsid >/dev/null 2>&1; then setsid "$@" </dev/null & else "$@" </dev/null & fi',
  'c=$!',
  '{ while read -r _; do :; done',
  '  kill -s TERM -- "-$c" 2>/dev/null || kill -s TERM "$c" 2>/dev/null',
  '  ( sleep 5; kill -s KILL -- "-$c" 2>/dev/null || kill -s KILL "$c" 2>/dev/null ) >/dev/null 2>&1 </dev/null &',
  '} <&3 3<&- >/dev/null 2>&1 &',
  'w=$!',
  'exec 3<&-',
  'wait "$c"; r=$?',
  'kill "$w" 2>/dev/null',
  'exit "$r"',
].join('\n');

/** Options of {@link createOpenSshTransport}. */
export interface OpenSshTransportOptions {
  /**
   * The known_hosts file to check host keys against (`UserKnownHostsFile`). Host key checking is always
   * on; a node whose key is not there (or differs) fails with reason `ssh-host-key`.
   * @defaultValue OpenSSH's own (`~/.ssh/known_hosts` and the system's)
   */
  readonly knownHostsFile?: string | undefined;
  /**
   * `yes` refuses unknown hosts; `accept-new` records the key of a host seen for the first time (trust on
   * first use) but still refuses a changed key. Turning checking off is not offered.
   * @defaultValue 'yes'
   */
  readonly strictHostKeyChecking?: 'yes' | 'accept-new' | undefined;
  /** The private key for endpoints without a `credentialsRef` (`-i`). Unset: OpenSSH's defaults. */
  readonly identityFile?: string | undefined;
  /**
   * Turns an endpoint's `credentialsRef` into the path of a private key file. The key itself never
   * passes through Escalator and is never logged.
   * @example `resolveIdentity: (ref) => \`/etc/escalator/keys/${ref}\``
   */
  readonly resolveIdentity?:
    | ((credentialsRef: string, endpoint: NodeEndpoint) => string | Promise<string>)
    | undefined;
  /** @defaultValue 10 */
  readonly connectTimeoutSeconds?: number | undefined;
  /**
   * Keep one authenticated connection per node and run commands through it (`ControlMaster`), so that a
   * command costs a channel, not a handshake.
   * @defaultValue true
   */
  readonly reuseConnections?: boolean | undefined;
  /** How long an idle master connection stays up (`ControlPersist`). @defaultValue 120 */
  readonly controlPersistSeconds?: number | undefined;
  /**
   * Seconds between keep-alive probes (`ServerAliveInterval`); a connection that misses three is
   * dropped, so a node that vanished is noticed. @defaultValue 5
   */
  readonly serverAliveIntervalSeconds?: number | undefined;
  /** Timeout of a command whose caller gives none. @defaultValue 600_000 (10 minutes) */
  readonly defaultTimeoutMs?: number | undefined;
  /**
   * Wrap commands so that cancellation kills them on the node (see the module doc). Turn off only for a
   * node without a POSIX `sh`.
   * @defaultValue true
   */
  readonly killRemoteOnCancel?: boolean | undefined;
  /** After asking the node to stop a cancelled command, how long to wait before killing `ssh`. @defaultValue 2_000 */
  readonly cancelGraceMs?: number | undefined;
  /** The client program. @defaultValue 'ssh' */
  readonly sshPath?: string | undefined;
  /**
   * An ssh_config file (`-F`), or `'none'` to read no configuration file. Unset: OpenSSH reads the user's
   * and the system's, so `ProxyJump` and the like configured there apply.
   */
  readonly configFile?: string | undefined;
  /** More `-o Key=value` options, e.g. `{ ProxyJump: 'bastion' }`. */
  readonly extraOptions?: Readonly<Record<string, string>> | undefined;
  /** Characters of output kept per stream and command; more is still streamed to `onOutput`. @defaultValue 16 Mi */
  readonly maxOutputChars?: number | undefined;
  /** Where the private directory for control sockets and logs is made. @defaultValue `os.tmpdir()` */
  readonly tempDir?: string | undefined;
  /** Receives a debug record per command (redacted). @defaultValue none */
  readonly logger?: Logger | undefined;
}

/** The OpenSSH transport: a {@link CommandTransport} plus what a host may want to look at. */
export interface OpenSshTransport extends CommandTransport {
  /**
   * Runs `argv` on the endpoint. Resolves with the exit code and output whatever the exit code; rejects
   * with a transient {@link AdapterError} when the node cannot be reached (`ssh-unreachable`) or the
   * command ran past its timeout (`ssh-timeout`), a permanent one when its host key is unknown or
   * changed (`ssh-host-key`) or the key is refused (`ssh-auth`), and with the signal's reason when
   * aborted.
   */
  exec(endpoint: NodeEndpoint, argv: readonly string[], options?: ExecOptions): Promise<CommandResult>;
  /** Stops every master connection and removes the private directory. Later calls to `exec` fail. */
  close(): Promise<void>;
  /**
   * The control socket of the endpoint's master connection (it exists while the master runs), or
   * `undefined` when connections are not reused or nothing ran yet.
   */
  controlPath(endpoint: NodeEndpoint): string | undefined;
}

const PORT_MAX = 65_535;
/** Host names, IPv4 and IPv6 addresses (with an optional zone); never an option (`-...`). */
const ADDRESS = /^[A-Za-z0-9_.:%[\]-]+$/;
const USER = /^[A-Za-z0-9_.][A-Za-z0-9_.@-]*$/;
const OPTION_KEY = /^[A-Za-z][A-Za-z0-9]*$/;

const permanent = (reason: string, message: string, cause?: unknown) =>
  new AdapterError(message, { kind: 'permanent', reason, cause });
const transient = (reason: string, message: string, cause?: unknown) =>
  new AdapterError(message, { kind: 'transient', reason, cause });

function invalidOption(message: string): EscalatorError {
  return new EscalatorError(ErrorCode.InvalidOption, message);
}

/** An option value as ssh's `-o` parser reads it: `%` is a token prefix, whitespace needs quotes. */
function optionValue(value: string, what: string, tokens: boolean): string {
  if (/["\r\n\0]/.test(value)) throw invalidOption(`${what} must not contain a double quote or a line break`);
  const escaped = tokens ? value.replaceAll('%', '%%') : value;
  return /\s/.test(escaped) ? `"${escaped}"` : escaped;
}

function checkPositive(value: number | undefined, name: string): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0))
    throw invalidOption(`${name} must be a number above 0, got ${value}`);
}

/** Classifies what ssh logged when it exited with 255 (its own failure, not the command's). */
function sshFailure(log: string, endpoint: NodeEndpoint): AdapterError {
  const text = redactString(log.trim().split('\n').slice(-5).join(' | '));
  const where = `${endpoint.node} (${endpoint.address}:${endpoint.port ?? 22})`;
  if (
    /Host key verification failed|host key is known|HOST IDENTIFICATION HAS CHANGED|host key for .* has changed/i.test(
      log,
    )
  )
    return permanent(
      'ssh-host-key',
      `the host key of ${where} is unknown or changed; add the node's key to the known_hosts file (${text})`,
    );
  if (/Permission denied \(|Too many authentication failures|no mutual signature/i.test(log))
    return permanent('ssh-auth', `${where} refused the SSH key (${text})`);
  return transient('ssh-unreachable', `cannot reach ${where} over SSH (${text || 'ssh exited with 255'})`);
}

/**
 * Creates the OpenSSH {@link CommandTransport}. Runs `ssh -o BatchMode=yes -o StrictHostKeyChecking=yes
 * -p <port> -l <user> [-i <key>] -- <address> '<quoted command>'`, never through a local shell.
 *
 * @example
 * ```ts
 * const transport = createOpenSshTransport({
 *   knownHostsFile: '/etc/escalator/known_hosts',
 *   resolveIdentity: (ref) => `/etc/escalator/keys/${ref}`,
 * });
 * const { exitCode, stdout } = await transport.exec(
 *   { node: 'cmp-001', address: '10.0.0.11', user: 'root', credentialsRef: 'ops' },
 *   ['uname', '-r'],
 *   { timeoutMs: 30_000 },
 * );
 * await transport.close();
 * ```
 */
export function createOpenSshTransport(options: OpenSshTransportOptions = {}): OpenSshTransport {
  checkPositive(options.connectTimeoutSeconds, 'connectTimeoutSeconds');
  checkPositive(options.controlPersistSeconds, 'controlPersistSeconds');
  checkPositive(options.serverAliveIntervalSeconds, 'serverAliveIntervalSeconds');
  checkPositive(options.defaultTimeoutMs, 'defaultTimeoutMs');
  checkPositive(options.maxOutputChars, 'maxOutputChars');
  if (options.cancelGraceMs !== undefined && !(options.cancelGraceMs >= 0))
    throw invalidOption(`cancelGraceMs must be 0 or more, got ${options.cancelGraceMs}`);
  const strict = options.strictHostKeyChecking ?? 'yes';
  if (strict !== 'yes' && strict !== 'accept-new')
    throw invalidOption(`strictHostKeyChecking must be 'yes' or 'accept-new', got ${String(strict)}`);
  for (const key of Object.keys(options.extraOptions ?? {}))
    if (!OPTION_KEY.test(key)) throw invalidOption(`extraOptions: "${key}" is not an ssh option name`);
  return new OpenSshTransportImpl(options, strict);
}

interface Master {
  readonly path: string;
  readonly base: readonly string[];
  readonly address: string;
}

class OpenSshTransportImpl implements OpenSshTransport {
  readonly #options: OpenSshTransportOptions;
  readonly #strict: string;
  #dir: Promise<string> | undefined;
  #closed = false;
  #counter = 0;
  /** Endpoint key to the master started for it. */
  readonly #masters = new Map<string, Master>();
  /** Endpoint key to a master being started, so that concurrent commands share one handshake. */
  readonly #starting = new Map<string, Promise<void>>();

  constructor(options: OpenSshTransportOptions, strict: string) {
    this.#options = options;
    this.#strict = strict;
  }

  controlPath(endpoint: NodeEndpoint): string | undefined {
    return this.#masters.get(this.#key(endpoint))?.path;
  }

  async exec(
    endpoint: NodeEndpoint,
    argv: readonly string[],
    options: ExecOptions = {},
  ): Promise<CommandResult> {
    const signal = options.signal;
    signal?.throwIfAborted();
    if (this.#closed) throw permanent('transport-closed', 'the SSH transport was closed');
    const command = shellCommand(argv); // validates argv first: nothing runs with a bad argument
    const remote =
      this.#options.killRemoteOnCancel === false
        ? command
        : `sh -c ${shellQuote(REMOTE_WRAPPER)} escalator-exec ${command}`;
    const base = await this.#baseArgs(endpoint);
    const dir = await this.#tempDir();
    let master: Master | undefined;
    if (this.#options.reuseConnections !== false) {
      master = await this.#ensureMaster(endpoint, base, dir, signal);
    }
    const log = join(dir, `exec-${++this.#counter}.log`);
    const args = [
      ...base,
      ...(master ? ['-o', `ControlPath=${optionValue(master.path, 'ControlPath', true)}`] : []),
      '-o',
      'ControlMaster=no',
      '-E',
      log,
      '--',
      endpoint.address,
      remote,
    ];
    const started = Date.now();
    try {
      const result = await this.#run(endpoint, args, log, options);
      this.#log(endpoint, argv, `exit ${result.exitCode}`, started);
      return result;
    } catch (error) {
      this.#log(endpoint, argv, error instanceof Error ? error.message : String(error), started);
      throw error;
    } finally {
      await rm(log, { force: true });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#starting.values()]);
    const masters = [...this.#masters.values()];
    this.#masters.clear();
    await Promise.all(
      masters.map(
        (m) =>
          new Promise<void>((resolve) => {
            const child = spawn(
              this.#options.sshPath ?? 'ssh',
              [
                ...m.base,
                '-o',
                `ControlPath=${optionValue(m.path, 'ControlPath', true)}`,
                '-O',
                'exit',
                '--',
                m.address,
              ],
              { stdio: 'ignore' },
            );
            child.on('error', () => resolve());
            child.on('exit', () => resolve());
          }),
      ),
    );
    if (this.#dir) {
      const dir = await this.#dir.catch(() => undefined);
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }

  #key(endpoint: NodeEndpoint): string {
    return JSON.stringify([
      endpoint.address,
      endpoint.port ?? 22,
      endpoint.user ?? '',
      endpoint.credentialsRef ?? '',
    ]);
  }

  #tempDir(): Promise<string> {
    this.#dir ??= (async () => {
      // Unix socket paths are limited to about 104 bytes: fall back to /tmp when tmpdir() is long.
      let parent = this.#options.tempDir ?? tmpdir();
      if (parent.length > 60) parent = '/tmp';
      const dir = await mkdtemp(join(parent, 'escalator-ssh-')); // mode 0700
      return dir;
    })();
    return this.#dir;
  }

  /** Options common to every ssh invocation for this endpoint, validated. */
  async #baseArgs(endpoint: NodeEndpoint): Promise<string[]> {
    const where = `node ${endpoint.node}`;
    if (!ADDRESS.test(endpoint.address) || endpoint.address.startsWith('-'))
      throw permanent('ssh-bad-endpoint', `${where}: "${endpoint.address}" is not a host name or IP address`);
    const port = endpoint.port ?? 22;
    if (!Number.isInteger(port) || port < 1 || port > PORT_MAX)
      throw permanent('ssh-bad-endpoint', `${where}: port ${port} is not a TCP port (1 to 65535)`);
    if (endpoint.user !== undefined && !USER.test(endpoint.user))
      throw permanent('ssh-bad-endpoint', `${where}: "${endpoint.user}" is not a user name`);
    let identity = this.#options.identityFile;
    if (endpoint.credentialsRef !== undefined) {
      if (!this.#options.resolveIdentity)
        throw permanent(
          'ssh-no-identity',
          `${where} names credentials "${endpoint.credentialsRef}" but the transport has no resolveIdentity; ` +
            'pass createOpenSshTransport({ resolveIdentity: (ref) => pathOfKey })',
        );
      try {
        identity = await this.#options.resolveIdentity(endpoint.credentialsRef, endpoint);
      } catch (cause) {
        throw permanent(
          'ssh-no-identity',
          `${where}: credentials "${endpoint.credentialsRef}" could not be resolved`,
          cause,
        );
      }
      if (typeof identity !== 'string' || identity === '')
        throw permanent(
          'ssh-no-identity',
          `${where}: resolveIdentity gave no key file for "${endpoint.credentialsRef}"`,
        );
    }
    const o = this.#options;
    const args: string[] = [];
    if (o.configFile !== undefined) args.push('-F', o.configFile);
    args.push(
      '-T', // no terminal
      '-a', // no agent forwarding
      '-x', // no X11 forwarding
      '-o',
      'BatchMode=yes',
      '-o',
      `StrictHostKeyChecking=${this.#strict}`,
      '-o',
      'UpdateHostKeys=no',
      '-o',
      'PermitLocalCommand=no',
      '-o',
      `ConnectTimeout=${Math.ceil(o.connectTimeoutSeconds ?? 10)}`,
      '-o',
      `ServerAliveInterval=${Math.ceil(o.serverAliveIntervalSeconds ?? 5)}`,
      '-o',
      'ServerAliveCountMax=3',
    );
    if (o.knownHostsFile !== undefined)
      args.push('-o', `UserKnownHostsFile=${optionValue(o.knownHostsFile, 'knownHostsFile', true)}`);
    if (identity !== undefined) args.push('-o', 'IdentitiesOnly=yes', '-i', identity.replaceAll('%', '%%'));
    for (const [key, value] of Object.entries(o.extraOptions ?? {}))
      args.push('-o', `${key}=${optionValue(value, `extraOptions.${key}`, false)}`);
    args.push('-p', String(port));
    if (endpoint.user !== undefined) args.push('-l', endpoint.user);
    return args;
  }

  /** Starts the endpoint's master connection unless its socket is there; shares a start in progress. */
  async #ensureMaster(
    endpoint: NodeEndpoint,
    base: readonly string[],
    dir: string,
    signal: AbortSignal | undefined,
  ): Promise<Master> {
    const key = this.#key(endpoint);
    const path = join(dir, `cm-${createHash('sha256').update(key).digest('hex').slice(0, 20)}`);
    const master: Master = { path, base, address: endpoint.address };
    for (;;) {
      const pending = this.#starting.get(key);
      if (pending) {
        await abortable(pending, signal);
        continue;
      }
      if (await isSocket(path)) {
        this.#masters.set(key, master);
        return master;
      }
      const start = this.#startMaster(endpoint, master, dir).finally(() => this.#starting.delete(key));
      this.#starting.set(key, start);
      await abortable(start, signal);
      this.#masters.set(key, master);
      return master;
    }
  }

  /** `ssh -M -N -f`: authenticates, leaves a master in the background and exits 0, or exits 255. */
  async #startMaster(endpoint: NodeEndpoint, master: Master, dir: string): Promise<void> {
    const log = join(dir, `master-${++this.#counter}.log`);
    const args = [
      ...master.base,
      '-o',
      'ControlMaster=yes',
      '-o',
      `ControlPath=${optionValue(master.path, 'ControlPath', true)}`,
      '-o',
      `ControlPersist=${Math.ceil(this.#options.controlPersistSeconds ?? 120)}`,
      '-N',
      '-f',
      '-E',
      log,
      '--',
      endpoint.address,
    ];
    // The background master inherits nothing of ours: every stdio is /dev/null, its log goes to a file.
    const child = spawn(this.#options.sshPath ?? 'ssh', args, { stdio: 'ignore' });
    const limit = ((this.#options.connectTimeoutSeconds ?? 10) + 5) * 1000;
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), limit);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(notFound(error, this.#options.sshPath ?? 'ssh'));
      });
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    try {
      if (code === 0) return;
      const text = await readFile(log, 'utf8').catch(() => '');
      throw sshFailure(text || `ssh exited with ${code ?? 'a signal'} while connecting`, endpoint);
    } finally {
      await rm(log, { force: true });
    }
  }

  #run(endpoint: NodeEndpoint, args: string[], log: string, options: ExecOptions): Promise<CommandResult> {
    const signal = options.signal;
    const timeoutMs = options.timeoutMs ?? this.#options.defaultTimeoutMs ?? 600_000;
    const maxChars = this.#options.maxOutputChars ?? 16 * 1024 * 1024;
    const graceMs = this.#options.cancelGraceMs ?? 2_000;
    const wrapped = this.#options.killRemoteOnCancel !== false;
    return new Promise<CommandResult>((resolve, reject) => {
      // stdin stays open while the command runs: its end tells the remote wrapper to kill the command.
      const child = spawn(this.#options.sshPath ?? 'ssh', args, {
        stdio: [wrapped ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
      const out = { stdout: '', stderr: '' };
      const sizes = { stdout: 0, stderr: 0 };
      let cancelled: { error: unknown } | undefined;
      let spawnError: unknown;
      const timers: ReturnType<typeof setTimeout>[] = [];

      const collect = (stream: 'stdout' | 'stderr') => {
        const decoder = new StringDecoder('utf8');
        const take = (text: string) => {
          if (text === '') return;
          if (sizes[stream] < maxChars) out[stream] += text.slice(0, maxChars - sizes[stream]);
          sizes[stream] += text.length;
          try {
            options.onOutput?.(text, stream);
          } catch {
            // A failing output callback must not break the command.
          }
        };
        child[stream]?.on('data', (chunk: Buffer) => take(decoder.write(chunk)));
        child[stream]?.on('end', () => take(decoder.end()));
      };
      collect('stdout');
      collect('stderr');
      child.stdin?.on('error', () => {}); // EPIPE when ssh already exited

      const cancel = (error: unknown) => {
        if (cancelled) return;
        cancelled = { error };
        child.stdin?.end();
        // Ask first (the node kills the command and ssh exits), then insist.
        timers.push(
          setTimeout(() => child.kill('SIGTERM'), wrapped ? graceMs : 0),
          setTimeout(() => child.kill('SIGKILL'), (wrapped ? graceMs : 0) + 2_000),
        );
      };
      const onAbort = () => cancel(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      timers.push(
        setTimeout(
          () =>
            cancel(
              transient(
                'ssh-timeout',
                `command on ${endpoint.node} did not finish within ${timeoutMs} ms and was killed`,
              ),
            ),
          timeoutMs,
        ),
      );

      child.on('error', (error) => {
        spawnError = error;
      });
      child.on('close', (code) => {
        signal?.removeEventListener('abort', onAbort);
        for (const t of timers) clearTimeout(t);
        if (spawnError !== undefined) {
          reject(notFound(spawnError, this.#options.sshPath ?? 'ssh'));
          return;
        }
        if (cancelled) {
          reject(cancelled.error);
          return;
        }
        if (code === null) {
          reject(transient('ssh-killed', `ssh to ${endpoint.node} was killed by a signal`));
          return;
        }
        if (code !== 255) {
          resolve({ exitCode: code, stdout: out.stdout, stderr: out.stderr });
          return;
        }
        // 255 is ssh's own failure when it logged one, else the remote command's exit code.
        readFile(log, 'utf8')
          .catch(() => '')
          .then((text) => {
            // Warnings (a host key learnt under accept-new) are not failures.
            const failures = text
              .split('\n')
              .filter((l) => l.trim() !== '' && !l.startsWith('Warning: Permanently added'));
            if (failures.length > 0) reject(sshFailure(text, endpoint));
            else resolve({ exitCode: code, stdout: out.stdout, stderr: out.stderr });
          });
      });
    });
  }

  #log(endpoint: NodeEndpoint, argv: readonly string[], outcome: string, started: number): void {
    const logger = this.#options.logger;
    if (!logger) return;
    const command = redactString(argv.join(' '));
    logger.log({
      time: new Date().toISOString(),
      level: 'debug',
      object: endpoint.node,
      action: 'ssh.exec',
      message: `${command.length > 200 ? `${command.slice(0, 200)}…` : command}: ${redactString(outcome)}`,
      data: {
        address: endpoint.address,
        port: endpoint.port ?? 22,
        user: endpoint.user,
        credentialsRef: endpoint.credentialsRef,
        durationMs: Date.now() - started,
      },
    });
  }
}

function notFound(error: unknown, program: string): AdapterError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT')
    return permanent(
      'ssh-not-found',
      `the OpenSSH client "${program}" is not installed (install openssh-client or set sshPath)`,
      error,
    );
  return transient('ssh-spawn-failed', `cannot start ${program}: ${String(error)}`, error);
}

async function isSocket(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isSocket();
  } catch {
    return false;
  }
}

/** Waits for `promise`, or rejects at once with the signal's reason (the promise goes on). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
