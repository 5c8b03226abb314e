/**
 * Compiles one Kafka Connect field schema into its LogicalType and a converter from the JSON value
 * to the contract's value representation (src/cdc/types.ts). Compiled once per schema version and
 * cached, so per-event work is a direct call per column.
 *
 * A converter receives a non-null JSON value, either straight from JSON.parse or from the lossless
 * parser (numbers that need their text arrive as JsonNumberText). It returns the Value, throws
 * ValueMismatch when the value does not fit the schema, and throws NEEDS_LOSSLESS_PARSE when it got
 * a JSON.parse number whose exactness is in doubt.
 */
import { formatBits } from './bits.ts';
import type { ConnectSchema } from './connect-schema.ts';
import { describeJsonValue, NEEDS_LOSSLESS_PARSE, ValueMismatch } from './conversion-errors.ts';
import { formatScaled, rescaleDecimalLiteral, smallTwosComplementFromBase64, twosComplementToInteger } from './decimal.ts';
import type { ExactIntegers } from './exact-integers.ts';
import { hasUnsafeInteger, isIntegerLiteral, JsonNumberText, stringifyLosslessJson } from './lossless-json.ts';
import { formatEpochDay, formatEpochTimestamp, formatMicroDuration, formatTimeOfDay } from './temporal.ts';
import { isToastArray, isToastMap, type ToastPlaceholders } from './toast.ts';
import { type LogicalType, UNCHANGED, type Value } from './types.ts';

/**
 * `exact` recovers the digits of integers JSON.parse rounded (null when the value came from the
 * lossless parser, whose numbers are exact already).
 */
export type Converter = (raw: unknown, exact: ExactIntegers | null) => Value;

export interface CompiledType {
  readonly type: LogicalType;
  readonly sourceType: string | undefined;
  readonly convert: Converter;
}

export const SOURCE_TYPE_PARAMETER = '__debezium.source.column.type';
const SOURCE_LENGTH_PARAMETER = '__debezium.source.column.length';
const DECIMAL_PRECISION_PARAMETER = 'connect.decimal.precision';

/**
 * PostgreSQL's ±infinity timestamps as Debezium encodes them, per unit: the JDBC driver's markers
 * (PGStatement.DATE_POSITIVE/NEGATIVE_INFINITY) read as microseconds, written in the column's unit
 * (Timestamp: milliseconds, MicroTimestamp: microseconds; NanoTimestamp: Long.MAX/MIN_VALUE).
 * Seen in real Debezium 3.6.1 events (test/unit/cdc/real-debezium-3.6.test.ts).
 */
const TIMESTAMP_INFINITY: Readonly<Record<3 | 6 | 9, readonly [bigint, bigint]>> = {
  3: [9_223_372_036_825_200n, -9_223_372_036_832_400n],
  6: [9_223_372_036_825_200_000n, -9_223_372_036_832_400_000n],
  9: [2n ** 63n - 1n, -(2n ** 63n)],
};
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function mismatch(expected: string, raw: unknown): never {
  throw new ValueMismatch(`expected ${expected}, got ${describeJsonValue(raw)}`);
}

/**
 * An int64 as a safe number or a bigint. A JSON.parse number beyond 2^53 takes its digits from the
 * text when they are certain, else asks for a lossless parse.
 */
export function readInt64(raw: unknown, expected: string, exact: ExactIntegers | null): number | bigint {
  let literal: string | undefined;
  if (typeof raw === 'number') {
    if (Number.isSafeInteger(raw)) return raw;
    if (!Number.isInteger(raw)) return mismatch(expected, raw);
    literal = exact?.literalOf(raw);
    if (literal === undefined) throw NEEDS_LOSSLESS_PARSE;
  } else if (raw instanceof JsonNumberText && isIntegerLiteral(raw)) {
    literal = raw.text;
  } else {
    return mismatch(expected, raw);
  }
  const value = BigInt(literal);
  if (value < INT64_MIN || value > INT64_MAX) mismatch(expected, raw instanceof JsonNumberText ? raw : new JsonNumberText(literal));
  return value;
}

function decodeBase64(raw: unknown, expected: string): Uint8Array {
  if (typeof raw !== 'string' || (raw.length % 4 !== 0 && raw.length > 0) || !BASE64.test(raw)) {
    return mismatch(expected, raw);
  }
  const buffer = Buffer.from(raw, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function integer(kind: 'int8' | 'int16' | 'int32', min: number, max: number): Converter {
  return (raw) => {
    if (typeof raw === 'number' && Number.isInteger(raw) && raw >= min && raw <= max) return raw;
    return mismatch(kind, raw);
  };
}

const convertInt64: Converter = (raw, exact) => {
  const value = readInt64(raw, 'int64', exact);
  return typeof value === 'bigint' ? value : BigInt(value);
};

function convertFloat(raw: unknown): Value {
  if (typeof raw === 'number') return raw;
  if (raw instanceof JsonNumberText) return Number(raw.text);
  // Jackson quotes non-finite doubles (QUOTE_NON_NUMERIC_NUMBERS).
  if (raw === 'NaN') return Number.NaN;
  if (raw === 'Infinity') return Number.POSITIVE_INFINITY;
  if (raw === '-Infinity') return Number.NEGATIVE_INFINITY;
  return mismatch('a float', raw);
}

const convertBoolean: Converter = (raw) => (typeof raw === 'boolean' ? raw : mismatch('boolean', raw));

/** `otherForm`: a second placeholder text of the column type (hstore's JSON form for Json columns). */
function textConverter(placeholders: ToastPlaceholders | null, expected: string, otherForm?: string): Converter {
  const placeholder = placeholders?.text;
  return (raw) => {
    if (typeof raw !== 'string') return mismatch(expected, raw);
    return raw === placeholder || raw === otherForm ? UNCHANGED : raw;
  };
}

function bytesConverter(placeholders: ToastPlaceholders | null): Converter {
  const placeholder = placeholders?.base64;
  return (raw) => (raw === placeholder ? UNCHANGED : decodeBase64(raw, 'base64 bytes'));
}

function decimalConverter(scale: number, placeholders: ToastPlaceholders | null): Converter {
  const placeholder = placeholders?.base64;
  return (raw) => {
    if (typeof raw === 'string') {
      if (raw === placeholder) return UNCHANGED;
      const small = smallTwosComplementFromBase64(raw);
      if (small !== undefined) return formatScaled(small, scale);
      return formatScaled(twosComplementToInteger(decodeBase64(raw, 'decimal bytes')), scale);
    }
    // decimal.format=NUMERIC: the number literal itself; JSON.parse may have changed its text.
    if (typeof raw === 'number') {
      if (Number.isSafeInteger(raw)) return rescaleDecimalLiteral(String(raw), scale) ?? mismatch('decimal', raw);
      throw NEEDS_LOSSLESS_PARSE;
    }
    if (raw instanceof JsonNumberText) {
      return rescaleDecimalLiteral(raw.text, scale) ?? mismatch(`decimal with scale ${scale}`, raw);
    }
    return mismatch('decimal', raw);
  };
}

function variableDecimalConverter(placeholders: ToastPlaceholders | null): Converter {
  const placeholder = placeholders?.base64;
  return (raw) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return mismatch('{scale, value}', raw);
    const { scale, value } = raw as { scale?: unknown; value?: unknown };
    if (value === placeholder) return UNCHANGED;
    if (typeof scale !== 'number' || !Number.isInteger(scale)) return mismatch('integer scale', scale);
    return formatScaled(twosComplementToInteger(decodeBase64(value, 'decimal bytes')), scale);
  };
}

/**
 * PostgreSQL's date ±infinity as Debezium 3.6.1 sends them: the JDBC infinity marker overflowed
 * into an int32 day count, differently in the snapshot (and in date[]) and in streaming reads.
 * Every one lies before 4713 BC, the earliest date PostgreSQL has, so none is a real date.
 */
const DATE_INFINITY = new Map<number, string>([
  [-622_191_234, 'infinity'],
  [-625_821_272, '-infinity'],
  [-2_147_472_692, 'infinity'],
  [-2_147_472_691, '-infinity'],
]);

function dateConverter(): Converter {
  return (raw) => {
    if (typeof raw === 'number' && Number.isInteger(raw) && raw >= -2_147_483_648 && raw <= 2_147_483_647) {
      return DATE_INFINITY.get(raw) ?? formatEpochDay(raw);
    }
    return mismatch('days since epoch', raw);
  };
}

function timeConverter(digits: 3 | 6 | 9): Converter {
  const unitsPerDay = digits === 3 ? 86_400_000 : digits === 6 ? 86_400_000_000 : 86_400_000_000_000;
  return (raw, exact) => {
    const value = readInt64(raw, 'time since midnight', exact);
    if (typeof value === 'bigint' || value < 0 || value > unitsPerDay) return mismatch('time since midnight', raw);
    return formatTimeOfDay(value, digits);
  };
}

function timestampConverter(digits: 3 | 6 | 9): Converter {
  const [positiveInfinity, negativeInfinity] = TIMESTAMP_INFINITY[digits];
  return (raw, exact) => {
    const value = readInt64(raw, 'timestamp since epoch', exact);
    if (typeof value === 'bigint') {
      if (value === positiveInfinity) return 'infinity';
      if (value === negativeInfinity) return '-infinity';
    }
    return formatEpochTimestamp(value, digits);
  };
}

const convertMicroDuration: Converter = (raw, exact) => {
  const value = readInt64(raw, 'microseconds', exact);
  return formatMicroDuration(typeof value === 'bigint' ? value : BigInt(value));
};

function bitsConverter(length: number, varying: boolean, placeholders: ToastPlaceholders | null): Converter {
  const placeholder = placeholders?.base64;
  return (raw) => {
    if (raw === placeholder) return UNCHANGED;
    return formatBits(decodeBase64(raw, 'bits bytes'), length, varying);
  };
}

/**
 * Structs and maps the contract carries as JSON text (geometry, unknown structs, hstore as map).
 * A map can be hstore's TOAST placeholder form.
 */
function jsonTextConverter(expected: 'struct' | 'map', placeholders: ToastPlaceholders | null): Converter {
  return (raw) => {
    if (typeof raw !== 'object' || raw === null || raw instanceof JsonNumberText) return mismatch(expected, raw);
    if (expected === 'struct' && Array.isArray(raw)) return mismatch(expected, raw);
    if (expected === 'map' && placeholders !== null && !Array.isArray(raw) && isToastMap(raw as Record<string, unknown>, placeholders)) {
      return UNCHANGED;
    }
    if (hasUnsafeInteger(raw)) throw NEEDS_LOSSLESS_PARSE;
    return stringifyLosslessJson(raw);
  };
}

/**
 * Elements are converted without placeholder detection: only the whole array can be unchanged
 * (a real array may hold the placeholder text among other values).
 */
function arrayConverter(element: CompiledType, placeholders: ToastPlaceholders | null): Converter {
  const convertElement = element.convert;
  // date[] shares int[]'s placeholder form (Debezium 3.6 UnchangedToastedReplicationMessageColumn).
  const numericKinds: readonly string[] = ['int16', 'int32', 'int64', 'date'];
  const numericElements = numericKinds.includes(element.type.kind);
  return (raw, exact) => {
    if (!Array.isArray(raw)) return mismatch('array', raw);
    if (placeholders !== null && raw.length > 0 && (numericElements || raw.length === 1) && isToastArray(raw, placeholders)) {
      return UNCHANGED;
    }
    const out: Value[] = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const item: unknown = raw[i];
      out[i] = item === null ? null : convertElement(item, exact);
    }
    return out;
  };
}

function parseIntegerParameter(schema: ConnectSchema, key: string): number | undefined {
  const text = schema.parameters[key];
  if (text === undefined || !/^-?[0-9]+$/.test(text)) return undefined;
  return Number(text);
}

function compiled(type: LogicalType, sourceType: string | undefined, convert: Converter): CompiledType {
  return { type, sourceType, convert };
}

/**
 * The column's LogicalType and converter, chosen by the logical name first, then the Connect type.
 * `placeholders` null: no TOAST detection (array elements).
 */
export function compileType(schema: ConnectSchema, placeholders: ToastPlaceholders | null): CompiledType {
  const sourceType = schema.parameters[SOURCE_TYPE_PARAMETER];
  const text = (type: LogicalType, expected: string, otherForm?: string) =>
    compiled(type, sourceType, textConverter(placeholders, expected, otherForm));

  switch (schema.name) {
    case 'org.apache.kafka.connect.data.Decimal': {
      const scale = parseIntegerParameter(schema, 'scale');
      if (scale === undefined) break;
      const precision =
        parseIntegerParameter(schema, DECIMAL_PRECISION_PARAMETER) ??
        (sourceType !== undefined ? parseIntegerParameter(schema, SOURCE_LENGTH_PARAMETER) : undefined);
      const type: LogicalType = precision === undefined ? { kind: 'decimal', scale } : { kind: 'decimal', scale, precision };
      return compiled(type, sourceType, decimalConverter(scale, placeholders));
    }
    case 'io.debezium.data.VariableScaleDecimal':
      return compiled({ kind: 'variable-decimal' }, sourceType, variableDecimalConverter(placeholders));
    case 'io.debezium.time.Date':
    case 'org.apache.kafka.connect.data.Date':
      return compiled({ kind: 'date' }, sourceType, dateConverter());
    case 'io.debezium.time.Time':
    case 'org.apache.kafka.connect.data.Time':
      return compiled({ kind: 'time', precision: 3 }, sourceType, timeConverter(3));
    case 'io.debezium.time.MicroTime':
      return compiled({ kind: 'time', precision: 6 }, sourceType, timeConverter(6));
    case 'io.debezium.time.NanoTime':
      return compiled({ kind: 'time', precision: 9 }, sourceType, timeConverter(9));
    case 'io.debezium.time.Timestamp':
    case 'org.apache.kafka.connect.data.Timestamp':
      return compiled({ kind: 'timestamp', precision: 3 }, sourceType, timestampConverter(3));
    case 'io.debezium.time.MicroTimestamp':
      return compiled({ kind: 'timestamp', precision: 6 }, sourceType, timestampConverter(6));
    case 'io.debezium.time.NanoTimestamp':
      return compiled({ kind: 'timestamp', precision: 9 }, sourceType, timestampConverter(9));
    case 'io.debezium.time.ZonedTimestamp':
      return text({ kind: 'timestamptz' }, 'ISO-8601 timestamp text');
    case 'io.debezium.time.ZonedTime':
      return text({ kind: 'timetz' }, 'ISO-8601 time text');
    case 'io.debezium.time.MicroDuration':
      return compiled({ kind: 'interval' }, sourceType, convertMicroDuration);
    case 'io.debezium.time.Interval':
      return text({ kind: 'interval' }, 'ISO-8601 duration text');
    case 'io.debezium.data.Json':
      // hstore arrives as Json by default (hstore.handling.mode=json), with its own placeholder form.
      return text({ kind: 'json' }, 'JSON text', placeholders?.hstoreJson);
    case 'io.debezium.data.Uuid':
      return text({ kind: 'uuid' }, 'UUID text');
    case 'io.debezium.data.Xml':
      return text({ kind: 'xml' }, 'XML text');
    case 'io.debezium.data.Enum': {
      const allowed = schema.parameters['allowed'];
      return text(allowed === undefined ? { kind: 'enum' } : { kind: 'enum', allowed: allowed.split(',') }, 'enum text');
    }
    case 'io.debezium.data.Bits': {
      const length = parseIntegerParameter(schema, 'length') ?? 0;
      const varying = sourceType !== undefined && /VARBIT|VARYING/i.test(sourceType);
      return compiled({ kind: 'bits', length }, sourceType, bitsConverter(length, varying, placeholders));
    }
    default:
      break;
  }

  switch (schema.type) {
    case 'int8':
      return compiled({ kind: 'int8' }, sourceType, integer('int8', -128, 127));
    case 'int16':
      return compiled({ kind: 'int16' }, sourceType, integer('int16', -32_768, 32_767));
    case 'int32':
      return compiled({ kind: 'int32' }, sourceType, integer('int32', -2_147_483_648, 2_147_483_647));
    case 'int64':
      return compiled({ kind: 'int64' }, sourceType, convertInt64);
    case 'float32':
      return compiled({ kind: 'float32' }, sourceType, convertFloat);
    case 'float64':
      return compiled({ kind: 'float64' }, sourceType, convertFloat);
    case 'boolean':
      return compiled({ kind: 'boolean' }, sourceType, convertBoolean);
    case 'string': {
      const maxLength =
        sourceType !== undefined && /CHAR/i.test(sourceType)
          ? parseIntegerParameter(schema, SOURCE_LENGTH_PARAMETER)
          : undefined;
      return text(maxLength === undefined ? { kind: 'string' } : { kind: 'string', maxLength }, 'string');
    }
    case 'bytes':
      return compiled({ kind: 'bytes' }, sourceType, bytesConverter(placeholders));
    case 'array': {
      const element = compileType(schema.items as ConnectSchema, null);
      return compiled({ kind: 'array', element: element.type }, sourceType, arrayConverter(element, placeholders));
    }
    case 'map':
      return compiled({ kind: 'struct' }, sourceType, jsonTextConverter('map', placeholders));
    case 'struct':
      return compiled({ kind: 'struct' }, sourceType, jsonTextConverter('struct', placeholders));
  }
}
