/**
 * A journal store whose every call holds an auto-advancing virtual clock: journal writes are real I/O,
 * and virtual time must not jump while they are in flight, or simulated durations would depend on the
 * disk (with a file journal, steps that should overlap would run one after the other).
 */
import type { VirtualClock } from '../clock/virtual-clock.js';
import type { StateStore, StoreLock } from '../ports/state-store.js';

/**
 * Wraps `store` so that {@link VirtualClock.hold} covers each of its calls.
 * @example
 * ```ts
 * const clock = createVirtualClock({ autoAdvance: true });
 * const engine = createEngine({ store: holdStore(createFileStore({ directory }), clock), clock, ... });
 * ```
 */
export function holdStore(store: StateStore, clock: VirtualClock): StateStore {
  const held: StateStore = {
    lock: async (campaign, owner, o) => {
      const lock: StoreLock = await clock.hold(store.lock(campaign, owner, o));
      return { tookOver: lock.tookOver, release: () => clock.hold(lock.release()) };
    },
    append: (campaign, entries, o) => clock.hold(store.append(campaign, entries, o)),
    read: (campaign, o) => clock.hold(store.read(campaign, o)),
    list: (o) => clock.hold(store.list(o)),
  };
  const compact = store.compact?.bind(store);
  return compact
    ? { ...held, compact: (campaign, snapshot, o) => clock.hold(compact(campaign, snapshot, o)) }
    : held;
}
