/**
 * `escalator validate`, run in-process through runCli with a capturing Io, and once as a real child
 * process. Exit codes: 0 valid, 1 invalid or unreadable document, 2 wrong usage.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { Io } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** An Io that keeps what the CLI writes; the exit code is the highest one set, as processIo does. */
function capture(): Io & {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly code: () => number;
} {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let code = 0;
  return {
    stdout,
    stderr,
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    exitCode: (c) => {
      code = Math.max(code, c);
    },
    isTty: false,
    code: () => code,
  };
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = capture();
  await runCli(argv, io);
  return { code: io.code(), stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

const dir = mkdtempSync(join(tmpdir(), 'escalator-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const INVENTORY = `apiVersion: escalator/v1
kind: Inventory
metadata: { name: lab-1 }
nodes:
  - { name: ctl-1, roles: [controller], software: { keystone: "22.0.0" } }
  - { name: ctl-2, roles: [controller, network], software: { keystone: "22.0.0" } }
  - { name: cmp-1, roles: [compute], capacity: { vcpus: 16, memoryMiB: 65536 }, software: { nova-compute: 26.2.2 } }
  - { name: cmp-2, roles: [compute], capacity: { vcpus: 16, memoryMiB: 65536 }, software: { nova-compute: 26.2.2 } }
  - { name: cmp-3, roles: [compute], capacity: { vcpus: 16, memoryMiB: 65536 }, software: { nova-compute: 27.1.0 } }
  - name: cmp-4
    roles: [compute]
    state: maintenance
    capacity: { vcpus: 16, memoryMiB: 65536 }
    software: { nova-compute: 26.2.2 }
instances:
  - { name: vm-1, host: cmp-1, resources: { vcpus: 2, memoryMiB: 2048 } }
  - { name: vm-2, host: cmp-2, resources: { vcpus: 2, memoryMiB: 2048 } }
`;

const CAMPAIGN = `apiVersion: escalator/v1
kind: Campaign
metadata: { name: zed-to-antelope }
target: { software: { nova-compute: 27.1.0 } }
`;

const inventoryFile = file('inventory.yaml', INVENTORY);
const campaignFile = file('campaign.yaml', CAMPAIGN);

describe('escalator validate (in-process)', () => {
  it('exits 0 and summarises a valid inventory and campaign', async () => {
    const { code, stdout, stderr } = await cli('validate', inventoryFile, campaignFile);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.split('\n')).toEqual([
      `${inventoryFile}: valid Inventory "lab-1"`,
      `${campaignFile}: valid Campaign "zed-to-antelope"`,
      '',
      'site     controller  compute  network  storage',
      '-------  ----------  -------  -------  -------',
      'default           2        4        1        0',
      '',
      '6 nodes (1 not up), 2 instances, 0 server groups, 0 VNFs, 0 clusters',
      '2 nodes need an upgrade',
      '1 in scope but not up, left alone: cmp-4',
    ]);
  });

  it('summarises an inventory alone, without upgrade counts', async () => {
    const { code, stdout } = await cli('validate', inventoryFile);
    expect(code).toBe(0);
    expect(stdout).toContain('6 nodes (1 not up), 2 instances');
    expect(stdout).not.toContain('need an upgrade');
    expect(stdout).not.toContain('valid Campaign');
  });

  it('counts nodes per site and role', async () => {
    const twoSites = file(
      'two-sites.yaml',
      `apiVersion: escalator/v1
kind: Inventory
metadata: { name: two }
sites: [{ name: north }, { name: south }]
nodes:
  - { name: n-ctl, site: north, roles: [controller] }
  - { name: n-cmp, site: north, roles: [compute], capacity: { vcpus: 1, memoryMiB: 1 } }
  - { name: s-sto, site: south, roles: [storage, network] }
`,
    );
    const { code, stdout } = await cli('validate', twoSites);
    expect(code).toBe(0);
    expect(stdout.split('\n').slice(2, 6)).toEqual([
      'site   controller  compute  network  storage',
      '-----  ----------  -------  -------  -------',
      'north           1        1        0        0',
      'south           0        0        1        1',
    ]);
  });

  it('prints parseable JSON with --json', async () => {
    const { code, stdout, stderr } = await cli('validate', inventoryFile, campaignFile, '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      ok: true,
      summary: {
        name: 'lab-1',
        nodesBySite: { default: { controller: 2, network: 1, compute: 4 } },
        nodes: 6,
        instances: 2,
        serverGroups: 0,
        vnfs: 0,
        clusters: 0,
        nodesNotUp: 1,
        nodesToUpgrade: 2,
        nodesSkipped: ['cmp-4'],
      },
      violations: [],
    });
  });

  it('keeps a site named __proto__ as data in the JSON summary', async () => {
    const odd = file(
      'proto-site.yaml',
      INVENTORY.replace('{ name: ctl-1, roles', '{ name: ctl-1, site: __proto__, roles'),
    );
    const { code, stdout } = await cli('validate', odd, '--json');
    expect(code).toBe(0);
    const summary = (JSON.parse(stdout) as { summary: { nodesBySite: Record<string, unknown> } }).summary;
    expect(Object.keys(summary.nodesBySite)).toEqual(['__proto__', 'default']);
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('exits 1 with file:line:col messages on stderr for a broken inventory', async () => {
    const broken = file(
      'broken.yaml',
      INVENTORY.replace('state: maintenance', 'state: asleep').replace('host: cmp-2', 'host: cmp-9'),
    );
    const { code, stdout, stderr } = await cli('validate', broken, campaignFile);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([
      `${broken}:12:12 nodes[5].state: expected one of up, down, maintenance, got "asleep"`,
    ]);
  });

  it('reports every integrity problem of a file, one per line', async () => {
    const broken = file(
      'refs.yaml',
      INVENTORY.replace('host: cmp-2', 'host: cmp-9').replace('host: cmp-1', 'host: ctl-1'),
    );
    const { code, stderr } = await cli('validate', broken);
    expect(code).toBe(1);
    expect(stderr.split('\n')).toEqual([
      `${broken}:16:25 instances[0].host: instance "vm-1" is on "ctl-1", which has no compute role`,
      `${broken}:17:25 instances[1].host: unknown node "cmp-9"; did you mean "cmp-1"?`,
    ]);
  });

  it('exits 1 when the campaign does not fit the inventory, naming the campaign file', async () => {
    const scoped = file('scoped.yaml', `${CAMPAIGN}scope: { nodes: [cmp-5] }\n`);
    const { code, stderr } = await cli('validate', inventoryFile, scoped);
    expect(code).toBe(1);
    expect(stderr).toBe(`${scoped}:5:18 scope.nodes[0]: unknown node "cmp-5"; did you mean "cmp-1"?`);
  });

  it('exits 1 with a clear message for a missing file', async () => {
    const missing = join(dir, 'no-such-inventory.yaml');
    const { code, stdout, stderr } = await cli('validate', missing);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `${missing}: cannot read the file (ENOENT: no such file or directory, open '${missing}')`,
    );
  });

  it('exits 1 for a JSON syntax error, with its position', async () => {
    const json = file('inventory.json', '{\n  "apiVersion": "escalator/v1",\n  "kind": "Inventory",\n}\n');
    const { code, stderr } = await cli('validate', json);
    expect(code).toBe(1);
    expect(stderr).toBe(`${json}:4:1 (document): invalid JSON: Expected double-quoted property name`);
  });

  it('exits 2 for an unknown option', async () => {
    const { code, stdout, stderr } = await cli('validate', inventoryFile, '--frobnicate');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([
      "error: unknown option '--frobnicate'",
      '(run with --help for usage)',
    ]);
  });

  it('exits 2 without the inventory argument, and for an unknown command', async () => {
    const missing = await cli('validate');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: missing required argument 'inventory'");
    const unknown = await cli('valdiate', inventoryFile);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown command 'valdiate'");
  });

  it('exits 0 for --help and --version', async () => {
    const help = await cli('validate', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: escalator validate [options] <inventory> [campaign]');
    const version = await cli('--version');
    expect(version.code).toBe(0);
    expect(version.stdout).toBe('0.1.0');
  });
});

describe('escalator validate (child process)', () => {
  const run = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', ...args],
        { cwd: ROOT, timeout: 50_000 },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: unknown; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw error;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };

  it('exits 0 and prints the summary for valid files', async () => {
    const { code, stdout, stderr } = await run('validate', inventoryFile, campaignFile);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`${inventoryFile}: valid Inventory "lab-1"\n`);
    expect(stdout).toContain('2 nodes need an upgrade\n');
  });

  it('exits 1 with positioned messages on stderr for a broken file', async () => {
    const broken = file('child-broken.yaml', INVENTORY.replace('kind: Inventory', 'kind: Inventroy'));
    const { code, stdout, stderr } = await run('validate', broken);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`${broken}:2:7 kind: expected "Inventory", got "Inventroy"\n`);
  });

  it('exits 2 for an unknown option', async () => {
    const { code, stderr } = await run('validate', '--nope', inventoryFile);
    expect(code).toBe(2);
    expect(stderr).toContain("error: unknown option '--nope'");
  });
});

describe('the examples validate', () => {
  const EXAMPLES = ['minimal', 'ha', 'multi-site'];
  const present = (name: string) =>
    existsSync(join(ROOT, 'examples', name, 'inventory.yaml')) &&
    existsSync(join(ROOT, 'examples', name, 'campaign.yaml'));

  it.each(EXAMPLES.filter(present))('examples/%s: inventory and campaign are valid', async (name) => {
    const inventory = join(ROOT, 'examples', name, 'inventory.yaml');
    const campaign = join(ROOT, 'examples', name, 'campaign.yaml');
    const { code, stdout, stderr } = await cli('validate', inventory, campaign, '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const { ok, summary } = JSON.parse(stdout) as {
      ok: boolean;
      summary: { nodes: number; nodesToUpgrade: number };
    };
    expect(ok).toBe(true);
    expect(summary.nodes).toBeGreaterThan(0);
    expect(summary.nodesToUpgrade).toBeGreaterThan(0);
  });

  // Shown as skipped (not silently passed) until another helper has written them.
  it.skip.each(EXAMPLES.filter((name) => !present(name)))('examples/%s: not written yet', () => {});
});
