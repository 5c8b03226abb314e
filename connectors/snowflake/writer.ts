/**
 * The Snowflake Writer. One TableBatch, on one session (session-pool.ts):
 *
 *   [first sight of the table or a new column] CREATE SCHEMA / CREATE TABLE IF NOT EXISTS,
 *       DESCRIBE TABLE, ALTER TABLE ADD COLUMN for each missing column
 *   CREATE OR REPLACE TEMPORARY TABLE <stage>                       (DDL commits implicitly: first)
 *   INSERT INTO <stage> SELECT … FROM TABLE(FLATTEN(PARSE_JSON(?)))  (one bound document per chunk)
 *   BEGIN; [truncateFirst] TRUNCATE TABLE <target>; MERGE INTO <target> USING <stage> …; COMMIT
 *
 * The bulk load binds one JSON document per chunk instead of the SDK's array binding: one
 * statement and one parse per chunk on Snowflake, where an array bind above
 * CLIENT_STAGE_ARRAY_BINDING_THRESHOLD turns into PUT + COPY of a CSV it writes itself, and the
 * emulator executes an array bind row by row (about 5 ms a row). Every value travels as text and
 * is cast by Snowflake (type-map.ts), so int64 and decimals stay exact.
 *
 * Idempotent: the MERGE sets each key to the batch's state (insert, update of the sent columns,
 * delete), so a replay writes the same values again. Nothing is retried here: failures are
 * classified (errors.ts) and thrown whole, so the core can back off, shrink, pause or bisect a
 * poison batch. A failed batch leaves the target untouched (the MERGE and TRUNCATE share one
 * transaction; the stage is private to the session).
 */
import type { ColumnSchema, TableSchema, Value } from '../../src/cdc/types.ts';
import { UNCHANGED } from '../../src/cdc/types.ts';
import { SinkError } from '../../src/errors.ts';
import type { Logger } from '../../src/observe/logger.ts';
import type { RowChange, TableBatch, TargetTable, WriteContext, WriteResult, Writer } from '../../src/writer/types.ts';
import type { SnowflakeConfig } from './config.ts';
import { classifySnowflakeError, toSinkError } from './errors.ts';
import { type SessionSource, type SnowflakeSession, SessionPool } from './session-pool.ts';
import {
  OP_DELETE,
  OP_UPSERT,
  SOFT_DELETED_COLUMN,
  SYNCED_AT_COLUMN,
  type StagingLayout,
  type TableRef,
  addColumnSql,
  columnDefinition,
  createSchemaSql,
  createStagingSql,
  createTableSql,
  describeTableSql,
  loadStagingSql,
  mergeSql,
  softDeleteColumnDefinitions,
  stageName,
  stagingLayout,
  truncateSql,
  useSchemaSql,
} from './statements.ts';
import { stagingText } from './type-map.ts';

const STAGE_TABLE = '__sluice_stage';

/** The batch's schema with the identifier rule applied to column and key names. */
interface TargetShape {
  readonly columns: readonly ColumnSchema[];
  readonly key: readonly string[];
  /** Source column name → target column name. */
  readonly rename: (name: string) => string;
}

export class SnowflakeWriter implements Writer {
  readonly #config: SnowflakeConfig;
  readonly #logger: Logger;
  readonly #pool: SessionSource;
  /** Known columns per table (qualified name), from DESCRIBE TABLE plus what we added. */
  readonly #knownColumns = new Map<string, Set<string>>();
  readonly #readySchemas = new Set<string>();
  /** Serialises DDL per table inside this process. */
  readonly #ddlLocks = new Map<string, Promise<void>>();

  constructor(config: SnowflakeConfig, logger: Logger, pool?: SessionSource) {
    this.#config = config;
    this.#logger = logger;
    this.#pool = pool ?? new SessionPool(config, logger);
  }

  async open(): Promise<void> {
    const session = await this.#acquire('logging in to Snowflake');
    try {
      const rows = await session.execute('SELECT CURRENT_DATABASE() AS "database"');
      if (rows[0]?.database === null || rows[0]?.database === undefined) {
        throw new SinkError('fatal', `database ${JSON.stringify(this.#config.database)} does not exist or the role cannot use it (SLUICE_SNOWFLAKE_DATABASE)`, {
          code: 'snowflake.database_missing',
        });
      }
      this.#pool.release(session);
    } catch (error) {
      this.#settle(session, error);
      throw toSinkError(error, 'checking the Snowflake session');
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async write(batch: TableBatch, _context: WriteContext): Promise<WriteResult> {
    if (batch.changes.length === 0 && !batch.truncateFirst) return { failures: [] };
    const target = this.#targetRef(batch.table);
    const shape = this.#shape(batch.schema);
    if (shape.key.length === 0) {
      throw new SinkError('poison', `table ${batch.table.name}: no primary key in the change events; a MERGE needs one`, { code: 'snowflake.no_primary_key' });
    }
    const session = await this.#acquire('connecting to Snowflake');
    let inTransaction = false;
    try {
      await this.#ensureTable(session, target, shape);
      let layout: StagingLayout | null = null;
      if (batch.changes.length > 0) {
        layout = stagingLayout(shape.columns, shape.key, partialColumns(batch, shape));
        const stage = stageName(STAGE_TABLE);
        await session.execute(createStagingSql(stage, layout));
        for (const document of stagingDocuments(batch, layout, this.#config.stageChunkBytes)) {
          await session.execute(loadStagingSql(stage, layout), [document]);
        }
        inTransaction = true;
        await session.execute('BEGIN');
        if (batch.truncateFirst) await session.execute(truncateSql(target));
        await session.execute(mergeSql(target, stage, layout, this.#config.softDelete));
      } else {
        inTransaction = true;
        await session.execute('BEGIN');
        await session.execute(truncateSql(target));
      }
      await session.execute('COMMIT');
      inTransaction = false;
      this.#pool.release(session);
      return { failures: [] };
    } catch (error) {
      // A session that is still usable is rolled back and reused; one that is not is dropped
      // without waiting on it (ending a session rolls back its open transaction).
      const usable = !classifySnowflakeError(error).reconnect;
      if (inTransaction && usable) await session.execute('ROLLBACK').catch(() => undefined);
      this.#knownColumns.delete(qualifiedKey(target));
      this.#settle(session, error);
      throw toSinkError(error, `writing ${batch.changes.length} changes to ${target.schema}.${target.name}`);
    }
  }

  async #acquire(context: string): Promise<SnowflakeSession> {
    try {
      return await this.#pool.acquire();
    } catch (error) {
      throw toSinkError(error, context);
    }
  }

  /** Returns the session to the pool, or drops it when the failure left it unusable. */
  #settle(session: SnowflakeSession, error: unknown): void {
    if (classifySnowflakeError(error).reconnect) this.#pool.discard(session);
    else this.#pool.release(session);
  }

  #name(name: string): string {
    return this.#config.identifierCase === 'upper' ? name.toUpperCase() : name;
  }

  #targetRef(table: TargetTable): TableRef {
    return { database: this.#config.database, schema: this.#name(table.namespace ?? this.#config.schema), name: this.#name(table.name) };
  }

  #shape(schema: TableSchema): TargetShape {
    if (this.#config.identifierCase === 'preserve') return { columns: schema.columns, key: schema.key, rename: (name) => name };
    const rename = (name: string) => this.#name(name);
    return { columns: schema.columns.map((column) => ({ ...column, name: rename(column.name) })), key: schema.key.map(rename), rename };
  }

  async #ensureTable(session: SnowflakeSession, target: TableRef, shape: TargetShape): Promise<void> {
    const key = qualifiedKey(target);
    const covered = () => {
      const known = this.#knownColumns.get(key);
      return known !== undefined && shape.columns.every((column) => known.has(column.name));
    };
    if (covered()) return;
    const previous = this.#ddlLocks.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(async () => {
      if (!covered()) await this.#applyDdl(session, target, shape);
    });
    this.#ddlLocks.set(key, run);
    try {
      await run;
    } finally {
      if (this.#ddlLocks.get(key) === run) this.#ddlLocks.delete(key);
    }
  }

  async #applyDdl(session: SnowflakeSession, target: TableRef, shape: TargetShape): Promise<void> {
    const autoCreate = this.#config.autoCreate;
    const schemaKey = JSON.stringify([target.database, target.schema]);
    if (autoCreate && !this.#readySchemas.has(schemaKey)) {
      await session.execute(createSchemaSql(target.database, target.schema));
      await session.execute(useSchemaSql(this.#config.database, this.#config.schema));
      this.#readySchemas.add(schemaKey);
    }
    if (autoCreate) await session.execute(createTableSql(target, shape.columns, shape.key, this.#config.softDelete));
    const existing = new Set((await session.execute(describeTableSql(target))).map((row) => String(row.name)));
    const missing = shape.columns.filter((column) => !existing.has(column.name));
    if (missing.length > 0 && !autoCreate) {
      throw new SinkError(
        'fatal',
        `table ${target.schema}.${target.name} lacks columns ${missing.map((column) => JSON.stringify(column.name)).join(', ')} and SLUICE_SNOWFLAKE_AUTO_CREATE is false`,
        { code: 'snowflake.missing_column' },
      );
    }
    const definitions = missing.map((column) => ({ name: column.name, definition: columnDefinition(column, false) }));
    if (this.#config.softDelete) {
      const [deleted, syncedAt] = softDeleteColumnDefinitions();
      if (!existing.has(SOFT_DELETED_COLUMN)) definitions.push({ name: SOFT_DELETED_COLUMN, definition: deleted as string });
      if (!existing.has(SYNCED_AT_COLUMN)) definitions.push({ name: SYNCED_AT_COLUMN, definition: syncedAt as string });
    }
    for (const { name, definition } of definitions) {
      await session.execute(addColumnSql(target, definition));
      existing.add(name);
      this.#logger.info({ event: 'snowflake-column-added', table: `${target.schema}.${target.name}`, column: name }, 'added a column');
    }
    this.#knownColumns.set(qualifiedKey(target), existing);
  }
}

function qualifiedKey(table: TableRef): string {
  return JSON.stringify([table.database, table.schema, table.name]);
}

/** Columns that at least one upsert did not send (UNCHANGED or absent): they need a presence flag. */
function partialColumns(batch: TableBatch, shape: TargetShape): Set<string> {
  const partial = new Set<string>();
  const sourceNames = batch.schema.columns.map((column) => column.name);
  for (const change of batch.changes) {
    if (change.kind !== 'upsert') continue;
    for (const name of sourceNames) {
      const value = change.row.get(name);
      if (value === undefined || value === UNCHANGED) partial.add(shape.rename(name));
    }
  }
  return partial;
}

/** One staging row: the op, the value texts, then the presence flags. */
export function stagingRow(change: RowChange, batch: TableBatch, layout: StagingLayout): (string | null)[] {
  const cells: (string | null)[] = new Array(layout.width).fill(null);
  cells[0] = change.kind === 'upsert' ? OP_UPSERT : OP_DELETE;
  layout.columns.forEach((staged, index) => {
    const sourceName = batch.schema.columns[index]?.name as string;
    const keyValue = staged.isKey ? change.key.get(sourceName) : undefined;
    const value: Value | undefined = keyValue ?? (change.kind === 'upsert' ? change.row.get(sourceName) : undefined);
    const sent = value !== undefined && value !== UNCHANGED;
    cells[staged.cell] = sent ? stagingText(staged.column.type, value) : null;
    if (staged.presenceCell !== null) cells[staged.presenceCell] = sent ? 'true' : 'false';
  });
  return cells;
}

/** The batch as JSON documents of at most `chunkBytes` (a single larger row gets its own). */
export function* stagingDocuments(batch: TableBatch, layout: StagingLayout, chunkBytes: number): Generator<string> {
  let rows: string[] = [];
  let bytes = 2;
  for (const change of batch.changes) {
    const row = JSON.stringify(stagingRow(change, batch, layout));
    const rowBytes = Buffer.byteLength(row) + 1;
    if (rows.length > 0 && bytes + rowBytes > chunkBytes) {
      yield `[${rows.join(',')}]`;
      rows = [];
      bytes = 2;
    }
    rows.push(row);
    bytes += rowBytes;
  }
  if (rows.length > 0) yield `[${rows.join(',')}]`;
}
