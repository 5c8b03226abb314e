/**
 * Literal events in the shapes published by Debezium and its users (trimmed to stay small):
 * the PostgreSQL connector documentation's `customers` create event as printed there (indented,
 * so the decoder's general path reads it), an older 0.9 payload without schema (boolean
 * `snapshot`, `ts_usec`), and a key/value pair as the JsonConverter writes them (compact).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDecoder } from '../../../src/cdc/decode.ts';
import { upsertOf } from './single-column.ts';

// Debezium PostgreSQL connector docs, "create event" for table customers (id SERIAL, first_name,
// last_name, email VARCHAR(255) NOT NULL), pretty-printed as in the docs.
const docsKey = `{
  "schema": {
    "type": "struct",
    "name": "PostgreSQL_server.public.customers.Key",
    "optional": false,
    "fields": [ { "name": "id", "index": "0", "schema": { "type": "INT32", "optional": "false" } } ]
  },
  "payload": { "id": 1 }
}`;

const docsValue = `{
  "schema": {
    "type": "struct",
    "fields": [
      { "type": "struct", "fields": [
          { "type": "int32", "optional": false, "field": "id" },
          { "type": "string", "optional": false, "field": "first_name" },
          { "type": "string", "optional": false, "field": "last_name" },
          { "type": "string", "optional": false, "field": "email" }
        ], "optional": true, "name": "PostgreSQL_server.inventory.customers.Value", "field": "before" },
      { "type": "struct", "fields": [
          { "type": "int32", "optional": false, "field": "id" },
          { "type": "string", "optional": false, "field": "first_name" },
          { "type": "string", "optional": false, "field": "last_name" },
          { "type": "string", "optional": false, "field": "email" }
        ], "optional": true, "name": "PostgreSQL_server.inventory.customers.Value", "field": "after" },
      { "type": "struct", "fields": [
          { "type": "string", "optional": false, "field": "version" },
          { "type": "string", "optional": false, "field": "connector" },
          { "type": "string", "optional": false, "field": "name" },
          { "type": "int64", "optional": false, "field": "ts_ms" },
          { "type": "boolean", "optional": true, "default": false, "field": "snapshot" },
          { "type": "string", "optional": false, "field": "db" },
          { "type": "string", "optional": false, "field": "schema" },
          { "type": "string", "optional": false, "field": "table" },
          { "type": "int64", "optional": true, "field": "txId" },
          { "type": "int64", "optional": true, "field": "lsn" },
          { "type": "int64", "optional": true, "field": "xmin" }
        ], "optional": false, "name": "io.debezium.connector.postgresql.Source", "field": "source" },
      { "type": "string", "optional": false, "field": "op" },
      { "type": "int64", "optional": true, "field": "ts_ms" }
    ],
    "optional": false,
    "name": "PostgreSQL_server.inventory.customers.Envelope"
  },
  "payload": {
    "before": null,
    "after": { "id": 1, "first_name": "Anne", "last_name": "Kretchmar", "email": "annek@noanswer.org" },
    "source": {
      "version": "2.7.3.Final",
      "connector": "postgresql",
      "name": "PostgreSQL_server",
      "ts_ms": 1559033904863,
      "snapshot": true,
      "db": "postgres",
      "sequence": "[\\"24023119\\",\\"24023128\\"]",
      "schema": "public",
      "table": "customers",
      "txId": 555,
      "lsn": 24023128,
      "xmin": null
    },
    "op": "c",
    "ts_ms": 1559033904863
  }
}`;

describe('real-world events', () => {
  it('the documentation create event (indented JSON, the docs key schema is not a Connect schema)', () => {
    const decoder = createDecoder();
    // The docs' key illustrates the key's shape but its schema uses "name"/"index" field entries,
    // not the JsonConverter format: the decoder says so instead of guessing.
    assert.throws(
      () => decoder.decode({ topic: 'PostgreSQL_server.public.customers', partition: 0, offset: 0n, key: Buffer.from(docsKey), value: Buffer.from(docsValue) }),
      (error: unknown) => error instanceof Error && 'code' in error && error.code === 'cdc.invalid_schema',
    );
    const compactKey = Buffer.from('{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"PostgreSQL_server.public.customers.Key"},"payload":{"id":1}}');
    const event = upsertOf(
      decoder.decode({ topic: 'PostgreSQL_server.public.customers', partition: 0, offset: 1n, key: compactKey, value: Buffer.from(docsValue) }),
    );
    assert.equal(event.op, 'c');
    assert.deepEqual(event.key, new Map([['id', 1]]));
    assert.deepEqual(
      event.row,
      new Map<string, unknown>([
        ['id', 1],
        ['first_name', 'Anne'],
        ['last_name', 'Kretchmar'],
        ['email', 'annek@noanswer.org'],
      ]),
    );
    assert.deepEqual(event.sourceTable, { database: 'postgres', schema: 'public', table: 'customers' });
    assert.deepEqual(event.source, { tsMs: 1559033904863, lsn: 24023128n, txId: 555n, snapshot: true });
  });

  it('a Debezium 0.9 payload without schema (boolean snapshot, ts_usec)', () => {
    const value = Buffer.from(
      '{"before":null,"after":{"id":1,"created_at":"2020-09-27T13:37:24.058468Z","column_a":"a","column_b":"b"},' +
        '"source":{"version":"0.9.5.Final","connector":"postgresql","name":"foo","db":"foo","ts_usec":1601213844074632,' +
        '"txId":644,"lsn":28581784,"schema":"bar","table":"events","snapshot":false,"last_snapshot_record":null,"xmin":null},' +
        '"op":"c","ts_ms":1601213844598}',
    );
    const event = upsertOf(createDecoder().decode({ topic: 'foo.bar.events', partition: 0, offset: 5n, key: Buffer.from('{"id":1}'), value }));
    assert.deepEqual(event.key, new Map([['id', 1n]]));
    assert.equal(event.row.get('created_at'), '2020-09-27T13:37:24.058468Z');
    assert.deepEqual(event.sourceTable, { database: 'foo', schema: 'bar', table: 'events' });
    // No source.ts_ms in 0.9: the envelope's ts_ms stands in.
    assert.deepEqual(event.source, { tsMs: 1601213844598, lsn: 28581784n, txId: 644n, snapshot: false });
  });
});
