/**
 * `escalator status` as text: the campaign's state and progress, then the status table per site,
 * module, cluster and node, and its alarms. Nodes are many: only those not yet upgraded are listed
 * unless all are asked for.
 */
import type { CampaignSnapshot } from '../engine/journal.js';
import { statusOf } from '../engine/status.js';
import { formatDuration, textTable } from '../planner/render.js';

/** How many nodes the table lists without `all`. */
const NODES_SHOWN = 30;

/** The whole status of a campaign, for a terminal. */
export function renderStatus(
  snapshot: CampaignSnapshot,
  options: { readonly all?: boolean | undefined } = {},
): string {
  const s = statusOf(snapshot);
  const p = s.progress;
  const out = [
    `Campaign ${s.id}: ${s.state}${s.reason ? ` (${s.reason})` : ''}`,
    `Progress: ${p.percent}% — wave ${Math.min(p.wavesDone + 1, p.wavesTotal)} of ${p.wavesTotal}, ` +
      `${p.stepsDone} of ${p.stepsTotal} steps, about ${formatDuration(p.etaSeconds)} of work left; ` +
      `last record ${snapshot.updatedAt}`,
  ];
  const gate = snapshot.campaign.strategy.approveAfterWaves.find(
    (w) => snapshot.wavesDone.includes(w) && !snapshot.wavesApproved.includes(w),
  );
  if (gate !== undefined && s.state === 'paused')
    out.push(`Waiting for approval after wave ${gate}: escalator approve ${s.id}`);
  out.push(
    '',
    textTable(
      ['site', 'nodes', 'planned', 'upgraded'],
      s.sites.map((x) => [x.site, x.nodes, x.planned, x.upgraded]),
    ),
    '',
    textTable(
      ['module', 'target', 'nodes', 'upgraded'],
      s.modules.map((m) => [m.component, m.target, m.nodes, m.upgraded]),
    ),
  );
  if (s.clusters.length > 0)
    out.push(
      '',
      textTable(
        ['cluster', 'members', 'minAvailable', 'out now', 'upgraded'],
        s.clusters.map((c) => [c.cluster, c.members, c.minAvailable, c.out, c.upgraded]),
      ),
    );
  const order = ['failed', 'in-progress', 'pending', 'rolled-back', 'upgraded', 'untouched'];
  const nodes = [...s.nodes]
    .filter((n) => options.all || (n.state !== 'upgraded' && n.state !== 'untouched'))
    .sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state) || (a.wave ?? 0) - (b.wave ?? 0));
  const shown = options.all ? nodes : nodes.slice(0, NODES_SHOWN);
  out.push(
    '',
    shown.length === 0
      ? `Nodes: ${s.nodes.length}, none waiting or in progress`
      : textTable(
          ['node', 'site', 'roles', 'wave', 'state', 'step'],
          shown.map((n) => [n.node, n.site, n.roles.join(','), n.wave ?? '-', n.state, n.step ?? '']),
        ),
  );
  if (shown.length < nodes.length) out.push(`… and ${nodes.length - shown.length} more (--all lists them)`);
  out.push(
    '',
    s.alarms.length === 0
      ? 'Alarms: none'
      : textTable(
          ['at', 'severity', 'alarm', 'object', 'message'],
          s.alarms.map((a) => [a.at, a.severity, a.code, a.object, a.message]),
        ),
  );
  return out.join('\n');
}

/** One line per campaign: id, state, progress. */
export function renderCampaignList(
  rows: readonly { readonly id: string; readonly snapshot?: CampaignSnapshot; readonly error?: string }[],
): string {
  if (rows.length === 0) return 'No campaigns yet (escalator run <inventory> <campaign> starts one)';
  return textTable(
    ['campaign', 'state', 'progress', 'last record'],
    rows.map((r) => {
      if (!r.snapshot) return [r.id, 'unreadable', '', r.error ?? ''];
      const p = statusOf(r.snapshot).progress;
      return [r.id, r.snapshot.state, `${p.percent}%`, r.snapshot.updatedAt];
    }),
  );
}
