/**
 * The simulation reports: the HTML page rendered in headless Chromium (it must parse, hold the
 * comparison, the timelines and the VNF names, and draw something), its escaping, and the terminal
 * reports' wording. Results are real: the HA example simulated with both strategies.
 *
 * The browser checks need Chromium at /usr/bin/chromium (Debian: `apt-get install -y
 * --no-install-recommends chromium`); without it they fail, unless ESCALATOR_SKIP_BROWSER=1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCampaign, loadInventory, parseInventory } from '../src/loader/load.js';
import { formatDuration } from '../src/planner/render.js';
import { escapeHtml, renderHtmlReport } from '../src/simulator/html-report.js';
import { type SimulationResult, simulateCampaign } from '../src/simulator/run.js';
import { renderComparison, renderTextReport } from '../src/simulator/text-report.js';

const CHROMIUM = '/usr/bin/chromium';
const SKIP_BROWSER = process.env['ESCALATOR_SKIP_BROWSER'] === '1';
const EVIL = '<script>alert(1)</script>';

let escalator: SimulationResult;
let naive: SimulationResult;
let evil: SimulationResult;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'escalator-report-'));
  const inventory = await loadInventory('examples/ha/inventory.yaml');
  const campaign = await loadCampaign('examples/ha/campaign.yaml', { inventory });
  escalator = await simulateCampaign({ inventory, campaign, strategy: 'escalator', seed: 1 });
  naive = await simulateCampaign({ inventory, campaign, strategy: 'naive', seed: 1 });
  // The same cloud with its firewall VNF renamed to a script tag.
  const text = (await readFile('examples/ha/inventory.yaml', 'utf8'))
    .replaceAll('vnf: vFW', `vnf: "${EVIL}"`)
    .replace(/- name: vFW\b/, `- name: "${EVIL}"`);
  const evilInventory = parseInventory(text);
  expect(evilInventory.vnfs.map((v) => v.name)).toContain(EVIL);
  const evilCampaign = await loadCampaign('examples/ha/campaign.yaml', { inventory: evilInventory });
  evil = await simulateCampaign({
    inventory: evilInventory,
    campaign: evilCampaign,
    strategy: 'naive',
    seed: 1,
  });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs headless Chromium on a file with extra flags; returns its standard output. */
function chromium(file: string, ...flags: string[]): string {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is needed to check that the HTML report renders, and ${CHROMIUM} does not exist. ` +
        'Install it (Debian/Ubuntu: apt-get update && apt-get install -y --no-install-recommends chromium), ' +
        'or set ESCALATOR_SKIP_BROWSER=1 to skip the browser checks.',
    );
  const profile = join(dir, `profile-${Math.random().toString(36).slice(2)}`);
  mkdirSync(profile);
  const run = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...flags,
      pathToFileURL(file).href,
    ],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.error) throw run.error;
  if (run.status !== 0)
    throw new Error(`chromium exited with ${run.status} (${run.signal ?? 'no signal'}):\n${run.stderr}`);
  return run.stdout;
}

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const data = readFileSync(file);
  expect(data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(
    true,
  );
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('the HTML report', () => {
  it('is one self-contained HTML5 page with every section', () => {
    const html = renderHtmlReport([escalator, naive]);
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<title>Escalator simulation: ha-zed-to-antelope</title>');
    // Nothing to fetch, nothing to run.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|\shref=|url\(|@import/i);
    expect(html).toContain('What Escalator saved');
    expect(count(html, '<svg class="timeline-svg"')).toBe(2);
    for (const v of escalator.availability.vnfs) expect(html).toContain(v.name);
    for (const s of naive.availability.services.filter((x) => x.downSeconds > 0))
      expect(html).toContain(s.name);
    expect(renderHtmlReport([escalator], { title: 'Night of 3 March' })).toContain(
      '<title>Night of 3 March</title>',
    );
  });

  it('says "no outage" in green for Escalator and shows the naive outages in red', () => {
    const html = renderHtmlReport([escalator, naive]);
    expect(html).toMatch(/<div class="felt ok">No outage/);
    expect(html).toMatch(/<div class="felt bad">Users felt an outage/);
    const lost = naive.availability.clusters.filter((c) => c.downSeconds > 0);
    expect(lost.length).toBeGreaterThan(0);
    expect(html).toContain(`<span class="bad">${lost.length} clusters</span>`);
  });

  it('escapes every name', () => {
    const html = renderHtmlReport([evil], { title: `report & ${EVIL}` });
    expect(html).not.toContain(EVIL);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<title>report &amp; &lt;script&gt;');
    expect(escapeHtml(`a&b <c> "d" 'e'`)).toBe('a&amp;b &lt;c&gt; &quot;d&quot; &#39;e&#39;');
  });

  it('draws waves only beyond 400 nodes', () => {
    const many = {
      ...naive,
      timeline: naive.timeline.map((w) => ({
        ...w,
        nodes: Array.from({ length: 80 }, (_, i) => ({
          node: `n-${w.index}-${i}`,
          start: w.start,
          end: w.end,
          state: 'succeeded',
        })),
      })),
    };
    const html = renderHtmlReport([many]);
    expect(count(html, '<g class="wave"')).toBe(naive.timeline.length);
    expect(html).not.toContain('<rect class="node"');
    expect(html).toContain('waves only');
    expect(renderHtmlReport([naive])).toContain('<rect class="node"');
  });

  describe.skipIf(SKIP_BROWSER)('in headless Chromium', () => {
    let file: string;
    beforeAll(() => {
      file = join(dir, 'report.html');
      writeFileSync(file, renderHtmlReport([escalator, naive]));
    });

    it('parses: the DOM holds the comparison table, one wave group per wave and the VNF names', () => {
      const dom = chromium(file, '--dump-dom');
      expect(dom).toContain('<table class="comparison">');
      expect(dom).toContain('What Escalator saved');
      const svgs = dom.split('<svg class="timeline-svg"').slice(1);
      expect(svgs).toHaveLength(2);
      for (const [i, result] of [escalator, naive].entries()) {
        const svg = (svgs[i] ?? '').split('</svg>')[0] ?? '';
        const waves = svg.split('<g class="wave"').slice(1);
        expect(waves).toHaveLength(result.timeline.length);
        for (const [k, wave] of waves.entries()) {
          expect(wave).toMatch(new RegExp(`^ data-wave="${result.timeline[k]?.index}"`));
          expect(wave).toContain('<rect class="wave-band"');
        }
        expect(count(svg, '<rect class="node"')).toBe(
          result.timeline.reduce((n, w) => n + w.nodes.length, 0),
        );
      }
      expect(svgs[0]).toContain('data-canary="true"');
      for (const v of escalator.availability.vnfs) expect(dom).toContain(`<td>${escapeHtml(v.name)}</td>`);
    });

    it('draws a page (screenshot larger than a blank one)', () => {
      const shot = join(dir, 'shot.png');
      chromium(file, `--screenshot=${shot}`, '--window-size=1400,2000');
      expect(existsSync(shot)).toBe(true);
      expect(pngSize(shot)).toEqual({ width: 1400, height: 2000 });
      expect(statSync(shot).size).toBeGreaterThan(20 * 1024);
    });

    it('runs no script from a name', () => {
      const evilFile = join(dir, 'evil.html');
      writeFileSync(evilFile, renderHtmlReport([evil]));
      const dom = chromium(evilFile, '--dump-dom');
      expect(dom).not.toMatch(/<script/i);
      expect(dom).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    });
  });
});

describe('the terminal reports', () => {
  it('tells in plain words that Escalator caused no outage', () => {
    const text = renderTextReport(escalator);
    expect(text).toContain('Outcome: completed');
    expect(text).toContain(`Simulated duration: ${formatDuration(escalator.simulatedSeconds)}`);
    expect(text).toContain(`${escalator.plan.waves.length} waves`);
    expect(text).toContain(`${escalator.plan.totals?.migrations} migrations`);
    expect(text).toContain('VNF outage: none (every VNF kept at least minAvailable instances running)');
    expect(text).toContain('Lost quorums: none (every cluster kept at least minAvailable members up)');
    expect(text).toContain('Control-plane outage: none');
    expect(text).toContain('Failed steps: none');
    expect(text).toMatch(/executing\s+verifying/);
  });

  it('lists the naive outages, one row per cluster and service', () => {
    const text = renderTextReport(naive);
    const clusters = naive.availability.clusters.filter((c) => c.downSeconds > 0);
    const services = naive.availability.services.filter((s) => s.downSeconds > 0);
    expect(clusters.length).toBeGreaterThan(0);
    expect(services.length).toBeGreaterThan(0);
    expect(text).toContain(
      `Lost quorums: ${clusters.length} clusters had fewer than minAvailable members up`,
    );
    expect(text).toContain(`Control-plane outage: ${services.length} services had no node serving them`);
    expect(text).not.toContain('Lost quorums: none');
    for (const c of clusters)
      expect(text).toMatch(new RegExp(`^${c.name}\\s+${c.minAvailable}\\s+${c.minUp}\\s`, 'm'));
    for (const s of services) expect(text).toMatch(new RegExp(`^${s.name}\\s+\\d`, 'm'));
    // Services that never went down get no row.
    const up = naive.availability.services.find((s) => s.downSeconds === 0);
    if (up) expect(text).not.toMatch(new RegExp(`^${up.name}\\s`, 'm'));
  });

  it('lists VNF outages and failures with what the policy did', () => {
    const [first, ...rest] = naive.availability.vnfs;
    if (!first) throw new Error('the HA example has VNFs');
    const broken: SimulationResult = {
      ...naive,
      outcome: { state: 'paused', reason: 'w3.cmp-02.upgrade-packages failed: apt-get failed' },
      availability: {
        ...naive.availability,
        vnfs: [
          {
            ...first,
            minRunning: first.minAvailable - 1,
            downSeconds: 125,
            intervals: [{ from: 0, to: 125_000 }],
          },
          ...rest,
        ],
      },
      failures: [{ step: 'w3.cmp-02.upgrade-packages', error: 'apt-get failed' }],
      transitions: [
        ...naive.transitions.slice(0, 3),
        {
          at: new Date(naive.startedAt + 3600_000).toISOString(),
          from: 'executing',
          to: 'paused',
          reason: 'w3.cmp-02.upgrade-packages failed: apt-get failed',
        },
      ],
    };
    const text = renderTextReport(broken);
    expect(text).toContain('Outcome: paused (w3.cmp-02.upgrade-packages failed: apt-get failed)');
    expect(text).toContain(
      'VNF outage: 1 VNF fell below minAvailable running instances, 2 min 05 s in total',
    );
    expect(text).toMatch(
      new RegExp(
        `^${first.name}\\s+${first.instances}\\s+${first.minAvailable}\\s+${first.minAvailable - 1}\\s+2 min 05 s`,
        'm',
      ),
    );
    expect(text).toContain('Failed steps: 1');
    expect(text).toMatch(
      /^\+1:00:00\s+executing\s+paused\s+w3\.cmp-02\.upgrade-packages failed: apt-get failed$/m,
    );
    const html = renderHtmlReport([broken]);
    expect(html).toContain('<span class="bad">2 min 05 s</span>');
    expect(html).toContain('<g class="transition">');
  });

  it('compares Escalator with the naive strategy', () => {
    const text = renderComparison(escalator, naive);
    expect(text).toMatch(/^outcome\s+completed\s+completed\s+same$/m);
    expect(text).toMatch(/^lost quorums\s+none\s+\d+ clusters\s+\d+ fewer$/m);
    expect(text).toMatch(/^quorum lost for\s+none\s+.+\s+saves /m);
    expect(text).toMatch(/^simulated duration\s+/m);
    const [a, b] = [escalator.plan.totals?.movedTwice ?? 0, naive.plan.totals?.movedTwice ?? 0];
    expect(a).toBeLessThan(b);
    expect(text).toMatch(new RegExp(`^instances moved twice\\s+${a}\\s+${b}\\s+${b - a} fewer$`, 'm'));
    for (const s of naive.availability.services.filter((x) => x.downSeconds > 0))
      expect(text).toMatch(new RegExp(`^  ${s.name}\\s+none\\s+.+saves `, 'm'));
    expect(text).toContain('Escalator plan spared users');
    expect(text).toContain('=== Escalator plan ===');
    expect(text).toContain('=== Naive batches ===');
  });
});
