/**
 * verifyPostgres against a real PostgreSQL: a target loaded with exactly the expected state
 * compares equal (whatever the column order); a changed, a deleted and an extra row are each
 * found and described; a target mapping is honoured.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Value } from '../../../src/cdc/types.ts';
import { createTableSql, quoteIdent, type TableDefinition } from '../../../src/loadgen/table-definition.ts';
import { verifyPostgres } from '../../../src/loadgen/verify-postgres.ts';
import { createWorkload } from '../../../src/loadgen/workload.ts';
import { createUniqueDatabase, startServices, type TestDatabase } from '../../support/services.ts';

function parameter(value: Value): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value);
  return value;
}

async function load(client: pg.Client, table: TableDefinition, rows: Iterable<ReadonlyMap<string, Value>>, schema: string): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  await client.query(createTableSql(table, { schema, table: table.name }));
  const names = table.columns.map((column) => quoteIdent(column.name)).join(', ');
  const placeholders = table.columns.map((_, index) => `$${index + 1}`).join(', ');
  const sql = `INSERT INTO ${quoteIdent(schema)}.${quoteIdent(table.name)} (${names}) VALUES (${placeholders})`;
  for (const row of rows) await client.query(sql, table.columns.map((column) => parameter(row.get(column.name) ?? null)));
}

describe('verifyPostgres on a real PostgreSQL', () => {
  let database: TestDatabase;
  let client: pg.Client;
  const workload = createWorkload({
    seed: 'verify',
    tables: ['measurements', 'narrow', 'wide', 'toasty', 'composite'],
    events: 1500,
    partitions: 2,
    mix: { insert: 4, update: 3, delete: 1, keyChange: 1, truncate: 0 },
  });
  for (const _record of workload.records());
  const expected = workload.expectedState();

  before(async () => {
    await startServices();
    database = await createUniqueDatabase('loadgen_verify');
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query('BEGIN');
    for (const table of workload.tableDefinitions()) await load(client, table, expected.get(table.name)!.values(), 'public');
    await client.query('COMMIT');
  });

  after(async () => {
    await client?.end();
    await database?.drop();
  });

  it('finds a target loaded with the expected state equal', async () => {
    const report = await verifyPostgres({ client, workload });
    assert.deepEqual(report.samples, []);
    assert.equal(report.equal, true);
    assert.equal(report.tables.length, 5);
    for (const table of report.tables) assert.equal(table.actualRows, expected.get(table.table)!.size);
  });

  it('reports a changed, a missing and an extra row with readable details', async () => {
    const [firstKey, secondKey] = [...expected.get('measurements')!.keys()];
    await client.query(`UPDATE public.measurements SET amount = COALESCE(amount, 0) + 0.01, status = 'tampered' WHERE id = $1`, [firstKey]);
    await client.query('DELETE FROM public.measurements WHERE id = $1', [secondKey]);
    await client.query(`INSERT INTO public.measurements (id, name) VALUES (999999999, 'intruder')`);
    const report = await verifyPostgres({ client, tables: workload.tableDefinitions(), expected });
    assert.equal(report.equal, false);
    assert.deepEqual([report.different, report.missing, report.extra], [1, 1, 1]);
    const changed = report.samples.find((sample) => sample.kind === 'different');
    assert.equal(changed?.key, firstKey);
    assert.deepEqual(
      changed?.columns?.map((column) => column.column),
      ['amount', 'status'],
    );
    assert.equal(changed?.columns?.[1]?.actual, 'tampered');
    assert.ok(report.samples.some((sample) => sample.kind === 'missing' && sample.key === secondKey));
    assert.ok(report.samples.some((sample) => sample.kind === 'extra' && sample.key === '999999999'));
  });

  it('follows a target name mapping', async () => {
    const composite = workload.tableDefinitions().find((table) => table.name === 'composite')!;
    await load(client, composite, expected.get('composite')!.values(), 'Target Schema');
    const report = await verifyPostgres({
      client,
      tables: [composite],
      expected,
      target: (table) => ({ schema: 'Target Schema', table: table.name }),
    });
    assert.equal(report.equal, true);
    assert.equal(report.tables[0]?.target, 'Target Schema.composite');
  });
});
