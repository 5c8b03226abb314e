/**
 * The encoder's output against Debezium's documentation (postgresql.adoc, "create events":
 * the customers table) and against the 3.6.1.Final sources it was derived from
 * (PostgresSourceInfoStructMaker, SchemaFactory, Envelope, TableSchemaBuilder, Kafka's
 * JsonConverter#asJsonSchema key order).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { int32, varchar } from '../../../src/loadgen/column-types.ts';
import { DebeziumTableEncoder, type SourceStamp, UNCHANGED_TOAST } from '../../../src/loadgen/debezium-encoder.ts';
import { base64, javaDouble, jsonString, twosComplementBytes, unscaledDecimal } from '../../../src/loadgen/json-text.ts';
import type { TableDefinition } from '../../../src/loadgen/table-definition.ts';
import { defineTable } from '../../../src/loadgen/table-shapes.ts';
import { asObject, type Json, parseExactJson } from './exact-json.ts';

const notGenerated = () => {
  throw new Error('not generated in this test');
};

/** The documentation's example table: CREATE TABLE customers (id SERIAL, first_name VARCHAR(255) NOT NULL, …). */
const customers: TableDefinition = {
  shape: 'narrow',
  schema: 'public',
  name: 'customers',
  key: ['id'],
  columns: [
    { name: 'id', type: int32, nullable: false, toasted: false, generate: notGenerated, updateChance: 0 },
    { name: 'first_name', type: varchar(255), nullable: false, toasted: false, generate: notGenerated, updateChance: 0 },
    { name: 'last_name', type: varchar(255), nullable: false, toasted: false, generate: notGenerated, updateChance: 0 },
    { name: 'email', type: varchar(255), nullable: false, toasted: false, generate: notGenerated, updateChance: 0 },
  ],
  keyValues: (sequence) => [sequence],
};

const docsStamp: SourceStamp = {
  sourceMicros: 1559033904863123,
  processedMicros: 1559033904863841,
  txId: 555n,
  lsn: 24023128n,
  lastCommitLsn: 24023119n,
};

const encoder = (table: TableDefinition, schemasEnabled = true) =>
  new DebeziumTableEncoder(table, { topicPrefix: 'PostgreSQL_server', database: 'postgres', schemasEnabled, connectorVersion: '3.6.1.Final' });

const parse = (buffer: Buffer | null): { [key: string]: Json } => asObject(parseExactJson(buffer!.toString('utf8')));

/** The `before`/`after` field schema of the documentation's create example, verbatim. */
const docsRowSchema = {
  type: 'struct',
  fields: [
    { type: 'int32', optional: false, field: 'id' },
    { type: 'string', optional: false, field: 'first_name' },
    { type: 'string', optional: false, field: 'last_name' },
    { type: 'string', optional: false, field: 'email' },
  ],
  optional: true,
  name: 'PostgreSQL_server.public.customers.Value',
};

describe('Debezium encoder: the documentation example (customers)', () => {
  const tableEncoder = encoder(customers);
  const value = parse(tableEncoder.upsert('c', [1, 'Anne', 'Kretchmar', 'annek@noanswer.org'], docsStamp));
  const schema = asObject(value.schema);
  const payload = asObject(value.payload);

  it('names the topic <prefix>.<schema>.<table>', () => {
    assert.equal(tableEncoder.topic, 'PostgreSQL_server.public.customers');
  });

  it('writes the key as JsonConverter does: {schema: Key struct, payload}', () => {
    assert.equal(
      tableEncoder.key([1]).toString(),
      '{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"PostgreSQL_server.public.customers.Key"},"payload":{"id":1}}',
    );
  });

  it('has the envelope schema name, version and field order', () => {
    assert.equal(schema.type, 'struct');
    assert.equal(schema.name, 'PostgreSQL_server.public.customers.Envelope');
    assert.equal(schema.version, 2);
    assert.equal(schema.optional, false);
    const fields = (schema.fields as Json[]).map((field) => asObject(field).field);
    assert.deepEqual(fields, ['before', 'after', 'source', 'transaction', 'op', 'ts_ms', 'ts_us', 'ts_ns']);
  });

  it('describes before and after exactly as the documentation does', () => {
    const [before, after] = (schema.fields as Json[]).map(asObject);
    assert.deepEqual({ ...before }, { ...docsRowSchema, field: 'before' });
    assert.deepEqual({ ...after }, { ...docsRowSchema, field: 'after' });
  });

  it('writes the payload of the documentation example', () => {
    assert.equal(payload.before, null);
    assert.deepEqual(payload.after, { id: 1, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' });
    assert.equal(payload.op, 'c');
    assert.equal(payload.transaction, null);
    const source = asObject(payload.source);
    const documented = {
      version: '3.6.1.Final',
      connector: 'postgresql',
      name: 'PostgreSQL_server',
      ts_ms: 1559033904863,
      ts_us: 1559033904863123,
      ts_ns: 1559033904863123000n,
      db: 'postgres',
      sequence: '["24023119","24023128"]',
      schema: 'public',
      table: 'customers',
      txId: 555,
      lsn: 24023128,
      xmin: null,
    };
    for (const [field, expected] of Object.entries(documented)) assert.deepEqual(source[field], expected, `source.${field}`);
    assert.equal(source.snapshot, 'false', 'streaming events carry the Enum default "false"');
    assert.equal(payload.ts_ms, 1559033904863);
    assert.equal(payload.ts_us, 1559033904863841);
  });

  it('lists the source fields in PostgresSourceInfoStructMaker order with their schemas', () => {
    const source = asObject((schema.fields as Json[]).map(asObject)[2]);
    assert.equal(source.name, 'io.debezium.connector.postgresql.Source');
    const fields = (source.fields as Json[]).map(asObject);
    assert.deepEqual(
      fields.map((field) => field.field),
      ['version', 'connector', 'name', 'ts_ms', 'snapshot', 'db', 'sequence', 'ts_us', 'ts_ns', 'schema', 'table', 'txId', 'lsn', 'xmin', 'origin', 'origin_lsn'],
    );
    assert.deepEqual(
      { ...fields[4] },
      {
        type: 'string',
        optional: true,
        name: 'io.debezium.data.Enum',
        version: 1,
        parameters: { allowed: 'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental' },
        default: 'false',
        field: 'snapshot',
      },
    );
    assert.deepEqual(Object.keys(asObject(payload.source)), fields.map((field) => field.field));
  });

  it('writes the payload keys in envelope order and keeps key order inside schema objects', () => {
    assert.deepEqual(Object.keys(payload), ['before', 'after', 'source', 'transaction', 'op', 'ts_ms', 'ts_us', 'ts_ns']);
    const text = tableEncoder.upsert('c', [1, 'a', 'b', 'c'], docsStamp).toString();
    assert.ok(text.startsWith('{"schema":{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}'));
    assert.ok(text.includes('"optional":true,"name":"event.block","version":1,"field":"transaction"}'));
  });

  it('writes delete before images with the key and Debezium fallbacks for NOT NULL columns', () => {
    const deleted = asObject(parse(tableEncoder.delete([1], docsStamp)).payload);
    assert.deepEqual(deleted.before, { id: 1, first_name: '', last_name: '', email: '' });
    assert.equal(deleted.after, null);
    assert.equal(deleted.op, 'd');
  });

  it('writes truncates with before and after null and op t', () => {
    const truncated = asObject(parse(tableEncoder.truncate(docsStamp)).payload);
    assert.equal(truncated.before, null);
    assert.equal(truncated.after, null);
    assert.equal(truncated.op, 't');
  });

  it('writes only the payload when schemas are disabled', () => {
    const plain = encoder(customers, false);
    assert.equal(plain.key([7]).toString(), '{"id":7}');
    const event = parse(plain.upsert('u', [7, 'x', 'y', 'z'], docsStamp));
    assert.deepEqual(Object.keys(event), ['before', 'after', 'source', 'transaction', 'op', 'ts_ms', 'ts_us', 'ts_ns']);
    assert.equal(event.op, 'u');
  });
});

describe('Debezium encoder: logical types of the measurements table', () => {
  const table = defineTable('measurements', 'public', 'measurements');
  const tableEncoder = encoder(table);
  const value = parse(
    tableEncoder.upsert(
      'u',
      [9_223_372_036_854_775_807n, 'Ann', null, '-12.50', 'active', '2026-01-02T03:04:05.000600Z', '{"a": 1}'],
      docsStamp,
    ),
  );
  const after = asObject(asObject(value.payload).after);
  const afterSchema = asObject((asObject(value.schema).fields as Json[]).map(asObject)[1]);
  const fieldSchemas = new Map((afterSchema.fields as Json[]).map(asObject).map((field) => [field.field, field]));

  it('writes int64 exactly', () => {
    assert.equal(after.id, 9_223_372_036_854_775_807n);
    assert.ok(tableEncoder.key([9_223_372_036_854_775_807n]).toString().endsWith('"payload":{"id":9223372036854775807}}'));
  });

  it('writes numeric(12,2) as Connect Decimal: base64 two’s complement, scale and precision parameters', () => {
    assert.deepEqual(
      { ...fieldSchemas.get('amount') },
      {
        type: 'bytes',
        optional: true,
        name: 'org.apache.kafka.connect.data.Decimal',
        version: 1,
        parameters: { scale: '2', 'connect.decimal.precision': '12' },
        field: 'amount',
      },
    );
    assert.equal(after.amount, Buffer.from([0xfb, 0x1e]).toString('base64'), '-1250 is 0xFB1E');
  });

  it('uses Debezium logical names for timestamptz and jsonb', () => {
    assert.deepEqual({ ...fieldSchemas.get('updated_at') }, { type: 'string', optional: true, name: 'io.debezium.time.ZonedTimestamp', version: 1, field: 'updated_at' });
    assert.deepEqual({ ...fieldSchemas.get('payload') }, { type: 'string', optional: true, name: 'io.debezium.data.Json', version: 1, field: 'payload' });
    assert.equal(after.updated_at, '2026-01-02T03:04:05.000600Z');
    assert.equal(after.payload, '{"a": 1}');
    assert.equal(after.email, null);
  });

  it('writes ts_ns beyond 2^53 exactly', () => {
    const source = asObject(asObject(value.payload).source);
    assert.equal(source.ts_ns, 1559033904863123000n);
  });
});

describe('Debezium encoder: other types and TOAST', () => {
  it('writes date, MicroTimestamp, uuid, bytea, double with Debezium names', () => {
    const wide = defineTable('wide', 'public', 'wide');
    const schema = parse(encoder(wide).upsert('c', wide.columns.map(() => null).map((_, index) => (index === 0 ? 1n : null)), docsStamp)).schema;
    const names = new Map(
      (asObject((asObject(schema).fields as Json[])[1]).fields as Json[]).map(asObject).map((field) => [String(field.field).replace(/^c\d+_/, ''), field.name ?? field.type]),
    );
    assert.equal(names.get('date'), 'io.debezium.time.Date');
    assert.equal(names.get('timestamp'), 'io.debezium.time.MicroTimestamp');
    assert.equal(names.get('uuid'), 'io.debezium.data.Uuid');
    assert.equal(names.get('bytes'), 'bytes');
    assert.equal(names.get('float64'), 'double');
    assert.equal(names.get('int16'), 'int16');
  });

  it('puts __debezium_unavailable_value in unchanged TOASTed columns (base64 of it for bytea)', () => {
    const toasty = defineTable('toasty', 'public', 'toasty');
    const after = asObject(asObject(parse(encoder(toasty).upsert('u', [5n, 'title', UNCHANGED_TOAST, UNCHANGED_TOAST, 3], docsStamp)).payload).after);
    assert.equal(after.body, '__debezium_unavailable_value');
    assert.equal(Buffer.from(String(after.attachment), 'base64').toString(), '__debezium_unavailable_value');
  });

  it('writes composite keys in key order', () => {
    const composite = defineTable('composite', 'public', 'orders');
    assert.equal(encoder(composite, false).key([3, 5_000_000_001n]).toString(), '{"tenant_id":3,"order_id":5000000001}');
  });
});

describe('JSON text as Jackson writes it', () => {
  it('encodes Decimal unscaled values as java.math.BigInteger#toByteArray', () => {
    const cases: [bigint, string][] = [
      [0n, 'AA=='],
      [156n, 'AJw='],
      [-1n, '/w=='],
      [127n, 'fw=='],
      [128n, 'AIA='],
      [-128n, 'gA=='],
      [-129n, '/38='],
      [999_999_999_999n, Buffer.from('00e8d4a50fff', 'hex').toString('base64')],
    ];
    for (const [unscaled, expected] of cases) assert.equal(base64(twosComplementBytes(unscaled)), expected, String(unscaled));
    assert.equal(unscaledDecimal('1.5', 2), 150n);
    assert.equal(unscaledDecimal('-0.05', 2), -5n);
  });

  it('formats doubles as Java Double.toString', () => {
    const cases: [number, string][] = [
      [100, '100.0'],
      [1234.5, '1234.5'],
      [0.001, '0.001'],
      [0.0001, '1.0E-4'],
      [1e7, '1.0E7'],
      [-2.5e10, '-2.5E10'],
      [1.5e-5, '1.5E-5'],
      [0, '0.0'],
      [-0, '-0.0'],
      [9999999.5, '9999999.5'],
    ];
    for (const [value, expected] of cases) assert.equal(javaDouble(value), expected, String(value));
  });

  it('escapes strings like Jackson (upper-case hex, raw UTF-8)', () => {
    assert.equal(jsonString('bell\u0007 unit\u001f'), '"bell\\u0007 unit\\u001F"');
    assert.equal(jsonString('tab\t"q"\\ é 🚀 /'), '"tab\\t\\"q\\"\\\\ é 🚀 /"');
  });
});
