/** Writes schemas/*.schema.json from the zod schemas. Run with `npm run schemas`; a test checks they are current. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { jsonSchemas } from '../src/model/json-schema.js';

mkdirSync('schemas', { recursive: true });
for (const [name, schema] of Object.entries(jsonSchemas())) {
  writeFileSync(`schemas/${name}.schema.json`, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`schemas/${name}.schema.json`);
}
