/**
 * A real OpenSSH server for the SSH adapter tests: `/usr/sbin/sshd` on a free 127.0.0.1 port, with a
 * throwaway host key and user key, its own sshd_config (no PAM, keys only, files in a temp dir) and a
 * `SetEnv PATH=<bin>:/usr/bin:/bin` that puts the tests' fake commands first for every session.
 *
 * Run as root (CI), it logs in as a dedicated user `escalator-ssh` (created once with useradd, shell
 * /bin/sh, no password, home in /tmp) so that no rc file of root's slows or changes the sessions;
 * otherwise as the current user.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { NodeEndpoint } from '../../src/ports/transport.js';

const SSHD = '/usr/sbin/sshd';
const TEST_USER = 'escalator-ssh';
const TEST_HOME = '/tmp/escalator-ssh-home';

export interface SshServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The login user of the sessions. */
  readonly user: string;
  /** uid and gid of that user, to give it the files the tests let it change. */
  readonly uid: number;
  readonly gid: number;
  /** The throwaway private key allowed to log in. */
  readonly identityFile: string;
  /** A known_hosts file holding the server's host key. */
  readonly knownHostsFile: string;
  /** The server's host public key, `ssh-ed25519 AAAA...`. */
  readonly hostPublicKey: string;
  /** The server's private directory (config, keys, log). */
  readonly dir: string;
  /** An endpoint that reaches this server, named `node`. */
  endpoint(node?: string): NodeEndpoint;
  /** How many logins sshd accepted so far (from its log). */
  logins(): number;
  /** Everything sshd logged. */
  log(): string;
  /** Stops the server and drops every session (the node "goes away"). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same keys. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  close(): Promise<void>;
}

export interface SshServerOptions {
  /** Directories put first on the sessions' PATH (the fake commands). */
  readonly pathPrefix?: readonly string[];
}

/** Starts a real sshd; fails with instructions when OpenSSH's server is not installed. */
export async function startSshd(options: SshServerOptions = {}): Promise<SshServer> {
  if (!existsSync(SSHD))
    throw new Error(
      `${SSHD} is missing: the SSH adapter tests run a real OpenSSH server on 127.0.0.1. ` +
        'Install it with `apt-get install -y openssh-server` (Debian/Ubuntu) and run the tests again.',
    );
  const { user, uid, gid } = loginUser();
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });

  const dir = mkdtempSync(join(tmpdir(), 'escalator-sshd-'));
  chmodSync(dir, 0o755); // the session user walks through to its own subdirectories
  const hostKey = join(dir, 'host_ed25519');
  const userKey = join(dir, 'user_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'escalator-test-host', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'escalator-test-user', '-f', userKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${userKey}.pub`));
  chmodSync(join(dir, 'authorized_keys'), 0o644);
  const hostPublicKey = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');

  let port = 0;
  let child: ChildProcess | undefined;
  let log = '';

  const writeConfig = () => {
    const path = [...(options.pathPrefix ?? []), '/usr/bin', '/bin'].join(':');
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        'ListenAddress 127.0.0.1',
        `Port ${port}`,
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'StrictModes no',
        ...sshdLoginLines(user, path),
      ].join('\n'),
    );
  };

  /** Starts sshd on `port`; false when it did not come up (the port was taken meanwhile). */
  const launch = async (): Promise<boolean> => {
    const proc = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (text: string) => {
      log += text;
    });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    if (await waitBanner(port, exited)) {
      child = proc;
      return true;
    }
    proc.kill('SIGKILL');
    return false;
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc?.pid || proc.exitCode !== null) return;
    // Per-connection sshd processes leave the listener's process group: end the whole tree by pid.
    const tree = descendants(proc.pid);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    for (const pid of tree) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
  };

  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    writeConfig();
    if (await launch()) break;
    if (attempt >= 2) throw new Error(`sshd did not start on 127.0.0.1:${port}:\n${log}`);
  }
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${hostPublicKey}\n`);

  return {
    host: '127.0.0.1',
    port,
    user,
    uid,
    gid,
    identityFile: userKey,
    knownHostsFile,
    hostPublicKey,
    dir,
    endpoint: (node = 'node-1') => ({ node, address: '127.0.0.1', port, user }),
    logins: () => log.split('\n').filter((l) => l.includes('Accepted publickey')).length,
    log: () => log,
    stop,
    async start() {
      if (child) return;
      // Same port and keys: the known_hosts entry names the port.
      if (!(await launch())) throw new Error(`sshd did not restart on 127.0.0.1:${port}:\n${log}`);
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The user sessions log in as: a dedicated one when we are root, else ourselves. */
function loginUser(): { user: string; uid: number; gid: number } {
  if (process.getuid?.() !== 0) {
    const me = userInfo();
    return { user: me.username, uid: me.uid, gid: me.gid };
  }
  const lookup = () => {
    try {
      const uid = Number(execFileSync('id', ['-u', TEST_USER], { encoding: 'utf8', stdio: 'pipe' }).trim());
      const gid = Number(execFileSync('id', ['-g', TEST_USER], { encoding: 'utf8', stdio: 'pipe' }).trim());
      return { user: TEST_USER, uid, gid };
    } catch {
      return undefined;
    }
  };
  let found = lookup();
  if (!found) {
    try {
      execFileSync(
        'useradd',
        ['--no-create-home', '--home-dir', TEST_HOME, '--shell', '/bin/sh', '--password', '*', TEST_USER],
        { stdio: 'pipe' },
      );
    } catch {
      // another test file created it at the same moment
    }
    found = lookup();
    if (!found) throw new Error(`cannot create the test user ${TEST_USER} (useradd failed)`);
  }
  mkdirSync(TEST_HOME, { recursive: true });
  execFileSync('chown', [`${found.uid}:${found.gid}`, TEST_HOME]);
  return found;
}

/**
 * The sshd_config lines of a test server after where it listens: keys only, one user, no PAM, no
 * forwarding, commands found on `path`.
 */
export function sshdLoginLines(user: string, path: string): string[] {
  return [
    'UsePAM no',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    `AllowUsers ${user}`,
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'MaxSessions 64',
    'MaxStartups 64',
    'LogLevel VERBOSE',
    'AllowTcpForwarding no',
    'X11Forwarding no',
    `SetEnv PATH=${path}`,
    '',
  ];
}

/** A TCP port free on 127.0.0.1 now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Waits until the port answers with an SSH banner; false if sshd exited first or 10 s passed. */
export async function waitBanner(port: number, exited: Promise<void>): Promise<boolean> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const until = Date.now() + 10_000;
  while (Date.now() < until && !gone) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const done = (value: boolean) => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(1_000, () => done(false));
      socket.once('error', () => done(false));
      socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-2.0')));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Every process below `pid` (from /proc), deepest last. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}
