/** jsonLines: JSON written line by line is the same value JSON.stringify writes, at any depth. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonLines } from '../src/util/json-lines.js';

describe('jsonLines', () => {
  it('joined, parses to what JSON.stringify gives, for any value and depth', () => {
    fc.assert(
      fc.property(
        fc.anything({ withObjectString: true, withNullPrototype: true }),
        fc.nat({ max: 5 }),
        (v, depth) => {
          const expected = JSON.stringify(v);
          const text = [...jsonLines(v, depth)].join('\n');
          if (expected === undefined) expect(text).toBe('null');
          else expect(JSON.parse(text)).toEqual(JSON.parse(expected));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('opens the first levels one member per line, and writes deeper values on one line', () => {
    const lines = [
      ...jsonLines(
        { waves: [{ index: 0, steps: [{ id: 'a', after: [] }, { id: 'b' }] }], gone: undefined },
        3,
      ),
    ];
    expect(lines).toEqual([
      '{',
      '  "waves": [',
      '    {',
      '      "index": 0,',
      '      "steps": [{"id":"a","after":[]},{"id":"b"}]',
      '    }',
      '  ]',
      '}',
    ]);
    expect([...jsonLines({ a: new Date(0) }, 2)]).toEqual(['{', '  "a": "1970-01-01T00:00:00.000Z"', '}']);
  });
});
