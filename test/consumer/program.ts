/**
 * A consumer of the packed package, as an installer writes one: it imports every public entry point by
 * name and runs a simulated campaign through the public API only. `scripts/consumer-test.sh` installs the
 * tarball into a fresh project, type-checks this file under `--strict --skipLibCheck false` (NodeNext and
 * bundler resolution), then runs it with node.
 *
 * The campaign is the multi-site example shipped in the package (`examples/multi-site`): it waits for an
 * operator after its first wave (`strategy.approveAfterWaves: [0]`), so the run is start → paused at the
 * gate → approve → completed.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CampaignOutcome,
  type CampaignState,
  createEngine,
  createMemoryStore,
  createPlan,
  createRoleAuthorizer,
  createVirtualClock,
  DocumentError,
  type Inventory,
  loadCampaign,
  loadInventory,
  type NewCampaign,
  type Principal,
  summarizeInventory,
  verifyPlan,
} from 'escalator';
import { openApiDocument } from 'escalator/http';
import { createVirshHypervisor } from 'escalator/libvirt';
import { createKeystoneSession, createOpenStackVim, NOVA_MIN_MICROVERSION } from 'escalator/openstack';
import { createSimulatedCloud } from 'escalator/simulator';
import { createOpenSshTransport, inventoryEndpoints, shellQuote } from 'escalator/ssh';
import { generateCloud } from 'escalator/testing';
import { createHttpVnfManager, inventoryVnfmEndpoints } from 'escalator/vnfm';

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`consumer check failed: ${message}`);
}

function expectState(outcome: CampaignOutcome, state: CampaignState, when: string): void {
  check(
    outcome.state === state,
    `${when}: expected ${state}, got ${outcome.state}${outcome.reason ? ` (${outcome.reason})` : ''}`,
  );
}

// The examples ship in the package; find them through the package's own exports.
const packageRoot = dirname(fileURLToPath(import.meta.resolve('escalator/package.json')));
const example = join(packageRoot, 'examples', 'multi-site');

// 1. The documents, planned and checked through the root entry point.
const inventory: Inventory = await loadInventory(join(example, 'inventory.yaml'));
const campaign = await loadCampaign(join(example, 'campaign.yaml'), { inventory });
check(campaign.strategy.approveAfterWaves.includes(0), 'the example waits for approval after wave 0');
const plan = createPlan(inventory, campaign);
const verdict = verifyPlan(inventory, campaign, plan);
check(verdict.ok, `the plan verifies: ${verdict.violations.map((v) => v.message).join('; ')}`);
check(summarizeInventory(inventory, campaign).nodesToUpgrade === 22, 'every node of the example is upgraded');

// Raw JSON is refused with a DocumentError, not a TypeError.
try {
  createPlan(JSON.parse('{"kind":"Inventory"}') as Inventory, campaign);
  check(false, 'createPlan accepted an unparsed inventory');
} catch (error) {
  check(DocumentError.is(error) && error instanceof DocumentError, `DocumentError, got ${String(error)}`);
}

// 2. The other entry points load and answer (their adapters need a real cloud, so they are only built).
const synthetic = generateCloud({ computes: 4, seed: 7 });
check(createPlan(synthetic.inventory, synthetic.campaign).waves.length > 0, 'a synthetic cloud plans as is');
check(shellQuote('a b') === "'a b'", 'escalator/ssh quotes for the shell');
const endpoints = inventoryEndpoints(inventory);
const transport = createOpenSshTransport({ knownHostsFile: '/dev/null' });
check(typeof createVirshHypervisor({ transport, endpoints }).domains === 'function', 'escalator/libvirt');
await transport.close();
const session = createKeystoneSession({
  authUrl: 'http://keystone.invalid:5000/v3',
  credentials: { password: { username: 'u', password: 'p', projectName: 'x' } },
});
check(typeof createOpenStackVim({ session }).listComputeServices === 'function', 'escalator/openstack');
check(NOVA_MIN_MICROVERSION === '2.56', 'escalator/openstack constants');
const vnfManager = createHttpVnfManager({ endpointOf: inventoryVnfmEndpoints(inventory) });
check(typeof vnfManager.notifyMaintenance === 'function', 'escalator/vnfm');
check(String(openApiDocument()['openapi']).startsWith('3.'), 'escalator/http describes its API');

// 3. The campaign on a simulated cloud with a virtual clock: what a host's dry run looks like.
const clock = createVirtualClock({ autoAdvance: true });
const cloud = createSimulatedCloud(inventory, { clock, seed: 1 });
const engine = createEngine({
  adapters: { vim: cloud.vim, nodes: cloud.nodes, hypervisor: cloud.hypervisor, vnfm: cloud.vnfm },
  store: createMemoryStore(),
  authorizer: createRoleAuthorizer(),
  clock,
});
const operator: Principal = { id: 'installer', roles: ['operator'], via: 'local' };
let records = 0;
const unsubscribe = engine.subscribe(() => {
  records++;
});

const input: NewCampaign = { inventory, campaign, plan };
await engine.create(operator, input);
check(engine.snapshot().state === 'created', `created, got ${engine.snapshot().state}`);
await engine.send(operator, { type: 'start' });
expectState(await engine.whenResting(), 'paused', 'at the approval gate');
await engine.send(operator, { type: 'approve' });
expectState(await engine.whenResting(), 'completed', 'after approval');
check(engine.status().state === 'completed', 'the status table agrees');
unsubscribe();
check(records > 0, 'subscribers saw the journal');
await engine.close();

console.log(
  `consumer: ${plan.waves.length} waves, ${records} journal records, ` +
    `campaign ${campaign.metadata.name} completed after approval`,
);
