/** The Snowflake writer's SQL: quoting, the staging layout and the shape of the one MERGE. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColumnSchema } from '../../../src/cdc/types.ts';
import {
  createTableSql,
  loadStagingSql,
  mergeSql,
  qualifiedName,
  quoteIdentifier,
  stageName,
  stagingLayout,
} from '../../../connectors/snowflake/statements.ts';

const columns: ColumnSchema[] = [
  { name: 'id', type: { kind: 'int64' }, optional: false },
  { name: 'Name "x"', type: { kind: 'string' }, optional: true },
  { name: 'doc', type: { kind: 'json' }, optional: true },
];
const target = { database: 'DB', schema: 'sales"; --', name: 'orders' };

describe('Snowflake statements', () => {
  it('quotes identifiers, doubling embedded quotes', () => {
    assert.equal(quoteIdentifier('we"ird'), '"we""ird"');
    assert.equal(qualifiedName(target), '"DB"."sales""; --"."orders"');
  });

  it('creates tables with NOT NULL keys, a primary key and optional soft-delete columns', () => {
    assert.equal(
      createTableSql(target, columns, ['id'], true),
      'CREATE TABLE IF NOT EXISTS "DB"."sales""; --"."orders" ("id" NUMBER(19,0) NOT NULL, "Name ""x""" VARCHAR, "doc" VARIANT, "__sluice_deleted" BOOLEAN, "__sluice_synced_at" TIMESTAMP_TZ(9), PRIMARY KEY ("id"))',
    );
  });

  it('gives presence flags only to columns some upsert did not send', () => {
    const layout = stagingLayout(columns, ['id'], new Set(['doc']));
    assert.deepEqual(
      layout.columns.map((staged) => [staged.column.name, staged.cell, staged.presenceCell]),
      [
        ['id', 1, null],
        ['Name "x"', 2, null],
        ['doc', 3, 4],
      ],
    );
    assert.equal(layout.width, 5);
    assert.equal(
      loadStagingSql(stageName('__sluice_stage'), layout),
      'INSERT INTO "__sluice_stage" ("__sluice_op", "c1", "c2", "c3", "p4") SELECT value[0]::VARCHAR, CAST(value[1]::VARCHAR AS NUMBER(19,0)), value[2]::VARCHAR, PARSE_JSON(value[3]::VARCHAR), CAST(value[4]::VARCHAR AS BOOLEAN) FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?)))',
    );
  });

  it('merges inserts, updates (keeping unsent columns) and deletes in one statement', () => {
    const layout = stagingLayout(columns, ['id'], new Set(['doc']));
    const sql = mergeSql(target, stageName('__sluice_stage'), layout, false);
    assert.equal(
      sql,
      'MERGE INTO "DB"."sales""; --"."orders" AS t USING (SELECT s."__sluice_op" AS "__sluice_op", s."c1" AS "c1", s."c2" AS "c2", IFF(s."p4", s."c3", t."doc") AS "c3" FROM "__sluice_stage" AS s LEFT JOIN "DB"."sales""; --"."orders" AS t ON t."id" = s."c1") AS s ON t."id" = s."c1" ' +
        `WHEN MATCHED AND s."__sluice_op" = 'd' THEN DELETE ` +
        `WHEN MATCHED AND s."__sluice_op" = 'u' THEN UPDATE SET t."Name ""x""" = s."c2", t."doc" = s."c3" ` +
        `WHEN NOT MATCHED AND s."__sluice_op" = 'u' THEN INSERT ("id", "Name ""x""", "doc") VALUES (s."c1", s."c2", s."c3")`,
    );
  });

  it('marks rows deleted instead of deleting them in soft-delete mode', () => {
    const sql = mergeSql(target, stageName('__sluice_stage'), stagingLayout(columns, ['id'], new Set()), true);
    assert.match(sql, /WHEN MATCHED AND s\."__sluice_op" = 'd' THEN UPDATE SET t\."__sluice_deleted" = TRUE, t\."__sluice_synced_at" = CURRENT_TIMESTAMP\(\)/);
    assert.doesNotMatch(sql, /THEN DELETE/);
    assert.match(sql, /INSERT \("id", "Name ""x""", "doc", "__sluice_deleted", "__sluice_synced_at"\) VALUES \(s\."c1", s\."c2", s\."c3", FALSE, CURRENT_TIMESTAMP\(\)\)/);
  });

  it('omits the update clause for a table that has only key columns', () => {
    const keyOnly = stagingLayout([columns[0] as ColumnSchema], ['id'], new Set());
    assert.doesNotMatch(mergeSql(target, stageName('s'), keyOnly, false), /UPDATE SET/);
  });
});
