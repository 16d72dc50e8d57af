import { it } from 'vitest';
import { parseInventory } from '../src/index.js';
const n = 100000;
const cases: Record<string, string> = {
  jsonObj: '{"a":'.repeat(n) + '1' + '}'.repeat(n),
  jsonNodesDeep: '{"apiVersion":"escalator/v1","kind":"Inventory","metadata":{"name":"x"},"nodes":' + '['.repeat(n) + ']'.repeat(n) + '}',
  yamlFlowBalanced: 'a: ' + '['.repeat(n) + ']'.repeat(n),
  yamlMap: 'x: ' + '{a: '.repeat(n),
  bignum: 'apiVersion: escalator/v1\nkind: Inventory\nmetadata: {name: x}\nnodes: [{name: a, roles: [compute], capacity: {vcpus: 1e400, memoryMiB: 123456789012345678901234567890}}]',
  nan: 'apiVersion: escalator/v1\nkind: Inventory\nmetadata: {name: x}\nnodes: [{name: a, roles: [compute], capacity: {vcpus: .nan, memoryMiB: -.inf}}]',
};
it.each(Object.keys(cases))('probe %s', (name) => {
  process.stderr.write(name + ' start\n');
  const s = performance.now();
  try { parseInventory(cases[name]!); process.stderr.write(name + ' OK\n'); } catch (e: any) { process.stderr.write(`${name} ${e.constructor.name} ${e.issues?.length} ${(performance.now() - s).toFixed(0)}ms ${e.message.slice(0,300)}\n`); }
});
