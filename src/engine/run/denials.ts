/**
 * Denied commands, coalesced: the first denial of an action to a principal in a minute is journaled at
 * once; the ones that follow in that minute are counted and journaled as one record with their count.
 * A principal hammering the API with refused requests then costs one or two records a minute, not one
 * fsynced record per request.
 */
import type { Principal } from '../../ports/authorizer.js';
import { COMMAND_ACTION, type CommandType } from '../commands.js';
import type { NewRecord } from '../journal.js';

interface Pending {
  readonly principal: Principal;
  readonly type: CommandType;
  readonly minute: number;
  extra: number;
}

/** Counts repeated denials per principal, action and minute. */
export class DenialCounter {
  readonly #pending = new Map<string, Pending>();

  /**
   * Whether this denial repeats one already journaled in the same minute (then it is only counted).
   * Otherwise it starts a new count and the caller journals it.
   */
  repeat(principal: Principal, type: CommandType, now: number): boolean {
    const key = `${principal.id}\u0000${type}`;
    const minute = Math.floor(now / 60_000);
    const pending = this.#pending.get(key);
    if (pending?.minute === minute) {
      pending.extra++;
      return true;
    }
    if (pending && pending.extra > 0) this.#done.push(pending);
    this.#pending.set(key, { principal, type, minute, extra: 0 });
    return false;
  }

  readonly #done: Pending[] = [];

  /** Audit records for the counts not journaled yet; the counts start again from zero. */
  drain(at: string): NewRecord[] {
    const out = [...this.#done];
    this.#done.length = 0;
    for (const pending of this.#pending.values())
      if (pending.extra > 0) {
        out.push({ ...pending });
        pending.extra = 0;
      }
    return out.map((p) => ({
      type: 'audit',
      at,
      principal: p.principal,
      action: COMMAND_ACTION[p.type],
      allowed: false,
      reason: `denied ${p.extra} more time(s) in the minute from ${new Date(p.minute * 60_000).toISOString()}`,
      count: p.extra,
    }));
  }
}
