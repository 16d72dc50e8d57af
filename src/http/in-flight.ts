/**
 * Requests in flight per service, so that a graceful shutdown waits for the answers being written and
 * no longer (connections merely open, with no request, are closed at once).
 * @internal
 * @module
 */

interface Counter {
  count: number;
  readonly idle: (() => void)[];
}

const counters = new WeakMap<object, Counter>();

/** Counts a request of `owner` in flight; returns the function that ends it (idempotent). */
export function requestStarted(owner: object): () => void {
  let counter = counters.get(owner);
  if (!counter) {
    counter = { count: 0, idle: [] };
    counters.set(owner, counter);
  }
  const c = counter;
  c.count++;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    c.count--;
    if (c.count === 0) for (const wake of c.idle.splice(0)) wake();
  };
}

/** Resolves when `owner` has no request in flight. */
export function whenIdle(owner: object): Promise<void> {
  const counter = counters.get(owner);
  if (!counter || counter.count === 0) return Promise.resolve();
  return new Promise((resolve) => counter.idle.push(resolve));
}
