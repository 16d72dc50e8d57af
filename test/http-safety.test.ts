/**
 * A service that stays up (issue 11, finding 7, HTTP side), over a real server on 127.0.0.1: bodies are
 * read only once the principal is authorized, each route has its own body limit, secrets are redacted
 * from what every role reads, and a campaign whose journal cannot be written leaves the server, its
 * health and the other campaigns working.
 */

import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler, DEFAULT_BODY_LIMITS } from '../src/http/index.js';
import type { JournalEntry, StateStore } from '../src/ports/index.js';
import { createMemoryStore } from '../src/stores/index.js';
import {
  type ApiResponse,
  call,
  example,
  type Json,
  openEvents,
  type Role,
  readRecords,
  restsIn,
  startApi,
  type TestApi,
  TOKENS,
  wholeJournal,
} from './support/http-api.js';

const MiB = 1024 * 1024;

/** Sends `body` (already serialised) as `role` and resolves with the status of the answer. */
function post(base: string, path: string, body: Buffer, role: Role | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {
      method: 'POST',
      headers: {
        ...(role === undefined ? {} : { authorization: `Bearer ${TOKENS[role]}` }),
        'content-type': 'application/json',
        'content-length': body.length,
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A JSON body of about `bytes` bytes that is a valid create request apart from its size. */
function largeCreateBody(bytes: number): Buffer {
  const item = '{"name":"n","roles":["compute"],"x":1},';
  const items = item.repeat(Math.max(1, Math.floor((bytes - 100) / item.length))).slice(0, -1);
  return Buffer.from(`{"id":"flood","inventory":{"nodes":[${items}]}}`);
}

function expectProblem(res: ApiResponse, status: number, code: string): Json {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe(code);
  return res.body;
}

describe('a service that stays up', () => {
  let api: TestApi;
  /** Every connection the server accepted, to count what it read. */
  const sockets: Socket[] = [];
  beforeAll(async () => {
    api = await startApi({ handler: { bodyLimitBytes: 16 * MiB } });
    api.server.on('connection', (socket: Socket) => sockets.push(socket));
  });
  afterAll(async () => {
    await api.close();
  });

  describe('bodies are read only once the principal is authorized', () => {
    it("does not read a viewer's 24 posts of 10 MiB: 403s after a bounded part of each", async () => {
      const body = largeCreateBody(10 * MiB);
      expect(body.length).toBeGreaterThan(9.9 * MiB);
      sockets.length = 0;
      const statuses = await Promise.all(
        Array.from({ length: 24 }, () => post(api.base, '/v1/campaigns', body, 'viewer')),
      );
      expect(new Set(statuses)).toEqual(new Set([403]));
      // Read whole, the 24 bodies are 240 MiB; refused before the body, each connection is closed after
      // what the socket had buffered (well under 1 MiB each).
      expect(sockets).toHaveLength(24);
      const read = sockets.reduce((sum, socket) => sum + socket.bytesRead, 0);
      expect(read).toBeLessThan(24 * MiB);
      for (const socket of sockets) expect(socket.bytesRead).toBeLessThan(2 * MiB);
      // The service still answers, and nothing was created.
      expect((await call(api.base, 'GET', '/v1/campaigns/flood', { as: 'admin' })).status).toBe(404);
    });

    it('does not read the body of an unauthenticated post, nor of a refused action or notification', async () => {
      expect(
        (
          await call(api.base, 'POST', '/v1/campaigns', {
            as: 'operator',
            body: { id: 'refused', ...example('minimal') },
          })
        ).status,
      ).toBe(201);
      const big = Buffer.from(JSON.stringify({ reason: 'x'.repeat(3 * MiB) }));
      sockets.length = 0;
      expect(await post(api.base, '/v1/campaigns', largeCreateBody(8 * MiB), undefined)).toBe(401);
      expect(await post(api.base, '/v1/campaigns/refused/actions/commit', big, 'operator')).toBe(403);
      expect(await post(api.base, '/v1/campaigns/refused/notifications', big, 'viewer')).toBe(403);
      for (const socket of sockets) expect(socket.bytesRead).toBeLessThan(2 * MiB);
      // A refused command is still in the campaign's audit trail, though its body was never read.
      expect(await wholeJournal(api.base, 'refused')).toContainEqual(
        expect.objectContaining({ type: 'audit', action: 'commit', allowed: false }),
      );
    });
  });

  describe('the engine has the last word on a refused command', () => {
    it('performs a command the authorizer refused and then allowed, without reading its body', async () => {
      // An authorizer whose answer changes between the check before the body and the engine's own.
      let startChecks = 0;
      const flipping = await startApi({
        service: {
          authorizer: {
            authorize: async (_principal, action) =>
              action === 'start' && ++startChecks === 1
                ? { allowed: false, reason: 'not yet' }
                : { allowed: true, reason: 'now' },
          },
        },
      });
      try {
        const body = { id: 'flip', ...example('minimal') };
        expect((await call(flipping.base, 'POST', '/v1/campaigns', { as: 'operator', body })).status).toBe(
          201,
        );
        const reason = Buffer.from(JSON.stringify({ reason: 'x'.repeat(3 * 1024) }));
        expect(await post(flipping.base, '/v1/campaigns/flip/actions/start', reason, 'operator')).toBe(202);
        expect(startChecks).toBe(2);
        const audits = (await wholeJournal(flipping.base, 'flip')).filter(
          (r) => (r as Json).type === 'audit' && (r as Json).action === 'start',
        );
        expect(audits).toEqual([expect.objectContaining({ allowed: true, reason: 'now' })]);
      } finally {
        await flipping.close();
      }
    });
  });

  describe('each route has its own body limit', () => {
    it('answers 413 past 4 KiB for an action and 64 KiB for a notification, whoever sends it', async () => {
      expect(
        (
          await call(api.base, 'POST', '/v1/campaigns', {
            as: 'operator',
            body: { id: 'limits', ...example('minimal') },
          })
        ).status,
      ).toBe(201);
      const action = await call(api.base, 'POST', '/v1/campaigns/limits/actions/pause', {
        as: 'admin',
        raw: JSON.stringify({ reason: 'x'.repeat(DEFAULT_BODY_LIMITS.action) }),
        headers: { 'content-type': 'application/json' },
      });
      expect(expectProblem(action, 413, 'ESC_BODY_TOO_LARGE').detail).toContain(`${4 * 1024} bytes`);
      const notification = await call(api.base, 'POST', '/v1/campaigns/limits/notifications', {
        as: 'admin',
        body: { type: 'alarm', severity: 'warning', object: 'cmp-1', message: 'x'.repeat(64 * 1024) },
      });
      expect(expectProblem(notification, 413, 'ESC_BODY_TOO_LARGE').detail).toContain(`${64 * 1024} bytes`);
      // Under the limit, a notification is read and checked: a 60 KiB message is too long for its schema.
      const small = await call(api.base, 'POST', '/v1/campaigns/limits/notifications', {
        as: 'operator',
        body: { type: 'alarm', severity: 'warning', object: 'cmp-1', message: 'x'.repeat(60 * 1024) },
      });
      expect(expectProblem(small, 400, 'ESC_INVALID_REQUEST').errors[0].path).toBe('message');
      // The create limit is the host's (16 MiB here): a 3 MiB create body is read and checked.
      const create = await call(api.base, 'POST', '/v1/campaigns', {
        as: 'operator',
        body: { id: 'padded', ...example('minimal'), padding: 'x'.repeat(3 * MiB) },
      });
      expect(expectProblem(create, 400, 'ESC_INVALID_DOCUMENT').errors[0].path).toBe('padding');
      expect(await post(api.base, '/v1/campaigns', largeCreateBody(17 * MiB), 'operator')).toBe(413);
    });

    it('refuses limits that are not positive numbers, naming the option', () => {
      expect(() =>
        createHttpHandler(api.service, { verifier: async () => undefined, bodyLimits: { action: 0 } }),
      ).toThrow(/bodyLimits\.action must be a number above 0/);
    });
  });

  describe('secrets are redacted for every role', () => {
    const secrets = ['s3cr3t-pw', 'tok-123', 'k-456', 'label-secret-789', 'ssh-key-000'];
    let id: string;
    beforeAll(async () => {
      id = 'redacted';
      const { inventory, campaign } = example('minimal');
      inventory.metadata.labels = {
        password: 'label-secret-789',
        'ssh-key': 'ssh-key-000',
        owner: 'team-a',
      };
      inventory.instances = inventory.instances.map((i: Json) => ({ ...i, vnf: 'vnf-a' }));
      inventory.vnfs = [
        {
          name: 'vnf-a',
          minAvailable: 1,
          maintenance: {
            notify: true,
            endpoint: 'https://vnfm-admin:s3cr3t-pw@vnfm.example:8443/notify?token=tok-123&key=k-456&site=a',
          },
        },
      ];
      campaign.metadata.labels = { apiToken: 'tok-123', team: 'team-a' };
      const created = await call(api.base, 'POST', '/v1/campaigns', {
        as: 'operator',
        body: { id, inventory, campaign },
      });
      expect(created.status, created.text).toBe(201);
    });

    it('shows no secret in the journal, status, plan, alarms or list, to a viewer, an operator or an admin', async () => {
      for (const role of ['viewer', 'operator', 'admin'] as const) {
        const outputs = [
          await call(api.base, 'GET', `/v1/campaigns/${id}/journal?limit=1000`, { as: role }),
          await call(api.base, 'GET', `/v1/campaigns/${id}`, { as: role }),
          await call(api.base, 'GET', `/v1/campaigns/${id}/plan`, { as: role }),
          await call(api.base, 'GET', `/v1/campaigns/${id}/alarms`, { as: role }),
          await call(api.base, 'GET', '/v1/campaigns', { as: role }),
        ];
        for (const res of outputs) {
          expect(res.status, res.text).toBe(200);
          for (const secret of secrets) expect(res.text, `${role}: ${secret}`).not.toContain(secret);
        }
        const created = outputs[0]?.body.records[0];
        // What says what the secret is stays; only the secret goes.
        expect(created.inventory.metadata.labels).toEqual({
          password: '[REDACTED]',
          'ssh-key': '[REDACTED]',
          owner: 'team-a',
        });
        expect(created.inventory.vnfs[0].maintenance.endpoint).toBe(
          'https://vnfm-admin:[REDACTED]@vnfm.example:8443/notify?token=[REDACTED]&key=[REDACTED]&site=a',
        );
        expect(created.campaign.metadata.labels).toEqual({ apiToken: '[REDACTED]', team: 'team-a' });
      }
      // The journal in the store keeps what the engine wrote: the API redacts, the record is intact.
      const stored = JSON.stringify(await api.store.read(id));
      for (const secret of secrets) expect(stored).toContain(secret);
    });

    it('sends no secret in the event stream', async () => {
      const stream = await openEvents(api.base, id, { as: 'admin' });
      try {
        const records = await readRecords(stream, (r) => r.type === 'audit');
        expect(records.map((r) => r.type)).toEqual(['created', 'audit']);
        for (const record of records) for (const secret of secrets) expect(record.data).not.toContain(secret);
        expect(records[0]?.data).toContain('vnfm.example:8443');
      } finally {
        await stream.close();
      }
    });
  });
});

/** A memory store whose appends to one campaign fail with ENOSPC after `allowed` of them. */
function fillingStore(campaign: string, allowed: number): StateStore {
  const inner = createMemoryStore();
  let appended = 0;
  return {
    lock: (id, owner, options) => inner.lock(id, owner, options),
    read: (id, options) => inner.read(id, options),
    list: (options) => inner.list(options),
    async append(id: string, entries: readonly JournalEntry[], options) {
      if (id === campaign) appended += entries.length;
      if (id === campaign && appended > allowed)
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '${id}/journal.jsonl'`), {
          code: 'ENOSPC',
        });
      return inner.append(id, entries, options);
    },
  };
}

describe('a campaign whose journal cannot be written', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ store: fillingStore('full', 6) });
  });
  afterAll(async () => {
    await api.close();
  });

  it('stays listed and readable, refuses commands with a clear 503, and leaves the others working', async () => {
    for (const id of ['full', 'fine'])
      expect(
        (
          await call(api.base, 'POST', '/v1/campaigns', {
            as: 'operator',
            body: { id, ...example('minimal') },
          })
        ).status,
      ).toBe(201);
    expect(
      (await call(api.base, 'POST', '/v1/campaigns/full/actions/start', { as: 'operator' })).status,
    ).toBe(202);
    // The journal fills up during the prechecks; the service notices when the engine stops.
    let summary: Json;
    for (let i = 0; i < 500; i++) {
      summary = (await call(api.base, 'GET', '/v1/campaigns/full', { as: 'viewer' })).body;
      if (summary.fault) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(summary.fault).toMatchObject({
      code: 'ENOSPC',
      message: expect.stringContaining('no space left'),
    });
    expect(summary.running).toBe(false);
    expect(summary.state).not.toBe('created');

    const list = await call(api.base, 'GET', '/v1/campaigns', { as: 'viewer' });
    expect(list.body.campaigns.map((c: Json) => [c.id, c.running, c.fault?.code])).toEqual([
      ['fine', false, undefined],
      ['full', false, 'ENOSPC'],
    ]);
    expect((await wholeJournal(api.base, 'full')).length).toBe(6);

    const resume = await call(api.base, 'POST', '/v1/campaigns/full/actions/resume', { as: 'operator' });
    const problem = expectProblem(resume, 503, 'ESC_CAMPAIGN_FAULTED');
    expect(problem.detail).toMatch(
      /^campaign "full" stopped on an error .* until the service restarts \(ENOSPC: no space left/,
    );
    expectProblem(
      await call(api.base, 'POST', '/v1/campaigns/full/notifications', {
        as: 'operator',
        body: { type: 'alarm', severity: 'warning', object: 'cmp-1', message: 'x' },
      }),
      503,
      'ESC_CAMPAIGN_FAULTED',
    );

    const health = await call(api.base, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'degraded', campaigns: { total: 2, faulted: 1 } });

    // Another campaign runs to the end on the same server.
    const stream = await openEvents(api.base, 'fine');
    try {
      expect(
        (await call(api.base, 'POST', '/v1/campaigns/fine/actions/start', { as: 'operator' })).status,
      ).toBe(202);
      const records = await readRecords(stream, restsIn('completed', 'paused', 'failed'));
      expect(JSON.parse(records.at(-1)?.data ?? '{}').to).toBe('completed');
    } finally {
      await stream.close();
    }
  });
});
