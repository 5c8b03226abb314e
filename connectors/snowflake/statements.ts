/**
 * The SQL of the Snowflake writer. Every identifier is quoted (case-sensitive, `"` doubled);
 * every value is bound — the only bound parameter is the staging document of loadStagingSql.
 *
 * One TableBatch runs as (writer.ts):
 *   CREATE OR REPLACE TEMPORARY TABLE <stage> (op, c0..cN, p…)      -- DDL: outside the transaction
 *   INSERT INTO <stage> SELECT CAST(value[i]::VARCHAR AS <type>) …
 *     FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?)))                    -- one bind per chunk
 *   BEGIN; [TRUNCATE TABLE <target>;] MERGE …; COMMIT
 *
 * The MERGE reads its source through a LEFT JOIN of the stage with the target so that a column
 * whose value was not sent (UNCHANGED/absent: presence flag p false) takes the target's current
 * value — `IFF(s.p, s.c, t.c)` — and a new row gets NULL there. Keys are unique within a batch
 * (core contract), so each target row matches at most one source row and the MERGE is
 * deterministic; replaying it writes the same values again.
 */
import type { ColumnSchema } from '../../src/cdc/types.ts';
import { castText, snowflakeType, stagingCast } from './type-map.ts';

export const SOFT_DELETED_COLUMN = '__sluice_deleted';
export const SYNCED_AT_COLUMN = '__sluice_synced_at';
const OP_COLUMN = '__sluice_op';
export const OP_UPSERT = 'u';
export const OP_DELETE = 'd';

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export interface TableRef {
  readonly database: string;
  readonly schema: string;
  readonly name: string;
}

export function qualifiedName(table: TableRef): string {
  return `${quoteIdentifier(table.database)}.${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
}

export function createSchemaSql(database: string, schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(database)}.${quoteIdentifier(schema)}`;
}

/** CREATE SCHEMA makes the new schema current; this puts the session back. */
export function useSchemaSql(database: string, schema: string): string {
  return `USE SCHEMA ${quoteIdentifier(database)}.${quoteIdentifier(schema)}`;
}

export function columnDefinition(column: ColumnSchema, isKey: boolean): string {
  return `${quoteIdentifier(column.name)} ${snowflakeType(column.type)}${isKey ? ' NOT NULL' : ''}`;
}

export function softDeleteColumnDefinitions(): string[] {
  return [`${quoteIdentifier(SOFT_DELETED_COLUMN)} BOOLEAN`, `${quoteIdentifier(SYNCED_AT_COLUMN)} TIMESTAMP_TZ(9)`];
}

/** Snowflake records but does not enforce the primary key; it documents the key for readers. */
export function createTableSql(table: TableRef, columns: readonly ColumnSchema[], key: readonly string[], softDelete: boolean): string {
  const definitions = columns.map((column) => columnDefinition(column, key.includes(column.name)));
  if (softDelete) definitions.push(...softDeleteColumnDefinitions());
  if (key.length > 0) definitions.push(`PRIMARY KEY (${key.map(quoteIdentifier).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(table)} (${definitions.join(', ')})`;
}

export function describeTableSql(table: TableRef): string {
  return `DESCRIBE TABLE ${qualifiedName(table)}`;
}

export function addColumnSql(table: TableRef, definition: string): string {
  return `ALTER TABLE ${qualifiedName(table)} ADD COLUMN ${definition}`;
}

export function truncateSql(table: TableRef): string {
  return `TRUNCATE TABLE ${qualifiedName(table)}`;
}

/** Which cell of a staging row carries what; see stagingLayout. */
export interface StagedColumn {
  readonly column: ColumnSchema;
  readonly isKey: boolean;
  /** Cell index of the value; the staging column is named c<cell>. */
  readonly cell: number;
  /** Cell index of the presence flag (true = value sent), or null when every change sent it. */
  readonly presenceCell: number | null;
}

export interface StagingLayout {
  readonly columns: readonly StagedColumn[];
  /** Cells per staging row: the op, the values, then the presence flags. */
  readonly width: number;
}

/** `partial` names the columns that at least one upsert of the batch did not send. */
export function stagingLayout(columns: readonly ColumnSchema[], key: readonly string[], partial: ReadonlySet<string>): StagingLayout {
  let nextPresence = 1 + columns.length;
  const staged = columns.map((column, index): StagedColumn => {
    const isKey = key.includes(column.name);
    const presenceCell = !isKey && partial.has(column.name) ? nextPresence++ : null;
    return { column, isKey, cell: 1 + index, presenceCell };
  });
  return { columns: staged, width: nextPresence };
}

const valueColumn = (staged: StagedColumn) => quoteIdentifier(`c${staged.cell}`);
const presenceColumn = (staged: StagedColumn) => quoteIdentifier(`p${staged.presenceCell}`);

/**
 * The stage is named without database and schema: Snowflake creates a temporary table in the
 * session's current schema (the writer keeps it on SLUICE_SNOWFLAKE_SCHEMA), and the emulator
 * accepts temporary tables only unqualified.
 */
export function stageName(name: string): string {
  return quoteIdentifier(name);
}

export function createStagingSql(stage: string, layout: StagingLayout): string {
  const definitions = [`${quoteIdentifier(OP_COLUMN)} VARCHAR`];
  for (const staged of layout.columns) definitions.push(`${valueColumn(staged)} ${snowflakeType(staged.column.type)}`);
  for (const staged of layout.columns) if (staged.presenceCell !== null) definitions.push(`${presenceColumn(staged)} BOOLEAN`);
  return `CREATE OR REPLACE TEMPORARY TABLE ${stage} (${definitions.join(', ')})`;
}

/** One bound parameter: a JSON array of staging rows, each an array of `width` texts or nulls. */
export function loadStagingSql(stage: string, layout: StagingLayout): string {
  const targets = [quoteIdentifier(OP_COLUMN)];
  const casts = ['value[0]::VARCHAR'];
  for (const staged of layout.columns) {
    targets.push(valueColumn(staged));
    casts.push(stagingCast(staged.column.type, `value[${staged.cell}]`));
  }
  for (const staged of layout.columns) {
    if (staged.presenceCell === null) continue;
    targets.push(presenceColumn(staged));
    casts.push(`CAST(value[${staged.presenceCell}]::VARCHAR AS BOOLEAN)`);
  }
  return `INSERT INTO ${stage} (${targets.join(', ')}) SELECT ${casts.join(', ')} FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?)))`;
}

export function mergeSql(target: TableRef, stage: string, layout: StagingLayout, softDelete: boolean): string {
  const keys = layout.columns.filter((staged) => staged.isKey);
  const values = layout.columns.filter((staged) => !staged.isKey);
  const op = quoteIdentifier(OP_COLUMN);

  const sourceColumns = [`s.${op} AS ${op}`];
  for (const staged of layout.columns) {
    const sent = `s.${valueColumn(staged)}`;
    const expression = staged.presenceCell === null ? sent : `IFF(s.${presenceColumn(staged)}, ${sent}, t.${quoteIdentifier(staged.column.name)})`;
    sourceColumns.push(`${expression} AS ${valueColumn(staged)}`);
  }
  const joinOn = keys.map((staged) => `t.${quoteIdentifier(staged.column.name)} = s.${valueColumn(staged)}`).join(' AND ');
  const source = `SELECT ${sourceColumns.join(', ')} FROM ${stage} AS s LEFT JOIN ${qualifiedName(target)} AS t ON ${joinOn}`;

  const deleted = quoteIdentifier(SOFT_DELETED_COLUMN);
  const syncedAt = quoteIdentifier(SYNCED_AT_COLUMN);
  const assignments = values.map((staged) => `t.${quoteIdentifier(staged.column.name)} = s.${valueColumn(staged)}`);
  if (softDelete) assignments.push(`t.${deleted} = FALSE`, `t.${syncedAt} = CURRENT_TIMESTAMP()`);

  const insertColumns = layout.columns.map((staged) => quoteIdentifier(staged.column.name));
  const insertValues = layout.columns.map((staged) => `s.${valueColumn(staged)}`);
  if (softDelete) {
    insertColumns.push(deleted, syncedAt);
    insertValues.push('FALSE', 'CURRENT_TIMESTAMP()');
  }

  const clauses = [
    softDelete
      ? `WHEN MATCHED AND s.${op} = '${OP_DELETE}' THEN UPDATE SET t.${deleted} = TRUE, t.${syncedAt} = CURRENT_TIMESTAMP()`
      : `WHEN MATCHED AND s.${op} = '${OP_DELETE}' THEN DELETE`,
  ];
  if (assignments.length > 0) clauses.push(`WHEN MATCHED AND s.${op} = '${OP_UPSERT}' THEN UPDATE SET ${assignments.join(', ')}`);
  clauses.push(`WHEN NOT MATCHED AND s.${op} = '${OP_UPSERT}' THEN INSERT (${insertColumns.join(', ')}) VALUES (${insertValues.join(', ')})`);

  const on = keys.map((staged) => `t.${quoteIdentifier(staged.column.name)} = s.${valueColumn(staged)}`).join(' AND ');
  return `MERGE INTO ${qualifiedName(target)} AS t USING (${source}) AS s ON ${on} ${clauses.join(' ')}`;
}

/**
 * A MERGE of one change whose values are bound one per column (no staging table): the per-row
 * path the benchmark compares against. Binds: the op, then each column's staging text in layout
 * order. `layout` must have no presence cells (full rows).
 */
export function singleRowMergeSql(target: TableRef, layout: StagingLayout): string {
  const op = quoteIdentifier(OP_COLUMN);
  const casts = layout.columns.map((staged) => `${castText(staged.column.type, '?')} AS ${valueColumn(staged)}`);
  const keys = layout.columns.filter((staged) => staged.isKey);
  const values = layout.columns.filter((staged) => !staged.isKey);
  const on = keys.map((staged) => `t.${quoteIdentifier(staged.column.name)} = s.${valueColumn(staged)}`).join(' AND ');
  const assignments = values.map((staged) => `t.${quoteIdentifier(staged.column.name)} = s.${valueColumn(staged)}`);
  const clauses = [`WHEN MATCHED AND s.${op} = '${OP_DELETE}' THEN DELETE`];
  if (assignments.length > 0) clauses.push(`WHEN MATCHED AND s.${op} = '${OP_UPSERT}' THEN UPDATE SET ${assignments.join(', ')}`);
  clauses.push(
    `WHEN NOT MATCHED AND s.${op} = '${OP_UPSERT}' THEN INSERT (${layout.columns.map((staged) => quoteIdentifier(staged.column.name)).join(', ')}) VALUES (${layout.columns.map((staged) => `s.${valueColumn(staged)}`).join(', ')})`,
  );
  return `MERGE INTO ${qualifiedName(target)} AS t USING (SELECT CAST(? AS VARCHAR) AS ${op}, ${casts.join(', ')}) AS s ON ${on} ${clauses.join(' ')}`;
}
