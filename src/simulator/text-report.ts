/**
 * Terminal views of a simulated campaign: what happened and what end users would have felt, in words
 * and aligned tables, for someone who has never read the docs; and a comparison of two runs (usually
 * Escalator's plan against the naive strategy on the same cloud and seed).
 */
import { formatDuration, textTable } from '../planner/render.js';
import type { SimulationResult, SimulationStrategy } from './run.js';

/** How a strategy is called in reports. @internal */
export function strategyLabel(strategy: SimulationStrategy): string {
  return strategy === 'naive' ? 'Naive batches' : 'Escalator plan';
}

/** One sentence on how a strategy plans. @internal */
export function strategyDescription(strategy: SimulationStrategy): string {
  return strategy === 'naive'
    ? 'fixed batches of nodes in inventory order, the scheduler picks where instances go; quorums and minAvailable are not looked at'
    : "Escalator's planner: waves that keep every quorum and every VNF's minAvailable";
}

/** An outage length for people: `none`, `< 1 s`, `6 min 54 s`. @internal */
export function formatOutage(seconds: number): string {
  if (seconds <= 0) return 'none';
  if (seconds < 0.5) return '< 1 s';
  return formatDuration(seconds);
}

/** Time since the start of the campaign: `+1:02:03`. @internal */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `+${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Milliseconds from the campaign's start to an ISO time; 0 when unreadable. @internal */
export function sinceStart(result: SimulationResult, iso: string): number {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? 0 : t - result.startedAt;
}

/** What a campaign transition without a recorded reason means. */
const USUAL_REASONS: Readonly<Record<string, string>> = {
  'created>prechecking': 'campaign started',
  'prechecking>backing-up': 'prechecks passed',
  'backing-up>executing': 'backups done',
  'executing>verifying': 'every wave done',
  'verifying>completed': 'final verification passed',
  'paused>executing': 'resumed',
  'failed>executing': 'resumed',
  'completed>committed': 'committed',
  'rolling-back>rolled-back': 'every change undone',
  'restoring>restored': 'restored from backups',
};

/** Why a campaign changed state: the recorded reason, else what the change usually means. @internal */
export function transitionReason(t: { from: string; to: string; reason?: string | undefined }): string {
  return t.reason ?? USUAL_REASONS[`${t.from}>${t.to}`] ?? '';
}

/** The figures of a simulated campaign that reports show. @internal */
export interface ResultSummary {
  readonly label: string;
  readonly campaign: string;
  readonly inventory: string | undefined;
  readonly state: string;
  readonly reason: string | undefined;
  readonly seconds: number;
  readonly waves: number;
  /** Waves that started. */
  readonly wavesRun: number;
  readonly nodes: number;
  readonly migrations: number;
  readonly movedTwice: number;
  readonly failures: number;
  readonly violations: number;
  readonly vnfsDown: readonly SimulationResult['availability']['vnfs'][number][];
  readonly vnfOutageSeconds: number;
  readonly clustersDown: readonly SimulationResult['availability']['clusters'][number][];
  readonly quorumLostSeconds: number;
  readonly servicesDown: readonly SimulationResult['availability']['services'][number][];
  readonly serviceOutageSeconds: number;
  readonly pauses: number;
  readonly pauseSeconds: number;
  /** True when no VNF, cluster or control-plane service was out. */
  readonly noOutage: boolean;
}

const sum = (values: readonly number[]) => values.reduce((s, v) => s + v, 0);

/** The figures of a result. @internal */
export function summarize(result: SimulationResult): ResultSummary {
  const { plan, availability: a } = result;
  const moves = new Map<string, number>();
  for (const wave of plan.waves)
    for (const m of wave.migrations) moves.set(m.instance, (moves.get(m.instance) ?? 0) + 1);
  const vnfsDown = a.vnfs.filter((v) => v.downSeconds > 0);
  const clustersDown = a.clusters.filter((c) => c.downSeconds > 0);
  const servicesDown = a.services.filter((s) => s.downSeconds > 0);
  return {
    label: strategyLabel(result.strategy),
    campaign: plan.metadata.campaign ?? plan.metadata.name,
    inventory: plan.metadata.inventory,
    state: result.outcome.state,
    reason: result.outcome.reason,
    seconds: result.simulatedSeconds,
    waves: plan.waves.length,
    wavesRun: result.timeline.length,
    nodes: plan.totals?.nodes ?? new Set(plan.waves.flatMap((w) => w.nodes)).size,
    migrations: sum(plan.waves.map((w) => w.migrations.length)),
    movedTwice: [...moves.values()].filter((n) => n > 1).length,
    failures: result.failures.length,
    violations: sum(Object.values(result.verdict.counts)),
    vnfsDown,
    vnfOutageSeconds: sum(vnfsDown.map((v) => v.downSeconds)),
    clustersDown,
    quorumLostSeconds: sum(clustersDown.map((c) => c.downSeconds)),
    servicesDown,
    serviceOutageSeconds: sum(servicesDown.map((s) => s.downSeconds)),
    pauses: sum(a.vnfs.map((v) => v.pauses)),
    pauseSeconds: sum(a.vnfs.map((v) => v.pauseSeconds)),
    noOutage: vnfsDown.length === 0 && clustersDown.length === 0 && servicesDown.length === 0,
  };
}

/** `completed`, or `paused (<reason>)`. */
function outcomeText(s: ResultSummary): string {
  return s.reason ? `${s.state} (${s.reason})` : s.state;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Cuts a list after `max` entries, with a count of the rest. */
function cut<T>(rows: readonly T[], max: number): { rows: readonly T[]; more: string | undefined } {
  return rows.length <= max
    ? { rows, more: undefined }
    : { rows: rows.slice(0, max), more: `… and ${rows.length - max} more` };
}

function headline(result: SimulationResult, s: ResultSummary): string[] {
  const waves =
    s.wavesRun < s.waves ? `${s.wavesRun} of ${plural(s.waves, 'wave')} run` : plural(s.waves, 'wave');
  return [
    `${s.label} for campaign "${s.campaign}"${s.inventory ? ` on "${s.inventory}"` : ''} (${strategyDescription(result.strategy)})`,
    `Outcome: ${outcomeText(s)}`,
    `Simulated duration: ${formatDuration(s.seconds)} — ${waves}, ${plural(s.nodes, 'node')}, ` +
      `${plural(s.migrations, 'migration')} (${plural(s.movedTwice, 'instance')} moved twice)`,
    s.violations === 0
      ? 'Plan check: the independent checker found no broken rule'
      : `Plan check: the independent checker found ${plural(s.violations, 'broken rule')} (quorums, minAvailable, …)`,
  ];
}

function vnfSection(s: ResultSummary): string[] {
  if (s.vnfsDown.length === 0)
    return ['VNF outage: none (every VNF kept at least minAvailable instances running)'];
  return [
    `VNF outage: ${plural(s.vnfsDown.length, 'VNF')} fell below minAvailable running instances, ` +
      `${formatOutage(s.vnfOutageSeconds)} in total`,
    textTable(
      ['vnf', 'instances', 'minAvailable', 'fewest running', 'outage', 'times'],
      s.vnfsDown.map((v) => [
        v.name,
        v.instances,
        v.minAvailable,
        v.minRunning,
        formatOutage(v.downSeconds),
        v.intervals.length,
      ]),
    ),
  ];
}

function clusterSection(s: ResultSummary): string[] {
  if (s.clustersDown.length === 0)
    return ['Lost quorums: none (every cluster kept at least minAvailable members up)'];
  return [
    `Lost quorums: ${plural(s.clustersDown.length, 'cluster')} had fewer than minAvailable members up, ` +
      `${formatOutage(s.quorumLostSeconds)} in total`,
    textTable(
      ['cluster', 'minAvailable', 'fewest up', 'quorum lost for', 'times'],
      s.clustersDown.map((c) => [
        c.name,
        c.minAvailable,
        c.minUp,
        formatOutage(c.downSeconds),
        c.intervals.length,
      ]),
    ),
  ];
}

function serviceSection(s: ResultSummary): string[] {
  if (s.servicesDown.length === 0)
    return ['Control-plane outage: none (every control-plane service always had a node serving it)'];
  return [
    `Control-plane outage: ${plural(s.servicesDown.length, 'service')} had no node serving them, ` +
      `${formatOutage(s.serviceOutageSeconds)} in total`,
    textTable(
      ['service', 'outage', 'times'],
      s.servicesDown.map((x) => [x.name, formatOutage(x.downSeconds), x.intervals.length]),
    ),
  ];
}

function recoverySection(result: SimulationResult): string[] {
  const groups = result.availability.groups;
  if (groups.length === 0) return [];
  const breaches = sum(groups.map((g) => g.breachCount));
  return [
    breaches === 0
      ? `Server group recovery: every group rested its recoverySeconds between impacts (${plural(groups.length, 'group')})`
      : `Server group recovery: ${plural(breaches, 'impact')} came before the group had rested its recoverySeconds`,
    textTable(
      ['server group', 'recovery', 'impacts', 'shortest rest', 'breaches'],
      groups.map((g) => [
        g.name,
        formatDuration(g.recoverySeconds),
        g.impacts,
        g.shortestGapSeconds === undefined ? '-' : formatDuration(g.shortestGapSeconds),
        g.breachCount,
      ]),
    ),
  ];
}

function policySection(result: SimulationResult): string[] {
  const out: string[] = [];
  if (result.failures.length === 0) out.push('Failed steps: none');
  else {
    const { rows, more } = cut(result.failures, 20);
    out.push(
      `Failed steps: ${result.failures.length}`,
      textTable(
        ['step', 'error'],
        rows.map((f) => [f.step, f.error]),
      ),
    );
    if (more) out.push(more);
  }
  out.push(
    '',
    'What the policy did (campaign states, in order):',
    textTable(
      ['at', 'from', 'to', 'why'],
      result.transitions.map((t) => [
        formatElapsed(sinceStart(result, t.at)),
        t.from,
        t.to,
        transitionReason(t),
      ]),
    ),
  );
  if (result.alarms.length > 0) {
    const { rows, more } = cut(result.alarms, 20);
    out.push(
      '',
      `Alarms raised: ${result.alarms.length}`,
      textTable(
        ['at', 'alarm', 'object', 'message'],
        rows.map((a) => [formatElapsed(sinceStart(result, a.at)), a.code, a.object, a.message]),
      ),
    );
    if (more) out.push(more);
  }
  return out;
}

/** The terminal report of one simulated campaign: headline, what users felt, failures and policy. */
export function renderTextReport(result: SimulationResult): string {
  const s = summarize(result);
  const out = [...headline(result, s), '', 'What end users would have felt:'];
  out.push(...vnfSection(s), '', ...clusterSection(s), '', ...serviceSection(s));
  const recovery = recoverySection(result);
  if (recovery.length > 0) out.push('', ...recovery);
  if (s.pauses > 0)
    out.push(
      '',
      `Live-migration pauses: ${plural(s.pauses, 'pause')}, ${s.pauseSeconds.toFixed(1)} s in total ` +
        '(an instance freezes for a moment when it moves live; not an outage)',
    );
  const instances = result.availability.instances;
  if (instances.length > 0)
    out.push(
      `Instances briefly down: ${plural(instances.length, 'instance')}, ` +
        `${formatOutage(sum(instances.map((i) => i.downSeconds)))} in total ` +
        '(cold moves and instances stopped on their node; their VNF stayed within minAvailable unless listed above)',
    );
  out.push('', ...policySection(result));
  return out.join('\n');
}

/** One line of a comparison of two runs. @internal */
export interface ComparisonRow {
  readonly measure: string;
  readonly a: string;
  readonly b: string;
  /** How `a` compares with `b`, in words: `saves 6 min 54 s`, `1 h 21 min longer`, `3 fewer`, `same`. */
  readonly difference: string;
  /** Lower is better on every line: true when `a` is lower, false when higher, undefined when equal. */
  readonly better: boolean | undefined;
  /** A line about what users felt (outages), rather than about the work done. */
  readonly outage: boolean;
  /** A detail line of the line above (one control-plane service). */
  readonly sub?: boolean | undefined;
}

type Kind = 'outage' | 'time' | 'count';

function compare(
  measure: string,
  kind: Kind,
  a: number,
  b: number,
  shown: (n: number) => string,
  sub = false,
): ComparisonRow {
  const format = kind === 'count' ? String : kind === 'time' ? formatDuration : formatOutage;
  const d = Math.abs(a - b);
  const same = kind === 'count' ? d === 0 : Math.round(d) === 0 && a > 0 === b > 0;
  const better = same ? undefined : a < b;
  const difference = same
    ? 'same'
    : kind === 'outage'
      ? better
        ? `saves ${format(d)}`
        : `${format(d)} more`
      : kind === 'time'
        ? `${format(d)} ${better ? 'shorter' : 'longer'}`
        : `${d} ${better ? 'fewer' : 'more'}`;
  return { measure, a: shown(a), b: shown(b), difference, better, outage: kind === 'outage' || sub, sub };
}

/** Rows comparing two runs (lower is better on each). @internal */
export function comparisonRows(a: SimulationResult, b: SimulationResult): ComparisonRow[] {
  const sa = summarize(a);
  const sb = summarize(b);
  const clusters = (n: number) => (n === 0 ? 'none' : plural(n, 'cluster'));
  const rows: ComparisonRow[] = [
    {
      measure: 'outcome',
      a: sa.state,
      b: sb.state,
      difference: sa.state === sb.state ? 'same' : 'different',
      better: undefined,
      outage: false,
    },
    {
      ...compare('VNF outage', 'outage', sa.vnfOutageSeconds, sb.vnfOutageSeconds, formatOutage),
      a: outageCell(sa.vnfOutageSeconds, sa.vnfsDown.length, 'VNF'),
      b: outageCell(sb.vnfOutageSeconds, sb.vnfsDown.length, 'VNF'),
    },
    {
      ...compare('lost quorums', 'count', sa.clustersDown.length, sb.clustersDown.length, clusters),
      outage: true,
    },
    compare('quorum lost for', 'outage', sa.quorumLostSeconds, sb.quorumLostSeconds, formatOutage),
  ];
  const services = [...new Set([...sa.servicesDown, ...sb.servicesDown].map((s) => s.name))];
  if (services.length === 0) rows.push(compare('control-plane outage', 'outage', 0, 0, formatOutage));
  else {
    rows.push(
      compare(
        'control-plane outage (all services)',
        'outage',
        sa.serviceOutageSeconds,
        sb.serviceOutageSeconds,
        formatOutage,
      ),
    );
    for (const name of services) {
      const da = sa.servicesDown.find((s) => s.name === name)?.downSeconds ?? 0;
      const db = sb.servicesDown.find((s) => s.name === name)?.downSeconds ?? 0;
      rows.push(compare(name, 'outage', da, db, formatOutage, true));
    }
  }
  rows.push(
    compare('simulated duration', 'time', sa.seconds, sb.seconds, formatDuration),
    compare('waves', 'count', sa.waves, sb.waves, String),
    compare('migrations', 'count', sa.migrations, sb.migrations, String),
    compare('instances moved twice', 'count', sa.movedTwice, sb.movedTwice, String),
    compare('failed steps', 'count', sa.failures, sb.failures, String),
    compare('broken plan rules', 'count', sa.violations, sb.violations, String),
  );
  return rows;
}

const outageCell = (seconds: number, items: number, what: string) =>
  seconds <= 0 ? 'none' : `${formatOutage(seconds)} (${plural(items, what)})`;

/** One sentence on what `a` spared users compared with `b`. @internal */
export function savedSentence(a: SimulationResult, b: SimulationResult): string {
  const sa = summarize(a);
  const sb = summarize(b);
  const saved: string[] = [];
  const vnf = sb.vnfOutageSeconds - sa.vnfOutageSeconds;
  const quorum = sb.quorumLostSeconds - sa.quorumLostSeconds;
  const service = sb.serviceOutageSeconds - sa.serviceOutageSeconds;
  if (vnf > 0) saved.push(`${formatOutage(vnf)} of VNF outage`);
  if (quorum > 0)
    saved.push(`${formatOutage(quorum)} of lost quorum (${plural(sb.clustersDown.length, 'cluster')})`);
  if (service > 0)
    saved.push(
      `${formatOutage(service)} of control-plane outage (${plural(sb.servicesDown.length, 'service')})`,
    );
  const longer = sa.seconds - sb.seconds;
  const time =
    Math.round(longer) === 0
      ? 'in the same simulated time'
      : longer > 0
        ? `at the cost of ${formatDuration(longer)} more simulated time`
        : `and finished ${formatDuration(-longer)} sooner`;
  if (saved.length > 0) return `${sa.label} spared users ${saved.join(', ')}, ${time}.`;
  if (sa.noOutage && sb.noOutage)
    return `Neither run caused an outage; ${sa.label} took ${formatDuration(Math.abs(longer))} ${longer >= 0 ? 'longer' : 'less'}.`;
  return `${sa.label} spared users no outage compared with ${sb.label.toLowerCase()}.`;
}

/** The terminal comparison of two runs on the same cloud and seed (usually Escalator, then naive). */
export function renderComparison(a: SimulationResult, b: SimulationResult): string {
  const sa = summarize(a);
  const sb = summarize(b);
  const header = ['', sa.label, sb.label, `difference (${sa.label})`];
  const out = [
    `Campaign "${sa.campaign}"${sa.inventory ? ` on "${sa.inventory}"` : ''}: ${sa.label} compared with ${sb.label.toLowerCase()}, same simulated cloud and seed`,
    `  ${sa.label}: ${strategyDescription(a.strategy)}`,
    `  ${sb.label}: ${strategyDescription(b.strategy)}`,
    '',
    textTable(
      header,
      comparisonRows(a, b).map((r) => [r.sub ? `  ${r.measure}` : r.measure, r.a, r.b, r.difference]),
    ),
    '',
    savedSentence(a, b),
  ];
  for (const [result, s] of [
    [a, sa],
    [b, sb],
  ] as const)
    out.push('', `=== ${s.label} ===`, '', renderTextReport(result));
  return out.join('\n');
}
