/**
 * Parsing YAML or JSON text into plain data, and finding where a field path sits in the text.
 * Positions are worked out only when an error needs them: a valid 40 MB inventory pays nothing for them.
 */
import { type CST, type Document, isMap, isPair, isScalar, isSeq, Parser, parseDocument } from 'yaml';
import { DocumentError } from '../errors.js';

/** A parsed document and the means to locate its fields. */
export interface ParsedSource {
  /** The plain data. */
  readonly data: unknown;
  /**
   * The 1-based line and column of the node at `path`, or of its deepest existing ancestor.
   * With `key: true`, the position of the last path element's key rather than its value.
   */
  locate(path: readonly (string | number)[], options?: { key?: boolean }): { line: number; column: number };
}

/** A syntax error, with its position. */
export interface SyntaxProblem {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

/**
 * Texts longer than this (in UTF-16 code units, about bytes for these documents) are refused before
 * parsing: the largest real inventories (10,000 computes) are near 40 MB, and parsing hundreds of MB
 * would take minutes and gigabytes only to fail.
 */
export const MAX_SOURCE_LENGTH = 128 * 2 ** 20;

/** How much of the start of a text is looked at for binary content. */
const SNIFF_LENGTH = 1024;

/**
 * Why `text` is not a YAML or JSON document at all — binary content or too large — or undefined.
 * Checked before parsing, so that an image or archive given by mistake costs one line, not megabytes
 * of escaped bytes quoted back in syntax errors.
 */
function notADocument(text: string): SyntaxProblem | undefined {
  if (text.length > MAX_SOURCE_LENGTH)
    return {
      message: `too large: ${(text.length / 2 ** 20).toFixed(0)} MB, more than the ${MAX_SOURCE_LENGTH / 2 ** 20} MB a document may have`,
      line: 1,
      column: 1,
    };
  const end = Math.min(text.length, SNIFF_LENGTH);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    // NUL and the C0 controls YAML and JSON both forbid (tab, LF and CR are fine), and U+FFFD,
    // which is what invalid UTF-8 decodes to.
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffd)
      return {
        message: `not a YAML or JSON text: binary content (${c === 0xfffd ? 'invalid UTF-8' : `byte 0x${c.toString(16).padStart(2, '0')}`}) in the first ${SNIFF_LENGTH} bytes`,
        ...lineColumn(text, i),
      };
  }
  return undefined;
}

/**
 * Parses text, choosing JSON when it starts like JSON (much faster for big files) and YAML otherwise.
 * Binary content and texts over {@link MAX_SOURCE_LENGTH} are refused with one problem, unparsed.
 */
export function parseSource(text: string): ParsedSource | { readonly syntax: SyntaxProblem[] } {
  const refused = notADocument(text);
  if (refused) return { syntax: [refused] };
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = /\S/.exec(body)?.[0];
  if (first === '{' || first === '[') {
    try {
      const data: unknown = JSON.parse(body);
      return {
        data,
        locate: (path, options) => lineColumn(body, locateInJson(body, path, options?.key ?? false)),
      };
    } catch (error) {
      if (error instanceof SyntaxError) {
        const at = /position (\d+)/.exec(error.message);
        // Without a position, V8 says either "Unexpected end of JSON input" (the error is at the end)
        // or "Unexpected token 'x', "<the text>" is not valid JSON" (position unknown).
        const offset = at ? Number(at[1]) : /end of JSON input/.test(error.message) ? body.length : 0;
        const reason = error.message
          .replace(/(?: in JSON)? at position \d+.*$/s, '')
          .replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '') // quotes the text, newlines and all
          .replace(/^JSON\.parse: /, '');
        return { syntax: [{ message: `invalid JSON: ${reason}`, ...lineColumn(body, offset) }] };
      }
      return { syntax: [{ message: `cannot parse: ${String(error)}`, line: 1, column: 1 }] };
    }
  }
  let doc: Document;
  try {
    const deep = tooDeep(body);
    if (deep !== undefined)
      return {
        syntax: [
          {
            message: `invalid YAML: nested more than ${MAX_YAML_DEPTH} levels deep`,
            ...lineColumn(body, deep),
          },
        ],
      };
    doc = parseDocument(body, { uniqueKeys: true, prettyErrors: false });
  } catch (error) {
    return { syntax: [{ message: `cannot parse: ${String(error)}`, line: 1, column: 1 }] };
  }
  if (doc.errors.length > 0)
    return {
      syntax: doc.errors.map((e) => ({
        message: `invalid YAML: ${e.message.split('\n')[0] ?? e.code}`,
        ...lineColumn(body, e.pos[0]),
      })),
    };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    return { syntax: [{ message: `invalid YAML: ${(error as Error).message}`, line: 1, column: 1 }] };
  }
  return {
    data,
    locate: (path, options) => lineColumn(body, locateInYaml(doc, path, options?.key ?? false)),
  };
}

/**
 * YAML nested deeper than this is refused before it is composed. The yaml composer recurses once per
 * level; near the end of the stack V8 can then abort the whole process (a fatal "RegExpCompiler
 * Allocation failed", not an exception). Real documents need a handful of levels.
 */
const MAX_YAML_DEPTH = 256;

/** The offset of a collection nested deeper than {@link MAX_YAML_DEPTH}, if any, found without recursion. */
function tooDeep(body: string): number | undefined {
  for (const token of new Parser().parse(body)) {
    const stack: [CST.Token, number][] = [[token, 0]];
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      const [t, depth] = top;
      if (depth > MAX_YAML_DEPTH) return t.offset;
      if (t.type === 'document' && t.value) stack.push([t.value, depth]);
      else if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection')
        for (const item of t.items) {
          if (item.key) stack.push([item.key, depth + 1]);
          if (item.value) stack.push([item.value, depth + 1]);
        }
    }
  }
  return undefined;
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

function locateInYaml(doc: Document, path: readonly (string | number)[], key: boolean): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const [i, part] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === part);
      if (!pair) return offset;
      if (key && i === path.length - 1) return rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
    } else return offset;
    const start = rangeStart(node);
    if (start === undefined) return offset;
    offset = start;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range?.[0];
}

/**
 * Walks JSON text to the value (or key) at `path`, skipping over everything else without building
 * values. Returns the deepest offset reached when the path does not exist.
 */
function locateInJson(text: string, path: readonly (string | number)[], key: boolean): number {
  let i = skipSpace(text, 0);
  for (const [depth, part] of path.entries()) {
    const open = text[i];
    if (open === '{') {
      let j = skipSpace(text, i + 1);
      let found = false;
      while (text[j] === '"') {
        const keyStart = j;
        const keyEnd = skipString(text, j);
        const name = JSON.parse(text.slice(keyStart, keyEnd)) as string;
        j = skipSpace(text, skipSpace(text, keyEnd) + 1); // past ':'
        if (name === String(part)) {
          if (key && depth === path.length - 1) return keyStart;
          found = true;
          break;
        }
        j = skipSpace(text, skipValue(text, j));
        if (text[j] === ',') j = skipSpace(text, j + 1);
      }
      if (!found) return i;
      i = j;
    } else if (open === '[' && typeof part === 'number') {
      let j = skipSpace(text, i + 1);
      for (let k = 0; k < part && text[j] !== ']'; k++) {
        j = skipSpace(text, skipValue(text, j));
        if (text[j] === ',') j = skipSpace(text, j + 1);
      }
      if (text[j] === ']') return i;
      i = j;
    } else return i;
  }
  return i;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t'))
    i++;
  return i;
}

function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j + 1;
  }
  return text.length;
}

/** Skips one JSON value (already known to be well formed) and returns the offset after it. */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c !== '{' && c !== '[') {
    let j = i;
    while (j < text.length && !',}] \n\r\t'.includes(text[j] ?? ',')) j++;
    return j;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const d = text[j];
    if (d === '"') j = skipString(text, j) - 1;
    else if (d === '{' || d === '[') depth++;
    else if (d === '}' || d === ']') {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return text.length;
}

/**
 * The parsed text, or a {@link DocumentError} naming `file` and each syntax problem's position.
 * @internal
 */
export function parseSourceOf(text: string, file: string): ParsedSource {
  const source = parseSource(text);
  if ('syntax' in source)
    throw new DocumentError(
      file,
      source.syntax.map((s) => ({
        code: 'syntax',
        path: [],
        message: s.message,
        line: s.line,
        column: s.column,
      })),
    );
  return source;
}
