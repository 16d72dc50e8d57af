/**
 * REST API benchmark: a server on 127.0.0.1 runs examples/ha on a paced simulated cloud while 50
 * Server-Sent Events clients follow it. Measured: status-read throughput (a fixed number of
 * `GET /v1/campaigns/{id}` over concurrent keep-alive clients) and event latency (from the moment the
 * engine wrote a record to the moment each event client parsed it), without and under the read load.
 * Server and clients share one process (and event loop): the figures include the clients' own work.
 *
 * Usage: tsx bench/http.ts [--reads N] [--clients N] [--streams N] [--speed N] [--json]
 * Not a test: nothing here fails on time.
 */
import { readFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { createRoleAuthorizer, createStaticTokenVerifier, hashToken } from '../src/auth/index.js';
import { createVirtualClock } from '../src/clock/index.js';
import {
  closeGracefully,
  createCampaignService,
  createHttpHandler,
  createSimulatorBackend,
} from '../src/http/index.js';
import { textTable } from '../src/planner/render.js';
import { createMemoryStore } from '../src/stores/index.js';

const { values: flags } = parseArgs({
  options: {
    reads: { type: 'string', default: '20000' },
    clients: { type: 'string', default: '32' },
    streams: { type: 'string', default: '50' },
    speed: { type: 'string', default: '2000' },
    json: { type: 'boolean', default: false },
  },
});
const READS = Number(flags.reads);
const CLIENTS = Number(flags.clients);
const STREAMS = Number(flags.streams);
const SPEED = Number(flags.speed);
const ID = 'ha-bench';
const TOKEN = 'bench-token-0123456789';

const clock = createVirtualClock({ autoAdvance: true, speed: SPEED });
const service = createCampaignService({
  store: createMemoryStore(),
  authorizer: createRoleAuthorizer(),
  clock,
  adapters: createSimulatorBackend(),
});
const verifier = createStaticTokenVerifier([{ id: 'bench', roles: ['admin'], sha256: hashToken(TOKEN) }]);
const server = createServer(createHttpHandler(service, { verifier }));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const headers = { authorization: `Bearer ${TOKEN}` };
const principal = { id: 'bench', roles: ['admin'] };

const read = (name: string) => parse(readFileSync(`examples/ha/${name}.yaml`, 'utf8')) as unknown;
const created = await fetch(`${base}/v1/campaigns`, {
  method: 'POST',
  headers: { ...headers, 'content-type': 'application/json' },
  body: JSON.stringify({ id: ID, inventory: read('inventory'), campaign: read('campaign') }),
});
if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);

// When each record was written: the service calls its subscribers as the engine writes (the records
// already written, replayed at once, are left out).
const writtenAt = new Map<number, number>();
let live = false;
await service.subscribe(principal, ID, 0, (record) => {
  if (live) writtenAt.set(record.seq, performance.now());
});
live = true;

/** Latencies (ms) of records received while `phase` was current, by phase. */
const latencies: Record<'idle' | 'reads', number[]> = { idle: [], reads: [] };
let phase: 'idle' | 'reads' | 'none' = 'idle';
let finished = 0;
let caughtUp = 0;
let allCaughtUp: () => void = () => undefined;
const replayed = new Promise<void>((resolve) => {
  allCaughtUp = resolve;
});

async function follow(): Promise<void> {
  const controller = new AbortController();
  const res = await fetch(`${base}/v1/campaigns/${ID}/events`, { headers, signal: controller.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const id = /^id: (\d+)$/m.exec(frame)?.[1];
      if (id === undefined) continue;
      // The journal so far (the created campaign: inventory and plan) comes first, once per stream.
      if (Number(id) === 2 && ++caughtUp === STREAMS) allCaughtUp();
      const written = writtenAt.get(Number(id));
      if (written !== undefined && phase !== 'none') latencies[phase].push(performance.now() - written);
      if (/^event: campaign$/m.test(frame) && frame.includes('"to":"completed"')) {
        finished++;
        controller.abort();
        return;
      }
    }
  }
}

const followers = Array.from({ length: STREAMS }, () => follow().catch(() => undefined));
await replayed; // every stream connected and received the journal so far
const start = await fetch(`${base}/v1/campaigns/${ID}/actions/start`, { method: 'POST', headers });
if (start.status !== 202) throw new Error(`start: ${start.status} ${await start.text()}`);

// Idle phase: only the event streams.
await new Promise((resolve) => setTimeout(resolve, 2_000));

// Read phase: a fixed number of status reads over concurrent keep-alive clients (node:http: fetch's
// own overhead would dominate a same-process measurement).
const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
const getStatus = () =>
  new Promise<number>((resolve, reject) => {
    const req = request(`${base}/v1/campaigns/${ID}`, { agent, headers }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
phase = 'reads';
const readTimes: number[] = [];
let issued = 0;
let failures = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: CLIENTS }, async () => {
    while (issued < READS) {
      issued++;
      const t = performance.now();
      if ((await getStatus()) !== 200) failures++;
      readTimes.push(performance.now() - t);
    }
  }),
);
agent.destroy();
const seconds = (performance.now() - t0) / 1000;
phase = 'none';
const stateAfterReads = (
  (await (await fetch(`${base}/v1/campaigns/${ID}`, { headers })).json()) as { state: string }
).state;
await Promise.all(followers);
await closeGracefully(server, service, { drainMs: 1_000 });

const pct = (values: number[], p: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const result = {
  reads: READS,
  clients: CLIENTS,
  streams: STREAMS,
  readsPerSecond: READS / seconds,
  readP50Ms: pct(readTimes, 50),
  readP99Ms: pct(readTimes, 99),
  readFailures: failures,
  idleEvents: latencies.idle.length,
  idleLatencyP50Ms: pct(latencies.idle, 50),
  idleLatencyP99Ms: pct(latencies.idle, 99),
  loadEvents: latencies.reads.length,
  loadLatencyP50Ms: pct(latencies.reads, 50),
  loadLatencyP99Ms: pct(latencies.reads, 99),
  streamsCompleted: finished,
  stillRunningAfterReads: stateAfterReads !== 'completed',
};

if (flags.json) console.log(JSON.stringify(result));
else {
  const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
  console.log(
    `REST API on 127.0.0.1: examples/ha simulated at ${SPEED}x, ${STREAMS} event streams following it` +
      `${result.stillRunningAfterReads ? '' : ' (note: the campaign ended before the reads did)'}\n`,
  );
  console.log(
    textTable(
      ['measure', 'load', 'value'],
      [
        ['status reads/s', `${READS} reads over ${CLIENTS} clients`, Math.round(result.readsPerSecond)],
        [
          'status read p50 / p99 ms',
          `${READS} reads over ${CLIENTS} clients`,
          `${ms(result.readP50Ms)} / ${ms(result.readP99Ms)}`,
        ],
        [
          'event latency p50 / p99 ms',
          `${STREAMS} streams, no reads (${result.idleEvents} deliveries)`,
          `${ms(result.idleLatencyP50Ms)} / ${ms(result.idleLatencyP99Ms)}`,
        ],
        [
          'event latency p50 / p99 ms',
          `${STREAMS} streams + the reads (${result.loadEvents} deliveries)`,
          `${ms(result.loadLatencyP50Ms)} / ${ms(result.loadLatencyP99Ms)}`,
        ],
      ],
    ),
  );
  if (failures > 0) console.log(`\n${failures} reads failed`);
}
