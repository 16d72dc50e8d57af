/**
 * Crash safety of the campaign engine. A child process (test/support/crash-child.ts) runs a campaign on
 * the real clock with a file store and a fake cloud persisted to disk; it is killed with SIGKILL at
 * seeded random moments and restarted (resuming from its journal) until the campaign completes. Every
 * effect that must happen once happened exactly once, and the journal reads back and replays.
 *
 * Also: a damaged or truncated journal is refused with JournalCorruptError, and a second engine cannot
 * open a campaign another engine holds (LockedError).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoleAuthorizer } from '../src/auth/role-authorizer.js';
import { createVirtualClock } from '../src/clock/virtual-clock.js';
import { createEngine, type Engine } from '../src/engine/engine.js';
import { replay } from '../src/engine/journal.js';
import { JournalCorruptError, LockedError } from '../src/errors.js';
import { loadCampaign, loadInventory } from '../src/loader/load.js';
import type { Campaign } from '../src/model/campaign.js';
import type { Inventory } from '../src/model/inventory.js';
import type { Plan } from '../src/model/plan.js';
import { createPlan } from '../src/planner/create-plan.js';
import type { JournalEntry, StateStore } from '../src/ports/state-store.js';
import { createFileStore } from '../src/stores/file-store.js';
import { createMemoryStore } from '../src/stores/memory-store.js';
import { dyingStore } from './support/dying-store.js';
import { FakeCloud, type FakeState } from './support/fake-cloud.js';
import { withoutCooldowns } from './support/without-cooldowns.js';

const EXAMPLE = 'minimal';
const TRIALS = 50;
const admin = { id: 'ada', roles: ['admin'] };

/** A small seeded PRNG (mulberry32): the same seed gives the same kill times. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RunResult {
  /** How the child ended. */
  readonly exit: 'killed' | 'done';
  /** Its last `done` state, when it finished. */
  readonly state?: string | undefined;
  /** A journal error it reported instead of running. */
  readonly error?: { readonly error: string; readonly message: string } | undefined;
  /** Milliseconds from `ready` to `done`. */
  readonly runMs?: number | undefined;
}

/** Runs the child once; kills it `killAfterMs` after it said `ready` (never, when undefined). */
function runChild(dir: string, seed: number, killAfterMs?: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/crash-child.ts', dir, String(seed)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let readyAt: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    let killed = false;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (readyAt === undefined && stdout.includes('"ready"')) {
        readyAt = performance.now();
        if (killAfterMs !== undefined)
          timer = setTimeout(() => {
            killed = child.kill('SIGKILL');
          }, killAfterMs);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    // 'close': the process is reaped (its lock's pid is gone) and its output is read.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const messages = stdout
        .split('\n')
        .filter((l) => l.startsWith('{') && l.endsWith('}'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const done = messages.find((m) => 'done' in m);
      const error = messages.find((m) => 'error' in m);
      if (signal === 'SIGKILL' && killed && !done) return resolve({ exit: 'killed' });
      if (error) return resolve({ exit: 'done', error: error as unknown as RunResult['error'] });
      if ((code !== 0 && !(killed && signal === 'SIGKILL')) || !done)
        return reject(new Error(`crash child ${seed} exited with ${code ?? signal}:\n${stderr}\n${stdout}`));
      resolve({
        exit: 'done',
        state: String(done['done']),
        runMs: readyAt === undefined ? undefined : performance.now() - readyAt,
      });
    });
  });
}

/** Runs `tasks` with at most `limit` at once. */
async function pool<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]!();
      }
    }),
  );
  return out;
}

/**
 * Steps a kill left running, seen in the journal: at each `resume` audit record, the steps then
 * running; `done` when the next record of the step is `succeed` (the engine asked `isDone` and did not
 * redo it), `redone` when it is `recheck` (not done yet: run again).
 */
function interruptedSteps(entries: readonly JournalEntry[]): { done: number; redone: number } {
  const running = new Set<string>();
  const waiting = new Set<string>();
  let done = 0;
  let redone = 0;
  for (const r of entries) {
    if (r.type === 'audit' && r['action'] === 'resume') for (const s of running) waiting.add(s);
    if (r.type !== 'step') continue;
    const step = String(r['step']);
    if (waiting.delete(step)) {
      if (r['event'] === 'succeed') done++;
      else if (r['event'] === 'recheck') redone++;
    }
    if (r['to'] === 'running') running.add(step);
    else running.delete(step);
  }
  return { done, redone };
}

/** Counts of each string. */
function tally(items: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const i of items) out.set(i, (out.get(i) ?? 0) + 1);
  return out;
}

/** The effects the plan says must happen exactly once. */
function onceEffects(plan: Plan): { install: string[]; migrate: string[]; reboot: string[] } {
  const steps = plan.waves.flatMap((w) => w.steps);
  return {
    install: steps
      .filter((s) => s.kind === 'upgrade-packages')
      .map(
        (s) =>
          `install:${s.node}:${Object.entries(s.software ?? {})
            .map(([c, v]) => `${c}=${v}`)
            .join(',')}`,
      ),
    migrate: plan.waves.flatMap((w) => w.migrations.map((m) => `migrate:${m.instance}:${m.to}`)),
    reboot: steps.filter((s) => s.kind === 'reboot').map((s) => `reboot:${s.node}`),
  };
}

let inventory: Inventory;
let campaign: Campaign;
let plan: Plan;
const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
/** A directory for a crash child, with the documents it runs. */
function childDir(prefix: string): string {
  const dir = tempDir(prefix);
  writeFileSync(join(dir, 'documents.json'), JSON.stringify({ inventory, campaign }));
  return dir;
}

beforeAll(async () => {
  inventory = withoutCooldowns(await loadInventory(`examples/${EXAMPLE}/inventory.yaml`));
  campaign = await loadCampaign(`examples/${EXAMPLE}/campaign.yaml`, { inventory });
  plan = createPlan(inventory, campaign);
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('killed at random moments and resumed', () => {
  it(`completes with every effect exactly once (${TRIALS} seeded trials)`, { timeout: 900_000 }, async () => {
    const expected = onceEffects(plan);
    expect(expected.install.length).toBeGreaterThan(0);
    expect(expected.migrate.length).toBeGreaterThan(0);
    expect(expected.reboot.length).toBeGreaterThan(0);

    // An uninterrupted run, to know how long a campaign takes here: kills are spread over that window.
    const calibration = await runChild(childDir('escalator-crash-cal-'), 0);
    expect(calibration.state).toBe('completed');
    const window = Math.min(5000, Math.max(100, (calibration.runMs ?? 1000) * 1.2));

    const trials = Array.from({ length: TRIALS }, (_, i) => async () => {
      const seed = 1000 + i;
      const random = prng(seed);
      const dir = childDir(`escalator-crash-${seed}-`);
      const kills = i % 5 === 4 ? 2 : 1; // every fifth trial is killed again while it recovers
      const log: string[] = [];
      let repaired = 0;
      for (let run = 0; run < 20; run++) {
        const killAfter = run < kills ? Math.floor(random() * window) : undefined;
        const result = await runChild(dir, seed, killAfter);
        log.push(
          result.exit === 'killed' ? `killed@${killAfter}` : `done:${result.state ?? result.error?.error}`,
        );
        if (result.error?.error === 'ESC_JOURNAL_CORRUPT') {
          // Only what a kill leaves may be repaired — a record torn mid-write, or a journal file made
          // before its first record was — and it must have been reported, not accepted.
          expect(result.error.message, `seed ${seed}`).toMatch(/truncated last record|holds no record/);
          repaired += await createFileStore({ directory: dir }).repair(campaign.metadata.name);
          continue;
        }
        expect(result.error, `seed ${seed}`).toBeUndefined();
        if (result.state === 'completed' && run >= kills) break;
        if (result.exit === 'done') expect(result.state, `seed ${seed}: ${log.join(' ')}`).toBe('completed');
      }
      return { seed, dir, log, repaired };
    });
    const results = await pool(trials, Math.max(2, Math.min(4, availableParallelism())));

    let killedMidRun = 0;
    const interrupted = { done: 0, redone: 0 };
    for (const { seed, dir, log } of results) {
      const why = `seed ${seed}: ${log.join(' ')}`;
      expect(log.at(-1), why).toBe('done:completed');
      if (log.some((l) => l.startsWith('killed'))) killedMidRun++;

      const cloud = JSON.parse(readFileSync(join(dir, 'cloud.json'), 'utf8')) as FakeState;
      const effects = cloud.effects;
      const count = tally(effects);
      for (const e of expected.install) expect(count.get(e), `${why}: ${e}`).toBe(1);
      for (const e of expected.reboot) expect(count.get(e), `${why}: ${e}`).toBe(1);
      // Migrations as a multiset: an instance may move twice in a plan, each planned move happens once.
      expect(tally(effects.filter((e) => e.startsWith('migrate:'))), why).toEqual(tally(expected.migrate));
      expect(effects.filter((e) => e.startsWith('install:')).sort(), why).toEqual(
        [...expected.install].sort(),
      );
      expect(effects.filter((e) => e.startsWith('reboot:')).sort(), why).toEqual([...expected.reboot].sort());
      // And the cloud ends where the plan says.
      for (const w of plan.waves) for (const m of w.migrations) expect(cloud.hosts[m.instance]).toBeDefined();
      for (const node of plan.waves.flatMap((w) => w.nodes))
        for (const [c, v] of Object.entries(campaign.target.software))
          if (inventory.nodes.find((n) => n.name === node)?.software[c] !== undefined)
            expect(cloud.versions[node]?.[c], `${why}: ${node} ${c}`).toBe(v);
      expect(
        Object.values(cloud.services).every((s) => s.status === 'enabled'),
        why,
      ).toBe(true);

      const entries = await createFileStore({ directory: dir }).read(campaign.metadata.name);
      const state = replay(campaign.metadata.name, entries);
      const found = interruptedSteps(entries);
      interrupted.done += found.done;
      interrupted.redone += found.redone;
      expect(state.state, why).toBe('completed');
      for (const [id, s] of Object.entries(state.steps)) expect(s.state, `${why}: ${id}`).toBe('succeeded');
      expect(Object.keys(state.steps)).toHaveLength(plan.waves.reduce((n, w) => n + w.steps.length, 0));
    }
    // The kills did land while the campaign ran, and left steps running that the resumed engine then
    // found done (isDone: not redone) or not yet done (recheck: run again). Real timing decides how many.
    expect(killedMidRun).toBeGreaterThanOrEqual(TRIALS / 4);
    expect(interrupted.done + interrupted.redone).toBeGreaterThan(0);
    console.info(
      `crash trials: ${TRIALS}, killed mid-run: ${killedMidRun}, steps left running: ` +
        `${interrupted.done} found done, ${interrupted.redone} run again; torn records repaired: ` +
        `${results.reduce((n, r) => n + r.repaired, 0)} bytes`,
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Damaged journals and locks

/** A completed campaign's journal, written to a file store in a fresh directory. */
async function journalOnDisk(): Promise<{ dir: string; id: string; lines: number }> {
  const clock = createVirtualClock({ autoAdvance: true });
  const cloud = new FakeCloud(inventory, { clock });
  const memory = createMemoryStore();
  const engine = createEngine({
    adapters: { vim: cloud.vim, nodes: cloud.nodes, vnfm: cloud.vnfm },
    store: memory,
    authorizer: createRoleAuthorizer(),
    clock,
  });
  expect((await engine.start(admin, { inventory, campaign })).state).toBe('completed');
  await engine.close();
  const id = campaign.metadata.name;
  const entries = await memory.read(id);
  const dir = tempDir('escalator-journal-');
  const store = createFileStore({ directory: dir });
  await store.append(id, entries);
  await store.close();
  return { dir, id, lines: entries.length };
}

function newEngine(store: StateStore): Engine {
  const clock = createVirtualClock({ autoAdvance: true });
  const cloud = new FakeCloud(inventory, { clock });
  return createEngine({
    adapters: { vim: cloud.vim, nodes: cloud.nodes },
    store,
    authorizer: createRoleAuthorizer(),
    clock,
  });
}

async function openError(dir: string, id: string): Promise<unknown> {
  const engine = newEngine(createFileStore({ directory: dir }));
  return engine.open(id).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('damaged journals', () => {
  it('an intact journal opens and replays to completed', async () => {
    const { dir, id, lines } = await journalOnDisk();
    const engine = newEngine(createFileStore({ directory: dir }));
    const snapshot = await engine.open(id);
    expect(snapshot.state).toBe('completed');
    expect(snapshot.seq).toBe(lines);
    await engine.close();
  });

  it('a flipped byte in a middle line makes open reject with JournalCorruptError', async () => {
    const { dir, id, lines } = await journalOnDisk();
    const file = join(dir, id, 'journal.jsonl');
    const text = readFileSync(file, 'utf8').split('\n');
    const middle = Math.floor(lines / 2);
    const line = text[middle]!;
    // Flip one letter of the record (a field value, not its structure) to another letter.
    const at = line.indexOf('"type":"') + 8;
    const flipped = line.slice(0, at) + (line[at] === 'x' ? 'y' : 'x') + line.slice(at + 1);
    text[middle] = flipped;
    writeFileSync(file, text.join('\n'));

    const error = await openError(dir, id);
    expect(error).toBeInstanceOf(JournalCorruptError);
    expect(error).toMatchObject({ code: 'ESC_JOURNAL_CORRUPT', campaign: id, line: middle + 1 });
    expect((error as Error).message).toContain('checksum mismatch');
    // The failed open released its lock: a second try gets the same answer, not LockedError.
    expect(await openError(dir, id)).toBeInstanceOf(JournalCorruptError);
  });

  it('a flipped byte in a checksum is caught too', async () => {
    const { dir, id, lines } = await journalOnDisk();
    const file = join(dir, id, 'journal.jsonl');
    const text = readFileSync(file, 'utf8').split('\n');
    const middle = Math.floor(lines / 3);
    const line = text[middle]!;
    const at = line.lastIndexOf('"h":"') + 10;
    text[middle] = line.slice(0, at) + (line[at] === '0' ? '1' : '0') + line.slice(at + 1);
    writeFileSync(file, text.join('\n'));
    expect(await openError(dir, id)).toMatchObject({ code: 'ESC_JOURNAL_CORRUPT' });
  });

  it('a lost line is reported', async () => {
    const { dir, id, lines } = await journalOnDisk();
    const file = join(dir, id, 'journal.jsonl');
    const text = readFileSync(file, 'utf8').split('\n');
    text.splice(Math.floor(lines / 2), 1);
    writeFileSync(file, text.join('\n'));
    const error = await openError(dir, id);
    expect(error).toBeInstanceOf(JournalCorruptError);
    expect((error as Error).message).toContain('sequence gap');
  });

  it('a truncated last line is reported, never silently accepted; repair drops it on request', async () => {
    const { dir, id, lines } = await journalOnDisk();
    const file = join(dir, id, 'journal.jsonl');
    const text = readFileSync(file, 'utf8');
    // Cut the last record in the middle (no newline): what a crash while writing leaves. The end mark
    // (tail.json) is written after a record is durable, so it still names the record before.
    const lastStart = text.lastIndexOf('\n', text.length - 2) + 1;
    writeFileSync(file, text.slice(0, lastStart + Math.floor((text.length - lastStart) / 2)));
    const before = JSON.parse(
      text
        .slice(0, lastStart - 1)
        .split('\n')
        .at(-1)!,
    ) as { seq: number; h: string };
    writeFileSync(join(dir, id, 'tail.json'), JSON.stringify({ seq: before.seq, h: before.h }));

    const error = await openError(dir, id);
    expect(error).toBeInstanceOf(JournalCorruptError);
    expect(error).toMatchObject({ code: 'ESC_JOURNAL_CORRUPT', line: lines });
    expect((error as Error).message).toContain('truncated');
    await expect(createFileStore({ directory: dir }).read(id)).rejects.toBeInstanceOf(JournalCorruptError);

    // Only an explicit repair drops it; the campaign then opens one record short.
    expect(await createFileStore({ directory: dir }).repair(id)).toBeGreaterThan(0);
    const engine = newEngine(createFileStore({ directory: dir }));
    const snapshot = await engine.open(id);
    expect(snapshot.seq).toBe(lines - 1);
    await engine.close();
  });

  it('a journal cut exactly at a line end is detected by its end mark, not replayed as a shorter one', async () => {
    const { dir, id, lines } = await journalOnDisk();
    const file = join(dir, id, 'journal.jsonl');
    const text = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, `${text.slice(0, 10).join('\n')}\n`);
    const error = await openError(dir, id);
    expect(error).toBeInstanceOf(JournalCorruptError);
    expect(error).toMatchObject({ code: 'ESC_JOURNAL_CORRUPT', line: 11 });
    expect((error as Error).message).toContain(`records 11 to ${lines} are missing`);
  });

  it('a journal whose last record was deleted is detected (the record count is kept outside the chain)', async () => {
    const { dir, id, lines } = await journalOnDisk();
    const file = join(dir, id, 'journal.jsonl');
    const text = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, `${text.slice(0, lines - 1).join('\n')}\n`);
    expect(await openError(dir, id)).toMatchObject({ code: 'ESC_JOURNAL_CORRUPT', line: lines });
  });

  it('an empty journal file is refused, not taken for a new campaign', async () => {
    const { dir, id } = await journalOnDisk();
    writeFileSync(join(dir, id, 'journal.jsonl'), '');
    rmSync(join(dir, id, 'tail.json'));
    const error = await openError(dir, id);
    expect(error).toMatchObject({ code: 'ESC_JOURNAL_CORRUPT' });
    expect((error as Error).message).toContain('the journal is empty');
  });
});

describe('locks', () => {
  it('a second engine cannot open a campaign the first one holds (LockedError)', async () => {
    const { dir, id } = await journalOnDisk();
    const first = newEngine(createFileStore({ directory: dir }));
    await first.open(id);
    const copy = tempDir('escalator-journal-copy-');
    cpSync(dir, copy, { recursive: true });

    const second = newEngine(createFileStore({ directory: dir }));
    const error = await second.open(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect(error).toMatchObject({ code: 'ESC_LOCKED', campaign: id });
    await expect(second.start(admin, { inventory, campaign })).rejects.toMatchObject({ code: 'ESC_LOCKED' });

    // Once the first lets go, the second may open it.
    await first.close();
    expect((await second.open(id)).state).toBe('completed');
    await second.close();
  });

  it('two engines on one memory store exclude each other too', async () => {
    const store = createMemoryStore();
    const clock = createVirtualClock({ autoAdvance: true });
    const cloud = new FakeCloud(inventory, { clock });
    const make = () =>
      createEngine({
        adapters: { vim: cloud.vim, nodes: cloud.nodes },
        store,
        authorizer: createRoleAuthorizer(),
        clock,
      });
    const first = make();
    const campaignApproval = { ...campaign, strategy: { ...campaign.strategy, approveAfterWaves: [0] } };
    expect((await first.start(admin, { inventory, campaign: campaignApproval })).state).toBe('paused');
    const second = make();
    await expect(second.open(campaign.metadata.name)).rejects.toMatchObject({ code: 'ESC_LOCKED' });
    await first.close();
    expect((await second.open(campaign.metadata.name)).state).toBe('paused');
    expect((await second.approve(admin)).state).toBe('completed');
    await second.close();
  });
});

// ---------------------------------------------------------------------------------------------------
// Deterministic crashes: the journal's store dies at a chosen record, a new engine resumes.

const stepRecord = (step: string, event: string) => (e: JournalEntry) =>
  e.type === 'step' && e['step'] === step && e['event'] === event;

describe('a crash at a chosen record, then resume', () => {
  const cases: [string, string, string, (cloud: FakeCloud) => void, string, number][] = [
    // [step, the record the process dies writing, effect, fault before, next event after resume, effects]
    [
      'w0.cmp-1.upgrade-packages',
      'succeed',
      'install:cmp-1:nova-compute=27.1.0,kernel=6.1.0-21-amd64',
      () => {},
      'succeed',
      1,
    ],
    ['w0.cmp-1.reboot', 'succeed', 'reboot:cmp-1', () => {}, 'succeed', 1],
    ['w0.migrate.db-1', 'succeed', 'migrate:db-1:cmp-2', () => {}, 'succeed', 1],
    ['w0.cmp-1.disable-compute', 'succeed', 'disable:cmp-1', () => {}, 'succeed', 1],
    ['w0.cmp-1.backup', 'succeed', 'backup:cmp-1:w0.cmp-1.backup', () => {}, 'succeed', 1],
    // Died before the effect (the call failed, and the failure was never recorded): done once on resume.
    [
      'w0.cmp-1.upgrade-packages',
      'fail',
      'install:cmp-1:nova-compute=27.1.0,kernel=6.1.0-21-amd64',
      (cloud) => cloud.faults.set('installVersions:cmp-1', ['permanent']),
      'recheck',
      1,
    ],
    [
      'w0.cmp-1.reboot',
      'fail',
      'reboot:cmp-1',
      (cloud) => cloud.faults.set('reboot:cmp-1', ['permanent']),
      'recheck',
      1,
    ],
  ];

  it.each(cases)(
    '%s, dying at its "%s" record: %s happens once',
    async (step, dieAt, effect, fault, next, times) => {
      const clock = createVirtualClock({ autoAdvance: true });
      const cloud = new FakeCloud(inventory, { clock });
      fault(cloud);
      const memory = createMemoryStore();
      const make = (store: StateStore) =>
        createEngine({
          adapters: { vim: cloud.vim, nodes: cloud.nodes, vnfm: cloud.vnfm },
          store,
          authorizer: createRoleAuthorizer(),
          clock,
        });
      const first = make(dyingStore(memory, stepRecord(step, dieAt)));
      await expect(first.start(admin, { inventory, campaign })).rejects.toThrow('the process died');
      await first.close();
      const before = await memory.read(campaign.metadata.name);
      expect(replay(campaign.metadata.name, before).steps[step]?.state).toBe('running');
      expect(cloud.count(effect)).toBe(dieAt === 'succeed' ? 1 : 0);

      const second = make(memory);
      expect((await second.open(campaign.metadata.name)).steps[step]?.state).toBe('running');
      expect((await second.resume(admin)).state).toBe('completed');
      expect(cloud.count(effect)).toBe(times);
      const after = (await memory.read(campaign.metadata.name)).slice(before.length);
      expect(after.find((e) => e.type === 'step' && e['step'] === step)?.['event']).toBe(next);
      for (const [id, s] of Object.entries(second.snapshot().steps)) expect(s.state, id).toBe('succeeded');
      await second.close();
    },
  );
});
