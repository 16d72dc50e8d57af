/**
 * How an installer embeds Escalator: load the inventory and the campaign it wrote, wire the adapters
 * (OpenStack for the VIM, SSH for the nodes, HTTP for the VNF managers), a journal on disk, the role
 * authorizer and a JSON-lines log, then plan, check and run the campaign while printing its progress.
 *
 *     npx tsx examples/installer/embed.ts <inventory.yaml> <campaign.yaml>
 *
 * It imports the package's public entry points only (`escalator`, `escalator/openstack`, `escalator/ssh`,
 * `escalator/vnfm`), as an installer's own code would. Inside this repository those names resolve to the
 * built package through its `exports` (run `npm run build` first); from an installed package, run it from
 * `node_modules/escalator/examples/installer/embed.ts` or copy it into the installer's project.
 *
 * Environment (the usual OpenStack openrc names):
 * - `OS_AUTH_URL`, `OS_USERNAME`, `OS_PASSWORD`, `OS_PROJECT_NAME`, `OS_USER_DOMAIN_NAME` and
 *   `OS_PROJECT_DOMAIN_NAME` (both default `Default`), `OS_REGION_NAME` (optional); or
 *   `OS_APPLICATION_CREDENTIAL_ID` and `OS_APPLICATION_CREDENTIAL_SECRET` instead of user and password.
 * - `ESCALATOR_KNOWN_HOSTS`: the nodes' host keys (default `/etc/escalator/known_hosts`); host keys are
 *   always checked.
 * - `ESCALATOR_KEYS_DIR`: one private key per `access.credentialsRef` of the inventory (default
 *   `/etc/escalator/keys`); only the path goes to `ssh`, the key never passes through Escalator.
 * - `ESCALATOR_SUDO=1`: the nodes' login user is not root; privileged commands run under `sudo -n`.
 * - `ESCALATOR_BACKUP_DIR`: where backups go on the nodes (default `/var/backups/escalator`).
 * - `ESCALATOR_STATE_DIR`: the campaigns' journals (default `./escalator-state`); running the same
 *   campaign again resumes it from its journal (after a pause, a failure or a crash).
 * - `ESCALATOR_LOG`: the JSON-lines log (default `<state dir>/<campaign>.log.jsonl`).
 * - `ESCALATOR_VNFM_TOKEN`: sent to the VNF managers as `X-Auth-Token` (optional).
 *
 * Ctrl-C asks the campaign to pause at the next safe point (running steps finish); run the script
 * again to resume it.
 */
import { join } from 'node:path';
import {
  type CampaignOutcome,
  createEngine,
  createFileStore,
  createJsonLinesLogger,
  createPlan,
  createRoleAuthorizer,
  formatDuration,
  loadCampaign,
  loadInventory,
  type Principal,
  planTable,
  resolveCatalog,
  systemClock,
  verifyPlan,
} from 'escalator';
import { createKeystoneSession, createOpenStackVim, type KeystoneCredentials } from 'escalator/openstack';
import { createOpenSshTransport, createSshNodeAgent, inventoryEndpoints } from 'escalator/ssh';
import { createHttpVnfManager, inventoryVnfmEndpoints } from 'escalator/vnfm';

function env(name: string, fallback?: string): string {
  const value = process.env[name];
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  console.error(`${name} is not set (source your openrc first)`);
  process.exit(2);
}

/** Keystone credentials from the openrc variables: an application credential, or a user's password. */
function credentialsFromEnv(): KeystoneCredentials {
  const appId = process.env['OS_APPLICATION_CREDENTIAL_ID'];
  if (appId)
    return {
      applicationCredential: { id: appId, secret: env('OS_APPLICATION_CREDENTIAL_SECRET') },
    };
  return {
    password: {
      username: env('OS_USERNAME'),
      password: env('OS_PASSWORD'),
      projectName: env('OS_PROJECT_NAME'),
      userDomainName: env('OS_USER_DOMAIN_NAME', 'Default'),
      projectDomainName: env('OS_PROJECT_DOMAIN_NAME', 'Default'),
    },
  };
}

const [inventoryFile, campaignFile] = process.argv.slice(2);
if (!inventoryFile || !campaignFile) {
  console.error('usage: npx tsx examples/installer/embed.ts <inventory.yaml> <campaign.yaml>');
  process.exit(2);
}

// 1. The documents: validated, and the campaign checked against the inventory.
const inventory = await loadInventory(inventoryFile);
const campaign = await loadCampaign(campaignFile, { inventory });
const catalog = resolveCatalog(campaign.components);
const id = campaign.metadata.name;

// 2. The plan, and the independent checker's verdict on it before anything changes.
const plan = createPlan(inventory, campaign, { catalog });
const verdict = verifyPlan(inventory, campaign, plan, catalog);
if (!verdict.ok) {
  for (const v of verdict.violations)
    console.error(`plan violation ${v.code} (wave ${v.wave}): ${v.message}`);
  process.exit(1);
}
console.log(planTable(plan));
console.log(
  `${plan.waves.length} wave(s), ${plan.totals?.migrations ?? 0} migration(s), ` +
    `about ${formatDuration(plan.totals?.estimatedSeconds ?? 0)}`,
);

// 3. The adapters.
const session = createKeystoneSession({
  authUrl: env('OS_AUTH_URL'),
  region: process.env['OS_REGION_NAME'] || undefined,
  credentials: credentialsFromEnv(),
});
// `instances` maps the inventory's instance names to Nova server ids (names need not be unique in Nova).
const vim = createOpenStackVim({ session, instances: inventory.instances });

const keysDir = env('ESCALATOR_KEYS_DIR', '/etc/escalator/keys');
const transport = createOpenSshTransport({
  knownHostsFile: env('ESCALATOR_KNOWN_HOSTS', '/etc/escalator/known_hosts'),
  resolveIdentity: (credentialsRef) => join(keysDir, credentialsRef),
});
const nodes = createSshNodeAgent({
  transport,
  endpoints: inventoryEndpoints(inventory), // each node's access { address, port, user, credentialsRef }
  catalog, // packages and services of each component
  sudo: process.env['ESCALATOR_SUDO'] === '1',
  backupRoot: env('ESCALATOR_BACKUP_DIR', '/var/backups/escalator'),
});

const vnfmToken = process.env['ESCALATOR_VNFM_TOKEN'];
const vnfm = createHttpVnfManager({
  endpointOf: inventoryVnfmEndpoints(inventory), // vnfs[].maintenance.endpoint
  ...(vnfmToken ? { headers: { 'x-auth-token': vnfmToken } } : {}),
  pollSeconds: 5,
});

const stateDir = env('ESCALATOR_STATE_DIR', './escalator-state');
const store = createFileStore({ directory: stateDir });
const logFile = env('ESCALATOR_LOG', join(stateDir, `${id}.log.jsonl`));
const logger = createJsonLinesLogger({ file: logFile }); // creates the state directory if missing

// 4. The engine. The installer acts as an operator: it may start, pause and resume, not roll back.
const engine = createEngine({
  adapters: { vim, nodes, vnfm },
  store,
  authorizer: createRoleAuthorizer(),
  logger,
  clock: systemClock,
  policy: {
    pollSeconds: 5,
    // Nova's scheduler may refuse a move onto a host another server of the same anti-affinity group
    // left less than scheduler_instance_sync_interval (120 s) ago; that refusal is transient: retry it
    // for a few minutes before pausing the campaign.
    steps: {
      migrate: {
        retry: { retries: 10, minDelayMs: 5_000, factor: 1.5, maxDelayMs: 30_000 },
        timeoutFactor: 5,
      },
    },
  },
  owner: `installer-${process.pid}`,
});
const principal: Principal = { id: process.env['USER'] || 'installer', roles: ['operator'], via: 'local' };

const started = Date.now();
const at = () => formatDuration((Date.now() - started) / 1000).padStart(8);
engine.on('transition', (t) =>
  console.log(`${at()}  campaign ${t.from} → ${t.to}${t.reason ? `: ${t.reason}` : ''}`),
);
engine.on('wave', (w) => {
  const wave = engine.snapshot().plan.waves.find((x) => x.index === w.wave);
  console.log(
    `${at()}  wave ${w.wave} ${w.event}` +
      (w.event === 'started' && wave
        ? `: ${wave.nodes.join(', ')}, ${wave.migrations.length} migration(s)`
        : ''),
  );
});
engine.on('step', (s) => {
  if (s.to === 'running' || s.to === 'failed' || s.to === 'timed-out')
    console.log(`${at()}    ${s.step.id} ${s.to}${s.error ? `: ${s.error.message}` : ''}`);
});
engine.on('progress', (p) =>
  console.log(
    `${at()}  ${p.percent.toFixed(0)}% (${p.stepsDone}/${p.stepsTotal} steps, wave ${p.wavesDone}/${p.wavesTotal}), ` +
      `about ${formatDuration(p.etaSeconds)} left`,
  ),
);
engine.on('alarm', (a) => console.log(`${at()}  ALARM ${a.severity} ${a.code} on ${a.object}: ${a.message}`));

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) return;
  interrupted = true;
  console.log('pausing at the next safe point (running steps finish)...');
  engine.pause(principal, 'interrupted at the installer').catch((error: unknown) => console.error(error));
});

// 5. Start the campaign, or resume it from its journal.
let outcome: CampaignOutcome;
try {
  if ((await store.read(id)).length > 0) {
    const snapshot = await engine.open(id);
    console.log(`campaign ${id} has a journal (state ${snapshot.state}): resuming it`);
    outcome =
      snapshot.state === 'completed' || snapshot.state === 'committed'
        ? { state: snapshot.state, reason: snapshot.reason }
        : await engine.resume(principal);
  } else outcome = await engine.start(principal, { inventory, campaign, plan });
} finally {
  await engine.close(); // waits for the run and releases the campaign's lock
  await transport.close(); // stops the SSH master connections
  await logger.close();
  await store.close();
}

console.log(`campaign ${id}: ${outcome.state}${outcome.reason ? ` (${outcome.reason})` : ''}`);
process.exitCode =
  outcome.state === 'completed' || outcome.state === 'committed' ? 0 : outcome.state === 'paused' ? 3 : 1;
