/**
 * Golden tests, one group per logical type. Expected values are computed in the test from their
 * definition (BigInt for decimals, Date.UTC for dates), not with the decoder's helpers; edge cases
 * come from Debezium's PostgreSQL fixtures (postgres_create_tables.ddl, AbstractRecordsProducerTest).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeError } from '../../../src/errors.ts';
import { base64, decimalWire, epochDay, RawJson, type SchemaJson, twosComplement } from './debezium-encoder.ts';
import { decodeColumn } from './single-column.ts';

const optional = (schema: Omit<SchemaJson, 'optional'>): SchemaJson => ({ ...schema, optional: true });

function decimalSchema(scale: number, precision?: number): SchemaJson {
  const parameters: Record<string, string> = { scale: String(scale) };
  if (precision !== undefined) parameters['connect.decimal.precision'] = String(precision);
  return optional({ type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters });
}

/** Decimal text of unscaled × 10^-scale, built digit by digit from a BigInt. */
function expectedDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString();
  let text: string;
  if (scale <= 0) text = digits === '0' ? '0' : digits + '0'.repeat(-scale);
  else {
    const padded = '0'.repeat(Math.max(0, scale + 1 - digits.length)) + digits;
    text = `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
  }
  return negative ? `-${text}` : text;
}

function assertMismatch(schema: SchemaJson, wire: Parameters<typeof decodeColumn>[1]): void {
  assert.throws(
    () => decodeColumn(schema, wire),
    (error: unknown) => error instanceof DecodeError && error.code === 'cdc.value_mismatch' && error.message.includes('"v"'),
  );
}

describe('Decimal (org.apache.kafka.connect.data.Decimal)', () => {
  const cases: [bigint, number][] = [
    [-1250n, 2], // -12.50
    [110n, 2], // Debezium fixture d DECIMAL(3,2) = 1.1 → 1.10
    [222200n, 4], // fixture n NUMERIC(6,4) = 22.22 → 22.2200
    [10n, 0], // fixture dzs DECIMAL(4) = 10
    [0n, 0],
    [-1n, 0],
    [5n, 2], // 0.05: leading zero
    [-5n, 3], // -0.005
    [127n, 1],
    [128n, 1], // needs a leading 0x00 byte
    [-128n, 1],
    [-129n, 1],
    [2n ** 63n, 2],
    [-(10n ** 37n) + 1n, 10], // numeric(38,10) at its limit, negative
    [10n ** 99n + 7n, 30], // huge precision
    [123n, -2], // negative scale → 12300
  ];
  for (const [unscaled, scale] of cases) {
    it(`${unscaled} at scale ${scale} → ${expectedDecimal(unscaled, scale)}`, () => {
      const decoded = decodeColumn(decimalSchema(scale, 38), base64(twosComplement(unscaled)));
      assert.equal(decoded.value, expectedDecimal(unscaled, scale));
      assert.deepEqual(decoded.column.type, { kind: 'decimal', scale, precision: 38 });
    });
  }

  it('decimal text built by the encoder round-trips (precision from connect.decimal.precision)', () => {
    const decoded = decodeColumn(decimalSchema(2, 12), decimalWire('-9999999999.99', 2));
    assert.equal(decoded.value, '-9999999999.99');
    assert.deepEqual(decoded.column.type, { kind: 'decimal', scale: 2, precision: 12 });
  });

  it('without a precision parameter the type has none', () => {
    assert.deepEqual(decodeColumn(decimalSchema(3), decimalWire('1.5', 3)).column.type, { kind: 'decimal', scale: 3 });
  });

  it('decimal.format=NUMERIC: the literal is read exactly and written at the declared scale', () => {
    assert.equal(decodeColumn(decimalSchema(2), new RawJson('12.50')).value, '12.50');
    assert.equal(decodeColumn(decimalSchema(2), new RawJson('12.5')).value, '12.50');
    assert.equal(decodeColumn(decimalSchema(2), new RawJson('1.2E+3')).value, '1200.00');
    assert.equal(decodeColumn(decimalSchema(2), new RawJson('3')).value, '3.00');
    assert.equal(decodeColumn(decimalSchema(4), new RawJson('-12345678901234567890.1234')).value, '-12345678901234567890.1234');
    assertMismatch(decimalSchema(2), new RawJson('1.234'));
  });

  it('rejects bytes that are not base64', () => {
    assertMismatch(decimalSchema(2), 'not base64!');
  });
});

describe('VariableScaleDecimal', () => {
  const schema = optional({
    type: 'struct',
    name: 'io.debezium.data.VariableScaleDecimal',
    version: 1,
    fields: [
      { field: 'scale', type: 'int32', optional: false },
      { field: 'value', type: 'bytes', optional: false },
    ],
  });
  const cases: [bigint, number][] = [
    [101111n, 4], // fixture dvs 10.1111
    [22n, 0], // fixture nvs_int 22
    [-1n, 20],
    [12345678901234567890123456789012345678901234567890n, 25],
  ];
  for (const [unscaled, scale] of cases) {
    it(`{scale: ${scale}, value: ${unscaled}} → ${expectedDecimal(unscaled, scale)}`, () => {
      const decoded = decodeColumn(schema, { scale, value: base64(twosComplement(unscaled)) });
      assert.equal(decoded.value, expectedDecimal(unscaled, scale));
      assert.deepEqual(decoded.column.type, { kind: 'variable-decimal' });
    });
  }
  it('a struct without a scale is a mismatch', () => {
    assertMismatch(schema, { value: 'AQ==' });
  });
});

describe('integers', () => {
  const int64 = optional({ type: 'int64' });
  const bigintCases = [
    9_223_372_036_854_775_807n,
    -9_223_372_036_854_775_808n,
    9_223_372_036_854_775_806n,
    2n ** 53n + 1n,
    -(2n ** 53n) - 1n,
    2n ** 53n - 1n,
    1_234_567_890_123n, // fixture bi
    4_000_000_000n, // fixture o (oid)
    0n,
  ];
  for (const value of bigintCases) {
    it(`int64 ${value} stays exact`, () => {
      const decoded = decodeColumn(int64, value);
      assert.equal(decoded.value, value);
      assert.deepEqual(decoded.column.type, { kind: 'int64' });
    });
  }
  it('int64 outside the int64 range is a mismatch', () => {
    assertMismatch(int64, 9_223_372_036_854_775_808n);
  });
  it('int8, int16, int32 are numbers, range-checked', () => {
    assert.equal(decodeColumn(optional({ type: 'int8' }), -128).value, -128);
    assert.equal(decodeColumn(optional({ type: 'int16' }), 32_767).value, 32_767);
    assert.equal(decodeColumn(optional({ type: 'int32' }), 123_456).value, 123_456);
    assert.equal(decodeColumn(optional({ type: 'int32' }), -2_147_483_648).value, -2_147_483_648);
    assertMismatch(optional({ type: 'int16' }), 40_000);
    assertMismatch(optional({ type: 'int32' }), 1.5);
    assertMismatch(optional({ type: 'int32' }), '7');
  });
});

describe('floats and booleans', () => {
  it('float64 ("double") and float32 ("float") keep their values, NaN and ±Infinity from strings', () => {
    assert.equal(decodeColumn(optional({ type: 'double' }), 4.44).value, 4.44);
    assert.equal(decodeColumn(optional({ type: 'float' }), 3.3).value, 3.3);
    assert.deepEqual(decodeColumn(optional({ type: 'float' }), 3.3).column.type, { kind: 'float32' });
    assert.deepEqual(decodeColumn(optional({ type: 'double' }), 4).column.type, { kind: 'float64' });
    assert.ok(Number.isNaN(decodeColumn(optional({ type: 'double' }), 'NaN').value));
    assert.equal(decodeColumn(optional({ type: 'double' }), 'Infinity').value, Number.POSITIVE_INFINITY);
    assert.equal(decodeColumn(optional({ type: 'float' }), '-Infinity').value, Number.NEGATIVE_INFINITY);
    assert.equal(decodeColumn(optional({ type: 'double' }), new RawJson('1.7976931348623157E308')).value, Number.MAX_VALUE);
    assertMismatch(optional({ type: 'double' }), 'four');
  });
  it('boolean', () => {
    assert.equal(decodeColumn(optional({ type: 'boolean' }), true).value, true);
    assert.equal(decodeColumn(optional({ type: 'boolean' }), false).value, false);
    assertMismatch(optional({ type: 'boolean' }), 1);
  });
});

describe('dates', () => {
  const debeziumDate = optional({ type: 'int32', name: 'io.debezium.time.Date', version: 1 });
  const connectDate = optional({ type: 'int32', name: 'org.apache.kafka.connect.data.Date', version: 1 });
  const cases: [number, number, number, string][] = [
    [2016, 11, 4, '2016-11-04'], // fixture date
    [1970, 1, 1, '1970-01-01'],
    [1969, 12, 31, '1969-12-31'],
    [1936, 10, 25, '1936-10-25'],
    [1, 1, 1, '0001-01-01'],
    [2000, 2, 29, '2000-02-29'],
    [9999, 12, 31, '9999-12-31'],
    [21016, 11, 4, '+21016-11-04'], // years past 9999 as java.time prints them
  ];
  for (const [year, month, day, text] of cases) {
    it(`${text}`, () => {
      const days = epochDay(year, month, day);
      // Date.UTC maps years 0–99 to 1900–1999, so it only cross-checks the others.
      if (year >= 100) assert.equal(days, Date.UTC(year, month - 1, day) / 86_400_000);
      const decoded = decodeColumn(debeziumDate, days);
      assert.equal(decoded.value, text);
      assert.deepEqual(decoded.column.type, { kind: 'date' });
      assert.equal(decodeColumn(connectDate, days).value, text);
    });
  }
  it('year 0 and before print with a sign (proleptic ISO years)', () => {
    const date = new Date(0);
    date.setUTCFullYear(-1, 0, 1);
    assert.equal(decodeColumn(debeziumDate, Math.round(date.getTime() / 86_400_000)).value, '-0001-01-01');
  });
});

describe('times of day', () => {
  const msOfDay = (h: number, m: number, s: number, ms: number) => ((h * 60 + m) * 60 + s) * 1000 + ms;
  it('io.debezium.time.Time (ms) and org.apache.kafka.connect.data.Time', () => {
    const value = msOfDay(13, 51, 30, 123); // fixture tip '13:51:30.123'
    const decoded = decodeColumn(optional({ type: 'int32', name: 'io.debezium.time.Time', version: 1 }), value);
    assert.equal(decoded.value, '13:51:30.123');
    assert.deepEqual(decoded.column.type, { kind: 'time', precision: 3 });
    assert.equal(decodeColumn(optional({ type: 'int32', name: 'org.apache.kafka.connect.data.Time', version: 1 }), value).value, '13:51:30.123');
  });
  it('MicroTime, including 24:00:00 (fixture ttf)', () => {
    const schema = optional({ type: 'int64', name: 'io.debezium.time.MicroTime', version: 1 });
    assert.equal(decodeColumn(schema, BigInt(msOfDay(13, 51, 30, 0)) * 1000n).value, '13:51:30.000000');
    assert.equal(decodeColumn(schema, BigInt(msOfDay(0, 0, 0, 0)) * 1000n + 1n).value, '00:00:00.000001');
    assert.equal(decodeColumn(schema, 86_400_000_000n).value, '24:00:00.000000');
    assert.deepEqual(decodeColumn(schema, 0n).column.type, { kind: 'time', precision: 6 });
    assertMismatch(schema, 86_400_000_001n);
    assertMismatch(schema, -1n);
  });
  it('NanoTime', () => {
    const schema = optional({ type: 'int64', name: 'io.debezium.time.NanoTime', version: 1 });
    assert.equal(decodeColumn(schema, BigInt(msOfDay(23, 59, 59, 999)) * 1_000_000n + 999_999n).value, '23:59:59.999999999');
    assert.deepEqual(decodeColumn(schema, 1n).column.type, { kind: 'time', precision: 9 });
  });
  it('ZonedTime passes through (fixture ttz)', () => {
    const decoded = decodeColumn(optional({ type: 'string', name: 'io.debezium.time.ZonedTime', version: 1 }), '11:51:30.123789Z');
    assert.equal(decoded.value, '11:51:30.123789Z');
    assert.deepEqual(decoded.column.type, { kind: 'timetz' });
  });
});

describe('timestamps', () => {
  const micro = optional({ type: 'int64', name: 'io.debezium.time.MicroTimestamp', version: 1 });
  const milli = optional({ type: 'int64', name: 'io.debezium.time.Timestamp', version: 1 });
  const nano = optional({ type: 'int64', name: 'io.debezium.time.NanoTimestamp', version: 1 });
  const connect = optional({ type: 'int64', name: 'org.apache.kafka.connect.data.Timestamp', version: 1 });

  it('MicroTimestamp with microseconds (fixture ts 2016-11-04T13:51:30.123456)', () => {
    const micros = BigInt(Date.UTC(2016, 10, 4, 13, 51, 30, 123)) * 1000n + 456n;
    const decoded = decodeColumn(micro, micros);
    assert.equal(decoded.value, '2016-11-04T13:51:30.123456');
    assert.deepEqual(decoded.column.type, { kind: 'timestamp', precision: 6 });
  });
  it('before 1970 (fixture tsneg 1936-10-25T22:10:12.608) and one microsecond before the epoch', () => {
    assert.equal(decodeColumn(micro, BigInt(Date.UTC(1936, 9, 25, 22, 10, 12, 608)) * 1000n).value, '1936-10-25T22:10:12.608000');
    assert.equal(decodeColumn(micro, -1n).value, '1969-12-31T23:59:59.999999');
    assert.equal(decodeColumn(milli, -1).value, '1969-12-31T23:59:59.999');
  });
  it('year 21016 and the maximum PostgreSQL timestamp (fixtures ts_large, ts_max)', () => {
    const large = BigInt(Date.UTC(21016, 10, 4, 13, 51, 30)) * 1000n + 123_456n;
    assert.equal(decodeColumn(micro, large).value, '+21016-11-04T13:51:30.123456');
    assert.equal(decodeColumn(micro, 9_223_371_331_200_000_000n - 1n).value, '+294247-01-01T23:59:59.999999');
  });
  it('PostgreSQL ±infinity (the JDBC driver constants Debezium sends) → infinity text', () => {
    assert.equal(decodeColumn(micro, 9_223_372_036_825_200_000n).value, 'infinity');
    assert.equal(decodeColumn(micro, -9_223_372_036_832_400_000n).value, '-infinity');
  });
  it('Timestamp (ms), connect Timestamp and NanoTimestamp', () => {
    const ms = Date.UTC(2016, 10, 4, 13, 51, 30, 124);
    assert.equal(decodeColumn(milli, ms).value, '2016-11-04T13:51:30.124');
    assert.deepEqual(decodeColumn(milli, ms).column.type, { kind: 'timestamp', precision: 3 });
    assert.equal(decodeColumn(connect, ms).value, '2016-11-04T13:51:30.124');
    const nanos = BigInt(Date.UTC(2023, 10, 14, 22, 13, 20, 123)) * 1_000_000n + 456_789n;
    assert.equal(decodeColumn(nano, nanos).value, '2023-11-14T22:13:20.123456789');
    assert.deepEqual(decodeColumn(nano, nanos).column.type, { kind: 'timestamp', precision: 9 });
    assert.equal(decodeColumn(nano, -1n).value, '1969-12-31T23:59:59.999999999');
  });
  it('ZonedTimestamp passes through as sent (fixtures tz, tz_large, tz_pinf)', () => {
    const zoned = optional({ type: 'string', name: 'io.debezium.time.ZonedTimestamp', version: 1 });
    for (const text of ['2016-11-04T11:51:30.123456Z', '+21016-11-04T06:51:30.123456Z', 'infinity', '-infinity']) {
      assert.equal(decodeColumn(zoned, text).value, text);
    }
    assert.deepEqual(decodeColumn(zoned, 'infinity').column.type, { kind: 'timestamptz' });
  });
});

describe('intervals', () => {
  it('MicroDuration → ISO-8601 (fixture P1Y2M3DT4H5M6.78S at 365.25/12 days per month)', () => {
    // Debezium's MicroDuration.durationMicros(1, 2, 3, 4, 5, 6, 780000, 365.25 / 12)
    const days = (1 * 12 + 2) * (365.25 / 12) + 3; // 429.125
    const seconds = ((days * 24 + 4) * 60 + 5) * 60 + 6;
    const micros = BigInt(seconds) * 1_000_000n + 780_000n;
    const schema = optional({ type: 'int64', name: 'io.debezium.time.MicroDuration', version: 1 });
    const decoded = decodeColumn(schema, micros);
    assert.equal(decoded.value, 'P429DT7H5M6.78S');
    assert.deepEqual(decoded.column.type, { kind: 'interval' });
    assert.equal(decodeColumn(schema, 0n).value, 'PT0S');
    assert.equal(decodeColumn(schema, -90_000_000n).value, 'PT-1M-30S');
  });
  it('Interval (interval.handling.mode=string) passes through', () => {
    const decoded = decodeColumn(optional({ type: 'string', name: 'io.debezium.time.Interval', version: 1 }), 'P1Y2M3DT4H5M6.78S');
    assert.equal(decoded.value, 'P1Y2M3DT4H5M6.78S');
    assert.deepEqual(decoded.column.type, { kind: 'interval' });
  });
});

describe('text-like logical types', () => {
  it('Json keeps the exact text (fixture j)', () => {
    const decoded = decodeColumn(optional({ type: 'string', name: 'io.debezium.data.Json', version: 1 }), '{"bar": "baz"}');
    assert.equal(decoded.value, '{"bar": "baz"}');
    assert.deepEqual(decoded.column.type, { kind: 'json' });
  });
  it('Uuid, Xml (fixture u, x)', () => {
    const uuid = decodeColumn(optional({ type: 'string', name: 'io.debezium.data.Uuid', version: 1 }), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    assert.equal(uuid.value, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    assert.deepEqual(uuid.column.type, { kind: 'uuid' });
    const xml = decodeColumn(optional({ type: 'string', name: 'io.debezium.data.Xml', version: 1 }), '<foo>bar</foo><foo>bar</foo>');
    assert.equal(xml.value, '<foo>bar</foo><foo>bar</foo>');
    assert.deepEqual(xml.column.type, { kind: 'xml' });
  });
  it('Enum carries its allowed values; EnumSet is text', () => {
    const decoded = decodeColumn(
      optional({ type: 'string', name: 'io.debezium.data.Enum', version: 1, parameters: { allowed: 'new,paid,shipped' } }),
      'paid',
    );
    assert.equal(decoded.value, 'paid');
    assert.deepEqual(decoded.column.type, { kind: 'enum', allowed: ['new', 'paid', 'shipped'] });
    const set = decodeColumn(optional({ type: 'string', name: 'io.debezium.data.EnumSet', version: 1, parameters: { allowed: 'a,b,c' } }), 'a,c');
    assert.equal(set.value, 'a,c');
    assert.deepEqual(set.column.type, { kind: 'string' });
  });
  it('strings keep every character; the source column type becomes sourceType and maxLength', () => {
    const text = 'žš "quoted" \\ back\nslash \u0000 😀';
    assert.equal(decodeColumn(optional({ type: 'string' }), text).value, text);
    const decoded = decodeColumn(
      optional({
        type: 'string',
        parameters: { '__debezium.source.column.type': 'VARCHAR', '__debezium.source.column.length': '2', '__debezium.source.column.scale': '0' },
      }),
      'bb',
    );
    assert.equal(decoded.column.sourceType, 'VARCHAR');
    assert.deepEqual(decoded.column.type, { kind: 'string', maxLength: 2 });
  });
});

describe('Bits (fixture bitbin_table)', () => {
  const bits = (length: number, sourceType?: string): SchemaJson =>
    optional({
      type: 'bytes',
      name: 'io.debezium.data.Bits',
      version: 1,
      parameters: sourceType === undefined ? { length: String(length) } : { length: String(length), '__debezium.source.column.type': sourceType },
    });
  const cases: [number, number[], string][] = [
    [2, [3], '11'], // bs '11'::bit(2)
    [7, [64], '1000000'], // bs7 '1'::bit(7)
    [2, [], '00'], // bv '00'::bit(2)
    [24, [1, 2, 3], '000000110000001000000001'], // bv2
    [64, [0, 0, 0, 0, 0, 0, 0, 128], `1${'0'.repeat(63)}`], // bvl
    [2_147_483_647, [5], '101'], // bvunlimited1
    [2_147_483_647, [1, 2, 35, 218, 1], '111011010001000110000001000000001'], // bvunlimited2
  ];
  for (const [length, bytes, text] of cases) {
    it(`length ${length}, bytes [${bytes}] → ${text}`, () => {
      const decoded = decodeColumn(bits(length), base64(Uint8Array.from(bytes)));
      assert.equal(decoded.value, text);
      assert.deepEqual(decoded.column.type, { kind: 'bits', length });
    });
  }
  it('VARBIT (by source type) is not padded to its declared length', () => {
    assert.equal(decodeColumn(bits(10, 'VARBIT'), base64(Uint8Array.from([5]))).value, '101');
  });
});

describe('bytes', () => {
  it('base64 → Uint8Array, empty included (fixture ba)', () => {
    const decoded = decodeColumn(optional({ type: 'bytes' }), base64(Uint8Array.from([1, 2, 3])));
    assert.deepEqual(decoded.value, Uint8Array.from([1, 2, 3]));
    assert.deepEqual(decoded.column.type, { kind: 'bytes' });
    assert.deepEqual(decodeColumn(optional({ type: 'bytes' }), '').value, new Uint8Array(0));
  });
});

describe('arrays', () => {
  it('int, bigint (beyond 2^53), text, date arrays with their element types (fixture array_table)', () => {
    const ints = decodeColumn(optional({ type: 'array', items: optional({ type: 'int32' }) }), [1, 2, 3]);
    assert.deepEqual(ints.value, [1, 2, 3]);
    assert.deepEqual(ints.column.type, { kind: 'array', element: { kind: 'int32' } });
    const bigints = decodeColumn(optional({ type: 'array', items: optional({ type: 'int64' }) }), [1_550_166_368_505_037_572n]);
    assert.deepEqual(bigints.value, [1_550_166_368_505_037_572n]);
    const texts = decodeColumn(optional({ type: 'array', items: optional({ type: 'string' }) }), ['one', 'two', 'three']);
    assert.deepEqual(texts.value, ['one', 'two', 'three']);
    const dateItems = optional({ type: 'int32', name: 'io.debezium.time.Date', version: 1 });
    const dates = decodeColumn(optional({ type: 'array', items: dateItems }), [epochDay(2016, 11, 4), epochDay(2016, 11, 5)]);
    assert.deepEqual(dates.value, ['2016-11-04', '2016-11-05']);
    assert.deepEqual(dates.column.type, { kind: 'array', element: { kind: 'date' } });
  });
  it('decimal elements, empty arrays, null elements and null arrays', () => {
    const decimals = decodeColumn(optional({ type: 'array', items: decimalSchema(2) }), [decimalWire('1.20', 2), decimalWire('-3.40', 2)]);
    assert.deepEqual(decimals.value, ['1.20', '-3.40']);
    assert.deepEqual(decodeColumn(optional({ type: 'array', items: optional({ type: 'int32' }) }), []).value, []);
    assert.deepEqual(decodeColumn(optional({ type: 'array', items: optional({ type: 'int32' }) }), [1, null, 3]).value, [1, null, 3]);
    assert.equal(decodeColumn(optional({ type: 'array', items: optional({ type: 'int32' }) }), null).value, null);
  });
});

describe('structs, maps and geometry → JSON text', () => {
  it('Point (fixture geom_table p = (1,1))', () => {
    const point = { x: 1, y: 1, wkb: 'AQEAAAAAAAAAAADwPwAAAAAAAPA/', srid: null };
    const schema = optional({
      type: 'struct',
      name: 'io.debezium.data.geometry.Point',
      version: 1,
      fields: [
        { field: 'x', type: 'double', optional: false },
        { field: 'y', type: 'double', optional: false },
        { field: 'wkb', type: 'bytes', optional: true },
        { field: 'srid', type: 'int32', optional: true },
      ],
    });
    const decoded = decodeColumn(schema, point);
    assert.deepEqual(JSON.parse(decoded.value as string), point);
    assert.deepEqual(decoded.column.type, { kind: 'struct' });
  });
  it('a struct holding an integer beyond 2^53 keeps its digits', () => {
    const schema = optional({ type: 'struct', fields: [{ field: 'n', type: 'int64', optional: false }] });
    assert.equal(decodeColumn(schema, { n: 9_007_199_254_740_993n }).value, '{"n":9007199254740993}');
  });
  it('hstore as map', () => {
    const schema = optional({ type: 'map', keys: { type: 'string', optional: false }, values: optional({ type: 'string' }) });
    assert.deepEqual(JSON.parse(decodeColumn(schema, { key1: 'val1', key2: null }).value as string), { key1: 'val1', key2: null });
  });
});

describe('optional and required columns', () => {
  it('null in an optional column is null; in a required column a mismatch', () => {
    assert.equal(decodeColumn(optional({ type: 'string' }), null).value, null);
    assertMismatch({ type: 'string', optional: false }, null);
  });
});
