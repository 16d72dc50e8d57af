/**
 * Disposable Debian nodes for the SSH agent's tests against real apt-get and dpkg, never the host's own
 * packages:
 *
 * - {@link debianRootImage}: a minimal bookworm root (`debootstrap --variant=minbase`, trimmed of
 *   documentation, locales and apt's download caches) kept as a tarball under `.cache/debian-root/`,
 *   keyed by suite and date, so that only the first run of the day builds it (about 30 s here).
 * - {@link startDebianNode}: one copy of that root per node, a local `file:` apt repository inside it
 *   (the tests' own packages, {@link buildAptRepo}), and one `sshd` on 127.0.0.1 that chroots every
 *   session into it (`ChrootDirectory`, login as root, keys only). sshd runs in its own mount namespace
 *   (`unshare --mount`) where the root gets `/proc` and the host's `/dev/pts`, so those mounts vanish
 *   with it and are never seen by the host.
 *
 * Needs root, debootstrap, dpkg-deb and dpkg-scanpackages (dpkg-dev), unshare, and Debian's mirror
 * (the host's apt sources name it): see scripts/install-test-deps.sh.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeEndpoint } from '../../src/ports/transport.js';
import { descendants, freePort, sshdLoginLines, waitBanner } from './sshd.js';

const SUITE = 'bookworm';
const SSHD = '/usr/sbin/sshd';
const REPO_IN_ROOT = '/srv/escalator-test-repo';
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** `.cache/debian-root/` of this repository (ignored by git). */
export const CACHE_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '.cache',
  'debian-root',
);

/**
 * Where the nodes' roots are extracted: sshd chroots into them only when every directory above is
 * root's and writable by no one else, which a checkout under /tmp (world-writable) is not.
 */
const NODES_DIR = '/var/lib/escalator-test/nodes';

/** The root tarball, or why there is none. */
export type DebianRootImage =
  | { readonly ok: true; readonly tarball: string; readonly built: boolean; readonly seconds: number }
  | { readonly ok: false; readonly reason: string };

const have = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
};

/** The Debian mirror the host's apt uses for `bookworm`, else deb.debian.org. */
export function debianMirror(): string {
  if (process.env.ESCALATOR_DEBIAN_MIRROR) return process.env.ESCALATOR_DEBIAN_MIRROR;
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  if (existsSync('/etc/apt/sources.list.d'))
    for (const f of readdirSync('/etc/apt/sources.list.d'))
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join('/etc/apt/sources.list.d', f));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    // One-line style: deb [options] URI bookworm main
    for (const m of text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s/gm))
      if (m[2] === SUITE && m[1] && !m[1].includes('security')) return m[1];
    // deb822 style: stanzas with URIs: and Suites:
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) =>
        new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
      if (!field('Types').includes('deb') || !field('Suites').includes(SUITE)) continue;
      const uri = field('URIs').find((u) => !u.includes('security'));
      if (uri) return uri;
    }
  }
  return 'http://deb.debian.org/debian';
}

/**
 * The tarball of a minimal Debian root for today, built when missing (older ones are removed). Never
 * throws: what is missing (root, a tool, the mirror) comes back as a one-line reason.
 */
export function debianRootImage(): DebianRootImage {
  if (process.getuid?.() !== 0)
    return { ok: false, reason: 'not root (debootstrap, chroot and sshd need root)' };
  for (const [cmd, pkg] of [
    ['debootstrap', 'debootstrap'],
    ['dpkg-deb', 'dpkg'],
    ['dpkg-scanpackages', 'dpkg-dev'],
    ['unshare', 'util-linux'],
    ['chroot', 'coreutils'],
    ['ssh-keygen', 'openssh-client'],
  ] as const)
    if (!have(cmd))
      return {
        ok: false,
        reason: `${cmd} is missing: apt-get install -y ${pkg} (scripts/install-test-deps.sh)`,
      };
  if (!existsSync(SSHD))
    return { ok: false, reason: `${SSHD} is missing: apt-get install -y openssh-server` };

  mkdirSync(CACHE_DIR, { recursive: true, mode: 0o755 });
  const day = new Date().toISOString().slice(0, 10);
  const name = `${SUITE}-minbase-${day}.tar`;
  const tarball = join(CACHE_DIR, name);
  if (existsSync(tarball)) return { ok: true, tarball, built: false, seconds: 0 };

  const started = Date.now();
  const build = join(CACHE_DIR, `build-${process.pid}`);
  const mirror = debianMirror();
  rmSync(build, { recursive: true, force: true });
  try {
    execFileSync('debootstrap', ['--variant=minbase', SUITE, join(build, 'root'), mirror], {
      stdio: 'pipe',
      timeout: 900_000,
    });
  } catch (error) {
    const log = join(build, 'root', 'debootstrap', 'debootstrap.log');
    const last = existsSync(log) ? (readFileSync(log, 'utf8').trim().split('\n').at(-1) ?? '') : '';
    rmSync(build, { recursive: true, force: true });
    const e = error as { stdout?: unknown; stderr?: unknown };
    const said = `${String(e.stdout ?? '')}\n${String(e.stderr ?? '')}`.split('\n');
    const why = said.filter((l) => l.startsWith('E: ')).at(-1) ?? said.filter((l) => l.trim()).at(-1);
    return {
      ok: false,
      reason: `debootstrap of ${SUITE} from ${mirror} failed: ${(why ?? String(error)).trim()}${last ? ` (${last})` : ''}`,
    };
  }
  const root = join(build, 'root');
  // What the tests never read: apt's downloads and lists, documentation, locales.
  execFileSync('sh', [
    '-c',
    'cd "$1" && rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* ' +
      'usr/share/doc/* usr/share/man/* usr/share/locale/* usr/share/info/* var/log/*.log debootstrap',
    'sh',
    root,
  ]);
  execFileSync('tar', ['--numeric-owner', '-C', root, '-cf', `${tarball}.part`, '.']);
  renameSync(`${tarball}.part`, tarball);
  rmSync(build, { recursive: true, force: true });
  for (const f of readdirSync(CACHE_DIR))
    if (f.startsWith(`${SUITE}-minbase-`) && f !== name) rmSync(join(CACHE_DIR, f), { force: true });
  return { ok: true, tarball, built: true, seconds: Math.round((Date.now() - started) / 1000) };
}

/** A package of the tests' apt repository. */
export interface TestPackage {
  readonly name: string;
  /** The full Debian version, e.g. `1:26.2.2-1`. */
  readonly version: string;
  readonly depends?: string | undefined;
  /** Absolute path to content. */
  readonly files?: Readonly<Record<string, string>> | undefined;
  /** Files among `files` that dpkg treats as configuration (kept when changed locally). */
  readonly conffiles?: readonly string[] | undefined;
  /** The postinst script (`#!/bin/sh` first). */
  readonly postinst?: string | undefined;
}

/** Builds the `.deb`s with `dpkg-deb --build` and indexes them with `dpkg-scanpackages` into `dir`. */
export function buildAptRepo(dir: string, packages: readonly TestPackage[]): void {
  const build = join(dir, '.build');
  mkdirSync(build, { recursive: true });
  for (const [i, p] of packages.entries()) {
    const tree = join(build, String(i));
    mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
    writeFileSync(
      join(tree, 'DEBIAN', 'control'),
      [
        `Package: ${p.name}`,
        `Version: ${p.version}`,
        'Architecture: all',
        'Maintainer: Escalator tests <tests@escalator.invalid>',
        ...(p.depends ? [`Depends: ${p.depends}`] : []),
        `Description: Escalator test package ${p.name}`,
        '',
      ].join('\n'),
    );
    for (const [path, content] of Object.entries(p.files ?? {})) {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), content);
    }
    if (p.conffiles?.length) writeFileSync(join(tree, 'DEBIAN', 'conffiles'), `${p.conffiles.join('\n')}\n`);
    if (p.postinst) {
      writeFileSync(join(tree, 'DEBIAN', 'postinst'), p.postinst);
      chmodSync(join(tree, 'DEBIAN', 'postinst'), 0o755);
    }
    execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', tree, dir], { stdio: 'pipe' });
  }
  rmSync(build, { recursive: true, force: true });
  const index = execFileSync('dpkg-scanpackages', ['--multiversion', '.', '/dev/null'], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  writeFileSync(join(dir, 'Packages'), index);
}

/** Keys shared by every node of a test run: sshd's host key and the key the tests log in with. */
export interface NodeKeys {
  readonly dir: string;
  readonly hostKey: string;
  readonly hostPublicKey: string;
  readonly identityFile: string;
  readonly authorizedKeys: string;
  /** known_hosts with every node started so far. */
  readonly knownHostsFile: string;
}

export function createNodeKeys(dir: string): NodeKeys {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const hostKey = join(dir, 'host_ed25519');
  const identityFile = join(dir, 'user_ed25519');
  for (const [file, comment] of [
    [hostKey, 'escalator-test-host'],
    [identityFile, 'escalator-test-user'],
  ] as const)
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, readFileSync(`${identityFile}.pub`));
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, '');
  const hostPublicKey = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  return { dir, hostKey, hostPublicKey, identityFile, authorizedKeys, knownHostsFile };
}

/** One disposable Debian node reached over SSH. */
export interface DebianNode {
  readonly name: string;
  /** The node's root directory on the host. */
  readonly root: string;
  readonly port: number;
  endpoint(): NodeEndpoint;
  /** A path inside the node, as seen from the host. */
  path(inside: string): string;
  /** Runs argv inside the node's root from the host (chroot, C locale), for set-up and checks. */
  chroot(argv: readonly string[]): { status: number; stdout: string; stderr: string };
  /** dpkg's view of a package inside the node: status abbreviation and version, or undefined. */
  dpkg(pkg: string): { status: string; version: string } | undefined;
  /** Stops sshd and every session (the node goes away). */
  stop(): Promise<void>;
  /** Starts sshd again on the same port. */
  start(): Promise<void>;
  log(): string;
  /** Stops sshd and removes the node. */
  close(): Promise<void>;
}

/**
 * Extracts the image into `/var/lib/escalator-test/nodes/<run>/<name>/root`, puts the repository in it as
 * its only apt source (`[trusted=yes] file:`), runs `apt-get update` there, and starts its sshd.
 */
export async function startDebianNode(
  name: string,
  options: { readonly tarball: string; readonly repo: string; readonly keys: NodeKeys; readonly run: string },
): Promise<DebianNode> {
  const base = join(NODES_DIR, options.run, name);
  const root = join(base, 'root');
  const sshdDir = join(base, 'sshd');
  rmSync(base, { recursive: true, force: true });
  for (const d of [NODES_DIR, join(NODES_DIR, options.run), base, root]) {
    mkdirSync(d, { recursive: true, mode: 0o755 });
    chmodSync(d, 0o755);
  }
  mkdirSync(sshdDir, { mode: 0o700 });
  checkChrootPath(root);
  execFileSync('tar', ['--numeric-owner', '-xpf', options.tarball, '-C', root]);
  execFileSync('cp', ['-a', `${options.repo}/.`, join(root, REPO_IN_ROOT.slice(1))]);
  rmSync(join(root, 'etc/apt/sources.list.d'), { recursive: true, force: true });
  mkdirSync(join(root, 'etc/apt/sources.list.d'));
  writeFileSync(join(root, 'etc/apt/sources.list'), `deb [trusted=yes] file:${REPO_IN_ROOT} ./\n`);

  const node: Omit<DebianNode, 'port' | 'endpoint' | 'stop' | 'start' | 'log' | 'close'> = {
    name,
    root,
    path: (inside) => join(root, inside.replace(/^\/+/, '')),
    chroot(argv) {
      try {
        const stdout = execFileSync('chroot', [root, 'env', '-i', `PATH=${PATH}`, 'LC_ALL=C', ...argv], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        return { status: 0, stdout, stderr: '' };
      } catch (error) {
        const e = error as { status?: number; stdout?: string; stderr?: string };
        return { status: e.status ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) };
      }
    },
    dpkg(pkg) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} syntax
      const r = this.chroot(['dpkg-query', '-W', '-f', '${db:Status-Abbrev}\t${Version}', '--', pkg]);
      const [status, version] = r.stdout.split('\t');
      return r.status === 0 && status && version !== undefined && version !== ''
        ? { status: status.trim(), version }
        : undefined;
    },
  };
  const update = node.chroot(['apt-get', '-qq', 'update']);
  if (update.status !== 0) throw new Error(`apt-get update in ${root} failed: ${update.stderr}`);

  let port = 0;
  let child: ChildProcess | undefined;
  let log = '';
  const config = join(sshdDir, 'sshd_config');
  const writeConfig = () =>
    writeFileSync(
      config,
      [
        'ListenAddress 127.0.0.1',
        `Port ${port}`,
        `HostKey ${options.keys.hostKey}`,
        `PidFile ${join(sshdDir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${options.keys.authorizedKeys}`,
        `ChrootDirectory ${root}`,
        'StrictModes no',
        ...sshdLoginLines('root', PATH),
      ].join('\n'),
    );
  const launch = async (): Promise<boolean> => {
    if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
    // The mounts exist only in sshd's namespace: they go when sshd and its sessions are gone.
    const proc = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        '--',
        'sh',
        '-c',
        'mount -t proc proc "$1/proc" && mount --bind /dev/pts "$1/dev/pts" && exec "$2" -D -e -f "$3"',
        'escalator-node',
        root,
        SSHD,
        config,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (text: string) => {
      log += text;
    });
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    if (await waitBanner(port, exited)) {
      child = proc;
      return true;
    }
    proc.kill('SIGKILL');
    return false;
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc?.pid || proc.exitCode !== null) return;
    const tree = descendants(proc.pid);
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    for (const pid of tree)
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    await exited;
  };
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    writeConfig();
    if (await launch()) break;
    if (attempt >= 2) throw new Error(`sshd for ${name} did not start on 127.0.0.1:${port}:\n${log}`);
  }
  writeFileSync(options.keys.knownHostsFile, `[127.0.0.1]:${port} ${options.keys.hostPublicKey}\n`, {
    flag: 'a',
  });
  return {
    ...node,
    port,
    endpoint: () => ({ node: name, address: '127.0.0.1', port, user: 'root' }),
    stop,
    async start() {
      if (child) return;
      if (!(await launch()))
        throw new Error(`sshd for ${name} did not restart on 127.0.0.1:${port}:\n${log}`);
    },
    log: () => log,
    async close() {
      await stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Removes the nodes of earlier runs whose process is gone (a crashed or killed test run). */
export function removeStaleNodes(): void {
  const dir = NODES_DIR;
  if (!existsSync(dir)) return;
  for (const run of readdirSync(dir)) {
    const pid = Number(run.split('-')[0]);
    let alive = Number.isInteger(pid) && pid > 0;
    try {
      if (alive) process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) rmSync(join(dir, run), { recursive: true, force: true });
  }
}

/** sshd's ChrootDirectory wants every directory up to the root owned by root and writable by no one else. */
function checkChrootPath(path: string): void {
  for (let p = path; ; p = dirname(p)) {
    const st = statSync(p);
    if (st.uid !== 0 || (st.mode & 0o022) !== 0)
      throw new Error(
        `${p} is not owned by root or is group/world-writable: sshd refuses ChrootDirectory ${path} (chmod go-w ${p})`,
      );
    if (p === dirname(p)) return;
  }
}
