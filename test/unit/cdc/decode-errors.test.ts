/**
 * Undecodable records raise DecodeError with a distinct, stable code per cause, on the first record
 * of a topic (no cached schema yet) and after the schema is cached (the fast path).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDecoder, type Decoder } from '../../../src/cdc/decode.ts';
import { DecodeError } from '../../../src/errors.ts';
import { changeRecord, converterJson, type EncodedRecord, field, type TableSpec } from './debezium-encoder.ts';

const table: TableSpec = {
  prefix: 'poison',
  schema: 'public',
  table: 'items',
  key: ['id'],
  columns: [field('id', { type: 'int64', optional: false }), field('qty', { type: 'int32', optional: true }), field('name', { type: 'string', optional: true })],
};
const stamp = { tsMs: 1_700_000_000_000, lsn: 1n, txId: 1n };
const good = (): EncodedRecord => changeRecord(table, { id: 1n }, { op: 'c', after: { id: 1n, qty: 2, name: 'ok' }, stamp });

function replaceInValue(record: EncodedRecord, from: string, to: string): EncodedRecord {
  const text = record.value!.toString('latin1');
  assert.ok(text.includes(from), `the record contains ${from}`);
  return { ...record, value: Buffer.from(text.replace(from, to), 'latin1') };
}

function withRawBytes(record: EncodedRecord, marker: string, bytes: number[]): EncodedRecord {
  const value = record.value!;
  const at = value.lastIndexOf(marker);
  assert.ok(at > 0);
  return { ...record, value: Buffer.concat([value.subarray(0, at), Buffer.from(bytes), value.subarray(at + marker.length)]) };
}

const poison: Record<string, () => EncodedRecord> = {
  'cdc.malformed_json': () => ({ ...good(), value: good().value!.subarray(0, good().value!.length - 40) }),
  'cdc.invalid_utf8': () => withRawBytes(good(), 'ok', [0x6f, 0xff, 0xfe]),
  'cdc.value_mismatch': () => replaceInValue(good(), '"qty":2', '"qty":"two"'),
  'cdc.unknown_op': () => replaceInValue(good(), '"op":"c"', '"op":"x"'),
  'cdc.invalid_schema': () => replaceInValue(good(), '"type":"int32"', '"type":"int128"'),
  'cdc.not_change_event': () => ({ ...good(), value: converterJson(null, [1, 2, 3], false) }),
  'cdc.missing_row': () => changeRecord(table, { id: 1n }, { op: 'c', stamp }),
  // On another topic: a decoder that has seen this topic's key would take the key from `before`.
  'cdc.missing_key': () => ({
    ...changeRecord({ ...table, table: 'keyless' }, { id: 1n }, { op: 'd', before: { id: 1n, qty: null, name: null }, stamp }),
    key: null,
  }),
  'cdc.invalid_key': () => ({ ...good(), key: Buffer.from('{"schema":{"type":"string","optional":false},"payload":"k"}') }),
};

function expectCode(decoder: Decoder, record: EncodedRecord, code: string): DecodeError {
  let caught: unknown;
  try {
    decoder.decode(record);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DecodeError, `expected DecodeError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.message.length > 10);
  return caught;
}

describe('DecodeError codes', () => {
  for (const [code, build] of Object.entries(poison)) {
    it(`${code} on a fresh decoder and after the schema is cached`, () => {
      expectCode(createDecoder(), build(), code);
      const warm = createDecoder();
      assert.equal(warm.decode(good()).kind, 'change');
      expectCode(warm, build(), code);
      // The decoder keeps working after the poison record.
      assert.equal(warm.decode(good()).kind, 'change');
    });
  }

  it('the codes are distinct, and messages name what is wrong', () => {
    assert.equal(new Set(Object.keys(poison)).size, Object.keys(poison).length);
    const mismatch = expectCode(createDecoder(), poison['cdc.value_mismatch']!(), 'cdc.value_mismatch');
    assert.match(mismatch.message, /"qty"/);
    const op = expectCode(createDecoder(), poison['cdc.unknown_op']!(), 'cdc.unknown_op');
    assert.match(op.message, /"x"/);
  });

  it('invalid UTF-8 in the key is reported for the key', () => {
    const record = { ...good(), key: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]) };
    const error = expectCode(createDecoder(), record, 'cdc.invalid_utf8');
    assert.match(error.message, /key/);
  });

  it("schemas: 'embedded' rejects a bare payload", () => {
    const bare = changeRecord(table, { id: 1n }, { op: 'c', after: { id: 1n }, stamp }, false);
    expectCode(createDecoder({ schemas: 'embedded' }), bare, 'cdc.not_change_event');
  });
});
