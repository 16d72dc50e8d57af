/** JSON Schemas of the escalator/v1 documents, generated from the zod schemas (the single source). */
import { z } from 'zod';
import { CampaignSchema } from './campaign.js';
import { EscalatorConfigSchema } from './config.js';
import { InventorySchema } from './inventory.js';
import { InventoryOverlaySchema } from './inventory-overlay.js';

/**
 * The JSON Schema (draft 2020-12) of each escalator/v1 document kind, describing the input form
 * (defaults may be left out): the Inventory, the Campaign, the Config (`escalator.yaml`) and the
 * InventoryOverlay (`escalator import --merge`). Editors'
 * YAML language servers can validate files with them.
 *
 * @example
 * ```ts
 * const { config } = jsonSchemas();
 * await writeFile('config.schema.json', JSON.stringify(config, null, 2));
 * ```
 */
export function jsonSchemas(): Record<
  'inventory' | 'campaign' | 'config' | 'inventory-overlay',
  Record<string, unknown>
> {
  const make = (schema: z.ZodType, title: string) => ({
    title,
    ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
  });
  return {
    inventory: make(InventorySchema, 'escalator/v1 Inventory'),
    campaign: make(CampaignSchema, 'escalator/v1 Campaign'),
    config: make(EscalatorConfigSchema, 'escalator/v1 Config'),
    'inventory-overlay': make(InventoryOverlaySchema, 'escalator/v1 InventoryOverlay'),
  };
}
