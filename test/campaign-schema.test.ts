/**
 * The Campaign schema, rule by rule: for each, a document that passes (and the value it yields) and
 * one that fails (with the issue's path, message and position in the YAML text).
 */
import { describe, expect, it } from 'vitest';
import { type Campaign, formatIssue, parseCampaign } from '../src/index.js';
import { documentError, edit, FULL_CAMPAIGN_YAML, minimalCampaign, positionOf } from './support/documents.js';

type Edit = readonly [from: string, to: string];

interface Rule {
  readonly rule: string;
  readonly pass: {
    readonly edit: Edit;
    readonly get: (campaign: Campaign) => unknown;
    readonly expected: unknown;
  };
  readonly fail: {
    readonly edit: Edit;
    readonly path: readonly (string | number)[];
    /** Text (unique in the edited document; `|` marks the character) where the issue must point. */
    readonly at: string;
    readonly message: string;
    readonly code?: string;
  };
}

const PARALLEL = 'expected a positive integer or a percentage like "10%"';
const DATETIME = 'expected an ISO 8601 date-time like "2026-12-01T06:00:00Z"';
const maxParallel = (to: string): Edit => ['maxParallel: 4', `maxParallel: ${to}`];
const strategy = (c: Campaign) => c.strategy;

const rules: readonly Rule[] = [
  {
    rule: 'apiVersion is escalator/v1',
    pass: {
      edit: ['apiVersion: escalator/v1', 'apiVersion: "escalator/v1"'],
      get: (c) => c.apiVersion,
      expected: 'escalator/v1',
    },
    fail: {
      edit: ['apiVersion: escalator/v1', 'apiVersion: v1'],
      path: ['apiVersion'],
      at: 'apiVersion: |v1',
      message: 'expected "escalator/v1", got "v1"',
    },
  },
  {
    rule: 'kind is Campaign',
    pass: { edit: ['kind: Campaign', "kind: 'Campaign'"], get: (c) => c.kind, expected: 'Campaign' },
    fail: {
      edit: ['kind: Campaign', 'kind: Inventory'],
      path: ['kind'],
      at: 'Inventory',
      message: 'expected "Campaign", got "Inventory"',
    },
  },
  {
    rule: 'metadata has a name',
    pass: { edit: ['  name: zed-to-antelope', '  name: z2a'], get: (c) => c.metadata.name, expected: 'z2a' },
    fail: {
      edit: ['metadata:\n  name: zed-to-antelope', 'metadata: {}'],
      path: ['metadata', 'name'],
      at: '{}',
      message: 'expected a name (a non-empty string), but it is missing',
    },
  },
  {
    rule: 'target is required',
    pass: {
      edit: ['target:\n', 'target:\n'],
      get: (c) => Object.keys(c.target.software),
      expected: ['nova-compute', 'kernel'],
    },
    fail: {
      edit: ['target:\n  software: { nova-compute: 27.1.0, kernel: 6.1.0-21 }\n', ''],
      path: ['target'],
      at: 'apiVersion',
      message: 'expected { software: { component: version } }, but it is missing',
    },
  },
  {
    rule: 'target.software names at least one component',
    pass: {
      edit: ['{ nova-compute: 27.1.0, kernel: 6.1.0-21 }', '{ kernel: 6.1.0-21 }'],
      get: (c) => c.target.software,
      expected: { kernel: '6.1.0-21' },
    },
    fail: {
      edit: ['{ nova-compute: 27.1.0, kernel: 6.1.0-21 }', '{}'],
      path: ['target', 'software'],
      at: '{}',
      message: 'expected at least one component with its target version, got an object',
    },
  },
  {
    rule: 'target.software is a map',
    pass: {
      edit: ['nova-compute: 27.1.0,', 'nova-compute: "27.1.0",'],
      get: (c) => c.target.software['nova-compute'],
      expected: '27.1.0',
    },
    fail: {
      edit: ['{ nova-compute: 27.1.0, kernel: 6.1.0-21 }', '[kernel]'],
      path: ['target', 'software'],
      at: '[kernel]',
      message: 'expected a map of component names to version strings, got a list of 1',
    },
  },
  {
    rule: 'a target version must be a quoted string',
    pass: {
      edit: ['kernel: 6.1.0-21', 'kernel: "6.1"'],
      get: (c) => c.target.software['kernel'],
      expected: '6.1',
    },
    fail: {
      edit: ['kernel: 6.1.0-21', 'kernel: 6.1'],
      path: ['target', 'software', 'kernel'],
      at: 'kernel: |6.1',
      message: 'expected a version string; quote numbers, e.g. "9.0", got 6.1',
    },
  },
  {
    rule: 'target has no unknown field',
    pass: {
      edit: ['  software: {', '  software: {'],
      get: (c) => Object.keys(c.target),
      expected: ['software'],
    },
    fail: {
      edit: ['  software: {', '  release: antelope\n  software: {'],
      path: ['target', 'release'],
      at: 'release',
      code: 'unknown-field',
      message: 'unknown field "release" (known fields: software)',
    },
  },
  {
    rule: 'scope is an object',
    pass: {
      edit: ['scope: { sites: [site-a], zones: [az2], roles: [compute], nodes: [cmp-1] }', 'scope: {}'],
      get: (c) => c.scope,
      expected: {},
    },
    fail: {
      edit: [
        'scope: { sites: [site-a], zones: [az2], roles: [compute], nodes: [cmp-1] }',
        'scope: everything',
      ],
      path: ['scope'],
      at: 'everything',
      message: 'expected { sites, zones, roles, nodes }, got "everything"',
    },
  },
  {
    rule: 'scope.sites is a list of names',
    pass: {
      edit: ['sites: [site-a]', 'sites: [site-a, site-b]'],
      get: (c) => c.scope.sites,
      expected: ['site-a', 'site-b'],
    },
    fail: {
      edit: ['sites: [site-a]', 'sites: site-a'],
      path: ['scope', 'sites'],
      at: 'site-a',
      message: 'expected a list of names, got "site-a"',
    },
  },
  {
    rule: 'scope.zones and scope.nodes hold names',
    pass: {
      edit: ['nodes: [cmp-1]', 'nodes: [cmp-1, cmp-2]'],
      get: (c) => c.scope.nodes,
      expected: ['cmp-1', 'cmp-2'],
    },
    fail: {
      edit: ['zones: [az2]', 'zones: [az2, ""]'],
      path: ['scope', 'zones', 1],
      at: '""',
      message: 'expected a name (a non-empty string), got ""',
    },
  },
  {
    rule: 'scope.roles are node roles',
    pass: {
      edit: ['roles: [compute]', 'roles: [compute, network]'],
      get: (c) => c.scope.roles,
      expected: ['compute', 'network'],
    },
    fail: {
      edit: ['roles: [compute]', 'roles: [computes]'],
      path: ['scope', 'roles', 0],
      at: 'computes',
      message: 'expected one of controller, compute, network, storage, got "computes"',
    },
  },
  {
    rule: 'scope has no unknown field',
    pass: {
      edit: ['{ sites:', '{ sites:'],
      get: (c) => Object.keys(c.scope),
      expected: ['sites', 'zones', 'roles', 'nodes'],
    },
    fail: {
      edit: ['{ sites:', '{ site:'],
      path: ['scope', 'site'],
      at: 'site:',
      code: 'unknown-field',
      message: 'unknown field "site"; did you mean "sites"? (known fields: sites, zones, roles, nodes)',
    },
  },
  {
    rule: 'strategy.maxParallel is a positive integer',
    pass: { edit: maxParallel('1'), get: (c) => strategy(c).maxParallel, expected: 1 },
    fail: {
      edit: maxParallel('0'),
      path: ['strategy', 'maxParallel'],
      at: 'maxParallel: |0',
      message: `${PARALLEL}, got 0`,
    },
  },
  {
    rule: 'strategy.maxParallel is whole',
    pass: { edit: maxParallel('4.0'), get: (c) => strategy(c).maxParallel, expected: 4 },
    fail: {
      edit: maxParallel('2.5'),
      path: ['strategy', 'maxParallel'],
      at: '2.5',
      message: `${PARALLEL}, got 2.5`,
    },
  },
  {
    rule: 'strategy.maxParallel is a number or a percentage, not a word',
    pass: { edit: maxParallel('"10%"'), get: (c) => strategy(c).maxParallel, expected: '10%' },
    fail: {
      edit: maxParallel('ten'),
      path: ['strategy', 'maxParallel'],
      at: 'ten',
      message: `${PARALLEL}, got "ten"`,
    },
  },
  {
    rule: 'strategy.maxParallel percentages may have decimals',
    pass: { edit: maxParallel('12.5%'), get: (c) => strategy(c).maxParallel, expected: '12.5%' },
    fail: {
      edit: maxParallel('"0%"'),
      path: ['strategy', 'maxParallel'],
      at: '"0%"',
      message: `${PARALLEL}, got "0%"`,
    },
  },
  {
    rule: 'strategy.maxParallel percentages are at most 100%',
    pass: { edit: maxParallel('100%'), get: (c) => strategy(c).maxParallel, expected: '100%' },
    fail: {
      edit: maxParallel('101%'),
      path: ['strategy', 'maxParallel'],
      at: '101%',
      message: `${PARALLEL}, got "101%"`,
    },
  },
  {
    rule: 'strategy.maxParallel percentages do not pass 100% by a fraction',
    pass: { edit: maxParallel('99.9%'), get: (c) => strategy(c).maxParallel, expected: '99.9%' },
    fail: {
      edit: maxParallel('100.5%'),
      path: ['strategy', 'maxParallel'],
      at: '100.5%',
      message: `${PARALLEL}, got "100.5%"`,
    },
  },
  {
    rule: 'strategy.maxParallel percentages have no space',
    pass: { edit: maxParallel('"1%"'), get: (c) => strategy(c).maxParallel, expected: '1%' },
    fail: {
      edit: maxParallel('10 %'),
      path: ['strategy', 'maxParallel'],
      at: '10 %',
      message: `${PARALLEL}, got "10 %"`,
    },
  },
  {
    rule: 'strategy.maxParallel is not a boolean',
    pass: { edit: ['  maxParallel: 4\n', ''], get: (c) => strategy(c).maxParallel, expected: 1 },
    fail: {
      edit: maxParallel('true'),
      path: ['strategy', 'maxParallel'],
      at: 'true',
      message: `${PARALLEL}, got true`,
    },
  },
  {
    rule: 'strategy.canary is 1 or more',
    pass: { edit: ['canary: 1', 'canary: 4'], get: (c) => strategy(c).canary, expected: 4 },
    fail: {
      edit: ['canary: 1', 'canary: 0'],
      path: ['strategy', 'canary'],
      at: 'canary: |0',
      message: 'expected a whole number, 1 or more, got 0',
    },
  },
  {
    rule: 'strategy.canary defaults to 1',
    pass: { edit: ['  canary: 1\n', ''], get: (c) => strategy(c).canary, expected: 1 },
    fail: {
      edit: ['canary: 1', 'canary: one'],
      path: ['strategy', 'canary'],
      at: 'canary: |one',
      message: 'expected a whole number, 1 or more, got "one"',
    },
  },
  {
    rule: 'strategy.instanceAction is one of the four actions',
    pass: {
      edit: ['instanceAction: live-migrate', 'instanceAction: stop-start'],
      get: (c) => strategy(c).instanceAction,
      expected: 'stop-start',
    },
    fail: {
      edit: ['instanceAction: live-migrate', 'instanceAction: evacuate'],
      path: ['strategy', 'instanceAction'],
      at: 'evacuate',
      message: 'expected one of live-migrate, cold-migrate, stop-start, none, got "evacuate"',
    },
  },
  {
    rule: 'strategy.siteOrder is sequential or parallel',
    pass: {
      edit: ['siteOrder: sequential', 'siteOrder: parallel'],
      get: (c) => strategy(c).siteOrder,
      expected: 'parallel',
    },
    fail: {
      edit: ['siteOrder: sequential', 'siteOrder: random'],
      path: ['strategy', 'siteOrder'],
      at: 'random',
      message: 'expected sequential or parallel, got "random"',
    },
  },
  {
    rule: 'strategy.onFailure is pause, rollback or continue',
    pass: {
      edit: ['onFailure: pause', 'onFailure: rollback'],
      get: (c) => strategy(c).onFailure,
      expected: 'rollback',
    },
    fail: {
      edit: ['onFailure: pause', 'onFailure: retry'],
      path: ['strategy', 'onFailure'],
      at: 'retry',
      message: 'expected one of pause, rollback, continue, got "retry"',
    },
  },
  {
    rule: 'strategy.maxFailures is 0 or more',
    pass: { edit: ['maxFailures: 0', 'maxFailures: 3'], get: (c) => strategy(c).maxFailures, expected: 3 },
    fail: {
      edit: ['maxFailures: 0', 'maxFailures: -1'],
      path: ['strategy', 'maxFailures'],
      at: 'maxFailures: |-1',
      message: 'expected a whole number, 0 or more, got -1',
    },
  },
  {
    rule: 'strategy.maxFailures is whole',
    pass: { edit: ['  maxFailures: 0\n', ''], get: (c) => strategy(c).maxFailures, expected: 0 },
    fail: {
      edit: ['maxFailures: 0', 'maxFailures: 0.5'],
      path: ['strategy', 'maxFailures'],
      at: '0.5',
      message: 'expected a whole number, 0 or more, got 0.5',
    },
  },
  {
    rule: 'strategy.finishBy is an ISO date-time',
    pass: {
      edit: ['"2026-12-01T06:00:00Z"', '"2026-12-01T06:00:00.250+02:00"'],
      get: (c) => strategy(c).finishBy,
      expected: '2026-12-01T06:00:00.250+02:00',
    },
    fail: {
      edit: ['"2026-12-01T06:00:00Z"', 'tomorrow'],
      path: ['strategy', 'finishBy'],
      at: 'tomorrow',
      message: `${DATETIME}, got "tomorrow"`,
    },
  },
  {
    rule: 'strategy.finishBy has a time, not only a date',
    pass: {
      edit: ['"2026-12-01T06:00:00Z"', '2026-12-01T06:00:00Z'],
      get: (c) => strategy(c).finishBy,
      expected: '2026-12-01T06:00:00Z',
    },
    fail: {
      edit: ['"2026-12-01T06:00:00Z"', '2026-12-01'],
      path: ['strategy', 'finishBy'],
      at: '2026-12-01',
      message: `${DATETIME}, got "2026-12-01"`,
    },
  },
  {
    rule: 'strategy.finishBy has a time zone',
    pass: {
      edit: ['  finishBy: "2026-12-01T06:00:00Z"\n', ''],
      get: (c) => strategy(c).finishBy,
      expected: undefined,
    },
    fail: {
      edit: ['"2026-12-01T06:00:00Z"', '"2026-12-01T06:00:00"'],
      path: ['strategy', 'finishBy'],
      at: '"2026',
      message: `${DATETIME}, got "2026-12-01T06:00:00"`,
    },
  },
  {
    rule: 'strategy.finishBy is a real date',
    pass: {
      edit: ['"2026-12-01T06:00:00Z"', '"2028-02-29T23:59:59Z"'],
      get: (c) => strategy(c).finishBy,
      expected: '2028-02-29T23:59:59Z',
    },
    fail: {
      edit: ['"2026-12-01T06:00:00Z"', '"2026-02-30T06:00:00Z"'],
      path: ['strategy', 'finishBy'],
      at: '"2026',
      message: `${DATETIME}, got "2026-02-30T06:00:00Z"`,
    },
  },
  {
    rule: 'strategy.approveAfterWaves is a list',
    pass: {
      edit: ['approveAfterWaves: [0]', 'approveAfterWaves: [0, 2]'],
      get: (c) => strategy(c).approveAfterWaves,
      expected: [0, 2],
    },
    fail: {
      edit: ['approveAfterWaves: [0]', 'approveAfterWaves: 0'],
      path: ['strategy', 'approveAfterWaves'],
      at: 'approveAfterWaves: |0',
      message: 'expected a list of wave indices, got 0',
    },
  },
  {
    rule: 'strategy has no unknown field',
    pass: {
      edit: ['  approveAfterWaves: [0]\n', ''],
      get: (c) => strategy(c).approveAfterWaves,
      expected: [],
    },
    fail: {
      edit: ['maxParallel: 4', 'maxParalel: 4'],
      path: ['strategy', 'maxParalel'],
      at: 'maxParalel',
      code: 'unknown-field',
      message:
        'unknown field "maxParalel"; did you mean "maxParallel"? (known fields: maxParallel, canary, instanceAction, ' +
        'siteOrder, onFailure, maxFailures, finishBy, approveAfterWaves)',
    },
  },
  {
    rule: 'strategy is an object',
    pass: { edit: ['  canary: 1\n', '  canary: 2\n'], get: (c) => strategy(c).canary, expected: 2 },
    fail: {
      edit: [
        'strategy:\n  maxParallel: 4\n  canary: 1\n  instanceAction: live-migrate\n  siteOrder: sequential\n' +
          '  onFailure: pause\n  maxFailures: 0\n  finishBy: "2026-12-01T06:00:00Z"\n  approveAfterWaves: [0]\n',
        'strategy: fast\n',
      ],
      path: ['strategy'],
      at: 'fast',
      message: 'expected a strategy object, got "fast"',
    },
  },
  {
    rule: 'components is a map of overrides',
    pass: {
      edit: ['components:\n  kernel: { expectedSeconds: 600 }\n', ''],
      get: (c) => c.components,
      expected: {},
    },
    fail: {
      edit: ['components:\n  kernel: { expectedSeconds: 600 }\n', 'components: [kernel]\n'],
      path: ['components'],
      at: '[kernel]',
      message: 'expected a map of component names to overrides, got a list of 1',
    },
  },
  {
    rule: 'an override has no unknown field',
    pass: {
      edit: ['{ expectedSeconds: 600 }', '{ expectedSeconds: 900 }'],
      get: (c) => c.components['kernel'],
      expected: { expectedSeconds: 900 },
    },
    fail: {
      edit: ['{ expectedSeconds: 600 }', '{ expectedSecs: 600 }'],
      path: ['components', 'kernel', 'expectedSecs'],
      at: 'expectedSecs',
      code: 'unknown-field',
      message:
        'unknown field "expectedSecs"; did you mean "expectedSeconds"? (known fields: roles, dependsOn, disruption, ' +
        'rolling, expectedSeconds, packages, services, controlPlane, backup)',
    },
  },
  {
    rule: 'an override disruption is one of none, service-restart, evacuate, reboot',
    pass: {
      edit: ['{ expectedSeconds: 600 }', '{ disruption: evacuate }'],
      get: (c) => c.components['kernel']?.disruption,
      expected: 'evacuate',
    },
    fail: {
      edit: ['{ expectedSeconds: 600 }', '{ disruption: restart }'],
      path: ['components', 'kernel', 'disruption'],
      at: 'restart',
      message: 'expected one of none, service-restart, evacuate, reboot, got "restart"',
    },
  },
  {
    rule: 'an override expectedSeconds is at most a year',
    pass: {
      edit: ['{ expectedSeconds: 600 }', '{ expectedSeconds: 0 }'],
      get: (c) => c.components['kernel']?.expectedSeconds,
      expected: 0,
    },
    fail: {
      edit: ['{ expectedSeconds: 600 }', '{ expectedSeconds: 99999999 }'],
      path: ['components', 'kernel', 'expectedSeconds'],
      at: '99999999',
      message: 'expected at most a year of seconds (31536000), got 99999999',
    },
  },
  {
    rule: 'an override roles list is not empty',
    pass: {
      edit: ['{ expectedSeconds: 600 }', '{ roles: [compute] }'],
      get: (c) => c.components['kernel']?.roles,
      expected: ['compute'],
    },
    fail: {
      edit: ['{ expectedSeconds: 600 }', '{ roles: [] }'],
      path: ['components', 'kernel', 'roles'],
      at: '[]',
      message: 'expected at least one role, got a list of 0',
    },
  },
  {
    rule: 'an override rolling is a boolean',
    pass: {
      edit: ['{ expectedSeconds: 600 }', '{ rolling: false }'],
      get: (c) => c.components['kernel']?.rolling,
      expected: false,
    },
    fail: {
      edit: ['{ expectedSeconds: 600 }', '{ rolling: "no" }'],
      path: ['components', 'kernel', 'rolling'],
      at: '"no"',
      message: 'expected true or false, got "no"',
    },
  },
  {
    rule: 'an override backup lists paths and databases',
    pass: {
      edit: ['{ expectedSeconds: 600 }', '{ backup: { files: [/boot] } }'],
      get: (c) => c.components['kernel']?.backup,
      expected: { files: ['/boot'], databases: [] },
    },
    fail: {
      edit: ['{ expectedSeconds: 600 }', '{ backup: { files: /boot } }'],
      path: ['components', 'kernel', 'backup', 'files'],
      at: '/boot',
      message: 'expected a list of paths, got "/boot"',
    },
  },
  {
    rule: 'the document has no unknown field',
    pass: {
      edit: ['components:', 'components:'],
      get: (c) => Object.keys(c.components),
      expected: ['kernel'],
    },
    fail: {
      edit: ['components:', 'component:'],
      path: ['component'],
      at: 'component:',
      code: 'unknown-field',
      message:
        'unknown field "component"; did you mean "components"? (known fields: apiVersion, kind, metadata, target, ' +
        'scope, strategy, components)',
    },
  },
];

describe('Campaign schema rules', () => {
  it('the full fixture is valid as it stands', () => {
    const campaign = parseCampaign(FULL_CAMPAIGN_YAML);
    expect(campaign.strategy.maxParallel).toBe(4);
    expect(campaign.components).toEqual({ kernel: { expectedSeconds: 600 } });
  });

  it.each(rules)('$rule: accepts a valid value', ({ pass }) => {
    const campaign = parseCampaign(edit(FULL_CAMPAIGN_YAML, ...pass.edit));
    expect(pass.get(campaign)).toEqual(pass.expected);
  });

  it.each(rules)('$rule: reports a bad value at its position', ({ fail }) => {
    const text = edit(FULL_CAMPAIGN_YAML, ...fail.edit);
    const error = documentError(() => parseCampaign(text, { file: 'campaign.yaml' }));
    expect(error.file).toBe('campaign.yaml');
    expect(error.issues).toEqual([
      { code: fail.code ?? 'schema', path: fail.path, message: fail.message, ...positionOf(text, fail.at) },
    ]);
  });
});

describe('Campaign message format', () => {
  it('prints file:line:col path: message, e.g. for maxParallel at line 14 column 17', () => {
    // Indented by three under strategy, so the value sits at column 17 of line 14.
    const text = `apiVersion: escalator/v1
kind: Campaign
metadata:
  name: zed-to-antelope
  labels:
    team: nfv
target:
  software:
    nova-compute: 27.1.0
    kernel: 6.1.0-21
scope:
  roles: [compute]
strategy:
   maxParallel: ten
   canary: 1
`;
    expect(text.split('\n')[13]?.indexOf('ten')).toBe(16);
    const error = documentError(() => parseCampaign(text, { file: 'campaign.yaml' }));
    expect(error.issues).toEqual([
      {
        code: 'schema',
        path: ['strategy', 'maxParallel'],
        message: 'expected a positive integer or a percentage like "10%", got "ten"',
        line: 14,
        column: 17,
      },
    ]);
    expect(error.message).toBe(
      'campaign.yaml:14:17 strategy.maxParallel: expected a positive integer or a percentage like "10%", got "ten"',
    );
    expect(formatIssue('campaign.yaml', error.issues[0]!)).toBe(error.message);
  });

  it('names the file <string> when none is given', () => {
    const error = documentError(() => parseCampaign('kind: Campaign\n'));
    expect(error.file).toBe('<string>');
    expect(error.message.split('\n')[0]).toMatch(/^<string>:1:1 /);
  });

  it('reports all problems at once, one per line, sorted by position', () => {
    const text = `apiVersion: escalator/v1
kind: Campaign
metadata: { name: many }
strategy:
  canary: 0
  onFailure: explode
target:
  software: { kernel: 6 }
`;
    const error = documentError(() => parseCampaign(text, { file: 'c.yaml' }));
    expect(error.issues.map((i) => i.path)).toEqual([
      ['strategy', 'canary'],
      ['strategy', 'onFailure'],
      ['target', 'software', 'kernel'],
    ]);
    expect(error.message).toBe(
      [
        'c.yaml:5:11 strategy.canary: expected a whole number, 1 or more, got 0',
        'c.yaml:6:14 strategy.onFailure: expected one of pause, rollback, continue, got "explode"',
        'c.yaml:8:23 target.software.kernel: expected a version string; quote numbers, e.g. "9.0", got 6',
      ].join('\n'),
    );
  });
});

describe('Campaign defaults', () => {
  it('fills in scope, strategy and components', () => {
    const campaign = parseCampaign(JSON.stringify(minimalCampaign()));
    expect(campaign).toEqual({
      apiVersion: 'escalator/v1',
      kind: 'Campaign',
      metadata: { name: 'zed-to-antelope' },
      target: { software: { 'nova-compute': '27.1.0' } },
      scope: {},
      strategy: {
        maxParallel: 1,
        canary: 1,
        instanceAction: 'live-migrate',
        siteOrder: 'sequential',
        onFailure: 'pause',
        maxFailures: 0,
        approveAfterWaves: [],
      },
      components: {},
    });
  });

  it('fills in the strategy fields left out of a partial strategy', () => {
    const campaign = parseCampaign(
      JSON.stringify({ ...minimalCampaign(), strategy: { maxParallel: '25%', canary: 2 } }),
    );
    expect(campaign.strategy).toEqual({
      maxParallel: '25%',
      canary: 2,
      instanceAction: 'live-migrate',
      siteOrder: 'sequential',
      onFailure: 'pause',
      maxFailures: 0,
      approveAfterWaves: [],
    });
  });

  it('keeps an override as given (the catalog merges it later)', () => {
    const campaign = parseCampaign(
      JSON.stringify({
        ...minimalCampaign(),
        components: { kernel: { disruption: 'evacuate', rolling: false } },
      }),
    );
    expect(campaign.components).toEqual({ kernel: { disruption: 'evacuate', rolling: false } });
  });
});

describe('Campaign from JSON text', () => {
  it('positions a nested field of pretty JSON', () => {
    const text = JSON.stringify(
      { ...minimalCampaign(), strategy: { canary: 1, maxParallel: 'ten' } },
      null,
      2,
    );
    const error = documentError(() => parseCampaign(text, { file: 'campaign.json' }));
    expect(error.issues).toEqual([
      {
        code: 'schema',
        path: ['strategy', 'maxParallel'],
        message: `${PARALLEL}, got "ten"`,
        ...positionOf(text, '"ten"'),
      },
    ]);
    expect(error.message).toBe(`campaign.json:14:20 strategy.maxParallel: ${PARALLEL}, got "ten"`);
  });

  it('positions an unknown key of pretty JSON at the key, with a suggestion', () => {
    const text = JSON.stringify({ ...minimalCampaign(), strategy: { maxParalel: 2 } }, null, 2);
    const error = documentError(() => parseCampaign(text));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({
      code: 'unknown-field',
      path: ['strategy', 'maxParalel'],
      ...positionOf(text, '"maxParalel"'),
    });
    expect(error.issues[0]?.message).toMatch(/^unknown field "maxParalel"; did you mean "maxParallel"\?/);
  });

  it('positions a value inside a list in JSON', () => {
    const text = JSON.stringify({ ...minimalCampaign(), scope: { roles: ['compute', 'gpu'] } }, null, 2);
    const error = documentError(() => parseCampaign(text));
    expect(error.issues).toEqual([
      {
        code: 'schema',
        path: ['scope', 'roles', 1],
        message: 'expected one of controller, compute, network, storage, got "gpu"',
        ...positionOf(text, '"gpu"'),
      },
    ]);
  });

  it('positions a value behind escaped strings and nested values in JSON', () => {
    const text =
      '{"apiVersion":"escalator/v1","kind":"Campaign","metadata":{"name":"a\\"b","labels":{"x":"}{]["}},' +
      '"target":{"software":{"kernel":"1"}},"strategy":{"approveAfterWaves":[[1],{"a":[2]}],"canary":-3}}';
    const error = documentError(() => parseCampaign(text));
    const canary = error.issues.find((i) => i.path.join('.') === 'strategy.canary');
    expect(canary).toMatchObject(positionOf(text, '-3'));
  });

  it('gives a JSON syntax error a line and column', () => {
    const text = '{\n  "apiVersion": "escalator/v1",\n  "kind": "Campaign"\n  "metadata": {}\n}';
    const error = documentError(() => parseCampaign(text, { file: 'campaign.json' }));
    expect(error.issues).toEqual([
      {
        code: 'syntax',
        path: [],
        message: "invalid JSON: Expected ',' or '}' after property value",
        line: 4,
        column: 3,
      },
    ]);
  });
});
