/**
 * A campaign process for the crash tests (test/engine-crash.test.ts), started as
 * `node --import tsx test/support/crash-child.ts <dir> <seed>`, with the parsed inventory and campaign in
 * `<dir>/documents.json` (the minimal example when absent: no YAML to parse on every restart).
 *
 * It runs one campaign on the real clock with a file store in `<dir>` and a fake cloud persisted in
 * `<dir>/cloud.json`, so that a SIGKILL at any moment leaves both as they were. If the campaign already
 * has a journal it opens and resumes it, else it starts it. It prints one JSON line per event of
 * interest on stdout: `{"ready":true}` once the engine begins, `{"done":"<state>"}` at the end.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRoleAuthorizer } from '../../src/auth/role-authorizer.js';
import { systemClock } from '../../src/clock/system-clock.js';
import { createEngine } from '../../src/engine/engine.js';
import { EscalatorError } from '../../src/errors.js';
import type { Campaign } from '../../src/model/campaign.js';
import type { Inventory } from '../../src/model/inventory.js';
import { createFileStore } from '../../src/stores/file-store.js';
import { FakeCloud } from './fake-cloud.js';

const [dir, seedText] = process.argv.slice(2);
if (!dir || !seedText) {
  process.stderr.write('usage: crash-child.ts <dir> <seed>\n');
  process.exit(2);
}
const seed = Number(seedText);

const say = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);

/** The parsed documents the parent left in `<dir>/documents.json`, else the minimal example. */
async function documents(): Promise<{ inventory: Inventory; campaign: Campaign }> {
  try {
    return JSON.parse(readFileSync(join(dir as string, 'documents.json'), 'utf8'));
  } catch {
    const { loadCampaign, loadInventory } = await import('../../src/loader/load.js');
    const inventory = await loadInventory('examples/minimal/inventory.yaml');
    return { inventory, campaign: await loadCampaign('examples/minimal/campaign.yaml', { inventory }) };
  }
}

const { inventory, campaign } = await documents();
const id = campaign.metadata.name;
const cloud = FakeCloud.load(inventory, {
  clock: systemClock,
  file: join(dir, 'cloud.json'),
  delayMs: 2 + (seed % 4), // 2 to 5 ms per call: long enough for a kill to land in the middle of one
});
const store = createFileStore({ directory: dir });
const admin = { id: 'crash-test', roles: ['admin'] };
const engine = createEngine({
  adapters: { vim: cloud.vim, nodes: cloud.nodes, vnfm: cloud.vnfm },
  store,
  authorizer: createRoleAuthorizer(),
  clock: systemClock,
  owner: `crash-child-${process.pid}`,
  policy: { pollSeconds: 0.005, retry: { minDelayMs: 5, maxDelayMs: 20 } },
});

/** Reports a damaged journal or a held lock and stops: the parent decides (never silently accepted). */
function refuse(error: unknown): never {
  const code = EscalatorError.is(error) ? error.code : undefined;
  if (code !== 'ESC_JOURNAL_CORRUPT' && code !== 'ESC_LOCKED') throw error;
  say({ error: code, message: (error as Error).message });
  process.exit(3);
}

say({ ready: true, pid: process.pid });
const entries = await store.read(id).catch(refuse);
let outcome: { state: string; reason?: string | undefined };
if (entries.length === 0) {
  outcome = await engine.start(admin, { inventory, campaign }).catch(refuse);
} else {
  const snapshot = await engine.open(id).catch(refuse);
  say({ resumed: snapshot.state, seq: snapshot.seq });
  outcome = snapshot.state === 'completed' ? { state: 'completed' } : await engine.resume(admin);
}
await engine.close();
await store.close();
say({ done: outcome.state, reason: outcome.reason });
