/**
 * JsonConverter schemas.enable=false: the payload alone, types inferred from the values
 * (documented limits in src/cdc/schemaless.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDecoder } from '../../../src/cdc/decode.ts';
import { UNCHANGED } from '../../../src/cdc/types.ts';
import { changeRecord, decimalWire, field, RawJson, type TableSpec } from './debezium-encoder.ts';
import { upsertOf } from './single-column.ts';

const table: TableSpec = {
  prefix: 'bare',
  schema: 'public',
  table: 'accounts',
  key: ['id'],
  columns: [
    field('id', { type: 'int64', optional: false }),
    field('name', { type: 'string', optional: true }),
    field('balance', { type: 'bytes', optional: true, name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '2' } }),
    field('ratio', { type: 'double', optional: true }),
    field('active', { type: 'boolean', optional: true }),
    field('tags', { type: 'array', items: { type: 'string', optional: true }, optional: true }),
    field('meta', { type: 'string', optional: true, name: 'io.debezium.data.Json', version: 1 }),
  ],
};
const stamp = { tsMs: 1_700_000_000_000, lsn: 99n, txId: 5n };

describe('schemas.enable=false', () => {
  it('decodes a create with inferred types; the key columns come from the key message', () => {
    const after = {
      id: 9_007_199_254_740_993n,
      name: 'Ann',
      balance: decimalWire('12.50', 2),
      ratio: 0.25,
      active: true,
      tags: ['a', 'b'],
      meta: '{"x": 1}',
    };
    const record = changeRecord(table, { id: after.id }, { op: 'c', after, stamp }, false);
    assert.ok(record.value!.toString().startsWith('{"before":null'));
    const event = upsertOf(createDecoder().decode(record));
    assert.deepEqual(event.key, new Map([['id', 9_007_199_254_740_993n]]));
    assert.deepEqual(event.schema.key, ['id']);
    assert.equal(event.row.get('id'), 9_007_199_254_740_993n);
    assert.equal(event.row.get('name'), 'Ann');
    // No schema: the Decimal stays Debezium's base64 text (documented limit).
    assert.equal(event.row.get('balance'), decimalWire('12.50', 2));
    assert.equal(event.row.get('ratio'), 0.25);
    assert.deepEqual(event.row.get('tags'), ['a', 'b']);
    assert.deepEqual(
      event.schema.columns.map((column) => [column.name, column.type.kind]),
      [
        ['id', 'int64'],
        ['name', 'string'],
        ['balance', 'string'],
        ['ratio', 'float64'],
        ['active', 'boolean'],
        ['tags', 'array'],
        ['meta', 'string'],
      ],
    );
    assert.deepEqual(event.sourceTable, { database: 'inventory', schema: 'public', table: 'accounts' });
    assert.equal(event.source.lsn, 99n);
  });

  it('a null takes the type last seen for the column; the fingerprint stays the same', () => {
    const decoder = createDecoder();
    const first = upsertOf(decoder.decode(changeRecord(table, { id: 1n }, { op: 'c', after: { id: 1n, ratio: 0.5 }, stamp }, false)));
    const second = upsertOf(decoder.decode(changeRecord(table, { id: 1n }, { op: 'u', after: { id: 1n, ratio: null }, stamp }, false)));
    assert.equal(second.row.get('ratio'), null);
    assert.equal(second.schema.fingerprint, first.schema.fingerprint);
  });

  it('TOAST placeholders, deletes, truncates and tombstones', () => {
    const decoder = createDecoder();
    const toasted = upsertOf(
      decoder.decode(changeRecord(table, { id: 2n }, { op: 'u', after: { id: 2n, meta: '__debezium_unavailable_value', tags: ['__debezium_unavailable_value'] }, stamp }, false)),
    );
    assert.equal(toasted.row.get('meta'), UNCHANGED);
    assert.equal(toasted.row.get('tags'), UNCHANGED);
    const rowSchema = toasted.schema;
    const deleted = decoder.decode(changeRecord(table, { id: 2n }, { op: 'd', before: { id: 2n }, stamp }, false));
    assert.ok(deleted.kind === 'change' && deleted.event.kind === 'delete');
    assert.deepEqual(deleted.event.key, new Map([['id', 2n]]));
    assert.equal(deleted.event.schema, rowSchema, 'a delete keeps the last row schema (its before holds only the key)');
    const truncated = decoder.decode(changeRecord(table, null, { op: 't', stamp }, false));
    assert.ok(truncated.kind === 'change' && truncated.event.kind === 'truncate');
    assert.equal(truncated.event.schema, deleted.event.schema, 'a truncate carries the last schema seen');
    assert.deepEqual(decoder.decode({ ...changeRecord(table, { id: 2n }, { op: 'd', stamp }, false), value: null }), {
      kind: 'skip',
      reason: 'tombstone',
    });
  });

  it('a key change carries previousKey', () => {
    const record = changeRecord(table, { id: 3n }, { op: 'u', before: { id: 4n }, after: { id: 3n }, stamp }, false);
    assert.deepEqual(upsertOf(createDecoder().decode(record)).previousKey, new Map([['id', 4n]]));
  });

  it("a value schema with a bare key: key fields take the row's column types", () => {
    const withSchema = changeRecord(table, { id: 5n }, { op: 'c', after: { id: 5n }, stamp }, true);
    const bareKey = changeRecord(table, { id: 5n }, { op: 'c', after: { id: 5n }, stamp }, false).key;
    const event = upsertOf(createDecoder().decode({ ...withSchema, key: bareKey }));
    assert.deepEqual(event.key, new Map([['id', 5n]]));
  });

  it('an envelope with "schema": null is read as a payload without schema', () => {
    const record = changeRecord(table, { id: 8n }, { op: 'c', after: { id: 8n, name: 'n' }, stamp }, false);
    const value = Buffer.from(`{"schema":null,"payload":${record.value!.toString()}}`);
    const key = Buffer.from(`{"schema":null,"payload":${record.key!.toString()}}`);
    const event = upsertOf(createDecoder().decode({ ...record, key, value }));
    assert.deepEqual(event.key, new Map([['id', 8n]]));
    assert.equal(event.row.get('name'), 'n');
  });

  it("schemas: 'none' reads a payload shaped like an envelope as a payload", () => {
    const payload = Buffer.from('{"schema":{"type":"struct"},"payload":1}');
    const decoder = createDecoder({ schemas: 'none' });
    assert.throws(() => decoder.decode({ topic: 't', partition: 0, offset: 0n, key: null, value: payload }), /no "op"/);
  });

  it('non-integer numbers are float64 and integer literals beyond 2^53 are exact', () => {
    const after = { id: 6n, ratio: new RawJson('1.5E-7'), name: 'x' };
    const event = upsertOf(createDecoder().decode(changeRecord(table, { id: 6n }, { op: 'c', after, stamp }, false)));
    assert.equal(event.row.get('ratio'), 1.5e-7);
  });
});
