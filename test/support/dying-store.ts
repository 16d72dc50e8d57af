/** A journal store that "dies" at a chosen record, for deterministic crash tests. */
import type { JournalEntry, StateStore } from '../../src/ports/state-store.js';

/** A store that dies (every append rejects from then on) when an append contains a chosen record. */
export function dyingStore(inner: StateStore, dieAt: (entry: JournalEntry) => boolean): StateStore {
  let dead = false;
  return {
    lock: (c, owner, o) => inner.lock(c, owner, o),
    read: (c, o) => inner.read(c, o),
    list: (o) => inner.list(o),
    append: async (c, entries, o) => {
      if (!dead && entries.some(dieAt)) dead = true;
      if (dead) throw new Error('the process died');
      return inner.append(c, entries, o);
    },
  };
}
