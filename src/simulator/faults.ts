/**
 * Fault scenarios for the simulator: what goes wrong, where and when. Written as a small YAML/JSON
 * file or as `--fault kind:target` flags; validated like every other document.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DocumentError, type DocumentIssue, FileUnreadableError } from '../errors.js';
import { parseDocumentText } from '../loader/load.js';
import type { Inventory } from '../model/inventory.js';
import { didYouMean } from '../util/did-you-mean.js';

const target = z.string({ error: 'expected a name' }).min(1, { error: 'expected a name' });
const probability = z
  .number({ error: 'expected a probability between 0 and 1' })
  .min(0, { error: 'expected a probability between 0 and 1' })
  .max(1, { error: 'expected a probability between 0 and 1' });
const times = z.number({ error: 'expected a whole number, 1 or more' }).int().positive().optional();

/** One fault. `times` limits how often it strikes (default: once for targeted faults). */
export const FaultSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('migration-fails'),
      instance: target.optional(),
      probability: probability.optional(),
      times,
    }),
    z.strictObject({ kind: z.literal('node-no-return'), node: target }),
    z.strictObject({
      kind: z.literal('upgrade-fails'),
      node: target,
      transient: z.boolean().default(false),
      times,
    }),
    z.strictObject({ kind: z.literal('service-no-start'), node: target }),
    z.strictObject({
      kind: z.literal('api-error'),
      error: z.enum(['5xx', 'timeout'], { error: 'expected 5xx or timeout' }).default('5xx'),
      probability: probability.default(0.05),
      times,
    }),
    z.strictObject({ kind: z.literal('vnfm-nack'), vnf: target }),
    z.strictObject({ kind: z.literal('vnfm-silent'), vnf: target }),
    z.strictObject({
      kind: z.literal('node-dies'),
      node: target,
      atSeconds: z.number({ error: 'expected seconds after the start' }).nonnegative(),
    }),
  ],
  {
    error:
      'expected a fault with kind one of migration-fails, node-no-return, upgrade-fails, service-no-start, api-error, vnfm-nack, vnfm-silent, node-dies',
  },
);

/** A fault to inject. */
export type Fault = z.output<typeof FaultSchema>;

/** Schema of a fault scenario file. */
export const FaultScenarioSchema = z.strictObject(
  { faults: z.array(FaultSchema, { error: 'expected a list of faults' }) },
  { error: 'expected { faults: [...] }' },
);

/**
 * What is wrong with one fault's target in this inventory: a node, instance or VNF it does not have,
 * or a VNF whose manager is never asked (no `maintenance.notify`), so the fault could never strike.
 * Paths are relative to the fault.
 */
function targetIssues(fault: Fault, inventory: Inventory): DocumentIssue[] {
  const unknown = (field: string, what: string, name: string, known: Iterable<string>): DocumentIssue => ({
    code: 'unknown-reference',
    path: [field],
    message: `unknown ${what} "${name}" in inventory "${inventory.metadata.name}"${didYouMean(name, known)}`,
  });
  switch (fault.kind) {
    case 'node-no-return':
    case 'upgrade-fails':
    case 'service-no-start':
    case 'node-dies': {
      const names = inventory.nodes.map((n) => n.name);
      return names.includes(fault.node) ? [] : [unknown('node', 'node', fault.node, names)];
    }
    case 'migration-fails': {
      if (fault.instance === undefined) return [];
      const names = inventory.instances.map((i) => i.name);
      return names.includes(fault.instance) ? [] : [unknown('instance', 'instance', fault.instance, names)];
    }
    case 'vnfm-nack':
    case 'vnfm-silent': {
      const vnf = inventory.vnfs.find((v) => v.name === fault.vnf);
      if (!vnf)
        return [
          unknown(
            'vnf',
            'VNF',
            fault.vnf,
            inventory.vnfs.map((v) => v.name),
          ),
        ];
      if (!vnf.maintenance.notify)
        return [
          {
            code: 'never-asked',
            path: ['vnf'],
            message: `VNF "${fault.vnf}" has no manager to ask (its maintenance.notify is false), so this fault could never strike; set maintenance.notify: true in the inventory or drop the fault`,
          },
        ];
      return [];
    }
    case 'api-error':
      return [];
  }
}

/**
 * Checks every fault's target against the inventory; returns the problems, paths starting at the
 * fault's index (`[2, 'node']`), empty when every fault can strike.
 * @example
 * ```ts
 * checkFaults([{ kind: 'node-no-return', node: 'cmp-9' }], inventory); // [{ path: [0, 'node'], ... }]
 * ```
 */
export function checkFaults(faults: readonly Fault[], inventory: Inventory): DocumentIssue[] {
  return faults.flatMap((fault, i) =>
    targetIssues(fault, inventory).map((issue) => ({ ...issue, path: [i, ...issue.path] })),
  );
}

/**
 * Parses a fault scenario file's text; with `inventory`, also checks the faults' targets against it.
 * @throws DocumentError with every problem.
 */
export function parseFaultScenario(text: string, file = '<string>', inventory?: Inventory): Fault[] {
  return parseDocumentText(text, FaultScenarioSchema, file, (scenario) =>
    inventory
      ? checkFaults(scenario.faults, inventory).map((issue) => ({
          ...issue,
          path: ['faults', ...issue.path],
        }))
      : [],
  ).faults;
}

/**
 * Reads and parses a fault scenario file (see {@link parseFaultScenario}).
 * @throws {@link FileUnreadableError} when it cannot be read, DocumentError when it is wrong.
 */
export async function loadFaultScenario(file: string, inventory?: Inventory): Promise<Fault[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FileUnreadableError(file, error);
  }
  return parseFaultScenario(text, file, inventory);
}

/**
 * Parses a `--fault` flag: `kind:target` (e.g. `node-no-return:cmp-03`, `migration-fails:vm-0007`,
 * `node-dies:cmp-05@600`, `api-error:5xx@0.1`); with `inventory`, also checks the target against it.
 * @throws DocumentError naming the flag.
 */
export function parseFaultFlag(flag: string, inventory?: Inventory): Fault {
  const [kind = '', rest = ''] = flag.split(/:(.*)/s);
  const [name, at] = rest.split('@');
  const raw: Record<string, unknown> = { kind };
  switch (kind) {
    case 'migration-fails':
      if (name) raw.instance = name;
      if (at) raw.probability = Number(at);
      break;
    case 'node-no-return':
    case 'service-no-start':
    case 'upgrade-fails':
      raw.node = name;
      break;
    case 'node-dies':
      raw.node = name;
      raw.atSeconds = Number(at ?? 0);
      break;
    case 'api-error':
      if (name) raw.error = name;
      if (at) raw.probability = Number(at);
      break;
    case 'vnfm-nack':
    case 'vnfm-silent':
      raw.vnf = name;
      break;
  }
  const source = `--fault ${flag}`;
  const fault = parseDocumentText(JSON.stringify(raw), FaultSchema, source, () => []);
  // Positions inside the JSON built above would mean nothing to the user: the flag names it.
  const issues = inventory ? targetIssues(fault, inventory) : [];
  if (issues.length > 0) throw new DocumentError(source, issues);
  return fault;
}
