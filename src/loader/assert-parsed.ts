/**
 * The guard of the library's entry points that take documents (`createPlan`, `verifyPlan`, ...): a
 * value typed `Inventory` may still be raw JSON from a host that skipped parsing, and the planner would
 * then fail deep inside with a `TypeError`. The guard turns that into a {@link DocumentError} that says
 * what is wrong.
 *
 * It is cheap on the common path: a structural walk derived from the schema (every field that a parsed
 * document always has is there, with the right JSON type; no refinements, no copies) costs a few
 * percent of zod's parse. Only when the walk fails does zod parse the value, to report its issues the
 * way the loader does.
 */
import type { z } from 'zod';
import { DocumentError } from '../errors.js';
import { type Campaign, CampaignSchema } from '../model/campaign.js';
import { type Inventory, InventorySchema } from '../model/inventory.js';
import { type Plan, PlanSchema } from '../model/plan.js';
import { fromZodIssues } from './zod-issues.js';

type Path = (string | number)[];

/** Where a value departs from the shape of a parsed document, and what was expected there. */
interface Mismatch {
  readonly path: Path;
  readonly expected: string;
}

/**
 * Checks a value against the output shape of a schema; `undefined` when it conforms. The path of a
 * mismatch is built on the way back up, so a conforming document allocates nothing.
 */
type ShapeCheck = (value: unknown) => Mismatch | undefined;

interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly out?: z.ZodType;
  readonly values?: readonly unknown[];
  readonly entries?: Record<string, unknown>;
  readonly discriminator?: string;
}

/**
 * How many elements of one list are checked in full; the others of a longer list only for being
 * objects. This bounds the cost on plans of 10,000 computes (236,000 steps), where a full walk would
 * take as long as `verifyPlan` itself.
 */
const FULLY_CHECKED = 1024;

const checks = new WeakMap<z.ZodType, ShapeCheck>();
const ok: ShapeCheck = () => undefined;

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The shape check of a schema, compiled once per schema. */
function shapeCheck(schema: z.ZodType): ShapeCheck {
  let check = checks.get(schema);
  if (check === undefined) {
    // Set first, so that a recursive schema finds itself (through the indirection) instead of looping.
    let compiled: ShapeCheck = ok;
    checks.set(schema, (value) => compiled(value));
    compiled = compile(defOf(schema));
    checks.set(schema, compiled);
    check = compiled;
  }
  return check;
}

function within(key: string | number, m: Mismatch): Mismatch {
  return { path: [key, ...m.path], expected: m.expected };
}

/**
 * A field whose value is a JSON primitive, checked inline with `typeof` (the hot path: a plan for
 * 10,000 computes has millions of them). Enum members are not checked here: zod did at parse time.
 */
interface Leaf {
  readonly type: 'string' | 'number' | 'boolean';
  readonly optional: boolean;
  readonly expected: string;
}

const EXPECTED = { string: 'a string', number: 'a number', boolean: 'true or false' } as const;

/** The leaf a schema is, or `undefined` when its values are not plain JSON primitives. */
function leafOf(def: Def, optional = false): Leaf | undefined {
  switch (def.type) {
    case 'string':
    case 'number':
    case 'boolean':
      return { type: def.type, optional, expected: EXPECTED[def.type] };
    case 'enum': {
      const values = Object.values(def.entries ?? {});
      const type = typeof values[0];
      if ((type !== 'string' && type !== 'number') || values.some((v) => typeof v !== type)) return undefined;
      return { type, optional, expected: `one of ${values.join(', ')}` };
    }
    case 'optional':
      return leafOf(defOf(def.innerType!), true);
    case 'default':
    case 'prefault':
    case 'readonly':
      return leafOf(defOf(def.innerType!), optional);
    default:
      return undefined;
  }
}

function isLeaf(leaf: Leaf, value: unknown): boolean {
  return typeof value === leaf.type || (leaf.optional && value === undefined);
}

function typed(expected: string, test: (value: unknown) => boolean): ShapeCheck {
  return (value) => (test(value) ? undefined : { path: [], expected });
}

/** A union discriminated by `key` (e.g. a plan's steps by `kind`): the member is found, not tried. */
function discriminated(key: string, options: readonly z.ZodType[]): ShapeCheck {
  const byValue = new Map<unknown, ShapeCheck>();
  for (const option of options) {
    const field = defOf(option).shape?.[key];
    const values = field ? (defOf(field).values ?? Object.values(defOf(field).entries ?? {})) : [];
    for (const value of values) byValue.set(value, shapeCheck(option));
  }
  const expected = `one of ${[...byValue.keys()].join(', ')}`;
  return (value) => {
    if (!isRecord(value)) return { path: [], expected: 'an object' };
    const member = byValue.get(value[key]);
    return member ? member(value) : { path: [key], expected };
  };
}

function compile(def: Def): ShapeCheck {
  const leaf = leafOf(def);
  if (leaf) return typed(leaf.expected, (v) => isLeaf(leaf, v));
  switch (def.type) {
    case 'literal': {
      const values = def.values ?? [];
      return typed(values.map((v) => JSON.stringify(v)).join(' or '), (v) => values.includes(v));
    }
    case 'optional': {
      const inner = shapeCheck(def.innerType!);
      return (value) => (value === undefined ? undefined : inner(value));
    }
    case 'nullable': {
      const inner = shapeCheck(def.innerType!);
      return (value) => (value === null ? undefined : inner(value));
    }
    // A parsed document has its defaults filled in: the inner value must be there.
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return shapeCheck(def.innerType!);
    case 'pipe':
      return def.out ? shapeCheck(def.out) : ok;
    case 'array': {
      const leafElement = leafOf(defOf(def.element!));
      const element = shapeCheck(def.element!);
      return (value) => {
        if (!Array.isArray(value)) return { path: [], expected: 'a list' };
        if (leafElement) {
          for (let i = 0; i < value.length; i++)
            if (!isLeaf(leafElement, value[i])) return { path: [i], expected: leafElement.expected };
          return undefined;
        }
        // A long list is sampled (see FULLY_CHECKED): every element must be an object, and a spread of
        // them is checked in full. Raw JSON that skipped parsing lacks the same fields in every element.
        const stride = value.length <= FULLY_CHECKED ? 1 : value.length / FULLY_CHECKED;
        let next = 0;
        for (let i = 0; i < value.length; i++) {
          if (i < next) {
            if (!isRecord(value[i]))
              return within(i, element(value[i]) ?? { path: [], expected: 'an object' });
            continue;
          }
          next += stride;
          const m = element(value[i]);
          if (m) return within(i, m);
        }
        return undefined;
      };
    }
    case 'object': {
      const leaves: (Leaf & { readonly key: string })[] = [];
      const others: (readonly [string, ShapeCheck])[] = [];
      for (const [key, field] of Object.entries(def.shape ?? {})) {
        const fieldLeaf = leafOf(defOf(field));
        if (fieldLeaf) leaves.push({ ...fieldLeaf, key });
        else others.push([key, shapeCheck(field)]);
      }
      return (value) => {
        if (!isRecord(value)) return { path: [], expected: 'an object' };
        for (let i = 0; i < leaves.length; i++) {
          const f = leaves[i]!;
          if (!isLeaf(f, value[f.key])) return { path: [f.key], expected: f.expected };
        }
        for (let i = 0; i < others.length; i++) {
          const [key, field] = others[i]!;
          const m = field(value[key]);
          if (m) return within(key, m);
        }
        return undefined;
      };
    }
    case 'record': {
      const leafEntry = leafOf(defOf(def.valueType!));
      const entry = shapeCheck(def.valueType!);
      return (value) => {
        if (!isRecord(value)) return { path: [], expected: 'an object' };
        for (const key in value) {
          if (!Object.hasOwn(value, key)) continue;
          if (leafEntry) {
            if (!isLeaf(leafEntry, value[key])) return { path: [key], expected: leafEntry.expected };
            continue;
          }
          const m = entry(value[key]);
          if (m) return within(key, m);
        }
        return undefined;
      };
    }
    case 'union': {
      if (def.discriminator !== undefined) return discriminated(def.discriminator, def.options ?? []);
      const options = (def.options ?? []).map(shapeCheck);
      return (value) => {
        let first: Mismatch | undefined;
        for (const option of options) {
          const m = option(value);
          if (!m) return undefined;
          first ??= m;
        }
        return first;
      };
    }
    default:
      // transforms, custom types, ...: their output has no shape to check cheaply; zod checked them.
      return ok;
  }
}

/**
 * Throws a {@link DocumentError} unless `value` has the shape of a document parsed with `schema`
 * (`parseInventory`, `loadCampaign`, `InventorySchema.parse`, ...). Entry points that take documents
 * call it first, so raw JSON gets a clear error instead of a `TypeError` deep inside.
 *
 * Only the structure is checked (every field a parsed document always has, with its JSON type); the
 * schema's refinements and the loader's integrity checks are not run again. When the structure is
 * wrong, zod parses the value to report its issues; when the value is valid but was never parsed
 * (defaults missing), the issue says to parse it first.
 *
 * @param kind - the document's kind, for messages: `Inventory`, `Campaign`, `Plan`.
 * @throws {@link DocumentError} whose file is `<kind>` (e.g. `<Inventory>`).
 * @internal
 */
export function assertParsed<S extends z.ZodType>(
  kind: string,
  value: unknown,
  schema: S,
): asserts value is z.output<S> {
  const mismatch = shapeCheck(schema)(value);
  if (mismatch === undefined) return;
  const parsed = schema.safeParse(value, { reportInput: true });
  throw new DocumentError(
    `<${kind}>`,
    parsed.success
      ? [
          {
            code: 'not-parsed',
            path: mismatch.path,
            message:
              `expected ${mismatch.expected}: this ${kind} was not parsed (its defaults are not filled in); ` +
              `pass it through load${kind}, parse${kind} or ${kind}Schema.parse first`,
          },
        ]
      : fromZodIssues(parsed.error.issues, schema),
  );
}

/** {@link assertParsed} for an Inventory. @internal */
export function assertInventory(value: Inventory): void {
  assertParsed('Inventory', value, InventorySchema);
}

/** {@link assertParsed} for a Campaign. @internal */
export function assertCampaign(value: Campaign): void {
  assertParsed('Campaign', value, CampaignSchema);
}

/** {@link assertParsed} for a Plan. @internal */
export function assertPlan(value: Plan): void {
  assertParsed('Plan', value, PlanSchema);
}
