/** PostgreSQL writer pure logic: COPY encoding, identifier quoting, SQL builders, error classes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UNCHANGED, type Value } from '../../../src/cdc/types.ts';
import { StagedBatch } from '../../../connectors/postgres/staging.ts';
import { classifyPostgresError } from '../../../connectors/postgres/errors.ts';
import { InvalidIdentifierError, quoteIdentifier, upsertGroupSql } from '../../../connectors/postgres/statements.ts';
import { UnencodableValueError, copyField, postgresType } from '../../../connectors/postgres/type-map.ts';

describe('postgres COPY encoding', () => {
  it('escapes text for COPY and keeps NULL distinct from the text \\N and the empty string', () => {
    assert.equal(copyField({ kind: 'string' }, 'a\tb\nc\rd\\e'), 'a\\tb\\nc\\rd\\\\e');
    assert.equal(copyField({ kind: 'string' }, '\\N'), '\\\\N');
    assert.equal(copyField({ kind: 'string' }, ''), '');
    assert.equal(copyField({ kind: 'string' }, null), '\\N');
    assert.equal(copyField({ kind: 'string' }, 'ü😀'), 'ü😀');
  });

  it('encodes numbers exactly', () => {
    assert.equal(copyField({ kind: 'int64' }, -(2n ** 63n)), '-9223372036854775808');
    assert.equal(copyField({ kind: 'float64' }, Number.NaN), 'NaN');
    assert.equal(copyField({ kind: 'float64' }, -0), '-0');
    assert.equal(copyField({ kind: 'float64' }, Number.NEGATIVE_INFINITY), '-Infinity');
    assert.equal(copyField({ kind: 'decimal', scale: 2 }, '-12.50'), '-12.50');
  });

  it('encodes bytea as hex with the backslash COPY-escaped', () => {
    assert.equal(copyField({ kind: 'bytes' }, new Uint8Array([0, 255, 0x5c])), '\\\\x00ff5c');
  });

  it('encodes arrays with quoted elements, NULL elements and nesting', () => {
    const strings = { kind: 'array', element: { kind: 'string' } } as const;
    assert.equal(copyField(strings, ['a"b', 'c\\d', null, 'NULL', '']), '{"a\\\\"b","c\\\\\\\\d",NULL,"NULL",""}');
    assert.equal(copyField(strings, []), '{}');
    const nested = { kind: 'array', element: { kind: 'array', element: { kind: 'int32' } } } as const;
    assert.equal(copyField(nested, [[1, 2], [3, null]]), '{{"1","2"},{"3",NULL}}');
    assert.equal(postgresType(nested), 'integer[]');
  });

  it('refuses values it cannot represent', () => {
    assert.throws(() => copyField({ kind: 'string' }, 'a\ud800'), UnencodableValueError);
    assert.throws(() => copyField({ kind: 'int32' }, 'x'), UnencodableValueError);
    assert.throws(() => copyField({ kind: 'int64' }, 2 ** 60), UnencodableValueError);
    assert.throws(() => copyField({ kind: 'string' }, UNCHANGED), UnencodableValueError);
  });
});

describe('postgres staging', () => {
  it('groups upserts by the columns they carry and stages deletes with key values only', () => {
    const schema = {
      columns: [
        { name: 'id', type: { kind: 'int32' }, optional: false },
        { name: 'a', type: { kind: 'string' }, optional: true },
        { name: 'b', type: { kind: 'string' }, optional: true },
      ],
      key: ['id'],
      fingerprint: 'f',
    } as const;
    const change = (kind: 'upsert' | 'delete', values: Record<string, Value>) => ({
      kind,
      key: new Map<string, Value>([['id', values.id ?? null]]),
      row: new Map(Object.entries(values)),
      version: 0n,
      origins: [],
      sourceTsMs: 0,
    });
    const staged = new StagedBatch({
      table: { namespace: null, name: 't' },
      schema,
      truncateFirst: false,
      truncateOrigins: [],
      changes: [
        change('upsert', { id: 1, a: 'x', b: 'y' }),
        change('upsert', { id: 2, a: 'x', b: UNCHANGED }),
        change('upsert', { id: 3, a: null }),
        change('delete', { id: 4 }),
        change('upsert', { id: 5, a: 'z', b: 'w' }),
      ],
    });
    const text = [...staged.chunks()].join('');
    assert.equal(text, '1\tx\ty\t0\n2\tx\t\\N\t1\n3\t\\N\t\\N\t1\n4\t\\N\t\\N\t-1\n5\tz\tw\t0\n');
    assert.deepEqual(
      staged.groups.map((group) => group.columns.map((column) => column.name)),
      [['id', 'a', 'b'], ['id', 'a']],
    );
    assert.equal(staged.deletes, 1);
  });
});

describe('postgres statements', () => {
  it('quotes identifiers and refuses ones PostgreSQL would truncate', () => {
    assert.equal(quoteIdentifier('"; DROP TABLE x; --'), '"""; DROP TABLE x; --"');
    assert.equal(quoteIdentifier('é'.repeat(31)), `"${'é'.repeat(31)}"`);
    assert.throws(() => quoteIdentifier('é'.repeat(32)), InvalidIdentifierError);
    assert.throws(() => quoteIdentifier(''), InvalidIdentifierError);
    assert.throws(() => quoteIdentifier('a\u0000b'), InvalidIdentifierError);
  });

  it('updates only the non-key columns of a presence group, or does nothing', () => {
    const key = [{ name: 'id', index: 0 }];
    assert.match(upsertGroupSql('"s"."t"', 'pg_temp.sluice_staging_1', key, [...key, { name: 'a"b', index: 2 }]), /DO UPDATE SET "a""b" = EXCLUDED\."a""b"$/);
    assert.match(upsertGroupSql('"s"."t"', 'pg_temp.sluice_staging_1', key, key), /DO NOTHING$/);
  });
});

describe('postgres error classification', () => {
  const classOf = (error: unknown) => classifyPostgresError(error).errorClass;
  const sql = (code: string) => Object.assign(new Error('server error'), { code });

  it('classifies by SQLSTATE', () => {
    assert.equal(classOf(sql('40001')), 'retryable');
    assert.equal(classOf(sql('40P01')), 'retryable');
    assert.equal(classOf(sql('55P03')), 'backpressure');
    assert.equal(classOf(sql('57014')), 'backpressure');
    assert.equal(classOf(sql('53300')), 'backpressure');
    assert.equal(classOf(sql('22003')), 'poison');
    assert.equal(classOf(sql('23505')), 'poison');
    assert.equal(classOf(sql('28P01')), 'fatal');
    assert.equal(classOf(sql('3D000')), 'fatal');
    assert.equal(classOf(sql('42501')), 'fatal');
    assert.equal(classOf(sql('08006')), 'retryable');
  });

  it('classifies client-side failures', () => {
    assert.equal(classOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), 'retryable');
    assert.equal(classOf(new Error('Connection terminated unexpectedly')), 'retryable');
    assert.equal(classOf(new Error('timeout exceeded when trying to connect')), 'backpressure');
    assert.equal(classOf(new TypeError('x is undefined')), 'fatal');
  });
});
