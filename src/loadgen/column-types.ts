/**
 * The PostgreSQL column types the load generator uses, each with what Debezium's PostgreSQL
 * connector (3.6.1.Final, defaults: decimal.handling.mode=precise, time.precision.mode=adaptive,
 * binary.handling.mode=bytes) puts in the event for it: the Connect schema (with Debezium's
 * logical names), the JSON text of a value, the fallback written for a NOT NULL column that
 * the tuple does not carry (JdbcValueConverters#convertValue), and the TOAST placeholder.
 *
 * Values are held in src/cdc/types.ts's Value representation (the expected state's form):
 * int64 → bigint, decimal → text with exactly `scale` fraction digits, date → 'YYYY-MM-DD',
 * timestamp → 'YYYY-MM-DDTHH:MM:SS.ffffff', timestamptz → the ZonedTimestamp text Debezium
 * sends ('YYYY-MM-DDTHH:MM:SS.ffffffZ'), json → the jsonb text PostgreSQL prints, bytes →
 * Uint8Array.
 */
import type { LogicalType, Value } from '../cdc/types.ts';
import type { ConnectSchema, ConnectType } from './connect-schema.ts';
import { base64, decimalBase64, javaDouble, jsonString } from './json-text.ts';

export const TOAST_PLACEHOLDER = '__debezium_unavailable_value';

export interface ColumnType {
  /** The column's type in PostgreSQL DDL. */
  readonly sql: string;
  readonly logical: LogicalType;
  connectSchema(optional: boolean): ConnectSchema;
  /** JSON text of a non-null value in the event payload. */
  encode(value: Value): string;
  /** JSON text Debezium writes for this column when NOT NULL and absent from the tuple. */
  readonly fallbackJson: string;
  /** JSON text Debezium writes for an unchanged TOASTed value; undefined if never TOASTed. */
  readonly toastPlaceholderJson?: string;
}

const textPlaceholder = jsonString(TOAST_PLACEHOLDER);
const bytesPlaceholder = jsonString(Buffer.from(TOAST_PLACEHOLDER, 'utf8').toString('base64'));

function plain(type: ConnectType, extra: Omit<ConnectSchema, 'type' | 'optional'> = {}): (optional: boolean) => ConnectSchema {
  return (optional) => ({ type, optional, ...extra });
}

export const int16: ColumnType = {
  sql: 'smallint',
  logical: { kind: 'int16' },
  connectSchema: plain('int16'),
  encode: (value) => String(value as number),
  fallbackJson: '0',
};

export const int32: ColumnType = {
  sql: 'integer',
  logical: { kind: 'int32' },
  connectSchema: plain('int32'),
  encode: (value) => String(value as number),
  fallbackJson: '0',
};

export const int64: ColumnType = {
  sql: 'bigint',
  logical: { kind: 'int64' },
  connectSchema: plain('int64'),
  encode: (value) => (value as bigint).toString(),
  fallbackJson: '0',
};

export const boolean: ColumnType = {
  sql: 'boolean',
  logical: { kind: 'boolean' },
  connectSchema: plain('boolean'),
  encode: (value) => (value ? 'true' : 'false'),
  fallbackJson: 'false',
};

export const float64: ColumnType = {
  sql: 'double precision',
  logical: { kind: 'float64' },
  connectSchema: plain('double'),
  encode: (value) => javaDouble(value as number),
  fallbackJson: '0.0',
};

export function numeric(precision: number, scale: number): ColumnType {
  return {
    sql: `numeric(${precision},${scale})`,
    logical: { kind: 'decimal', scale, precision },
    connectSchema: plain('bytes', {
      name: 'org.apache.kafka.connect.data.Decimal',
      version: 1,
      parameters: [
        ['scale', String(scale)],
        ['connect.decimal.precision', String(precision)],
      ],
    }),
    encode: (value) => `"${decimalBase64(value as string, scale)}"`,
    fallbackJson: '"AA=="',
  };
}

export const text: ColumnType = {
  sql: 'text',
  logical: { kind: 'string' },
  connectSchema: plain('string'),
  encode: (value) => jsonString(value as string),
  fallbackJson: '""',
  toastPlaceholderJson: textPlaceholder,
};

export function varchar(maxLength: number): ColumnType {
  return { ...text, sql: `character varying(${maxLength})`, logical: { kind: 'string', maxLength } };
}

export const uuid: ColumnType = {
  sql: 'uuid',
  logical: { kind: 'uuid' },
  connectSchema: plain('string', { name: 'io.debezium.data.Uuid', version: 1 }),
  encode: (value) => jsonString(value as string),
  fallbackJson: '""',
};

export const jsonb: ColumnType = {
  sql: 'jsonb',
  logical: { kind: 'json' },
  connectSchema: plain('string', { name: 'io.debezium.data.Json', version: 1 }),
  encode: (value) => jsonString(value as string),
  fallbackJson: '"{}"',
  toastPlaceholderJson: textPlaceholder,
};

export const bytea: ColumnType = {
  sql: 'bytea',
  logical: { kind: 'bytes' },
  connectSchema: plain('bytes'),
  encode: (value) => `"${base64(value as Uint8Array)}"`,
  fallbackJson: '""',
  toastPlaceholderJson: bytesPlaceholder,
};

/** io.debezium.time.Date: days since the epoch, int32. */
export const date: ColumnType = {
  sql: 'date',
  logical: { kind: 'date' },
  connectSchema: plain('int32', { name: 'io.debezium.time.Date', version: 1 }),
  encode: (value) => String(epochDay(value as string)),
  fallbackJson: '0',
};

/** io.debezium.time.MicroTimestamp: microseconds since the epoch (no zone), int64. */
export const timestamp: ColumnType = {
  sql: 'timestamp without time zone',
  logical: { kind: 'timestamp', precision: 6 },
  connectSchema: plain('int64', { name: 'io.debezium.time.MicroTimestamp', version: 1 }),
  encode: (value) => String(epochMicros(value as string)),
  fallbackJson: '0',
};

/** io.debezium.time.ZonedTimestamp: ISO text in UTC with 6 fraction digits (timestamptz's precision). */
export const timestamptz: ColumnType = {
  sql: 'timestamp with time zone',
  logical: { kind: 'timestamptz' },
  connectSchema: plain('string', { name: 'io.debezium.time.ZonedTimestamp', version: 1 }),
  encode: (value) => jsonString(value as string),
  fallbackJson: '"1970-01-01T00:00:00Z"',
};

const MS_PER_DAY = 86_400_000;

export function epochDay(isoDate: string): number {
  return Date.UTC(Number(isoDate.slice(0, 4)), Number(isoDate.slice(5, 7)) - 1, Number(isoDate.slice(8, 10))) / MS_PER_DAY;
}

/** 'YYYY-MM-DDTHH:MM:SS.ffffff' → microseconds since the epoch (exact for the years we generate). */
export function epochMicros(isoTimestamp: string): number {
  const ms = Date.UTC(
    Number(isoTimestamp.slice(0, 4)),
    Number(isoTimestamp.slice(5, 7)) - 1,
    Number(isoTimestamp.slice(8, 10)),
    Number(isoTimestamp.slice(11, 13)),
    Number(isoTimestamp.slice(14, 16)),
    Number(isoTimestamp.slice(17, 19)),
  );
  const fraction = isoTimestamp.length > 20 ? Number(isoTimestamp.slice(20).padEnd(6, '0')) : 0;
  return ms * 1000 + fraction;
}

/** Microseconds since the epoch → 'YYYY-MM-DDTHH:MM:SS.ffffff' (no zone). */
export function microsToIso(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const fraction = String(micros - ms * 1000).padStart(3, '0');
  return `${new Date(ms).toISOString().slice(0, 23)}${fraction}`;
}

/** Microseconds since the epoch → Debezium's ZonedTimestamp text for a timestamptz column. */
export function microsToZoned(micros: number): string {
  return `${microsToIso(micros)}Z`;
}

export function daysToIsoDate(days: number): string {
  return new Date(days * MS_PER_DAY).toISOString().slice(0, 10);
}
