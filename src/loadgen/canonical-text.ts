/**
 * One canonical text per value, computed the same way from an expected Value (TS side) and from
 * PostgreSQL's text output of the target column (`::text` with DateStyle ISO, TimeZone UTC,
 * bytea_output hex), so that equal data compares equal whatever representation choices the
 * writer made (numeric scale, timestamptz vs text column, jsonb key order):
 *   decimal → no trailing fraction zeros ("12.50" → "12.5", "-0.00" → "0")
 *   timestamp → 'YYYY-MM-DDTHH:MM:SS[.f]' with trailing fraction zeros removed
 *   timestamptz → the same instant in UTC, 'YYYY-MM-DDTHH:MM:SS[.f]Z'
 *   json → keys sorted, no whitespace; bytes → lower-case hex; boolean → 'true' | 'false'
 * `null` stands for SQL NULL.
 */
import type { LogicalType, Value } from '../cdc/types.ts';
import { UNCHANGED } from '../cdc/types.ts';

export function canonicalValueText(type: LogicalType, value: Value): string | null {
  if (value === null) return null;
  if (value === UNCHANGED) throw new Error('an expected value is never UNCHANGED (TOAST columns are resolved)');
  switch (type.kind) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return String(value as number | bigint);
    case 'float32':
    case 'float64':
      return canonicalFloat(value as number);
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('hex');
    case 'array':
      return JSON.stringify((value as readonly Value[]).map((element) => canonicalValueText(type.element, element)));
    default:
      return canonicalTextOf(type, String(value));
  }
}

/** Canonical text of the target's `::text` output for a column expected to hold `type`. */
export function canonicalPostgresText(type: LogicalType, text: string | null): string | null {
  if (text === null) return null;
  switch (type.kind) {
    case 'boolean':
      return text === 't' || text === 'true' ? 'true' : text === 'f' || text === 'false' ? 'false' : text;
    case 'float32':
    case 'float64':
      return canonicalFloat(Number(text));
    case 'bytes':
      return text.startsWith('\\x') ? text.slice(2) : text;
    default:
      return canonicalTextOf(type, text);
  }
}

function canonicalTextOf(type: LogicalType, text: string): string {
  switch (type.kind) {
    case 'decimal':
    case 'variable-decimal':
      return canonicalDecimal(text);
    case 'timestamp':
      return canonicalLocalTimestamp(text);
    case 'timestamptz':
      return canonicalZonedTimestamp(text);
    case 'json':
      return canonicalJson(text);
    case 'uuid':
      return text.toLowerCase();
    default:
      return text;
  }
}

function canonicalFloat(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  return String(value);
}

export function canonicalDecimal(text: string): string {
  let negative = text.startsWith('-');
  let digits = negative || text.startsWith('+') ? text.slice(1) : text;
  if (digits.includes('.')) digits = digits.replace(/0+$/, '').replace(/\.$/, '');
  digits = digits.replace(/^0+(?=\d)/, '');
  if (/^0(\.0*)?$/.test(digits) || digits === '') {
    digits = '0';
    negative = false;
  }
  return negative ? `-${digits}` : digits;
}

const timestampPattern = /^(\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

function canonicalLocalTimestamp(text: string): string {
  const match = timestampPattern.exec(text);
  if (!match) return text;
  const fraction = (match[7] ?? '').replace(/0+$/, '');
  return `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}${fraction ? `.${fraction}` : ''}`;
}

function canonicalZonedTimestamp(text: string): string {
  const match = timestampPattern.exec(text);
  if (!match) return text;
  const zone = match[8] ?? 'Z';
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
  }
  const utcMs =
    Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])) -
    offsetMinutes * 60_000;
  const fraction = (match[7] ?? '').replace(/0+$/, '');
  return `${new Date(utcMs).toISOString().slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

function canonicalJson(text: string): string {
  try {
    return JSON.stringify(sortKeys(JSON.parse(text)));
  } catch {
    return text;
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}
