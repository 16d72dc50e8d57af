/** The virtual clock (timer order, advance, abort, auto-advance) and the system clock's abort. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createVirtualClock, systemClock } from '../src/clock/index.js';
import { ErrorCode, EscalatorError } from '../src/errors.js';

const START = Date.UTC(2026, 0, 1);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('virtual clock', () => {
  it('starts at the given time and does not move by itself', async () => {
    const clock = createVirtualClock({ start: 1_000 });
    expect(clock.now()).toBe(1_000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clock.now()).toBe(1_000);
    expect(createVirtualClock().now()).toBe(START);
  });

  it('fires due timers in time order, equal times in registration order, moving now to each', async () => {
    const clock = createVirtualClock({ start: 0 });
    const fired: string[] = [];
    const track = (name: string, ms: number) =>
      clock.sleep(ms).then(() => {
        fired.push(`${name}@${clock.now()}`);
      });
    const all = [track('c', 300), track('a', 100), track('b1', 200), track('b2', 200), track('late', 1_000)];
    expect(clock.pending).toBe(5);
    await clock.advance(250);
    expect(fired).toEqual(['a@100', 'b1@200', 'b2@200']);
    expect(clock.now()).toBe(250);
    expect(clock.pending).toBe(2);
    await clock.advance(750);
    expect(fired).toEqual(['a@100', 'b1@200', 'b2@200', 'c@300', 'late@1000']);
    expect(clock.pending).toBe(0);
    await Promise.all(all);
  });

  it('lets woken code run and fires the timers it registers when they fall within the advance', async () => {
    const clock = createVirtualClock({ start: 0 });
    const times: number[] = [];
    const chain = (async () => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(10);
        await Promise.resolve(); // a few microtasks between wake-up and the next sleep
        await Promise.resolve();
        times.push(clock.now());
      }
    })();
    await clock.advance(35);
    expect(times).toEqual([10, 20, 30]);
    expect(clock.now()).toBe(35);
    await clock.advanceTo(100);
    expect(times).toEqual([10, 20, 30, 40, 50]);
    await chain;
  });

  it('refuses to go back in time', async () => {
    const clock = createVirtualClock({ start: 500 });
    await expect(clock.advanceTo(400)).rejects.toThrow(/never goes back/);
    await expect(clock.advance(-1)).rejects.toSatisfy(
      (e) => EscalatorError.is(e) && e.code === ErrorCode.InvalidOption,
    );
  });

  it('rejects an aborted sleep with the signal reason and forgets its timer', async () => {
    const clock = createVirtualClock({ start: 0 });
    const controller = new AbortController();
    const sleeping = clock.sleep(1_000, controller.signal);
    const other = clock.sleep(2_000);
    expect(clock.pending).toBe(2);
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    expect(clock.pending).toBe(1);
    await expect(clock.sleep(5, AbortSignal.abort('already'))).rejects.toBe('already');
    expect(clock.pending).toBe(1);
    await clock.advance(2_000);
    await other;
  });

  it('resolves sleep(0) on the next turn without moving time', async () => {
    const clock = createVirtualClock({ start: 0 });
    let done = false;
    const zero = clock.sleep(0).then(() => {
      done = true;
    });
    expect(clock.pending).toBe(0);
    await Promise.resolve();
    expect(done).toBe(false);
    await zero;
    expect(done).toBe(true);
    expect(clock.now()).toBe(0);
  });

  it('runAll fires everything, including what the fired timers schedule, and stops endless chains', async () => {
    const clock = createVirtualClock({ start: 0 });
    let count = 0;
    void (async () => {
      for (let i = 0; i < 4; i++) {
        await clock.sleep(1_000);
        count++;
      }
    })();
    expect(await clock.runAll()).toBe(4);
    expect(count).toBe(4);
    expect(clock.now()).toBe(4_000);

    const endless = createVirtualClock({ start: 0 });
    const controller = new AbortController();
    const forever = (async () => {
      for (;;) await endless.sleep(1, controller.signal);
    })();
    await expect(endless.runAll(50)).rejects.toThrow(/50 timers fired/);
    controller.abort(new Error('done'));
    await expect(forever).rejects.toThrow('done');
  });

  it('with autoAdvance, runs an hour-long chain of sleeps to the end without anyone advancing it', async () => {
    const clock = createVirtualClock({ start: START, autoAdvance: true });
    let steps = 0;
    for (let elapsed = 0; elapsed < 3_600_000; elapsed += 5_000) {
      await clock.sleep(5_000);
      steps++;
    }
    expect(steps).toBe(720);
    expect(clock.now()).toBe(START + 3_600_000);
    expect(clock.pending).toBe(0);
  });

  it('with autoAdvance, fires concurrent sleepers in time order', async () => {
    const clock = createVirtualClock({ start: 0, autoAdvance: true });
    const order: string[] = [];
    await Promise.all([
      clock.sleep(30_000).then(() => order.push(`timeout@${clock.now()}`)),
      (async () => {
        await clock.sleep(10_000);
        order.push(`poll1@${clock.now()}`);
        await clock.sleep(10_000);
        order.push(`poll2@${clock.now()}`);
      })(),
    ]);
    expect(order).toEqual(['poll1@10000', 'poll2@20000', 'timeout@30000']);
  });

  it('with autoAdvance, does not jump while the program is busy', async () => {
    const clock = createVirtualClock({ start: 0, autoAdvance: true });
    const timeout = clock.sleep(60_000);
    // Busy: new timers keep being registered and fired by a chain of sleep(0).
    for (let i = 0; i < 50; i++) await clock.sleep(0);
    expect(clock.now()).toBe(0);
    await timeout;
    expect(clock.now()).toBe(60_000);
  });

  it('with autoAdvance and a speed, waits real time in proportion', async () => {
    const clock = createVirtualClock({ start: 0, autoAdvance: true, speed: 1_000 });
    const began = performance.now();
    await clock.sleep(50_000); // 50 s of virtual time at 1000x: about 50 ms of real time
    expect(clock.now()).toBe(50_000);
    expect(performance.now() - began).toBeGreaterThanOrEqual(40);
  });

  it('with autoAdvance, does not jump while held real I/O is in flight', async () => {
    // A step sleeps, then awaits a real file write (as a journal append is) before its next sleep;
    // meanwhile another step's timer is pending. Unheld, the clock would see "idle" during the write
    // and jump to the other timer first, so the step would end at 5000 + 10 instead of 1000 + 10.
    const dir = mkdtempSync(join(tmpdir(), 'escalator-clock-'));
    try {
      const clock = createVirtualClock({ start: 0, autoAdvance: true });
      const order: string[] = [];
      await Promise.all([
        clock.sleep(5_000).then(() => order.push(`other@${clock.now()}`)),
        (async () => {
          await clock.sleep(1_000);
          for (let i = 0; i < 20; i++)
            await clock.hold(writeFile(join(dir, 'journal.jsonl'), `record ${i}\n`, { flag: 'a' }));
          await clock.sleep(10);
          order.push(`step@${clock.now()}`);
        })(),
      ]);
      expect(order).toEqual(['step@1010', 'other@5000']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hold passes the value or the error of the work through', async () => {
    const clock = createVirtualClock({ start: 0, autoAdvance: true });
    await expect(clock.hold(Promise.resolve(42))).resolves.toBe(42);
    await expect(clock.hold(Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
    // Released after the error too: a timer still fires by itself.
    await clock.sleep(1_000);
    expect(clock.now()).toBe(1_000);
  });

  it('with a speed, a timer registered while it waits for a distant one is not held up behind it', async () => {
    // A distant timeout (about 11 real days away at this speed) is pending when a near timer comes:
    // the clock must look again at once, not finish waiting for the distant one first.
    const clock = createVirtualClock({ start: 0, autoAdvance: true, speed: 1_000 });
    const abort = new AbortController();
    const distant = clock.sleep(1_000_000_000, abort.signal).catch(() => 'aborted');
    await new Promise((resolve) => setTimeout(resolve, 20)); // the clock is now waiting for it
    await clock.sleep(100);
    expect(clock.now()).toBe(100);
    expect(clock.pending).toBe(1);
    abort.abort();
    await expect(distant).resolves.toBe('aborted');
  });

  it('with a speed, an aborted distant timer does not keep the process alive', {
    timeout: 30_000,
  }, async () => {
    // The clock waits (for real) to pace a timer 11 days away at this speed; aborting the timer must
    // end that wait, or the process would not exit.
    const script = `
      import { createVirtualClock } from './src/clock/virtual-clock.ts';
      const clock = createVirtualClock({ start: 0, autoAdvance: true, speed: 1000 });
      const abort = new AbortController();
      clock.sleep(1e9, abort.signal).catch(() => console.log('aborted'));
      setTimeout(() => abort.abort(), 20);`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: ROOT, timeout: 20_000 }, // killed, not left behind, if it hangs
    );
    expect(stdout.trim()).toBe('aborted');
  });

  it('with a speed, moves virtual time from timer to timer exactly as without one', async () => {
    const trace = async (speed: number | undefined): Promise<number[]> => {
      const clock = createVirtualClock({ start: 0, autoAdvance: true, speed });
      const times: number[] = [];
      await Promise.all(
        [700, 300, 1_100].map(async (period) => {
          for (let i = 0; i < 4; i++) {
            await clock.sleep(period);
            times.push(clock.now());
          }
        }),
      );
      return times;
    };
    const fast = await trace(undefined);
    expect(fast).toEqual([300, 600, 700, 900, 1_100, 1_200, 1_400, 2_100, 2_200, 2_800, 3_300, 4_400]);
    expect(await trace(100_000)).toEqual(fast);
  });

  it('checks its options', () => {
    expect(() => createVirtualClock({ speed: 0 })).toThrow(/speed must be a number above 0/);
    expect(() => createVirtualClock({ start: Number.NaN })).toThrow(/start must be a finite time/);
  });
});

describe('system clock', () => {
  it('sleeps for real and rejects with the reason when aborted', async () => {
    const before = systemClock.now();
    await systemClock.sleep(20);
    expect(systemClock.now() - before).toBeGreaterThanOrEqual(15);
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(sleeping).rejects.toThrow('cancelled');
    await expect(systemClock.sleep(10, AbortSignal.abort('no'))).rejects.toBe('no');
  });
});
