/**
 * Compares every table of a source schema with the same table in a target database, row by row
 * and column by column, and describes each difference.
 *
 * Values are compared in a canonical text form that PostgreSQL itself produces, chosen per
 * source column type so that equality means "the same value", not "the same spelling":
 *   numeric(p,s), integers the value's text: exact digits and scale
 *   numeric (no scale)     the exact value without trailing fraction zeros: Debezium's
 *                          VariableScaleDecimal drops them at the source (466.0 arrives as 466)
 *   real, double           PostgreSQL's shortest round-trip text; NaN equals NaN, -0 is kept
 *   timestamp(tz), time    text with TimeZone=UTC: equal to the microsecond
 *   timetz                 the instant at UTC (Debezium normalises the offset to Z)
 *   json, jsonb, hstore    jsonb text: equal as JSON values (key order, whitespace ignored)
 *   bytea                  hex
 *   char(n)                without trailing pad spaces (the target stores Debezium's padded text)
 *   money                  as numeric
 *   inet                   as inet (the target holds Debezium's text, which omits /32)
 *   arrays, enum, uuid, interval, bit, xml, text   their text output
 * Both sessions use the same output settings (set by `canonicalSession`).
 */
import type pg from 'pg';

export interface ColumnInfo {
  readonly name: string;
  /** format_type() of the column, e.g. 'numeric(20,4)', 'timestamp with time zone', 'integer[]'. */
  readonly type: string;
  /** typcategory of the column's type ('A' array, 'N' numeric, 'U' user-defined…). */
  readonly category: string;
  /** The base type name (typname), e.g. 'hstore', 'bpchar', 'money', '_int4'. */
  readonly typeName: string;
}

export interface TableDifference {
  readonly table: string;
  readonly kind: 'missing-table' | 'missing-column' | 'missing-row' | 'extra-row' | 'value';
  readonly key?: string;
  readonly column?: string;
  readonly source?: string | null;
  readonly target?: string | null;
}

export interface TableReport {
  readonly table: string;
  readonly sourceRows: number;
  readonly targetRows: number;
  readonly comparedValues: number;
}

export interface ComparisonReport {
  readonly equal: boolean;
  readonly tables: readonly TableReport[];
  readonly differences: readonly TableDifference[];
}

export async function canonicalSession(client: pg.Client): Promise<void> {
  await client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET bytea_output = 'hex'");
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

export async function tableColumns(client: pg.Client, schema: string, table: string): Promise<ColumnInfo[]> {
  const result = await client.query<ColumnInfo>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typcategory AS category, t.typname AS "typeName"
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [schema, table],
  );
  return result.rows;
}

export async function primaryKey(client: pg.Client, schema: string, table: string): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE n.nspname = $1 AND c.relname = $2 AND i.indisprimary
      ORDER BY k.position`,
    [schema, table],
  );
  return result.rows.map((row) => row.name);
}

/** The canonical text expression of a column, by the SOURCE column's type, for either side. */
export function canonicalExpression(column: ColumnInfo, side: 'source' | 'target'): string {
  const c = quote(column.name);
  switch (column.typeName) {
    case 'bytea':
      return `encode(${c}, 'hex')`;
    case 'bpchar':
      return `rtrim(${c}::text, ' ')`;
    case 'timetz':
      return `(${c} AT TIME ZONE 'UTC')::text`;
    case 'money':
      return `${c}::numeric::text`;
    case 'numeric':
      return column.type === 'numeric' ? `trim_scale(${c}::numeric)::text` : `${c}::text`;
    case 'inet':
      return `${c}::inet::text`;
    case 'json':
    case 'jsonb':
      return `${c}::jsonb::text`;
    case 'hstore':
      return side === 'source' ? `hstore_to_jsonb(${c})::text` : `${c}::jsonb::text`;
    default:
      return `${c}::text`;
  }
}

/** Long values are cut around the first character where they differ from `other`. */
function preview(value: string | null | undefined, other: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value.length <= 160) return value;
  let at = 0;
  const against = other ?? '';
  while (at < value.length && value[at] === against[at]) at++;
  const start = Math.max(0, at - 60);
  return `${start > 0 ? `…[${start}]` : ''}${value.slice(start, at + 80)}… (${value.length} chars)`;
}

/**
 * Canonical values of `relation` (a table name, or a parenthesised query producing the table's
 * columns) keyed by the key columns' texts joined with '|'.
 */
export async function canonicalRows(
  client: pg.Client,
  relation: string,
  columns: readonly ColumnInfo[],
  key: readonly string[],
  side: 'source' | 'target',
  values: readonly unknown[] = [],
): Promise<Map<string, (string | null)[]>> {
  const keyExpression = key.map((name) => `${quote(name)}::text`).join(` || '|' || `);
  const select = columns.map((column) => canonicalExpression(column, side)).join(', ');
  const result = await client.query<{ k: string; values: (string | null)[] }>({
    text: `SELECT ${keyExpression} AS k, ARRAY[${select}]::text[] AS values FROM ${relation} AS compared`,
    values: [...values],
  });
  return new Map(result.rows.map((row) => [row.k, row.values]));
}

/** Differences between two sets of canonical rows of one table. */
export function diffRows(
  table: string,
  columns: readonly ColumnInfo[],
  sourceRows: ReadonlyMap<string, readonly (string | null)[]>,
  targetRows: ReadonlyMap<string, readonly (string | null)[]>,
): { differences: TableDifference[]; comparedValues: number } {
  const differences: TableDifference[] = [];
  let comparedValues = 0;
  for (const [rowKey, sourceValues] of sourceRows) {
    const targetValues = targetRows.get(rowKey);
    if (targetValues === undefined) {
      differences.push({ table, kind: 'missing-row', key: rowKey });
      continue;
    }
    for (let i = 0; i < columns.length; i++) {
      comparedValues += 1;
      if (sourceValues[i] !== targetValues[i]) {
        differences.push({ table, kind: 'value', key: rowKey, column: `${columns[i]!.name} (${columns[i]!.type})`, source: preview(sourceValues[i], targetValues[i]), target: preview(targetValues[i], sourceValues[i]) });
      }
    }
  }
  for (const rowKey of targetRows.keys()) {
    if (!sourceRows.has(rowKey)) differences.push({ table, kind: 'extra-row', key: rowKey });
  }
  return { differences, comparedValues };
}

/**
 * Compares `tables` of `schema` in the source with the same schema and tables in the target. The
 * key is the source table's primary key; columns are the source's (extra target columns, e.g. of
 * a dropped source column, are ignored).
 */
export async function compareDatabases(options: {
  readonly source: pg.Client;
  readonly target: pg.Client;
  readonly schema: string;
  readonly tables: readonly string[];
}): Promise<ComparisonReport> {
  const { source, target, schema } = options;
  await canonicalSession(source);
  await canonicalSession(target);
  const differences: TableDifference[] = [];
  const tables: TableReport[] = [];
  for (const table of options.tables) {
    const columns = await tableColumns(source, schema, table);
    const key = await primaryKey(source, schema, table);
    const targetColumns = new Set((await tableColumns(target, schema, table)).map((column) => column.name));
    if (targetColumns.size === 0) {
      differences.push({ table, kind: 'missing-table' });
      continue;
    }
    const missing = columns.filter((column) => !targetColumns.has(column.name));
    for (const column of missing) differences.push({ table, kind: 'missing-column', column: column.name });
    const compared = columns.filter((column) => targetColumns.has(column.name));
    const relation = `${quote(schema)}.${quote(table)}`;
    const sourceRows = await canonicalRows(source, relation, compared, key, 'source');
    const targetRows = await canonicalRows(target, relation, compared, key, 'target');
    const { differences: found, comparedValues } = diffRows(table, compared, sourceRows, targetRows);
    differences.push(...found);
    tables.push({ table, sourceRows: sourceRows.size, targetRows: targetRows.size, comparedValues });
  }
  return { equal: differences.length === 0, tables, differences };
}

/** A readable list of the first `limit` differences, grouped the way a person reads them. */
export function describeDifferences(differences: readonly TableDifference[], limit = 40): string {
  const counts = new Map<string, number>();
  for (const difference of differences) {
    const where = `${difference.table}${difference.column === undefined ? '' : `.${difference.column}`} ${difference.kind}`;
    counts.set(where, (counts.get(where) ?? 0) + 1);
  }
  const summary = [...counts].map(([where, count]) => `${count} × ${where}`).join('; ');
  const lines = differences.slice(0, limit).map((difference) => {
    switch (difference.kind) {
      case 'missing-table':
        return `${difference.table}: table missing in the target`;
      case 'missing-column':
        return `${difference.table}: column ${difference.column} missing in the target`;
      case 'missing-row':
        return `${difference.table} [${difference.key}]: row missing in the target`;
      case 'extra-row':
        return `${difference.table} [${difference.key}]: row in the target that the source does not have (a missed delete?)`;
      default:
        return `${difference.table} [${difference.key}] ${difference.column}: source ${JSON.stringify(difference.source)} ≠ target ${JSON.stringify(difference.target)}`;
    }
  });
  if (differences.length > limit) lines.push(`… and ${differences.length - limit} more`);
  return `${summary}\n${lines.join('\n')}`;
}
