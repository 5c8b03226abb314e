/**
 * Test-side reading of Debezium JSON values into src/cdc/types.ts Values, written for the tests
 * independently of the generator (its own two's complement, date and timestamp arithmetic).
 */
import type { Value } from '../../../src/cdc/types.ts';
import { asBigInt, type Json } from './exact-json.ts';

export const PLACEHOLDER = '__debezium_unavailable_value';

export interface FieldSchema {
  readonly type: string;
  readonly name?: string;
  readonly field: string;
  readonly parameters?: Record<string, string>;
}

function decodeTwosComplement(bytes: Buffer): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return bytes.length > 0 && (bytes[0]! & 0x80) !== 0 ? value - (1n << BigInt(bytes.length * 8)) : value;
}

function decimalFromUnscaled(unscaled: bigint, scale: number): string {
  const sign = unscaled < 0n ? '-' : '';
  const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return scale === 0 ? sign + digits : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** Debezium JSON value → Value, or 'toast' for the unchanged-TOAST placeholder. */
export function decodeField(schema: FieldSchema, json: Json): Value | 'toast' {
  if (json === null) return null;
  if (json === PLACEHOLDER) return 'toast';
  if (schema.type === 'bytes' && Buffer.from(String(json), 'base64').toString('latin1') === PLACEHOLDER) return 'toast';
  switch (schema.name) {
    case 'org.apache.kafka.connect.data.Decimal':
      return decimalFromUnscaled(decodeTwosComplement(Buffer.from(String(json), 'base64')), Number(schema.parameters?.scale));
    case 'io.debezium.time.Date':
      return new Date(Number(json) * 86_400_000).toISOString().slice(0, 10);
    case 'io.debezium.time.MicroTimestamp': {
      const micros = asBigInt(json);
      const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
      return `${new Date(Number(ms)).toISOString().slice(0, 23)}${String(micros - ms * 1000n).padStart(3, '0')}`;
    }
  }
  switch (schema.type) {
    case 'int64':
      return asBigInt(json);
    case 'bytes':
      return new Uint8Array(Buffer.from(String(json), 'base64'));
    default:
      return json as Value;
  }
}
