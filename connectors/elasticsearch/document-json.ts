/**
 * Lossless JSON for documents. JSON.stringify cannot write a bigint and JSON.parse rounds every
 * number above 2^53, so documents are written by hand and stored fields are read back as raw
 * JSON text: an int64 or a JSON column's big number goes to the index and back digit for digit.
 *
 * Value encoding in `_source` (the mapping in mapping.ts matches it):
 *   int8..int64          JSON number (bigint digits as is)
 *   float32/64           JSON number (-0 kept); NaN and ±Infinity have no JSON number form and
 *                        are the strings "NaN", "Infinity", "-Infinity" (the mapping sets
 *                        ignore_malformed, so they stay in _source without being indexed)
 *   decimal              JSON string of the canonical decimal text (exact whatever the mapping)
 *   json / struct        the JSON text itself, embedded (an object, array or scalar in _source)
 *   bytes                base64 string
 *   everything else      JSON string of the value's text form (dates, times, uuids, bits ...)
 *   array                JSON array of the element encoding
 */
import { UNCHANGED, type LogicalType, type Row, type TableSchema, type Value } from '../../src/cdc/types.ts';

/** Thrown for a value that has no document form (e.g. a JSON column whose text is not JSON). */
export class UnencodableValueError extends Error {
  override readonly name = 'UnencodableValueError';
}

export function encodeValue(value: Value, type: LogicalType | undefined): string {
  if (value === null || value === UNCHANGED) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      if (Object.is(value, -0)) return '-0';
      return Number.isFinite(value) ? JSON.stringify(value) : `"${String(value)}"`;
    case 'string':
      if (type?.kind === 'json' || type?.kind === 'struct') return embeddedJson(value);
      return JSON.stringify(value);
  }
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  const elementType = type?.kind === 'array' ? type.element : undefined;
  return `[${value.map((element) => encodeValue(element, elementType)).join(',')}]`;
}

/**
 * JSON text from the source, embedded as a value. It is validated (a broken text would corrupt
 * the whole bulk body) and its line breaks, which valid JSON can only have as white space, are
 * replaced because a bulk body is one document per line.
 */
function embeddedJson(text: string): string {
  try {
    JSON.parse(text);
  } catch {
    throw new UnencodableValueError('the JSON column does not hold valid JSON text');
  }
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ').trim();
}

/**
 * The `_source` text of a row. Columns the row lacks or marks UNCHANGED are taken from `kept`
 * (the stored document's raw fields) when given, otherwise written as null: the contract says
 * a row that does not exist yet gets NULL for unknown columns.
 */
export function encodeDocument(schema: TableSchema, row: Row, kept: ReadonlyMap<string, string> | null): string {
  const types = columnTypes(schema);
  const names = new Set<string>([...types.keys(), ...row.keys()]);
  const fields: string[] = [];
  for (const name of names) {
    const value = row.get(name);
    let encoded: string;
    if (value === undefined || value === UNCHANGED) {
      encoded = kept?.get(name) ?? 'null';
    } else {
      encoded = encodeValue(value, types.get(name));
    }
    fields.push(`${JSON.stringify(name)}:${encoded}`);
  }
  return `{${fields.join(',')}}`;
}

const typesBySchema = new WeakMap<TableSchema, ReadonlyMap<string, LogicalType>>();

/** Column name → logical type, in column order; computed once per schema object. */
function columnTypes(schema: TableSchema): ReadonlyMap<string, LogicalType> {
  let types = typesBySchema.get(schema);
  if (types === undefined) {
    types = new Map(schema.columns.map((column) => [column.name, column.type]));
    typesBySchema.set(schema, types);
  }
  return types;
}

/** True when some column's current value must be kept (UNCHANGED or missing from the row). */
export function isPartialRow(schema: TableSchema, row: Row): boolean {
  for (const column of schema.columns) {
    const value = row.get(column.name);
    if (value === undefined || value === UNCHANGED) return true;
  }
  return false;
}

// ------------------------------------------------------------------------------------------
// Reading raw JSON: just enough of a scanner to split objects and arrays into the raw text of
// their members, so stored values are copied, never re-parsed through a JS number.

/** Index just past the JSON value that starts at or after `start` (white space skipped). */
function skipValue(text: string, start: number): number {
  let position = skipSpace(text, start);
  const first = text[position];
  if (first === '"') return skipString(text, position);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (; position < text.length; position++) {
      const character = text[position];
      if (character === '"') {
        position = skipString(text, position) - 1;
      } else if (character === '{' || character === '[') {
        depth++;
      } else if (character === '}' || character === ']') {
        depth--;
        if (depth === 0) return position + 1;
      }
    }
    throw new SyntaxError('unterminated JSON container');
  }
  while (position < text.length && !/[\s,}\]]/.test(text[position] as string)) position++;
  return position;
}

function skipString(text: string, start: number): number {
  for (let position = start + 1; position < text.length; position++) {
    const character = text[position];
    if (character === '\\') position++;
    else if (character === '"') return position + 1;
  }
  throw new SyntaxError('unterminated JSON string');
}

function skipSpace(text: string, start: number): number {
  let position = start;
  while (position < text.length && /\s/.test(text[position] as string)) position++;
  return position;
}

/** The members of a JSON object as name → raw value text. */
export function rawObjectMembers(text: string): Map<string, string> {
  const members = new Map<string, string>();
  let position = skipSpace(text, 0);
  if (text[position] !== '{') throw new SyntaxError('expected a JSON object');
  position = skipSpace(text, position + 1);
  if (text[position] === '}') return members;
  for (;;) {
    const nameEnd = skipString(text, position);
    const name = JSON.parse(text.slice(position, nameEnd)) as string;
    position = skipSpace(text, nameEnd);
    if (text[position] !== ':') throw new SyntaxError('expected : in a JSON object');
    const valueStart = skipSpace(text, position + 1);
    const valueEnd = skipValue(text, valueStart);
    members.set(name, text.slice(valueStart, valueEnd));
    position = skipSpace(text, valueEnd);
    if (text[position] === '}') return members;
    if (text[position] !== ',') throw new SyntaxError('expected , or } in a JSON object');
    position = skipSpace(text, position + 1);
  }
}

/** The elements of a JSON array as raw texts. */
export function rawArrayElements(text: string): string[] {
  const elements: string[] = [];
  let position = skipSpace(text, 0);
  if (text[position] !== '[') throw new SyntaxError('expected a JSON array');
  position = skipSpace(text, position + 1);
  if (text[position] === ']') return elements;
  for (;;) {
    const end = skipValue(text, position);
    elements.push(text.slice(position, end));
    position = skipSpace(text, end);
    if (text[position] === ']') return elements;
    if (text[position] !== ',') throw new SyntaxError('expected , or ] in a JSON array');
    position = skipSpace(text, position + 1);
  }
}
