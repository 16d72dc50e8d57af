/**
 * The engine compacts its journal at wave boundaries: a snapshot (documents shared beside the journal)
 * replaces the records before it, and a campaign opened from it goes on as from the whole journal.
 * Real files (the file store); a scripted cloud that counts every effect.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRoleAuthorizer } from '../src/auth/role-authorizer.js';
import { createVirtualClock } from '../src/clock/virtual-clock.js';
import { createEngine } from '../src/engine/engine.js';
import { parseCampaign, parseInventory } from '../src/loader/load.js';
import type { Principal } from '../src/ports/authorizer.js';
import type { LogRecord } from '../src/ports/logger.js';
import { createFileStore } from '../src/stores/file-store.js';
import { minimalCampaign, minimalInventory } from './support/documents.js';
import { FakeCloud } from './support/fake-cloud.js';

const admin: Principal = { id: 'ada', roles: ['admin'], via: 'local' };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('journal compaction by the engine', () => {
  it('replaces the records before a wave boundary by a snapshot; a new process goes on from it, every effect once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'escalator-compaction-'));
    dirs.push(dir);
    const inventory = parseInventory(JSON.stringify(minimalInventory()));
    const input = minimalCampaign();
    const campaign = parseCampaign(
      JSON.stringify({ ...input, strategy: { ...input.strategy, approveAfterWaves: [0] } }),
      { inventory },
    );
    const clock = createVirtualClock({ autoAdvance: true, start: Date.parse('2026-12-06T00:00:00Z') });
    const cloud = new FakeCloud(inventory, { clock });
    const logs: LogRecord[] = [];
    const engineOn = (store: ReturnType<typeof createFileStore>) =>
      createEngine({
        adapters: { vim: cloud.vim, nodes: cloud.nodes, vnfm: cloud.vnfm },
        store,
        authorizer: createRoleAuthorizer(),
        clock,
        logger: { log: (r) => logs.push(r) },
        compactEvery: 1,
      });

    // First process: runs to the approval gate after wave 0, compacting at the wave boundary.
    const first = engineOn(createFileStore({ directory: dir }));
    const paused = await first.start(admin, { inventory, campaign });
    expect(paused.state).toBe('paused');
    const before = first.snapshot();
    await first.close();
    expect(logs.map((l) => l.action)).toContain('journal.compacted');
    const campaignDir = join(dir, before.id);
    expect(readdirSync(campaignDir)).toContain('snapshot.json');
    const journal = await createFileStore({ directory: dir }).read(before.id);
    expect(journal[0]?.type).toBe('snapshot');
    expect(journal.length).toBeLessThan(before.seq);
    // The documents were written once, for the created record, and the snapshot names the same ones.
    expect(readdirSync(join(campaignDir, 'documents'))).toHaveLength(3);
    const effectsAtGate = [...cloud.state.effects];

    // Second process: opens from the snapshot, sees the same campaign, and finishes it.
    const second = engineOn(createFileStore({ directory: dir }));
    const reopened = await second.open(before.id);
    expect(reopened).toEqual(before);
    expect((await second.approve(admin)).state).toBe('completed');
    await second.close();
    // Nothing done before the gate was done again.
    const after = cloud.state.effects.slice(effectsAtGate.length);
    for (const effect of effectsAtGate.filter((e) => e.startsWith('install:') || e.startsWith('reboot:')))
      expect(after, effect).not.toContain(effect);
    const final = await createFileStore({ directory: dir }).read(before.id);
    expect(final[0]?.type).toBe('snapshot');
    expect(final[0]!.seq).toBeGreaterThan(journal[0]!.seq);
  });
});
