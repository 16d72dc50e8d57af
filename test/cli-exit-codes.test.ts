/**
 * Exit codes as src/cli/exit-codes.ts documents them (usage 2; bad input, missing or unwritable file,
 * a journal directory in use or damaged 1; paused 3; rolled back 4; failed 5; 70 only for bugs), a
 * reader that closes the pipe early, and binary input refused with one line. In-process through runCli
 * with a capturing Io where that is enough; as a real child process where the process matters (pipes).
 */
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/cli/exit-codes.js';
import type { Io } from '../src/cli/io.js';
import { runCli } from '../src/cli/program.js';
import { mulberry32 } from '../src/util/random.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HA = ['examples/ha/inventory.yaml', 'examples/ha/campaign.yaml'].map((f) => join(ROOT, f));
const MINIMAL = ['examples/minimal/inventory.yaml', 'examples/minimal/campaign.yaml'].map((f) =>
  join(ROOT, f),
);

const dir = mkdtempSync(join(tmpdir(), 'escalator-exit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let code = 0;
  const io: Io = {
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
    exitCode: (c) => {
      code = Math.max(code, c);
    },
    isTty: false,
  };
  await runCli(argv, io);
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

/** Runs the real command; resolves with its exit code and output. */
async function child(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, maxBuffer: 64 * 2 ** 20 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('bad input and missing or unwritable files exit with 1, naming the file', () => {
  it('a missing --faults file', async () => {
    const r = await cli('simulate', ...MINIMAL, '--faults', join(dir, 'nope.yaml'));
    expect(r.code).toBe(ExitCode.Invalid);
    expect(r.stderr).toMatch(/nope\.yaml: cannot read the file/);
  });

  it('a --out or --report in a directory that does not exist', async () => {
    const out = await cli('plan', ...MINIMAL, '--out', join(dir, 'no-such-dir', 'plan.json'));
    expect(out.code).toBe(ExitCode.Invalid);
    expect(out.stderr).toMatch(/no-such-dir\/plan\.json: cannot write the file/);
    const report = await cli('simulate', ...MINIMAL, '--report', join(dir, 'no-such-dir', 'r.html'));
    expect(report.code).toBe(ExitCode.Invalid);
    expect(report.stderr).toMatch(/no-such-dir\/r\.html: cannot write the file/);
  });

  it('a fault whose target the inventory does not have, or that could never strike', async () => {
    const node = await cli('simulate', ...HA, '--fault', 'upgrade-fails:nosuch-node');
    expect(node.code).toBe(ExitCode.Invalid);
    expect(node.stderr).toMatch(/--fault upgrade-fails:nosuch-node node: unknown node "nosuch-node"/);
    const vnf = await cli('simulate', ...HA, '--fault', 'vnfm-nack:vFW');
    expect(vnf.code).toBe(ExitCode.Invalid);
    expect(vnf.stderr).toMatch(/VNF "vFW" has no manager to ask/);
    const file = join(dir, 'faults.yaml');
    writeFileSync(file, 'faults:\n  - { kind: migration-fails, instance: vm-nope }\n');
    const scenario = await cli('simulate', ...HA, '--faults', file);
    expect(scenario.code).toBe(ExitCode.Invalid);
    expect(scenario.stderr).toMatch(/faults\.yaml:2:\d+ faults\[0\]\.instance: unknown instance "vm-nope"/);
  });

  it('a journal directory that already holds a simulation, or none to resume', async () => {
    const journal = join(dir, 'in-use');
    expect((await cli('simulate', ...MINIMAL, '--journal', journal)).code).toBe(ExitCode.Ok);
    const again = await cli('simulate', ...MINIMAL, '--journal', journal);
    expect(again.code).toBe(ExitCode.Invalid);
    expect(again.stderr).toMatch(/already holds a simulation: resume it/);
    const none = await cli('resume', '--journal', join(dir, 'empty'));
    expect(none.code).toBe(ExitCode.Invalid);
    expect(none.stderr).toMatch(/holds no simulation/);
  });

  it('a torn journal: 1, with the repair hint; --repair then finishes it', async () => {
    const journal = join(dir, 'torn');
    expect(
      (await cli('simulate', ...MINIMAL, '--journal', journal, '--fault', 'upgrade-fails:cmp-1')).code,
    ).toBe(ExitCode.Paused);
    appendFileSync(join(journal, 'journal', 'computes-to-antelope', 'journal.jsonl'), '{"seq":99,"ty');
    const r = await cli('resume', '--journal', journal);
    expect(r.code).toBe(ExitCode.Invalid);
    expect(r.stderr).toMatch(/truncated last record.*repair/s);
    // With --repair the torn record is dropped and the campaign finishes.
    expect((await cli('resume', '--journal', journal, '--repair')).code).toBe(ExitCode.Ok);
  });
});

describe('usage errors exit with 2', () => {
  it('--speed 0, an unknown option', async () => {
    const speed = await cli('simulate', ...MINIMAL, '--speed', '0');
    expect(speed.code).toBe(ExitCode.Usage);
    expect(speed.stderr).toMatch(/--speed expects a number above 0/);
    expect((await cli('plan', ...MINIMAL, '--no-such-flag')).code).toBe(ExitCode.Usage);
  });
});

describe('resume', () => {
  it('a paused campaign whose one-shot fault struck: exit 3, then the resume completes: exit 0', async () => {
    const journal = join(dir, 'one-shot');
    const first = await cli('simulate', ...MINIMAL, '--journal', journal, '--fault', 'upgrade-fails:cmp-1');
    expect(first.code).toBe(ExitCode.Paused);
    const resumed = await cli('resume', '--journal', journal);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(ExitCode.Ok);
  });

  it('a completed campaign: exit 0, saying there was nothing to resume', async () => {
    const journal = join(dir, 'done');
    expect((await cli('simulate', ...MINIMAL, '--journal', journal)).code).toBe(ExitCode.Ok);
    const again = await cli('resume', '--journal', journal);
    expect(again.code).toBe(ExitCode.Ok);
    expect(again.stdout).toMatch(/had already ended \(completed\): nothing to resume/);
  });
});

describe('the real process', () => {
  it.each([
    ['plan', ['plan', ...HA, '--format', 'json']],
    ['simulate', ['simulate', ...HA]],
  ])('%s into a reader that closes the pipe after the first chunk ends quietly, exit 0', async (_, args) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    proc.stdout.once('data', () => proc.stdout.destroy()); // as `| head -c 1` does
    const code = await new Promise<number | null>((done) => proc.on('close', done));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });

  it('validating an 11 MB random binary file: exit 1, one short line naming the file', async () => {
    const file = join(dir, 'random.bin');
    const random = mulberry32(7);
    const bytes = Buffer.alloc(11 * 2 ** 20);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
    writeFileSync(file, bytes);
    const r = await child('validate', file);
    expect(r.code).toBe(ExitCode.Invalid);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/random\.bin:1:\d+ \(document\): not a YAML or JSON text: binary content/);
    expect(lines[0]?.length).toBeLessThan(300);
    expect(readFileSync(file).length).toBe(11 * 2 ** 20);
  });
});
