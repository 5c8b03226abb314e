/**
 * A value or key schema compiled once per schema version: what kind of Debezium record it
 * describes, and for change events one converter per column. Compiled schemas are cached by
 * schema text (schema-cache.ts), so none of this runs per event.
 */
import { DecodeError } from '../errors.ts';
import { type ConnectSchema, findField } from './connect-schema.ts';
import { ValueMismatch } from './conversion-errors.ts';
import type { ExactIntegers } from './exact-integers.ts';
import { fingerprintTable } from './fingerprint.ts';
import { type CompiledType, type Converter, compileType } from './logical-types.ts';
import type { ToastPlaceholders } from './toast.ts';
import type { ColumnSchema, TableSchema, Value } from './types.ts';

export interface CompiledColumn {
  readonly name: string;
  readonly optional: boolean;
  readonly convert: Converter;
  /** The name is also an Object.prototype member ('constructor', '__proto__'…): look up own properties only. */
  readonly ownPropertyOnly: boolean;
}

export interface CompiledRow {
  readonly columns: readonly CompiledColumn[];
  readonly columnSchemas: readonly ColumnSchema[];
  readonly byName: ReadonlyMap<string, CompiledColumn>;
}

/** What a value schema says the record is. Only 'change' records carry rows. */
export type RecordKind = 'change' | 'heartbeat' | 'transaction' | 'schema-change' | 'unknown';

export interface CompiledValueSchema {
  readonly kind: RecordKind;
  readonly name: string | null;
  /** The before/after struct of a change event; null for other kinds. */
  readonly row: CompiledRow | null;
  /** TableSchema per key schema this value schema was seen with (null = no key message). */
  readonly tableSchemas: Map<CompiledKeySchema | null, TableSchema>;
}

export interface CompiledKeySchema {
  readonly row: CompiledRow;
}

function compileRow(struct: ConnectSchema, placeholders: ToastPlaceholders): CompiledRow {
  const columns: CompiledColumn[] = [];
  const columnSchemas: ColumnSchema[] = [];
  const byName = new Map<string, CompiledColumn>();
  for (const field of struct.fields) {
    const compiledType: CompiledType = compileType(field.schema, placeholders);
    const column: CompiledColumn = {
      name: field.field,
      optional: field.schema.optional,
      convert: compiledType.convert,
      ownPropertyOnly: field.field in Object.prototype,
    };
    columns.push(column);
    byName.set(column.name, column);
    const columnSchema: ColumnSchema =
      compiledType.sourceType === undefined
        ? { name: field.field, type: compiledType.type, optional: field.schema.optional }
        : { name: field.field, type: compiledType.type, optional: field.schema.optional, sourceType: compiledType.sourceType };
    columnSchemas.push(columnSchema);
  }
  return { columns, columnSchemas, byName };
}

function classify(schema: ConnectSchema): RecordKind {
  const name = schema.name ?? '';
  if (name.endsWith('.Heartbeat')) return 'heartbeat';
  if (name.endsWith('TransactionMetadataValue')) return 'transaction';
  if (name.endsWith('SchemaChangeValue')) return 'schema-change';
  if (schema.type !== 'struct' || findField(schema, 'op') === undefined) return 'unknown';
  const image = findField(schema, 'after') ?? findField(schema, 'before');
  return image !== undefined && image.schema.type === 'struct' ? 'change' : 'unknown';
}

export function compileValueSchema(schema: ConnectSchema, placeholders: ToastPlaceholders): CompiledValueSchema {
  const kind = classify(schema);
  let row: CompiledRow | null = null;
  if (kind === 'change') {
    const image = (findField(schema, 'after') ?? findField(schema, 'before'))!;
    row = compileRow(image.schema, placeholders);
  }
  return { kind, name: schema.name, row, tableSchemas: new Map() };
}

export function compileKeySchema(schema: ConnectSchema, placeholders: ToastPlaceholders): CompiledKeySchema {
  if (schema.type !== 'struct') {
    throw new DecodeError('cdc.invalid_key', `the message key must be a struct, its schema is ${schema.type}`);
  }
  return { row: compileRow(schema, placeholders) };
}

/** The TableSchema of a value schema seen with a key schema; built once per pair. */
export function tableSchemaFor(value: CompiledValueSchema, key: CompiledKeySchema | null): TableSchema {
  const cached = value.tableSchemas.get(key);
  if (cached !== undefined) return cached;
  const row = value.row!;
  const keyNames = key === null ? [] : key.row.columns.map((column) => column.name);
  for (const name of keyNames) {
    if (!row.byName.has(name)) {
      throw new DecodeError('cdc.invalid_key', `key field ${JSON.stringify(name)} is not a column of the row`);
    }
  }
  const schema: TableSchema = {
    columns: row.columnSchemas,
    key: keyNames,
    fingerprint: fingerprintTable(row.columnSchemas, keyNames),
  };
  value.tableSchemas.set(key, schema);
  return schema;
}

/** Reads a column's JSON value: undefined when absent, immune to Object.prototype names. */
export function readField(object: Record<string, unknown>, column: CompiledColumn): unknown {
  if (column.ownPropertyOnly) return Object.hasOwn(object, column.name) ? object[column.name] : undefined;
  return object[column.name];
}

/**
 * Converts one row image. Absent optional columns are left out of the Row (the contract treats
 * them as unchanged); absent or null required columns are a mismatch, as in the JsonConverter.
 */
export function convertRow(row: CompiledRow, image: unknown, exact: ExactIntegers | null): Map<string, Value> {
  if (typeof image !== 'object' || image === null || Array.isArray(image)) {
    throw new ValueMismatch(`expected a row object, got ${image === null ? 'null' : typeof image}`);
  }
  const object = image as Record<string, unknown>;
  const values = new Map<string, Value>();
  const columns = row.columns;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    const raw = readField(object, column);
    if (raw === undefined || raw === null) {
      if (!column.optional) throw new ColumnMismatch(column.name, `required column is ${raw === null ? 'null' : 'missing'}`);
      if (raw === null) values.set(column.name, null);
      continue;
    }
    let converted: Value;
    try {
      converted = column.convert(raw, exact);
    } catch (error) {
      if (error instanceof ValueMismatch) throw new ColumnMismatch(column.name, error.message);
      throw error;
    }
    values.set(column.name, converted);
  }
  return values;
}

/** Converts only the named columns of an image (the key columns of a `before`). */
export function convertColumns(
  row: CompiledRow,
  image: unknown,
  names: readonly string[],
  exact: ExactIntegers | null,
): Map<string, Value> | null {
  if (typeof image !== 'object' || image === null || Array.isArray(image)) return null;
  const object = image as Record<string, unknown>;
  const values = new Map<string, Value>();
  for (const name of names) {
    const column = row.byName.get(name);
    if (column === undefined) return null;
    const raw = readField(object, column);
    if (raw === undefined) return null;
    try {
      values.set(name, raw === null ? null : column.convert(raw, exact));
    } catch (error) {
      if (error instanceof ValueMismatch) throw new ColumnMismatch(column.name, error.message);
      throw error;
    }
  }
  return values;
}

/** A ValueMismatch located at a column. */
export class ColumnMismatch extends ValueMismatch {
  constructor(
    readonly column: string,
    reason: string,
  ) {
    super(`column ${JSON.stringify(column)}: ${reason}`);
  }
}
