/**
 * A campaign process for the crash-resume tests (test/crash-resume.test.ts), started as
 * `node --import tsx test/support/crash-node-child.ts <dir>`, with the parsed inventory and campaign in
 * `<dir>/documents.json`.
 *
 * Like test/support/crash-child.ts (real clock, file store in `<dir>`, the fake cloud's VIM in
 * `<dir>/cloud.json`), but its nodes are scripted nodes kept in `<dir>/nodes.json`
 * (test/support/scripted-nodes.ts): reboots that happen later and take time, installs that take time,
 * migrations that run in the VIM. It prints one JSON line per node event (`{"event":...}`), then
 * `{"done":"<state>"}`; it opens and resumes the campaign when `<dir>` already holds its journal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRoleAuthorizer } from '../../src/auth/role-authorizer.js';
import { systemClock } from '../../src/clock/system-clock.js';
import { createEngine } from '../../src/engine/engine.js';
import type { Campaign } from '../../src/model/campaign.js';
import type { Inventory } from '../../src/model/inventory.js';
import { createFileStore } from '../../src/stores/file-store.js';
import { FakeCloud } from './fake-cloud.js';
import { createScriptedNodes } from './scripted-nodes.js';

const [dir] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: crash-node-child.ts <dir>\n');
  process.exit(2);
}
const say = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);

const { inventory, campaign } = JSON.parse(readFileSync(join(dir, 'documents.json'), 'utf8')) as {
  inventory: Inventory;
  campaign: Campaign;
};
const cloud = FakeCloud.load(inventory, { clock: systemClock, file: join(dir, 'cloud.json'), delayMs: 2 });
const scripted = createScriptedNodes({
  dir,
  inventory,
  vim: cloud.vim,
  downtimeMs: 1_500,
  installMs: 300,
  migrateMs: 600,
  announce: (e) => say({ event: e.what, node: e.node, detail: e.detail }),
});
const store = createFileStore({ directory: dir });
const admin = { id: 'crash-test', roles: ['admin'] };
const engine = createEngine({
  adapters: { vim: scripted.vim, nodes: scripted.nodes, vnfm: cloud.vnfm },
  store,
  authorizer: createRoleAuthorizer(),
  clock: systemClock,
  owner: `crash-node-child-${process.pid}`,
  policy: { pollSeconds: 0.02, retry: { minDelayMs: 5, maxDelayMs: 20 } },
});

say({ ready: true, pid: process.pid });
const id = campaign.metadata.name;
const entries = await store.read(id);
let outcome: { state: string; reason?: string | undefined };
if (entries.length === 0) outcome = await engine.start(admin, { inventory, campaign });
else {
  const snapshot = await engine.open(id);
  say({ resumed: snapshot.state, seq: snapshot.seq });
  outcome = snapshot.state === 'completed' ? { state: 'completed' } : await engine.resume(admin);
}
await engine.close();
await store.close();
say({ done: outcome.state, reason: outcome.reason });
