/**
 * Golden equivalence: the same change events as JsonConverter JSON and as Confluent Avro (the
 * AvroConverter's form of the same Connect data, avro-transcoder.ts) decode to identical results —
 * values, LogicalTypes, TableSchema fingerprints, keys, previous keys, source info, skips and
 * error codes. Only sizeBytes (the raw record size) differs by format.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createAvroDecoder } from '../../../src/cdc/avro/avro-decoder.ts';
import { SchemaStore } from '../../../src/cdc/avro/schema-store.ts';
import { createDecoder, type DecodeInput } from '../../../src/cdc/decode.ts';
import type { DecodeResult } from '../../../src/cdc/types.ts';
import { DecodeError } from '../../../src/errors.ts';
import { createWorkload, SHAPES } from '../../../src/loadgen/index.ts';
import { AvroTranscoder } from './avro-transcoder.ts';
import { base64, changeRecord, decimalWire, epochDay, field, type TableSpec, twosComplement } from './debezium-encoder.ts';

const SEED = Number(process.env['SLUICE_TEST_SEED'] ?? 1313);

type Outcome = { readonly result: DecodeResult } | { readonly error: string };

function outcome(decode: () => DecodeResult): Outcome {
  try {
    const result = decode();
    if (result.kind === 'change') return { result: { kind: 'change', event: { ...result.event, sizeBytes: 0 } } as DecodeResult };
    return { result };
  } catch (error) {
    if (error instanceof DecodeError) return { error: error.code };
    throw error;
  }
}

class Pair {
  /** jsonKeys: values in Avro, keys left as the JsonConverter wrote them (key.converter=json). */
  constructor(private readonly jsonKeys = false) {}
  readonly transcoder = new AvroTranscoder();
  readonly json = createDecoder({ schemas: 'embedded' });
  readonly avro = createAvroDecoder({ schemas: new SchemaStore(this.transcoder.registry) });
  compared = 0;
  /** 'change:<kind>', 'skip:<reason>' or the DecodeError code of each compared record. */
  readonly outcomes: string[] = [];

  async check(record: DecodeInput, context: string): Promise<void> {
    const key = this.jsonKeys ? record.key : this.transcoder.transcode(record.key);
    const avroRecord: DecodeInput = { ...record, key, value: this.transcoder.transcode(record.value) };
    await this.avro.prepare([avroRecord]);
    const expected = outcome(() => this.json.decode(record));
    assert.deepEqual(outcome(() => this.avro.decode(avroRecord)), expected, context);
    this.compared++;
    this.outcomes.push('error' in expected ? expected.error : expected.result.kind === 'change' ? `change:${expected.result.event.kind}` : `skip:${expected.result.reason}`);
  }
}

describe(`Avro decodes to the same values as JSON (seed ${SEED})`, () => {
  it(`a load-generator workload over ${SHAPES.join('/')} (toast, key changes, truncates, snapshot)`, async () => {
    const workload = createWorkload({
      seed: SEED,
      tables: [...SHAPES],
      events: 1_500,
      partitions: 1,
      schemasEnabled: true,
      snapshotRowsPerTable: 5,
      mix: { insert: 4, update: 4, delete: 1, keyChange: 0.5, truncate: 0.02 },
    });
    const pair = new Pair();
    let offset = 0n;
    for (const record of workload.records()) await pair.check({ ...record, offset: offset++ }, `record ${offset - 1n} of ${record.table}`);
    const counts = new Map<string, number>();
    for (const kind of pair.outcomes) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    for (const kind of ['change:upsert', 'change:delete', 'change:truncate', 'skip:tombstone']) assert.ok((counts.get(kind) ?? 0) > 0, `no ${kind} compared`);
    // One schema per table for values and one for keys: fetched once each, then cached by id.
    assert.equal(pair.transcoder.registry.fetches, pair.transcoder.registry.byId.size);
  });

  it('Avro values with JSON keys (key.converter left at JsonConverter) over every table shape', async () => {
    const workload = createWorkload({ seed: SEED + 1, tables: [...SHAPES], events: 400, partitions: 1, schemasEnabled: true, mix: { insert: 4, update: 4, delete: 1, keyChange: 0.5, truncate: 0.02 } });
    const pair = new Pair(true);
    let offset = 0n;
    for (const record of workload.records()) await pair.check({ ...record, offset: offset++ }, `record ${offset - 1n} of ${record.table}`);
    assert.ok(pair.outcomes.includes('change:delete') && pair.outcomes.includes('change:upsert'));
  });

  it("real Debezium 3.6.1 events (TOAST placeholders, hstore as map)", async () => {
    const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
    const pair = new Pair();
    const key = fixture('debezium-3.6.1-postgres-toast-update.key.json');
    for (const value of ['debezium-3.6.1-postgres-toast-update.value.json', 'debezium-3.6.1-postgres-toast-update-hstore-map.value.json']) {
      await pair.check({ topic: 'dbserver1.public.toasty', partition: 0, offset: 1n, key, value: fixture(value), timestamp: 1 }, value);
    }
  });

  it('every Debezium logical type, nulls, big int64 and a key change', async () => {
    const spec: TableSpec = {
      prefix: 'golden',
      schema: 'public',
      table: 'types',
      key: ['id'],
      columns: [
        field('id', { type: 'int64', optional: false }),
        field('small', { type: 'int16', optional: true }),
        field('tiny', { type: 'int8', optional: true }),
        field('real', { type: 'float', optional: true }),
        field('dec', { type: 'bytes', optional: true, name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '2', 'connect.decimal.precision': '12' } }),
        field('vdec', {
          type: 'struct',
          optional: true,
          name: 'io.debezium.data.VariableScaleDecimal',
          version: 1,
          fields: [field('scale', { type: 'int32', optional: false }), field('value', { type: 'bytes', optional: false })],
        }),
        field('day', { type: 'int32', optional: true, name: 'io.debezium.time.Date', version: 1 }),
        field('t_ms', { type: 'int32', optional: true, name: 'io.debezium.time.Time', version: 1 }),
        field('t_us', { type: 'int64', optional: true, name: 'io.debezium.time.MicroTime', version: 1 }),
        field('ts_ms', { type: 'int64', optional: true, name: 'io.debezium.time.Timestamp', version: 1 }),
        field('ts_us', { type: 'int64', optional: true, name: 'io.debezium.time.MicroTimestamp', version: 1 }),
        field('ts_ns', { type: 'int64', optional: true, name: 'io.debezium.time.NanoTimestamp', version: 1 }),
        field('tstz', { type: 'string', optional: true, name: 'io.debezium.time.ZonedTimestamp', version: 1 }),
        field('ttz', { type: 'string', optional: true, name: 'io.debezium.time.ZonedTime', version: 1 }),
        field('dur', { type: 'int64', optional: true, name: 'io.debezium.time.MicroDuration', version: 1 }),
        field('doc', { type: 'string', optional: true, name: 'io.debezium.data.Json', version: 1 }),
        field('uid', { type: 'string', optional: true, name: 'io.debezium.data.Uuid', version: 1 }),
        field('mood', { type: 'string', optional: true, name: 'io.debezium.data.Enum', version: 1, parameters: { allowed: 'sad,ok,happy' } }),
        field('flags', { type: 'bytes', optional: true, name: 'io.debezium.data.Bits', version: 1, parameters: { length: '10' } }),
        field('tags', { type: 'array', optional: true, items: { type: 'string', optional: true } }),
        field('amounts', { type: 'array', optional: true, items: { type: 'bytes', optional: true, name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '1' } } }),
        field('blob', { type: 'bytes', optional: true }),
        field('note', { type: 'string', optional: true }),
      ],
    };
    const full = {
      id: 9_007_199_254_740_993n,
      small: -32_768,
      tiny: 127,
      real: 1.5,
      dec: decimalWire('-12345.67', 2),
      vdec: { scale: 3, value: base64(twosComplement(-1_234_567n)) },
      day: epochDay(2024, 2, 29),
      t_ms: 45_296_789,
      t_us: 45_296_789_012n,
      ts_ms: 1_709_164_800_123n,
      ts_us: 9_223_372_036_825_200_000n,
      ts_ns: 1_709_164_800_123_456_789n,
      tstz: '2024-02-29T00:00:00.123456Z',
      ttz: '13:14:15.5Z',
      dur: -37_065_789_000_000n,
      doc: '{"a": [1, 2.50, {"b": null}]}',
      uid: '5f0e3b54-5c0a-4f3e-9f4e-0a1b2c3d4e5f',
      mood: 'happy',
      flags: base64(Uint8Array.from([0b1010_0101, 0b10])),
      tags: ['a', null, 'ç'],
      amounts: [decimalWire('1.5', 1), null],
      blob: base64(Uint8Array.from([0, 255, 7])),
      note: '__debezium_unavailable_value',
    };
    const nulls = Object.fromEntries(Object.keys(full).map((name) => [name, name === 'id' ? 8n : null]));
    const pair = new Pair();
    const stamp = { tsMs: 1_709_164_800_000, lsn: 33_554_432n, txId: 777n };
    await pair.check(changeRecord(spec, { id: full.id }, { op: 'c', after: full, stamp }), 'all types');
    await pair.check(changeRecord(spec, { id: 8n }, { op: 'r', after: nulls, stamp: { ...stamp, snapshot: 'last' } }), 'all null');
    await pair.check(changeRecord(spec, { id: 10n }, { op: 'u', before: { ...full, id: 8n }, after: { ...full, id: 10n }, stamp }), 'key change');
    await pair.check(changeRecord(spec, { id: 10n }, { op: 'd', before: { ...full, id: 10n }, stamp }), 'delete');
    await pair.check(changeRecord(spec, null, { op: 'd', before: { ...nulls, id: 8n }, stamp }), 'keyless delete');
    await pair.check(changeRecord(spec, null, { op: 't', stamp }), 'truncate');
    await pair.check(changeRecord(spec, { id: 11n }, { op: 'c', after: { ...full, id: 11n, t_ms: 90_000_000 }, stamp }), 'value mismatch (time past midnight)');
    await pair.check(changeRecord(spec, { id: 12n }, { op: 'x', after: full, stamp }), 'unknown op');
    await pair.check(changeRecord(spec, { id: 13n }, { op: 'c', after: null, stamp }), 'create without after');
    assert.deepEqual(pair.outcomes, [
      'change:upsert',
      'change:upsert',
      'change:upsert',
      'change:delete',
      'change:delete',
      'change:truncate',
      'cdc.value_mismatch',
      'cdc.unknown_op',
      'cdc.missing_row',
    ]);
  });

  it('envelope rules before and after a key is known: keyless delete, truncate, logical-decoding message', async () => {
    const spec: TableSpec = {
      prefix: 'rules',
      schema: 'public',
      table: 'accounts',
      key: ['id'],
      columns: [field('id', { type: 'int64', optional: false }), field('owner', { type: 'string', optional: true })],
    };
    const pair = new Pair();
    const stamp = { tsMs: 1_709_164_800_000, lsn: 9_007_199_254_740_993n, txId: 5n };
    await pair.check(changeRecord(spec, null, { op: 'd', before: { id: 1n, owner: 'a' }, stamp }), 'keyless delete, no key known yet');
    await pair.check(changeRecord(spec, null, { op: 't', stamp }), 'truncate, no key known yet');
    await pair.check(changeRecord(spec, { id: 1n }, { op: 'm', stamp }), 'logical decoding message in a change envelope');
    await pair.check(changeRecord(spec, { id: 2n }, { op: 'c', after: { id: 2n, owner: 'b' }, stamp: { ...stamp, snapshot: 'false' } }), 'create');
    await pair.check(changeRecord(spec, null, { op: 'd', before: { id: 2n, owner: 'b' }, stamp }), 'keyless delete, key known');
    await pair.check(changeRecord(spec, null, { op: 't', stamp }), 'truncate, key known');
    await pair.check(changeRecord(spec, { id: 3n }, { op: 'u', before: null, after: { id: 3n, owner: null }, stamp }), 'update without before');
    assert.deepEqual(pair.outcomes, ['cdc.missing_key', 'change:truncate', 'skip:other', 'change:upsert', 'change:delete', 'change:truncate', 'change:upsert']);
  });
});
