/**
 * Rows of records without a schema (JsonConverter `schemas.enable=false`). Types can only come from
 * the JSON values, so there are no logical types and these limits apply (documented for users):
 *   - JSON integers → int64 (bigint, exact through the lossless parse); other numbers, and
 *     integers beyond the int64 range, → float64.
 *     A float column whose value happens to be integral ("5.0" is written 5.0 by Jackson but
 *     JSON.parse cannot tell) is typed int64 for that event.
 *   - strings stay strings: a Decimal arrives as base64 of its unscaled bytes with no scale, a
 *     Date as a day count, a timestamp as an epoch count. Configure Debezium with
 *     decimal.handling.mode=string and time.precision.mode=connect/ISO strings if the target
 *     needs them typed, or enable schemas.
 *   - objects → struct (JSON text); arrays → array of the first non-null element's type, or
 *     struct (JSON text) when the elements are not all of one scalar type.
 *   - null → the type last seen for that column on the topic, else string.
 *   - columns are taken in the order of the JSON object (JavaScript puts integer-like names
 *     such as "1" first).
 * TOAST placeholders are recognised in every form, as with schemas.
 */
import { DecodeError } from '../errors.ts';
import { NEEDS_LOSSLESS_PARSE } from './conversion-errors.ts';
import type { ExactIntegers } from './exact-integers.ts';
import { fingerprintTable } from './fingerprint.ts';
import { hasUnsafeInteger, isIntegerLiteral, JsonNumberText, stringifyLosslessJson } from './lossless-json.ts';
import { LruCache } from './schema-cache.ts';
import { isToastArray, type ToastPlaceholders } from './toast.ts';
import { type ColumnSchema, type LogicalType, type TableSchema, UNCHANGED, type Value } from './types.ts';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const STRING: LogicalType = { kind: 'string' };
const INT64: LogicalType = { kind: 'int64' };
const FLOAT64: LogicalType = { kind: 'float64' };
const BOOLEAN: LogicalType = { kind: 'boolean' };
const STRUCT: LogicalType = { kind: 'struct' };

interface Inferred {
  readonly type: LogicalType | null;
  readonly value: Value;
}

function inferScalar(raw: unknown, placeholders: ToastPlaceholders, exact: ExactIntegers | null): Inferred {
  if (raw === null || raw === undefined) return { type: null, value: null };
  switch (typeof raw) {
    case 'boolean':
      return { type: BOOLEAN, value: raw };
    case 'string':
      return { type: STRING, value: raw === placeholders.text || raw === placeholders.hstoreJson ? UNCHANGED : raw };
    case 'number':
      if (!Number.isInteger(raw)) return { type: FLOAT64, value: raw };
      if (Number.isSafeInteger(raw)) return { type: INT64, value: BigInt(raw) };
      return inferInteger(exact?.literalOf(raw) ?? needsLossless());
    default:
      break;
  }
  if (raw instanceof JsonNumberText) {
    if (!isIntegerLiteral(raw)) return { type: FLOAT64, value: Number(raw.text) };
    return inferInteger(raw.text);
  }
  if (Array.isArray(raw)) return inferArray(raw, placeholders, exact);
  if (hasUnsafeInteger(raw)) throw NEEDS_LOSSLESS_PARSE;
  return { type: STRUCT, value: stringifyLosslessJson(raw) };
}

function needsLossless(): never {
  throw NEEDS_LOSSLESS_PARSE;
}

function inferInteger(literal: string): Inferred {
  const value = BigInt(literal);
  // Beyond int64 it cannot be a bigint column: a double written without an exponent.
  if (value < INT64_MIN || value > INT64_MAX) return { type: FLOAT64, value: Number(literal) };
  return { type: INT64, value };
}

function inferArray(raw: readonly unknown[], placeholders: ToastPlaceholders, exact: ExactIntegers | null): Inferred {
  if (raw.length > 0 && isToastArray(raw, placeholders)) return { type: null, value: UNCHANGED };
  let elementType: LogicalType | null = null;
  const values: Value[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const item = raw[i];
    if (Array.isArray(item) || (typeof item === 'object' && item !== null && !(item instanceof JsonNumberText))) {
      return structText(raw);
    }
    const inferred = inferScalar(item, placeholders, exact);
    if (inferred.type !== null) {
      if (elementType === null) elementType = inferred.type;
      else if (elementType.kind !== inferred.type.kind) return structText(raw);
    }
    values[i] = inferred.value === UNCHANGED ? (item as Value) : inferred.value;
  }
  return { type: { kind: 'array', element: elementType ?? STRING }, value: values };
}

function structText(raw: unknown): Inferred {
  if (hasUnsafeInteger(raw)) throw NEEDS_LOSSLESS_PARSE;
  return { type: STRUCT, value: stringifyLosslessJson(raw) };
}

/** Per-topic memory for schemaless records: the last type of each column and built TableSchemas. */
export class SchemalessTables {
  private readonly lastTypes = new Map<string, LogicalType>();
  private readonly schemas = new LruCache<string, TableSchema>(64);
  /** Key column names of the last record with a key message (for deletes without one). */
  lastKeyNames: readonly string[] = [];

  constructor(private readonly placeholders: ToastPlaceholders) {}

  /** Values of every property of a row image, with their inferred columns. */
  convertImage(image: unknown, what: string, exact: ExactIntegers | null): { columns: ColumnSchema[]; values: Map<string, Value> } {
    if (typeof image !== 'object' || image === null || Array.isArray(image) || image instanceof JsonNumberText) {
      throw new DecodeError('cdc.value_mismatch', `${what} must be a JSON object`);
    }
    const columns: ColumnSchema[] = [];
    const values = new Map<string, Value>();
    for (const [name, raw] of Object.entries(image)) {
      const inferred = inferScalar(raw, this.placeholders, exact);
      let type = inferred.type;
      if (type === null) type = this.lastTypes.get(name) ?? STRING;
      else this.lastTypes.set(name, type);
      columns.push({ name, type, optional: true });
      values.set(name, inferred.value);
    }
    return { columns, values };
  }

  tableSchema(columns: readonly ColumnSchema[], key: readonly string[]): TableSchema {
    const fingerprint = fingerprintTable(columns, key);
    let schema = this.schemas.get(fingerprint);
    if (schema === undefined) {
      schema = { columns, key, fingerprint };
      this.schemas.set(fingerprint, schema);
    }
    this.lastSchema = schema;
    return schema;
  }

  /**
   * A delete's `before` holds only the key under REPLICA IDENTITY DEFAULT: it keeps the topic's
   * last schema (same key) so a batch mixing rows and deletes is not narrowed by the delete.
   */
  schemaForDelete(beforeColumns: readonly ColumnSchema[], key: readonly string[]): TableSchema {
    const last = this.lastSchema;
    if (last !== null && last.key.length === key.length && last.key.every((name, i) => name === key[i])) return last;
    return this.tableSchema(beforeColumns, key);
  }

  /** The schema of the last row seen on the topic (a truncate carries none), else an empty one. */
  schemaForTruncate(): TableSchema {
    return this.lastSchema ?? this.tableSchema([], []);
  }

  private lastSchema: TableSchema | null = null;
}
