/**
 * Golden events recorded from the real Debezium 3.6.1.Final PostgreSQL connector (pgoutput,
 * JsonConverter with schemas, Kafka Connect 4.3.1; test/e2e/debezium/ runs the same stack). The
 * table, with REPLICA IDENTITY DEFAULT and every large column stored out of line:
 *
 *   CREATE TABLE toast_forms (id int PRIMARY KEY, counter int, da date[], ua uuid[], hs hstore, tx text, ia int[]);
 *   UPDATE toast_forms SET counter = 1 WHERE id = 1;   -- every other column unchanged TOAST
 *
 * The events are the record key and value byte for byte (fixtures/debezium-3.6.1-postgres-toast-*).
 * date[], uuid[] and hstore carry placeholder forms the decoder did not know before these events:
 * it turned them into 28 dates in 1970, a one-element uuid array and a JSON object, and the writer
 * stored those over the real values.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createDecoder } from '../../../src/cdc/decode.ts';
import { UNCHANGED } from '../../../src/cdc/types.ts';
import { upsertOf } from './single-column.ts';

function fixture(name: string): Buffer {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
}

function decodeFixture(valueFile: string, keyFile: string | null) {
  const decoder = createDecoder({ schemas: 'embedded' });
  return upsertOf(
    decoder.decode({
      topic: 'golden.public.toast_forms',
      partition: 0,
      offset: 1n,
      key: keyFile === null ? null : fixture(keyFile),
      value: fixture(valueFile),
    }),
  );
}

describe('real Debezium 3.6.1 TOAST placeholders (pgoutput, REPLICA IDENTITY DEFAULT)', () => {
  it('hstore as JSON (the default), date[], uuid[], text and int[] placeholders all decode to UNCHANGED', () => {
    const event = decodeFixture('debezium-3.6.1-postgres-toast-update.value.json', 'debezium-3.6.1-postgres-toast-update.key.json');
    assert.equal(event.op, 'u');
    assert.deepEqual([...event.key], [['id', 1]]);
    assert.equal(event.row.get('counter'), 1);
    for (const column of ['da', 'ua', 'hs', 'tx', 'ia']) {
      assert.equal(event.row.get(column), UNCHANGED, `${column} is unchanged TOAST`);
    }
    const types = Object.fromEntries(event.schema.columns.map((column) => [column.name, column.type.kind]));
    assert.deepEqual(types, { id: 'int32', counter: 'int32', da: 'array', ua: 'array', hs: 'json', tx: 'string', ia: 'array' });
  });

  it('hstore as a map (hstore.handling.mode=map): {placeholder: placeholder} decodes to UNCHANGED', () => {
    const event = decodeFixture('debezium-3.6.1-postgres-toast-update-hstore-map.value.json', null);
    assert.equal(event.row.get('counter'), 2);
    assert.equal(event.schema.columns.find((column) => column.name === 'hs')?.type.kind, 'struct');
    for (const column of ['da', 'ua', 'hs', 'tx', 'ia']) {
      assert.equal(event.row.get(column), UNCHANGED, `${column} is unchanged TOAST`);
    }
  });

  it('real values that resemble a placeholder form are kept', () => {
    const decoder = createDecoder({ schemas: 'embedded' });
    const text = fixture('debezium-3.6.1-postgres-toast-update.value.json').toString('utf8');
    // The same event with real values in the shapes of the forms: one date per byte value is a
    // different length, a different uuid, an hstore with another pair.
    const realValues = text
      .replace('"da":[95,95,', '"da":[95,')
      .replace('"ua":["b68a35a7-17ad-35b3-af2a-ae46edb4545a"]', '"ua":["b68a35a7-17ad-35b3-af2a-ae46edb4545b"]')
      .replace('"hs":"{\\"__debezium_unavailable_value\\":\\"__debezium_unavailable_value\\"}"', '"hs":"{\\"__debezium_unavailable_value\\":\\"x\\"}"');
    assert.notEqual(realValues, text);
    const event = upsertOf(
      decoder.decode({ topic: 'golden.public.toast_forms', partition: 0, offset: 2n, key: null, value: Buffer.from(realValues) }),
    );
    assert.equal((event.row.get('da') as readonly unknown[]).length, 27);
    assert.equal((event.row.get('da') as readonly unknown[])[0], '1970-04-06');
    assert.deepEqual(event.row.get('ua'), ['b68a35a7-17ad-35b3-af2a-ae46edb4545b']);
    assert.equal(event.row.get('hs'), '{"__debezium_unavailable_value":"x"}');
  });
});

/**
 * CREATE TABLE infinite_times (id int PRIMARY KEY, ts3 timestamp(3), ts timestamp, tstz timestamptz, tstz3 timestamptz(3));
 * INSERT INTO infinite_times VALUES (1, 'infinity', 'infinity', 'infinity', 'infinity'), (2, '-infinity', '-infinity', '-infinity', '-infinity');
 * Snapshot events of the real connector. timestamp(3) is io.debezium.time.Timestamp (milliseconds):
 * its infinity marker is the microsecond one divided by 1000, which the decoder did not know; it
 * became the year 294247, which PostgreSQL refused (the rows were dead-lettered).
 */
describe('real Debezium 3.6.1 infinite timestamps', () => {
  it('timestamp(3) and timestamp ±infinity decode to infinity / -infinity; timestamptz passes its text', () => {
    const decoder = createDecoder({ schemas: 'embedded' });
    const decode = (file: string) =>
      upsertOf(decoder.decode({ topic: 'goldeninf.public.infinite_times', partition: 0, offset: 0n, key: null, value: fixture(file) }));
    const positive = decode('debezium-3.6.1-postgres-infinite-timestamps-1.value.json');
    const negative = decode('debezium-3.6.1-postgres-infinite-timestamps-2.value.json');
    assert.deepEqual(Object.fromEntries(positive.row), { id: 1, ts3: 'infinity', ts: 'infinity', tstz: 'infinity', tstz3: 'infinity' });
    assert.deepEqual(Object.fromEntries(negative.row), { id: 2, ts3: '-infinity', ts: '-infinity', tstz: '-infinity', tstz3: '-infinity' });
  });
});

/**
 * CREATE TABLE dinf (id int PRIMARY KEY, d date, da date[]);
 * (1, 'infinity', '{infinity,2000-01-01}'), (2, '-infinity', '{-infinity}') read by the snapshot,
 * (3, 'infinity', '{infinity}'), (4, '-infinity', '{-infinity}') inserted while streaming.
 * Debezium sends overflowed day counts (a different one per path) that the decoder turned into
 * dates about 1.7 million or 5.9 million years BC, which PostgreSQL refuses.
 */
describe('real Debezium 3.6.1 infinite dates', () => {
  it('date and date[] ±infinity decode to infinity / -infinity in snapshot and streaming events', () => {
    const decoder = createDecoder({ schemas: 'embedded' });
    const rows = ['snapshot-infinity', 'snapshot-minus-infinity', 'streaming-infinity', 'streaming-minus-infinity'].map((name) =>
      Object.fromEntries(
        upsertOf(decoder.decode({ topic: 'probed.public.dinf', partition: 0, offset: 0n, key: null, value: fixture(`debezium-3.6.1-postgres-infinite-date-${name}.value.json`) })).row,
      ),
    );
    assert.deepEqual(rows, [
      { id: 1, d: 'infinity', da: ['infinity', '2000-01-01'] },
      { id: 2, d: '-infinity', da: ['-infinity'] },
      { id: 3, d: 'infinity', da: ['infinity'] },
      { id: 4, d: '-infinity', da: ['-infinity'] },
    ]);
  });
});
