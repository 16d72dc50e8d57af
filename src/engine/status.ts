/**
 * The status table of a campaign — per node, module (component), cluster and site — and its progress,
 * derived from the campaign's state alone (pure, queryable at any time).
 */

import type { Alarm, CampaignSnapshot } from './journal.js';
import type { CampaignState } from './machine.js';

/** Where one node stands. */
export interface NodeStatus {
  readonly node: string;
  readonly site: string;
  readonly roles: readonly string[];
  /** The wave that upgrades it, or undefined when the campaign does not touch it. */
  readonly wave?: number | undefined;
  readonly state: 'untouched' | 'pending' | 'in-progress' | 'upgraded' | 'failed' | 'rolled-back';
  /** The step it is at, when in progress or failed. */
  readonly step?: string | undefined;
}

/** Where one component (module) stands across the nodes that run it. */
export interface ModuleStatus {
  readonly component: string;
  readonly target: string;
  readonly nodes: number;
  readonly upgraded: number;
}

/** One cluster's members and how many are out of service now. */
export interface ClusterStatus {
  readonly cluster: string;
  readonly members: number;
  readonly minAvailable: number;
  /** Members taken out by the campaign right now (in progress). */
  readonly out: number;
  readonly upgraded: number;
}

/** One site's nodes. */
export interface SiteStatus {
  readonly site: string;
  readonly nodes: number;
  readonly planned: number;
  readonly upgraded: number;
}

/** Progress through the plan, weighted by expected durations. */
export interface Progress {
  readonly percent: number;
  /**
   * Seconds until the plan ends: the expected time of each wave not yet verified (of a wave under way,
   * the part of its steps' expected work not done), scaled by how long the verified waves took against
   * what the plan expected of them. Steps run side by side, so this is far less than the work left.
   */
  readonly etaSeconds: number;
  readonly stepsDone: number;
  readonly stepsTotal: number;
  readonly wavesDone: number;
  readonly wavesTotal: number;
}

/** The whole status of a campaign. */
export interface CampaignStatus {
  readonly id: string;
  readonly state: CampaignState;
  readonly reason?: string | undefined;
  readonly progress: Progress;
  readonly nodes: readonly NodeStatus[];
  readonly modules: readonly ModuleStatus[];
  readonly clusters: readonly ClusterStatus[];
  readonly sites: readonly SiteStatus[];
  /** The alarms that stand (the cleared ones are in the journal and in the campaign's alarm list). */
  readonly alarms: readonly Alarm[];
  readonly failures: number;
}

const DONE = new Set(['succeeded', 'skipped']);

/** Progress from the steps' states, and the time left from the waves' estimates and their observed times. */
export function progressOf(snapshot: CampaignSnapshot): Progress {
  let total = 0;
  let done = 0;
  let stepsDone = 0;
  let stepsTotal = 0;
  let expectedLeft = 0;
  let observed = 0;
  let expectedOfObserved = 0;
  const verified = new Set(snapshot.wavesDone);
  for (const wave of snapshot.plan.waves) {
    let waveTotal = 0;
    let waveDone = 0;
    for (const step of wave.steps) {
      const weight = Math.max(1, step.expectedSeconds);
      waveTotal += weight;
      stepsTotal++;
      if (DONE.has(snapshot.steps[step.id]?.state ?? 'pending')) {
        waveDone += weight;
        stepsDone++;
      }
    }
    total += waveTotal;
    done += waveDone;
    const times = snapshot.waveTimes[wave.index];
    if (verified.has(wave.index)) {
      const took = (Date.parse(times?.verified ?? '') - Date.parse(times?.started ?? '')) / 1000;
      if (Number.isFinite(took) && took >= 0 && wave.expectedSeconds > 0) {
        observed += took;
        expectedOfObserved += wave.expectedSeconds;
      }
    } else expectedLeft += wave.expectedSeconds * (waveTotal === 0 ? 1 : 1 - waveDone / waveTotal);
  }
  // How the finished waves went against their estimates, within reason (one odd wave is not a trend).
  const pace = expectedOfObserved > 0 ? Math.min(10, Math.max(0.1, observed / expectedOfObserved)) : 1;
  return {
    percent: total === 0 ? 100 : Math.round((done / total) * 1000) / 10,
    etaSeconds: Math.round(expectedLeft * pace),
    stepsDone,
    stepsTotal,
    wavesDone: snapshot.wavesDone.length,
    wavesTotal: snapshot.plan.waves.length,
  };
}

/** The status table of a campaign. */
export function statusOf(snapshot: CampaignSnapshot): CampaignStatus {
  const nodeWave = new Map<string, number>();
  const nodeSteps = new Map<string, string[]>();
  for (const wave of snapshot.plan.waves) {
    for (const n of wave.nodes) nodeWave.set(n, wave.index);
    for (const s of wave.steps)
      if ('node' in s) {
        const list = nodeSteps.get(s.node);
        if (list) list.push(s.id);
        else nodeSteps.set(s.node, [s.id]);
      }
  }
  const nodes: NodeStatus[] = snapshot.inventory.nodes.map((n) => {
    const wave = nodeWave.get(n.name);
    const base = { node: n.name, site: n.site ?? 'default', roles: n.roles, wave };
    if (wave === undefined) return { ...base, state: 'untouched' };
    const steps = (nodeSteps.get(n.name) ?? []).map((id) => ({
      id,
      state: snapshot.steps[id]?.state ?? 'pending',
    }));
    const failed = steps.find((s) => s.state === 'failed' || s.state === 'timed-out');
    if (failed) return { ...base, state: 'failed', step: failed.id };
    if (steps.some((s) => s.state === 'undone')) return { ...base, state: 'rolled-back' };
    if (steps.length > 0 && steps.every((s) => DONE.has(s.state))) return { ...base, state: 'upgraded' };
    const running = steps.find((s) => s.state === 'running') ?? steps.find((s) => DONE.has(s.state));
    if (running)
      return { ...base, state: 'in-progress', step: steps.find((s) => !DONE.has(s.state))?.id ?? running.id };
    return { ...base, state: 'pending' };
  });
  const byName = new Map(nodes.map((n) => [n.node, n]));
  const target = snapshot.campaign.target.software;
  const modules: ModuleStatus[] = Object.entries(target).map(([component, version]) => {
    const having = snapshot.inventory.nodes.filter((n) => n.software[component] !== undefined);
    const upgraded = having.filter(
      (n) => n.software[component] === version || byName.get(n.name)?.state === 'upgraded',
    );
    return { component, target: version, nodes: having.length, upgraded: upgraded.length };
  });
  const clusters: ClusterStatus[] = snapshot.inventory.clusters.map((c) => ({
    cluster: c.name,
    members: c.members.length,
    minAvailable: c.minAvailable,
    out: c.members.filter((m) => byName.get(m)?.state === 'in-progress').length,
    upgraded: c.members.filter((m) => byName.get(m)?.state === 'upgraded').length,
  }));
  const siteMap = new Map<string, { nodes: number; planned: number; upgraded: number }>();
  for (const n of nodes) {
    const row = siteMap.get(n.site) ?? { nodes: 0, planned: 0, upgraded: 0 };
    row.nodes++;
    if (n.wave !== undefined) row.planned++;
    if (n.state === 'upgraded') row.upgraded++;
    siteMap.set(n.site, row);
  }
  return {
    id: snapshot.id,
    state: snapshot.state,
    reason: snapshot.reason,
    progress: progressOf(snapshot),
    nodes,
    modules,
    clusters,
    sites: [...siteMap].map(([site, row]) => ({ site, ...row })),
    alarms: snapshot.alarms.filter((a) => a.clearedAt === undefined),
    failures: snapshot.failures,
  };
}
