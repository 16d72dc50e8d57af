/**
 * Fake node commands for the SSH adapter tests, put first on the PATH of the test sshd's sessions:
 * `apt-get`, `dpkg-query`, `rpm`, `dnf`, `systemctl`, `systemd-run`, `shutdown`, `reboot`, `mysqldump`,
 * `mysql` and `virsh`. Each is a tiny Node script that appends its exact argv to `state/calls.jsonl`
 * (so tests see what literally arrived) and keeps its state in JSON files under `state/`: installed
 * package versions, active services, the boot id, databases, libvirt domains. Files named in
 * `state/fail/` make a command fail (`apt-install`, `apt-lock`, `virsh-down`, ...).
 *
 * `tar`, `sha256sum`, `mkdir`, `cat` and `sh` are the real ones.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One recorded call of a fake command. */
export interface FakeCall {
  readonly cmd: string;
  readonly args: readonly string[];
  /** Environment variables that matter to the fakes (DEBIAN_FRONTEND, LC_ALL). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Domains of the fake libvirt: name to `virsh domstate` word; `__gone__` is listed but vanished. */
export interface FakeDomains {
  readonly [name: string]: string;
}

export interface FakeNode {
  /** Put this first on the sessions' PATH. */
  readonly bin: string;
  readonly state: string;
  /** The file the fake boot id lives in: point the agent's bootId command at it. */
  readonly bootIdFile: string;
  calls(cmd?: string): FakeCall[];
  clearCalls(): void;
  packages(): Record<string, string>;
  setPackages(packages: Record<string, string>): void;
  activeServices(): string[];
  databases(): Record<string, string>;
  setDatabases(databases: Record<string, string>): void;
  setDomains(domains: FakeDomains): void;
  bootId(): string;
  /** Makes `what` fail until turned off again. */
  fail(what: 'apt-install' | 'apt-lock' | 'apt-update' | 'systemctl' | 'virsh-down', on?: boolean): void;
}

/** The fakes' shared code (CommonJS, run by the same Node as the tests). */
const LIB = String.raw`
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const STATE = process.env.ESCALATOR_FAKE_STATE || path.join(__dirname, '..', 'state');
const file = (name) => path.join(STATE, name);
const read = (name, fallback) => { try { return JSON.parse(fs.readFileSync(file(name), 'utf8')); } catch { return fallback; } };
const write = (name, value) => fs.writeFileSync(file(name), JSON.stringify(value));
const failing = (what) => fs.existsSync(path.join(STATE, 'fail', what));
const out = (text) => process.stdout.write(text);
const err = (text) => process.stderr.write(text);
const newBoot = () => fs.writeFileSync(file('boot_id'), crypto.randomUUID() + '\n');

module.exports = function main(cmd) {
  const args = process.argv.slice(2);
  fs.appendFileSync(file('calls.jsonl'), JSON.stringify({
    cmd, args, env: { DEBIAN_FRONTEND: process.env.DEBIAN_FRONTEND, LC_ALL: process.env.LC_ALL },
  }) + '\n');
  const operands = (list) => { const i = list.indexOf('--'); return i === -1 ? list.filter((a) => !a.startsWith('-')) : list.slice(i + 1); };
  switch (cmd) {
    case 'dpkg-query': {
      const pkgs = read('packages.json', {});
      let missing = 0;
      for (const p of operands(args.slice(3))) {
        if (Object.prototype.hasOwnProperty.call(pkgs, p)) out(p + '\tii \t' + pkgs[p] + '\n');
        else { missing++; err('dpkg-query: no packages found matching ' + p + '\n'); }
      }
      return missing ? 1 : 0;
    }
    case 'rpm': {
      const pkgs = read('packages.json', {});
      let missing = 0;
      for (const p of operands(args.slice(3))) {
        if (Object.prototype.hasOwnProperty.call(pkgs, p)) out(p + '\t' + pkgs[p] + '\n');
        else { missing++; out('package ' + p + ' is not installed\n'); }
      }
      return missing;
    }
    case 'apt-get': {
      if (args.includes('update')) {
        if (failing('apt-update')) { err('E: Failed to fetch http://deb.example/dists/InRelease\n'); return 100; }
        out('Reading package lists...\n');
        return 0;
      }
      if (failing('apt-lock')) { err('E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)\n'); return 100; }
      if (failing('apt-install')) { err('E: Version \'9.9\' for \'nova-compute\' was not found\n'); return 100; }
      const i = args.indexOf('install');
      const pkgs = read('packages.json', {});
      for (const spec of args.slice(i + 1)) {
        const eq = spec.indexOf('=');
        pkgs[spec.slice(0, eq)] = spec.slice(eq + 1);
      }
      write('packages.json', pkgs);
      out('Setting up packages...\n');
      return 0;
    }
    case 'dnf': {
      const pkgs = read('packages.json', {});
      for (const spec of operands(args)) {
        const name = Object.keys(pkgs).sort((a, b) => b.length - a.length).find((n) => spec.startsWith(n + '-'));
        if (!name) { err('No match for argument: ' + spec + '\n'); return 1; }
        pkgs[name] = spec.slice(name.length + 1);
      }
      write('packages.json', pkgs);
      return 0;
    }
    case 'systemctl': {
      if (failing('systemctl')) { err('Job for unit failed.\n'); return 1; }
      const verb = args.find((a) => !a.startsWith('-'));
      const units = operands(args.slice(args.indexOf(verb) + 1));
      const active = new Set(read('active.json', []));
      if (verb === 'restart' || verb === 'start') { units.forEach((u) => active.add(u)); write('active.json', [...active]); return 0; }
      if (verb === 'stop') { units.forEach((u) => active.delete(u)); write('active.json', [...active]); return 0; }
      if (verb === 'is-active') { let all = true; for (const u of units) { const a = active.has(u); all = all && a; out((a ? 'active' : 'inactive') + '\n'); } return all ? 0 : 3; }
      if (verb === 'reboot') { newBoot(); return 0; }
      err('fake systemctl: unknown verb ' + verb + '\n');
      return 1;
    }
    case 'systemd-run': {
      // Runs the unit's command at once (the fake has no timers).
      const at = args.findIndex((a) => !a.startsWith('-'));
      const r = require('node:child_process').spawnSync(args[at], args.slice(at + 1), { stdio: 'inherit' });
      return r.status === null ? 1 : r.status;
    }
    case 'shutdown':
    case 'reboot':
      newBoot();
      return 0;
    case 'mysqldump': {
      const dbs = read('databases.json', {});
      const name = args[args.indexOf('--databases') + 1];
      if (!Object.prototype.hasOwnProperty.call(dbs, name)) { err('mysqldump: Got error: 1049: Unknown database \'' + name + '\'\n'); return 2; }
      out('-- fake dump\n' + JSON.stringify({ name, content: dbs[name] }) + '\n');
      return 0;
    }
    case 'mysql': {
      const input = fs.readFileSync(0, 'utf8').split('\n')[1];
      const dump = JSON.parse(input);
      const dbs = read('databases.json', {});
      dbs[dump.name] = dump.content;
      write('databases.json', dbs);
      return 0;
    }
    case 'virsh': {
      if (failing('virsh-down')) { err('error: failed to connect to the hypervisor\nerror: Failed to connect socket to \'/var/run/libvirt/libvirt-sock\': No such file or directory\n'); return 1; }
      const rest = args.slice(args[0] === '-c' ? 2 : 0);
      const domains = read('domains.json', {});
      if (rest[0] === 'list') { out(Object.keys(domains).map((d) => d + '\n').join('') + '\n'); return 0; }
      if (rest[0] === 'domstate') {
        const name = rest[rest.indexOf('--domain') + 1];
        if (!Object.prototype.hasOwnProperty.call(domains, name) || domains[name] === '__gone__') { err('error: failed to get domain \'' + name + '\'\n'); return 1; }
        out(domains[name] + '\n\n');
        return 0;
      }
      if (rest[0] === 'version') {
        out('Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.0\nRunning against daemon: 9.0.0\n\n');
        return 0;
      }
      err('error: unknown command: \'' + rest[0] + '\'\n');
      return 1;
    }
  }
  err('fake: unknown command ' + cmd + '\n');
  return 127;
};
`;

const COMMANDS = [
  'apt-get',
  'dpkg-query',
  'rpm',
  'dnf',
  'systemctl',
  'systemd-run',
  'shutdown',
  'reboot',
  'mysqldump',
  'mysql',
  'virsh',
] as const;

/**
 * Writes the fakes under `dir` (bin/, state/) and gives them to `owner`, the sessions' login user.
 */
export function createFakeNode(dir: string, owner: { uid: number; gid: number }): FakeNode {
  const bin = join(dir, 'bin');
  const state = join(dir, 'state');
  mkdirSync(join(state, 'fail'), { recursive: true });
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"type":"commonjs"}\n');
  writeFileSync(join(bin, 'fake-lib.cjs'), LIB);
  for (const cmd of COMMANDS) {
    const path = join(bin, cmd);
    writeFileSync(
      path,
      `#!${process.execPath}\nprocess.exitCode = require(${JSON.stringify(join(bin, 'fake-lib.cjs'))})(${JSON.stringify(cmd)});\n`,
    );
    chmodSync(path, 0o755);
  }
  const own = (path: string) => chownSync(path, owner.uid, owner.gid);
  const put = (name: string, value: string) => {
    writeFileSync(join(state, name), value);
    own(join(state, name));
  };
  const get = <T>(name: string, fallback: T): T => {
    try {
      return JSON.parse(readFileSync(join(state, name), 'utf8')) as T;
    } catch {
      return fallback;
    }
  };
  for (const path of [dir, bin, state, join(state, 'fail')]) own(path);
  put('calls.jsonl', '');
  put('boot_id', 'boot-0000\n');
  put('active.json', '[]');
  put('packages.json', '{}');
  put('databases.json', '{}');
  put('domains.json', '{}');

  return {
    bin,
    state,
    bootIdFile: join(state, 'boot_id'),
    calls(cmd) {
      const all = readFileSync(join(state, 'calls.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as FakeCall);
      return cmd === undefined ? all : all.filter((c) => c.cmd === cmd);
    },
    clearCalls: () => put('calls.jsonl', ''),
    packages: () => get('packages.json', {}),
    setPackages: (packages) => put('packages.json', JSON.stringify(packages)),
    activeServices: () => get('active.json', []),
    databases: () => get('databases.json', {}),
    setDatabases: (databases) => put('databases.json', JSON.stringify(databases)),
    setDomains: (domains) => put('domains.json', JSON.stringify(domains)),
    bootId: () => readFileSync(join(state, 'boot_id'), 'utf8').trim(),
    fail(what, on = true) {
      const path = join(state, 'fail', what);
      if (on) {
        writeFileSync(path, '');
        own(path);
      } else if (existsSync(path)) rmSync(path);
    },
  };
}
