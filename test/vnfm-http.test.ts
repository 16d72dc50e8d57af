/**
 * The HTTP VNF-manager adapter and the fetch transport against a real node:http server on 127.0.0.1
 * (test/support/fake-vnfm.ts) playing the manager: immediate ack and nack, 202 then polls, silence until
 * the lead time, 5xx/429 with Retry-After, 4xx, abort.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpVnfManager, fetchTransport, inventoryVnfmEndpoints } from '../src/adapters/vnfm/index.js';
import { createVirtualClock } from '../src/clock/virtual-clock.js';
import { withRetry } from '../src/engine/policy.js';
import { parseInventory } from '../src/loader/load.js';
import type { Clock } from '../src/ports/clock.js';
import type { MaintenanceNotice } from '../src/ports/vnf-manager.js';
import { answer, type FakeVnfm, startFakeVnfm } from './support/fake-vnfm.js';
import { expectAdapterError, rejection } from './support/rejections.js';

let vnfm: FakeVnfm;

const notice = (overrides: Partial<MaintenanceNotice> = {}): MaintenanceNotice => ({
  id: 'camp-1/w2.notify.epc',
  vnf: 'epc',
  instances: ['epc-1', 'epc-2'],
  leadTimeSeconds: 30,
  reason: 'upgrade campaign camp-1',
  ...overrides,
});

const posts = () => vnfm.requests.filter((r) => r.method === 'POST');
const polls = () => vnfm.requests.filter((r) => r.method === 'GET');

beforeAll(async () => {
  vnfm = await startFakeVnfm();
});
afterAll(async () => {
  await vnfm?.close();
});
beforeEach(() => {
  vnfm.requests.length = 0;
});

describe('HTTP VNF manager', () => {
  const manager = (options: Partial<Parameters<typeof createHttpVnfManager>[0]> = {}) =>
    createHttpVnfManager({
      endpointOf: () => vnfm.url,
      pollSeconds: 0.05,
      minimumWaitSeconds: 0,
      ...options,
    });

  it('posts the notice and takes an immediate ack', async () => {
    vnfm.handler = (_req, res) => answer(res, 200, { reply: 'ack' });
    const reply = await manager({ headers: { 'x-auth-token': 'sekret' } }).notifyMaintenance(notice());
    expect(reply).toBe('ack');
    expect(posts()).toHaveLength(1);
    const [post] = posts();
    expect(post?.url).toBe('/v1/maintenance');
    expect(post?.headers['content-type']).toBe('application/json');
    expect(post?.headers['x-auth-token']).toBe('sekret');
    expect(post?.body).toEqual({
      id: 'camp-1/w2.notify.epc',
      vnf: 'epc',
      instances: ['epc-1', 'epc-2'],
      leadTimeSeconds: 30,
      reason: 'upgrade campaign camp-1',
      state: 'PREPARE_MAINTENANCE',
    });
  });

  it('takes an immediate nack', async () => {
    vnfm.handler = (_req, res) => answer(res, 200, { reply: 'nack', why: 'scaling in progress' });
    expect(await manager().notifyMaintenance(notice())).toBe('nack');
  });

  it('polls a 202 until the manager answers', async () => {
    let asked = 0;
    vnfm.handler = (req, res) => {
      if (req.method === 'POST') return answer(res, 202, { state: 'PREPARE_MAINTENANCE' });
      asked++;
      if (asked < 3) return answer(res, 202);
      if (asked < 4) return answer(res, 200, { reply: 'pending' });
      answer(res, 200, { reply: 'ack' });
    };
    expect(await manager().notifyMaintenance(notice())).toBe('ack');
    expect(polls()).toHaveLength(4);
    expect(polls()[0]?.url).toBe('/v1/maintenance/camp-1%2Fw2.notify.epc');
  });

  it('keeps polling through a manager that is briefly unavailable', async () => {
    let asked = 0;
    vnfm.handler = (req, res) => {
      if (req.method === 'POST') return answer(res, 202);
      asked++;
      if (asked === 1) return answer(res, 503, { error: 'restarting' });
      answer(res, 200, { reply: 'nack' });
    };
    expect(await manager().notifyMaintenance(notice())).toBe('nack');
    expect(polls()).toHaveLength(2);
  });

  it('answers timeout when the manager stays silent (202, then 202) until the lead time', async () => {
    vnfm.handler = (_req, res) => answer(res, 202);
    const started = Date.now();
    expect(await manager().notifyMaintenance(notice({ leadTimeSeconds: 1 }))).toBe('timeout');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3_000);
    expect(polls().length).toBeGreaterThan(3);
  });

  it('answers timeout when the manager never answers the POST at all', async () => {
    vnfm.handler = () => {}; // hangs
    const started = Date.now();
    expect(await manager().notifyMaintenance(notice({ leadTimeSeconds: 1 }))).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('measures the lead time on the injected clock: a 10-minute silence takes no real time', async () => {
    vnfm.handler = (_req, res) => answer(res, 202);
    const clock = createVirtualClock();
    const start = clock.now();
    const pending = manager({ clock, pollSeconds: 30 }).notifyMaintenance(notice({ leadTimeSeconds: 600 }));
    const settled = pending.then((r) => ({ reply: r, at: clock.now() }));
    // Let the POST come back, then move virtual time, one poll interval at a time.
    while (posts().length === 0) await new Promise((r) => setTimeout(r, 10));
    const realStart = Date.now();
    let result: { reply: string; at: number } | undefined;
    void settled.then((r) => {
      result = r;
    });
    while (result === undefined) {
      await new Promise((r) => setTimeout(r, 20)); // the poll's real HTTP round trip
      await clock.advance(30_000);
    }
    expect(result.reply).toBe('timeout');
    expect(result.at - start).toBe(600_000);
    expect(polls().length).toBeGreaterThanOrEqual(15);
    expect(Date.now() - realStart).toBeLessThan(10_000);
  });

  it('gives a zero lead time the minimum wait, so an immediate answer still counts', async () => {
    vnfm.handler = (_req, res) => setTimeout(() => answer(res, 200, { reply: 'ack' }), 200);
    expect(await manager({ minimumWaitSeconds: 2 }).notifyMaintenance(notice({ leadTimeSeconds: 0 }))).toBe(
      'ack',
    );
  });

  it('maps 503 to a transient error and succeeds when retried, honouring Retry-After', async () => {
    let calls = 0;
    vnfm.handler = (_req, res) => {
      calls++;
      if (calls === 1) return answer(res, 503, { error: 'overloaded' }, { 'retry-after': '2' });
      answer(res, 200, { reply: 'ack' });
    };
    const m = manager();
    const error = expectAdapterError(await rejection(m.notifyMaintenance(notice())), 'transient', 'http-503');
    expect(error.retryAfterSeconds).toBe(2);

    // Through the engine's retry policy: the second attempt succeeds after the asked-for delay.
    calls = 0;
    const slept: number[] = [];
    const recording: Clock = { now: () => Date.now(), sleep: async (ms) => void slept.push(ms) };
    const reply = await withRetry(
      () => m.notifyMaintenance(notice()),
      { retries: 3, minDelayMs: 100, factor: 2, maxDelayMs: 10_000 },
      recording,
    );
    expect(reply).toBe('ack');
    expect(calls).toBe(2);
    expect(slept).toEqual([2_000]);
  });

  it('surfaces 429 Retry-After, in seconds or as an HTTP date', async () => {
    vnfm.handler = (_req, res) =>
      answer(res, 429, { error: 'slow down' }, { 'retry-after': '7', 'x-openstack-request-id': 'req-42' });
    const error = expectAdapterError(
      await rejection(manager().notifyMaintenance(notice())),
      'transient',
      'http-429',
    );
    expect(error.retryAfterSeconds).toBe(7);
    expect(error.requestId).toBe('req-42');

    // A stopped clock: now() never moves and sleeps end only when aborted.
    const clock: Clock = {
      now: () => Date.parse('2026-01-01T00:00:00Z'),
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    };
    vnfm.handler = (_req, res) => answer(res, 429, {}, { 'retry-after': 'Thu, 01 Jan 2026 00:01:30 GMT' });
    const dated = expectAdapterError(
      await rejection(manager({ clock }).notifyMaintenance(notice())),
      'transient',
      'http-429',
    );
    expect(dated.retryAfterSeconds).toBe(90);
  });

  it('maps other 4xx to permanent errors and a reply that is neither ack nor nack to vnfm-bad-reply', async () => {
    vnfm.handler = (_req, res) => answer(res, 404, { error: 'no such VNF' });
    expectAdapterError(await rejection(manager().notifyMaintenance(notice())), 'permanent', 'http-404');
    vnfm.handler = (_req, res) => answer(res, 200, { reply: 'maybe' });
    expectAdapterError(await rejection(manager().notifyMaintenance(notice())), 'permanent', 'vnfm-bad-reply');
    vnfm.handler = (req, res) => (req.method === 'POST' ? answer(res, 202) : answer(res, 410, {}));
    expectAdapterError(await rejection(manager().notifyMaintenance(notice())), 'permanent', 'http-410');
  });

  it('aborts while polling and while a request hangs, with the signal reason', async () => {
    vnfm.handler = (_req, res) => answer(res, 202);
    const controller = new AbortController();
    const reason = new Error('campaign aborted');
    setTimeout(() => controller.abort(reason), 300);
    const started = Date.now();
    expect(await rejection(manager().notifyMaintenance(notice(), { signal: controller.signal }))).toBe(
      reason,
    );
    expect(Date.now() - started).toBeLessThan(2_000);

    vnfm.handler = () => {}; // hangs
    const second = new AbortController();
    setTimeout(() => second.abort(reason), 300);
    expect(await rejection(manager().notifyMaintenance(notice(), { signal: second.signal }))).toBe(reason);

    expect(
      await rejection(manager().notifyMaintenance(notice(), { signal: AbortSignal.abort(reason) })),
    ).toBe(reason);
  });

  it('posts MAINTENANCE_COMPLETE on notifyDone', async () => {
    vnfm.handler = (_req, res) => answer(res, 204);
    await manager().notifyDone(notice());
    expect(posts()[0]?.url).toBe('/v1/maintenance');
    expect(posts()[0]?.body).toEqual({
      id: 'camp-1/w2.notify.epc',
      vnf: 'epc',
      state: 'MAINTENANCE_COMPLETE',
    });
    vnfm.handler = (_req, res) => answer(res, 500, { error: 'db down' });
    expectAdapterError(await rejection(manager().notifyDone(notice())), 'transient', 'http-500');
  });

  it('handles VNFs without an endpoint: wait for the lead time, or ack', async () => {
    const none = { endpointOf: () => undefined };
    expect(await manager(none).notifyMaintenance(notice({ leadTimeSeconds: 0.3 }))).toBe('timeout');
    expect(await manager({ ...none, missingEndpoint: 'ack' }).notifyMaintenance(notice())).toBe('ack');
    await manager(none).notifyDone(notice());
    expect(vnfm.requests).toEqual([]);
  });

  it('finds endpoints in the inventory', async () => {
    const inventory = parseInventory(
      [
        'apiVersion: escalator/v1',
        'kind: Inventory',
        'metadata: { name: lab }',
        'nodes: [{ name: ctl-1, roles: [controller] }]',
        'vnfs:',
        `  - { name: epc, minAvailable: 0, maintenance: { notify: true, leadTimeSeconds: 60, endpoint: "${vnfm.url}/" } }`,
        '  - { name: ims, minAvailable: 0 }',
      ].join('\n'),
    );
    const endpointOf = inventoryVnfmEndpoints(inventory);
    expect(endpointOf('ims')).toBeUndefined();
    vnfm.handler = (_req, res) => answer(res, 200, { reply: 'ack' });
    expect(await manager({ endpointOf }).notifyMaintenance(notice())).toBe('ack');
    expect(posts()[0]?.url).toBe('/v1/maintenance'); // the trailing slash is not doubled
  });
});

describe('fetch transport', () => {
  it('resolves every status and lower-cases header names', async () => {
    vnfm.handler = (_req, res) => answer(res, 418, { teapot: true }, { 'X-Custom': 'yes' });
    const response = await fetchTransport()({ method: 'GET', url: `${vnfm.url}/x` });
    expect(response.status).toBe(418);
    expect(response.headers['x-custom']).toBe('yes');
    expect(JSON.parse(response.body)).toEqual({ teapot: true });
  });

  it('maps a refused connection to a transient http-unreachable', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const error = expectAdapterError(
      await rejection(fetchTransport()({ method: 'GET', url: `http://127.0.0.1:${port}/` })),
      'transient',
      'http-unreachable',
    );
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('maps a request that cannot be sent to a permanent error, without the secret in the message', async () => {
    const error = expectAdapterError(
      await rejection(fetchTransport()({ method: 'GET', url: `http://user:hunter2@127.0.0.1:1/` })),
      'permanent',
      'http-invalid-request',
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('maps a server that does not answer in time to a transient http-timeout', async () => {
    vnfm.handler = () => {};
    const started = Date.now();
    expectAdapterError(
      await rejection(fetchTransport({ timeoutMs: 300 })({ method: 'GET', url: vnfm.url })),
      'transient',
      'http-timeout',
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('rejects with the request signal reason when aborted', async () => {
    vnfm.handler = () => {};
    const reason = new Error('stop');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 100);
    expect(
      await rejection(fetchTransport()({ method: 'GET', url: vnfm.url, signal: controller.signal })),
    ).toBe(reason);
  });
});
