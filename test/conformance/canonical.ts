/**
 * Canonical text of a value for comparison: two values are "the same" for the conformance suite
 * when their canonical texts are equal. It absorbs legitimate textual differences between what
 * we sent and what a destination returns (decimal trailing zeros, 'T' vs ' ', '+00' vs 'Z',
 * JSON whitespace and key order, UUID case, time-fraction padding) and nothing else.
 */
import { type LogicalType, UNCHANGED, type Value } from '../../src/cdc/types.ts';

export function canonical(type: LogicalType, value: Value | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value === UNCHANGED) return '<UNCHANGED placeholder>';
  switch (type.kind) {
    case 'boolean':
      return String(value);
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return BigInt(value as number | bigint | string).toString();
    case 'float32':
      return floatText(Math.fround(Number(value)));
    case 'float64':
      return floatText(Number(value));
    case 'decimal':
    case 'variable-decimal':
      return decimalText(String(value));
    case 'string':
    case 'enum':
    case 'xml':
    case 'bits':
    case 'date':
      return String(value);
    case 'uuid':
      return String(value).toLowerCase();
    case 'json':
    case 'struct':
      return canonicalJson(String(value));
    case 'bytes':
      return `hex:${Buffer.from(value as Uint8Array).toString('hex')}`;
    case 'time':
      return timeText(String(value));
    case 'timetz':
      return timetzText(String(value));
    case 'timestamp':
      return timestampText(String(value));
    case 'timestamptz':
      return timestamptzText(String(value));
    case 'interval':
      return intervalText(String(value));
    case 'array':
      if (!Array.isArray(value)) return `<not an array: ${String(value)}>`;
      return JSON.stringify(value.map((item: Value) => canonical(type.element, item)));
  }
}

function floatText(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/** '-000123.4500' → '-123.45'; '-0.00' → '0'; 'NaN' stays. */
export function decimalText(text: string): string {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (match === null) return text.trim();
  const integer = (match[2] ?? '').replace(/^0+/, '') || '0';
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  const sign = match[1] === '-' && (integer !== '0' || fraction !== '') ? '-' : '';
  return `${sign}${integer}${fraction === '' ? '' : `.${fraction}`}`;
}

function sortedJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedJson);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([key, item]) => [key, sortedJson(item)]));
  }
  return value;
}

function canonicalJson(text: string): string {
  try {
    return `json:${JSON.stringify(sortedJson(JSON.parse(text)))}`;
  } catch {
    return `invalid-json:${text}`;
  }
}

/** Fraction to exactly 6 digits (micros): what every supported destination keeps. */
function micros(fraction: string | undefined): string {
  return (fraction ?? '').padEnd(6, '0').slice(0, 6);
}

function timeText(text: string): string {
  const match = /^(\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(text.trim());
  return match === null ? `<bad time ${text}>` : `${match[1]}.${micros(match[2])}`;
}

function offsetMinutes(zone: string): number {
  if (zone === 'Z' || zone === 'z') return 0;
  const match = /^([+-])(\d{2}):?(\d{2})?(?::?(\d{2}))?$/.exec(zone);
  if (match === null) return Number.NaN;
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
  return match[1] === '-' ? -minutes : minutes;
}

function timetzText(text: string): string {
  const match = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-][\d:]+)$/.exec(text.trim());
  if (match === null) return `<bad timetz ${text}>`;
  const minutesOfDay = (Number(match[1]) * 60 + Number(match[2]) - offsetMinutes(match[5] ?? 'Z') + 1440 * 2) % 1440;
  const hh = String(Math.floor(minutesOfDay / 60)).padStart(2, '0');
  const mm = String(minutesOfDay % 60).padStart(2, '0');
  return `${hh}:${mm}:${match[3]}.${micros(match[4])}Z`;
}

function timestampText(text: string): string {
  const match = /^(\d{4,}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(text.trim());
  return match === null ? `<bad timestamp ${text}>` : `${match[1]}T${match[2]}.${micros(match[3])}`;
}

function timestamptzText(text: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-][\d:]+)$/.exec(text.trim());
  if (match === null) return `<bad timestamptz ${text}>`;
  const date = new Date(0);
  date.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  date.setUTCHours(Number(match[4]), Number(match[5]) - offsetMinutes(match[8] ?? 'Z'), Number(match[6]), 0);
  return `${date.toISOString().slice(0, 19)}.${micros(match[7])}Z`;
}

/**
 * ISO-8601 duration → months, days and microseconds (the three fields every interval type
 * keeps apart: a month is not 30 days and a day is not 24 hours across DST).
 */
function intervalText(text: string): string {
  const match =
    /^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+)(?:\.(\d+))?S)?)?$/.exec(text.trim());
  if (match === null) return `<bad interval ${text}>`;
  const part = (index: number) => BigInt(match[index] ?? 0);
  const months = part(1) * 12n + part(2);
  const days = part(3) * 7n + part(4);
  const secondsText = match[7] ?? '0';
  const negativeSeconds = secondsText.startsWith('-');
  const fraction = BigInt(micros(match[8]));
  const seconds = BigInt(secondsText) * 1_000_000n + (negativeSeconds ? -fraction : fraction);
  const total = part(5) * 3_600_000_000n + part(6) * 60_000_000n + seconds;
  return `${months}mon ${days}d ${total}us`;
}
