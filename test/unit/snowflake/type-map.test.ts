/**
 * Golden tests of the Snowflake type map (connectors/snowflake/type-map.ts): the column type of
 * every logical type, and the staging text of the values whose exactness matters (int64 extremes,
 * wide decimals, non-finite floats, bytes, zoned times, arrays).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LogicalType, UNCHANGED } from '../../../src/cdc/types.ts';
import { StagingValueError } from '../../../connectors/snowflake/errors.ts';
import { snowflakeType, stagingCast, stagingText, utcTimeOfDay } from '../../../connectors/snowflake/type-map.ts';

const columnTypes: readonly [LogicalType, string][] = [
  [{ kind: 'boolean' }, 'BOOLEAN'],
  [{ kind: 'int8' }, 'NUMBER(3,0)'],
  [{ kind: 'int16' }, 'NUMBER(5,0)'],
  [{ kind: 'int32' }, 'NUMBER(10,0)'],
  [{ kind: 'int64' }, 'NUMBER(19,0)'],
  [{ kind: 'float32' }, 'FLOAT'],
  [{ kind: 'float64' }, 'FLOAT'],
  [{ kind: 'decimal', precision: 12, scale: 2 }, 'NUMBER(12,2)'],
  [{ kind: 'decimal', precision: 38, scale: 10 }, 'NUMBER(38,10)'],
  [{ kind: 'decimal', scale: 3 }, 'NUMBER(38,3)'],
  [{ kind: 'decimal', precision: 50, scale: 5 }, 'VARCHAR'],
  [{ kind: 'variable-decimal' }, 'VARCHAR'],
  [{ kind: 'string' }, 'VARCHAR'],
  [{ kind: 'string', maxLength: 10 }, 'VARCHAR'],
  [{ kind: 'enum', allowed: ['a'] }, 'VARCHAR'],
  [{ kind: 'uuid' }, 'VARCHAR'],
  [{ kind: 'json' }, 'VARIANT'],
  [{ kind: 'xml' }, 'VARCHAR'],
  [{ kind: 'bytes' }, 'BINARY'],
  [{ kind: 'bits', length: 12 }, 'VARCHAR'],
  [{ kind: 'date' }, 'DATE'],
  [{ kind: 'time', precision: 3 }, 'TIME(3)'],
  [{ kind: 'time', precision: 6 }, 'TIME(6)'],
  [{ kind: 'time', precision: 9 }, 'TIME(9)'],
  [{ kind: 'timetz' }, 'TIME(9)'],
  [{ kind: 'timestamp', precision: 3 }, 'TIMESTAMP_NTZ(3)'],
  [{ kind: 'timestamp', precision: 6 }, 'TIMESTAMP_NTZ(6)'],
  [{ kind: 'timestamptz' }, 'TIMESTAMP_TZ(9)'],
  [{ kind: 'interval' }, 'VARCHAR'],
  [{ kind: 'struct' }, 'VARIANT'],
  [{ kind: 'array', element: { kind: 'int64' } }, 'ARRAY'],
];

describe('Snowflake type map', () => {
  for (const [type, expected] of columnTypes) {
    it(`${JSON.stringify(type)} → ${expected}`, () => assert.equal(snowflakeType(type), expected));
  }

  it('casts staging text to the column type', () => {
    assert.equal(stagingCast({ kind: 'int64' }, 'value[1]'), 'CAST(value[1]::VARCHAR AS NUMBER(19,0))');
    assert.equal(stagingCast({ kind: 'string' }, 'value[1]'), 'value[1]::VARCHAR');
    assert.equal(stagingCast({ kind: 'json' }, 'value[1]'), 'PARSE_JSON(value[1]::VARCHAR)');
    assert.equal(stagingCast({ kind: 'array', element: { kind: 'date' } }, 'value[1]'), 'CAST(PARSE_JSON(value[1]::VARCHAR) AS ARRAY)');
    assert.equal(stagingCast({ kind: 'bytes' }, 'value[1]'), "TO_BINARY(value[1]::VARCHAR, 'HEX')");
    assert.equal(stagingCast({ kind: 'timestamptz' }, 'value[1]'), 'CAST(value[1]::VARCHAR AS TIMESTAMP_TZ(9))');
  });

  it('keeps int64 and decimals exact as text', () => {
    assert.equal(stagingText({ kind: 'int64' }, -(2n ** 63n)), '-9223372036854775808');
    assert.equal(stagingText({ kind: 'int64' }, 2n ** 63n - 1n), '9223372036854775807');
    assert.equal(stagingText({ kind: 'int64' }, 9007199254740993n), '9007199254740993');
    assert.equal(stagingText({ kind: 'decimal', precision: 38, scale: 10 }, '-9999999999999999999999999999.9999999999'), '-9999999999999999999999999999.9999999999');
    assert.equal(stagingText({ kind: 'int32' }, -2147483648), '-2147483648');
  });

  it('writes floats as shortest round-trip text and the non-finite values Snowflake knows', () => {
    assert.equal(stagingText({ kind: 'float64' }, 0.1), '0.1');
    assert.equal(stagingText({ kind: 'float64' }, 5e-324), '5e-324');
    assert.equal(stagingText({ kind: 'float64' }, 1.7976931348623157e308), '1.7976931348623157e+308');
    assert.equal(stagingText({ kind: 'float64' }, Number.NaN), 'NaN');
    assert.equal(stagingText({ kind: 'float64' }, Number.POSITIVE_INFINITY), 'inf');
    assert.equal(stagingText({ kind: 'float64' }, Number.NEGATIVE_INFINITY), '-inf');
    assert.equal(stagingText({ kind: 'float32' }, -0), '-0');
  });

  it('writes bytes as hex, booleans as words, NULL and UNCHANGED as null', () => {
    assert.equal(stagingText({ kind: 'bytes' }, new Uint8Array([0, 1, 255])), '0001ff');
    assert.equal(stagingText({ kind: 'bytes' }, new Uint8Array([])), '');
    assert.equal(stagingText({ kind: 'boolean' }, false), 'false');
    assert.equal(stagingText({ kind: 'string' }, null), null);
    assert.equal(stagingText({ kind: 'string' }, UNCHANGED), null);
  });

  it('stores a zoned time of day as its UTC time', () => {
    assert.equal(stagingText({ kind: 'timetz' }, '12:34:56.789Z'), '12:34:56.789');
    assert.equal(utcTimeOfDay('01:30:00+02:00'), '23:30:00');
    assert.equal(utcTimeOfDay('23:00:00.5-01:30'), '00:30:00.5');
    assert.throws(() => utcTimeOfDay('25 o clock'), StagingValueError);
  });

  it('writes arrays as JSON with exact int64 digits, decimal strings and hex bytes', () => {
    assert.equal(stagingText({ kind: 'array', element: { kind: 'int64' } }, [2n ** 63n - 1n, null, -1n]), '[9223372036854775807,null,-1]');
    assert.equal(stagingText({ kind: 'array', element: { kind: 'variable-decimal' } }, ['1.50', '-0.001']), '["1.50","-0.001"]');
    assert.equal(
      stagingText({ kind: 'array', element: { kind: 'float64' } }, [Number.NaN, Number.POSITIVE_INFINITY, -0, 0.1]),
      '["NaN","Infinity",-0,0.1]',
    );
    assert.equal(stagingText({ kind: 'array', element: { kind: 'bytes' } }, [new Uint8Array([0x5c, 0x22]), null]), '["5c22",null]');
    assert.equal(stagingText({ kind: 'array', element: { kind: 'string' } }, ['a,b', '"q"', 'tab\t']), '["a,b","\\"q\\"","tab\\t"]');
    assert.equal(
      stagingText({ kind: 'array', element: { kind: 'array', element: { kind: 'int32' } } }, [[1, 2], []]),
      '[[1,2],[]]',
    );
  });

  it('refuses a value of the wrong representation as a staging error (poison)', () => {
    assert.throws(() => stagingText({ kind: 'bytes' }, 'not bytes'), StagingValueError);
    assert.throws(() => stagingText({ kind: 'array', element: { kind: 'int32' } }, 'x'), StagingValueError);
  });
});
