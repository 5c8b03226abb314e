/**
 * Index mappings derived from a TableSchema. The mapping decides what can be searched and
 * aggregated; `_source` (see document-json.ts) always keeps the exact value whatever the mapping.
 *
 *   key columns                  keyword (exact match, terms aggregations, sorting)
 *   boolean                      boolean
 *   int8 / int16 / int32 / int64 byte / short / integer / long
 *   float32 / float64            float / double with ignore_malformed (NaN and ±Infinity are
 *                                kept in _source as strings but not indexed)
 *   decimal                      SLUICE_ES_DECIMAL_MAPPING: auto = scaled_float (scaling_factor
 *                                10^scale) when the precision is known and <= 15 — scaled_float
 *                                parses through a double, which is exact up to 15 significant
 *                                digits — otherwise keyword; or scaled_float / keyword / double
 *   variable-decimal             keyword under auto (no fixed scale), else as configured
 *   string / xml                 text with a `keyword` sub-field (ignore_above 256)
 *   enum / uuid / bits           keyword
 *   json / struct                object with enabled=false: kept in _source, not indexed (any
 *                                JSON shape is accepted and no mapping explosion is possible)
 *   bytes                        binary
 *   date                         date, format strict_date, with ignore_malformed
 *   timestamp / timestamptz      date, format strict_date_optional_time_nanos (millisecond
 *                                resolution in the index, nanoseconds kept in _source), with
 *                                ignore_malformed: PostgreSQL's 'infinity' / '-infinity' (and
 *                                years beyond 9999) are kept in _source but not indexed, as
 *                                NaN is for floats, instead of failing the document
 *   time / timetz / interval     keyword (no time-of-day or duration type exists)
 *   array                        the element's mapping (every field is multi-valued)
 */
import type { ColumnSchema, LogicalType, TableSchema } from '../../src/cdc/types.ts';
import type { DecimalMapping } from './config.ts';

export type FieldMapping = Readonly<Record<string, unknown>>;

export interface IndexMappings {
  readonly properties: Readonly<Record<string, FieldMapping>>;
}

const MAX_EXACT_SCALED_FLOAT_PRECISION = 15;

export function fieldMapping(type: LogicalType, decimalMapping: DecimalMapping): FieldMapping {
  switch (type.kind) {
    case 'boolean':
      return { type: 'boolean' };
    case 'int8':
      return { type: 'byte' };
    case 'int16':
      return { type: 'short' };
    case 'int32':
      return { type: 'integer' };
    case 'int64':
      return { type: 'long' };
    case 'float32':
      return { type: 'float', ignore_malformed: true };
    case 'float64':
      return { type: 'double', ignore_malformed: true };
    case 'decimal':
      return decimalFieldMapping(type.scale, type.precision, decimalMapping);
    case 'variable-decimal':
      return decimalMapping === 'double' ? { type: 'double' } : { type: 'keyword' };
    case 'string':
    case 'xml':
      return { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
    case 'enum':
    case 'uuid':
    case 'bits':
    case 'time':
    case 'timetz':
    case 'interval':
      return { type: 'keyword' };
    case 'json':
    case 'struct':
      return { type: 'object', enabled: false };
    case 'bytes':
      return { type: 'binary' };
    case 'date':
      return { type: 'date', format: 'strict_date', ignore_malformed: true };
    case 'timestamp':
    case 'timestamptz':
      return { type: 'date', format: 'strict_date_optional_time_nanos', ignore_malformed: true };
    case 'array':
      return fieldMapping(type.element, decimalMapping);
  }
}

function decimalFieldMapping(scale: number, precision: number | undefined, decimalMapping: DecimalMapping): FieldMapping {
  const scaled = { type: 'scaled_float', scaling_factor: 10 ** scale };
  switch (decimalMapping) {
    case 'scaled_float':
      return scaled;
    case 'keyword':
      return { type: 'keyword' };
    case 'double':
      return { type: 'double' };
    case 'auto':
      return precision !== undefined && precision <= MAX_EXACT_SCALED_FLOAT_PRECISION && scale >= 0 ? scaled : { type: 'keyword' };
  }
}

function columnMapping(column: ColumnSchema, keyColumns: ReadonlySet<string>, decimalMapping: DecimalMapping): FieldMapping {
  if (keyColumns.has(column.name) && column.type.kind !== 'json' && column.type.kind !== 'struct') return { type: 'keyword' };
  return fieldMapping(column.type, decimalMapping);
}

export function indexMappings(schema: TableSchema, decimalMapping: DecimalMapping): IndexMappings {
  const keyColumns = new Set(schema.key);
  const properties: Record<string, FieldMapping> = {};
  for (const column of schema.columns) properties[column.name] = columnMapping(column, keyColumns, decimalMapping);
  return { properties };
}
