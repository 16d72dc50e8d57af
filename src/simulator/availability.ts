/**
 * Availability accounting: for every instance, VNF, cluster and control-plane service, when it was
 * down and for how long — what the users of the cloud would have felt. Fed with up/down changes as
 * they happen, in virtual time.
 */

/** A span of time, in ms since the epoch. */
export interface Interval {
  readonly from: number;
  readonly to: number;
}

/** One object's availability over the campaign. */
export interface AvailabilityRow {
  readonly name: string;
  /** Total time out of service, in seconds. */
  readonly downSeconds: number;
  readonly intervals: readonly Interval[];
}

/** One VNF's availability: out when fewer than `minAvailable` instances run. */
export interface VnfAvailability extends AvailabilityRow {
  readonly instances: number;
  readonly minAvailable: number;
  /** Fewest instances running at any moment. */
  readonly minRunning: number;
  /** Live-migration pauses its instances went through, and their total length. */
  readonly pauses: number;
  readonly pauseSeconds: number;
}

/**
 * One server group's impacts (a member down, or paused by a live migration) and the rest between
 * them: an impact that starts less than `recoverySeconds` after another one ended is a breach.
 */
export interface GroupRecovery {
  readonly name: string;
  readonly recoverySeconds: number;
  /** How many times a member was impacted. */
  readonly impacts: number;
  /** The shortest rest between the end of one impact and the start of the next; absent with fewer than two. */
  readonly shortestGapSeconds?: number | undefined;
  /** Impacts that started before the group had its `recoverySeconds` (the first ones kept). */
  readonly breaches: readonly {
    readonly instance: string;
    readonly at: number;
    readonly gapSeconds: number;
  }[];
  /** How many breaches there were in all. */
  readonly breachCount: number;
}

/** What users would have felt. */
export interface AvailabilityReport {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly vnfs: readonly VnfAvailability[];
  /** Clusters that lost quorum (fewer than minAvailable members up). */
  readonly clusters: readonly (AvailabilityRow & { readonly minAvailable: number; readonly minUp: number })[];
  /** Control-plane services (catalog `controlPlane`) with no node serving them. */
  readonly services: readonly AvailabilityRow[];
  /** Every instance with downtime. */
  readonly instances: readonly AvailabilityRow[];
  /** Server groups with `recoverySeconds`, and whether their members got it between impacts. */
  readonly groups: readonly GroupRecovery[];
}

/** Tracks one quantity's intervals below a threshold. */
class Track {
  readonly intervals: Interval[] = [];
  #since: number | undefined;
  down(now: number): void {
    this.#since ??= now;
  }
  up(now: number): void {
    if (this.#since === undefined) return;
    if (now > this.#since) this.intervals.push({ from: this.#since, to: now });
    this.#since = undefined;
  }
  close(now: number): Interval[] {
    return this.#since === undefined || now <= this.#since
      ? this.intervals
      : [...this.intervals, { from: this.#since, to: now }];
  }
}

const seconds = (intervals: readonly Interval[]) => intervals.reduce((s, i) => s + (i.to - i.from), 0) / 1000;

/** The definition of what is watched. @internal */
export interface AccountingModel {
  readonly instances: readonly { name: string; vnf?: string | undefined; serverGroup?: string | undefined }[];
  readonly serverGroups: readonly { name: string; recoverySeconds: number }[];
  readonly vnfs: readonly { name: string; minAvailable: number }[];
  readonly clusters: readonly { name: string; members: readonly string[]; minAvailable: number }[];
  /** Control-plane service name → nodes that serve it. */
  readonly services: ReadonlyMap<string, readonly string[]>;
}

/** How many breaches a group's report lists. */
const BREACHES_KEPT = 20;

/** A group's impacts as they happen: rests are measured when an impact starts. */
class GroupTrack {
  impacts = 0;
  shortestGap = Number.POSITIVE_INFINITY;
  readonly breaches: { instance: string; at: number; gapSeconds: number }[] = [];
  breachCount = 0;
  /** Members impacted now, with when it started. */
  readonly open = new Map<string, number>();
  /** When the latest impact ended. */
  lastEnd: number | undefined;

  constructor(readonly recoverySeconds: number) {}

  start(instance: string, at: number): void {
    this.impacts++;
    if (this.lastEnd !== undefined) {
      const gap = (at - this.lastEnd) / 1000;
      this.shortestGap = Math.min(this.shortestGap, gap);
      if (gap < this.recoverySeconds) {
        this.breachCount++;
        if (this.breaches.length < BREACHES_KEPT) this.breaches.push({ instance, at, gapSeconds: gap });
      }
    }
  }

  end(at: number): void {
    this.lastEnd = Math.max(this.lastEnd ?? at, at);
  }
}

/** @internal */
export class Accountant {
  readonly #startedAt: number;
  readonly #instanceDown = new Map<string, Track>();
  readonly #instanceUp = new Map<string, boolean>();
  readonly #vnfOf = new Map<string, string>();
  readonly #vnfs = new Map<
    string,
    {
      size: number;
      min: number;
      running: number;
      minRunning: number;
      track: Track;
      pauses: number;
      pauseMs: number;
    }
  >();
  readonly #clusters = new Map<
    string,
    { members: readonly string[]; min: number; minUp: number; track: Track }
  >();
  readonly #services = new Map<string, { nodes: readonly string[]; track: Track }>();
  readonly #memberUp = new Map<string, boolean>(); // `${cluster}|${node}`
  readonly #serving = new Map<string, boolean>(); // `${service}|${node}`
  readonly #groups = new Map<string, GroupTrack>();
  readonly #groupOf = new Map<string, GroupTrack>();

  constructor(model: AccountingModel, now: number) {
    this.#startedAt = now;
    for (const v of model.vnfs)
      this.#vnfs.set(v.name, {
        size: 0,
        min: v.minAvailable,
        running: 0,
        minRunning: 0,
        track: new Track(),
        pauses: 0,
        pauseMs: 0,
      });
    for (const g of model.serverGroups)
      if (g.recoverySeconds > 0) this.#groups.set(g.name, new GroupTrack(g.recoverySeconds));
    for (const i of model.instances) {
      this.#instanceUp.set(i.name, true);
      const group = this.#groups.get(i.serverGroup ?? '');
      if (group) this.#groupOf.set(i.name, group);
      if (i.vnf && this.#vnfs.has(i.vnf)) {
        this.#vnfOf.set(i.name, i.vnf);
        const v = this.#vnfs.get(i.vnf);
        if (v) {
          v.size++;
          v.running++;
          v.minRunning = v.running;
        }
      }
    }
    for (const c of model.clusters) {
      this.#clusters.set(c.name, {
        members: c.members,
        min: c.minAvailable,
        minUp: c.members.length,
        track: new Track(),
      });
      for (const m of c.members) this.#memberUp.set(`${c.name}|${m}`, true);
    }
    for (const [name, nodes] of model.services) {
      this.#services.set(name, { nodes, track: new Track() });
      for (const n of nodes) this.#serving.set(`${name}|${n}`, true);
    }
  }

  /** An instance started or stopped running. */
  instance(name: string, up: boolean, now: number): void {
    if (this.#instanceUp.get(name) === up) return;
    this.#instanceUp.set(name, up);
    let track = this.#instanceDown.get(name);
    if (!track) {
      track = new Track();
      this.#instanceDown.set(name, track);
    }
    if (up) track.up(now);
    else track.down(now);
    const group = this.#groupOf.get(name);
    if (group) {
      if (up) group.end(now);
      else group.start(name, now);
    }
    const vnf = this.#vnfs.get(this.#vnfOf.get(name) ?? '');
    if (!vnf) return;
    vnf.running += up ? 1 : -1;
    vnf.minRunning = Math.min(vnf.minRunning, vnf.running);
    if (vnf.running < vnf.min) vnf.track.down(now);
    else vnf.track.up(now);
  }

  /** A live migration paused an instance for `ms`, from `now`. */
  pause(name: string, ms: number, now: number): void {
    const group = this.#groupOf.get(name);
    group?.start(name, now);
    group?.end(now + ms);
    const vnf = this.#vnfs.get(this.#vnfOf.get(name) ?? '');
    if (!vnf) return;
    vnf.pauses++;
    vnf.pauseMs += ms;
  }

  /** A cluster member (by node) went up or down. */
  member(cluster: string, node: string, up: boolean, now: number): void {
    const key = `${cluster}|${node}`;
    if (this.#memberUp.get(key) === up || !this.#memberUp.has(key)) return;
    this.#memberUp.set(key, up);
    const c = this.#clusters.get(cluster);
    if (!c) return;
    const count = c.members.filter((m) => this.#memberUp.get(`${cluster}|${m}`)).length;
    c.minUp = Math.min(c.minUp, count);
    if (count < c.min) c.track.down(now);
    else c.track.up(now);
  }

  /** A node started or stopped serving a control-plane service. */
  serving(service: string, node: string, up: boolean, now: number): void {
    const key = `${service}|${node}`;
    if (this.#serving.get(key) === up || !this.#serving.has(key)) return;
    this.#serving.set(key, up);
    const s = this.#services.get(service);
    if (!s) return;
    if (s.nodes.some((n) => this.#serving.get(`${service}|${n}`))) s.track.up(now);
    else s.track.down(now);
  }

  /** The report, with intervals still open closed at `now`. */
  report(now: number): AvailabilityReport {
    const instances = [...this.#instanceDown]
      .map(([name, t]) => {
        const intervals = t.close(now);
        return { name, intervals, downSeconds: seconds(intervals) };
      })
      .filter((r) => r.intervals.length > 0);
    return {
      startedAt: this.#startedAt,
      endedAt: now,
      vnfs: [...this.#vnfs].map(([name, v]) => {
        const intervals = v.track.close(now);
        return {
          name,
          instances: v.size,
          minAvailable: v.min,
          minRunning: v.minRunning,
          intervals,
          downSeconds: seconds(intervals),
          pauses: v.pauses,
          pauseSeconds: v.pauseMs / 1000,
        };
      }),
      clusters: [...this.#clusters].map(([name, c]) => {
        const intervals = c.track.close(now);
        return { name, minAvailable: c.min, minUp: c.minUp, intervals, downSeconds: seconds(intervals) };
      }),
      services: [...this.#services].map(([name, s]) => {
        const intervals = s.track.close(now);
        return { name, intervals, downSeconds: seconds(intervals) };
      }),
      instances,
      groups: [...this.#groups].map(([name, g]) => ({
        name,
        recoverySeconds: g.recoverySeconds,
        impacts: g.impacts,
        shortestGapSeconds: Number.isFinite(g.shortestGap) ? g.shortestGap : undefined,
        breaches: g.breaches,
        breachCount: g.breachCount,
      })),
    };
  }
}
