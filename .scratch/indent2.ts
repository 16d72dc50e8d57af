import { parseInventory } from '../src/index.js';
const n = Number(process.argv[2]);
const text = Array.from({ length: n }, (_, i) => ' '.repeat(i) + '-').join('\n');
const s = performance.now();
try { parseInventory(text); } catch (e: any) { console.log('threw', e.constructor.name, e.message.slice(0, 200)); }
console.log(n, (performance.now() - s).toFixed(0), 'ms');
