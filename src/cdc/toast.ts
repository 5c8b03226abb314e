/**
 * Debezium's stand-ins for a PostgreSQL TOAST value it did not receive (an UPDATE that left a large
 * column untouched under REPLICA IDENTITY DEFAULT). Every form means "unchanged": the decoder maps
 * them to UNCHANGED so no writer ever stores the placeholder.
 *
 * Forms (io.debezium.connector.postgresql.UnchangedToastedPlaceholder, checked against the events
 * of Debezium 3.6.1 in test/unit/cdc/real-debezium-3.6.test.ts):
 *   string columns (text, json, xml, …)  → the placeholder text
 *   bytes columns (bytea, Decimal, Bits) → the placeholder's UTF-8 bytes (base64 in JSON)
 *   text-like arrays (text, varchar, json, jsonb) and bytea[] → [placeholder] / [base64 of it]
 *   int[], bigint[] and date[]           → the placeholder's UTF-8 byte values as numbers
 *   uuid[]                               → [UUID.nameUUIDFromBytes(placeholder bytes)] (a v3 UUID)
 *   hstore                               → {placeholder: placeholder}: a JSON text with
 *                                          hstore.handling.mode=json (the default), a map otherwise
 * Other arrays (numeric[], double precision[], timestamptz[], …) arrive as null: Debezium itself
 * loses them, and no decoder can tell that null from a real one.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER = '__debezium_unavailable_value';

export interface ToastPlaceholders {
  readonly text: string;
  readonly base64: string;
  readonly numberArray: readonly number[];
  /** The element of the uuid[] form. */
  readonly uuid: string;
  /** The hstore form as JSON text (hstore.handling.mode=json), exactly as Debezium writes it. */
  readonly hstoreJson: string;
}

/** java.util.UUID.nameUUIDFromBytes: MD5 of the bytes with version 3 and the IETF variant set. */
function nameUuidFromBytes(bytes: Buffer): string {
  const hash = createHash('md5').update(bytes).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x30;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function toastPlaceholders(text: string, numberArray?: readonly number[]): ToastPlaceholders {
  const bytes = Buffer.from(text, 'utf8');
  return {
    text,
    base64: bytes.toString('base64'),
    numberArray: numberArray ?? Array.from(bytes),
    uuid: nameUuidFromBytes(bytes),
    hstoreJson: JSON.stringify({ [text]: text }),
  };
}

/** True when a map (hstore with hstore.handling.mode=map) is the placeholder form. */
export function isToastMap(map: Readonly<Record<string, unknown>>, placeholders: ToastPlaceholders): boolean {
  const keys = Object.keys(map);
  return keys.length === 1 && keys[0] === placeholders.text && map[placeholders.text] === placeholders.text;
}

/** True when an array is one of the placeholder forms. */
export function isToastArray(items: readonly unknown[], placeholders: ToastPlaceholders): boolean {
  if (items.length === 1) {
    const item = items[0];
    return item === placeholders.text || item === placeholders.base64 || item === placeholders.uuid;
  }
  const numbers = placeholders.numberArray;
  if (items.length !== numbers.length || items.length === 0) return false;
  for (let i = 0; i < numbers.length; i++) if (items[i] !== numbers[i]) return false;
  return true;
}
