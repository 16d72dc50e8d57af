/**
 * Seeded pseudo-randomness for everything that must be reproducible: synthetic clouds, the
 * simulator's timings and faults, examples. Not for anything secret (use `node:crypto`).
 *
 * @module
 */

/**
 * A small, fast, seeded pseudo-random generator (mulberry32). Each call of the returned function
 * gives the next number in [0, 1); the same seed always gives the same sequence.
 *
 * @param seed - any number; only its low 32 bits are used.
 * @example
 * ```ts
 * const random = mulberry32(42);
 * const dice = 1 + Math.floor(random() * 6);
 * ```
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Shuffles `items` in place (Fisher–Yates) with the numbers of `random`, and returns it: with a seeded
 * `random` the order is reproducible. @internal
 */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}
