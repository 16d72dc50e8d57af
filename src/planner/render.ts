/**
 * Views of a plan for people: an operator's table, and Graphviz / Mermaid drawings of the waves in
 * order. Pure functions from a Plan to text.
 */
import type { Plan } from '../model/plan.js';

/** `1 h 02 min`, `3 min 05 s`, `12 s`. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(r).padStart(2, '0')} s`;
  return `${r} s`;
}

/** Lists names, cut after `max` with a count of the rest. */
function names(list: readonly string[], max = 6): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} … (+${list.length - max})`;
}

/** Renders rows as an aligned table; numeric columns are right-aligned. */
export function textTable(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cells = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number'));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [
    line(cells[0] ?? []),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

/** The operator's view: one row per wave, then totals and the predicted impact per VNF. */
export function planTable(plan: Plan): string {
  const rows = plan.waves.map((w) => [
    w.index,
    `${w.site ?? 'mixed'}${w.canary ? ' (canary)' : ''}`,
    w.nodes.length,
    names(w.nodes),
    w.migrations.length,
    formatDuration(w.expectedSeconds),
  ]);
  const out = [textTable(['wave', 'site', 'nodes', 'which', 'migrations', 'expected'], rows)];
  const t = plan.totals;
  if (t)
    out.push(
      '',
      `${t.waves} waves (lower bound ${t.lowerBoundWaves}), ${t.nodes} nodes, ${t.migrations} migrations ` +
        `(${t.instancesToMove} instances move, ${t.movedTwice} of them twice), expected ${formatDuration(t.estimatedSeconds)}`,
    );
  if (plan.skipped.length > 0) out.push(`left alone (not up): ${names(plan.skipped)}`);
  if (plan.impact.length > 0)
    out.push(
      '',
      textTable(
        ['vnf', 'instances', 'minAvailable', 'fewest running', 'live moves', 'cold moves', 'outage'],
        plan.impact.map((i) => [
          i.vnf,
          i.instances,
          i.minAvailable,
          i.minRunning,
          i.liveMigrations,
          i.coldMigrations,
          i.outageSeconds === 0 ? 'none' : formatDuration(i.outageSeconds),
        ]),
      ),
    );
  return out.join('\n');
}

const quote = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

/** Graphviz: one cluster per wave, waves chained in order. */
export function planDot(plan: Plan): string {
  const lines = ['digraph plan {', '  rankdir=LR;', '  node [shape=box, fontname="sans-serif"];'];
  for (const w of plan.waves) {
    lines.push(
      `  subgraph cluster_w${w.index} {`,
      `    label=${quote(`wave ${w.index}${w.canary ? ' (canary)' : ''}`)};`,
    );
    lines.push(`    w${w.index} [shape=point, style=invis];`);
    for (const n of w.nodes) lines.push(`    ${quote(`w${w.index}:${n}`)} [label=${quote(n)}];`);
    lines.push('  }');
  }
  for (let i = 1; i < plan.waves.length; i++) {
    const prev = plan.waves[i - 1];
    const cur = plan.waves[i];
    if (prev?.nodes[0] && cur?.nodes[0])
      lines.push(
        `  ${quote(`w${prev.index}:${prev.nodes[0]}`)} -> ${quote(`w${cur.index}:${cur.nodes[0]}`)} [ltail=cluster_w${prev.index}, lhead=cluster_w${cur.index}];`,
      );
  }
  lines.push('}');
  return lines.join('\n');
}

/** Mermaid flowchart: one subgraph per wave, waves chained in order. */
export function planMermaid(plan: Plan): string {
  const id = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');
  const lines = ['flowchart LR'];
  for (const w of plan.waves) {
    lines.push(
      `  subgraph W${w.index}["wave ${w.index}${w.canary ? ' (canary)' : ''}: ${w.nodes.length} nodes"]`,
    );
    for (const n of w.nodes.slice(0, 20)) lines.push(`    W${w.index}_${id(n)}["${n.replace(/"/g, "'")}"]`);
    if (w.nodes.length > 20) lines.push(`    W${w.index}_more["… ${w.nodes.length - 20} more"]`);
    lines.push('  end');
  }
  for (let i = 1; i < plan.waves.length; i++) lines.push(`  W${i - 1} --> W${i}`);
  return lines.join('\n');
}
