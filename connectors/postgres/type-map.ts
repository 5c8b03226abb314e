/**
 * How sluice's logical types land in PostgreSQL: the column type used when sluice creates a
 * table, and the COPY text-format encoding of each value. The table in docs/postgres.md is this
 * file in prose; keep them together.
 *
 * COPY text format (https://www.postgresql.org/docs/15/sql-copy.html): columns separated by a
 * tab, rows by a newline, NULL is `\N`, and inside a field a backslash, tab, newline and carriage
 * return must be written `\\`, `\t`, `\n`, `\r`. Every other byte (including any Unicode) is
 * taken literally, so the encoding below is: value → the type's input text → COPY escaping.
 */
import { UNCHANGED, type LogicalType, type Value } from '../../src/cdc/types.ts';

/** PostgreSQL's fixed limit on numeric precision (typmod). */
const MAX_NUMERIC_PRECISION = 1000;

export function postgresType(type: LogicalType): string {
  switch (type.kind) {
    case 'boolean':
      return 'boolean';
    case 'int8':
    case 'int16':
      return 'smallint';
    case 'int32':
      return 'integer';
    case 'int64':
      return 'bigint';
    case 'float32':
      return 'real';
    case 'float64':
      return 'double precision';
    case 'decimal':
      // Without a known precision, numeric(p,s) cannot be declared; unconstrained numeric keeps
      // every value exactly (the source already enforced its own scale).
      if (type.precision === undefined || type.precision < 1 || type.precision > MAX_NUMERIC_PRECISION) return 'numeric';
      return `numeric(${type.precision},${type.scale})`;
    case 'variable-decimal':
      return 'numeric';
    case 'string':
    case 'enum':
      return 'text';
    case 'uuid':
      return 'uuid';
    case 'json':
    case 'struct':
      return 'jsonb';
    case 'xml':
      return 'xml';
    case 'bytes':
      return 'bytea';
    case 'bits':
      return type.length > 0 ? `bit varying(${type.length})` : 'bit varying';
    case 'date':
      return 'date';
    case 'time':
      return `time(${Math.min(type.precision, 6)}) without time zone`;
    case 'timetz':
      return 'time with time zone';
    case 'timestamp':
      return `timestamp(${Math.min(type.precision, 6)}) without time zone`;
    case 'timestamptz':
      return 'timestamp with time zone';
    case 'interval':
      return 'interval';
    case 'array':
      // PostgreSQL arrays are multi-dimensional values of one element type: int[][] is int[].
      return `${postgresType(arrayElementType(type))}[]`;
  }
}

function arrayElementType(type: LogicalType): LogicalType {
  return type.kind === 'array' ? arrayElementType(type.element) : type;
}

/** A value that cannot be represented in PostgreSQL, found before anything is sent. */
export class UnencodableValueError extends Error {
  override readonly name = 'UnencodableValueError';
}

/** The type's input text (what `'…'::type` accepts), before COPY escaping; null for SQL NULL. */
export function inputText(type: LogicalType, value: Value): string | null {
  if (value === null) return null;
  if (value === UNCHANGED) throw new UnencodableValueError('the UNCHANGED placeholder is never written');
  switch (type.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? (value ? 't' : 'f') : mismatch(type, value);
    case 'int8':
    case 'int16':
    case 'int32':
      if (typeof value === 'number' && Number.isInteger(value)) return String(value);
      if (typeof value === 'bigint') return String(value);
      return mismatch(type, value);
    case 'int64':
      if (typeof value === 'bigint') return String(value);
      if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
      return mismatch(type, value);
    case 'float32':
    case 'float64':
      return typeof value === 'number' ? floatText(value) : mismatch(type, value);
    case 'decimal':
    case 'variable-decimal':
      // Canonical decimal text from the decoder; 'NaN' is a valid numeric too.
      return typeof value === 'string' ? value : mismatch(type, value);
    case 'bytes':
      return value instanceof Uint8Array ? `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}` : mismatch(type, value);
    case 'array':
      return Array.isArray(value) ? arrayLiteral(type.element, value) : mismatch(type, value);
    case 'string':
    case 'enum':
    case 'uuid':
    case 'json':
    case 'struct':
    case 'xml':
    case 'bits':
    case 'date':
    case 'time':
    case 'timetz':
    case 'timestamp':
    case 'timestamptz':
    case 'interval':
      return typeof value === 'string' ? wellFormed(value) : mismatch(type, value);
  }
}

function mismatch(type: LogicalType, value: Value): never {
  const shown = value instanceof Uint8Array ? 'bytes' : Array.isArray(value) ? 'array' : typeof value;
  throw new UnencodableValueError(`a ${shown} value does not fit logical type ${type.kind}`);
}

/** A lone UTF-16 surrogate would be silently replaced by U+FFFD on encoding; refuse instead. */
function wellFormed(text: string): string {
  // The cheap test (any surrogate code unit) first; the exact one only for astral text.
  if (/[\ud800-\udfff]/.test(text) && /\p{Cs}/u.test(text)) throw new UnencodableValueError('text contains a lone UTF-16 surrogate');
  return text;
}

function floatText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Object.is(value, -0)) return '-0';
  // JS prints the shortest text that round-trips (e.g. 1e+21, 5e-324); float8in/float4in accept it.
  return String(value);
}

/**
 * Array input syntax: `{a,b,NULL}`; every non-null element is double-quoted with `"` and `\`
 * backslash-escaped, so element text needs no further analysis (a string 'NULL' stays a string).
 */
function arrayLiteral(element: LogicalType, values: readonly Value[]): string {
  const parts = values.map((item) => {
    if (item === null) return 'NULL';
    if (element.kind === 'array') {
      return Array.isArray(item) ? arrayLiteral(element.element, item) : mismatch(element, item);
    }
    const text = inputText(element, item);
    if (text === null) return 'NULL';
    return `"${text.replace(/[\\"]/g, '\\$&')}"`;
  });
  return `{${parts.join(',')}}`;
}

const copyEscapes: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

const needsCopyEscape = /[\\\t\n\r]/;

/** One COPY text field. */
export function copyField(type: LogicalType, value: Value): string {
  const text = inputText(type, value);
  if (text === null) return '\\N';
  if (!needsCopyEscape.test(text)) return text;
  return text.replace(/[\\\t\n\r]/g, (character) => copyEscapes[character] ?? character);
}
