/**
 * The BigQuery naming rule (connectors/bigquery/statements.ts): valid names are kept, others are
 * cleaned and suffixed with a hash of the original so distinct source names never collide, and
 * limits and BigQuery's case-insensitive column names are respected. Also identifier quoting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { column } from '../../conformance/batches.ts';
import { columnNames, datasetName, quoteIdentifier, tableName } from '../../../connectors/bigquery/statements.ts';

describe('BigQuery names', () => {
  it('keeps valid names and cleans others with a hash of the original', () => {
    assert.equal(tableName('orders'), 'orders');
    assert.equal(tableName('with space'), 'with space');
    assert.equal(tableName('ünïcödé 日本'), 'ünïcödé 日本');
    assert.match(tableName('we"ird'), /^we_ird_[0-9a-f]{8}$/);
    assert.notEqual(tableName('a;b'), tableName('a:b'));
    assert.match(datasetName('public'), /^public$/);
    assert.match(datasetName('ns "hostile"; DROP SCHEMA x; --'), /^ns__hostile___DROP_SCHEMA_x_____[0-9a-f]{8}$/);
    assert.match(tableName('_sluice_stage_x'), /_[0-9a-f]{8}$/, 'names of staging tables are never used for targets');
  });

  it('respects length limits without splitting characters', () => {
    const long = `table_${'é'.repeat(600)}`;
    const name = tableName(long);
    assert.ok(Buffer.byteLength(name) <= 1024);
    assert.match(name, /_[0-9a-f]{8}$/);
    const columns = columnNames([column(`c_${'x'.repeat(400)}`, { kind: 'string' })]);
    assert.ok((columns[0] ?? '').length <= 300);
  });

  it('columns: only letters, digits and underscore, no leading digit or reserved prefix, unique ignoring case', () => {
    const names = columnNames(
      ['id', '"quoted"', 'col with space', '9lives', '_PARTITIONTIME', '_CHANGE_TYPE', 'MiXeD', 'mixed', 'select'].map((name) => column(name, { kind: 'string' })),
    );
    assert.equal(names[0], 'id');
    assert.match(names[1] ?? '', /^_quoted__[0-9a-f]{8}$/);
    assert.match(names[2] ?? '', /^col_with_space_[0-9a-f]{8}$/);
    assert.match(names[3] ?? '', /^_9lives_[0-9a-f]{8}$/);
    assert.match(names[4] ?? '', /^c_PARTITIONTIME_[0-9a-f]{8}$/);
    assert.match(names[5] ?? '', /^c_CHANGE_TYPE_[0-9a-f]{8}$/);
    assert.equal(names[6], 'MiXeD');
    assert.match(names[7] ?? '', /^mixed_[0-9a-f]{8}$/);
    assert.equal(names[8], 'select');
    assert.equal(new Set(names.map((name) => name.toLowerCase())).size, names.length);
  });

  it('quotes identifiers with backticks, escaping backslash and backtick', () => {
    assert.equal(quoteIdentifier('a`b\\c'), '`a\\`b\\\\c`');
  });
});
