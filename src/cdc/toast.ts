/**
 * Debezium's stand-ins for a PostgreSQL TOAST value it did not receive (an UPDATE that left a large
 * column untouched under REPLICA IDENTITY DEFAULT). Every form means "unchanged": the decoder maps
 * them to UNCHANGED so no writer ever stores the placeholder.
 *
 * Forms (io.debezium.connector.postgresql.UnchangedToastedPlaceholder):
 *   string columns (text, json, xml, …)  → the placeholder text
 *   bytes columns (bytea, Decimal, Bits) → the placeholder's UTF-8 bytes (base64 in JSON)
 *   text-like arrays                     → [placeholder]
 *   int / bigint arrays                  → the placeholder's UTF-8 byte values as numbers
 */

export const DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER = '__debezium_unavailable_value';

export interface ToastPlaceholders {
  readonly text: string;
  readonly base64: string;
  readonly numberArray: readonly number[];
}

export function toastPlaceholders(text: string, numberArray?: readonly number[]): ToastPlaceholders {
  const bytes = Buffer.from(text, 'utf8');
  return {
    text,
    base64: bytes.toString('base64'),
    numberArray: numberArray ?? Array.from(bytes),
  };
}

/** True when an array is one of the placeholder forms. */
export function isToastArray(items: readonly unknown[], placeholders: ToastPlaceholders): boolean {
  if (items.length === 1) return items[0] === placeholders.text || items[0] === placeholders.base64;
  const numbers = placeholders.numberArray;
  if (items.length !== numbers.length || items.length === 0) return false;
  for (let i = 0; i < numbers.length; i++) if (items[i] !== numbers[i]) return false;
  return true;
}
