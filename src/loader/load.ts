/**
 * Loading escalator/v1 documents from files or strings, with every problem reported at once as
 * `file:line:column path: message`.
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { DocumentError, type DocumentIssue, FileUnreadableError } from '../errors.js';
import { type Campaign, CampaignSchema } from '../model/campaign.js';
import { type Inventory, InventorySchema } from '../model/inventory.js';
import {
  type InventoryOverlay,
  InventoryOverlaySchema,
  type MergeReport,
  overlayInventory,
} from '../model/inventory-overlay.js';
import { type Plan, PlanSchema } from '../model/plan.js';
import { checkCampaign, checkCampaignAgainstInventory, checkInventory } from './integrity.js';
import { type ParsedSource, parseSourceOf } from './source.js';
import { fromZodIssues } from './zod-issues.js';

/** Options of the parse and load functions. */
export interface ParseOptions {
  /**
   * The name to show in messages.
   * @defaultValue `'<string>'` for parse functions, the path for load functions
   */
  readonly file?: string | undefined;
}

/** Options of {@link loadCampaign} and {@link parseCampaign}. */
export interface CampaignParseOptions extends ParseOptions {
  /** When given, the campaign is also checked against this inventory (scope names, installed targets). */
  readonly inventory?: Inventory | undefined;
}

/**
 * Parses text against a schema, then runs `check` on the valid data; throws one {@link DocumentError}
 * with every issue, positioned in the text.
 * @internal
 */
export function parseDocumentText<S extends z.ZodType>(
  text: string,
  schema: S,
  file: string,
  check: (data: z.output<S>) => DocumentIssue[],
): z.output<S> {
  const source = parseSourceOf(text, file);
  const parsed = schema.safeParse(source.data, { reportInput: true });
  const issues = parsed.success ? check(parsed.data) : fromZodIssues(parsed.error.issues, schema);
  if (issues.length > 0) throw new DocumentError(file, positioned(source, issues));
  return parsed.data as z.output<S>;
}

function positioned(source: ParsedSource, issues: DocumentIssue[]): DocumentIssue[] {
  return issues
    .map((i) => ({ ...i, ...source.locate(i.path, { key: i.code === 'unknown-field' }) }))
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

async function read(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new FileUnreadableError(file, error);
  }
}

/**
 * Parses an Inventory from YAML or JSON text and checks its references.
 * @throws {@link DocumentError} listing every problem.
 * @example
 * ```ts
 * const inventory = parseInventory(yamlText, { file: 'inventory.yaml' });
 * ```
 */
export function parseInventory(text: string, options: ParseOptions = {}): Inventory {
  return parseDocumentText(text, InventorySchema, options.file ?? '<string>', checkInventory);
}

/**
 * Reads and parses an Inventory file (YAML or JSON).
 * @throws {@link DocumentError} listing every problem, or {@link FileUnreadableError}.
 */
export async function loadInventory(file: string, options: ParseOptions = {}): Promise<Inventory> {
  return parseInventory(await read(file), { file: options.file ?? file });
}

/**
 * Parses a Campaign from YAML or JSON text; with `inventory`, also checks it against that inventory.
 * @throws {@link DocumentError} listing every problem.
 */
export function parseCampaign(text: string, options: CampaignParseOptions = {}): Campaign {
  return parseDocumentText(text, CampaignSchema, options.file ?? '<string>', (campaign) => {
    const issues = checkCampaign(campaign);
    if (options.inventory) issues.push(...checkCampaignAgainstInventory(campaign, options.inventory));
    return issues;
  });
}

/**
 * Reads and parses a Campaign file (YAML or JSON).
 * @throws {@link DocumentError} listing every problem, or {@link FileUnreadableError}.
 * @example
 * ```ts
 * const inventory = await loadInventory('examples/ha/inventory.yaml');
 * const campaign = await loadCampaign('examples/ha/campaign.yaml', { inventory });
 * ```
 */
export async function loadCampaign(file: string, options: CampaignParseOptions = {}): Promise<Campaign> {
  return parseCampaign(await read(file), { ...options, file: options.file ?? file });
}

/**
 * Parses a Plan (as written by `escalator plan --format json`) from text. Only its shape is checked
 * here; {@link verifyPlan} checks it against an inventory and a campaign.
 * @throws {@link DocumentError} listing every problem.
 */
export function parsePlan(text: string, options: ParseOptions = {}): Plan {
  return parseDocumentText(text, PlanSchema, options.file ?? '<string>', () => []);
}

/**
 * Reads and parses a Plan file.
 * @throws {@link DocumentError} listing every problem, or {@link FileUnreadableError}.
 */
export async function loadPlan(file: string, options: ParseOptions = {}): Promise<Plan> {
  return parsePlan(await read(file), { file: options.file ?? file });
}

/**
 * Parses an InventoryOverlay (what an operator adds to an imported inventory) from YAML or JSON text.
 * @throws {@link DocumentError} listing every problem.
 */
export function parseInventoryOverlay(text: string, options: ParseOptions = {}): InventoryOverlay {
  return parseDocumentText(text, InventoryOverlaySchema, options.file ?? '<string>', () => []);
}

/**
 * Reads and parses an InventoryOverlay file (YAML or JSON).
 * @throws {@link DocumentError} listing every problem, or {@link FileUnreadableError}.
 */
export async function loadInventoryOverlay(
  file: string,
  options: ParseOptions = {},
): Promise<InventoryOverlay> {
  return parseInventoryOverlay(await read(file), { file: options.file ?? file });
}

/**
 * Merges an overlay over an inventory (`escalator import --merge`): what the overlay names replaces or
 * extends the inventory's, what it adds is appended. The result is parsed and checked as a loaded
 * inventory is (a cluster naming a node neither has, an instance on an unknown host...).
 * @param label - how the merged inventory is named in errors, e.g. `imported + overlay.yaml`.
 * @throws {@link DocumentError} naming each problem of the merged inventory.
 * @example
 * ```ts
 * import { loadInventory, loadInventoryOverlay, mergeInventory } from 'escalator';
 * const imported = await loadInventory('imported.yaml');
 * const { inventory, report } = mergeInventory(imported, await loadInventoryOverlay('overlay.yaml'));
 * console.log(`changed ${report.changed.length}, added ${report.added.length}`);
 * ```
 */
export function mergeInventory(
  base: Inventory,
  overlay: InventoryOverlay,
  label = 'merged inventory',
): { readonly inventory: Inventory; readonly report: MergeReport } {
  const { document, report } = overlayInventory(base, overlay);
  const parsed = InventorySchema.safeParse(document, { reportInput: true });
  if (!parsed.success) throw new DocumentError(label, fromZodIssues(parsed.error.issues, InventorySchema));
  const issues = checkInventory(parsed.data);
  if (issues.length > 0) throw new DocumentError(label, issues);
  return { inventory: parsed.data, report };
}
