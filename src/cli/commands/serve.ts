/**
 * `escalator serve`: the REST API on the embedded simulator. Each campaign created over HTTP gets its
 * own simulated cloud, built from its inventory, on one virtual clock (paced with `--speed` so a person
 * can watch); journals and the simulated clouds are kept under `--journal`, so a restarted server opens
 * its campaigns where they were. SIGINT or SIGTERM shuts down gracefully.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createRoleAuthorizer } from '../../auth/role-authorizer.js';
import {
  createStaticTokenVerifier,
  hashToken,
  loadStaticTokens,
  type StaticTokenEntry,
} from '../../auth/tokens.js';
import { systemClock } from '../../clock/system-clock.js';
import { createVirtualClock } from '../../clock/virtual-clock.js';
import type { EnginePolicyInput } from '../../engine/policy.js';
import { ErrorCode } from '../../errors.js';
import { type BackendFactory, lastOperationTime } from '../../http/backend.js';
import {
  type CampaignService,
  closeGracefully,
  createCampaignService,
  createHttpHandler,
  createSimulatorBackend,
  type ShutdownReport,
} from '../../http/index.js';
import { CAMPAIGN_ACTIONS, type CampaignAction } from '../../http/schemas.js';
import { createConsoleLogger } from '../../logging/loggers.js';
import type { Logger, LogLevel } from '../../ports/logger.js';
import type { StateStore } from '../../ports/state-store.js';
import { holdStore } from '../../simulator/hold-store.js';
import { createFileStore } from '../../stores/file-store.js';
import { type InboxCommand, type InboxReply, watchInboxes } from '../inbox.js';
import type { Io } from '../io.js';
import { UsageError } from '../io.js';
import { configFile, journalDirectory, loadSettings } from '../settings.js';

/** Options of {@link serve}, as the command line gives them. */
export interface ServeOptions {
  /** `host:port`, `[v6]:port` or a port. @defaultValue `127.0.0.1:8080` */
  readonly listen?: string | undefined;
  /** A static tokens file; without it, one admin token is generated and printed once on standard error. */
  readonly tokens?: string | undefined;
  /** @defaultValue `./.escalator/journal` */
  readonly journal?: string | undefined;
  /** Simulated time runs this many times faster than real time. @defaultValue as fast as possible */
  readonly speed?: number | undefined;
  /** @defaultValue `'info'` */
  readonly logLevel?: LogLevel | undefined;
  /**
   * What each campaign runs on (a real cloud's adapters). Campaigns then run on the real clock.
   * @defaultValue a simulated cloud per campaign, kept beside the journals
   */
  readonly backend?: BackendFactory | undefined;
  /** Engine policies. */
  readonly policy?: EnginePolicyInput | undefined;
}

/** A server started by {@link serve}. */
export interface RunningServer {
  /** The base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly service: CampaignService;
  /** The `node:http` server (its errors are logged, never thrown: they must not end the process). */
  readonly server: Server;
  /** Shuts down gracefully (see `closeGracefully`); the second call returns the first's promise. */
  close(): Promise<ShutdownReport>;
}

const DEFAULT_LISTEN = '127.0.0.1:8080';
const DEFAULT_JOURNAL = './.escalator/journal';

/** Parses `host:port`, `[v6]:port` or `port`. */
export function parseListen(value: string): { readonly host: string; readonly port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  const port = Number(m?.[3]);
  if (!m || !(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new UsageError(`--listen expects host:port (e.g. 127.0.0.1:8080 or [::1]:8080), got "${value}"`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

/**
 * Starts the API server on the embedded simulator. Prints the URL on standard output and, without
 * `tokens`, a generated admin token on standard error — the only place it ever appears (the server
 * keeps its sha256).
 */
export async function serve(options: ServeOptions, io: Io): Promise<RunningServer> {
  const { host, port } = parseListen(options.listen ?? DEFAULT_LISTEN);
  const speed = options.speed;
  if (speed !== undefined && !(Number.isFinite(speed) && speed > 0))
    throw new UsageError(`--speed expects a number above 0, got "${speed}"`);
  const directory = resolve(options.journal ?? DEFAULT_JOURNAL);
  const simulatorDirectory = join(directory, '.simulator'); // not a campaign id: the store ignores it

  let entries: StaticTokenEntry[];
  let generated: string | undefined;
  if (options.tokens !== undefined) entries = await loadStaticTokens(options.tokens);
  else {
    generated = randomBytes(32).toString('base64url');
    entries = [{ id: 'admin', roles: ['admin'], sha256: hashToken(generated) }];
  }
  const verifier = createStaticTokenVerifier(entries);

  const store = createFileStore({ directory });
  const logger = quietSteps(createConsoleLogger({ level: options.logLevel ?? 'info' }));
  let service: CampaignService;
  if (options.backend) {
    service = createCampaignService({
      store,
      authorizer: createRoleAuthorizer(),
      clock: systemClock,
      logger,
      adapters: options.backend,
      policy: options.policy,
    });
  } else {
    // Virtual time never goes back: a restarted server starts after everything its campaigns recorded.
    const start = Math.max(Date.now(), await lastRecordedTime(store, simulatorDirectory));
    const clock = createVirtualClock({ start, autoAdvance: true, speed });
    service = createCampaignService({
      store: holdStore(store, clock), // virtual time waits for journal writes: see holdStore
      authorizer: createRoleAuthorizer(),
      clock,
      logger,
      adapters: createSimulatorBackend({ directory: simulatorDirectory }),
      policy: options.policy,
    });
  }
  await service.ready();
  // `escalator approve|pause|… ID` from a terminal reaches the campaigns this service holds.
  const stopInboxes = watchInboxes(join(dirname(directory), 'inbox'), (id, posted) =>
    inboxAction(service, id, posted),
  );
  const server = createServer(createHttpHandler(service, { verifier, logger }));
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  });
  // An error of the listening socket (out of file descriptors, say) without a listener would end the
  // process, and every campaign with it: it is logged, and the server goes on accepting when it can.
  server.on('error', (error) => {
    logger.log({
      time: new Date().toISOString(),
      level: 'error',
      action: 'http.server',
      code: (error as NodeJS.ErrnoException).code,
      message: `the server socket failed: ${error.message}`,
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  const health = service.health();
  io.out(`Escalator API on ${url} (OpenAPI: ${url}/openapi.json)`);
  io.out(
    `${options.backend ? 'the configured cloud' : `simulated cloud per campaign, ${speed === undefined ? 'as fast as possible' : `${speed}x real time`}`}; ` +
      `journal ${directory}; ${health.campaigns.total} campaign(s) opened` +
      (health.campaigns.unavailable > 0 ? `, ${health.campaigns.unavailable} could not be opened` : ''),
  );
  if (generated !== undefined) {
    io.err(`admin token (shown once, not stored): ${generated}`);
    generated = undefined;
  }
  let closing: Promise<ShutdownReport> | undefined;
  return {
    url,
    service,
    server,
    close: () => {
      closing ??= stopInboxes()
        .then(() => closeGracefully(server, service))
        .finally(() => store.close());
      return closing;
    },
  };
}

/** A command from a campaign's inbox, as the service's action of the same name. */
async function inboxAction(service: CampaignService, id: string, posted: InboxCommand): Promise<InboxReply> {
  const command = posted.command;
  if (!(CAMPAIGN_ACTIONS as readonly string[]).includes(command.type))
    return {
      ok: false,
      code: ErrorCode.InvalidOption,
      message: `the service takes ${CAMPAIGN_ACTIONS.join(', ')}, not ${command.type}`,
    };
  const options = command as { readonly reason?: string | undefined; readonly step?: string | undefined };
  try {
    const result = await service.act(posted.principal, id, command.type as CampaignAction, {
      reason: options.reason,
      step: options.step,
    });
    return { ok: true, seq: result.seq, state: result.state };
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'ESC_INTERNAL';
    return { ok: false, code, message: error instanceof Error ? error.message : String(error) };
  }
}

/** The latest time any campaign of the store (or its simulated cloud) recorded, or 0. */
async function lastRecordedTime(store: StateStore, simulatorDirectory: string): Promise<number> {
  let latest = 0;
  for (const id of await store.list().catch(() => [] as string[])) {
    const last = (await store.read(id).catch(() => [])).at(-1);
    const at = typeof last?.['at'] === 'string' ? Date.parse(last['at']) : Number.NaN;
    if (Number.isFinite(at)) latest = Math.max(latest, at);
    try {
      latest = Math.max(latest, lastOperationTime(simulatorDirectory, id));
    } catch {
      // a damaged operation log: the service reports it when it opens the campaign
    }
  }
  return latest;
}

/** Steps are many: at `info` they would drown the campaign's transitions. They are logged at `debug`. */
function quietSteps(logger: Logger): Logger {
  return {
    log: (record) =>
      logger.log(
        record.level === 'info' && record.action.startsWith('step.') ? { ...record, level: 'debug' } : record,
      ),
  };
}

/** Adds `serve` to the program. */
export function registerServe(program: Command, io: Io): void {
  program
    .command('serve')
    .description(
      'serve the REST API (campaigns, status, events) on the configured backend (default: the simulator)',
    )
    .option('-c, --config <file>', 'the configuration file (default: ./escalator.yaml when present)')
    .option(
      '--listen <host:port>',
      `where to listen (default: the config's rest.listen, else ${DEFAULT_LISTEN})`,
    )
    .option(
      '--tokens <file>',
      'bearer tokens (YAML or JSON: { tokens: [{ id, roles, sha256 }] }); default: a generated admin token, printed once',
    )
    .option(
      '--journal <dir>',
      `keep the campaigns and their simulated clouds here (default: the state directory's journal/, ${DEFAULT_JOURNAL})`,
    )
    .option('--speed <n>', 'run simulated time N times faster than real time (default: as fast as possible)')
    .option('--log-level <level>', "debug, info, warn or error (default: the config's log.level, else info)")
    .action(
      async (flags: {
        config?: string;
        listen?: string;
        tokens?: string;
        journal?: string;
        speed?: string;
        logLevel?: string;
      }) => {
        const speed = flags.speed === undefined ? undefined : Number(flags.speed);
        if (speed !== undefined && !(Number.isFinite(speed) && speed > 0))
          throw new UsageError(`--speed expects a number above 0, got "${flags.speed}"`);
        if (flags.logLevel !== undefined && !['debug', 'info', 'warn', 'error'].includes(flags.logLevel))
          throw new UsageError(`--log-level expects debug, info, warn or error, got "${flags.logLevel}"`);
        // The flags win over the configuration, which wins over the defaults.
        const settings =
          configFile(flags.config) === undefined ? undefined : await loadSettings(flags.config);
        const config = settings?.config;
        const running = await serve(
          {
            listen: flags.listen ?? config?.rest.listen,
            tokens: flags.tokens ?? config?.rest.tokensFile,
            journal: flags.journal ?? (settings ? journalDirectory(settings) : undefined),
            speed: speed ?? settings?.speed,
            logLevel: (flags.logLevel as LogLevel | undefined) ?? config?.log.level,
            backend: settings?.realCloud?.backend,
            policy: settings?.policy,
          },
          io,
        );
        await new Promise<void>((done) => {
          const stop = (signal: NodeJS.Signals) => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            // A second signal while shutting down ends the process at once.
            process.once(signal, () => process.exit(130));
            io.err(
              `${signal}: shutting down; running campaigns pause once their running steps are journaled`,
            );
            running.close().then(
              (report) => {
                if (report.paused.length > 0) io.err(`paused: ${report.paused.join(', ')}`);
                if (report.stillRunning.length > 0)
                  io.err(`still running (resume them after a restart): ${report.stillRunning.join(', ')}`);
                done();
              },
              (error: unknown) => {
                io.err(`shutdown: ${error instanceof Error ? error.message : String(error)}`);
                done();
              },
            );
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      },
    );
}
