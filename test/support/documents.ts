/**
 * Small document fixtures shared by the loader tests: a minimal valid Inventory and Campaign as
 * plain objects (to mutate and serialise) and as YAML text (to check positions), and helpers to
 * catch a {@link DocumentError} and to find where a piece of text sits.
 */
import { expect } from 'vitest';
import {
  type CampaignInput,
  type DocumentError,
  EscalatorError,
  type InventoryInput,
} from '../../src/index.js';

/** A minimal valid inventory: two controllers in a cluster, two computes, one VM. Fresh on every call. */
export function minimalInventory(): InventoryInput {
  return {
    apiVersion: 'escalator/v1',
    kind: 'Inventory',
    metadata: { name: 'lab-1' },
    nodes: [
      { name: 'ctl-1', roles: ['controller'], software: { keystone: '22.0.0', mariadb: '10.11.6' } },
      { name: 'ctl-2', roles: ['controller'], software: { keystone: '22.0.0', mariadb: '10.11.6' } },
      {
        name: 'cmp-1',
        roles: ['compute'],
        capacity: { vcpus: 16, memoryMiB: 65536, diskGiB: 500 },
        software: { 'nova-compute': '26.2.2', kernel: '6.1.0-18' },
      },
      {
        name: 'cmp-2',
        roles: ['compute'],
        capacity: { vcpus: 16, memoryMiB: 65536, diskGiB: 500 },
        software: { 'nova-compute': '26.2.2', kernel: '6.1.0-18' },
      },
    ],
    clusters: [{ name: 'galera', members: ['ctl-1', 'ctl-2'], minAvailable: 1 }],
    instances: [{ name: 'vm-1', host: 'cmp-1', resources: { vcpus: 2, memoryMiB: 4096, diskGiB: 20 } }],
  };
}

/** A minimal valid campaign for {@link minimalInventory}. Fresh on every call. */
export function minimalCampaign(): CampaignInput {
  return {
    apiVersion: 'escalator/v1',
    kind: 'Campaign',
    metadata: { name: 'zed-to-antelope' },
    target: { software: { 'nova-compute': '27.1.0' } },
  };
}

/**
 * A valid inventory that uses every field, as YAML. The schema tests edit one line of it at a time,
 * so each value below is unique in the text.
 */
export const FULL_INVENTORY_YAML = `apiVersion: escalator/v1
kind: Inventory
metadata:
  name: lab-1
  labels: { owner: nfv-team }
sites:
  - name: site-a
    sharedServices: [keystone]
nodes:
  - name: ctl-1
    site: site-a
    zone: az1
    rack: r01
    roles: [controller]
    software: { keystone: "22.0.0", mariadb: "10.11.6" }
  - name: cmp-1
    site: site-a
    zone: az2
    rack: r02
    roles: [compute]
    state: up
    capacity: { vcpus: 64, memoryMiB: 262144, diskGiB: 2000 }
    software: { nova-compute: 26.2.2, libvirt: "9.0.0", kernel: 6.1.0-18 }
    vimName: cmp-1.example.org
    access: { address: 10.0.0.11, port: 2222, user: ops, credentialsRef: lab-ssh }
clusters:
  - name: galera
    members: [ctl-1]
    minAvailable: 1
    primary: ctl-1
    component: mariadb
instances:
  - name: vm-1
    host: cmp-1
    resources: { vcpus: 4, memoryMiB: 8192, diskGiB: 80 }
    serverGroup: sg-a
    vnf: vnf-a
    migration: live
    id: 9b0a7c1e-1111-4d2e-9f00-000000000001
serverGroups:
  - name: sg-a
    policy: anti-affinity
    maxImpacted: 1
    recoverySeconds: 60
vnfs:
  - name: vnf-a
    minAvailable: 1
    maintenance: { notify: true, leadTimeSeconds: 30, endpoint: "https://vnfm.example.org/maint" }
overcommit: { cpu: 4.0, memory: 1.5, disk: 1.0 }
`;

/** A valid campaign that uses every field, as YAML (valid against {@link FULL_INVENTORY_YAML}). */
export const FULL_CAMPAIGN_YAML = `apiVersion: escalator/v1
kind: Campaign
metadata:
  name: zed-to-antelope
target:
  software: { nova-compute: 27.1.0, kernel: 6.1.0-21 }
scope: { sites: [site-a], zones: [az2], roles: [compute], nodes: [cmp-1] }
strategy:
  maxParallel: 4
  canary: 1
  instanceAction: live-migrate
  siteOrder: sequential
  onFailure: pause
  maxFailures: 0
  finishBy: "2026-12-01T06:00:00Z"
  approveAfterWaves: [0]
components:
  kernel: { expectedSeconds: 600 }
`;

/** Replaces the one occurrence of `from` in `text` (failing the test when there is not exactly one). */
export function edit(text: string, from: string, to: string): string {
  const first = text.indexOf(from);
  expect(first, `"${from}" should occur in the fixture`).toBeGreaterThanOrEqual(0);
  expect(text.indexOf(from, first + 1), `"${from}" should occur once in the fixture`).toBe(-1);
  return text.slice(0, first) + to + text.slice(first + from.length);
}

/**
 * The 1-based line and column of the first character of `needle`, which must occur exactly once in
 * `text`; a `|` in the needle marks the character meant instead (`'zone: |2'` is the `2`). Counted
 * here independently of the loader, so the tests check its positions.
 */
export function positionOf(text: string, marked: string): { line: number; column: number } {
  const mark = Math.max(0, marked.indexOf('|'));
  const needle = marked.replace('|', '');
  const found = text.indexOf(needle);
  const at = found + mark;
  expect(found, `"${needle}" should occur in the text`).toBeGreaterThanOrEqual(0);
  expect(text.indexOf(needle, found + 1), `"${needle}" should occur once in the text`).toBe(-1);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: (before.at(-1) ?? '').length + 1 };
}

/** Runs `fn`, expecting a DocumentError; returns it. */
export function documentError(fn: () => unknown): DocumentError {
  try {
    fn();
  } catch (error) {
    expect(EscalatorError.is(error), `expected an EscalatorError, got ${String(error)}`).toBe(true);
    expect((error as EscalatorError).code).toBe('ESC_INVALID_DOCUMENT');
    return error as DocumentError;
  }
  throw new Error('expected a DocumentError, but the call returned');
}
