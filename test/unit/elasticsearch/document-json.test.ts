/** Lossless document JSON and the raw JSON reader (connectors/elasticsearch/document-json.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UNCHANGED, type Value } from '../../../src/cdc/types.ts';
import { encodeDocument, encodeValue, isPartialRow, rawArrayElements, rawObjectMembers, UnencodableValueError } from '../../../connectors/elasticsearch/document-json.ts';
import { column, tableSchema } from '../../conformance/batches.ts';

const schema = tableSchema(
  [column('id', { kind: 'int64' }, false), column('doc', { kind: 'json' }), column('note', { kind: 'string' }), column('f', { kind: 'float64' })],
  ['id'],
);

describe('elasticsearch document JSON', () => {
  it('writes values without passing integers through floats', () => {
    assert.equal(encodeValue(2n ** 63n - 1n, { kind: 'int64' }), '9223372036854775807');
    assert.equal(encodeValue(-0, { kind: 'float64' }), '-0');
    assert.equal(encodeValue(Number.NaN, { kind: 'float64' }), '"NaN"');
    assert.equal(encodeValue(Number.NEGATIVE_INFINITY, { kind: 'float32' }), '"-Infinity"');
    assert.equal(encodeValue('1.50', { kind: 'decimal', scale: 2 }), '"1.50"');
    assert.equal(encodeValue(new Uint8Array([255, 0]), { kind: 'bytes' }), '"/wA="');
    assert.equal(encodeValue([1n, null, -2n], { kind: 'array', element: { kind: 'int64' } }), '[1,null,-2]');
    assert.equal(encodeValue('{"big": 12345678901234567890,\n "s": "a\\nb"}', { kind: 'json' }), '{"big": 12345678901234567890,  "s": "a\\nb"}');
    assert.throws(() => encodeValue('{not json', { kind: 'json' }), UnencodableValueError);
  });

  it('produces one line per document whatever the strings contain', () => {
    const text = encodeDocument(schema, new Map<string, Value>([['id', 1n], ['note', 'line\nbreak\u2028'], ['doc', '{\n"a": 1\n}'], ['f', 0.1]]), null);
    assert.ok(!/[\n\r]/.test(text));
    assert.deepEqual(JSON.parse(text), { id: 1, doc: { a: 1 }, note: 'line\nbreak\u2028', f: 0.1 });
  });

  it('fills unchanged and absent columns from the stored raw fields, else null', () => {
    const row = new Map<string, Value>([['id', 1n], ['note', UNCHANGED], ['f', 2.5]]);
    assert.ok(isPartialRow(schema, row));
    const kept = new Map([['note', '"kept text"'], ['doc', '{"n":98765432109876543210}']]);
    assert.equal(encodeDocument(schema, row, kept), '{"id":1,"doc":{"n":98765432109876543210},"note":"kept text","f":2.5}');
    assert.equal(encodeDocument(schema, row, null), '{"id":1,"doc":null,"note":null,"f":2.5}');
    assert.ok(!isPartialRow(schema, new Map<string, Value>([['id', 1n], ['doc', null], ['note', 'x'], ['f', 1]])));
  });

  it('splits raw JSON into member texts without rounding numbers', () => {
    const members = rawObjectMembers(' {"a" : 12345678901234567890123, "b":{"x":[1,"]}"]}, "c":"q\\"}", "d": [ ] , "e":-1.5e-7 } ');
    assert.deepEqual([...members], [
      ['a', '12345678901234567890123'],
      ['b', '{"x":[1,"]}"]}'],
      ['c', '"q\\"}"'],
      ['d', '[ ]'],
      ['e', '-1.5e-7'],
    ]);
    assert.deepEqual(rawArrayElements('[1, {"a":[2]}, "x,y", null]'), ['1', '{"a":[2]}', '"x,y"', 'null']);
    assert.deepEqual(rawArrayElements('[]'), []);
    assert.deepEqual([...rawObjectMembers('{}')], []);
    assert.throws(() => rawObjectMembers('{"a":1'), SyntaxError);
  });
});
