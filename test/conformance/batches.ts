/** Builders for schemas and TableBatch values, so cases read as data (no Kafka involved). */
import { createHash } from 'node:crypto';
import type { ColumnSchema, LogicalType, Row, TableSchema, Value } from '../../src/cdc/types.ts';
import type { DeleteChange, RowChange, TableBatch, TargetTable, UpsertChange } from '../../src/writer/types.ts';

export function column(name: string, type: LogicalType, optional = true): ColumnSchema {
  return { name, type, optional };
}

export function tableSchema(columns: readonly ColumnSchema[], key: readonly string[]): TableSchema {
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ columns: columns.map((c) => [c.name, c.type, c.optional]), key }))
    .digest('hex')
    .slice(0, 16);
  return { columns, key, fingerprint };
}

/** Each change gets a distinct, increasing origin offset so exactly-once bookkeeping is exercised too. */
let nextOffset = 0n;

function origin(): RowChange['origins'] {
  nextOffset += 1n;
  return [{ topic: 'conformance', partition: 0, offset: nextOffset }];
}

function keyOf(schema: TableSchema, values: Readonly<Record<string, Value>>): Row {
  return new Map(schema.key.map((name) => [name, values[name] ?? null]));
}

export function upsert(schema: TableSchema, values: Readonly<Record<string, Value>>): UpsertChange {
  const origins = origin();
  return {
    kind: 'upsert',
    key: keyOf(schema, values),
    row: new Map(Object.entries(values)),
    version: origins[0]?.offset ?? 0n,
    origins,
    sourceTsMs: Date.now(),
  };
}

export function remove(schema: TableSchema, keyValues: Readonly<Record<string, Value>>): DeleteChange {
  const origins = origin();
  return { kind: 'delete', key: keyOf(schema, keyValues), version: origins[0]?.offset ?? 0n, origins, sourceTsMs: Date.now() };
}

export function batchOf(table: TargetTable, schema: TableSchema, changes: readonly RowChange[], truncateFirst = false): TableBatch {
  return { table, schema, changes, truncateFirst, truncateOrigins: truncateFirst ? origin() : [] };
}
