/**
 * A canonical string for a primary key, so changes to the same row meet in one map entry
 * during compaction and always land in the same write lane. Type-tagged so that the int 1 and
 * the text '1' never collide, and exact for bigint and byte keys.
 */
import type { Row, Value } from '../cdc/types.ts';
import { UNCHANGED } from '../cdc/types.ts';

export function encodeRowKey(key: Row, keyColumns: readonly string[]): string {
  let text = '';
  for (const column of keyColumns) {
    text += encodeValue(key.get(column) ?? null);
    text += '\u0000';
  }
  return text;
}

function encodeValue(value: Value): string {
  if (value === null) return 'n';
  if (value === UNCHANGED) return 'u';
  switch (typeof value) {
    case 'string':
      return `s${value}`;
    case 'bigint':
      return `i${value}`;
    case 'number':
      return Number.isInteger(value) ? `i${value}` : `f${value}`;
    case 'boolean':
      return value ? 'T' : 'F';
    default:
      if (value instanceof Uint8Array) return `b${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
      return `a[${(value as readonly Value[]).map(encodeValue).join(',')}]`;
  }
}

/** FNV-1a over the canonical key: cheap, stable across processes, spreads keys over lanes. */
export function laneOf(encodedKey: string, laneCount: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < encodedKey.length; index++) {
    hash ^= encodedKey.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % laneCount;
}
