/**
 * The command inbox of a campaign: how `escalator approve|pause|skip|… ID` reaches a campaign that
 * another process (`escalator run`, `escalator serve`) is running. The journal is that process's alone
 * (it holds the lock), so a command is a file dropped in `<state>/inbox/<id>/`; the running process
 * takes it, sends it to its engine (which authorizes and audits it) and writes the answer beside it.
 *
 * Trust: the inbox is as private as the journal. Its directory is made `0700`, and a process only takes
 * files owned by its own user (or root): whoever can write there could as well edit the journal.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from '../engine/commands.js';
import { ErrorCode, EscalatorError } from '../errors.js';
import type { Principal } from '../ports/authorizer.js';

/** A command as it waits in the inbox. */
export interface InboxCommand {
  readonly principal: Principal;
  readonly command: Command;
  /** When it was posted (ISO time). */
  readonly at: string;
}

/** The running process's answer to one command. */
export type InboxReply =
  | { readonly ok: true; readonly seq: number; readonly state: string }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** The inbox directory of campaign `id` under the state directory. */
export function inboxDirectory(stateDirectory: string, id: string): string {
  return join(stateDirectory, 'inbox', id);
}

const COMMAND_FILE = /^\d{13}-\d+-[0-9a-f]{8}\.json$/;

/** Writes `text` to `file` so that a reader sees all of it or nothing (a temporary file renamed). */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, file);
}

/** Options of {@link postCommand}. */
export interface PostOptions {
  /** How long to wait for the running process to answer. @defaultValue 30000 */
  readonly timeoutMs?: number | undefined;
  /** How often to look for the answer. @defaultValue 100 */
  readonly pollMs?: number | undefined;
}

/**
 * Drops a command in the inbox and waits for the running process's answer. When no process takes it in
 * time, the command is withdrawn (it never runs later by surprise) and an error says so.
 */
export async function postCommand(
  directory: string,
  principal: Principal,
  command: Command,
  options: PostOptions = {},
): Promise<InboxReply> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const name = `${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}.json`;
  const file = join(directory, name);
  const body: InboxCommand = { principal, command, at: new Date().toISOString() };
  await writeAtomically(file, `${JSON.stringify(body)}\n`);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const reply = `${file}.reply`;
  for (;;) {
    const text = await readFile(reply, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      await unlink(reply).catch(() => undefined);
      return JSON.parse(text) as InboxReply;
    }
    if (Date.now() >= deadline) {
      // Withdrawn unless it was taken in the meantime (then its answer may still come: one last look).
      const withdrawn = await unlink(file).then(
        () => true,
        () => false,
      );
      if (!withdrawn) {
        const late = await readFile(reply, 'utf8').catch(() => undefined);
        if (late !== undefined) {
          await unlink(reply).catch(() => undefined);
          return JSON.parse(late) as InboxReply;
        }
      }
      throw new EscalatorError(
        ErrorCode.Timeout,
        withdrawn
          ? `no process took the ${command.type} command within ${Math.round((options.timeoutMs ?? 30_000) / 1000)} s: the one that holds the campaign is not reading its inbox (withdrawn; nothing was done)`
          : `the ${command.type} command was taken but not answered within ${Math.round((options.timeoutMs ?? 30_000) / 1000)} s: see \`escalator status\``,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
}

/** Options of {@link watchInbox}. */
export interface WatchOptions {
  /** How often to look for commands. @defaultValue 250 */
  readonly pollMs?: number | undefined;
  /** Told about a file that was not taken (another owner, unreadable). */
  readonly onRejected?: ((file: string, why: string) => void) | undefined;
}

/**
 * Takes the inbox's commands in the order they were posted and answers each with what `handle` returns.
 * Returns a function that stops watching (and resolves once the command in hand is answered).
 */
export function watchInbox(
  directory: string,
  handle: (command: InboxCommand) => Promise<InboxReply>,
  options: WatchOptions = {},
): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const uid = process.getuid?.();
  const takeAll = async () => {
    const names = (await readdir(directory).catch(() => [] as string[]))
      .filter((n) => COMMAND_FILE.test(n))
      .sort();
    for (const name of names) {
      if (stopped) return;
      const file = join(directory, name);
      const owner = await stat(file).then(
        (s) => s.uid,
        () => undefined,
      );
      if (owner === undefined) continue; // withdrawn meanwhile
      if (uid !== undefined && owner !== uid && owner !== 0) {
        await unlink(file).catch(() => undefined);
        options.onRejected?.(file, `owned by uid ${owner}, not by this process's user`);
        continue;
      }
      const text = await readFile(file, 'utf8').catch(() => undefined);
      // Taken by removing it: a command the poster withdrew at its deadline is not run.
      if (
        text === undefined ||
        !(await unlink(file).then(
          () => true,
          () => false,
        ))
      )
        continue;
      let reply: InboxReply;
      try {
        reply = await handle(JSON.parse(text) as InboxCommand);
      } catch (error) {
        reply = {
          ok: false,
          code: EscalatorError.is(error) ? error.code : 'ESC_INTERNAL',
          message: error instanceof Error ? error.message : String(error),
        };
      }
      await writeAtomically(`${file}.reply`, `${JSON.stringify(reply)}\n`).catch((error: unknown) =>
        options.onRejected?.(file, `its answer could not be written: ${String(error)}`),
      );
    }
  };
  const tick = () => {
    if (stopped) return;
    current = takeAll().finally(() => {
      if (!stopped) timer = setTimeout(tick, options.pollMs ?? 250);
    });
  };
  void mkdir(directory, { recursive: true, mode: 0o700 })
    .catch(() => undefined)
    .then(tick);
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await current.catch(() => undefined);
  };
}

/**
 * Watches the inbox of every campaign under `root` (`<state>/inbox`), as a service that holds many
 * campaigns does: campaigns whose inbox appears later are picked up within `scanMs`.
 */
export function watchInboxes(
  root: string,
  handle: (id: string, command: InboxCommand) => Promise<InboxReply>,
  options: WatchOptions & { readonly scanMs?: number | undefined } = {},
): () => Promise<void> {
  const watchers = new Map<string, () => Promise<void>>();
  let stopped = false;
  const scan = async () => {
    for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
      if (stopped || !entry.isDirectory() || watchers.has(entry.name)) continue;
      const id = entry.name;
      watchers.set(
        id,
        watchInbox(join(root, id), (command) => handle(id, command), options),
      );
    }
  };
  void scan();
  const timer = setInterval(() => void scan(), options.scanMs ?? 1000);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await Promise.all([...watchers.values()].map((stop) => stop()));
  };
}
