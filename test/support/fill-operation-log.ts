/**
 * Run under a file size limit (`ulimit -f 1`) by test/http-backend.test.ts: a simulated cloud whose
 * operation log fills up while a reboot is under way. Prints what each call gave, then `still alive`
 * once the reboot's completion (a timer of the simulated cloud) has tried to write.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createVirtualClock } from '../../src/clock/index.js';
import { createSimulatorBackend } from '../../src/http/index.js';
import { InventorySchema } from '../../src/model/inventory.js';

const inventory = InventorySchema.parse(parse(readFileSync('examples/minimal/inventory.yaml', 'utf8')));
const clock = createVirtualClock({ autoAdvance: true });
const directory = mkdtempSync(join(tmpdir(), 'escalator-oplog-'));
const made = await createSimulatorBackend({ directory })(inventory, {
  id: 'c',
  clock,
  createdAt: clock.now(),
});
const { vim, nodes } = 'adapters' in made ? made.adapters : made;
await nodes.reboot('cmp-2');
console.log('reboot accepted');
try {
  for (let i = 0; i < 200; i++) {
    await vim.disableComputeService('cmp-1', `maintenance ${i} ${'x'.repeat(50)}`);
    await vim.enableComputeService('cmp-1');
  }
  console.log('the log never filled up');
} catch (error) {
  const e = error as { code?: string; reason?: string; retryable?: boolean; message?: string };
  console.log(`call refused: ${JSON.stringify({ code: e.code, reason: e.reason, retryable: e.retryable })}`);
  console.log(`message: ${e.message}`);
}
await clock.sleep(3_600_000);
console.log('still alive');
