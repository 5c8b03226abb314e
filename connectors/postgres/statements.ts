/**
 * The SQL text the PostgreSQL writer sends. Identifiers are always quoted here (and only here);
 * values never appear in SQL text: they travel as bound parameters or COPY data. The only
 * non-identifier text spliced into statements is catalog-produced type text (format_type) or
 * type text from type-map.ts, both of which are SQL type names, not data.
 */

/** PostgreSQL truncates identifiers longer than NAMEDATALEN-1 bytes; we refuse them instead. */
export const MAX_IDENTIFIER_BYTES = 63;

export class InvalidIdentifierError extends Error {
  override readonly name = 'InvalidIdentifierError';
}

/** `"name"` with embedded double quotes doubled; refuses names PostgreSQL would truncate or reject. */
export function quoteIdentifier(name: string): string {
  if (name.length === 0) throw new InvalidIdentifierError('an identifier cannot be empty');
  if (name.includes('\u0000')) throw new InvalidIdentifierError('an identifier cannot contain NUL');
  if (/\p{Cs}/u.test(name)) throw new InvalidIdentifierError('an identifier cannot contain a lone UTF-16 surrogate');
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new InvalidIdentifierError(
      `identifier of ${bytes} bytes exceeds PostgreSQL's ${MAX_IDENTIFIER_BYTES}-byte limit (it would be silently truncated)`,
    );
  }
  return `"${name.replaceAll('"', '""')}"`;
}

export function qualifiedName(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}

/** Key for pg_advisory_xact_lock: a 64-bit hash computed by the server from bound text. */
export const advisoryLockSql = 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))';

export const schemaExistsSql = 'SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1';

export function createSchemaSql(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`;
}

/** Columns of a table ($1 schema, $2 table) with their exact type text, in column order. */
export const tableColumnsSql = `
SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`;

/** Column sets of every plain unique index of a table ($1 schema, $2 table): ON CONFLICT targets. */
export const uniqueKeysSql = `
SELECT array_agg(a.attname::text ORDER BY k.ord) AS columns
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE n.nspname = $1 AND c.relname = $2 AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
GROUP BY i.indexrelid`;

export interface ColumnDefinition {
  readonly name: string;
  readonly type: string;
}

/** Key columns are NOT NULL (primary key); every other column is nullable, see docs/postgres.md. */
export function createTableSql(qualified: string, columns: readonly ColumnDefinition[], key: readonly string[]): string {
  const definitions = columns.map((column) => `${quoteIdentifier(column.name)} ${column.type}`);
  definitions.push(`PRIMARY KEY (${key.map(quoteIdentifier).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${qualified} (${definitions.join(', ')})`;
}

export function addColumnsSql(qualified: string, columns: readonly ColumnDefinition[]): string {
  const clauses = columns.map((column) => `ADD COLUMN IF NOT EXISTS ${quoteIdentifier(column.name)} ${column.type}`);
  return `ALTER TABLE ${qualified} ${clauses.join(', ')}`;
}

/**
 * Staging tables: one column per batch column under a positional name (so hostile or long
 * target names never reach them) plus `__group`, the row's presence group (-1 for a delete).
 * Temporary (never WAL-logged, private to the session) and ON COMMIT DELETE ROWS: created once
 * per connection and column-type list, emptied by every commit, emptied by rollback too.
 */
export const groupColumn = '__group';
export const deleteGroup = -1;

/** `pg_temp.sluice_staging_<n>`: the number is per connection, never derived from data. */
export function stagingTableName(serial: number): string {
  return `pg_temp.sluice_staging_${serial}`;
}

export function stagingColumn(index: number): string {
  return `c${index}`;
}

export function createStagingSql(staging: string, types: readonly string[]): string {
  const columns = types.map((type, index) => `${stagingColumn(index)} ${type}`);
  columns.push(`${groupColumn} integer NOT NULL`);
  return `CREATE TEMPORARY TABLE ${staging.replace(/^pg_temp\./, '')} (${columns.join(', ')}) ON COMMIT DELETE ROWS`;
}

export function dropStagingSql(staging: string): string {
  return `DROP TABLE IF EXISTS ${staging}`;
}

export function copyIntoStagingSql(staging: string, columnCount: number): string {
  const columns = Array.from({ length: columnCount }, (_, index) => stagingColumn(index));
  columns.push(groupColumn);
  return `COPY ${staging} (${columns.join(', ')}) FROM STDIN`;
}

export function truncateSql(qualified: string): string {
  return `TRUNCATE TABLE ${qualified}`;
}

/** Staged columns: target column name and its position in the staging table. */
export interface StagedColumn {
  readonly name: string;
  readonly index: number;
}

export function deleteSql(qualified: string, staging: string, keyColumns: readonly StagedColumn[]): string {
  const matches = keyColumns.map((column) => `t.${quoteIdentifier(column.name)} = s.${stagingColumn(column.index)}`);
  return `DELETE FROM ${qualified} AS t USING ${staging} AS s WHERE s.${groupColumn} = ${deleteGroup} AND ${matches.join(' AND ')}`;
}

/**
 * The upsert of one presence group ($1 = the group): insert the columns the rows carry; on
 * conflict update exactly those non-key columns, so every column the group lacks (UNCHANGED or
 * absent) keeps its value on update and takes its default (NULL) on insert.
 */
export function upsertGroupSql(
  qualified: string,
  staging: string,
  keyColumns: readonly StagedColumn[],
  presentColumns: readonly StagedColumn[],
): string {
  const targets = presentColumns.map((column) => quoteIdentifier(column.name));
  const sources = presentColumns.map((column) => stagingColumn(column.index));
  const keyNames = new Set(keyColumns.map((column) => column.name));
  const updates = presentColumns
    .filter((column) => !keyNames.has(column.name))
    .map((column) => `${quoteIdentifier(column.name)} = EXCLUDED.${quoteIdentifier(column.name)}`);
  const conflictTarget = keyColumns.map((column) => quoteIdentifier(column.name)).join(', ');
  const action = updates.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updates.join(', ')}`;
  return (
    `INSERT INTO ${qualified} (${targets.join(', ')}) ` +
    `SELECT ${sources.join(', ')} FROM ${staging} WHERE ${groupColumn} = $1 ` +
    `ON CONFLICT (${conflictTarget}) ${action}`
  );
}

// ---- exactly-once store ---------------------------------------------------------------------

export function createEpochsTableSql(schema: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${qualifiedName(schema, 'sluice_epochs')} (` +
    'group_id text NOT NULL, topic text NOT NULL, partition integer NOT NULL, epoch integer NOT NULL, ' +
    'PRIMARY KEY (group_id, topic, partition))'
  );
}

export function createOffsetsTableSql(schema: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${qualifiedName(schema, 'sluice_offsets')} (` +
    'group_id text NOT NULL, topic text NOT NULL, partition integer NOT NULL, table_key text NOT NULL, ' +
    'applied_offset bigint NOT NULL, epoch integer NOT NULL, ' +
    'PRIMARY KEY (group_id, topic, partition, table_key))'
  );
}

/** $1 group, $2 topics, $3 partitions (sorted, distinct): bump (or start at 1) each partition's epoch. */
export function claimEpochsSql(schema: string): string {
  const epochs = qualifiedName(schema, 'sluice_epochs');
  return (
    `INSERT INTO ${epochs} AS e (group_id, topic, partition, epoch) ` +
    'SELECT $1, u.topic, u.partition, 1 FROM unnest($2::text[], $3::integer[]) AS u(topic, partition) ' +
    'ON CONFLICT (group_id, topic, partition) DO UPDATE SET epoch = e.epoch + 1 ' +
    'RETURNING e.topic, e.partition, e.epoch'
  );
}

/** $1 group, $2 topics, $3 partitions: applied offsets (as text, they are int64). */
export function appliedOffsetsSql(schema: string): string {
  return (
    `SELECT o.topic, o.partition, o.table_key, o.applied_offset::text AS applied_offset FROM ${qualifiedName(schema, 'sluice_offsets')} AS o ` +
    'JOIN unnest($2::text[], $3::integer[]) AS u(topic, partition) ON o.topic = u.topic AND o.partition = u.partition ' +
    'WHERE o.group_id = $1'
  );
}

/**
 * $1 group, $2 topics, $3 partitions: the current epochs, share-locked until the write commits.
 * A claim (which updates the row) therefore waits for in-flight writes of the old owner, and
 * every write that starts after the claim sees the new epoch. Writes of one owner do not block
 * each other (shared locks).
 */
export function lockEpochsSql(schema: string): string {
  return (
    `SELECT e.topic, e.partition, e.epoch FROM ${qualifiedName(schema, 'sluice_epochs')} AS e ` +
    'JOIN unnest($2::text[], $3::integer[]) AS u(topic, partition) ON e.topic = u.topic AND e.partition = u.partition ' +
    'WHERE e.group_id = $1 ORDER BY e.topic, e.partition FOR SHARE OF e'
  );
}

/** $1 group, $2 table key, $3 topics, $4 partitions, $5 offsets (text), $6 epochs. */
export function recordOffsetsSql(schema: string): string {
  const offsets = qualifiedName(schema, 'sluice_offsets');
  return (
    `INSERT INTO ${offsets} AS o (group_id, topic, partition, table_key, applied_offset, epoch) ` +
    'SELECT $1, u.topic, u.partition, $2, u.applied_offset, u.epoch ' +
    'FROM unnest($3::text[], $4::integer[], $5::bigint[], $6::integer[]) AS u(topic, partition, applied_offset, epoch) ' +
    'ORDER BY u.topic, u.partition ' +
    'ON CONFLICT (group_id, topic, partition, table_key) DO UPDATE ' +
    'SET applied_offset = GREATEST(o.applied_offset, EXCLUDED.applied_offset), epoch = EXCLUDED.epoch'
  );
}
