/**
 * Builds decoded change events directly (no JSON) for unit tests of the pipeline core.
 * Values follow src/cdc/types.ts.
 */
import type { ChangeEvent, DeleteEvent, Row, TableSchema, TruncateEvent, UpsertEvent, Value } from '../../src/cdc/types.ts';

export const itemsSchema: TableSchema = {
  columns: [
    { name: 'id', type: { kind: 'int64' }, optional: false },
    { name: 'name', type: { kind: 'string' }, optional: true },
    { name: 'body', type: { kind: 'string' }, optional: true },
  ],
  key: ['id'],
  fingerprint: 'items-v1',
};

export function row(values: Record<string, Value>): Row {
  return new Map(Object.entries(values));
}

let nextOffset = 0n;

export interface EventPlace {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: bigint;
  readonly lsn?: bigint;
}

function base(place: EventPlace) {
  const offset = place.offset ?? nextOffset++;
  return {
    sourceTable: { database: 'db', schema: 'public', table: 'items' },
    schema: itemsSchema,
    source: { tsMs: 1_700_000_000_000, lsn: place.lsn ?? null, txId: null, snapshot: false },
    position: { topic: place.topic ?? 'cdc.public.items', partition: place.partition ?? 0, offset },
    sizeBytes: 100,
  };
}

export function upsert(id: number, values: Record<string, Value>, place: EventPlace = {}, previousId?: number): UpsertEvent {
  return {
    ...base(place),
    kind: 'upsert',
    op: 'u',
    key: row({ id: BigInt(id) }),
    row: row({ id: BigInt(id), ...values }),
    previousKey: previousId === undefined ? null : row({ id: BigInt(previousId) }),
  };
}

export function remove(id: number, place: EventPlace = {}): DeleteEvent {
  return { ...base(place), kind: 'delete', op: 'd', key: row({ id: BigInt(id) }) };
}

export function truncate(place: EventPlace = {}): TruncateEvent {
  return { ...base(place), kind: 'truncate', op: 't' };
}

export type { ChangeEvent };
