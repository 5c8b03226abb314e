/**
 * Golden tests of the BigQuery type map (connectors/bigquery/type-map.ts): every logical type's
 * column type, and the load-file JSON of awkward values (64-bit integers and decimals as text,
 * non-finite floats and -0 as text, microsecond cuts, base64 bytes, arrays).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LogicalType, UNCHANGED } from '../../../src/cdc/types.ts';
import { isSinkError } from '../../../src/errors.ts';
import { bigQueryField, sqlType, stagingJson } from '../../../connectors/bigquery/type-map.ts';

const golden: readonly [LogicalType, string][] = [
  [{ kind: 'boolean' }, 'BOOL'],
  [{ kind: 'int8' }, 'INT64'],
  [{ kind: 'int16' }, 'INT64'],
  [{ kind: 'int32' }, 'INT64'],
  [{ kind: 'int64' }, 'INT64'],
  [{ kind: 'float32' }, 'FLOAT64'],
  [{ kind: 'float64' }, 'FLOAT64'],
  [{ kind: 'decimal', precision: 12, scale: 2 }, 'NUMERIC(12, 2)'],
  [{ kind: 'decimal', precision: 38, scale: 9 }, 'NUMERIC(38, 9)'],
  [{ kind: 'decimal', precision: 20, scale: 0 }, 'NUMERIC(20, 0)'],
  [{ kind: 'decimal', precision: 30, scale: 0 }, 'BIGNUMERIC(30, 0)'],
  [{ kind: 'decimal', precision: 38, scale: 10 }, 'BIGNUMERIC(38, 10)'],
  [{ kind: 'decimal', precision: 76, scale: 38 }, 'BIGNUMERIC(76, 38)'],
  [{ kind: 'decimal', precision: 80, scale: 2 }, 'STRING'],
  [{ kind: 'decimal', precision: 50, scale: 40 }, 'STRING'],
  [{ kind: 'decimal', scale: 3 }, 'BIGNUMERIC'],
  [{ kind: 'variable-decimal' }, 'STRING'],
  [{ kind: 'string' }, 'STRING'],
  [{ kind: 'enum' }, 'STRING'],
  [{ kind: 'uuid' }, 'STRING'],
  [{ kind: 'json' }, 'JSON'],
  [{ kind: 'xml' }, 'STRING'],
  [{ kind: 'bytes' }, 'BYTES'],
  [{ kind: 'bits', length: 12 }, 'STRING'],
  [{ kind: 'date' }, 'DATE'],
  [{ kind: 'time', precision: 6 }, 'TIME'],
  [{ kind: 'timetz' }, 'STRING'],
  [{ kind: 'timestamp', precision: 3 }, 'DATETIME'],
  [{ kind: 'timestamptz' }, 'TIMESTAMP'],
  [{ kind: 'interval' }, 'STRING'],
  [{ kind: 'struct' }, 'JSON'],
  [{ kind: 'array', element: { kind: 'int64' } }, 'ARRAY<INT64>'],
  [{ kind: 'array', element: { kind: 'decimal', precision: 10, scale: 2 } }, 'ARRAY<NUMERIC(10, 2)>'],
  [{ kind: 'array', element: { kind: 'array', element: { kind: 'int32' } } }, 'JSON'],
];

describe('BigQuery type map', () => {
  it('maps every logical type to its column type; decimals never to FLOAT64', () => {
    for (const [type, expected] of golden) assert.equal(sqlType(type), expected, JSON.stringify(type));
  });

  it('schema fields: REPEATED arrays, REQUIRED keys, NUMERIC parameters; staging keeps JSON as STRING and drops parameters', () => {
    assert.deepEqual(bigQueryField('a', { kind: 'array', element: { kind: 'date' } }), { name: 'a', type: 'DATE', mode: 'REPEATED' });
    assert.deepEqual(bigQueryField('id', { kind: 'int64' }, { required: true }), { name: 'id', type: 'INT64', mode: 'REQUIRED' });
    assert.deepEqual(bigQueryField('m', { kind: 'decimal', precision: 12, scale: 2 }), { name: 'm', type: 'NUMERIC', mode: 'NULLABLE', precision: '12', scale: '2' });
    assert.deepEqual(bigQueryField('m', { kind: 'decimal', precision: 12, scale: 2 }, { staging: true }), { name: 'm', type: 'NUMERIC', mode: 'NULLABLE' });
    assert.deepEqual(bigQueryField('j', { kind: 'json' }, { staging: true }), { name: 'j', type: 'STRING', mode: 'NULLABLE' });
  });

  it('load-file values: exact integers and decimals as text, floats exact, time cut to microseconds', () => {
    const cases: [LogicalType, unknown, unknown][] = [
      [{ kind: 'int64' }, 9007199254740993n, '9007199254740993'],
      [{ kind: 'int64' }, -(2n ** 63n), '-9223372036854775808'],
      [{ kind: 'int32' }, -2147483648, '-2147483648'],
      [{ kind: 'decimal', precision: 38, scale: 10 }, '-9999999999999999999999999999.9999999999', '-9999999999999999999999999999.9999999999'],
      [{ kind: 'float64' }, 0.1, 0.1],
      [{ kind: 'float64' }, 5e-324, 5e-324],
      [{ kind: 'float64' }, Number.NaN, 'NaN'],
      [{ kind: 'float64' }, Number.NEGATIVE_INFINITY, '-Infinity'],
      [{ kind: 'float64' }, -0, '-0'],
      [{ kind: 'boolean' }, false, false],
      [{ kind: 'bytes' }, new Uint8Array([0, 1, 255]), 'AAH/'],
      [{ kind: 'time', precision: 9 }, '12:34:56.123456789', '12:34:56.123456'],
      [{ kind: 'timestamp', precision: 9 }, '2020-01-02T03:04:05.123456789', '2020-01-02T03:04:05.123456'],
      [{ kind: 'timestamptz' }, '2024-03-10T02:30:00.5Z', '2024-03-10T02:30:00.5Z'],
      [{ kind: 'json' }, '{"a": 1}', '{"a": 1}'],
      [{ kind: 'array', element: { kind: 'int64' } }, [1n, -2n], ['1', '-2']],
      [{ kind: 'array', element: { kind: 'float64' } }, [Number.NaN, -0, 1.5], ['NaN', '-0', 1.5]],
      [{ kind: 'array', element: { kind: 'array', element: { kind: 'int64' } } }, [[1n], []], '[["1"],[]]'],
    ];
    for (const [type, value, expected] of cases) assert.deepEqual(stagingJson(type, value as never, 'c'), expected, `${JSON.stringify(type)} ${String(value)}`);
    assert.equal(stagingJson({ kind: 'string' }, null, 'c'), null);
    assert.equal(stagingJson({ kind: 'string' }, UNCHANGED, 'c'), null);
  });

  it('an array with a NULL element is refused as poison (BigQuery arrays cannot hold NULL)', () => {
    assert.throws(
      () => stagingJson({ kind: 'array', element: { kind: 'int32' } }, [1, null, 3], 'numbers'),
      (error: unknown) => isSinkError(error) && error.errorClass === 'poison' && /numbers/.test(error.message),
    );
  });
});
