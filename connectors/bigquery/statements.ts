/**
 * Names and SQL of the BigQuery writer.
 *
 * Naming: BigQuery restricts names, so every source name goes through one deterministic rule
 * (docs/bigquery.md): characters BigQuery does not allow become `_`, and a name that had to be
 * changed (or cut to the length limit) gets `_` + 8 hex digits of the SHA-256 of the original, so
 * two different source names never collide. Names that are already valid are kept as they are.
 *   dataset  letters, digits, underscore; ≤ 1024 characters
 *   table    Unicode letters, marks, numbers, connectors (_), dashes, spaces; ≤ 1024 UTF-8 bytes
 *   column   letters, digits, underscore, not starting with a digit, no reserved prefix
 *            (_TABLE_, _FILE_, _PARTITION, _ROW_TIMESTAMP, __ROOT__, _COLIDENTIFIER, _CHANGE_);
 *            ≤ 300 characters; case-insensitive, so a name equal to an earlier column's
 *            ignoring case also gets the hash suffix.
 * Every identifier is quoted with backticks (backslash and backtick escaped) although the rule
 * leaves neither in a name.
 *
 * One TableBatch becomes (writer.ts): a load job of newline-delimited JSON into a fresh staging
 * table `_sluice_stage_<uuid>` (columns __op, c<i> per column, p<i> presence flags), then one
 * MERGE per table (serialised per table in this process), then the staging table is dropped.
 * A column that one upsert did not send (UNCHANGED/absent) gets a presence flag p<i>: the UPDATE
 * takes `IF(s.p<i>, s.c<i>, t.<column>)`, so the target keeps its value, and an INSERT takes the
 * staged NULL. Keys are unique within a batch (core contract), so each target row matches at most
 * one source row and the MERGE is deterministic; replaying it writes the same values again.
 */
import { createHash } from 'node:crypto';
import type { ColumnSchema } from '../../src/cdc/types.ts';
import { type BigQueryField, bigQueryField, columnType, sqlType } from './type-map.ts';

export const OP_COLUMN = '__op';
export const OP_UPSERT = 'u';
export const OP_DELETE = 'd';
export const STAGING_PREFIX = '_sluice_stage_';

const MAX_DATASET_CHARS = 1024;
const MAX_TABLE_BYTES = 1024;
const MAX_COLUMN_CHARS = 300;
const RESERVED_COLUMN_PREFIXES = ['_table_', '_file_', '_partition', '_row_timestamp', '__root__', '_colidentifier', '_change_'];

function hashSuffix(original: string): string {
  return `_${createHash('sha256').update(original).digest('hex').slice(0, 8)}`;
}

/** Cuts `text` so that it plus `suffix` fits `limit` (measured by `size`), never splitting a character. */
function fit(text: string, suffix: string, limit: number, size: (part: string) => number): string {
  let cut = [...text];
  while (cut.length > 0 && size(cut.join('') + suffix) > limit) cut = cut.slice(0, -1);
  return cut.join('') + suffix;
}

const utf8Bytes = (text: string) => Buffer.byteLength(text);
const characters = (text: string) => [...text].length;

export function datasetName(source: string): string {
  const cleaned = source.replace(/[^A-Za-z0-9_]/g, '_');
  if (cleaned === source && source.length > 0 && source.length <= MAX_DATASET_CHARS) return source;
  return fit(cleaned, hashSuffix(source), MAX_DATASET_CHARS, characters);
}

export function tableName(source: string): string {
  const cleaned = source.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}]/gu, '_');
  const valid = cleaned === source && source.length > 0 && utf8Bytes(source) <= MAX_TABLE_BYTES && !source.startsWith(STAGING_PREFIX);
  if (valid) return source;
  return fit(cleaned, hashSuffix(source), MAX_TABLE_BYTES, utf8Bytes);
}

function columnName(source: string): string {
  let cleaned = source.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(cleaned)) cleaned = `_${cleaned}`;
  const lower = cleaned.toLowerCase();
  if (RESERVED_COLUMN_PREFIXES.some((prefix) => lower.startsWith(prefix))) cleaned = `c${cleaned}`;
  if (cleaned === source && source.length <= MAX_COLUMN_CHARS) return source;
  return fit(cleaned, hashSuffix(source), MAX_COLUMN_CHARS, characters);
}

/**
 * Target column names of a schema's columns, in order. Deterministic in the column order, which
 * only ever grows at the end (schema growth adds columns), so a column keeps its name.
 */
export function columnNames(columns: readonly ColumnSchema[]): string[] {
  const taken = new Set<string>();
  return columns.map((column) => {
    let name = columnName(column.name);
    if (taken.has(name.toLowerCase())) name = fit(name, hashSuffix(column.name), MAX_COLUMN_CHARS, characters);
    taken.add(name.toLowerCase());
    return name;
  });
}

export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``;
}

export interface TableRef {
  readonly project: string;
  readonly dataset: string;
  readonly table: string;
}

export function qualifiedName(ref: TableRef): string {
  return `${quoteIdentifier(ref.project)}.${quoteIdentifier(ref.dataset)}.${quoteIdentifier(ref.table)}`;
}

/** A column of the target table: its source schema, its BigQuery name and whether it is in the key. */
export interface TargetColumn {
  readonly source: ColumnSchema;
  readonly name: string;
  readonly isKey: boolean;
}

export function targetColumns(columns: readonly ColumnSchema[], key: readonly string[]): TargetColumn[] {
  const names = columnNames(columns);
  return columns.map((source, index) => ({ source, name: names[index] as string, isKey: key.includes(source.name) }));
}

export function targetFields(columns: readonly TargetColumn[]): BigQueryField[] {
  return columns.map((column) => bigQueryField(column.name, column.source.type, { required: column.isKey }));
}

/** Which staging column carries what; see stagingLayout. */
export interface StagedColumn {
  readonly column: TargetColumn;
  /** Staging column of the value: c<index>. */
  readonly valueName: string;
  /** Staging column of the presence flag (true = value sent), or null when every change sent it. */
  readonly presenceName: string | null;
}

export interface StagingLayout {
  readonly columns: readonly StagedColumn[];
}

/** `partial` names (by target name) the columns that at least one upsert of the batch did not send. */
export function stagingLayout(columns: readonly TargetColumn[], partial: ReadonlySet<string>): StagingLayout {
  return {
    columns: columns.map((column, index) => ({
      column,
      valueName: `c${index}`,
      presenceName: !column.isKey && partial.has(column.name) ? `p${index}` : null,
    })),
  };
}

/** Schema of the staging table: __op, the values (JSON as STRING), then the presence flags. */
export function stagingFields(layout: StagingLayout): BigQueryField[] {
  const fields: BigQueryField[] = [{ name: OP_COLUMN, type: 'STRING', mode: 'REQUIRED' }];
  for (const staged of layout.columns) fields.push(bigQueryField(staged.valueName, staged.column.source.type, { staging: true }));
  for (const staged of layout.columns) if (staged.presenceName !== null) fields.push({ name: staged.presenceName, type: 'BOOL', mode: 'REQUIRED' });
  return fields;
}

/** The staged value as the target column's type: JSON text is parsed and base64 decoded here, everything else is loaded typed. */
function stagedValue(staged: StagedColumn): string {
  const value = `s.${quoteIdentifier(staged.valueName)}`;
  const { scalar, repeated } = columnType(staged.column.source.type);
  const convert = scalar.type === 'JSON' ? 'PARSE_JSON' : scalar.type === 'BYTES' ? 'FROM_BASE64' : null;
  if (convert === null) return value;
  if (!repeated) return `${convert}(${value})`;
  return `ARRAY(SELECT ${convert}(e) FROM UNNEST(${value}) AS e WITH OFFSET AS o ORDER BY o)`;
}

export function mergeSql(target: TableRef, stage: TableRef, layout: StagingLayout): string {
  const keys = layout.columns.filter((staged) => staged.column.isKey);
  const values = layout.columns.filter((staged) => !staged.column.isKey);
  const op = `s.${quoteIdentifier(OP_COLUMN)}`;
  const on = keys.map((staged) => `t.${quoteIdentifier(staged.column.name)} = s.${quoteIdentifier(staged.valueName)}`).join(' AND ');
  const assignments = values.map((staged) => {
    const targetColumn = quoteIdentifier(staged.column.name);
    const sent = stagedValue(staged);
    return `${targetColumn} = ${staged.presenceName === null ? sent : `IF(s.${quoteIdentifier(staged.presenceName)}, ${sent}, t.${targetColumn})`}`;
  });
  const insertColumns = layout.columns.map((staged) => quoteIdentifier(staged.column.name));
  const insertValues = layout.columns.map(stagedValue);
  const clauses = [`WHEN MATCHED AND ${op} = '${OP_DELETE}' THEN DELETE`];
  if (assignments.length > 0) clauses.push(`WHEN MATCHED AND ${op} = '${OP_UPSERT}' THEN UPDATE SET ${assignments.join(', ')}`);
  clauses.push(`WHEN NOT MATCHED AND ${op} = '${OP_UPSERT}' THEN INSERT (${insertColumns.join(', ')}) VALUES (${insertValues.join(', ')})`);
  return `MERGE ${qualifiedName(target)} AS t USING ${qualifiedName(stage)} AS s ON ${on} ${clauses.join(' ')}`;
}

export function truncateSql(target: TableRef): string {
  return `DELETE FROM ${qualifiedName(target)} WHERE TRUE`;
}

export function addColumnSql(target: TableRef, column: TargetColumn): string {
  return `ALTER TABLE ${qualifiedName(target)} ADD COLUMN ${quoteIdentifier(column.name)} ${sqlType(column.source.type)}`;
}
