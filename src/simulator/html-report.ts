/**
 * The HTML report of simulated campaigns: one self-contained page (inline CSS and SVG, no script, no
 * external resource) that an operator can read at a glance — outcome per strategy, what Escalator
 * saved compared with the naive strategy, a timeline of waves and nodes with the outages users felt,
 * availability per VNF, cluster and control-plane service, failures, alarms and what the policy did.
 */
import { formatDuration } from '../planner/render.js';
import type { SimulationResult, TimelineWave } from './run.js';
import {
  comparisonRows,
  formatElapsed,
  formatOutage,
  type ResultSummary,
  savedSentence,
  sinceStart,
  strategyDescription,
  summarize,
  transitionReason,
} from './text-report.js';

/** Options of {@link renderHtmlReport}. */
export interface HtmlReportOptions {
  /** @defaultValue `Escalator simulation: <campaign>` */
  readonly title?: string | undefined;
}

/** Above this many nodes in all timelines, waves are drawn without their nodes. */
export const MAX_NODE_BARS = 400;

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML (content and quoted attribute values). */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const h = escapeHtml;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A figure in red when it is bad, or a green "none" word. */
function badness(seconds: number, good = 'no outage'): string {
  return seconds > 0
    ? `<span class="bad">${h(formatOutage(seconds))}</span>`
    : `<span class="ok">${h(good)}</span>`;
}

const STATE_CLASS: Readonly<Record<string, string>> = {
  completed: 'ok',
  committed: 'ok',
  paused: 'warn',
  verifying: 'warn',
  executing: 'warn',
  'rolled-back': 'warn',
  restored: 'warn',
};

function stateBadge(state: string): string {
  return `<span class="badge ${STATE_CLASS[state] ?? 'bad'}">${h(state)}</span>`;
}

const CSS = `
:root{--ok:#1a7f37;--ok-bg:#dafbe1;--bad:#cf222e;--bad-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;
--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--ink:#1f2328}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",sans-serif;color:var(--ink);background:#fff}
header.top{background:#0d1117;color:#f0f6fc;padding:18px 32px}
header.top h1{margin:0 0 4px;font-size:22px}
header.top p{margin:0;color:#9198a1}
main{padding:8px 32px 48px;max-width:1440px}
h2{font-size:18px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:16px;margin-top:16px}
.card{border:1px solid var(--line);border-radius:8px;padding:14px 18px;background:#fff}
.card h2{margin:0 0 2px;border:0;padding:0}
.card .what{color:var(--muted);font-size:12.5px;margin:0 0 10px}
.felt{font-size:17px;font-weight:600;padding:8px 12px;border-radius:6px;margin:10px 0}
.felt.ok{background:var(--ok-bg);color:var(--ok)} .felt.bad{background:var(--bad-bg);color:var(--bad)}
.felt small{display:block;font-weight:400;font-size:13px;color:var(--ink)}
dl.figures{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}
dl.figures dt{color:var(--muted)} dl.figures dd{margin:0;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 10px;border-radius:12px;font-weight:600;font-size:13px}
.badge.ok{background:var(--ok-bg);color:var(--ok)} .badge.bad{background:var(--bad-bg);color:var(--bad)}
.badge.warn{background:var(--warn-bg);color:var(--warn)}
.ok{color:var(--ok)} .bad{color:var(--bad);font-weight:600} .warn{color:var(--warn)} .muted{color:var(--muted)}
table{border-collapse:collapse;margin:4px 0 8px}
th,td{padding:4px 12px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600;font-size:13px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.sub td:first-child{padding-left:28px;color:var(--muted)}
table.comparison td:nth-child(n+2){font-variant-numeric:tabular-nums}
.saved{font-size:15px;margin:6px 0 0}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:8px 32px}
.timeline{margin:8px 0 22px}
.timeline h3{margin-bottom:2px}
svg{display:block;max-width:100%;height:auto}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,"Liberation Sans",sans-serif}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12.5px;color:var(--muted);margin:4px 0}
.legend i{display:inline-block;width:14px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
ul.plain{margin:4px 0;padding-left:20px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
details summary{cursor:pointer;color:var(--muted)}
.detail{border-top:3px solid var(--line);margin-top:36px}
`;

const COLORS = {
  wave: '#ddf4ff',
  waveStroke: '#54aeff',
  canary: '#fff8c5',
  canaryStroke: '#d4a72c',
  succeeded: '#2da44e',
  failed: '#cf222e',
  'timed-out': '#bc4c00',
  other: '#8c959f',
  outage: '#cf222e',
  grid: '#d1d9e0',
  text: '#1f2328',
  muted: '#59636e',
  ok: '#1a7f37',
  warn: '#9a6700',
} as const;

function nodeColor(state: string): string {
  if (state === 'succeeded' || state === 'failed' || state === 'timed-out') return COLORS[state];
  return COLORS.other;
}

/** Elapsed time for an axis: `h:mm`. */
function clock(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

/** A tick step (ms) giving between about 5 and 12 ticks over `span`. */
function tickStep(span: number): number {
  const minutes = [1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 2880, 10080];
  for (const m of minutes) if (span / (m * 60_000) <= 12) return m * 60_000;
  return Math.ceil(span / 12 / 86_400_000) * 86_400_000;
}

const f1 = (n: number) => (Math.round(n * 10) / 10).toString();

interface OutageRow {
  readonly label: string;
  readonly kind: string;
  readonly intervals: readonly { from: number; to: number }[];
  readonly seconds: number;
}

const MAX_OUTAGE_ROWS = 30;

function outageRows(result: SimulationResult): OutageRow[] {
  const a = result.availability;
  const rows: OutageRow[] = [
    ...a.vnfs
      .filter((v) => v.downSeconds > 0)
      .map((v) => ({ label: v.name, kind: 'VNF', intervals: v.intervals, seconds: v.downSeconds })),
    ...a.clusters
      .filter((c) => c.downSeconds > 0)
      .map((c) => ({ label: c.name, kind: 'cluster', intervals: c.intervals, seconds: c.downSeconds })),
    ...a.services
      .filter((s) => s.downSeconds > 0)
      .map((s) => ({ label: s.name, kind: 'service', intervals: s.intervals, seconds: s.downSeconds })),
  ];
  if (rows.length <= MAX_OUTAGE_ROWS) return rows;
  const rest = rows.slice(MAX_OUTAGE_ROWS - 1);
  return [
    ...rows.slice(0, MAX_OUTAGE_ROWS - 1),
    {
      label: `${rest.length} more`,
      kind: 'other',
      intervals: rest.flatMap((r) => r.intervals),
      seconds: rest.reduce((s, r) => s + r.seconds, 0),
    },
  ];
}

const NORMAL_STATES = new Set([
  'prechecking',
  'backing-up',
  'executing',
  'verifying',
  'completed',
  'committed',
]);

/** The timeline of one run as an SVG: waves (and their nodes), then the outages users felt. */
function timelineSvg(result: SimulationResult, spanMs: number, drawNodes: boolean, label: string): string {
  const W = 1320;
  const left = 210;
  const right = 70;
  const plotW = W - left - right;
  const x = (t: number) => left + (Math.max(0, Math.min(spanMs, t - result.startedAt)) / spanMs) * plotW;
  const width = (from: number, to: number) => Math.max(1, x(to) - x(from));
  const parts: string[] = [];
  const top = 26;
  let y = top + 4;

  // Waves, with their nodes' bars.
  const waveParts: string[] = [];
  for (const wave of result.timeline) {
    const n = wave.nodes.length;
    const step = drawNodes ? Math.max(1.5, Math.min(6, 56 / Math.max(1, n))) : 0;
    const bandH = drawNodes ? Math.max(22, n * step + 8) : 18;
    waveParts.push(waveGroup(wave, y, bandH, step, x, width, drawNodes, result.startedAt));
    y += bandH + 4;
  }
  if (result.timeline.length === 0) {
    waveParts.push(
      `<text x="${left}" y="${y + 14}" fill="${COLORS.muted}" font-size="13">no wave started</text>`,
    );
    y += 22;
  }
  const wavesEnd = y;

  // Room for the labels of the end and of transitions, then the outage band.
  const labelY = y + 14;
  y += 22;
  const runW = Math.max(1, x(result.endedAt) - left);
  const rows = outageRows(result);
  const outageParts: string[] = [];
  outageParts.push(
    `<text x="8" y="${y + 13}" font-size="12.5" font-weight="600" fill="${COLORS.text}">What users felt</text>`,
  );
  if (rows.length === 0) {
    outageParts.push(
      `<rect x="${left}" y="${y}" width="${f1(runW)}" height="20" fill="#dafbe1" rx="3"/>`,
      `<text x="${left + 10}" y="${y + 14}" font-size="12.5" font-weight="600" fill="${COLORS.ok}">no outage: every VNF, cluster and control-plane service stayed up</text>`,
    );
    y += 24;
  } else {
    y += 20;
    for (const row of rows) {
      const title = `${row.kind} ${row.label}: out for ${formatOutage(row.seconds)}`;
      outageParts.push(
        `<g class="outage"><title>${h(title)}</title>`,
        `<text x="${left - 8}" y="${y + 10}" font-size="11" text-anchor="end" fill="${COLORS.text}">${h(row.kind === 'other' ? row.label : `${row.kind} ${row.label}`)}</text>`,
        `<rect x="${left}" y="${y}" width="${f1(runW)}" height="12" fill="#fff0ee"/>`,
        ...row.intervals.map(
          (i) =>
            `<rect x="${f1(x(i.from))}" y="${y}" width="${f1(width(i.from, i.to))}" height="12" fill="${COLORS.outage}"><title>${h(`${title} — ${formatElapsed(i.from - result.startedAt)} to ${formatElapsed(i.to - result.startedAt)} (${formatOutage((i.to - i.from) / 1000)})`)}</title></rect>`,
        ),
        `<text x="${W - right + 6}" y="${y + 10}" font-size="11" fill="${COLORS.outage}" font-weight="600">${h(formatOutage(row.seconds))}</text>`,
        '</g>',
      );
      y += 15;
    }
  }
  const height = y + 26;

  // Axis: ticks labelled h:mm since the start, grid lines through the waves and the outage band.
  const stepMs = tickStep(spanMs);
  const axis: string[] = [];
  for (let t = 0; t <= spanMs + 1; t += stepMs) {
    const tx = f1(left + (t / spanMs) * plotW);
    axis.push(
      `<line x1="${tx}" y1="${top}" x2="${tx}" y2="${y + 2}" stroke="${COLORS.grid}" stroke-width="1"/>`,
      `<text x="${tx}" y="${top - 8}" font-size="11" text-anchor="middle" fill="${COLORS.muted}">${clock(t)}</text>`,
      `<text x="${tx}" y="${y + 16}" font-size="11" text-anchor="middle" fill="${COLORS.muted}">${clock(t)}</text>`,
    );
  }
  axis.push(
    `<text x="8" y="${top - 8}" font-size="11" fill="${COLORS.muted}">time since start (h:mm)</text>`,
    `<line x1="${left}" y1="${wavesEnd + 3}" x2="${W - right}" y2="${wavesEnd + 3}" stroke="#8c959f" stroke-width="1"/>`,
  );
  // The end of the run, and transitions off the normal path (paused, failed, rolling back).
  const endX = f1(x(result.endedAt));
  const markers = [
    `<line x1="${endX}" y1="${top}" x2="${endX}" y2="${y + 2}" stroke="${COLORS.text}" stroke-width="1.5"/>`,
    `<text x="${endX}" y="${labelY}" font-size="11" font-weight="600" fill="${COLORS.text}" text-anchor="end" dx="-4">${h(`end: ${result.outcome.state}`)}</text>`,
  ];
  for (const t of result.transitions) {
    if (NORMAL_STATES.has(t.to)) continue;
    const at = Date.parse(t.at);
    if (Number.isNaN(at) || at >= result.endedAt) continue;
    const tx = f1(x(at));
    markers.push(
      `<g class="transition"><title>${h(`${formatElapsed(at - result.startedAt)} ${t.from} → ${t.to}${t.reason ? `: ${t.reason}` : ''}`)}</title>`,
      `<line x1="${tx}" y1="${top}" x2="${tx}" y2="${y + 2}" stroke="${COLORS.failed}" stroke-width="1.5" stroke-dasharray="4 3"/>`,
      `<text x="${tx}" y="${labelY}" dx="4" font-size="11" fill="${COLORS.failed}">${h(t.to)}</text></g>`,
    );
  }
  parts.push(
    `<svg class="timeline-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${f1(height)}" width="${W}" height="${f1(height)}" role="img" aria-label="${h(`Timeline of ${label}`)}">`,
    `<title>${h(`Timeline of ${label}`)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${f1(height)}" fill="#fff"/>`,
    ...axis,
    ...waveParts,
    ...outageParts,
    ...markers,
    '</svg>',
  );
  return parts.join('\n');
}

function waveGroup(
  wave: TimelineWave,
  y: number,
  bandH: number,
  step: number,
  x: (t: number) => number,
  width: (from: number, to: number) => number,
  drawNodes: boolean,
  startedAt: number,
): string {
  const failed = wave.nodes.filter((n) => n.state === 'failed' || n.state === 'timed-out').length;
  const fill = wave.canary ? COLORS.canary : COLORS.wave;
  const stroke = failed > 0 ? COLORS.failed : wave.canary ? COLORS.canaryStroke : COLORS.waveStroke;
  const seconds = (wave.end - wave.start) / 1000;
  const title =
    `wave ${wave.index}${wave.canary ? ' (canary)' : ''}: ${plural(wave.nodes.length, 'node')}, ` +
    `${formatElapsed(wave.start - startedAt)} to ${formatElapsed(wave.end - startedAt)} (${formatDuration(seconds)})` +
    (failed > 0 ? `, ${failed} failed` : '');
  const out = [
    `<g class="wave" data-wave="${wave.index}"${wave.canary ? ' data-canary="true"' : ''}><title>${h(title)}</title>`,
    `<rect class="wave-band" x="${f1(x(wave.start))}" y="${f1(y)}" width="${f1(width(wave.start, wave.end))}" height="${f1(bandH)}" fill="${fill}" stroke="${stroke}" stroke-width="${failed > 0 ? 2 : 1}" rx="3"/>`,
    `<text x="8" y="${f1(y + Math.min(bandH / 2 + 4, 15))}" font-size="12.5" font-weight="600" fill="${COLORS.text}">wave ${wave.index}</text>`,
  ];
  if (wave.canary)
    out.push(
      `<rect x="70" y="${f1(y + Math.min(bandH / 2 + 4, 15) - 11)}" width="48" height="14" rx="7" fill="${COLORS.canary}" stroke="${COLORS.canaryStroke}"/>`,
      `<text x="94" y="${f1(y + Math.min(bandH / 2 + 4, 15) - 1)}" font-size="10" text-anchor="middle" font-weight="600" fill="${COLORS.warn}">canary</text>`,
    );
  out.push(
    `<text x="202" y="${f1(y + Math.min(bandH / 2 + 4, 15))}" font-size="11" text-anchor="end" fill="${failed > 0 ? COLORS.failed : COLORS.muted}"${failed > 0 ? ' font-weight="600"' : ''}>${h(failed > 0 ? `${failed}/${wave.nodes.length} failed` : plural(wave.nodes.length, 'node'))}</text>`,
  );
  if (drawNodes) {
    const barH = Math.max(1, step * 0.7);
    wave.nodes.forEach((node, i) => {
      const ny = y + 4 + i * step;
      out.push(
        `<rect class="node" x="${f1(x(node.start))}" y="${f1(ny)}" width="${f1(width(node.start, node.end))}" height="${f1(barH)}" fill="${nodeColor(node.state)}"><title>${h(`${node.node}: ${node.state}, ${formatElapsed(node.start - startedAt)} to ${formatElapsed(node.end - startedAt)}`)}</title></rect>`,
      );
    });
  }
  out.push('</g>');
  return out.join('');
}

function legend(drawNodes: boolean): string {
  const item = (color: string, text: string, border = color) =>
    `<span><i style="background:${color};border:1px solid ${border}"></i>${h(text)}</span>`;
  return `<div class="legend">${[
    item(COLORS.wave, 'wave', COLORS.waveStroke),
    item(COLORS.canary, 'canary wave (checked before the rest go on)', COLORS.canaryStroke),
    ...(drawNodes
      ? [
          item(COLORS.succeeded, 'node upgraded'),
          item(COLORS.failed, 'node failed'),
          item(COLORS['timed-out'], 'node timed out'),
          item(COLORS.other, 'node not finished'),
        ]
      : []),
    item(COLORS.outage, 'outage (VNF below minAvailable, cluster without quorum, service with no node)'),
  ].join('')}${drawNodes ? '' : `<span>(more than ${MAX_NODE_BARS} nodes: waves only)</span>`}</div>`;
}

function card(result: SimulationResult, s: ResultSummary, i: number): string {
  const felt = s.noOutage
    ? `<div class="felt ok">No outage<small>every VNF kept at least minAvailable instances running, every cluster kept its quorum, every control-plane service stayed up</small></div>`
    : `<div class="felt bad">Users felt an outage<small>${[
        s.vnfsDown.length > 0
          ? `<span class="bad">${h(plural(s.vnfsDown.length, 'VNF'))}</span> below minAvailable for ${h(formatOutage(s.vnfOutageSeconds))}`
          : 'no VNF outage',
        s.clustersDown.length > 0
          ? `<span class="bad">${h(plural(s.clustersDown.length, 'cluster'))}</span> lost quorum (${h(formatOutage(s.quorumLostSeconds))} in total)`
          : 'no lost quorum',
        s.servicesDown.length > 0
          ? `<span class="bad">${h(plural(s.servicesDown.length, 'control-plane service'))}</span> down (${h(formatOutage(s.serviceOutageSeconds))} in total)`
          : 'no control-plane outage',
      ].join('; ')}</small></div>`;
  const waves = s.wavesRun < s.waves ? `${s.wavesRun} of ${s.waves} run` : String(s.waves);
  return `<section class="card" id="card-${h(result.strategy)}-${i}">
<h2>${h(s.label)} ${stateBadge(s.state)}</h2>
<p class="what">${h(strategyDescription(result.strategy))}</p>
${s.reason ? `<p class="${s.state === 'completed' || s.state === 'committed' ? 'muted' : 'warn'}">${h(s.reason)}</p>` : ''}
${felt}
<dl class="figures">
<dt>outcome</dt><dd>${h(s.state)}</dd>
<dt>simulated duration</dt><dd>${h(formatDuration(s.seconds))}</dd>
<dt>waves</dt><dd>${h(waves)}</dd>
<dt>nodes</dt><dd>${s.nodes}</dd>
<dt>migrations</dt><dd>${s.migrations} <span class="muted">(${h(plural(s.movedTwice, 'instance'))} moved twice)</span></dd>
<dt>failed steps</dt><dd>${s.failures > 0 ? `<span class="bad">${s.failures}</span>` : '<span class="ok">none</span>'}</dd>
<dt>plan check</dt><dd>${s.violations > 0 ? `<span class="bad">${h(plural(s.violations, 'broken rule'))}</span>` : '<span class="ok">no broken rule</span>'}</dd>
</dl>
</section>`;
}

function comparison(a: SimulationResult, b: SimulationResult): string {
  const sa = summarize(a);
  const sb = summarize(b);
  const escalatorFirst = a.strategy === 'escalator' && b.strategy === 'naive';
  const rows = comparisonRows(a, b).map((r) => {
    const cell = (v: string) =>
      r.measure === 'outcome'
        ? stateBadge(v)
        : r.outage
          ? `<span class="${v === 'none' ? 'ok' : 'bad'}">${h(v)}</span>`
          : h(v);
    const cls = r.better === undefined ? 'muted' : r.better ? 'ok' : r.outage ? 'bad' : 'warn';
    return `<tr${r.sub ? ' class="sub"' : ''}><td>${h(r.measure)}</td><td>${cell(r.a)}</td><td>${cell(r.b)}</td><td class="${cls}">${h(r.difference)}</td></tr>`;
  });
  return `<section id="comparison">
<h2>${escalatorFirst ? 'What Escalator saved' : `${h(sa.label)} compared with ${h(sb.label.toLowerCase())}`}</h2>
<p class="muted">Both runs on the same simulated cloud with the same seed. Lower is better on every line.</p>
<table class="comparison">
<thead><tr><th></th><th>${h(sa.label)}</th><th>${h(sb.label)}</th><th>${h(escalatorFirst ? 'what Escalator saved' : `${sa.label} compared`)}</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<p class="saved"><strong>${h(savedSentence(a, b))}</strong></p>
</section>`;
}

/** Above this many rows, a table shows the first ones and says how many it left out. */
const MAX_TABLE_ROWS = 300;

/** A table of HTML cells (already escaped); `numeric` columns are right-aligned. */
function table(
  header: readonly string[],
  rows: readonly string[][],
  numeric: readonly number[] = [],
  hidden = 'rows',
): string {
  const th = header.map((c, i) => `<th${numeric.includes(i) ? ' class="num"' : ''}>${h(c)}</th>`).join('');
  const body = rows
    .slice(0, MAX_TABLE_ROWS)
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const more =
    rows.length > MAX_TABLE_ROWS
      ? `<p class="muted">… and ${rows.length - MAX_TABLE_ROWS} more ${h(hidden)}</p>`
      : '';
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>${more}`;
}

function availability(result: SimulationResult): string {
  const a = result.availability;
  // Outages first, so that a long table never hides one.
  const byOutage = [...a.vnfs].sort((x, y) => y.downSeconds - x.downSeconds);
  const vnfs = table(
    ['VNF', 'instances', 'minAvailable', 'fewest running', 'live-migration pauses', 'outage'],
    byOutage.map((v) => [
      h(v.name),
      String(v.instances),
      String(v.minAvailable),
      v.minRunning < v.minAvailable ? `<span class="bad">${v.minRunning}</span>` : String(v.minRunning),
      v.pauses === 0 ? '0' : `${v.pauses} <span class="muted">(${h(v.pauseSeconds.toFixed(1))} s)</span>`,
      badness(v.downSeconds),
    ]),
    [1, 2, 3, 4],
    byOutage.slice(MAX_TABLE_ROWS).some((v) => v.downSeconds > 0)
      ? 'VNFs'
      : 'VNFs, none of them with an outage',
  );
  const clusters = table(
    ['cluster', 'minAvailable', 'fewest up', 'quorum lost for'],
    a.clusters.map((c) => [
      h(c.name),
      String(c.minAvailable),
      c.minUp < c.minAvailable ? `<span class="bad">${c.minUp}</span>` : String(c.minUp),
      badness(c.downSeconds, 'never lost'),
    ]),
    [1, 2],
  );
  const services = table(
    ['control-plane service', 'outage'],
    [...a.services]
      .sort((x, y) => y.downSeconds - x.downSeconds)
      .map((s) => [h(s.name), badness(s.downSeconds)]),
  );
  const instances =
    a.instances.length === 0
      ? ''
      : `<details><summary>${h(
          `${plural(a.instances.length, 'instance')} briefly down (cold moves, instances stopped on their node) — ` +
            `${formatOutage(a.instances.reduce((s, i) => s + i.downSeconds, 0))} in total; their VNF stayed within minAvailable unless shown in red above`,
        )}</summary>${table(
          ['instance', 'down for', 'times'],
          [...a.instances]
            .sort((x, y) => y.downSeconds - x.downSeconds)
            .map((i) => [h(i.name), h(formatOutage(i.downSeconds)), String(i.intervals.length)]),
          [2],
          'instances',
        )}</details>`;
  return `<h3>VNFs</h3>
<p class="muted">A VNF is out when fewer than minAvailable of its instances run. Live-migration pauses are brief freezes of an instance while it moves live: not an outage.</p>
${a.vnfs.length > 0 ? vnfs : '<p class="muted">no VNF in this cloud</p>'}
${instances}
<div class="grid2"><div><h3>Clusters</h3>
<p class="muted">A cluster loses quorum when fewer than minAvailable members are up.</p>
${a.clusters.length > 0 ? clusters : '<p class="muted">no cluster in this cloud</p>'}</div>
<div><h3>Control-plane services</h3>
<p class="muted">A service is out when no node serves it.</p>
${a.services.length > 0 ? services : '<p class="muted">no control-plane service in this cloud</p>'}</div></div>`;
}

function eventsSection(result: SimulationResult): string {
  const at = (iso: string) => `<span title="${h(iso)}">${h(formatElapsed(sinceStart(result, iso)))}</span>`;
  const failures =
    result.failures.length === 0
      ? '<p class="ok">No step failed.</p>'
      : table(
          ['step', 'error'],
          result.failures.map((f) => [`<code>${h(f.step)}</code>`, `<span class="bad">${h(f.error)}</span>`]),
        );
  const alarms =
    result.alarms.length === 0
      ? '<p class="ok">No alarm was raised.</p>'
      : table(
          ['at', 'alarm', 'object', 'message'],
          result.alarms.map((a) => [at(a.at), `<code>${h(a.code)}</code>`, h(a.object), h(a.message)]),
        );
  const transitions = table(
    ['at', 'from', 'to', 'why'],
    result.transitions.map((t) => [
      at(t.at),
      h(t.from),
      NORMAL_STATES.has(t.to) ? h(t.to) : `<span class="${STATE_CLASS[t.to] ?? 'bad'}">${h(t.to)}</span>`,
      t.reason ? h(t.reason) : `<span class="muted">${h(transitionReason(t) || '—')}</span>`,
    ]),
  );
  const v = result.verdict;
  const shown = v.violations.slice(0, 20);
  const verdict = v.ok
    ? '<p class="ok">The independent checker found no broken rule in this plan.</p>'
    : `<p class="bad">The independent checker found ${h(
        plural(
          Object.values(v.counts).reduce((s, n) => s + n, 0),
          'broken rule',
        ),
      )} in this plan.</p>
<ul class="plain">${shown.map((x) => `<li><code>${h(x.code)}</code>${x.wave === undefined ? '' : ` wave ${x.wave}`}: ${h(x.message)}</li>`).join('\n')}</ul>${v.violations.length > shown.length ? `<p class="muted">… and ${v.violations.length - shown.length} more</p>` : ''}`;
  return `<div class="grid2"><div><h3>Failures</h3>${failures}</div><div><h3>Alarms</h3>${alarms}</div></div>
<h3>What the policy did</h3>
<p class="muted">The campaign's states in order, with the reason of each change; times since the start of the campaign.</p>
${transitions}
<h3>Plan check</h3>
${verdict}`;
}

/** Renders simulated campaigns (one, or Escalator and naive on the same cloud and seed) as one HTML page. */
export function renderHtmlReport(
  results: readonly SimulationResult[],
  options: HtmlReportOptions = {},
): string {
  const summaries = results.map(summarize);
  const first = summaries[0];
  const campaign = first?.campaign ?? 'no campaign';
  const title = options.title ?? `Escalator simulation: ${campaign}`;
  const spanMs = Math.max(1000, ...results.map((r) => r.endedAt - r.startedAt));
  const totalNodes = results.reduce((s, r) => s + r.timeline.reduce((n, w) => n + w.nodes.length, 0), 0);
  const drawNodes = totalNodes <= MAX_NODE_BARS;
  const [a, b] = results;
  const body: string[] = [];
  body.push(
    `<header class="top"><h1>${h(title)}</h1><p>Campaign <strong>${h(campaign)}</strong>${first?.inventory ? ` on cloud <strong>${h(first.inventory)}</strong>` : ''}, run on Escalator's built-in simulated cloud${results.length > 1 ? ` with ${results.length} strategies` : ''}. Times are simulated time since the start of the campaign.</p></header>`,
    '<main>',
  );
  if (results.length === 0) body.push('<p>No simulation result to show.</p>');
  body.push(
    `<div class="cards">${results.map((r, i) => card(r, summaries[i] as ResultSummary, i)).join('\n')}</div>`,
  );
  if (a && b && results.length === 2) body.push(comparison(a, b));
  if (results.length > 0) {
    body.push(
      `<section id="timelines"><h2>Timeline${results.length > 1 ? 's (same time scale)' : ''}</h2>`,
      legend(drawNodes),
    );
    results.forEach((r, i) => {
      const label = summaries[i]?.label ?? r.strategy;
      body.push(
        `<div class="timeline" id="timeline-${h(r.strategy)}-${i}"><h3>${h(label)} — ${h(formatDuration(r.simulatedSeconds))}, ${stateBadge(r.outcome.state)}</h3>`,
        timelineSvg(r, spanMs, drawNodes, label),
        '</div>',
      );
    });
    body.push('</section>');
  }
  results.forEach((r, i) => {
    const s = summaries[i] as ResultSummary;
    body.push(
      `<section class="detail" id="detail-${h(r.strategy)}-${i}"><h2>${h(s.label)}: availability and events</h2>`,
      `<p>Outcome: ${stateBadge(s.state)} ${s.reason ? h(s.reason) : ''}</p>`,
      availability(r),
      eventsSection(r),
      '</section>',
    );
  });
  body.push(
    `<footer class="muted" style="margin-top:32px;font-size:12px">Generated by Escalator from ${h(plural(results.length, 'simulation'))}.</footer></main>`,
  );
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
