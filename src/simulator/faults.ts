/**
 * Fault scenarios for the simulator: what goes wrong, where and when. Written as a small YAML/JSON
 * file or as `--fault kind:target` flags; validated like every other document.
 */
import { z } from 'zod';
import { parseDocumentText } from '../loader/load.js';

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

/** Parses a fault scenario file's text. @throws DocumentError with every problem. */
export function parseFaultScenario(text: string, file = '<string>'): Fault[] {
  return parseDocumentText(text, FaultScenarioSchema, file, () => []).faults;
}

/**
 * Parses a `--fault` flag: `kind:target` (e.g. `node-no-return:cmp-03`, `migration-fails:vm-0007`,
 * `node-dies:cmp-05@600`, `api-error:5xx@0.1`).
 */
export function parseFaultFlag(flag: string): Fault {
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
  return parseDocumentText(JSON.stringify(raw), FaultSchema, `--fault ${flag}`, () => []);
}
