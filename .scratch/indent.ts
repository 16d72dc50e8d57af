import { parseDocument } from 'yaml';
const n = Number(process.argv[2]);
const text = Array.from({ length: n }, (_, i) => ' '.repeat(i) + '-').join('\n');
const s = performance.now();
try { const d = parseDocument(text, { uniqueKeys: true, prettyErrors: false }); console.log(d.errors.length, d.errors[0]?.message.slice(0, 100)); d.toJS({maxAliasCount: 1000}); } catch (e: any) { console.log('threw', e.message.slice(0, 100)); }
console.log(n, (performance.now() - s).toFixed(0), 'ms');
