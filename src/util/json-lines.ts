/**
 * JSON written piece by piece: a value of any size as lines, so that a plan of 10,000 nodes is written
 * without ever holding its whole text (which passes V8's longest string near 10,000 computes).
 * @module
 */

/**
 * The lines of `value` as JSON: containers down to `depth` levels open one member per line (indented
 * two spaces per level); deeper values are one compact line each. Joined with `\n`, the lines are the
 * same JSON value; `undefined` members are left out as `JSON.stringify` does. @internal
 *
 * @example
 * ```ts
 * for (const line of jsonLines(plan, 3)) process.stdout.write(`${line}\n`);
 * ```
 */
export function* jsonLines(value: unknown, depth: number, indent = ''): Generator<string> {
  const v = toJsonValue(value);
  const open = Array.isArray(v) ? '[' : isObject(v) ? '{' : undefined;
  if (depth <= 0 || open === undefined) {
    yield `${indent}${JSON.stringify(v) ?? 'null'}`;
    return;
  }
  const members: [string, unknown][] = Array.isArray(v)
    ? v.map((x, i) => [String(i), x === undefined || typeof x === 'function' ? null : x])
    : Object.entries(v as Record<string, unknown>).filter(
        ([, x]) => x !== undefined && typeof x !== 'function',
      );
  if (members.length === 0) {
    yield `${indent}${open === '[' ? '[]' : '{}'}`;
    return;
  }
  yield `${indent}${open}`;
  const inner = `${indent}  `;
  for (const [i, [key, member]] of members.entries()) {
    const comma = i < members.length - 1 ? ',' : '';
    const prefix = open === '{' ? `${JSON.stringify(key)}: ` : '';
    // The first line of a member carries its key; its last line, the comma.
    let previous: string | undefined;
    for (const line of jsonLines(member, depth - 1, inner)) {
      if (previous !== undefined) yield previous;
      previous = previous === undefined ? `${inner}${prefix}${line.slice(inner.length)}` : line;
    }
    yield `${previous}${comma}`;
  }
  yield `${indent}${open === '[' ? ']' : '}'}`;
}

function isObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null;
}

/** What JSON.stringify would see: `toJSON()` applied. */
function toJsonValue(value: unknown): unknown {
  return isObject(value) && typeof (value as { toJSON?: unknown }).toJSON === 'function'
    ? (value as { toJSON(): unknown }).toJSON()
    : value;
}
