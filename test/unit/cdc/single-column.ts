/**
 * Test helper: decode one value of one column through a whole Debezium create event, so every
 * golden test exercises the real path (frame cache, payload parse, conversion).
 */
import { createDecoder, type DecoderOptions } from '../../../src/cdc/decode.ts';
import type { ColumnSchema, DecodeResult, UpsertEvent, Value } from '../../../src/cdc/types.ts';
import { changeRecord, field, type JsonTree, type SchemaJson, type TableSpec } from './debezium-encoder.ts';

export function singleColumnTable(column: SchemaJson, table = 'golden'): TableSpec {
  return {
    prefix: 'test',
    schema: 'public',
    table,
    key: ['id'],
    columns: [field('id', { type: 'int64', optional: false }), field('v', column)],
  };
}

export function upsertOf(result: DecodeResult): UpsertEvent {
  if (result.kind !== 'change' || result.event.kind !== 'upsert') {
    throw new Error(`expected an upsert, got ${JSON.stringify(result, (_key, item) => (typeof item === 'bigint' ? `${item}n` : item))}`);
  }
  return result.event;
}

export interface DecodedColumn {
  /** The decoded value; undefined when the column was absent from the row. */
  readonly value: Value | undefined;
  readonly column: ColumnSchema;
}

export function decodeColumn(column: SchemaJson, wire: JsonTree, options: DecoderOptions = {}): DecodedColumn {
  const spec = singleColumnTable(column);
  const decoder = createDecoder(options);
  const record = changeRecord(spec, { id: 1n }, { op: 'c', after: { id: 1n, v: wire }, stamp: { tsMs: 1_700_000_000_000 } });
  const event = upsertOf(decoder.decode(record));
  const schemaColumn = event.schema.columns.find((candidate) => candidate.name === 'v');
  if (schemaColumn === undefined) throw new Error('column v missing from the decoded schema');
  return { value: event.row.get('v'), column: schemaColumn };
}
