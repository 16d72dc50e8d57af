/**
 * The OpenSSH transport and the SSH node agent against a real OpenSSH server on 127.0.0.1
 * (test/support/sshd.ts) whose sessions find fake apt-get, dpkg-query, systemctl, mysqldump, ... first on
 * their PATH (test/support/fake-node-ssh.ts). Everything else (ssh, sshd, sh, tar, sha256sum) is real.
 */
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
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
import { resolveCatalog } from '../src/catalog/catalog.js';
import type { LogRecord } from '../src/ports/logger.js';
import type { NodeAgent } from '../src/ports/node-agent.js';
import { createFakeNode, type FakeNode } from './support/fake-node-ssh.js';
import { expectAdapterError, rejection } from './support/rejections.js';
import { type SshServer, startSshd } from './support/sshd.js';

let server: SshServer;
let fake: FakeNode;
let transport: OpenSshTransport;
let root: string;
/** Where a hostile argument that got executed would leave its mark. */
let marker: string;
/** The same, as a bare file name (for file names, which cannot hold "/"). */
let markerName: string;
let sessionCwd: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function transportFor(options: Parameters<typeof createOpenSshTransport>[0] = {}): OpenSshTransport {
  return createOpenSshTransport({
    configFile: 'none',
    knownHostsFile: server.knownHostsFile,
    identityFile: server.identityFile,
    ...options,
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms = 8_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await sleep(50);
  }
  return !alive(pid);
}

function noMarker(): void {
  for (const path of [
    marker,
    join(sessionCwd, markerName),
    join(tmpdir(), markerName),
    join(root, markerName),
  ])
    expect(existsSync(path), `${path} must not exist: a hostile argument was executed`).toBe(false);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'escalator-ssh-agent-'));
  markerName = `pwned-${randomBytes(6).toString('hex')}`;
  marker = join(tmpdir(), `${markerName}-abs`);
  server = await startSshd({ pathPrefix: [join(root, 'node', 'bin')] });
  chownSync(root, server.uid, server.gid);
  fake = createFakeNode(join(root, 'node'), server);
  transport = transportFor();
  // Safety first: every command the agent may run must resolve to a fake, never the machine's own.
  const which = await transport.exec(server.endpoint(), [
    'sh',
    '-c',
    'for c in apt-get dpkg-query rpm dnf systemctl systemd-run shutdown reboot mysqldump mysql virsh; do command -v "$c"; done; pwd',
  ]);
  const lines = which.stdout.trim().split('\n');
  sessionCwd = lines.pop() ?? '/';
  expect(lines).toHaveLength(11);
  for (const path of lines) expect(path.startsWith(`${fake.bin}/`), path).toBe(true);
});

afterAll(async () => {
  await transport?.close();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
  if (marker)
    for (const path of [marker, join(sessionCwd ?? root, markerName), join(tmpdir(), markerName)])
      rmSync(path, { force: true });
});

describe('OpenSSH transport', () => {
  it('runs an argv, returns exit code and output, and streams output as it comes', async () => {
    const chunks: { stream: string; text: string; at: number }[] = [];
    const result = await transport.exec(
      server.endpoint(),
      ['sh', '-c', 'echo one; sleep 0.4; echo two >&2; sleep 0.4; echo three; exit 4'],
      { onOutput: (text, stream) => chunks.push({ stream, text, at: Date.now() }) },
    );
    const done = Date.now();
    expect(result).toEqual({ exitCode: 4, stdout: 'one\nthree\n', stderr: 'two\n' });
    expect(
      chunks
        .filter((c) => c.stream === 'stdout')
        .map((c) => c.text)
        .join(''),
    ).toBe('one\nthree\n');
    expect(
      chunks
        .filter((c) => c.stream === 'stderr')
        .map((c) => c.text)
        .join(''),
    ).toBe('two\n');
    const first = chunks.find((c) => c.text.includes('one'));
    // "one" reached the callback while the command still ran (0.8 s of sleeps after it).
    expect(done - (first?.at ?? done)).toBeGreaterThan(500);
  });

  it('delivers every argument literally, whatever it contains', async () => {
    const hostile = [
      `a; touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `'; touch ${marker}; '`,
      `"; touch ${marker}; "`,
      `x\ntouch ${marker}`,
      `| touch ${marker}`,
      `&& touch ${marker}`,
      '$HOME',
      '*',
      '~',
      '',
      ' spaced  out ',
      'ünïcödé ✓',
      "it's",
    ];
    const result = await transport.exec(server.endpoint(), ['printf', '%s\\037', ...hostile]);
    noMarker();
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\x1f').slice(0, -1)).toEqual(hostile);
    noMarker();
  });

  it('returns a remote exit code of 255 instead of taking it for a connection failure', async () => {
    const result = await transport.exec(server.endpoint(), ['sh', '-c', 'echo bye >&2; exit 255']);
    expect(result).toEqual({ exitCode: 255, stdout: '', stderr: 'bye\n' });
  });

  it('kills the command on the node when it runs past its timeout', async () => {
    const pidFile = join(root, 'timeout.pid');
    const started = Date.now();
    const error = await rejection(
      transport.exec(server.endpoint(), ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`], {
        timeoutMs: 1_000,
      }),
    );
    expectAdapterError(error, 'transient', 'ssh-timeout');
    expect(Date.now() - started).toBeLessThan(6_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    expect(await waitGone(pid)).toBe(true);
  });

  it('kills the whole remote process group, even children that ignore SIGTERM', async () => {
    const pidFile = join(root, 'group.pid');
    const error = await rejection(
      transport.exec(server.endpoint(), ['sh', '-c', `trap '' TERM; sleep 30 & echo $! > ${pidFile}; wait`], {
        timeoutMs: 1_000,
      }),
    );
    expectAdapterError(error, 'transient', 'ssh-timeout');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(await waitGone(pid, 10_000)).toBe(true); // SIGKILL follows 5 s after SIGTERM
  });

  it('aborts through an AbortSignal, rejecting with its reason and killing the command', async () => {
    const pidFile = join(root, 'abort.pid');
    const controller = new AbortController();
    const reason = new Error('operator pressed stop');
    setTimeout(() => controller.abort(reason), 700);
    const started = Date.now();
    const error = await rejection(
      transport.exec(server.endpoint(), ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`], {
        signal: controller.signal,
      }),
    );
    expect(error).toBe(reason);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(await waitGone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  it('rejects at once, running nothing, when the signal is already aborted', async () => {
    const reason = new Error('too late');
    const before = server.logins();
    const error = await rejection(
      transportFor().exec(server.endpoint(), ['touch', marker], { signal: AbortSignal.abort(reason) }),
    );
    expect(error).toBe(reason);
    expect(server.logins()).toBe(before);
    expect(existsSync(marker)).toBe(false);
  });

  it('reuses one master connection per node and stops it on close()', async () => {
    const own = transportFor();
    const endpoint = server.endpoint('reuse');
    const before = server.logins();
    expect((await own.exec(endpoint, ['true'])).exitCode).toBe(0);
    const socket = own.controlPath(endpoint);
    expect(socket).toBeDefined();
    const first = statSync(socket!);
    expect(first.isSocket()).toBe(true);
    expect(statSync(join(socket!, '..')).mode & 0o777).toBe(0o700); // a private directory
    expect((await own.exec(endpoint, ['echo', 'again'])).stdout).toBe('again\n');
    await Promise.all([
      own.exec(endpoint, ['true']),
      own.exec(endpoint, ['true']),
      own.exec(endpoint, ['true']),
    ]);
    const second = statSync(socket!);
    expect(second.isSocket()).toBe(true);
    expect(second.ino).toBe(first.ino); // the same master, not a new one
    await sleep(300); // sshd's log arrives through a pipe
    expect(server.logins() - before).toBe(1); // five commands, one authentication
    await own.close();
    expect(existsSync(socket!)).toBe(false);
    expect(existsSync(join(socket!, '..'))).toBe(false);
    expectAdapterError(await rejection(own.exec(endpoint, ['true'])), 'permanent', 'transport-closed');
  });

  it('refuses a host whose key is not in known_hosts (permanent ssh-host-key)', async () => {
    const empty = join(root, 'known_hosts_empty');
    writeFileSync(empty, '');
    const strict = transportFor({ knownHostsFile: empty });
    const error = await rejection(strict.exec(server.endpoint(), ['touch', marker]));
    expectAdapterError(error, 'permanent', 'ssh-host-key');
    expect((error as Error).message).toMatch(/known_hosts/);
    expect(readFileSync(empty, 'utf8')).toBe(''); // nothing was learnt
    await strict.close();
    expect(existsSync(marker)).toBe(false);
  });

  it('learns an unknown host key only under accept-new, and still tells a remote exit 255 apart', async () => {
    const learnt = join(root, 'known_hosts_tofu');
    writeFileSync(learnt, '');
    // Without reuse, ssh's "Permanently added" warning lands in the very command's log.
    const tofu = transportFor({
      knownHostsFile: learnt,
      strictHostKeyChecking: 'accept-new',
      reuseConnections: false,
    });
    expect(await tofu.exec(server.endpoint(), ['sh', '-c', 'exit 255'])).toEqual({
      exitCode: 255,
      stdout: '',
      stderr: '',
    });
    expect(readFileSync(learnt, 'utf8')).toContain(server.hostPublicKey.split(' ')[1]);
    await tofu.close();
  });

  it('refuses a host whose key changed (permanent ssh-host-key)', async () => {
    const other = join(root, 'other-key');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const wrong = join(root, 'known_hosts_wrong');
    const key = readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(wrong, `[127.0.0.1]:${server.port} ${key}\n`);
    const strict = transportFor({ knownHostsFile: wrong });
    expectAdapterError(
      await rejection(strict.exec(server.endpoint(), ['true'])),
      'permanent',
      'ssh-host-key',
    );
    await strict.close();
  });

  it('maps a node that does not answer to a transient ssh-unreachable', async () => {
    const t = transportFor({ connectTimeoutSeconds: 3 });
    const closed = { ...server.endpoint('gone'), port: 1 };
    const error = await rejection(t.exec(closed, ['true']));
    expectAdapterError(error, 'transient', 'ssh-unreachable');
    expect((error as Error).message).toMatch(/Connection refused/);
    await t.close();
  });

  it('refuses an address or user that ssh would read as an option', async () => {
    const t = transportFor();
    for (const endpoint of [
      { ...server.endpoint(), address: `-oProxyCommand=touch ${marker}` },
      { ...server.endpoint(), address: '127.0.0.1 -oProxyCommand=x' },
      { ...server.endpoint(), user: '-oProxyCommand=x' },
      { ...server.endpoint(), port: 70_000 },
    ])
      expectAdapterError(await rejection(t.exec(endpoint, ['true'])), 'permanent', 'ssh-bad-endpoint');
    expectAdapterError(await rejection(t.exec(server.endpoint(), ['a\0b'])), 'permanent', 'invalid-argument');
    expectAdapterError(await rejection(t.exec(server.endpoint(), [])), 'permanent', 'invalid-argument');
    await t.close();
    expect(existsSync(marker)).toBe(false);
  });

  it('resolves credentialsRef through resolveIdentity and never logs the key', async () => {
    const records: LogRecord[] = [];
    const asked: string[] = [];
    const t = createOpenSshTransport({
      configFile: 'none',
      knownHostsFile: server.knownHostsFile,
      resolveIdentity: (ref) => {
        asked.push(ref);
        return server.identityFile;
      },
      logger: { log: (r) => records.push(r) },
    });
    const endpoint = { ...server.endpoint('keyed'), credentialsRef: 'ops-key' };
    expect((await t.exec(endpoint, ['echo', 'ok'])).stdout).toBe('ok\n');
    expect(asked).toContain('ops-key');
    expect(records.some((r) => r.action === 'ssh.exec' && r.object === 'keyed')).toBe(true);
    const key = readFileSync(server.identityFile, 'utf8');
    expect(JSON.stringify(records)).not.toContain(key.split('\n')[1]);
    await t.close();

    const none = transportFor();
    const error = await rejection(none.exec(endpoint, ['true']));
    expectAdapterError(error, 'permanent', 'ssh-no-identity');
    expect((error as Error).message).toMatch(/resolveIdentity/);
    await none.close();
  });
});

describe('SSH node agent', () => {
  let agent: NodeAgent;
  const backupRoot = () => join(root, 'backups');
  const PACKAGES: Record<string, string[]> = {
    'nova-compute': ['nova-compute', 'python3-nova'],
    openvswitch: ['openvswitch-switch'],
  };

  beforeAll(() => {
    agent = createSshNodeAgent({
      transport,
      endpoints: (node) => server.endpoint(node),
      packages: (c) => PACKAGES[c] ?? [c],
      backupRoot: backupRoot(),
      commands: { bootId: ['cat', fake.bootIdFile] },
      waitReady: { initialDelayMs: 200, maxDelayMs: 1_000, timeoutMs: 30_000 },
    });
  });

  it('reads installed versions and installs exact ones (upgrade, then downgrade)', async () => {
    fake.setPackages({
      'nova-compute': '2:28.0.0-1',
      'python3-nova': '2:28.0.0-1',
      'openvswitch-switch': '3.1.0-2',
    });
    fake.clearCalls();
    expect(await agent.installedVersions('cmp-1', ['nova-compute', 'openvswitch', 'absent'])).toEqual({
      'nova-compute': '2:28.0.0-1',
      openvswitch: '3.1.0-2',
    });
    await agent.installVersions('cmp-1', { 'nova-compute': '2:29.0.1-1' });
    expect(await agent.installedVersions('cmp-1', ['nova-compute'])).toEqual({
      'nova-compute': '2:29.0.1-1',
    });
    await agent.installVersions('cmp-1', { 'nova-compute': '2:28.0.0-1' });
    expect(await agent.installedVersions('cmp-1', ['nova-compute'])).toEqual({
      'nova-compute': '2:28.0.0-1',
    });

    const [update, install] = fake.calls('apt-get');
    expect(update?.args).toEqual(['-q', 'update']);
    expect(install?.env.DEBIAN_FRONTEND).toBe('noninteractive');
    expect(install?.args).toEqual([
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
      'nova-compute=2:29.0.1-1',
      'python3-nova=2:29.0.1-1',
    ]);
    expect(fake.calls('dpkg-query')[0]?.args.slice(0, 4)).toEqual([
      '-W',
      '-f',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} syntax
      '${Package}\t${db:Status-Abbrev}\t${Version}\n',
      '--',
    ]);
  });

  it('reports a component whose packages disagree as mixed, never as a target version', async () => {
    fake.setPackages({ 'nova-compute': '2:29.0.1-1', 'python3-nova': '2:28.0.0-1' });
    const versions = await agent.installedVersions('cmp-1', ['nova-compute']);
    expect(versions['nova-compute']).toBe('mixed(nova-compute=2:29.0.1-1, python3-nova=2:28.0.0-1)');
  });

  it('takes package names from the catalog by default', async () => {
    const withCatalog = createSshNodeAgent({
      transport,
      endpoints: (node) => server.endpoint(node),
      catalog: resolveCatalog(),
      updateIndex: false,
    });
    fake.setPackages({});
    fake.clearCalls();
    await withCatalog.installVersions('ctl-1', { keystone: '2:25.0.0-0ubuntu1' });
    expect(fake.packages()).toEqual({ keystone: '2:25.0.0-0ubuntu1' });
    expect(fake.calls('apt-get')).toHaveLength(1); // no update
    expect(await withCatalog.installedVersions('ctl-1', ['keystone'])).toEqual({
      keystone: '2:25.0.0-0ubuntu1',
    });
  });

  it('speaks dnf and rpm on RPM nodes', async () => {
    const rpm = createSshNodeAgent({
      transport,
      endpoints: (node) => server.endpoint(node),
      packageManager: 'dnf',
      packages: (c) => PACKAGES[c] ?? [c],
    });
    fake.setPackages({ 'nova-compute': '28.0.0-1.el9', 'python3-nova': '28.0.0-1.el9' });
    fake.clearCalls();
    expect(await rpm.installedVersions('cmp-9', ['nova-compute', 'absent'])).toEqual({
      'nova-compute': '28.0.0-1.el9',
    });
    await rpm.installVersions('cmp-9', { 'nova-compute': '29.0.1-1.el9' });
    expect(fake.packages()).toEqual({ 'nova-compute': '29.0.1-1.el9', 'python3-nova': '29.0.1-1.el9' });
    expect(fake.calls('dnf')[0]?.args).toEqual([
      '-y',
      'install',
      '--',
      'nova-compute-29.0.1-1.el9',
      'python3-nova-29.0.1-1.el9',
    ]);
  });

  it('maps apt failures: exit 100 is a permanent apt-failed, a held lock a transient apt-locked', async () => {
    fake.fail('apt-install');
    const failed = await rejection(agent.installVersions('cmp-1', { 'nova-compute': '9.9' }));
    expectAdapterError(failed, 'permanent', 'apt-failed');
    expect((failed as Error).message).toMatch(/exit 100: E: Version '9.9'/);
    fake.fail('apt-install', false);

    fake.fail('apt-lock');
    expectAdapterError(
      await rejection(agent.installVersions('cmp-1', { 'nova-compute': '9.9' })),
      'transient',
      'apt-locked',
    );
    fake.fail('apt-lock', false);

    fake.fail('apt-update');
    expectAdapterError(
      await rejection(agent.installVersions('cmp-1', { 'nova-compute': '9.9' })),
      'transient',
      'apt-update-failed',
    );
    fake.fail('apt-update', false);
  });

  it('refuses package names and versions that apt would read as options', async () => {
    fake.clearCalls();
    const sneaky = createSshNodeAgent({
      transport,
      endpoints: (node) => server.endpoint(node),
      packages: () => ['-oAPT::Update::Pre-Invoke::=touch /tmp/x'],
    });
    expectAdapterError(
      await rejection(sneaky.installVersions('cmp-1', { c: '1.0' })),
      'permanent',
      'invalid-argument',
    );
    expectAdapterError(
      await rejection(agent.installVersions('cmp-1', { 'nova-compute': '--reinstall' })),
      'permanent',
      'invalid-argument',
    );
    expectAdapterError(
      await rejection(agent.restartServices('cmp-1', ['--all'])),
      'permanent',
      'invalid-argument',
    );
    expect(fake.calls()).toEqual([]);
  });

  it('restarts services and reports their health', async () => {
    const before = await agent.health('cmp-1', ['nova-compute', 'libvirtd']);
    expect(before.ok).toBe(false);
    await agent.restartServices('cmp-1', ['nova-compute', 'libvirtd']);
    expect(fake.calls('systemctl').at(-1)?.args).toEqual(['restart', '--', 'nova-compute', 'libvirtd']);
    expect(await agent.health('cmp-1', ['nova-compute', 'libvirtd', 'ovsdb-server'])).toEqual({
      ok: false,
      services: [
        { name: 'nova-compute', active: true },
        { name: 'libvirtd', active: true },
        { name: 'ovsdb-server', active: false },
      ],
    });
    expect(await agent.health('cmp-1', ['nova-compute'])).toEqual({
      ok: true,
      services: [{ name: 'nova-compute', active: true }],
    });
    fake.fail('systemctl');
    expectAdapterError(
      await rejection(agent.restartServices('cmp-1', ['nova-compute'])),
      'permanent',
      'service-restart-failed',
    );
    fake.fail('systemctl', false);
  });

  it('reboots (detached), then waitReady rides out the node being away until a new boot id answers', async () => {
    const own = transportFor();
    const rebooting = createSshNodeAgent({
      transport: own,
      endpoints: (node) => server.endpoint(node),
      commands: { bootId: ['cat', fake.bootIdFile] },
      waitReady: { initialDelayMs: 200, maxDelayMs: 800, timeoutMs: 30_000 },
    });
    const before = await rebooting.bootId('cmp-2');
    fake.clearCalls();
    await rebooting.reboot('cmp-2'); // the default command: systemd-run --on-active=2 systemctl reboot
    expect(fake.calls('systemd-run')[0]?.args).toEqual([
      '--quiet',
      '--collect',
      '--on-active=2',
      'systemctl',
      'reboot',
    ]);
    // The node goes away for 2 s: sshd and every session stop, then sshd comes back.
    await server.stop();
    const back = sleep(2_000).then(() => server.start());
    const started = Date.now();
    await rebooting.waitReady('cmp-2', { since: before });
    await back;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    const after = await rebooting.bootId('cmp-2');
    expect(after).not.toBe(before);
    expect(after).toBe(fake.bootId());
    await own.close();
  });

  it('waitReady keeps waiting while the old boot id answers, and gives up after its timeout', async () => {
    const stuck = createSshNodeAgent({
      transport,
      endpoints: (node) => server.endpoint(node),
      commands: { bootId: ['cat', fake.bootIdFile], reboot: ['true'] }, // "accepted" but never reboots
      waitReady: { initialDelayMs: 100, maxDelayMs: 200, timeoutMs: 1_500 },
    });
    const before = await stuck.bootId('cmp-3'); // as the reboot step journals it
    await stuck.reboot('cmp-3');
    const error = await rejection(stuck.waitReady('cmp-3', { since: before }));
    expectAdapterError(error, 'transient', 'node-not-ready');
    expect((error as Error).message).toMatch(/reboot has not happened/);
  });

  it('waitReady stops when aborted', async () => {
    const down = createSshNodeAgent({
      transport,
      endpoints: (node) => ({ ...server.endpoint(node), port: 1 }),
      waitReady: { initialDelayMs: 100, maxDelayMs: 200, timeoutMs: 60_000 },
    });
    const reason = new Error('campaign paused');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 800);
    expect(await rejection(down.waitReady('cmp-4', { signal: controller.signal }))).toBe(reason);
  });

  it('maps an unreachable node to a transient error', async () => {
    const down = createSshNodeAgent({
      transport,
      endpoints: (node) => ({ ...server.endpoint(node), port: 1 }),
    });
    expectAdapterError(await rejection(down.bootId('cmp-5')), 'transient', 'ssh-unreachable');
  });

  it('backs up files and databases with a checksum and restores them, versions included', async () => {
    const etc = join(root, 'etc', 'app');
    mkdirSync(etc, { recursive: true });
    writeFileSync(join(etc, 'app.conf'), 'setting=v1\n');
    writeFileSync(join(root, 'etc', 'single.conf'), 'single v1\n');
    for (const p of [join(root, 'etc'), etc, join(etc, 'app.conf'), join(root, 'etc', 'single.conf')])
      chownSync(p, server.uid, server.gid);
    fake.setDatabases({ nova: 'rows v1', nova_api: 'api rows v1' });
    fake.setPackages({ 'nova-compute': '2:28.0.0-1', 'python3-nova': '2:28.0.0-1' });

    const ref = await agent.backup('cmp-1', {
      label: 'w1.cmp-1',
      software: { 'nova-compute': '2:28.0.0-1' },
      files: [etc, join(root, 'etc', 'single.conf')],
      databases: ['nova', 'nova_api'],
    });
    expect(ref.node).toBe('cmp-1');
    expect(ref.label).toBe('w1.cmp-1');
    expect(ref.software).toEqual({ 'nova-compute': '2:28.0.0-1' });
    expect(ref.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ref.location.startsWith(`${backupRoot()}/w1.cmp-1-`)).toBe(true);
    expect(readdirSync(ref.location).sort()).toEqual([
      'SHA256SUMS',
      'db-0.sql',
      'db-1.sql',
      'files.tar.gz',
      'manifest.json',
    ]);
    expect(statSync(ref.location).mode & 0o777).toBe(0o700);

    // Things change (the upgrade), then the backup is restored.
    writeFileSync(join(etc, 'app.conf'), 'setting=v2\n');
    writeFileSync(join(root, 'etc', 'single.conf'), 'single v2\n');
    fake.setDatabases({ nova: 'rows v2', nova_api: 'api rows v2' });
    await agent.installVersions('cmp-1', { 'nova-compute': '2:29.0.1-1' });

    await agent.restore('cmp-1', ref);
    expect(readFileSync(join(etc, 'app.conf'), 'utf8')).toBe('setting=v1\n');
    expect(readFileSync(join(root, 'etc', 'single.conf'), 'utf8')).toBe('single v1\n');
    expect(fake.databases()).toEqual({ nova: 'rows v1', nova_api: 'api rows v1' });
    expect(await agent.installedVersions('cmp-1', ['nova-compute'])).toEqual({
      'nova-compute': '2:28.0.0-1',
    });

    // A backup that is not the recorded one, or was damaged, is refused.
    expectAdapterError(
      await rejection(agent.restore('cmp-1', { ...ref, checksum: `sha256:${'0'.repeat(64)}` })),
      'permanent',
      'backup-checksum',
    );
    writeFileSync(join(ref.location, 'db-0.sql'), 'tampered\n');
    expectAdapterError(await rejection(agent.restore('cmp-1', ref)), 'permanent', 'backup-corrupt');
    expectAdapterError(
      await rejection(agent.restore('cmp-1', { ...ref, location: join(backupRoot(), 'nope') })),
      'permanent',
      'backup-missing',
    );
  });

  it('fails a backup of a database that does not exist (permanent backup-failed)', async () => {
    fake.setDatabases({});
    expectAdapterError(
      await rejection(
        agent.backup('cmp-1', { label: 'w2.cmp-1', software: {}, files: [], databases: ['missing_db'] }),
      ),
      'permanent',
      'backup-failed',
    );
    // The half-written backup was removed.
    const labelDirs = readdirSync(backupRoot()).filter((d) => d.startsWith('w2.cmp-1-'));
    expect(labelDirs).toHaveLength(1);
    expect(readdirSync(join(backupRoot(), labelDirs[0]!))).toEqual([]);
  });

  it('passes hostile node names, packages, versions, services, files, databases and labels as literal arguments', async () => {
    const hostile = [
      `a; touch ${marker}`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `'; touch ${marker}; '`,
      `"; touch ${marker}; "`,
      `x\ntouch ${marker}`,
      `| touch ${marker}`,
      `&& touch ${marker} &`,
    ];
    // File names cannot hold "/": these touch a relative marker, checked in every likely directory.
    const hostileFiles = [
      `a; touch ${markerName}`,
      `$(touch ${markerName})`,
      `\`touch ${markerName}\``,
      `'; touch ${markerName}; '`,
      `"; touch ${markerName}; "`,
      `x\ntouch ${markerName}`,
      `|| touch ${markerName} &`,
    ];
    const nodes = new Set<string>();
    const evil = createSshNodeAgent({
      transport,
      endpoints: (node) => {
        nodes.add(node);
        return server.endpoint('evil');
      },
      packages: (component) => [`pkg ${component}`],
      backupRoot: backupRoot(),
      commands: { bootId: ['cat', fake.bootIdFile] },
      updateIndex: false,
    });
    const node = `cmp-1; touch ${marker}`;
    fake.setPackages({});
    fake.clearCalls();

    // run
    const printed = await evil.run(node, ['printf', '%s\\037', ...hostile]);
    noMarker();
    expect(printed.stdout.split('\x1f').slice(0, -1)).toEqual(hostile);
    expect(nodes).toEqual(new Set([node]));

    // installVersions / installedVersions: hostile components (package names) and versions
    const software = Object.fromEntries(hostile.map((h, i) => [h, hostile[(i + 3) % hostile.length]!]));
    await evil.installVersions(node, software);
    const install = fake.calls('apt-get')[0]!;
    const specs = install.args.slice(install.args.indexOf('install') + 1);
    expect(specs).toEqual(
      Object.keys(software)
        .sort((a, b) => a.localeCompare(b))
        .map((c) => `pkg ${c}=${software[c]}`),
    );
    // A package name or version holding a newline cannot come back through dpkg-query's line format
    // (real ones never do); every other one round-trips.
    const listed = await evil.installedVersions(node, hostile);
    for (const [c, v] of Object.entries(software))
      if (!c.includes('\n') && !v.includes('\n')) expect(listed[c]).toBe(v);
    expect(fake.calls('dpkg-query')[0]?.args.slice(4)).toEqual(hostile.map((h) => `pkg ${h}`).sort());

    // services
    await evil.restartServices(node, hostile);
    expect(fake.calls('systemctl')[0]?.args).toEqual(['restart', '--', ...hostile]);
    const health = await evil.health(node, hostile);
    expect(health.services.map((s) => s.name)).toEqual(hostile);
    expect(health.services.every((s) => s.active)).toBe(true);
    expect(fake.calls('systemctl')[1]?.args).toEqual(['is-active', '--', ...hostile]);

    // backup and restore: hostile file names, databases and label
    const dir = join(root, 'hostile');
    mkdirSync(dir, { recursive: true });
    chownSync(dir, server.uid, server.gid);
    for (const [i, name] of hostileFiles.entries()) {
      writeFileSync(join(dir, name), `content ${i}\n`);
      chownSync(join(dir, name), server.uid, server.gid);
    }
    const databases = Object.fromEntries(hostile.map((h, i) => [h, `rows ${i}`]));
    fake.setDatabases(databases);
    const label = `../../etc/passwd; touch ${marker}`;
    const ref = await evil.backup(node, {
      label,
      software: {},
      files: hostileFiles.map((f) => join(dir, f)),
      databases: hostile,
    });
    expect(ref.location.startsWith(`${backupRoot()}/`)).toBe(true);
    expect(ref.location.slice(backupRoot().length).split('/')).not.toContain('..');
    expect(fake.calls('mysqldump').map((c) => c.args.at(-1))).toEqual(hostile);
    for (const name of hostileFiles) writeFileSync(join(dir, name), 'changed\n');
    fake.setDatabases({});
    await evil.restore(node, ref);
    for (const [i, name] of hostileFiles.entries())
      expect(readFileSync(join(dir, name), 'utf8')).toBe(`content ${i}\n`);
    expect(fake.databases()).toEqual(databases);

    // boot id and reboot
    expect(await evil.bootId(node)).toBe(fake.bootId());

    noMarker();
    expect(readdirSync(sessionCwd).filter((f) => f.startsWith('pwned'))).toEqual([]);
  });
});
