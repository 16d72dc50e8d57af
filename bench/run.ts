/**
 * `npm run bench`: Escalator's performance figures. Each case runs in its own process so that peak
 * memory is its own. Prints tables; the README records them. Not a test: nothing here fails on time.
 */
import { execFileSync } from 'node:child_process';
import { textTable } from '../src/planner/render.js';

function run(script: string, ...args: string[]): Record<string, number> & { state?: string } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
}
const fixed = (n: number | undefined, digits = 0) => (n === undefined ? '-' : n.toFixed(digits));

console.log('Loading a synthetic inventory (JSON) with loadInventory: parse, schema and integrity checks\n');
const loads = [1_000, 10_000].map((n) => run('bench/load-one.ts', String(n)));
console.log(
  textTable(
    ['computes', 'nodes', 'instances', 'file MB', 'load ms'],
    loads.map((r) => [
      r.computes ?? 0,
      r.nodes ?? 0,
      r.instances ?? 0,
      fixed(r.megabytes, 1),
      fixed(r.loadMs),
    ]),
  ),
);

console.log(
  '\nPlanning and checking seeded synthetic clouds (12 instances per compute, canary 1; maxParallel and sites as shown)\n',
);
const plans = [['100'], ['1000'], ['10000'], ['1000', '1', '--two-sites'], ['10000', '1', '--two-sites']].map(
  (args) => run('bench/plan-one.ts', ...args),
);
console.log(
  textTable(
    [
      'computes',
      'cloud',
      'nodes',
      'instances',
      'plan ms',
      'check ms',
      'steps',
      'JSON MB',
      'JSON ms',
      'peak MiB',
      'waves',
      'lower bound',
      'migrations',
      'must move',
      'moved twice',
      'first 2 waves moved',
      'violations',
    ],
    plans.map((r) => [
      r.computes ?? 0,
      r.twoSites ? '2 sites, 10% unmovable, 5%' : '1 site, 10%',
      r.nodes ?? 0,
      r.instances ?? 0,
      fixed(r.planMs),
      fixed(r.checkMs),
      r.steps ?? 0,
      fixed(r.jsonMB, 1),
      fixed(r.jsonMs),
      fixed(r.peakRssMiB),
      r.waves ?? 0,
      r.lowerBound ?? 0,
      r.migrations ?? 0,
      r.mustMove ?? 0,
      r.movedTwice ?? 0,
      r.firstWavesMoves ?? 0,
      r.violations ?? 0,
    ]),
  ),
);

console.log(
  '\nThe file journal: one-record appends, each synced before the next, or issued together (group commit)\n',
);
const journal = run('bench/journal-one.ts', '5000');
console.log(
  textTable(
    ['appends', 'one after another µs each', 'issued together µs each'],
    [[journal.appends ?? 0, fixed(journal.sequentialUs), fixed(journal.togetherUs)]],
  ),
);

console.log(
  '\nSimulating whole campaigns on the built-in simulated cloud (plan, prechecks, backup, execute, verify)\n',
);
const sims = [
  ['100'],
  ['1000'],
  ['1000', '--journal'],
  ['1000', '--two-sites'],
  ['10000'],
  ['10000', '--journal'],
  ['10000', '--two-sites'],
].map((args) => run('bench/simulate-one.ts', ...args));
console.log(
  textTable(
    [
      'computes',
      'cloud',
      'journal',
      'nodes',
      'instances',
      'steps',
      'outcome',
      'wall s',
      'peak MiB',
      'simulated h',
      'VNF outage s',
      'lost quorums',
    ],
    sims.map((r) => [
      r.computes ?? 0,
      r.twoSites ? '2 sites, 10% unmovable, 5%' : '1 site, 10%',
      r.journal ? 'file' : 'memory',
      r.nodes ?? 0,
      r.instances ?? 0,
      r.steps ?? 0,
      r.state ?? '?',
      fixed(r.wallSeconds, 1),
      fixed(r.peakRssMiB),
      fixed(r.simulatedHours, 1),
      r.vnfOutageSeconds ?? 0,
      r.lostQuorums ?? 0,
    ]),
  ),
);
