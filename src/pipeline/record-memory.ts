/**
 * What one Kafka record costs the in-flight memory budget (SLUICE_MAX_INFLIGHT_BYTES).
 *
 * Before decoding, a record is counted by its raw bytes (rawRecordBytes). Once decoded, it is
 * charged its decoded change's estimated size (decodedChangeBytes) on top: both stay in memory
 * until the record settles (the raw record is kept so that a change rejected later can still be
 * dead-lettered with its original bytes). Compact records (Confluent Avro, ~290 B) decode into
 * changes several times their size; verbose ones (JSON with schemas, ~3.4 KB) into a fraction.
 *
 * decodedChangeBytes is an ESTIMATE, not a measurement, of the JS heap a decoded change keeps
 * alive while it waits in a table's compactor and its batch is written: the key and row Maps
 * with their values, and the pending-change entry around them (version, origins, the encoded key
 * that indexes it). V8 object sizes are approximated by the constants below (64-bit, no pointer
 * compression, as Node 20 ships); strings count one byte per character (two-byte strings are
 * undercounted by half) and a string sliced from a larger one counts at its own length. It
 * walks the values once and serialises nothing: about 0.1–0.3 µs for a row of 7 columns.
 * Calibrated against heap deltas of the load generator's tables decoded from Avro and kept in a
 * TableCompactor: within ±10 % for narrow, measurements, wide and composite rows, 1.6× over for
 * toasty ones (figures in docs/performance.md, "memory").
 */
import type { ChangeEvent, Row, Value } from '../cdc/types.ts';
import type { KafkaRecord } from '../kafka/types.ts';

/** Raw bytes of a record: payload plus a fixed allowance for the record's objects and buffers. */
export function rawRecordBytes(record: KafkaRecord): number {
  return (record.key?.length ?? 0) + (record.value?.length ?? 0) + 256;
}

/** The pending change, its origins array, the compactor's map entry, the position object and three bigints (offset, version, LSN). */
const PENDING_CHANGE_BYTES = 360;
/** A Map object and its hash table, before any entry. */
const MAP_BYTES = 100;
/** One Map entry: key, value and chain slots plus its share of the buckets. */
const MAP_ENTRY_BYTES = 40;
/** A heap string's header (map, hash, length); its characters are added, rounded up to 8. */
const STRING_HEADER_BYTES = 16;
/** A bigint of up to 64 bits: header plus one digit. */
const BIGINT_BYTES = 24;
/** A number that is not a small integer lives boxed as a HeapNumber. */
const HEAP_NUMBER_BYTES = 16;
/** A Uint8Array object and its ArrayBuffer, before the bytes. */
const BYTES_OBJECT_BYTES = 160;
/** An array object and its backing store header, before its 8-byte slots. */
const ARRAY_BYTES = 32;

/** Heap bytes one decoded change event holds while pending (0 for a truncate: it holds no rows). */
export function decodedChangeBytes(event: ChangeEvent): number {
  if (event.kind === 'truncate') return 0;
  let bytes = PENDING_CHANGE_BYTES + rowBytes(event.key) + keyTextBytes(event.key);
  if (event.kind === 'upsert') {
    bytes += rowBytes(event.row);
    // An update that moved the key becomes two pending changes: a delete of the old key, too.
    if (event.previousKey !== null) bytes += PENDING_CHANGE_BYTES + rowBytes(event.previousKey) + keyTextBytes(event.previousKey);
  }
  return bytes;
}

function rowBytes(row: Row): number {
  let bytes = MAP_BYTES + MAP_ENTRY_BYTES * row.size;
  for (const value of row.values()) bytes += valueBytes(value);
  return bytes;
}

/** The encoded row key (row-key.ts) is roughly one tag character per value plus its text. */
function keyTextBytes(key: Row): number {
  let bytes = STRING_HEADER_BYTES;
  for (const value of key.values()) bytes += 2 + (typeof value === 'string' ? value.length : 20);
  return bytes;
}

function valueBytes(value: Value): number {
  switch (typeof value) {
    case 'string':
      return STRING_HEADER_BYTES + ((value.length + 7) & ~7);
    case 'bigint':
      return BIGINT_BYTES;
    case 'number':
      return Number.isInteger(value) && Math.abs(value) < 0x40000000 ? 0 : HEAP_NUMBER_BYTES;
    case 'object': {
      if (value === null) return 0;
      if (value instanceof Uint8Array) return BYTES_OBJECT_BYTES + value.byteLength;
      let bytes = ARRAY_BYTES + 8 * value.length;
      for (const element of value) bytes += valueBytes(element);
      return bytes;
    }
    default:
      // boolean and UNCHANGED (a symbol) are immediates or shared: only their slot, counted per entry.
      return 0;
  }
}
