/**
 * The BigQuery Writer. One TableBatch:
 *
 *   [first sight of the table or a new column] dataset and table created when missing
 *       (tables.insert), new columns added (tables.patch of the schema)
 *   tables.insert  _sluice_stage_<uuid> with an expiration      (concurrent batches in parallel)
 *   load job       the batch as newline-delimited JSON into the staging table
 *   query job      [DELETE … WHERE TRUE;] MERGE target USING stage  (serialised per table)
 *   tables.delete  the staging table (in the background; close() waits for it)
 *
 * Why staging + MERGE and not the Storage Write API with _CHANGE_TYPE: see docs/bigquery.md
 * (the emulator has no CDC upserts, and the MERGE path keeps UNCHANGED columns, which
 * _CHANGE_TYPE=UPSERT cannot: it replaces the whole row).
 *
 * Idempotent: the MERGE sets each key to the batch's state (insert, update of the sent columns,
 * delete), so a replay writes the same values again. Nothing is retried here: failures are
 * classified (errors.ts) and thrown whole so the core can back off, shrink, pause or bisect a
 * poison batch; a change whose value BigQuery cannot hold at all (type-map.ts) is returned alone
 * in WriteResult.failures and the rest of the batch is written. The target changes only in the
 * MERGE (one statement, or one transaction with the truncate), so a failed batch leaves it as it
 * was.
 */
import { randomUUID } from 'node:crypto';
import type { BigQuery, Dataset, Job, TableField } from '@google-cloud/bigquery';
import { UNCHANGED, type Value } from '../../src/cdc/types.ts';
import { SinkError, isSinkError } from '../../src/errors.ts';
import type { Logger } from '../../src/observe/logger.ts';
import type { RowChange, RowFailure, TableBatch, TargetTable, WriteContext, WriteResult, Writer } from '../../src/writer/types.ts';
import { createBigQueryClient } from './client.ts';
import type { BigQueryConfig } from './config.ts';
import { classifyBigQueryError, toSinkError } from './errors.ts';
import { startLoadJob } from './load-upload.ts';
import {
  OP_COLUMN,
  OP_DELETE,
  OP_UPSERT,
  STAGING_PREFIX,
  addColumnSql,
  type StagingLayout,
  type TableRef,
  type TargetColumn,
  datasetName,
  mergeSql,
  stagingFields,
  stagingLayout,
  tableName,
  targetColumns,
  targetFields,
  truncateSql,
} from './statements.ts';
import { TableLocks } from './table-locks.ts';
import { stagingJson } from './type-map.ts';

/** How the truncate of a truncateFirst batch is applied together with its MERGE. */
type TruncateMode = 'transaction' | 'separate';

export class BigQueryWriter implements Writer {
  readonly #config: BigQueryConfig;
  readonly #logger: Logger;
  #client: BigQuery | null = null;
  /** Column names (lower case: BigQuery names are case-insensitive) per table, as last seen or added. */
  readonly #knownColumns = new Map<string, Set<string>>();
  readonly #readyDatasets = new Set<string>();
  readonly #ddlLocks = new TableLocks();
  readonly #mergeLocks = new TableLocks();
  readonly #pendingDrops = new Set<Promise<void>>();
  #truncateMode: TruncateMode = 'transaction';

  constructor(config: BigQueryConfig, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
  }

  get #bigquery(): BigQuery {
    if (this.#client === null) throw new Error('BigQueryWriter.open() was not called');
    return this.#client;
  }

  async open(): Promise<void> {
    this.#client ??= await createBigQueryClient(this.#config);
    try {
      const [exists] = await this.#bigquery.dataset(this.#config.dataset).exists();
      if (!exists) {
        throw new SinkError('fatal', `dataset ${this.#config.project}.${this.#config.dataset} does not exist or the credentials cannot see it (SLUICE_BIGQUERY_DATASET)`, {
          code: 'bigquery.dataset_missing',
        });
      }
      this.#readyDatasets.add(this.#config.dataset);
    } catch (error) {
      throw toSinkError(error, `checking dataset ${this.#config.project}.${this.#config.dataset}`);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#pendingDrops]);
  }

  async write(batch: TableBatch, _context: WriteContext): Promise<WriteResult> {
    if (batch.changes.length === 0 && !batch.truncateFirst) return { failures: [] };
    const target = this.targetRef(batch.table);
    const columns = targetColumns(batch.schema.columns, batch.schema.key);
    if (batch.schema.key.length === 0) {
      throw new SinkError('poison', `table ${batch.table.name}: no primary key in the change events; a MERGE needs one`, { code: 'bigquery.no_primary_key' });
    }
    const layout = stagingLayout(columns, partialColumns(batch, columns));
    const { lines, failures } = stagingLines(batch, layout);
    if (lines.length === 0 && !batch.truncateFirst) return { failures };
    const context = `writing ${batch.changes.length} changes to ${target.dataset}.${target.table}`;
    let stage: TableRef | null = null;
    try {
      await this.#ensureTable(target, columns);
      if (lines.length > 0) stage = await this.#loadStage(target, layout, lines);
      const staged = stage;
      await this.#mergeLocks.run(tableKey(target), () => this.#apply(target, staged, layout, batch.truncateFirst));
      return { failures };
    } catch (error) {
      if (classifyBigQueryError(error).forgetTable) this.#knownColumns.delete(tableKey(target));
      throw toSinkError(error, context);
    } finally {
      if (stage !== null) this.#dropInBackground(stage);
    }
  }

  /** Where a TargetTable lives in BigQuery, after the naming rule (statements.ts). */
  targetRef(table: TargetTable): TableRef {
    const { project, dataset, namespaceMode } = this.#config;
    if (table.namespace === null) return { project, dataset, table: tableName(table.name) };
    if (namespaceMode === 'prefix') return { project, dataset, table: tableName(`${table.namespace}_${table.name}`) };
    return { project, dataset: datasetName(table.namespace), table: tableName(table.name) };
  }

  async #apply(target: TableRef, stage: TableRef | null, layout: StagingLayout, truncateFirst: boolean): Promise<void> {
    const statements = [...(truncateFirst ? [truncateSql(target)] : []), ...(stage === null ? [] : [mergeSql(target, stage, layout)])];
    if (statements.length === 1) {
      await this.#query(statements[0] as string);
      return;
    }
    if (this.#truncateMode === 'transaction') {
      try {
        await this.#query(`BEGIN TRANSACTION;\n${statements.join(';\n')};\nCOMMIT TRANSACTION;`);
        return;
      } catch (error) {
        if (classifyBigQueryError(error).errorClass !== 'fatal') throw error;
        // An endpoint without multi-statement transactions (the emulator): fall back for good.
        this.#truncateMode = 'separate';
        this.#logger.warn({ event: 'bigquery-no-transactions', error: (error as Error).message }, 'multi-statement transactions refused; truncate and MERGE run as two statements');
      }
    }
    for (const statement of statements) await this.#query(statement);
  }

  async #query(sql: string): Promise<void> {
    const [job] = await this.#bigquery.createQueryJob({
      query: sql,
      jobTimeoutMs: this.#config.jobTimeoutMs,
      ...(this.#config.location === null ? {} : { location: this.#config.location }),
    });
    await awaitJob(job, this.#config.jobTimeoutMs);
  }

  async #loadStage(target: TableRef, layout: StagingLayout, lines: readonly string[]): Promise<TableRef> {
    const stage: TableRef = { ...target, table: `${STAGING_PREFIX}${randomUUID().replaceAll('-', '')}` };
    const dataset = this.#bigquery.dataset(stage.dataset);
    await dataset.createTable(stage.table, {
      schema: { fields: stagingFields(layout) as TableField[] },
      expirationTime: String(Date.now() + this.#config.stagingExpirationMs),
    });
    try {
      const job = await startLoadJob(this.#bigquery, {
        destination: stage,
        fields: null,
        ndjson: `${lines.join('\n')}\n`,
        location: this.#config.location,
        authenticate: this.#config.auth.kind !== 'none',
      });
      await awaitJob(job, this.#config.jobTimeoutMs);
    } catch (error) {
      this.#dropInBackground(stage);
      throw error;
    }
    return stage;
  }

  #dropInBackground(stage: TableRef): void {
    const drop = this.#bigquery
      .dataset(stage.dataset)
      .table(stage.table)
      .delete({ ignoreNotFound: true })
      .then(() => undefined)
      .catch((error: unknown) => {
        this.#logger.warn({ event: 'bigquery-stage-drop-failed', table: `${stage.dataset}.${stage.table}`, error: (error as Error).message }, 'staging table left to expire');
      });
    this.#pendingDrops.add(drop);
    void drop.finally(() => this.#pendingDrops.delete(drop));
  }

  async #ensureTable(target: TableRef, columns: readonly TargetColumn[]): Promise<void> {
    const key = tableKey(target);
    const covered = () => {
      const known = this.#knownColumns.get(key);
      return known !== undefined && columns.every((column) => known.has(column.name.toLowerCase()));
    };
    if (covered()) return;
    await this.#ddlLocks.run(key, async () => {
      if (!covered()) await this.#applyDdl(target, columns);
    });
  }

  async #ensureDataset(name: string): Promise<void> {
    if (this.#readyDatasets.has(name)) return;
    const dataset = this.#bigquery.dataset(name);
    const [exists] = await dataset.exists();
    if (!exists) {
      if (!this.#config.autoCreate) {
        throw new SinkError('fatal', `dataset ${this.#config.project}.${name} does not exist and SLUICE_BIGQUERY_AUTO_CREATE is false`, { code: 'bigquery.dataset_missing' });
      }
      await dataset.create(this.#config.location === null ? {} : { location: this.#config.location }).catch((error: unknown) => {
        if (!isAlreadyExists(error)) throw error;
      });
      this.#logger.info({ event: 'bigquery-dataset-created', dataset: name }, 'created a dataset');
    }
    this.#readyDatasets.add(name);
  }

  async #applyDdl(target: TableRef, columns: readonly TargetColumn[]): Promise<void> {
    await this.#ensureDataset(target.dataset);
    const table = this.#bigquery.dataset(target.dataset).table(target.table);
    let fields = await readFields(table);
    if (fields === null) {
      if (!this.#config.autoCreate) {
        throw new SinkError('fatal', `table ${target.dataset}.${target.table} does not exist and SLUICE_BIGQUERY_AUTO_CREATE is false`, { code: 'bigquery.table_missing' });
      }
      await this.#bigquery
        .dataset(target.dataset)
        .createTable(target.table, { schema: { fields: targetFields(columns) as TableField[] } })
        .catch((error: unknown) => {
          if (!isAlreadyExists(error)) throw error;
        });
      this.#logger.info({ event: 'bigquery-table-created', table: `${target.dataset}.${target.table}` }, 'created a table');
      fields = (await readFields(table)) ?? [];
    }
    const existing = new Set(fields.map((field) => String(field.name).toLowerCase()));
    const missing = columns.filter((column) => !existing.has(column.name.toLowerCase()));
    if (missing.length > 0) {
      if (!this.#config.autoCreate) {
        throw new SinkError(
          'fatal',
          `table ${target.dataset}.${target.table} lacks columns ${missing.map((column) => JSON.stringify(column.name)).join(', ')} and SLUICE_BIGQUERY_AUTO_CREATE is false`,
          { code: 'bigquery.missing_column' },
        );
      }
      // ALTER TABLE rather than tables.patch: the emulator records a patched schema but its SQL
      // does not see the new column. New columns are NULLABLE (BigQuery cannot add a REQUIRED
      // column to a table with rows).
      for (const column of missing) {
        await this.#query(addColumnSql(target, column));
        existing.add(column.name.toLowerCase());
        this.#logger.info({ event: 'bigquery-column-added', table: `${target.dataset}.${target.table}`, column: column.name }, 'added a column');
      }
    }
    this.#knownColumns.set(tableKey(target), existing);
  }
}

function tableKey(ref: TableRef): string {
  return JSON.stringify([ref.project, ref.dataset, ref.table]);
}

function isAlreadyExists(error: unknown): boolean {
  const record = error as { code?: unknown; errors?: { reason?: string }[] } | null;
  return record?.code === 409 || (record?.errors ?? []).some((proto) => proto.reason === 'duplicate');
}

/** The table's schema fields, or null when the table does not exist. */
async function readFields(table: ReturnType<Dataset['table']>): Promise<TableField[] | null> {
  try {
    const [metadata] = await table.getMetadata();
    return ((metadata as { schema?: { fields?: TableField[] } }).schema?.fields ?? []) as TableField[];
  } catch (error) {
    if ((error as { code?: unknown }).code === 404) return null;
    throw error;
  }
}

/**
 * Waits for a job to finish; a job that ended with an error rejects with it (errors.ts reads it).
 * A job still running after `timeoutMs` is cancelled and the batch fails as retryable (the MERGE
 * is idempotent, so a late completion of the cancelled job does no harm).
 */
async function awaitJob(job: Job, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      void job.cancel().catch(() => undefined);
      reject(new SinkError('retryable', `BigQuery job ${job.id ?? '?'} still running after ${timeoutMs} ms (SLUICE_BIGQUERY_JOB_TIMEOUT_MS); cancelled`, { code: 'bigquery.job_timeout' }));
    }, timeoutMs);
  });
  try {
    await Promise.race([job.promise(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Columns (target names) that at least one upsert did not send (UNCHANGED or absent): they need a presence flag. */
function partialColumns(batch: TableBatch, columns: readonly TargetColumn[]): Set<string> {
  const partial = new Set<string>();
  for (const change of batch.changes) {
    if (change.kind !== 'upsert') continue;
    for (const column of columns) {
      const value = change.row.get(column.source.name);
      if (value === undefined || value === UNCHANGED) partial.add(column.name);
    }
  }
  return partial;
}

/** The batch as load-file lines; changes with a value BigQuery cannot hold are returned as failures. */
export function stagingLines(batch: TableBatch, layout: StagingLayout): { lines: string[]; failures: RowFailure[] } {
  const lines: string[] = [];
  const failures: RowFailure[] = [];
  for (const change of batch.changes) {
    try {
      lines.push(JSON.stringify(stagingRow(change, layout)));
    } catch (error) {
      if (!isSinkError(error)) throw error;
      failures.push({ change, error });
    }
  }
  return { lines, failures };
}

function stagingRow(change: RowChange, layout: StagingLayout): Record<string, unknown> {
  const row: Record<string, unknown> = { [OP_COLUMN]: change.kind === 'upsert' ? OP_UPSERT : OP_DELETE };
  for (const staged of layout.columns) {
    const sourceName = staged.column.source.name;
    const keyValue = staged.column.isKey ? change.key.get(sourceName) : undefined;
    const value: Value | undefined = keyValue ?? (change.kind === 'upsert' ? change.row.get(sourceName) : undefined);
    const sent = value !== undefined && value !== UNCHANGED;
    row[staged.valueName] = sent ? stagingJson(staged.column.source.type, value, sourceName) : null;
    if (staged.presenceName !== null) row[staged.presenceName] = sent;
  }
  return row;
}
