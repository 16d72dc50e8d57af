/**
 * Expanding a wave into the concrete steps an engine runs, each with its expected duration, timeout,
 * verification and what its undo needs. Steps of one node run in sequence; nodes run side by side; migrations of one
 * server group follow their batches.
 */
import type { Step } from '../model/plan.js';
import type { PlannedMigration, WaveDraft } from './waves.js';
import type { NodeState, World } from './world.js';

/** Typical durations in seconds, used for estimates and timeouts. */
export const STEP_SECONDS = {
  disableCompute: 5,
  enableCompute: 5,
  checkEmpty: 5,
  stopInstances: 30,
  startInstances: 60,
  backupBase: 30,
  backupPerDatabase: 20,
  reboot: 60,
  waitNode: 180,
  verifyServices: 30,
  notifyDone: 5,
  /** Live migration: fixed cost plus memory copied at about 1 GiB/s. */
  liveBase: 5,
  liveMiBPerSecond: 1024,
  /** Cold migration: fixed cost plus disk copied at about 0.5 GiB/s. */
  coldBase: 30,
  coldGiBPerSecond: 0.5,
} as const;

/** Timeout of a step from its expected duration: three times as long, and at least a minute. */
export function timeoutFor(expectedSeconds: number): number {
  return Math.max(60, Math.ceil(expectedSeconds * 3));
}

/** Expected seconds of one migration. */
export function migrationSeconds(m: PlannedMigration): number {
  const [, memoryMiB, diskGiB] = m.instance.resources;
  return m.mode === 'live'
    ? STEP_SECONDS.liveBase + memoryMiB / STEP_SECONDS.liveMiBPerSecond
    : STEP_SECONDS.coldBase + diskGiB / STEP_SECONDS.coldGiBPerSecond;
}

/**
 * The longest wait a wave spends on server groups' cool-downs: impacting k members of a group (moved,
 * or left on a node that stops or reboots them), at most `maxImpacted` at a time, waits
 * (⌈k / maxImpacted⌉ − 1) × `recoverySeconds` between them.
 */
function cooldownSeconds(world: World, wave: WaveDraft, stopStart: boolean): number {
  const impacted = new Map<number, number>();
  const add = (group: number) => {
    if (group >= 0) impacted.set(group, (impacted.get(group) ?? 0) + 1);
  };
  for (const m of wave.migrations) add(m.instance.group);
  for (const n of wave.nodes)
    if (n.disruption === 'reboot' || stopStart) for (const i of wave.stays.get(n.index) ?? []) add(i.group);
  let longest = 0;
  for (const [g, k] of impacted) {
    const group = world.groups[g];
    if (group) longest = Math.max(longest, (Math.ceil(k / group.maxImpacted) - 1) * group.recoverySeconds);
  }
  return longest;
}

/** A step of one kind as the builder writes it: no timeout (derived), `after` may be left out. */
type StepDraft = Step extends infer S
  ? S extends Step
    ? Omit<S, 'timeoutSeconds' | 'after'> & { after?: string[] }
    : never
  : never;

/** A step from its draft: duration rounded, timeout derived; the draft's kind checks its fields. */
function step(fields: StepDraft): Step {
  const expectedSeconds = Math.round(fields.expectedSeconds * 10) / 10;
  return {
    ...fields,
    expectedSeconds,
    after: fields.after ?? [],
    timeoutSeconds: timeoutFor(expectedSeconds),
  } as Step;
}

/** Appends to the list under `key`, creating it. */
function append<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The steps of one wave and its expected duration (the longest chain of steps). */
export function waveSteps(world: World, wave: WaveDraft): { steps: Step[]; expectedSeconds: number } {
  const w = `w${wave.index}`;
  const steps: Step[] = [];

  // VNFs with instances touched by this wave and maintenance notification on, and which nodes hold
  // them: a node's evacuation waits for the notices of its own VNFs only, a VNF's "done" notice for
  // its own nodes only (a slow manager holds back no other node, and the edges stay few).
  const touched = new Map<number, string[]>();
  const vnfNodes = new Map<number, Set<number>>();
  const nodeVnfs = new Map<number, Set<number>>();
  const touch = (inst: { readonly vnf: number; readonly name: string }, node: number) => {
    if (inst.vnf < 0 || !world.vnfs[inst.vnf]?.notify) return;
    append(touched, inst.vnf, inst.name);
    vnfNodes.set(inst.vnf, (vnfNodes.get(inst.vnf) ?? new Set<number>()).add(node));
    nodeVnfs.set(node, (nodeVnfs.get(node) ?? new Set<number>()).add(inst.vnf));
  };
  for (const [node, stays] of wave.stays) for (const inst of stays) touch(inst, node);
  for (const m of wave.migrations) touch(m.instance, m.from.index);
  const notifyId = (v: number) => `${w}.notify.${world.vnfs[v]?.name}`;
  const notifiesOf = (node: number) => [...(nodeVnfs.get(node) ?? [])].map(notifyId);
  for (const [v, instances] of touched) {
    const vnf = world.vnfs[v];
    if (!vnf) continue;
    const id = notifyId(v);
    steps.push(
      step({
        id,
        kind: 'notify-vnf',
        vnf: vnf.name,
        instances,
        expectedSeconds: vnf.leadTimeSeconds,
        verify: 'the VNF manager acknowledged the maintenance',
      }),
    );
  }

  const disableIds = new Map<number, string>();
  const disableId = (n: NodeState) => {
    let id = disableIds.get(n.index);
    if (id === undefined) {
      id = `${w}.${n.name}.disable-compute`;
      disableIds.set(n.index, id);
    }
    return id;
  };
  for (const n of wave.nodes)
    if (n.isCompute)
      steps.push(
        step({
          id: disableId(n),
          kind: 'disable-compute',
          node: n.name,
          after: notifiesOf(n.index),
          expectedSeconds: STEP_SECONDS.disableCompute,
          verify: 'the compute service reports disabled',
        }),
      );

  // Migrations: each waits for its source's disable and for the previous batch of its group.
  const lastOfBatch = new Map<string, string[]>();
  const migrateIds = new Map<number, string[]>();
  const byBatch = [...wave.migrations].sort((a, b) => a.batch - b.batch);
  let migrationSpan = 0;
  const batchSpan = new Map<number, number>();
  for (const m of byBatch) {
    const id = `${w}.migrate.${m.instance.name}`;
    const previous =
      m.instance.group >= 0 && m.batch > 0
        ? lastOfBatch.get(`${m.instance.group}:${m.batch - 1}`)
        : undefined;
    const seconds = migrationSeconds(m);
    steps.push(
      step({
        id,
        kind: 'migrate',
        instance: m.instance.name,
        from: m.from.name,
        to: m.to.name,
        mode: m.mode,
        batch: m.batch,
        after: previous ? [disableId(m.from), ...previous] : [disableId(m.from)],
        expectedSeconds: seconds,
        verify: 'the instance runs on the target node and its migration record says completed',
      }),
    );
    if (m.instance.group >= 0) {
      append(lastOfBatch, `${m.instance.group}:${m.batch}`, id);
    }
    append(migrateIds, m.from.index, id);
    batchSpan.set(m.batch, Math.max(batchSpan.get(m.batch) ?? 0, seconds));
  }
  for (const s of batchSpan.values()) migrationSpan += s;

  let longestNode = 0;
  const lastOf = new Map<number, string>(); // each node's last step
  for (const n of wave.nodes) {
    const id = (kind: string) => `${w}.${n.name}.${kind}`;
    const stayNames = (wave.stays.get(n.index) ?? []).map((inst) => inst.name);
    // A node that is not a compute holds no instances: nothing to wait for.
    let previous: string[] = n.isCompute ? [disableId(n)] : [];
    let chain = 0;
    const push = (s: Step) => {
      steps.push(s);
      previous = [s.id];
      chain += s.expectedSeconds;
    };
    if (n.isCompute) {
      previous = [disableId(n), ...(migrateIds.get(n.index) ?? [])];
      if (stayNames.length > 0 && world.campaign.strategy.instanceAction === 'stop-start')
        push(
          step({
            id: id('stop-instances'),
            kind: 'stop-instances',
            node: n.name,
            instances: stayNames,
            after: previous,
            expectedSeconds: STEP_SECONDS.stopInstances,
            verify: 'the instances report SHUTOFF',
          }),
        );
      push(
        step({
          id: id('check-empty'),
          kind: 'check-empty',
          node: n.name,
          instances: stayNames,
          after: previous,
          expectedSeconds: STEP_SECONDS.checkEmpty,
          verify: 'only the instances that were to stay are on the node',
        }),
      );
    }
    const current = Object.fromEntries(n.outdated.map((c) => [c, n.node.software[c] ?? '']));
    const target = Object.fromEntries(n.outdated.map((c) => [c, world.campaign.target.software[c] ?? '']));
    const databases = n.outdated.flatMap((c) => world.catalog[c]?.backup.databases ?? []);
    push(
      step({
        id: id('backup'),
        kind: 'backup',
        node: n.name,
        software: current,
        after: previous,
        expectedSeconds: STEP_SECONDS.backupBase + STEP_SECONDS.backupPerDatabase * databases.length,
        verify: 'the backup exists and its checksum matches',
      }),
    );
    push(
      step({
        id: id('upgrade-packages'),
        kind: 'upgrade-packages',
        node: n.name,
        software: target,
        after: previous,
        expectedSeconds: n.outdated.reduce((s, c) => s + (world.catalog[c]?.expectedSeconds ?? 120), 0),
        verify: 'the installed versions are the target versions',
        previous: current,
      }),
    );
    if (n.disruption === 'reboot') {
      push(
        step({
          id: id('reboot'),
          kind: 'reboot',
          node: n.name,
          after: previous,
          expectedSeconds: STEP_SECONDS.reboot,
          verify: 'the node went down and its boot id changed',
        }),
      );
      push(
        step({
          id: id('wait-node'),
          kind: 'wait-node',
          node: n.name,
          after: previous,
          expectedSeconds: STEP_SECONDS.waitNode,
          verify: 'the node answers and its services start',
        }),
      );
    }
    push(
      step({
        id: id('verify-services'),
        kind: 'verify-services',
        node: n.name,
        software: target,
        after: previous,
        expectedSeconds: STEP_SECONDS.verifyServices,
        verify: 'every service of the upgraded components is active and reports its target version',
      }),
    );
    if (stayNames.length > 0 && world.campaign.strategy.instanceAction === 'stop-start')
      push(
        step({
          id: id('start-instances'),
          kind: 'start-instances',
          node: n.name,
          instances: stayNames,
          after: previous,
          expectedSeconds: STEP_SECONDS.startInstances,
          verify: 'the instances report ACTIVE',
        }),
      );
    if (n.isCompute)
      push(
        step({
          id: id('enable-compute'),
          kind: 'enable-compute',
          node: n.name,
          after: previous,
          expectedSeconds: STEP_SECONDS.enableCompute,
          verify: 'the compute service reports enabled and up',
        }),
      );
    lastOf.set(n.index, previous[0] as string);
    longestNode = Math.max(longestNode, chain);
  }
  let notifyLead = 0;
  for (const s of steps) if (s.kind === 'notify-vnf') notifyLead = Math.max(notifyLead, s.expectedSeconds);
  for (const [v, instances] of touched) {
    const vnf = world.vnfs[v];
    if (!vnf) continue;
    steps.push(
      step({
        id: `${w}.notify-done.${vnf.name}`,
        kind: 'notify-vnf-done',
        vnf: vnf.name,
        instances, // the same as its notify-vnf: the manager learns which instances are back
        // Its instances are back once the nodes that held them are done (migrations end before that).
        after: [...(vnfNodes.get(v) ?? [])].map((node) => lastOf.get(node) as string),
        expectedSeconds: STEP_SECONDS.notifyDone,
        verify: 'the VNF manager received the notice',
      }),
    );
  }
  const stopStart = world.campaign.strategy.instanceAction === 'stop-start';
  const expectedSeconds =
    notifyLead +
    migrationSpan +
    cooldownSeconds(world, wave, stopStart) +
    longestNode +
    (touched.size > 0 ? STEP_SECONDS.notifyDone : 0);
  return { steps, expectedSeconds: Math.round(expectedSeconds) };
}
