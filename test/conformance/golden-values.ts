/**
 * Golden values: one column per logical type of src/cdc/types.ts (plus arrays of several
 * element types), and rows that hit each type's awkward edges. Every destination must read back
 * exactly these values, modulo the canonical forms of canonical.ts.
 */
import type { Value } from '../../src/cdc/types.ts';
import { column, tableSchema } from './batches.ts';

export const goldenSchema = tableSchema(
  [
    column('id', { kind: 'int32' }, false),
    column('boolean', { kind: 'boolean' }),
    column('int8', { kind: 'int8' }),
    column('int16', { kind: 'int16' }),
    column('int32', { kind: 'int32' }),
    column('int64', { kind: 'int64' }),
    column('float32', { kind: 'float32' }),
    column('float64', { kind: 'float64' }),
    column('decimal_38_10', { kind: 'decimal', precision: 38, scale: 10 }),
    column('decimal_scale_0', { kind: 'decimal', precision: 20, scale: 0 }),
    column('decimal_no_precision', { kind: 'decimal', scale: 3 }),
    column('variable_decimal', { kind: 'variable-decimal' }),
    column('string', { kind: 'string' }),
    column('enum', { kind: 'enum', allowed: ['red', 'green with space', 'ünï'] }),
    column('uuid', { kind: 'uuid' }),
    column('json', { kind: 'json' }),
    column('xml', { kind: 'xml' }),
    column('bytes', { kind: 'bytes' }),
    column('bits', { kind: 'bits', length: 12 }),
    column('date', { kind: 'date' }),
    column('time_micros', { kind: 'time', precision: 6 }),
    column('time_millis', { kind: 'time', precision: 3 }),
    column('timetz', { kind: 'timetz' }),
    column('timestamp_micros', { kind: 'timestamp', precision: 6 }),
    column('timestamp_millis', { kind: 'timestamp', precision: 3 }),
    column('timestamptz', { kind: 'timestamptz' }),
    column('interval', { kind: 'interval' }),
    column('struct', { kind: 'struct' }),
    column('array_int32', { kind: 'array', element: { kind: 'int32' } }),
    column('array_int64', { kind: 'array', element: { kind: 'int64' } }),
    column('array_string', { kind: 'array', element: { kind: 'string' } }),
    column('array_decimal', { kind: 'array', element: { kind: 'variable-decimal' } }),
    column('array_float64', { kind: 'array', element: { kind: 'float64' } }),
    column('array_date', { kind: 'array', element: { kind: 'date' } }),
    column('array_uuid', { kind: 'array', element: { kind: 'uuid' } }),
    column('array_bytes', { kind: 'array', element: { kind: 'bytes' } }),
  ],
  ['id'],
);

const hostileText = [
  'tab\there',
  'newline\nand CRLF\r\n',
  'back\\slash and \\N and \\.',
  '\\.',
  `quotes ' and " and ''`,
  '',
  'NULL',
  'Ünïcödé ✓ 日本語 العربية',
  'emoji 😀🎉👩‍👩‍👧',
  '{braces},[brackets];semicolon|pipe',
];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Column name → values, one per row; rows are assembled by position (shorter lists repeat their last value). */
const goldenColumns: Readonly<Record<string, readonly Value[]>> = {
  boolean: [true, false],
  int8: [-128, 127, 0],
  int16: [-32768, 32767, 0],
  int32: [-2147483648, 2147483647, 0],
  int64: [INT64_MIN, INT64_MAX, 9007199254740993n, -9007199254740993n, 0n],
  float32: [Math.fround(3.4028234663852886e38), Math.fround(1.401298464324817e-45), -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Math.fround(0.1)],
  float64: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324, 1.7976931348623157e308, 0.1, -0, 1e21],
  decimal_38_10: ['1234567890123456789012345678.1234567890', '-0.0000000001', '0.0000000000', '-9999999999999999999999999999.9999999999'],
  decimal_scale_0: ['-99999999999999999999', '0', '12345678901234567890'],
  decimal_no_precision: ['1.500', '-0.001', '123456789012345678901234567890.123'],
  variable_decimal: [
    '3.14159265358979323846264338327950288419716939937510',
    '-1',
    '0.000001',
    '123456789012345678901234567890',
    '0',
    `-${'9'.repeat(120)}.${'0'.repeat(30)}1`,
  ],
  string: hostileText,
  enum: ['red', 'green with space', 'ünï'],
  uuid: ['123e4567-e89b-12d3-a456-426614174000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '00000000-0000-0000-0000-000000000000'],
  json: [
    '{"a": 1, "b": [true, null, 2.5], "u": "ünï 😀 日本", "esc": "tab\\t quote\\" back\\\\slash"}',
    '[]',
    '"just a string"',
    'null',
    '{"nested": {"deep": {"x": -1.5e-3}}, "big": 12345678901234}',
  ],
  xml: ['<a b="1">text &amp; more</a>', '<root><ünï>日本</ünï></root>'],
  bytes: [new Uint8Array([0, 1, 2, 255, 0]), new Uint8Array([0xc3, 0x28, 0xa0, 0xa1]), new Uint8Array([]), new Uint8Array([0x5c, 0x09, 0x0a, 0x0d])],
  bits: ['101000000101', '000000000000', '111111111111'],
  date: ['1969-07-20', '1900-01-01', '1600-02-29', '2038-01-19', '1970-01-01', '9999-12-31'],
  time_micros: ['00:00:00.000000', '23:59:59.999999', '12:34:56.000001'],
  time_millis: ['00:00:00.001', '23:59:59.999'],
  timetz: ['12:34:56.789Z', '00:00:00Z', '23:59:59.999999Z'],
  timestamp_micros: ['1969-12-31T23:59:59.999999', '2000-02-29T12:00:00.000001', '1900-01-01T00:00:00.000000', '1677-09-21T00:12:43.145224'],
  timestamp_millis: ['1970-01-01T00:00:00.001', '2262-04-11T23:47:16.854'],
  timestamptz: ['1969-12-31T23:59:59.999999Z', '2024-03-10T02:30:00.5Z', '1901-12-13T20:45:52Z', '2038-01-19T03:14:08.000001Z'],
  interval: ['P1Y2M3DT4H5M6.789S', 'PT0S', 'P-1Y-2M3DT-4H-5M-6.000001S', 'P10000D', 'PT1000000H'],
  struct: ['{"x": 1, "y": {"z": "w"}, "list": [1, 2]}', '{}'],
  array_int32: [[], [1, null, 3], [-2147483648, 2147483647]],
  array_int64: [[INT64_MAX, INT64_MIN, null], []],
  array_string: [['a,b', '"quoted"', 'back\\slash', null, 'NULL', '', '{braces}', 'tab\tand\nnewline', '😀'], [], [null]],
  array_decimal: [['1.5', '-0.001', '123456789012345678901234567890.5'], []],
  array_float64: [[Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0.1], []],
  array_date: [['1969-07-20', '2000-01-01'], []],
  array_uuid: [['123e4567-e89b-12d3-a456-426614174000'], []],
  array_bytes: [[new Uint8Array([0, 255]), null, new Uint8Array([0x5c, 0x22])], []],
};

export const goldenColumnNames: readonly string[] = Object.keys(goldenColumns);

/** Golden rows (ids 1..n) followed by one row whose every non-key column is NULL. */
export function goldenRows(): Record<string, Value>[] {
  const rowCount = Math.max(...Object.values(goldenColumns).map((values) => values.length));
  const rows: Record<string, Value>[] = [];
  for (let index = 0; index < rowCount; index += 1) {
    const row: Record<string, Value> = { id: index + 1 };
    for (const [name, values] of Object.entries(goldenColumns)) row[name] = values[Math.min(index, values.length - 1)] ?? null;
    rows.push(row);
  }
  const nullRow: Record<string, Value> = { id: rowCount + 1 };
  for (const name of Object.keys(goldenColumns)) nullRow[name] = null;
  rows.push(nullRow);
  return rows;
}
