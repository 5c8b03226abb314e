/** The conformance suite's canonical forms: equal for textual variants, different for different values. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { LogicalType, Value } from '../../../src/cdc/types.ts';
import { canonical } from '../../conformance/canonical.ts';

const same = (type: LogicalType, a: Value, b: Value) => assert.equal(canonical(type, a), canonical(type, b), `${String(a)} ~ ${String(b)}`);
const differ = (type: LogicalType, a: Value, b: Value) => assert.notEqual(canonical(type, a), canonical(type, b), `${String(a)} !~ ${String(b)}`);

it('canonical forms absorb representation differences only', () => {
  same({ kind: 'decimal', scale: 2 }, '1.50', '1.5');
  same({ kind: 'decimal', scale: 2 }, '-0.00', '0');
  differ({ kind: 'decimal', scale: 2 }, '1.5', '15');
  same({ kind: 'timestamptz' }, '2024-01-01T00:00:00Z', '2024-01-01 02:00:00+02');
  same({ kind: 'timestamptz' }, '1969-12-31T23:59:59.999999Z', '1969-12-31 23:59:59.999999+00');
  differ({ kind: 'timestamptz' }, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000001Z');
  same({ kind: 'timestamp', precision: 6 }, '2000-01-01T10:00:00.5', '2000-01-01 10:00:00.500000');
  same({ kind: 'timetz' }, '23:30:00Z', '01:30:00+02');
  same({ kind: 'interval' }, 'P1Y2M3DT4H5M6.789S', 'P14M3DT14706.789S');
  differ({ kind: 'interval' }, 'P1M', 'P30D');
  same({ kind: 'interval' }, 'PT-0.5S', 'PT-0.500000S');
  same({ kind: 'json' }, '{"b": 1, "a": [1, 2]}', '{"a":[1,2],"b":1}');
  differ({ kind: 'json' }, 'null', null);
  same({ kind: 'uuid' }, 'ABCDEF00-0000-0000-0000-000000000000', 'abcdef00-0000-0000-0000-000000000000');
  same({ kind: 'int64' }, 2n ** 63n - 1n, '9223372036854775807');
  same({ kind: 'float32' }, 0.1, Math.fround(0.1));
  differ({ kind: 'float64' }, 0, -0);
  same({ kind: 'array', element: { kind: 'decimal', scale: 1 } }, ['1.0', null], ['1', null]);
  differ({ kind: 'array', element: { kind: 'string' } }, [null], []);
  differ({ kind: 'string' }, '', null);
});
