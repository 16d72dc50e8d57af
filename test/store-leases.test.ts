/**
 * Locks are leases: a lock whose holder stopped renewing it (a dead pod, a crashed host, PID 1 of a
 * restarted container) is taken over from any host; a live one is refused, naming its holder, unless
 * broken on purpose; and every takeover is reported on the lock, so that it can be audited.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createVirtualClock } from '../src/clock/virtual-clock.js';
import { ErrorCode, LockedError } from '../src/errors.js';
import type { Clock, StoreLock } from '../src/ports/index.js';
import { createFileStore, createMemoryStore, type FileStateStore } from '../src/stores/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function storeDir(): Promise<{ dir: string; store: FileStateStore }> {
  const dir = await mkdtemp(join(tmpdir(), 'escalator-leases-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const store = createFileStore({ directory: dir });
  cleanups.push(() => store.close());
  return { dir, store };
}

/** Keeps a lock released at the end of the test, whatever happens. */
function held(lock: StoreLock): StoreLock {
  cleanups.push(() => lock.release());
  return lock;
}

interface LockFile {
  owner: string;
  pid: number;
  hostname: string;
  since: string;
  nonce?: string;
  leaseMs?: number;
  expiresAt?: string;
}

async function writeLock(dir: string, campaign: string, content: LockFile): Promise<void> {
  await mkdir(join(dir, campaign), { recursive: true });
  await writeFile(join(dir, campaign, 'lock'), `${JSON.stringify(content)}\n`);
}

async function readLock(dir: string, campaign: string): Promise<LockFile> {
  return JSON.parse(await readFile(join(dir, campaign, 'lock'), 'utf8')) as LockFile;
}

/** A lock written by an engine in another pod: pid 1, its own host name. */
function foreign(expiresAt: number): LockFile {
  return {
    owner: 'escalator-1@pod-7f9c',
    pid: 1,
    hostname: `pod-7f9c-not-${hostname()}`,
    since: '2026-11-30T01:00:00.000Z',
    nonce: 'a-nonce-of-the-old-pod',
    leaseMs: 30_000,
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

describe('file store leases', () => {
  it('writes owner, host, pid and a lease that runs out leaseMs from now', async () => {
    const { dir, store } = await storeDir();
    const before = Date.now();
    held(await store.lock('c1', 'engine-a', { leaseMs: 60_000 }));
    const content = await readLock(dir, 'c1');
    expect(content).toMatchObject({
      owner: 'engine-a',
      pid: process.pid,
      hostname: hostname(),
      leaseMs: 60_000,
    });
    const expiresAt = Date.parse(content.expiresAt ?? '');
    expect(expiresAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('takes over a lock from another host whose lease ran out, and says whose it was', async () => {
    const { dir, store } = await storeDir();
    await writeLock(dir, 'c1', foreign(Date.now() - 1_000));
    const lock = held(await store.lock('c1', 'engine-b'));
    expect(lock.tookOver).toEqual({
      reason: 'expired',
      holder: expect.stringContaining(`escalator-1@pod-7f9c (pid 1 on pod-7f9c-not-${hostname()}`),
    });
    expect((await readLock(dir, 'c1')).owner).toBe('engine-b');
  });

  it('refuses a live lease from another host with ESC_LOCKED, naming the holder and its lease', async () => {
    const { dir, store } = await storeDir();
    const lease = foreign(Date.now() + 3_600_000);
    await writeLock(dir, 'c1', lease);
    const error = await store.lock('c1', 'engine-b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockedError);
    expect(error).toMatchObject({ code: ErrorCode.Locked, campaign: 'c1' });
    const message = (error as LockedError).message;
    expect(message).toContain(`escalator-1@pod-7f9c (pid 1 on pod-7f9c-not-${hostname()}`);
    expect(message).toContain(`lease until ${lease.expiresAt}`);
    expect(message).toContain('break the lock');
    expect(await readLock(dir, 'c1')).toEqual(lease); // untouched
  });

  it('breaks a live lease only when asked to, and reports the takeover', async () => {
    const { dir, store } = await storeDir();
    await writeLock(dir, 'c1', foreign(Date.now() + 3_600_000));
    const lock = held(await store.lock('c1', 'operator-override', { breakLock: true }));
    expect(lock.tookOver?.reason).toBe('broken');
    expect(lock.tookOver?.holder).toContain('escalator-1@pod-7f9c');
    expect((await readLock(dir, 'c1')).owner).toBe('operator-override');
  });

  it('breaks an unreadable lock file when asked to', async () => {
    const { dir, store } = await storeDir();
    await mkdir(join(dir, 'c1'), { recursive: true });
    await writeFile(join(dir, 'c1', 'lock'), 'garbage');
    await expect(store.lock('c1', 'me')).rejects.toMatchObject({ code: ErrorCode.Locked });
    const lock = held(await store.lock('c1', 'me', { breakLock: true }));
    expect(lock.tookOver).toEqual({ reason: 'broken', holder: expect.stringContaining('unreadable') });
  });

  it('refuses a lock without a lease (an older escalator) from another host unless broken', async () => {
    const { dir, store } = await storeDir();
    const { expiresAt: _e, leaseMs: _l, ...old } = foreign(0);
    await writeLock(dir, 'c1', old);
    await expect(store.lock('c1', 'me')).rejects.toThrow(/has no lease/);
    expect(held(await store.lock('c1', 'me', { breakLock: true })).tookOver?.reason).toBe('broken');
  });

  it("takes over a lock naming this host and this process's pid that this process does not hold (PID 1 of a restarted container)", async () => {
    const { dir, store } = await storeDir();
    await writeLock(dir, 'c1', {
      owner: 'escalator-before-restart',
      pid: process.pid,
      hostname: hostname(),
      since: '2026-11-30T01:00:00.000Z',
      nonce: 'nonce-of-the-previous-container',
      leaseMs: 30_000,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const lock = held(await store.lock('c1', 'escalator-after-restart'));
    expect(lock.tookOver?.reason).toBe('dead-process');
    expect(lock.tookOver?.holder).toContain('escalator-before-restart');
  });

  it('a lock this process holds through another store instance is live', async () => {
    const { dir, store } = await storeDir();
    held(await store.lock('c1', 'engine-a'));
    const other = createFileStore({ directory: dir });
    await expect(other.lock('c1', 'engine-b')).rejects.toMatchObject({ code: ErrorCode.Locked });
  });

  it('renews the lease while held, so the lock outlives its first lease; release stops it', async () => {
    const { dir, store } = await storeDir();
    const leaseMs = 900;
    const lock = await store.lock('c1', 'engine-a', { leaseMs });
    const first = Date.parse((await readLock(dir, 'c1')).expiresAt ?? '');
    while (Date.now() <= first + 50) await sleep(50); // the first lease has run out
    const renewed = Date.parse((await readLock(dir, 'c1')).expiresAt ?? '');
    expect(renewed).toBeGreaterThan(first);
    const other = createFileStore({ directory: dir });
    await expect(other.lock('c1', 'engine-b')).rejects.toMatchObject({ code: ErrorCode.Locked });
    await lock.release();
    await expect(readFile(join(dir, 'c1', 'lock'))).rejects.toThrow(/ENOENT/);
    // The next holder's lock is not touched by the old holder's renewal.
    const next = held(await other.lock('c1', 'engine-b', { leaseMs: 60_000 }));
    const nextContent = await readLock(dir, 'c1');
    await sleep(leaseMs);
    expect(await readLock(dir, 'c1')).toEqual(nextContent);
    expect(next.tookOver).toBeUndefined();
  });

  it('refuses a lease it cannot renew', async () => {
    const { store } = await storeDir();
    for (const leaseMs of [0, 2, -5, 1.5, Number.NaN])
      await expect(store.lock('c1', 'me', { leaseMs })).rejects.toMatchObject({
        code: ErrorCode.InvalidOption,
      });
  });
});

/** A clock whose time the test sets and whose sleeps never end: a holder that stopped renewing. */
function frozenHolderClock(): Clock & { set(ms: number): void } {
  let now = Date.UTC(2026, 10, 30);
  return {
    now: () => now,
    sleep: () => new Promise<void>(() => {}),
    set: (ms) => {
      now = ms;
    },
  };
}

describe('memory store leases', () => {
  it('takes over a lock whose lease ran out on its clock, and the old holder cannot free the new one', async () => {
    const clock = frozenHolderClock();
    const store = createMemoryStore({ clock });
    const t0 = clock.now();
    const stale = await store.lock('c1', 'engine-a', { leaseMs: 10_000 });
    clock.set(t0 + 9_999);
    await expect(store.lock('c1', 'engine-b')).rejects.toThrow(
      /engine-a \(in this process, since .*lease until/,
    );
    clock.set(t0 + 10_000);
    const lock = await store.lock('c1', 'engine-b');
    expect(lock.tookOver).toEqual({ reason: 'expired', holder: expect.stringContaining('engine-a') });
    await stale.release();
    await expect(store.lock('c1', 'engine-c')).rejects.toMatchObject({ code: ErrorCode.Locked });
    await lock.release();
  });

  it('renews a held lock on its clock, and breaks it only when asked to', async () => {
    const clock = createVirtualClock();
    const store = createMemoryStore({ clock });
    const first = await store.lock('c1', 'engine-a', { leaseMs: 3_000 });
    await clock.advance(600_000); // two hundred leases
    await expect(store.lock('c1', 'engine-b')).rejects.toMatchObject({ code: ErrorCode.Locked });
    const broken = await store.lock('c1', 'engine-b', { breakLock: true });
    expect(broken.tookOver).toEqual({ reason: 'broken', holder: expect.stringContaining('engine-a') });
    await first.release();
    await clock.advance(600_000);
    await expect(store.lock('c1', 'engine-c')).rejects.toThrow(/engine-b/);
    await broken.release();
    expect(clock.pending).toBe(0); // released locks leave no renewal behind
  });
});
