/**
 * Debezium's unavailable-value placeholder in every form decodes to UNCHANGED, never to the text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UNCHANGED } from '../../../src/cdc/types.ts';
import { base64, type SchemaJson } from './debezium-encoder.ts';
import { decodeColumn } from './single-column.ts';

const PLACEHOLDER = '__debezium_unavailable_value';
const placeholderBytes = Buffer.from(PLACEHOLDER, 'utf8');
const optional = (schema: Omit<SchemaJson, 'optional'>): SchemaJson => ({ ...schema, optional: true });

describe('TOAST placeholders', () => {
  it('text, json, xml and enum columns: the placeholder string', () => {
    for (const schema of [
      optional({ type: 'string' }),
      optional({ type: 'string', name: 'io.debezium.data.Json', version: 1 }),
      optional({ type: 'string', name: 'io.debezium.data.Xml', version: 1 }),
      optional({ type: 'string', name: 'io.debezium.data.Enum', version: 1, parameters: { allowed: 'a,b' } }),
    ]) {
      assert.equal(decodeColumn(schema, PLACEHOLDER).value, UNCHANGED, schema.name ?? schema.type);
    }
  });

  it('bytea, Decimal and Bits columns: base64 of the placeholder bytes', () => {
    const wire = base64(placeholderBytes);
    assert.equal(wire, 'X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==');
    for (const schema of [
      optional({ type: 'bytes' }),
      optional({ type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '2' } }),
      optional({ type: 'bytes', name: 'io.debezium.data.Bits', version: 1, parameters: { length: '8' } }),
    ]) {
      assert.equal(decodeColumn(schema, wire).value, UNCHANGED, schema.name ?? schema.type);
    }
  });

  it('text arrays: [placeholder]; int and bigint arrays: the placeholder bytes as numbers', () => {
    const textArray = optional({ type: 'array', items: optional({ type: 'string' }) });
    assert.equal(decodeColumn(textArray, [PLACEHOLDER]).value, UNCHANGED);
    const numbers = [...placeholderBytes];
    assert.equal(decodeColumn(optional({ type: 'array', items: optional({ type: 'int32' }) }), numbers).value, UNCHANGED);
    const asBigints = numbers.map((byte) => BigInt(byte));
    assert.equal(decodeColumn(optional({ type: 'array', items: optional({ type: 'int64' }) }), asBigints).value, UNCHANGED);
  });

  it('a real array that merely contains the placeholder among other values is kept', () => {
    const textArray = optional({ type: 'array', items: optional({ type: 'string' }) });
    assert.deepEqual(decodeColumn(textArray, ['a', PLACEHOLDER]).value, ['a', PLACEHOLDER]);
    assert.deepEqual(decodeColumn(optional({ type: 'array', items: optional({ type: 'int32' }) }), [95, 95]).value, [95, 95]);
  });

  it('a configured placeholder replaces the default', () => {
    const options = { unavailableValuePlaceholder: '<toast>' };
    assert.equal(decodeColumn(optional({ type: 'string' }), '<toast>', options).value, UNCHANGED);
    assert.equal(decodeColumn(optional({ type: 'string' }), PLACEHOLDER, options).value, PLACEHOLDER);
    assert.equal(decodeColumn(optional({ type: 'bytes' }), base64(Buffer.from('<toast>')), options).value, UNCHANGED);
  });
});
