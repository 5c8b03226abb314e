/**
 * Debezium logical types (src/cdc/types.ts) → Snowflake column types, and the text each value
 * travels as inside the staging document (statements.ts binds one JSON array of rows per chunk
 * and Snowflake casts each text cell to the column type). Every value travels as text so that
 * nothing passes through a JSON or JS float on its way in: int64 and decimals stay exact.
 *
 * | logical type               | Snowflake column      | staging text → column                    |
 * |----------------------------|-----------------------|------------------------------------------|
 * | boolean                    | BOOLEAN               | 'true'/'false' → CAST AS BOOLEAN         |
 * | int8 / int16 / int32       | NUMBER(3/5/10,0)      | digits → CAST AS NUMBER                  |
 * | int64                      | NUMBER(19,0)          | digits of the bigint → CAST AS NUMBER    |
 * | float32 / float64          | FLOAT                 | shortest round-trip text, 'NaN', 'inf'   |
 * | decimal(p ≤ 38, s)         | NUMBER(p,s)           | decimal text → CAST AS NUMBER(p,s)       |
 * | decimal, unknown precision | NUMBER(38,s)          | decimal text                             |
 * | decimal(p > 38, s)         | VARCHAR               | decimal text, kept exact                 |
 * | variable-decimal           | VARCHAR               | decimal text (no fixed scale exists)     |
 * | string / enum / uuid / xml | VARCHAR               | text                                     |
 * | bits                       | VARCHAR               | '0'/'1' text, most significant first     |
 * | json / struct              | VARIANT               | JSON text → PARSE_JSON                   |
 * | bytes                      | BINARY                | hex → TO_BINARY(…, 'HEX')                |
 * | date                       | DATE                  | 'YYYY-MM-DD' → CAST AS DATE              |
 * | time(p)                    | TIME(p)               | 'HH:MM:SS.f' → CAST AS TIME(p)           |
 * | timetz                     | TIME(9), UTC          | 'HH:MM:SS.f' in UTC (Debezium sends Z)   |
 * | timestamp(p)               | TIMESTAMP_NTZ(p)      | ISO text → CAST AS TIMESTAMP_NTZ(p)      |
 * | timestamptz                | TIMESTAMP_TZ(9)       | ISO text with offset → TIMESTAMP_TZ(9)   |
 * | interval                   | VARCHAR               | ISO-8601 duration (Snowflake has no      |
 * |                            |                       | interval column type)                    |
 * | array of T                 | ARRAY                 | JSON array → PARSE_JSON → ARRAY          |
 *
 * Inside ARRAY values, elements are JSON: numbers for int8..int64 (int64 written as its exact
 * digits), strings for decimals (exact), hex strings for bytes, 'NaN'/'Infinity'/'-Infinity' as
 * strings for non-finite floats, strings for everything textual.
 */
import { type LogicalType, UNCHANGED, type Value } from '../../src/cdc/types.ts';
import { StagingValueError } from './errors.ts';

export const MAX_NUMBER_PRECISION = 38;

export function snowflakeType(type: LogicalType): string {
  switch (type.kind) {
    case 'boolean':
      return 'BOOLEAN';
    case 'int8':
      return 'NUMBER(3,0)';
    case 'int16':
      return 'NUMBER(5,0)';
    case 'int32':
      return 'NUMBER(10,0)';
    case 'int64':
      return 'NUMBER(19,0)';
    case 'float32':
    case 'float64':
      return 'FLOAT';
    case 'decimal': {
      const precision = type.precision ?? MAX_NUMBER_PRECISION;
      if (precision > MAX_NUMBER_PRECISION || type.scale > MAX_NUMBER_PRECISION || type.scale < 0) return 'VARCHAR';
      return `NUMBER(${Math.max(precision, type.scale, 1)},${type.scale})`;
    }
    case 'variable-decimal':
    case 'string':
    case 'enum':
    case 'uuid':
    case 'xml':
    case 'bits':
    case 'interval':
      return 'VARCHAR';
    case 'json':
    case 'struct':
      return 'VARIANT';
    case 'bytes':
      return 'BINARY';
    case 'date':
      return 'DATE';
    case 'time':
      return `TIME(${type.precision})`;
    case 'timetz':
      return 'TIME(9)';
    case 'timestamp':
      return `TIMESTAMP_NTZ(${type.precision})`;
    case 'timestamptz':
      return 'TIMESTAMP_TZ(9)';
    case 'array':
      return 'ARRAY';
  }
}

/**
 * The SQL that turns one staging cell (`cell` is a VARIANT expression holding the text or null)
 * into a value of the column's type.
 */
export function stagingCast(type: LogicalType, cell: string): string {
  return castText(type, `${cell}::VARCHAR`);
}

/** The SQL that turns a text expression (staging text, see stagingText) into the column's type. */
export function castText(type: LogicalType, text: string): string {
  const columnType = snowflakeType(type);
  switch (columnType) {
    case 'VARCHAR':
      return text;
    case 'VARIANT':
      return `PARSE_JSON(${text})`;
    case 'ARRAY':
      return `CAST(PARSE_JSON(${text}) AS ARRAY)`;
    case 'BINARY':
      return `TO_BINARY(${text}, 'HEX')`;
    default:
      return `CAST(${text} AS ${columnType})`;
  }
}

function floatText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  return Object.is(value, -0) ? '-0' : String(value);
}

function hex(value: Value): string {
  if (!(value instanceof Uint8Array)) throw new StagingValueError(`expected bytes, got ${typeof value}`);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
}

/** 'HH:MM:SS[.f](Z|±HH[:MM])' → the same instant's time of day in UTC, without the zone. */
export function utcTimeOfDay(text: string): string {
  const match = /^(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text);
  if (match === null) throw new StagingValueError(`not a time with zone: ${JSON.stringify(text)}`);
  const zone = match[5] ?? 'Z';
  if (zone === 'Z' || zone === 'z') return `${match[1]}:${match[2]}:${match[3]}${match[4] ?? ''}`;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
  const minutes = (((Number(match[1]) * 60 + Number(match[2]) - offset) % 1440) + 1440) % 1440;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}:${match[3]}${match[4] ?? ''}`;
}

/** JSON text of one array element (see the table above). */
function elementJson(type: LogicalType, value: Value): string {
  if (value === null || value === UNCHANGED) return 'null';
  switch (type.kind) {
    case 'boolean':
      return value === true ? 'true' : 'false';
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return BigInt(value as number | bigint).toString();
    case 'float32':
    case 'float64': {
      const number = Number(value);
      if (Number.isFinite(number)) return Object.is(number, -0) ? '-0' : String(number);
      return JSON.stringify(Number.isNaN(number) ? 'NaN' : number > 0 ? 'Infinity' : '-Infinity');
    }
    case 'json':
    case 'struct':
      return String(value);
    case 'bytes':
      return JSON.stringify(hex(value));
    case 'timetz':
      return JSON.stringify(utcTimeOfDay(String(value)));
    case 'array':
      return arrayJson(type.element, value);
    default:
      return JSON.stringify(String(value));
  }
}

function arrayJson(element: LogicalType, value: Value): string {
  if (!Array.isArray(value)) throw new StagingValueError('expected an array');
  return `[${(value as readonly Value[]).map((item) => elementJson(element, item)).join(',')}]`;
}

/** The staging text of a value, or null for SQL NULL. UNCHANGED is the caller's business. */
export function stagingText(type: LogicalType, value: Value): string | null {
  if (value === null || value === UNCHANGED) return null;
  switch (type.kind) {
    case 'boolean':
      return value === true ? 'true' : 'false';
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return BigInt(value as number | bigint).toString();
    case 'float32':
    case 'float64':
      return floatText(Number(value));
    case 'bytes':
      return hex(value);
    case 'timetz':
      return utcTimeOfDay(String(value));
    case 'array':
      return arrayJson(type.element, value);
    default:
      if (typeof value !== 'string') throw new StagingValueError(`expected text for ${type.kind}, got ${typeof value}`);
      return value;
  }
}
