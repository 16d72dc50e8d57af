import { it, expect } from 'vitest';
import { createMemoryStore } from '../src/stores/index.js';
import type { StateStore } from '../src/ports/index.js';
import { call, example, startApi } from './support/http-api.js';

it('explore', async () => {
  const inner = createMemoryStore();
  let count = 0;
  const store: StateStore = {
    lock: (c, o, x) => inner.lock(c, o, x),
    read: (c, x) => inner.read(c, x),
    list: (x) => inner.list(x),
    async append(c, e, x) {
      if (c === 'full' && ++count > 8) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return inner.append(c, e, x);
    },
  };
  const api = await startApi({ store });
  process.on('unhandledRejection', (e) => console.log('UNHANDLED', e));
  for (const id of ['full', 'fine']) console.log((await call(api.base, 'POST', '/v1/campaigns', { as: 'operator', body: { id, ...example('minimal') } })).status);
  const s = await call(api.base, 'POST', '/v1/campaigns/full/actions/start', { as: 'operator' });
  console.log('start', s.status, s.text);
  await new Promise((r) => setTimeout(r, 1000));
  for (const p of ['/health', '/v1/campaigns', '/v1/campaigns/full', '/v1/campaigns/full/journal']) {
    const r = await call(api.base, 'GET', p, { as: 'viewer' });
    console.log(p, r.status, r.text.slice(0, 400));
  }
  const r = await call(api.base, 'POST', '/v1/campaigns/full/actions/resume', { as: 'operator' });
  console.log('resume', r.status, r.text);
  const f = await call(api.base, 'POST', '/v1/campaigns/fine/actions/start', { as: 'operator' });
  console.log('fine start', f.status);
  await api.close();
});
