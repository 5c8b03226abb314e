/**
 * The row-effect audit of exactly-once runs (test/e2e/postgres-exactly-once.test.ts and the
 * kill fault), for any target database: a row trigger on each workload table appends (table,
 * op, key, md5 of the row image) to audit.row_effects in the writing transaction, so an image
 * applied twice (a replayed batch) shows as a duplicate (table, key, md5).
 */
import type pg from 'pg';
import { createTableSql, type Workload } from '../../src/loadgen/index.ts';
import { quoteIdentifier } from './cluster.ts';

const auditSql = `
CREATE SCHEMA audit;
CREATE TABLE audit.row_effects (
  id bigserial PRIMARY KEY,
  table_name text NOT NULL,
  op text NOT NULL,
  row_key text NOT NULL,
  row_md5 text NOT NULL
);
CREATE FUNCTION audit.record_effect() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  image jsonb := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END);
  key_text text := '';
BEGIN
  FOR i IN 0 .. TG_NARGS - 1 LOOP
    key_text := key_text || coalesce(image ->> TG_ARGV[i], '<null>') || '|';
  END LOOP;
  INSERT INTO audit.row_effects (table_name, op, row_key, row_md5) VALUES (TG_TABLE_NAME, TG_OP, key_text, md5(image::text));
  RETURN NULL;
END $$;
`;

/** Creates the workload's tables with the audit trigger on each. */
export async function installRowAudit(client: pg.Client, workload: Workload): Promise<void> {
  await client.query(auditSql);
  for (const table of workload.tableDefinitions()) {
    await client.query(createTableSql(table));
    const keyArguments = table.key.map((column) => `'${column.replaceAll("'", "''")}'`).join(', ');
    await client.query(
      `CREATE TRIGGER audit_effects AFTER INSERT OR UPDATE OR DELETE ON ${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)} FOR EACH ROW EXECUTE FUNCTION audit.record_effect(${keyArguments})`,
    );
  }
}

/** Audited effects, and row images an INSERT or UPDATE wrote more than once. */
export async function auditedDuplicates(client: pg.Client): Promise<{ effects: number; duplicateImages: number; samples: readonly Record<string, string>[] }> {
  const effects = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM audit.row_effects');
  const duplicates = await client.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM (SELECT 1 FROM audit.row_effects WHERE op IN ('INSERT', 'UPDATE') GROUP BY table_name, row_key, row_md5 HAVING count(*) > 1) AS twice`,
  );
  const samples = await client.query<Record<string, string>>(
    `SELECT table_name, row_key, string_agg(op || '#' || id, ',' ORDER BY id) AS effects FROM audit.row_effects
      WHERE (table_name, row_key) IN (SELECT table_name, row_key FROM audit.row_effects WHERE op IN ('INSERT', 'UPDATE') GROUP BY table_name, row_key, row_md5 HAVING count(*) > 1 LIMIT 5)
      GROUP BY table_name, row_key`,
  );
  return { effects: Number(effects.rows[0]?.n ?? 0), duplicateImages: Number(duplicates.rows[0]?.n ?? 0), samples: samples.rows };
}
