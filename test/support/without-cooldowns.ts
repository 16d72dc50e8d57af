import type { Inventory } from '../../src/model/inventory.js';

/**
 * The inventory with every server group's `recoverySeconds` at 0: for tests on the real clock that are
 * about something else (crashes, resumes), which the examples' 30–60 s cool-downs would only slow down.
 */
export function withoutCooldowns(inventory: Inventory): Inventory {
  return { ...inventory, serverGroups: inventory.serverGroups.map((g) => ({ ...g, recoverySeconds: 0 })) };
}
