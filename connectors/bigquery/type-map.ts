/**
 * Logical types (src/cdc/types.ts) → BigQuery column types, and values → the JSON the staging
 * load job (newline-delimited JSON) carries. Nothing passes through a JS float that was not a
 * float at the source: 64-bit integers and decimals travel as JSON strings, which BigQuery parses
 * exactly into INT64, NUMERIC and BIGNUMERIC.
 *
 *   boolean                      BOOL
 *   int8 / int16 / int32 / int64 INT64 (sent as decimal text)
 *   float32 / float64            FLOAT64 (NaN, ±Infinity and -0 sent as text)
 *   decimal(p, s)                NUMERIC(p, s) when s ≤ 9 and p − s ≤ 29,
 *                                BIGNUMERIC(p, s) when s ≤ 38 and p − s ≤ 38, else STRING
 *   decimal(s) without precision NUMERIC when s ≤ 9 would cap the integer part at 29 digits, so
 *                                BIGNUMERIC when s ≤ 38, else STRING
 *   variable-decimal             STRING: each value has its own scale, which can exceed any
 *                                BIGNUMERIC (the decimal text is kept exactly)
 *   string / enum / uuid / xml / bits / timetz / interval   STRING (exact text)
 *   json / struct                JSON
 *   bytes                        BYTES (base64 in the load file, decoded by the MERGE)
 *   date                         DATE
 *   time                         TIME (microseconds; nanosecond digits are dropped)
 *   timestamp (no zone)          DATETIME (microseconds)
 *   timestamptz                  TIMESTAMP (microseconds, UTC)
 *   array<T>                     REPEATED T. BigQuery arrays cannot hold NULL elements and a
 *                                NULL array reads back as []: an array with a NULL element is
 *                                refused as poison (never silently shortened); arrays of arrays
 *                                are stored as JSON.
 */
import { type LogicalType, UNCHANGED, type Value } from '../../src/cdc/types.ts';
import { SinkError } from '../../src/errors.ts';

/** A column of the BigQuery table schema (tables.insert / tables.patch field). */
export interface BigQueryField {
  readonly name: string;
  readonly type: string;
  readonly mode: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
  readonly precision?: string;
  readonly scale?: string;
}

/** The scalar type of a column (for arrays: of its elements), with the parameters of NUMERIC/BIGNUMERIC. */
export interface ScalarType {
  readonly type: 'BOOL' | 'INT64' | 'FLOAT64' | 'NUMERIC' | 'BIGNUMERIC' | 'STRING' | 'JSON' | 'BYTES' | 'DATE' | 'TIME' | 'DATETIME' | 'TIMESTAMP';
  readonly precision?: number;
  readonly scale?: number;
}

export interface ColumnType {
  readonly scalar: ScalarType;
  readonly repeated: boolean;
}

function decimalType(precision: number | undefined, scale: number): ScalarType {
  if (precision === undefined) return scale <= 38 ? { type: 'BIGNUMERIC' } : { type: 'STRING' };
  if (scale <= 9 && precision - scale <= 29) return { type: 'NUMERIC', precision, scale };
  if (scale <= 38 && precision - scale <= 38) return { type: 'BIGNUMERIC', precision, scale };
  return { type: 'STRING' };
}

function scalarType(type: LogicalType): ScalarType {
  switch (type.kind) {
    case 'boolean':
      return { type: 'BOOL' };
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return { type: 'INT64' };
    case 'float32':
    case 'float64':
      return { type: 'FLOAT64' };
    case 'decimal':
      return decimalType(type.precision, type.scale);
    case 'variable-decimal':
    case 'string':
    case 'enum':
    case 'uuid':
    case 'xml':
    case 'bits':
    case 'timetz':
    case 'interval':
      return { type: 'STRING' };
    case 'json':
    case 'struct':
      return { type: 'JSON' };
    case 'bytes':
      return { type: 'BYTES' };
    case 'date':
      return { type: 'DATE' };
    case 'time':
      return { type: 'TIME' };
    case 'timestamp':
      return { type: 'DATETIME' };
    case 'timestamptz':
      return { type: 'TIMESTAMP' };
    case 'array':
      // BigQuery has no array of arrays; a nested array is kept as JSON.
      return { type: 'JSON' };
  }
}

export function columnType(type: LogicalType): ColumnType {
  if (type.kind === 'array' && type.element.kind !== 'array') return { scalar: scalarType(type.element), repeated: true };
  return { scalar: scalarType(type), repeated: false };
}

/** The type as written in SQL (DDL, CAST), e.g. `NUMERIC(12, 2)` or `ARRAY<INT64>`. */
export function sqlType(type: LogicalType): string {
  const { scalar, repeated } = columnType(type);
  const parameters = scalar.precision === undefined ? '' : `(${scalar.precision}, ${scalar.scale ?? 0})`;
  const base = `${scalar.type}${parameters}`;
  return repeated ? `ARRAY<${base}>` : base;
}

/**
 * Staging columns of these types are STRING and converted by the MERGE: JSON text is parsed there
 * (PARSE_JSON), so a JSON `null` document and a NULL column stay apart; BYTES travel as base64
 * text and are decoded there (FROM_BASE64), which BigQuery and the emulator do alike (the emulator
 * loads base64 text into a BYTES column without decoding it).
 */
export const CONVERTED_IN_MERGE: ReadonlySet<ScalarType['type']> = new Set(['JSON', 'BYTES']);

/** The schema field of a target column, or with `staging` of its staging column. */
export function bigQueryField(name: string, type: LogicalType, options: { required?: boolean; staging?: boolean } = {}): BigQueryField {
  const { scalar, repeated } = columnType(type);
  const fieldType = options.staging === true && CONVERTED_IN_MERGE.has(scalar.type) ? 'STRING' : scalar.type;
  return {
    name,
    type: fieldType,
    mode: repeated ? 'REPEATED' : options.required === true ? 'REQUIRED' : 'NULLABLE',
    ...(scalar.precision === undefined || options.staging === true ? {} : { precision: String(scalar.precision), scale: String(scalar.scale ?? 0) }),
  };
}

/** A value BigQuery cannot hold in the column's type: the change is poison. */
export function unstorable(message: string): SinkError {
  return new SinkError('poison', message, { code: 'bigquery.unstorable_value' });
}

function floatJson(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  // JSON.stringify(-0) is "0": the sign of zero travels as text.
  if (Object.is(value, -0)) return '-0';
  return value;
}

/** 'HH:MM:SS[.fraction]' with at most 6 fraction digits (BigQuery keeps microseconds). */
function microsTime(text: string): string {
  const dot = text.indexOf('.');
  return dot < 0 ? text : text.slice(0, dot + 7);
}

/** 'YYYY-MM-DDTHH:MM:SS[.fraction][zone]' → the same with the fraction cut to microseconds. */
function microsTimestamp(text: string): string {
  return text.replace(/(\.\d{6})\d+/, '$1');
}

type StagingJson = null | boolean | number | string | StagingJson[];

/** One scalar value as it appears in the load file. */
function scalarJson(type: LogicalType, value: Exclude<Value, null | typeof UNCHANGED>): StagingJson {
  switch (type.kind) {
    case 'boolean':
      return value === true;
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return String(value);
    case 'float32':
    case 'float64':
      return floatJson(Number(value));
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('base64');
    case 'time':
      return microsTime(String(value));
    case 'timestamp':
    case 'timestamptz':
      return microsTimestamp(String(value));
    case 'array':
      return JSON.stringify(arrayAsJson(type.element, value as readonly Value[]));
    default:
      return String(value);
  }
}

/** A nested array (array of arrays) as a JSON document, for its JSON column. */
function arrayAsJson(element: LogicalType, values: readonly Value[]): unknown[] {
  return values.map((item) => {
    if (item === null || item === UNCHANGED) return null;
    if (element.kind === 'array') return arrayAsJson(element.element, item as readonly Value[]);
    if (element.kind === 'json' || element.kind === 'struct') return JSON.parse(String(item)) as unknown;
    const json = scalarJson(element, item);
    return typeof json === 'number' && ['int64', 'decimal', 'variable-decimal'].includes(element.kind) ? String(item) : json;
  });
}

/**
 * The load-file value of one column. Throws a poison SinkError for a value BigQuery cannot hold
 * (an array with a NULL element). `column` names the column in that message.
 */
export function stagingJson(type: LogicalType, value: Value, column: string): StagingJson {
  if (value === null || value === UNCHANGED) return null;
  const { repeated } = columnType(type);
  if (!repeated || type.kind !== 'array') return scalarJson(type, value);
  const items = value as readonly Value[];
  return items.map((item) => {
    if (item === null || item === UNCHANGED) {
      throw unstorable(`column ${JSON.stringify(column)}: BigQuery arrays (REPEATED) cannot hold NULL elements`);
    }
    return scalarJson(type.element, item);
  });
}
