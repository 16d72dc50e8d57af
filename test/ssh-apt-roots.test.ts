/**
 * The SSH node agent (createSshNodeAgent over createOpenSshTransport) against real apt-get and dpkg in
 * disposable Debian roots (test/support/debian-root.ts): one copy of a minimal bookworm root per node,
 * each behind its own sshd on 127.0.0.1 that chroots the sessions into it, with a local apt repository
 * of test packages built here by dpkg-deb. Every assertion reads real state in the roots (dpkg's
 * database, files). Nothing touches the host's own packages.
 *
 * Needs root, debootstrap, dpkg-dev and openssh-server (scripts/install-test-deps.sh) and Debian's
 * mirror for the first run of the day (the root is cached under .cache/debian-root/). In CI
 * (CI=true) a missing prerequisite fails the run; elsewhere the tests are skipped with the reason.
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOpenSshTransport,
  createSshNodeAgent,
  type OpenSshTransport,
} from '../src/adapters/ssh/index.js';
import { upstreamVersion, versionMatches } from '../src/model/versions.js';
import {
  buildAptRepo,
  CACHE_DIR,
  createNodeKeys,
  type DebianNode,
  debianRootImage,
  type NodeKeys,
  removeStaleNodes,
  startDebianNode,
  type TestPackage,
} from './support/debian-root.js';
import { expectAdapterError, rejection } from './support/rejections.js';

const NOVA = 'escalator-test-nova';
const PY_NOVA = 'python3-escalator-test-nova';
const KERNEL = 'escalator-test-kernel';
/** Components to their packages, as a catalog would say. */
const COMPONENTS: Record<string, string[]> = { nova: [NOVA, PY_NOVA], kernel: [KERNEL] };
/** Three versions: an epoch everywhere, and two revisions of 27.1.0 that a string compare orders wrongly. */
const NOVA_VERSIONS = ['1:26.2.2-1', '1:27.1.0-9', '1:27.1.0-10'];

const NOVA_POSTINST = `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if [ -e /etc/escalator-test/fail-postinst ]; then
    echo "escalator-test-nova: postinst fails on request" >&2
    exit 1
  fi
  if [ -e /etc/escalator-test/slow-postinst ]; then
    touch /run/escalator-test-postinst-started
    sleep 60
  fi
fi
exit 0
`;
const KERNEL_POSTINST = `#!/bin/sh
set -e
touch /var/run/reboot-required
echo escalator-test-kernel >> /var/run/reboot-required.pkgs
`;
/** The emulated reboot: returns at once; a second later the boot id changes and reboot-required goes. */
const REBOOT_SCRIPT = `#!/bin/sh
nohup sh -c 'sleep 1; rm -f /run/reboot-required /run/reboot-required.pkgs; od -An -N16 -tx1 /dev/urandom | tr -d " \\n" > /var/lib/escalator-test/boot_id.new && mv /var/lib/escalator-test/boot_id.new /var/lib/escalator-test/boot_id' >/dev/null 2>&1 </dev/null &
`;
const BOOT_ID = '/var/lib/escalator-test/boot_id';

function testPackages(): TestPackage[] {
  const nova = NOVA_VERSIONS.flatMap((v): TestPackage[] => [
    {
      name: PY_NOVA,
      version: v,
      files: { '/usr/lib/python3/dist-packages/escalator_test_nova/VERSION': `${v}\n` },
    },
    {
      name: NOVA,
      version: v,
      depends: `${PY_NOVA} (= ${v})`,
      files: {
        '/etc/escalator-test/nova.conf': `[DEFAULT]\nshipped_by = ${v}\n`,
        '/usr/share/escalator-test/nova-version': `${v}\n`,
      },
      conffiles: ['/etc/escalator-test/nova.conf'],
      postinst: NOVA_POSTINST,
    },
  ]);
  const kernel = ['6.1.0-1', '6.1.0-2'].map(
    (v): TestPackage => ({
      name: KERNEL,
      version: v,
      files: { '/usr/share/escalator-test/kernel-version': `${v}\n` },
      postinst: KERNEL_POSTINST,
    }),
  );
  return [...nova, ...kernel];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Processes whose root directory is `root` (anything still running inside a node), as `pid comm`. */
function processesIn(root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/root`) === root)
        out.push(`${entry} ${readFileSync(`/proc/${entry}/comm`, 'utf8').trim()}`);
    } catch {
      // gone, or a kernel thread
    }
  }
  return out;
}

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('version strings (pure)', () => {
  it('takes the upstream part of a version: no epoch, no revision', () => {
    expect(upstreamVersion('2:26.2.2-1~deb12u5')).toBe('26.2.2');
    expect(upstreamVersion('1.2-rc1-3')).toBe('1.2-rc1');
    expect(upstreamVersion('1.5')).toBe('1.5');
    expect(upstreamVersion('3:1.0')).toBe('1.0');
  });

  it('matches an installed version against an exact, epoch-less, revision-less or upstream ask', () => {
    for (const asked of ['2:26.2.2-1~deb12u5', '26.2.2-1~deb12u5', '2:26.2.2', '26.2.2'])
      expect(versionMatches('2:26.2.2-1~deb12u5', asked), asked).toBe(true);
    for (const asked of ['26.2', '26.2.2-1', '1:26.2.2', '26.2.2-1~deb12u', '2:26.2.2-1', 'mixed'])
      expect(versionMatches('2:26.2.2-1~deb12u5', asked), asked).toBe(false);
    expect(versionMatches('0:1.0-1', '1.0-1')).toBe(true);
    expect(versionMatches('1.0-1', '0:1.0')).toBe(true);
    expect(versionMatches('29.0.1-1.el9', '29.0.1')).toBe(true);
  });
});

const CI = process.env.CI === 'true';
removeStaleNodes();
const image = debianRootImage();
if (!image.ok) console.warn(`ssh-apt-roots: ${CI ? 'FAILING' : 'skipped'}: ${image.reason}`);
else if (image.built)
  console.info(`ssh-apt-roots: built the Debian root in ${image.seconds} s (${image.tarball})`);

if (!image.ok && CI)
  it('has a Debian root to test in (CI never skips this)', () => {
    throw new Error(`cannot build the Debian root: ${image.reason}`);
  });

describe.skipIf(!image.ok)('SSH node agent against real apt-get and dpkg in Debian roots', () => {
  const run = `${process.pid}-${randomBytes(3).toString('hex')}`;
  let work: string;
  let keys: NodeKeys;
  let transport: OpenSshTransport;
  const nodes = new Map<string, DebianNode>();
  const node = (name: string) => {
    const n = nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  };
  let agent: ReturnType<typeof createSshNodeAgent>;

  beforeAll(async () => {
    if (!image.ok) return;
    work = mkdtempSync(join(tmpdir(), 'escalator-apt-roots-'));
    const repo = join(work, 'repo');
    mkdirSync(repo);
    buildAptRepo(repo, testPackages());
    keys = createNodeKeys(join(work, 'keys'));
    for (const name of ['cmp-upgrade', 'cmp-hold', 'cmp-broken', 'cmp-reboot']) {
      const n = await startDebianNode(name, { tarball: image.tarball, repo, keys, run });
      nodes.set(name, n);
      mkdirSync(n.path('/var/lib/escalator-test'), { recursive: true });
      writeFileSync(n.path(BOOT_ID), `boot-${name}-0\n`);
      writeFileSync(n.path('/usr/local/sbin/escalator-test-reboot'), REBOOT_SCRIPT, { mode: 0o755 });
    }
    transport = createOpenSshTransport({
      configFile: 'none',
      knownHostsFile: keys.knownHostsFile,
      identityFile: keys.identityFile,
    });
    agent = createSshNodeAgent({
      transport,
      endpoints: (name) => node(name).endpoint(),
      packages: (c) => COMPONENTS[c] ?? [c],
      commandTimeoutMs: 120_000,
      commands: { bootId: ['cat', BOOT_ID], reboot: ['/usr/local/sbin/escalator-test-reboot'] },
      waitReady: { initialDelayMs: 200, maxDelayMs: 1_000, timeoutMs: 30_000 },
    });
    // Safety first: the sessions run inside the node's root, not on the host.
    const where = await transport.exec(node('cmp-upgrade').endpoint(), ['cat', '/etc/apt/sources.list']);
    expect(where.stdout).toContain('file:/srv/escalator-test-repo');
  });

  afterAll(async () => {
    await transport?.close();
    for (const n of nodes.values()) await n.close();
    rmSync(join(CACHE_DIR, 'nodes', run), { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Installs packages from the host through chroot (set-up, not the agent). */
  function setUp(n: DebianNode, specs: string[]): void {
    const r = n.chroot([
      'env',
      'DEBIAN_FRONTEND=noninteractive',
      'apt-get',
      '-qq',
      '-y',
      'install',
      ...specs,
    ]);
    expect(r.status, r.stderr).toBe(0);
  }

  it('resolves upstream versions to the highest package version (by dpkg), exact ones as they are', async () => {
    const n = node('cmp-upgrade');
    setUp(n, [`${NOVA}=1:26.2.2-1`, `${PY_NOVA}=1:26.2.2-1`, `${KERNEL}=6.1.0-1`]);
    expect(await agent.resolveVersions(n.name, { nova: '27.1.0', kernel: '6.1.0-1' })).toEqual({
      // 1:27.1.0-10 > 1:27.1.0-9 for dpkg, though not for a string compare.
      nova: { asked: '27.1.0', packages: { [NOVA]: '1:27.1.0-10', [PY_NOVA]: '1:27.1.0-10' } },
      kernel: { asked: '6.1.0-1', packages: { [KERNEL]: '6.1.0-1' } },
    });
    expect((await agent.resolveVersions(n.name, { nova: '1:27.1.0-9' })).nova?.packages).toEqual({
      [NOVA]: '1:27.1.0-9',
      [PY_NOVA]: '1:27.1.0-9',
    });
    expect((await agent.resolveVersions(n.name, { nova: '27.1.0-9' })).nova?.packages[NOVA]).toBe(
      '1:27.1.0-9',
    );
    expect((await agent.resolveVersions(n.name, { nova: '1:26.2.2' })).nova?.packages[NOVA]).toBe(
      '1:26.2.2-1',
    );

    const none = expectAdapterError(
      await rejection(agent.resolveVersions(n.name, { nova: '28.0.0' })),
      'permanent',
      'apt-failed',
    );
    expect(none.message).toContain(`${NOVA} has no version 28.0.0`);
    expect(none.message).toContain('available: 1:27.1.0-10, 1:27.1.0-9, 1:26.2.2-1');
    const unknown = expectAdapterError(
      await rejection(agent.resolveVersions(n.name, { 'no-such-package': '1.0' })),
      'permanent',
      'apt-failed',
    );
    expect(unknown.message).toContain('no-such-package has no version 1.0 (available: none');
  });

  let backup: Awaited<ReturnType<typeof agent.backup>>;
  let previous: Record<string, string>;

  it('upgrades to an upstream version after backing up the config directory', async () => {
    const n = node('cmp-upgrade');
    previous = await agent.installedVersions(n.name, ['nova', 'kernel']);
    expect(previous).toEqual({ nova: '1:26.2.2-1', kernel: '6.1.0-1' });
    expect((await agent.checkVersions(n.name, { nova: '26.2.2' })).ok).toBe(true);
    // The operator's own setting in the shipped configuration file.
    writeFileSync(n.path('/etc/escalator-test/nova.conf'), '[DEFAULT]\nsite = before-upgrade\n');
    writeFileSync(n.path('/etc/escalator-test/local.conf'), 'local v1\n');

    backup = await agent.backup(n.name, {
      label: 'w1.cmp-upgrade',
      software: { nova: previous.nova ?? '' },
      files: ['/etc/escalator-test'],
      databases: [],
    });
    expect(backup.location.startsWith('/var/backups/escalator/w1.cmp-upgrade-')).toBe(true);
    expect(existsSync(n.path(`${backup.location}/files.tar.gz`))).toBe(true);

    await agent.installVersions(n.name, { nova: '27.1.0' });
    expect(n.dpkg(NOVA)).toEqual({ status: 'ii', version: '1:27.1.0-10' });
    expect(n.dpkg(PY_NOVA)).toEqual({ status: 'ii', version: '1:27.1.0-10' });
    expect(readFileSync(n.path('/usr/share/escalator-test/nova-version'), 'utf8')).toBe('1:27.1.0-10\n');
    // --force-confold: the locally changed configuration file is kept.
    expect(readFileSync(n.path('/etc/escalator-test/nova.conf'), 'utf8')).toContain('site = before-upgrade');
    expect(await agent.installedVersions(n.name, ['nova'])).toEqual({ nova: '1:27.1.0-10' });
    const check = await agent.checkVersions(n.name, { nova: '27.1.0', kernel: '6.1.0' });
    expect(check).toEqual({
      ok: true,
      components: {
        nova: { asked: '27.1.0', installed: '1:27.1.0-10', ok: true },
        kernel: { asked: '6.1.0', installed: '6.1.0-1', ok: true },
      },
    });
    expect((await agent.checkVersions(n.name, { nova: '26.2.2' })).ok).toBe(false);

    // An exact version is pinned as asked, even below apt's candidate (a downgrade within 27.1.0).
    await agent.installVersions(n.name, { nova: '1:27.1.0-9' });
    expect(n.dpkg(NOVA)).toEqual({ status: 'ii', version: '1:27.1.0-9' });
    expect(n.dpkg(PY_NOVA)).toEqual({ status: 'ii', version: '1:27.1.0-9' });

    // A version nobody has: the install fails, names the package and what there is, and changes nothing.
    const error = expectAdapterError(
      await rejection(agent.installVersions(n.name, { nova: '28.0.0' })),
      'permanent',
      'apt-failed',
    );
    expect(error.message).toContain(
      `${NOVA} has no version 28.0.0 (available: 1:27.1.0-10, 1:27.1.0-9, 1:26.2.2-1)`,
    );
    expect(n.dpkg(NOVA)?.version).toBe('1:27.1.0-9');
  });

  it('rolls back: restore puts the config directory back and re-installs the previous versions (a downgrade)', async () => {
    const n = node('cmp-upgrade');
    writeFileSync(n.path('/etc/escalator-test/nova.conf'), '[DEFAULT]\nsite = after-upgrade\n');
    writeFileSync(n.path('/etc/escalator-test/local.conf'), 'local v2\n');
    await agent.restore(n.name, backup);
    expect(readFileSync(n.path('/etc/escalator-test/nova.conf'), 'utf8')).toBe(
      '[DEFAULT]\nsite = before-upgrade\n',
    );
    expect(readFileSync(n.path('/etc/escalator-test/local.conf'), 'utf8')).toBe('local v1\n');
    expect(n.dpkg(NOVA)).toEqual({ status: 'ii', version: '1:26.2.2-1' });
    expect(n.dpkg(PY_NOVA)).toEqual({ status: 'ii', version: '1:26.2.2-1' });

    // The undo of an upgrade step: `previous` installed again, from 27.1.0 back down.
    await agent.installVersions(n.name, { nova: '27.1.0' });
    expect(n.dpkg(NOVA)?.version).toBe('1:27.1.0-10');
    await agent.installVersions(n.name, previous);
    expect(n.dpkg(NOVA)).toEqual({ status: 'ii', version: '1:26.2.2-1' });
    expect(n.dpkg(KERNEL)).toEqual({ status: 'ii', version: '6.1.0-1' });
    expect(await agent.installedVersions(n.name, ['nova', 'kernel'])).toEqual(previous);
  });

  it("pins the asked version rather than apt's candidate, and leaves packages on hold alone", async () => {
    const n = node('cmp-hold');
    await agent.installVersions(n.name, { nova: '26.2.2' });
    expect(n.dpkg(NOVA)).toEqual({ status: 'ii', version: '1:26.2.2-1' });
    expect(n.dpkg(PY_NOVA)).toEqual({ status: 'ii', version: '1:26.2.2-1' });
    expect(n.chroot(['apt-cache', 'policy', NOVA]).stdout).toContain('Candidate: 1:27.1.0-10');

    expect(n.chroot(['apt-mark', 'hold', PY_NOVA]).status).toBe(0);
    const held = expectAdapterError(
      await rejection(agent.installVersions(n.name, { nova: '27.1.0' })),
      'permanent',
      'apt-failed',
    );
    expect(held.message).toContain('Held packages were changed');
    expect(n.dpkg(NOVA)).toEqual({ status: 'ii', version: '1:26.2.2-1' });
    expect(n.dpkg(PY_NOVA)).toEqual({ status: 'hi', version: '1:26.2.2-1' });
    expect(n.chroot(['apt-mark', 'showhold']).stdout.trim()).toBe(PY_NOVA);
    expect((await agent.checkVersions(n.name, { nova: '27.1.0' })).ok).toBe(false);

    expect(n.chroot(['apt-mark', 'unhold', PY_NOVA]).status).toBe(0);
    await agent.installVersions(n.name, { nova: '27.1.0' });
    expect(n.dpkg(PY_NOVA)).toEqual({ status: 'ii', version: '1:27.1.0-10' });
  });

  it("reports a failing postinst with dpkg's message, and the half-configured package as it is", async () => {
    const n = node('cmp-broken');
    setUp(n, [`${NOVA}=1:26.2.2-1`, `${PY_NOVA}=1:26.2.2-1`]);
    writeFileSync(n.path('/etc/escalator-test/fail-postinst'), '');
    const error = expectAdapterError(
      await rejection(agent.installVersions(n.name, { nova: '27.1.0' })),
      'permanent',
      'apt-failed',
    );
    expect(error.message).toContain(`dpkg: error processing package ${NOVA} (--configure)`);
    expect(error.message).toContain('post-installation script subprocess returned error exit status 1');

    expect(n.dpkg(NOVA)).toEqual({ status: 'iF', version: '1:27.1.0-10' });
    expect(n.dpkg(PY_NOVA)).toEqual({ status: 'ii', version: '1:27.1.0-10' });
    expect(await agent.installedVersions(n.name, ['nova'])).toEqual({
      nova: `mixed(${NOVA}=1:27.1.0-10 (half-configured), ${PY_NOVA}=1:27.1.0-10)`,
    });
    expect((await agent.checkVersions(n.name, { nova: '27.1.0' })).components.nova?.ok).toBe(false);

    // Fixed on the node: the same install finishes the configuration.
    rmSync(n.path('/etc/escalator-test/fail-postinst'));
    await agent.installVersions(n.name, { nova: '27.1.0' });
    expect(n.dpkg(NOVA)).toEqual({ status: 'ii', version: '1:27.1.0-10' });
    expect((await agent.checkVersions(n.name, { nova: '27.1.0' })).ok).toBe(true);
  });

  it('after an interrupted install the check says not done, and installing again finishes it', async () => {
    const n = node('cmp-broken');
    setUp(n, [`${NOVA}=1:27.1.0-10`, `${PY_NOVA}=1:27.1.0-10`]);
    writeFileSync(n.path('/etc/escalator-test/slow-postinst'), '');
    rmSync(n.path('/run/escalator-test-postinst-started'), { force: true });
    const controller = new AbortController();
    const install = agent.installVersions(n.name, { nova: '26.2.2' }, { signal: controller.signal });
    await until(
      'the postinst to start',
      () => existsSync(n.path('/run/escalator-test-postinst-started')),
      60_000,
    );
    controller.abort(new Error('operator cancelled'));
    expect(((await rejection(install)) as Error).message).toBe('operator cancelled');
    // The cancel killed apt-get, but apt runs dpkg on a pseudo-terminal in a session of its own, which
    // the transport's kill of the command's process group does not reach: dpkg and the postinst go on.
    // The node then crashes (everything in it is killed), leaving dpkg's work half done.
    await until('the cancelled ssh session to end', () =>
      processesIn(n.root).every((p) => /^\d+ (dpkg|escalator-test-|sleep)/.test(p)),
    );
    for (const p of processesIn(n.root)) process.kill(Number(p.split(' ')[0]), 'SIGKILL');
    await until('no process left in the node', () => processesIn(n.root).length === 0);

    const state = n.dpkg(NOVA);
    expect(state?.status).not.toBe('ii');
    expect((await agent.checkVersions(n.name, { nova: '26.2.2' })).ok).toBe(false);
    expect((await agent.installedVersions(n.name, ['nova'])).nova).not.toBe('1:26.2.2-1');
    // apt refuses to go on after an interrupted dpkg: the agent finishes it first.
    const check = n.chroot(['apt-get', 'check']);
    expect(check.status).toBe(100);
    expect(check.stderr).toMatch(/dpkg was interrupted/);

    rmSync(n.path('/etc/escalator-test/slow-postinst'));
    await agent.installVersions(n.name, { nova: '26.2.2' });
    expect(n.dpkg(NOVA)).toEqual({ status: 'ii', version: '1:26.2.2-1' });
    expect(n.dpkg(PY_NOVA)).toEqual({ status: 'ii', version: '1:26.2.2-1' });
    expect((await agent.checkVersions(n.name, { nova: '26.2.2' })).ok).toBe(true);
    expect(await agent.installedVersions(n.name, ['nova'])).toEqual({ nova: '1:26.2.2-1' });
  });

  it('installs a package that needs a reboot, reboots, and waitReady sees the new boot id', async () => {
    const n = node('cmp-reboot');
    setUp(n, [`${KERNEL}=6.1.0-1`]);
    rmSync(n.path('/run/reboot-required'), { force: true });
    await agent.installVersions(n.name, { kernel: '6.1.0' });
    expect(n.dpkg(KERNEL)).toEqual({ status: 'ii', version: '6.1.0-2' });
    expect(existsSync(n.path('/run/reboot-required'))).toBe(true);

    const before = await agent.bootId(n.name);
    expect(before).toBe('boot-cmp-reboot-0');
    await agent.reboot(n.name);
    const waiting = agent.waitReady(n.name, { since: before });
    // The node is away for a while (its sshd down, connections dropped), then comes back.
    await n.stop();
    await sleep(1_500);
    await n.start();
    await waiting;
    const after = await agent.bootId(n.name);
    expect(after).toMatch(/^[0-9a-f]{32}$/);
    expect(existsSync(n.path('/run/reboot-required'))).toBe(false);
    expect(n.dpkg(KERNEL)?.version).toBe('6.1.0-2');
  });
});
