/**
 * The commands that run and control campaigns kept in the state directory, the same on the simulator
 * and on a real cloud: `run`, `status`, `approve`, `pause`, `resume`, `skip`, `rollback`, `restore`,
 * `commit` and `logs`. A campaign is named by its id. When another process runs it, a command goes
 * through the campaign's inbox (see `../inbox.ts`) to that process's engine; otherwise this process
 * opens the campaign itself. Either way the engine authorizes the local operator and audits it.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Command as Program } from 'commander';
import type { Command } from '../../engine/commands.js';
import type { Engine } from '../../engine/engine.js';
import type { CampaignSnapshot } from '../../engine/journal.js';
import type { CampaignState } from '../../engine/machine.js';
import { statusOf } from '../../engine/status.js';
import { ErrorCode, EscalatorError } from '../../errors.js';
import { loadCampaign, loadInventory } from '../../loader/load.js';
import { ExitCode, exitCodeOf } from '../exit-codes.js';
import { type InboxReply, postCommand, watchInbox } from '../inbox.js';
import type { Io } from '../io.js';
import { followProgress } from '../progress.js';
import { loadSettings } from '../settings.js';
import { renderCampaignList, renderStatus } from '../status-view.js';
import { type OpenCampaign, Workspace } from '../workspace.js';

/** States a campaign does not leave by running it again. */
const ENDED: ReadonlySet<CampaignState> = new Set(['completed', 'committed', 'rolled-back', 'restored']);

const configOption = [
  '-c, --config <file>',
  'the configuration file (default: ./escalator.yaml when present)',
] as const;

/** Runs `task` on the state directory that the configuration names, and closes it after. */
export async function withWorkspace<T>(
  config: string | undefined,
  task: (ws: Workspace) => Promise<T>,
): Promise<T> {
  const ws = new Workspace(await loadSettings(config));
  try {
    return await task(ws);
  } finally {
    await ws.close();
  }
}

/** What to tell the operator about where a campaign rests. */
function restingHint(snapshot: CampaignSnapshot): string | undefined {
  const id = snapshot.id;
  if (snapshot.state === 'paused') {
    const gate = snapshot.campaign.strategy.approveAfterWaves.find(
      (w) => snapshot.wavesDone.includes(w) && !snapshot.wavesApproved.includes(w),
    );
    return gate !== undefined
      ? `waiting for approval after wave ${gate}: escalator approve ${id}, then escalator resume ${id}`
      : `paused: see escalator status ${id}; then escalator resume ${id} (or skip STEP, rollback)`;
  }
  if (snapshot.state === 'failed')
    return `failed: escalator resume ${id} retries, escalator restore ${id} reloads the backups`;
  if (snapshot.state === 'completed') return `completed: escalator commit ${id} accepts it for good`;
  return undefined;
}

/**
 * Runs an opened campaign until it rests, in this process: its progress on the terminal, commands from
 * other processes through its inbox, Ctrl-C as a pause at the next safe point (twice: stop at once — the
 * journal keeps everything, `escalator run` or `resume` goes on).
 */
async function driveToRest(
  ws: Workspace,
  opened: OpenCampaign,
  first: Command,
  io: Io,
  json: boolean,
): Promise<void> {
  const { engine, clock } = opened;
  const id = engine.id as string;
  const principal = ws.settings.operator;
  const stopInbox = watchInbox(ws.inbox(id), (c) => answer(engine, c.principal, c.command));
  const stopProgress = json ? () => undefined : followProgress(engine, engine.snapshot().plan, clock, io);
  let interrupted = 0;
  const onSignal = () => {
    interrupted++;
    if (interrupted > 1) {
      io.err('stopped at once: the journal keeps where it was; escalator resume goes on from there');
      process.exit(130);
    }
    io.err('pausing at the next safe point (Ctrl-C again stops at once)');
    engine
      .send(principal, { type: 'pause', reason: 'Ctrl-C at the terminal' })
      .catch((error: unknown) => io.err(`pause: ${error instanceof Error ? error.message : String(error)}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await engine.send(principal, first);
    await engine.whenResting();
    await stopInbox();
    // A command taken just before the inbox closed may have set it going again.
    const outcome = await engine.whenResting();
    stopProgress();
    const snapshot = engine.snapshot();
    if (json) io.out(JSON.stringify({ id, ...outcome, status: statusOf(snapshot) }, null, 2));
    else {
      io.out(`campaign ${id}: ${outcome.state}${outcome.reason ? ` (${outcome.reason})` : ''}`);
      const hint = restingHint(snapshot);
      if (hint) io.out(hint);
    }
    io.exitCode(exitCodeOf(outcome.state));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopProgress();
    await stopInbox();
    await opened.close();
  }
}

/** Sends a command taken from the inbox to the engine and says how it went. */
async function answer(
  engine: Engine,
  principal: Parameters<Engine['send']>[0],
  command: Command,
): Promise<InboxReply> {
  try {
    const accepted = await engine.send(principal, command);
    return { ok: true, seq: accepted.seq, state: accepted.state };
  } catch (error) {
    if (!EscalatorError.is(error)) throw error;
    return { ok: false, code: error.code, message: error.message };
  }
}

/** `escalator run <inventory> <campaign>`: creates the campaign, or picks it up where its journal ends. */
async function run(
  ws: Workspace,
  inventoryFile: string,
  campaignFile: string,
  flags: { config?: string; id?: string; json?: boolean },
  io: Io,
): Promise<void> {
  const inventory = await loadInventory(inventoryFile);
  const campaign = await loadCampaign(campaignFile, { inventory });
  const id = flags.id ?? campaign.metadata.name;
  const exists = (await ws.list()).includes(id);
  const principal = ws.settings.operator;
  if (exists) {
    const snapshot = await ws.snapshot(id);
    if (ENDED.has(snapshot.state)) {
      io.out(
        `campaign ${id} has already ended: ${snapshot.state}${snapshot.reason ? ` (${snapshot.reason})` : ''}`,
      );
      io.exitCode(exitCodeOf(snapshot.state));
      return;
    }
    if (JSON.stringify(snapshot.campaign.target) !== JSON.stringify(campaign.target))
      throw new EscalatorError(
        ErrorCode.InvalidOption,
        `campaign "${id}" already exists with other target versions: give the new one another --id (or metadata.name)`,
      );
    const opened = await ws.open(id, snapshot.inventory, Date.parse(snapshot.createdAt));
    await opened.engine.open(id, { principal }).catch(async (error: unknown) => {
      await opened.close();
      throw error;
    });
    if (!flags.json) io.out(`Resuming campaign ${id} from its journal (${snapshot.state})`);
    const first: Command = snapshot.state === 'created' ? { type: 'start' } : { type: 'resume' };
    await driveToRest(ws, opened, first, io, flags.json === true);
    return;
  }
  const opened = await ws.open(id, inventory);
  try {
    await opened.engine.create(principal, { id, inventory, campaign });
  } catch (error) {
    await opened.close();
    throw error;
  }
  if (!flags.json)
    io.out(
      `Campaign ${id}: ${opened.engine.snapshot().plan.waves.length} waves on the ${ws.settings.backend}` +
        `${ws.settings.backend === 'simulator' ? ' (a simulated cloud kept in the state directory)' : ''}; journal in ${ws.store.directory}`,
    );
  await driveToRest(ws, opened, { type: 'start' }, io, flags.json === true);
}

/** The commands that act on a campaign by id, and what they send. */
const CONTROL: readonly {
  readonly name: string;
  readonly description: string;
  readonly command: (flags: { reason?: string; step?: string }) => Command;
}[] = [
  {
    name: 'approve',
    description: 'pass the approval gate the campaign waits at',
    command: () => ({ type: 'approve' }),
  },
  {
    name: 'pause',
    description: 'pause a running campaign at the next safe point',
    command: (f) => ({ type: 'pause', reason: f.reason }),
  },
  {
    name: 'rollback',
    description: 'undo what was done, in reverse order; runs it here when no process does',
    command: (f) => ({ type: 'rollback', reason: f.reason }),
  },
  {
    name: 'restore',
    description: 'reload the backups taken before the changes; runs it here when no process does',
    command: () => ({ type: 'restore' }),
  },
  {
    name: 'commit',
    description: 'accept a completed campaign for good',
    command: () => ({ type: 'commit' }),
  },
];

/** Commands that set work going: when no process runs the campaign, this one runs it until it rests. */
const RUNS: ReadonlySet<string> = new Set(['resume', 'rollback', 'restore']);

/**
 * Sends `command` to campaign `id`: through its inbox when another process runs it, else here (`resume`,
 * `rollback` and `restore` then run it in this process until it rests).
 */
export async function control(
  ws: Workspace,
  id: string,
  command: Command,
  flags: { config?: string; json?: boolean },
  io: Io,
) {
  const principal = ws.settings.operator;
  const snapshot = await ws.snapshot(id);
  if (await ws.isRunElsewhere(id)) {
    const reply = await postCommand(ws.inbox(id), principal, command);
    if (!reply.ok) throw new EscalatorError(reply.code as ErrorCode, reply.message);
    io.out(`${command.type}: accepted by the process running ${id}; the campaign is ${reply.state}`);
    return;
  }
  const opened = await ws.open(id, snapshot.inventory, Date.parse(snapshot.createdAt));
  try {
    await opened.engine.open(id, { principal });
  } catch (error) {
    await opened.close();
    throw error;
  }
  if (RUNS.has(command.type)) {
    if (!flags.json) io.out(`No process runs ${id}: running its ${command.type} here`);
    await driveToRest(ws, opened, command, io, flags.json === true);
    return;
  }
  try {
    // An approval given while nothing runs is recorded; the next resume goes on past the gate.
    const sent: Command = command.type === 'approve' ? { ...command, hold: true } : command;
    const accepted = await opened.engine.send(principal, sent);
    io.out(`${command.type}: done; the campaign is ${accepted.state}`);
    if (command.type === 'approve') io.out(`go on with: escalator resume ${id} (or escalator run)`);
  } finally {
    await opened.close();
  }
}

/** `escalator status [ID]`. */
async function status(
  ws: Workspace,
  id: string | undefined,
  flags: { config?: string; json?: boolean; watch?: boolean; all?: boolean; interval?: string },
  io: Io,
): Promise<void> {
  const show = async () => {
    if (id === undefined) {
      const rows = await Promise.all(
        (await ws.list()).map(async (c) =>
          ws.snapshot(c).then(
            (snapshot) => ({ id: c, snapshot }),
            (error: unknown) => ({ id: c, error: error instanceof Error ? error.message : String(error) }),
          ),
        ),
      );
      if (flags.json)
        return JSON.stringify(
          rows.map((r) =>
            'snapshot' in r
              ? { id: r.id, state: r.snapshot.state, progress: statusOf(r.snapshot).progress }
              : { id: r.id, error: r.error },
          ),
          null,
          2,
        );
      return renderCampaignList(rows);
    }
    const snapshot = await ws.snapshot(id);
    const running = await ws.isRunElsewhere(id);
    if (flags.json) return JSON.stringify({ ...statusOf(snapshot), running }, null, 2);
    return `${renderStatus(snapshot, { all: flags.all })}\n${running ? `(run by another process)` : '(no process runs it)'}`;
  };
  if (!flags.watch) {
    io.out(await show());
    if (id !== undefined) io.exitCode(ExitCode.Ok);
    return;
  }
  const every = Math.max(0.2, Number(flags.interval ?? 2)) * 1000;
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  try {
    let last = '';
    while (!stop) {
      const text = await show();
      if (text !== last) {
        if (io.isTty) process.stdout.write('\x1b[2J\x1b[H');
        io.out(text);
        last = text;
      }
      // A campaign that rests and that no process runs will not change: watching it ends.
      if (id !== undefined && !(await ws.isRunElsewhere(id))) break;
      await new Promise((done) => setTimeout(done, every));
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** `escalator logs [ID]`: the log file, readable. */
async function logs(
  ws: Workspace,
  id: string | undefined,
  flags: { config?: string; follow?: boolean; json?: boolean },
  io: Io,
) {
  const file = ws.settings.logFile;
  let offset = 0;
  let rest = '';
  const print = () => {
    let text: string;
    try {
      const size = statSync(file).size;
      if (size < offset) offset = 0; // rotated
      if (size === offset) return;
      text = readFileSync(file, 'utf8').slice(offset);
      offset = size;
    } catch {
      return;
    }
    const lines = (rest + text).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // a line being written, or not ours
      }
      if (id !== undefined && r['campaign'] !== id) continue;
      if (flags.json) io.out(line);
      else
        io.out(
          [
            r['time'],
            String(r['level'] ?? '')
              .toUpperCase()
              .padEnd(5),
            r['campaign'] ?? '-',
            r['object'] ?? '-',
            r['action'],
            r['code'] ?? '',
            r['message'],
          ]
            .filter((x) => x !== '')
            .join('  '),
        );
    }
  };
  print();
  if (!flags.follow) return;
  await new Promise<void>((done) => {
    const timer = setInterval(print, 500);
    process.once('SIGINT', () => {
      clearInterval(timer);
      done();
    });
  });
}

/** Adds the campaign commands to the program. */
export function registerCampaignCommands(program: Program, io: Io): void {
  program
    .command('run')
    .description(
      'run a campaign on the configured backend (prechecks, backups, waves, verification); run again to resume it',
    )
    .argument('<inventory>', 'inventory file (YAML or JSON)')
    .argument('<campaign>', 'campaign file (YAML or JSON)')
    .option(...configOption)
    .option('--id <id>', "the campaign's id (default: the campaign's metadata.name)")
    .option('--json', 'print the outcome and status as JSON instead of progress')
    .action((inventory: string, campaign: string, flags: { config?: string; id?: string; json?: boolean }) =>
      withWorkspace(flags.config, (ws) => run(ws, inventory, campaign, flags, io)),
    );

  for (const c of CONTROL)
    program
      .command(c.name)
      .description(c.description)
      .argument('<id>', "the campaign's id (escalator status lists them)")
      .option(...configOption)
      .option('--reason <text>', 'why (recorded in the journal)')
      .option('--json', 'print the outcome as JSON')
      .action((id: string, flags: { config?: string; reason?: string; json?: boolean }) =>
        withWorkspace(flags.config, (ws) => control(ws, id, c.command(flags), flags, io)),
      );

  program
    .command('skip')
    .description(
      'give up on one failed or not yet run step of a paused campaign (its dependents may then run)',
    )
    .argument('<id>', "the campaign's id")
    .argument('<step>', "the step's id (escalator status shows the failed one)")
    .option(...configOption)
    .option('--reason <text>', 'why (recorded in the journal)')
    .action((id: string, step: string, flags: { config?: string; reason?: string }) =>
      withWorkspace(flags.config, (ws) =>
        control(ws, id, { type: 'skip', step, reason: flags.reason }, flags, io),
      ),
    );

  program
    .command('status')
    .description(
      'the status table of a campaign (per node, module, cluster, site; alarms; ETA), or the list of campaigns',
    )
    .argument('[id]', "the campaign's id; without it, every campaign of the state directory")
    .option(...configOption)
    .option('--json', 'print JSON')
    .option('--all', 'list every node, not only those not yet upgraded')
    .option('--watch', 'redraw as the campaign changes, until it rests (Ctrl-C stops)')
    .option('--interval <seconds>', 'how often --watch looks', '2')
    .action(
      (id: string | undefined, flags: { config?: string; json?: boolean; watch?: boolean; all?: boolean }) =>
        withWorkspace(flags.config, (ws) => status(ws, id, flags, io)),
    );

  program
    .command('logs')
    .description(
      'print the log file readably (JSON lines: time, level, campaign, object, action, code, message)',
    )
    .argument('[id]', 'only the records of this campaign')
    .option(...configOption)
    .option('--follow', 'keep printing new records (Ctrl-C stops)')
    .option('--json', 'print the JSON lines as they are')
    .action((id: string | undefined, flags: { config?: string; follow?: boolean; json?: boolean }) =>
      withWorkspace(flags.config, (ws) => logs(ws, id, flags, io)),
    );
}
