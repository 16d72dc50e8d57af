/**
 * The API under load while a simulated campaign runs: examples/ha on a paced virtual clock (a few
 * seconds of real time), 50 event streams (half opened before the start, half while it runs) and 300
 * concurrent status reads. Every read succeeds and every stream receives every record, in order, as the
 * journal holds them. Bounded in count; 127.0.0.1 only; nothing here asserts on time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CampaignStatusSchema } from '../src/http/schemas.js';
import {
  call,
  type EventStream,
  example,
  openEvents,
  type Received,
  readRecords,
  restsIn,
  startApi,
  type TestApi,
  wholeJournal,
} from './support/http-api.js';

const STREAMS = 50;
const READS = 300;
const ID = 'ha-load';

describe('API under load', () => {
  let api: TestApi;
  beforeAll(async () => {
    // ha is about 13,800 simulated seconds: at 4,000x, a few seconds of real time.
    api = await startApi({ speed: 4000 });
  });
  afterAll(async () => {
    await api.close();
  });

  it(`serves ${READS} concurrent status reads and ${STREAMS} event streams without dropping anything`, async () => {
    expect(
      (await call(api.base, 'POST', '/v1/campaigns', { as: 'operator', body: { id: ID, ...example('ha') } }))
        .status,
    ).toBe(201);
    const streams: EventStream[] = [];
    const follow = (stream: EventStream) => readRecords(stream, restsIn('completed', 'failed', 'paused'));
    const received: Promise<Received[]>[] = [];
    for (let i = 0; i < STREAMS / 2; i++) {
      const stream = await openEvents(api.base, ID);
      streams.push(stream);
      received.push(follow(stream));
    }
    expect(
      (await call(api.base, 'POST', `/v1/campaigns/${ID}/actions/start`, { as: 'operator' })).status,
    ).toBe(202);

    // While it runs: the second half of the streams (each replays what it missed, then goes live),
    // and the burst of status reads.
    const late = Promise.all(
      Array.from({ length: STREAMS / 2 }, async () => {
        const stream = await openEvents(api.base, ID, { as: 'operator' });
        streams.push(stream);
        return follow(stream);
      }),
    );
    const reads = await Promise.all(
      Array.from({ length: READS }, () => call(api.base, 'GET', `/v1/campaigns/${ID}`, { as: 'viewer' })),
    );
    for (const read of reads) {
      expect(read.status).toBe(200);
      expect(CampaignStatusSchema.safeParse(read.body).success).toBe(true);
    }
    const all = [...(await Promise.all(received)), ...(await late)];
    await Promise.all(streams.map((s) => s.close()));

    const journal = await wholeJournal(api.base, ID);
    expect((journal.at(-1) as { to?: string }).to).toBe('completed');
    const expected = journal.map((r) => JSON.stringify(r));
    expect(all).toHaveLength(STREAMS);
    for (const records of all) {
      expect(records.map((r) => r.seq)).toEqual(journal.map((r) => (r as { seq: number }).seq));
      expect(records.map((r) => JSON.stringify(JSON.parse(r.data)))).toEqual(expected);
    }
  });
});
