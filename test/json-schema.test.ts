/** The checked-in JSON Schemas are exactly what the zod schemas generate now. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jsonSchemas } from '../src/model/json-schema.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const generated = jsonSchemas();

describe('schemas/*.schema.json', () => {
  it.each(['inventory', 'campaign', 'config'] as const)(
    'schemas/%s.schema.json matches the zod schema',
    (kind) => {
      const file = join(ROOT, 'schemas', `${kind}.schema.json`);
      const checkedIn: unknown = JSON.parse(readFileSync(file, 'utf8'));
      // Compare as JSON: the file is what `npm run schemas` wrote with JSON.stringify.
      const current: unknown = JSON.parse(JSON.stringify(generated[kind]));
      expect(
        checkedIn,
        `schemas/${kind}.schema.json is out of date with src/model: run \`npm run schemas\` and commit the result`,
      ).toEqual(current);
    },
  );

  it('are written as npm run schemas writes them (two-space JSON and a final newline)', () => {
    for (const kind of ['inventory', 'campaign', 'config'] as const) {
      const text = readFileSync(join(ROOT, 'schemas', `${kind}.schema.json`), 'utf8');
      expect(text, `run \`npm run schemas\` to rewrite schemas/${kind}.schema.json`).toBe(
        `${JSON.stringify(generated[kind], null, 2)}\n`,
      );
    }
  });

  it('describe the documents by title and draft', () => {
    expect(generated.inventory['title']).toBe('escalator/v1 Inventory');
    expect(generated.campaign['title']).toBe('escalator/v1 Campaign');
    expect(generated.config['title']).toBe('escalator/v1 Config');
    expect(generated.inventory['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(generated.inventory['required']).toEqual(['apiVersion', 'kind', 'metadata', 'nodes']);
    expect(generated.campaign['required']).toEqual(['apiVersion', 'kind', 'metadata', 'target']);
    expect(generated.inventory['additionalProperties']).toBe(false);
    expect(generated.config['required']).toEqual(['apiVersion', 'kind']);
    expect(generated.config['additionalProperties']).toBe(false);
  });
});
