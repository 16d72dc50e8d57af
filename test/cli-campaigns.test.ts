/**
 * The campaign commands of the CLI on the built-in simulator, as an operator uses them from several
 * terminals: `run` stops at an approval gate (exit 3), `approve` from another process records the
 * approval, `run` again finishes (exit 0), `status` and `logs` read the state directory, `commit`
 * ends it; a campaign that a process is running takes `pause` from another one through its inbox; a
 * paused campaign nobody runs is rolled back by `rollback` in the process that asks (exit 4). Every
 * command is a real child process working in its own state directory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/auth/index.js';
import { serve } from '../src/cli/commands/serve.js';
import { MAIN, escalator as runCli, TSX } from './support/cli.js';
import { example as serverExample } from './support/http-api.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const example = (name: string) =>
  ['inventory.yaml', 'campaign.yaml'].map((f) => join(ROOT, 'examples', name, f)) as [string, string];

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function workdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'escalator-cli-campaigns-'));
  dirs.push(d);
  return d;
}

/** Runs `escalator ...args` in `cwd` (its state directory is `cwd/.escalator`). */
const escalator = (cwd: string, ...args: string[]) => runCli(cwd, args);

describe('the multi-site example from the CLI alone', () => {
  const cwd = workdir();
  const [inventory, campaign] = example('multi-site');
  const id = 'two-sites-zed-to-antelope';

  it('run stops at the approval gate: exit 3, saying how to go on', async () => {
    const r = await escalator(cwd, 'run', inventory, campaign);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toContain(`campaign ${id}: paused (approval needed after wave 0`);
    expect(r.stdout).toContain(`escalator approve ${id}`);
  }, 120_000);

  it('status from another process shows the gate and every table', async () => {
    const r = await escalator(cwd, 'status', id);
    expect(r.code).toBe(0);
    for (const text of [
      `Campaign ${id}: paused`,
      'Waiting for approval after wave 0',
      'site    nodes  planned  upgraded',
      'module',
      'cluster',
      '(no process runs it)',
    ])
      expect(r.stdout).toContain(text);
    const json = JSON.parse((await escalator(cwd, 'status', id, '--json')).stdout) as {
      state: string;
      running: boolean;
      nodes: unknown[];
    };
    expect(json).toMatchObject({ state: 'paused', running: false });
    expect(json.nodes.length).toBe(22);
  }, 60_000);

  it('approve records the approval (audited as the local operator) and leaves the campaign paused', async () => {
    const r = await escalator(cwd, 'approve', id);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('approve: done; the campaign is paused');
    const again = await escalator(cwd, 'approve', id);
    expect(again.code).toBe(1); // the gate is passed: nothing to approve
    expect(again.stderr).toContain('"approve" is not allowed in state "paused"');
    const journal = readFileSync(join(cwd, '.escalator/journal', id, 'journal.jsonl'), 'utf8');
    expect(journal).toMatch(
      /"type":"audit"[^\n]*"principal":\{"id":"local:[^"]+","roles":\["admin"\],"via":"local"\},"action":"approve","allowed":true/,
    );
  }, 60_000);

  it('run again goes on past the gate and completes: exit 0; once more, it says it has ended', async () => {
    const r = await escalator(cwd, 'run', inventory, campaign);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Resuming campaign ${id} from its journal (paused)`);
    expect(r.stdout).toContain(`campaign ${id}: completed`);
    const again = await escalator(cwd, 'run', inventory, campaign);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`campaign ${id} has already ended: completed`);
  }, 120_000);

  it('logs prints the log file readably, one campaign at a time; commit ends it', async () => {
    const logs = await escalator(cwd, 'logs', id);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(
      /^\S+Z {2}INFO {3}two-sites-zed-to-antelope {2}- {2}campaign\.transition {2}verifying → completed$/m,
    );
    expect(logs.stdout).toMatch(/ {2}audit\.approve {2}local:\S+: /); // who approved, in the log file too
    expect((await escalator(cwd, 'logs', 'another')).stdout).toBe('');
    expect((await escalator(cwd, 'commit', id)).code).toBe(0);
    const list = await escalator(cwd, 'status');
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+committed\\s+100%`));
  }, 60_000);
});

describe('commands on campaigns', () => {
  it('precheck reads the live cloud (here the simulator) and changes nothing: a report, exit 0', async () => {
    const cwd = workdir();
    const [inventory, campaign] = example('ha');
    const r = await escalator(cwd, 'precheck', inventory, campaign);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/compute services up\s+ok/);
    expect(r.stdout).toMatch(/spare capacity for every wave\s+ok/);
    const json = JSON.parse((await escalator(cwd, 'precheck', inventory, campaign, '--json')).stdout) as {
      ok: boolean;
      checks: unknown[];
    };
    expect(json.ok).toBe(true);
    expect(json.checks.length).toBeGreaterThan(5);
    expect((await escalator(cwd, 'status')).stdout).toContain('No campaigns yet');
  }, 60_000);

  it('an unknown campaign, an unknown step: exit 1 with what is wrong', async () => {
    const cwd = workdir();
    const unknown = await escalator(cwd, 'approve', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no campaign "nope"');
    const [inventory, campaign] = example('multi-site');
    expect((await escalator(cwd, 'run', inventory, campaign)).code).toBe(3);
    const skip = await escalator(cwd, 'skip', 'two-sites-zed-to-antelope', 'w9.nothing');
    expect(skip.code).toBe(1);
    expect(skip.stderr).toContain('the plan has no step "w9.nothing"');
  }, 120_000);

  it('rollback of a paused campaign that no process runs rolls it back here: exit 4', async () => {
    const cwd = workdir();
    const [inventory, campaign] = example('multi-site');
    expect((await escalator(cwd, 'run', inventory, campaign)).code).toBe(3);
    const r = await escalator(cwd, 'rollback', 'two-sites-zed-to-antelope', '--reason', 'change refused');
    expect(r.code, r.stderr).toBe(4);
    expect(r.stdout).toContain('campaign two-sites-zed-to-antelope: rolled-back');
  }, 120_000);

  it('pause reaches a campaign another process is running, through its inbox: that run exits 3', async () => {
    const cwd = workdir();
    // Slow enough to be caught running: simulated time at 200× real time.
    writeFileSync(
      join(cwd, 'escalator.yaml'),
      'apiVersion: escalator/v1\nkind: Config\nsimulator:\n  speed: 200\n',
    );
    const [inventory, campaign] = example('ha');
    const runner = spawn(process.execPath, ['--import', TSX, MAIN, 'run', inventory, campaign], { cwd });
    let out = '';
    runner.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number>((done) => runner.on('exit', (code) => done(code ?? -1)));
    while (!out.includes('wave 0 started')) await new Promise((done) => setTimeout(done, 100));
    const status = await escalator(cwd, 'status', 'ha-zed-to-antelope');
    expect(status.stdout).toContain('(run by another process)');
    const pause = await escalator(cwd, 'pause', 'ha-zed-to-antelope', '--reason', 'end of the window');
    expect(pause.code, pause.stderr).toBe(0);
    expect(pause.stdout).toContain('pause: accepted by the process running ha-zed-to-antelope');
    expect(await exited).toBe(3);
    expect(out).toMatch(/campaign ha-zed-to-antelope: paused \(end of the window \(local:[^)]+\)\)/);
  }, 180_000);
});

describe('a campaign held by escalator serve', () => {
  it('takes approve from a terminal through its inbox, and goes on to completion', async () => {
    const cwd = workdir();
    const io = { out: () => undefined, err: () => undefined, exitCode: () => undefined, isTty: false };
    // The same state directory as the CLI's default: ./.escalator (journals in its journal/).
    const server = await serve(
      {
        listen: '127.0.0.1:0',
        journal: join(cwd, '.escalator/journal'),
        tokens: tokensFile(cwd),
        logLevel: 'error',
      },
      io,
    );
    try {
      const { inventory, campaign } = serverExample('multi-site');
      const auth = { authorization: 'Bearer admin-token', 'content-type': 'application/json' };
      const created = await fetch(`${server.url}/v1/campaigns`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ inventory, campaign }),
      });
      expect(created.status).toBe(201);
      const id = 'two-sites-zed-to-antelope';
      await fetch(`${server.url}/v1/campaigns/${id}/actions/start`, { method: 'POST', headers: auth });
      const state = async () =>
        (
          (await (await fetch(`${server.url}/v1/campaigns/${id}`, { headers: auth })).json()) as {
            state: string;
          }
        ).state;
      while ((await state()) !== 'paused') await new Promise((done) => setTimeout(done, 50));
      const approve = await escalator(cwd, 'approve', id);
      expect(approve.code, approve.stderr).toBe(0);
      expect(approve.stdout).toContain(`approve: accepted by the process running ${id}`);
      while ((await state()) !== 'completed') await new Promise((done) => setTimeout(done, 50));
      // The terminal sees the same campaign: run says it has ended.
      const [inv, camp] = example('multi-site');
      const run = await escalator(cwd, 'run', inv, camp);
      expect(run.code).toBe(0); // completed: nothing to do
      expect(run.stdout).toContain('has already ended: completed');
    } finally {
      await server.close();
    }
  }, 120_000);
});

/** A tokens file with one admin token, `admin-token`. */
function tokensFile(dir: string): string {
  const file = join(dir, 'tokens.yaml');
  writeFileSync(
    file,
    `tokens:\n  - id: admin\n    roles: [admin]\n    sha256: ${hashToken('admin-token')}\n`,
  );
  return file;
}

describe('escalator serve -c escalator.yaml', () => {
  it('listens where rest.listen says, keeps campaigns in the state directory, takes the tokens file', async () => {
    const cwd = workdir();
    writeFileSync(
      join(cwd, 'escalator.yaml'),
      [
        'apiVersion: escalator/v1',
        'kind: Config',
        'stateDirectory: ./state',
        'rest: { listen: "127.0.0.1:0", tokensFile: tokens.yaml }',
        'log: { level: warn }',
        '',
      ].join('\n'),
    );
    tokensFile(cwd);
    const server = spawn(process.execPath, ['--import', TSX, MAIN, 'serve', '-c', 'escalator.yaml'], { cwd });
    let out = '';
    let err = '';
    server.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    server.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number>((done) => server.on('exit', (code) => done(code ?? -1)));
    try {
      while (!/Escalator API on (\S+) /.test(out)) {
        if (server.exitCode !== null) throw new Error(err);
        await new Promise((done) => setTimeout(done, 50));
      }
      const url = /Escalator API on (\S+) /.exec(out)?.[1] as string;
      expect(out).toContain(`journal ${join(cwd, 'state/journal')}`);
      expect(err).not.toContain('admin token'); // the tokens file's, not a generated one
      const list = await fetch(`${url}/v1/campaigns`, { headers: { authorization: 'Bearer admin-token' } });
      expect(list.status).toBe(200);
    } finally {
      server.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 60_000);
});
