/**
 * The PostgreSQL Writer. One TableBatch = one transaction on one pooled connection:
 *
 *   (once per connection and column-type list: CREATE TEMPORARY TABLE sluice_staging_<n> … ON COMMIT DELETE ROWS)
 *   BEGIN
 *   [exactly-once] lock the partitions' epoch rows, fail 'pg.fenced' if an epoch moved on
 *   [truncateFirst] TRUNCATE target
 *   COPY pg_temp.sluice_staging_<n> FROM STDIN
 *   DELETE FROM target USING staging  (deletes)
 *   INSERT INTO target SELECT … FROM staging ON CONFLICT (key) DO UPDATE   (one per presence group)
 *   [exactly-once] raise the (partition, table) offset marks
 *   COMMIT
 *
 * Every key appears at most once in a batch (core contract), so the delete and the upserts
 * never touch the same row and their order does not matter. Replaying a batch rewrites the same
 * values: idempotent. Nothing is retried here; failures are classified (errors.ts) and thrown
 * whole, so a poison batch is bisected by the core.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SinkError } from '../../src/errors.ts';
import type { Logger } from '../../src/observe/logger.ts';
import type { TableBatch, WriteContext, WriteResult, Writer } from '../../src/writer/types.ts';
import type { PostgresConfig } from './config.ts';
import { PooledConnection } from './connection.ts';
import { classifyPostgresError, toSinkError } from './errors.ts';
import { PostgresOffsetStore, checkEpochs, highestOrigins, recordOffsets } from './exactly-once.ts';
import { StagedBatch } from './staging.ts';
import { copyIntoStagingSql, deleteSql, truncateSql, upsertGroupSql } from './statements.ts';
import { stagingTableFor } from './staging-tables.ts';
import { type TableShape, TableShapes } from './table-shapes.ts';

export class PostgresWriter implements Writer {
  readonly exactlyOnce: PostgresOffsetStore;
  readonly #config: PostgresConfig;
  readonly #logger: Logger;
  readonly #pool: pg.Pool;
  readonly #shapes: TableShapes;

  constructor(config: PostgresConfig, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
    this.#pool = new pg.Pool({
      ...(config.connectionString === null
        ? { host: config.host, port: config.port, user: config.user, database: config.database }
        : { connectionString: config.connectionString }),
      ...(config.password === null ? {} : { password: config.password }),
      max: config.poolSize,
      connectionTimeoutMillis: config.connectTimeoutMs,
      application_name: config.applicationName,
      ...(config.statementTimeoutMs > 0 ? { statement_timeout: config.statementTimeoutMs } : {}),
    });
    // An idle pooled connection that dies (server restart) must not crash the process; the next
    // checkout gets a fresh connection.
    this.#pool.on('error', (error) => {
      this.#logger.warn({ event: 'pg-idle-connection-error', code: classifyPostgresError(error).code }, 'idle PostgreSQL connection failed');
    });
    this.#shapes = new TableShapes(this.#pool, config.autoCreate, logger);
    this.exactlyOnce = new PostgresOffsetStore(this.#pool, config.offsetsSchema);
  }

  async open(): Promise<void> {
    try {
      const result = await this.#pool.query<{ database: string; version: string }>(
        'SELECT current_database() AS database, current_setting($1) AS version',
        ['server_version'],
      );
      const row = result.rows[0];
      this.#logger.info({ event: 'pg-connected', database: row?.database, serverVersion: row?.version }, 'connected to PostgreSQL');
    } catch (error) {
      throw toSinkError(error, 'connecting to PostgreSQL');
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async write(batch: TableBatch, context: WriteContext): Promise<WriteResult> {
    if (context.signal.aborted) throw abortedError();
    const schema = batch.table.namespace ?? this.#config.defaultSchema;
    let shape: TableShape;
    let staged: StagedBatch;
    try {
      shape = await this.#shapes.ensure(schema, batch.table.name, batch.schema);
      staged = new StagedBatch(batch);
    } catch (error) {
      throw toSinkError(error, `preparing ${schema}.${batch.table.name}`);
    }
    const origins = context.exactlyOnce === undefined ? null : highestOrigins(batch);
    if (origins !== null) await this.exactlyOnce.ensureTables();
    if (staged.rows === 0 && !batch.truncateFirst && (origins === null || origins.size === 0)) return { failures: [] };

    let types: string[];
    try {
      types = stagingTypes(shape, staged);
    } catch (error) {
      throw toSinkError(error, `preparing ${schema}.${batch.table.name}`);
    }
    const connection = await PooledConnection.checkout(this.#pool).catch((error: unknown) => {
      throw toSinkError(error, 'connecting to PostgreSQL');
    });
    const client = connection.client;
    // Shutdown past its deadline: drop the connection; the server rolls the transaction back.
    const onAbort = () => connection.release(new Error('write aborted by shutdown'));
    context.signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (context.signal.aborted) throw abortedError();
      const staging = staged.rows > 0 ? await stagingTableFor(client, types) : null;
      await client.query('BEGIN');
      if (origins !== null && context.exactlyOnce !== undefined) {
        await checkEpochs(client, this.#config.offsetsSchema, context.exactlyOnce, origins);
      }
      if (batch.truncateFirst) await client.query(truncateSql(shape.qualified));
      if (staging !== null) await applyChanges(client, shape.qualified, staging, staged);
      if (origins !== null && context.exactlyOnce !== undefined) {
        await recordOffsets(client, this.#config.offsetsSchema, context.exactlyOnce, batch.table, origins);
      }
      await client.query('COMMIT');
      return { failures: [] };
    } catch (error) {
      await connection.rollback();
      if (context.signal.aborted) throw abortedError(error);
      const sinkError = toSinkError(error, `writing ${batch.changes.length} changes to ${shape.qualified}`);
      if (sinkError.code === 'pg.undefined_table' || sinkError.code === 'pg.undefined_column') {
        this.#shapes.forget(schema, batch.table.name);
      }
      throw sinkError;
    } finally {
      context.signal.removeEventListener('abort', onAbort);
      connection.release();
    }
  }
}

/** Staging column types: the target's own column types, so values are parsed as they will be stored. */
function stagingTypes(shape: TableShape, staged: StagedBatch): string[] {
  return staged.columns.map((column) => {
    const type = shape.columnTypes.get(column.name);
    // TableShapes.ensure guarantees every batch column exists; this guards that invariant.
    if (type === undefined) throw new SinkError('fatal', `${shape.qualified} lacks column ${JSON.stringify(column.name)}`, { code: 'pg.missing_column' });
    return type;
  });
}

async function applyChanges(client: pg.PoolClient, qualified: string, staging: string, staged: StagedBatch): Promise<void> {
  await pipeline(Readable.from(staged.chunks()), client.query(copyFrom(copyIntoStagingSql(staging, staged.columns.length))));
  // Row counts are not checked: deleting a missing row and rewriting the same values are both
  // correct outcomes of a replay.
  if (staged.deletes > 0) await client.query(deleteSql(qualified, staging, staged.keyColumns));
  for (const group of staged.groups) {
    await client.query(upsertGroupSql(qualified, staging, staged.keyColumns, group.columns), [group.id]);
  }
}

function abortedError(cause?: unknown): SinkError {
  return new SinkError('retryable', 'write aborted by shutdown; the transaction was rolled back', { code: 'pg.aborted', cause });
}
