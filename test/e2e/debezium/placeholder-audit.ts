/**
 * A witness in the target database for "a TOAST placeholder never reaches a target row", even for
 * a moment: an event trigger gives every table sluice creates a BEFORE INSERT OR UPDATE row
 * trigger that records any row whose JSON form contains one of Debezium's placeholder forms
 * (text, bytea as hex, the int/bigint/date array byte values, the uuid[] form). The final
 * comparison would catch a placeholder that stayed; this also catches one overwritten later.
 */
import type pg from 'pg';
import { toastPlaceholders } from '../../../src/cdc/toast.ts';

const AUDIT_SCHEMA = 'sluice_placeholder_audit';

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The strings whose presence in row_to_json(NEW)::text marks a placeholder. */
export function placeholderNeedles(placeholder = '__debezium_unavailable_value'): string[] {
  const forms = toastPlaceholders(placeholder);
  return [placeholder, Buffer.from(placeholder, 'utf8').toString('hex'), forms.numberArray.slice(0, 10).join(','), forms.uuid];
}

export async function installPlaceholderAudit(target: pg.Client): Promise<void> {
  const needles = placeholderNeedles();
  const test = needles.map((needle) => `strpos(row_text, ${literal(needle)}) > 0`).join(' OR ');
  await target.query(`
    CREATE SCHEMA ${AUDIT_SCHEMA};
    CREATE TABLE ${AUDIT_SCHEMA}.seen (table_name text NOT NULL, operation text NOT NULL, row_text text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
    CREATE FUNCTION ${AUDIT_SCHEMA}.check_row() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE row_text text := row_to_json(NEW)::text;
    BEGIN
      IF ${test} THEN
        INSERT INTO ${AUDIT_SCHEMA}.seen (table_name, operation, row_text) VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, TG_OP, left(row_text, 2000));
      END IF;
      RETURN NEW;
    END $fn$;
    CREATE FUNCTION ${AUDIT_SCHEMA}.attach() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
    DECLARE created record;
    BEGIN
      FOR created IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' AND object_type = 'table' LOOP
        -- sluice's staging tables are temporary; only the tables it writes rows into are audited.
        CONTINUE WHEN created.schema_name LIKE 'pg\\_temp%' OR created.schema_name = '${AUDIT_SCHEMA}';
        EXECUTE format('CREATE TRIGGER sluice_placeholder_audit BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION ${AUDIT_SCHEMA}.check_row()', created.object_identity);
      END LOOP;
    END $fn$;
    CREATE EVENT TRIGGER sluice_placeholder_audit ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION ${AUDIT_SCHEMA}.attach();
  `);
}

export interface PlaceholderSighting {
  readonly table: string;
  readonly operation: string;
  readonly row: string;
}

export async function placeholderSightings(target: pg.Client): Promise<PlaceholderSighting[]> {
  const result = await target.query<{ table_name: string; operation: string; row_text: string }>(
    `SELECT table_name, operation, row_text FROM ${AUDIT_SCHEMA}.seen ORDER BY at`,
  );
  return result.rows.map((row) => ({ table: row.table_name, operation: row.operation, row: row.row_text.slice(0, 300) }));
}

/** Tables in `schema` that carry the audit trigger (to prove the witness was in place). */
export async function auditedTables(target: pg.Client, schema: string): Promise<string[]> {
  const result = await target.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE t.tgname = 'sluice_placeholder_audit' AND n.nspname = $1 ORDER BY 1`,
    [schema],
  );
  return result.rows.map((row) => row.name);
}

/**
 * Proves the witness works before the run: a table created in `schema` gets the trigger, and a
 * row holding a placeholder is recorded. The probe table and its sighting are removed again.
 */
export async function checkPlaceholderAudit(target: pg.Client, schema: string): Promise<void> {
  const probe = `${schema}.sluice_placeholder_audit_probe`;
  await target.query(`CREATE TABLE ${probe} (id integer PRIMARY KEY, t text, b bytea)`);
  try {
    await target.query(`INSERT INTO ${probe} VALUES (1, 'x', decode('5f5f646562657a69756d5f756e617661696c61626c655f76616c7565', 'hex'))`);
    await target.query(`UPDATE ${probe} SET t = '__debezium_unavailable_value'`);
    const seen = await placeholderSightings(target);
    if (seen.length !== 2) throw new Error(`the placeholder audit recorded ${seen.length} of 2 probe rows: ${JSON.stringify(seen)}`);
  } finally {
    await target.query(`DROP TABLE ${probe}`);
    await target.query(`DELETE FROM ${AUDIT_SCHEMA}.seen`);
  }
}
