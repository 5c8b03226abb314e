/**
 * Where a change lands: the index of its table and the `_id` of its document.
 *
 * Index naming rule: `<prefix><namespace>.<name>` (or `<prefix><name>` without a namespace),
 * lower-cased; every character an index name may not contain (\ / * ? " < > | , # : and white
 * space) becomes `_`; a name starting with `-`, `_`, `+` or `.` gets an `x` in front (those are
 * reserved for hidden/system indices); names longer than 255 bytes are cut and end in
 * `~<12 hex digits of sha256 of the full name>` so distinct tables stay distinct.
 *
 * Document id rule: a one-column key is the column's value as text (numbers in decimal, bytes in
 * base64, booleans true/false); a composite key is the JSON array of those texts in key order,
 * e.g. `["42","eu"]`, which is unambiguous whatever the values contain. Ids above 512 bytes (the
 * server's limit) become `sha256:<hex>` of the same text.
 */
import { createHash } from 'node:crypto';
import { UNCHANGED, type Row, type Value } from '../../src/cdc/types.ts';
import type { TargetTable } from '../../src/writer/types.ts';

const MAX_INDEX_NAME_BYTES = 255;
const MAX_ID_BYTES = 512;

export function indexName(prefix: string, table: TargetTable): string {
  const joined = prefix + (table.namespace === null || table.namespace === '' ? '' : `${table.namespace}.`) + table.name;
  let name = joined.toLowerCase().replace(/[\\/*?"<>|,#:\s]/g, '_');
  if (/^[-_+.]/.test(name)) name = `x${name}`;
  if (Buffer.byteLength(name) > MAX_INDEX_NAME_BYTES) {
    const suffix = `~${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
    name = truncateUtf8(name, MAX_INDEX_NAME_BYTES - suffix.length) + suffix;
  }
  return name;
}

function truncateUtf8(text: string, maxBytes: number): string {
  let result = '';
  let bytes = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character);
    if (bytes + size > maxBytes) break;
    result += character;
    bytes += size;
  }
  return result;
}

/** Thrown for a key that cannot name a document (missing, null, UNCHANGED or empty). */
export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError';
}

export function documentId(keyColumns: readonly string[], key: Row): string {
  if (keyColumns.length === 0) throw new InvalidKeyError('the table has no primary key; documents need one for their _id');
  const parts = keyColumns.map((column) => keyText(column, key.get(column)));
  const text = parts.length === 1 ? (parts[0] as string) : JSON.stringify(parts);
  if (text === '') throw new InvalidKeyError('an empty key cannot be a document _id');
  if (Buffer.byteLength(text) > MAX_ID_BYTES) return `sha256:${createHash('sha256').update(text).digest('hex')}`;
  return text;
}

function keyText(column: string, value: Value | undefined): string {
  if (value === undefined || value === null || value === UNCHANGED) {
    throw new InvalidKeyError(`key column ${JSON.stringify(column)} has no value`);
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return JSON.stringify(value.map((element) => (element === UNCHANGED ? null : keyText(column, element))));
}
