import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalPostgresText, canonicalValueText } from '../../../src/loadgen/canonical-text.ts';
import { parseCopyLine } from '../../../src/loadgen/verify-postgres.ts';

describe('canonical text', () => {
  it('makes expected values and PostgreSQL text output meet', () => {
    const cases: [Parameters<typeof canonicalValueText>[0], Parameters<typeof canonicalValueText>[1], string][] = [
      [{ kind: 'decimal', scale: 2 }, '12.50', '12.5'],
      [{ kind: 'decimal', scale: 2 }, '-0.00', '0'],
      [{ kind: 'int64' }, 9_007_199_254_740_993n, '9007199254740993'],
      [{ kind: 'timestamptz' }, '2026-01-01T00:00:00.120000Z', '2026-01-01 02:00:00.12+02'],
      [{ kind: 'timestamptz' }, '2026-01-01T00:00:00.000000Z', '2025-12-31 19:00:00-05'],
      [{ kind: 'timestamp', precision: 6 }, '2026-01-01T10:11:12.500000', '2026-01-01 10:11:12.5'],
      [{ kind: 'json' }, '{"n": 1, "tag": "x"}', '{"tag": "x", "n": 1}'],
      [{ kind: 'bytes' }, Uint8Array.from([0, 255]), '\\x00ff'],
      [{ kind: 'boolean' }, true, 't'],
      [{ kind: 'float64' }, 1e21, '1e+21'],
      [{ kind: 'uuid' }, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'],
    ];
    for (const [type, value, postgresText] of cases) {
      assert.equal(canonicalValueText(type, value), canonicalPostgresText(type, postgresText), `${type.kind} ${String(value)}`);
    }
  });

  it('tells different values apart', () => {
    assert.notEqual(canonicalValueText({ kind: 'decimal', scale: 2 }, '12.50'), canonicalPostgresText({ kind: 'decimal', scale: 2 }, '12.51'));
    assert.notEqual(
      canonicalValueText({ kind: 'timestamptz' }, '2026-01-01T00:00:00.000001Z'),
      canonicalPostgresText({ kind: 'timestamptz' }, '2026-01-01 00:00:00+00'),
    );
    assert.equal(canonicalValueText({ kind: 'string' }, null), null);
    assert.notEqual(canonicalValueText({ kind: 'string' }, ''), null);
  });

  it('parses COPY text rows, escapes and NULLs', () => {
    assert.deepEqual(parseCopyLine('1\t\\N\ta\\tb\\nc\\\\d\t'), ['1', null, 'a\tb\nc\\d', '']);
  });
});
