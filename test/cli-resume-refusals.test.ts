/**
 * `escalator resume --journal DIR`, run as a real child process, refuses a campaign it must not touch —
 * its lock held by a live engine elsewhere, its journal empty or cut short — with one line on stderr
 * that ends with the error's code, and exit code 1: no stack trace. `--break-lock` takes the lock over
 * and says whose it was, in the log and in the journal's audit trail.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCampaign, loadInventory } from '../src/loader/load.js';
import { simulateCampaign } from '../src/simulator/run.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = mkdtempSync(join(tmpdir(), 'escalator-resume-refusals-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let pristine = '';
let campaignId = '';

beforeAll(async () => {
  const inventory = await loadInventory(join(ROOT, 'examples/minimal/inventory.yaml'));
  const campaign = await loadCampaign(join(ROOT, 'examples/minimal/campaign.yaml'), { inventory });
  campaignId = campaign.metadata.name;
  pristine = join(root, 'pristine');
  const result = await simulateCampaign({ inventory, campaign, journal: pristine });
  expect(result.outcome.state).toBe('completed');
}, 120_000);

let copies = 0;
/** A fresh copy of the kept simulation, and the campaign's journal directory in it. */
function copy(): { dir: string; campaignDir: string } {
  const dir = join(root, `copy-${++copies}`);
  cpSync(pristine, dir, { recursive: true });
  return { dir, campaignDir: join(dir, 'journal', campaignId) };
}

async function resume(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'resume', ...args],
      { cwd: ROOT, timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A lock held by a live engine in another pod (its lease runs for another hour). */
function foreignLock(campaignDir: string): void {
  writeFileSync(
    join(campaignDir, 'lock'),
    `${JSON.stringify({
      owner: 'escalator-1@pod-7f9c',
      pid: 1,
      hostname: 'pod-7f9c',
      since: '2026-11-30T01:00:00.000Z',
      nonce: 'n-1',
      leaseMs: 30_000,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    })}\n`,
  );
}

/** Stderr as lines, and checks that it holds no stack trace. */
function errLines(stderr: string): string[] {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('EBADF');
  return stderr.split('\n').filter((l) => l !== '');
}

describe('escalator resume refusals (child process)', () => {
  it('refuses a lock held by a live engine: one line naming it, [ESC_LOCKED], exit 1', async () => {
    const { dir, campaignDir } = copy();
    foreignLock(campaignDir);
    const cloudLog = readFileSync(join(dir, 'cloud.jsonl'), 'utf8');
    const { code, stderr } = await resume('--journal', dir);
    const lines = errLines(stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^escalator: campaign "${campaignId}" is being run by escalator-1@pod-7f9c \\(pid 1 on pod-7f9c, .*\\[ESC_LOCKED\\]$`,
      ),
    );
    expect(code).toBe(1);
    expect(readFileSync(join(dir, 'cloud.jsonl'), 'utf8')).toBe(cloudLog); // nothing touched
  }, 90_000);

  it('with --break-lock takes the lock over and logs whose it was', async () => {
    const { dir, campaignDir } = copy();
    foreignLock(campaignDir);
    const { code, stderr } = await resume('--journal', dir, '--break-lock');
    const lines = errLines(stderr);
    expect(lines).toEqual([
      expect.stringMatching(
        /^escalator: took the lock of .* over from escalator-1@pod-7f9c \(pid 1 on pod-7f9c, .*\(--break-lock\)$/,
      ),
    ]);
    expect(code).toBe(0); // the kept campaign had completed
    // And the journal keeps who took the lock over, from whom.
    const audits = readFileSync(join(campaignDir, 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; principal?: { id: string }; reason?: string })
      .filter((r) => r.type === 'audit');
    expect(audits.at(-1)).toMatchObject({
      principal: { id: 'local-operator' },
      reason: expect.stringMatching(/^took over the lock of escalator-1@pod-7f9c .*\(broken\)/),
    });
  }, 90_000);

  it('refuses an empty journal rather than starting the campaign anew: [ESC_JOURNAL_CORRUPT], exit 1', async () => {
    const { dir, campaignDir } = copy();
    writeFileSync(join(campaignDir, 'journal.jsonl'), '');
    rmSync(join(campaignDir, 'tail.json'));
    const { code, stdout, stderr } = await resume('--journal', dir);
    const lines = errLines(stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^escalator: journal of campaign .* the journal is empty.*\[ESC_JOURNAL_CORRUPT\]$/,
    );
    expect(code).toBe(1);
    expect(stdout).not.toContain('prechecking');
  }, 90_000);

  it('refuses a journal whose last record was deleted: [ESC_JOURNAL_CORRUPT], exit 1', async () => {
    const { dir, campaignDir } = copy();
    const file = join(campaignDir, 'journal.jsonl');
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    writeFileSync(
      file,
      lines
        .slice(0, -1)
        .map((l) => `${l}\n`)
        .join(''),
    );
    const { code, stderr } = await resume('--journal', dir);
    const err = errLines(stderr);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/records \d+ to \d+ are missing.*\[ESC_JOURNAL_CORRUPT\]$/);
    expect(code).toBe(1);
  }, 90_000);
});
