/**
 * Envelope handling: ops, keys, source metadata, skips, schema caching and fingerprints.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDecoder } from '../../../src/cdc/decode.ts';
import type { DecodeResult, DeleteEvent, Row, Value } from '../../../src/cdc/types.ts';
import { DecodeError } from '../../../src/errors.ts';
import {
  changeRecord,
  converterJson,
  decimalWire,
  type EncodedRecord,
  field,
  type SchemaJson,
  type TableSpec,
} from './debezium-encoder.ts';
import { upsertOf } from './single-column.ts';

const orders: TableSpec = {
  prefix: 'shop',
  schema: 'sales',
  table: 'orders',
  key: ['id'],
  columns: [
    field('id', { type: 'int64', optional: false }),
    field('amount', {
      type: 'bytes',
      optional: true,
      name: 'org.apache.kafka.connect.data.Decimal',
      version: 1,
      parameters: { scale: '2', 'connect.decimal.precision': '12' },
    }),
    field('note', { type: 'string', optional: true }),
  ],
};

const stamp = { tsMs: 1_700_000_000_123, lsn: 24_023_128n, txId: 555n };

function rowOf(values: Record<string, Value>): Row {
  return new Map(Object.entries(values));
}

function deleteOf(result: DecodeResult): DeleteEvent {
  if (result.kind !== 'change' || result.event.kind !== 'delete') throw new Error(`expected a delete, got ${result.kind}`);
  return result.event;
}

describe('ops', () => {
  it('c, u and r are upserts with key, row, source table and source info', () => {
    const decoder = createDecoder();
    for (const op of ['c', 'u', 'r'] as const) {
      const record = changeRecord(orders, { id: 7n }, { op, after: { id: 7n, amount: decimalWire('19.99', 2), note: 'hi' }, stamp });
      const event = upsertOf(decoder.decode(record));
      assert.equal(event.op, op);
      assert.deepEqual(event.key, rowOf({ id: 7n }));
      assert.deepEqual(event.row, rowOf({ id: 7n, amount: '19.99', note: 'hi' }));
      assert.equal(event.previousKey, null);
      assert.deepEqual(event.sourceTable, { database: 'inventory', schema: 'sales', table: 'orders' });
      assert.deepEqual(event.source, { tsMs: stamp.tsMs, lsn: stamp.lsn, txId: stamp.txId, snapshot: op === 'r' });
      assert.deepEqual(event.position, { topic: record.topic, partition: 0, offset: record.offset });
      assert.equal(event.sizeBytes, record.key!.length + record.value!.length);
      assert.deepEqual(event.schema.key, ['id']);
      assert.deepEqual(
        event.schema.columns.map((column) => [column.name, column.type.kind, column.optional]),
        [
          ['id', 'int64', false],
          ['amount', 'decimal', true],
          ['note', 'string', true],
        ],
      );
    }
  });

  it('source.snapshot values other than "false" mark a snapshot', () => {
    const decoder = createDecoder();
    for (const [snapshot, expected] of [
      ['true', true],
      ['last', true],
      ['incremental', true],
      ['false', false],
    ] as const) {
      const record = changeRecord(orders, { id: 1n }, { op: 'c', after: { id: 1n }, stamp: { ...stamp, snapshot } });
      assert.equal(upsertOf(decoder.decode(record)).source.snapshot, expected, snapshot);
    }
  });

  it('d: the key comes from the message key', () => {
    const record = changeRecord(orders, { id: 9n }, { op: 'd', before: { id: 9n, amount: null, note: null }, stamp });
    const event = deleteOf(createDecoder().decode(record));
    assert.equal(event.op, 'd');
    assert.deepEqual(event.key, rowOf({ id: 9n }));
    assert.deepEqual(event.schema.key, ['id']);
  });

  it('d without a message key falls back to `before` when the key columns are known', () => {
    const decoder = createDecoder();
    decoder.decode(changeRecord(orders, { id: 1n }, { op: 'c', after: { id: 1n }, stamp }));
    const keyless = { ...changeRecord(orders, { id: 2n }, { op: 'd', before: { id: 2n, amount: null, note: null }, stamp }), key: null };
    assert.deepEqual(deleteOf(decoder.decode(keyless)).key, rowOf({ id: 2n }));
  });

  it('d with neither a key nor known key columns is cdc.missing_key', () => {
    const keyless = { ...changeRecord(orders, { id: 2n }, { op: 'd', before: { id: 2n, amount: null, note: null }, stamp }), key: null };
    assert.throws(() => createDecoder().decode(keyless), (error: unknown) => error instanceof DecodeError && error.code === 'cdc.missing_key');
  });

  it('t is a truncate of the source table, without a key', () => {
    const record = changeRecord(orders, null, { op: 't', stamp });
    const result = createDecoder().decode(record);
    assert.ok(result.kind === 'change' && result.event.kind === 'truncate');
    assert.deepEqual(result.event.sourceTable, { database: 'inventory', schema: 'sales', table: 'orders' });
    assert.equal(result.event.source.lsn, stamp.lsn);
  });

  it('m (logical decoding message) is skipped, in a change envelope or its own MessageValue envelope', () => {
    const record = changeRecord(orders, null, { op: 'm', stamp });
    assert.deepEqual(createDecoder().decode(record), { kind: 'skip', reason: 'other' });
    const messageSchema: SchemaJson = {
      type: 'struct',
      optional: false,
      name: 'io.debezium.connector.postgresql.MessageValue',
      fields: [
        field('op', { type: 'string', optional: false }),
        field('ts_ms', { type: 'int64', optional: true }),
        field('message', {
          type: 'struct',
          optional: false,
          fields: [field('prefix', { type: 'string', optional: true }), field('content', { type: 'bytes', optional: true })],
        }),
      ],
    };
    const value = converterJson(messageSchema, { op: 'm', ts_ms: 1, message: { prefix: 'audit', content: 'AQID' } }, true);
    assert.deepEqual(createDecoder().decode({ topic: 'shop.message', partition: 0, offset: 0n, key: null, value }), { kind: 'skip', reason: 'other' });
  });
});

describe('keys', () => {
  const composite: TableSpec = {
    prefix: 'shop',
    schema: 'sales',
    table: 'lines',
    key: ['order_id', 'line_no'],
    columns: [
      field('line_no', { type: 'int32', optional: false }),
      field('qty', { type: 'int32', optional: true }),
      field('order_id', { type: 'int64', optional: false }),
    ],
  };

  it('the key order is the key struct order, not the row order', () => {
    const record = changeRecord(composite, { order_id: 5n, line_no: 2 }, { op: 'c', after: { line_no: 2, qty: 1, order_id: 5n }, stamp });
    const event = upsertOf(createDecoder().decode(record));
    assert.deepEqual(event.schema.key, ['order_id', 'line_no']);
    assert.deepEqual([...event.key.entries()], [
      ['order_id', 5n],
      ['line_no', 2],
    ]);
  });

  it('an update whose before key differs from the message key carries previousKey', () => {
    const decoder = createDecoder();
    const moved = changeRecord(orders, { id: 2n }, { op: 'u', before: { id: 1n, amount: null, note: null }, after: { id: 2n, note: 'x' }, stamp });
    const event = upsertOf(decoder.decode(moved));
    assert.deepEqual(event.key, rowOf({ id: 2n }));
    assert.deepEqual(event.previousKey, rowOf({ id: 1n }));
    const same = changeRecord(orders, { id: 2n }, { op: 'u', before: { id: 2n, amount: null, note: 'x' }, after: { id: 2n, note: 'y' }, stamp });
    assert.equal(upsertOf(decoder.decode(same)).previousKey, null);
  });

  it('a key field that is not a column is cdc.invalid_key', () => {
    const record = changeRecord(orders, { id: 1n }, { op: 'c', after: { id: 1n }, stamp });
    const wrongKey: SchemaJson = { type: 'struct', optional: false, fields: [field('sku', { type: 'string', optional: false })] };
    const bad = { ...record, key: converterJson(wrongKey, { sku: 'a' }, true) };
    assert.throws(() => createDecoder().decode(bad), (error: unknown) => error instanceof DecodeError && error.code === 'cdc.invalid_key');
  });
});

describe('source metadata', () => {
  it('lsn and txId beyond 2^53 stay exact', () => {
    const record = changeRecord(orders, { id: 1n }, { op: 'c', after: { id: 1n }, stamp: { tsMs: 1, lsn: 2n ** 63n - 1n, txId: 2n ** 60n + 3n } });
    const event = upsertOf(createDecoder().decode(record));
    assert.equal(event.source.lsn, 2n ** 63n - 1n);
    assert.equal(event.source.txId, 2n ** 60n + 3n);
  });
  it('without source.table the table comes from the topic prefix.schema.table', () => {
    const payload = { before: null, after: { id: 1n }, op: 'c', ts_ms: 5 };
    const value = converterJson(null, payload, false);
    const result = createDecoder().decode({ topic: 'srv.public.things', partition: 3, offset: 10n, key: null, value, timestamp: 99 });
    const event = upsertOf(result);
    assert.deepEqual(event.sourceTable, { database: null, schema: 'public', table: 'things' });
    assert.equal(event.source.tsMs, 5);
    assert.equal(event.source.lsn, null);
  });
});

describe('exact int64 across fast and lossless parsing', () => {
  it('a topic switching between keys beyond 2^53 and small keys decodes every key exactly', () => {
    const decoder = createDecoder();
    const ids = [
      ...Array.from({ length: 150 }, (_, i) => 2n ** 62n + BigInt(i)),
      ...Array.from({ length: 150 }, (_, i) => BigInt(i)),
      ...Array.from({ length: 10 }, (_, i) => -(2n ** 63n) + BigInt(i)),
    ];
    for (const id of ids) {
      const event = upsertOf(decoder.decode(changeRecord(orders, { id }, { op: 'u', after: { id, amount: decimalWire('-0.01', 2) }, stamp })));
      assert.equal(event.key.get('id'), id);
      assert.equal(event.row.get('id'), id);
      assert.equal(event.row.get('amount'), '-0.01');
    }
  });
});

describe('exact int64 when ids round alike', () => {
  it('a key change between two ids one float step apart keeps both exactly', () => {
    const decoder = createDecoder();
    const oldId = 1_500_000_000_000_000_001n;
    const newId = 1_500_000_000_000_000_002n;
    assert.equal(Number(oldId), Number(newId));
    const record = changeRecord(orders, { id: newId }, { op: 'u', before: { id: oldId }, after: { id: newId }, stamp });
    const event = upsertOf(decoder.decode(record));
    assert.equal(event.key.get('id'), newId);
    assert.equal(event.row.get('id'), newId);
    assert.deepEqual(event.previousKey, rowOf({ id: oldId }));
  });
  it('a look-alike number inside a string does not leak into an int64 column', () => {
    const record = changeRecord(orders, { id: 1_500_000_000_000_000_001n }, {
      op: 'c',
      after: { id: 1_500_000_000_000_000_001n, note: 'see 1500000000000000002' },
      stamp,
    });
    const event = upsertOf(createDecoder().decode(record));
    assert.equal(event.row.get('id'), 1_500_000_000_000_000_001n);
    assert.equal(event.row.get('note'), 'see 1500000000000000002');
  });
});

describe('records that are not row changes', () => {
  it('tombstones (null value) are skipped', () => {
    const record = changeRecord(orders, { id: 1n }, { op: 'd', stamp });
    assert.deepEqual(createDecoder().decode({ ...record, value: null }), { kind: 'skip', reason: 'tombstone' });
  });

  it('heartbeats, transaction metadata and schema-change records are skipped with their reason', () => {
    const heartbeatSchema: SchemaJson = {
      type: 'struct',
      optional: false,
      name: 'io.debezium.connector.common.Heartbeat',
      version: 1,
      fields: [field('ts_ms', { type: 'int64', optional: false })],
    };
    const transactionSchema: SchemaJson = {
      type: 'struct',
      optional: false,
      name: 'io.debezium.connector.common.TransactionMetadataValue',
      version: 1,
      fields: [
        field('status', { type: 'string', optional: false }),
        field('id', { type: 'string', optional: false }),
        field('ts_ms', { type: 'int64', optional: false }),
        field('event_count', { type: 'int64', optional: true }),
      ],
    };
    const schemaChangeSchema: SchemaJson = {
      type: 'struct',
      optional: false,
      name: 'io.debezium.connector.mysql.SchemaChangeValue',
      version: 1,
      fields: [field('databaseName', { type: 'string', optional: true }), field('ddl', { type: 'string', optional: true })],
    };
    const decoder = createDecoder();
    const at = (topic: string, value: Buffer): EncodedRecord => ({ topic, partition: 0, offset: 1n, key: null, value, timestamp: 1 });
    assert.deepEqual(decoder.decode(at('__debezium-heartbeat.shop', converterJson(heartbeatSchema, { ts_ms: 1 }, true))), {
      kind: 'skip',
      reason: 'heartbeat',
    });
    const transaction = { status: 'END', id: '571:53195832', ts_ms: 1, event_count: 2n };
    assert.deepEqual(decoder.decode(at('shop.transaction', converterJson(transactionSchema, transaction, true))), { kind: 'skip', reason: 'other' });
    const ddl = { databaseName: 'inventory', ddl: 'ALTER TABLE t ADD COLUMN c INT' };
    assert.deepEqual(decoder.decode(at('shop', converterJson(schemaChangeSchema, ddl, true))), { kind: 'skip', reason: 'schema-change' });
    // The same records without schemas.
    assert.deepEqual(decoder.decode(at('__debezium-heartbeat.shop', converterJson(null, { ts_ms: 1 }, false))), { kind: 'skip', reason: 'heartbeat' });
    assert.deepEqual(decoder.decode(at('shop.transaction', converterJson(null, transaction, false))), { kind: 'skip', reason: 'other' });
    assert.deepEqual(decoder.decode(at('shop', converterJson(null, ddl, false))), { kind: 'skip', reason: 'schema-change' });
  });
});

describe('schema cache and fingerprints', () => {
  it('events of one table version share one TableSchema; the fingerprint is stable across decoders', () => {
    const first = createDecoder();
    const second = createDecoder();
    const records = [1n, 2n, 3n].map((id) => changeRecord(orders, { id }, { op: 'c', after: { id, note: `n${id}` }, stamp }));
    const schemas = records.map((record) => upsertOf(first.decode(record)).schema);
    assert.equal(schemas[0], schemas[1]);
    assert.equal(schemas[1], schemas[2]);
    assert.equal(upsertOf(second.decode(records[2]!)).schema.fingerprint, schemas[0]!.fingerprint);
    assert.match(schemas[0]!.fingerprint, /^[0-9a-f]{32}$/);
  });

  it('a new table version (added column) gets a new schema; switching back reuses the old one', () => {
    const decoder = createDecoder({ schemaCacheSize: 2 });
    const v2: TableSpec = { ...orders, columns: [...orders.columns, field('added', { type: 'boolean', optional: true })] };
    const v3: TableSpec = { ...orders, columns: [...orders.columns, field('other', { type: 'int16', optional: true })] };
    const a = upsertOf(decoder.decode(changeRecord(orders, { id: 1n }, { op: 'c', after: { id: 1n }, stamp })));
    const b = upsertOf(decoder.decode(changeRecord(v2, { id: 1n }, { op: 'u', after: { id: 1n, added: true }, stamp })));
    const c = upsertOf(decoder.decode(changeRecord(v3, { id: 1n }, { op: 'u', after: { id: 1n, other: 3 }, stamp })));
    const again = upsertOf(decoder.decode(changeRecord(orders, { id: 1n }, { op: 'u', after: { id: 1n, note: 'back' }, stamp })));
    assert.notEqual(a.schema.fingerprint, b.schema.fingerprint);
    assert.notEqual(b.schema.fingerprint, c.schema.fingerprint);
    assert.equal(b.row.get('added'), true);
    assert.equal(c.row.get('other'), 3);
    assert.equal(again.schema.fingerprint, a.schema.fingerprint);
    assert.equal(again.row.get('note'), 'back');
    assert.deepEqual(
      b.schema.columns.map((column) => column.name),
      ['id', 'amount', 'note', 'added'],
    );
  });

  it('the same schema text on two topics decodes each to its own table', () => {
    const decoder = createDecoder();
    const record = changeRecord(orders, { id: 1n }, { op: 'c', after: { id: 1n }, stamp });
    const elsewhere = { ...record, topic: 'other.topic' };
    assert.equal(upsertOf(decoder.decode(record)).position.topic, record.topic);
    assert.equal(upsertOf(decoder.decode(elsewhere)).position.topic, 'other.topic');
  });
});
