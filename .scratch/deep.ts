import { parseInventory } from '../src/index.js';
const n = Number(process.argv[3] ?? 100000);
const cases: Record<string, string> = {
  jsonOpen: '['.repeat(n),
  jsonBalanced: '['.repeat(n) + ']'.repeat(n),
  jsonObj: '{"a":'.repeat(n) + '1' + '}'.repeat(n),
  jsonNodesDeep: '{"apiVersion":"escalator/v1","kind":"Inventory","metadata":{"name":"x"},"nodes":' + '['.repeat(n) + ']'.repeat(n) + '}',
  yamlFlowOpen: 'a: ' + '['.repeat(n),
  yamlFlowBalanced: 'a: ' + '['.repeat(n) + ']'.repeat(n),
  yamlDash: '- '.repeat(n) + 'x',
  yamlMap: 'x: ' + '{a: '.repeat(n),
};
const name = process.argv[2]!;
const s = performance.now();
try { parseInventory(cases[name]!); console.log(name, 'OK'); } catch (e: any) { console.log(name, e.constructor.name, String(e.message).slice(0, 200)); }
console.log((performance.now() - s).toFixed(0), 'ms');
