/**
 * PostgreSQL-only behaviour the shared suite cannot express: start-up checks, DDL between
 * replicas, tables changed under the writer, timeouts and shutdown, each with its error class.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { TableSchema } from '../../src/cdc/types.ts';
import { type ErrorClass, isSinkError } from '../../src/errors.ts';
import { silentLogger } from '../../src/observe/logger.ts';
import type { TableBatch, TargetTable, WriteContext, Writer } from '../../src/writer/types.ts';
import postgres from '../../connectors/postgres/index.ts';
import { type TestDatabase, createUniqueDatabase, postgresUrl, startServices } from '../support/services.ts';
import { batchOf, column, tableSchema, upsert } from './batches.ts';

const schema: TableSchema = tableSchema([column('id', { kind: 'int32' }, false), column('v', { kind: 'string' })], ['id']);
const grown: TableSchema = tableSchema([...schema.columns, column('w', { kind: 'int64' })], ['id']);
const idle: WriteContext = { signal: new AbortController().signal };

function rows(table: TargetTable, from: number, count: number, tableShape = schema): TableBatch {
  return batchOf(
    table,
    tableShape,
    Array.from({ length: count }, (_, index) => upsert(tableShape, { id: from + index, v: `v${from + index}` })),
  );
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function expectSinkError(work: Promise<unknown>, errorClass: ErrorClass, code?: string): Promise<void> {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(isSinkError(error), `expected a SinkError, got ${String(error)}`);
    assert.equal(error.errorClass, errorClass, error.message);
    if (code !== undefined) assert.equal(error.code, code, error.message);
    return true;
  });
}

async function waitFor(description: string, condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('postgres writer specifics', () => {
  let database: TestDatabase;
  let admin: pg.Client;
  const writers: Writer[] = [];
  const writerWith = (extra: Record<string, string> = {}): Writer => {
    const writer = postgres.createWriter({ env: { SLUICE_PG_URL: database.url, ...extra }, logger: silentLogger() });
    writers.push(writer);
    return writer;
  };
  const count = async (qualified: string) => Number((await admin.query(`SELECT count(*) AS n FROM ${qualified}`)).rows[0]?.n);

  before(async () => {
    await startServices();
    database = await createUniqueDatabase('sluice_pg_specific');
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });

  after(async () => {
    for (const writer of writers) await writer.close().catch(() => undefined);
    await admin?.end();
    await database?.drop();
  });

  it('fails open() fatally for a missing database or role, retryably when nothing listens', async () => {
    const missingDatabase = postgres.createWriter({ env: { SLUICE_PG_URL: postgresUrl('sluice_no_such_database') }, logger: silentLogger() });
    await expectSinkError(missingDatabase.open(), 'fatal', 'pg.invalid_catalog_name');
    await missingDatabase.close();
    const url = new URL(database.url);
    url.username = 'sluice_no_such_role';
    const missingRole = postgres.createWriter({ env: { SLUICE_PG_URL: url.toString() }, logger: silentLogger() });
    await expectSinkError(missingRole.open(), 'fatal');
    await missingRole.close();
    const nobody = postgres.createWriter({ env: { SLUICE_PG_HOST: '127.0.0.1', SLUICE_PG_PORT: '1' }, logger: silentLogger() });
    await expectSinkError(nobody.open(), 'retryable');
    await nobody.close();
  });

  it('refuses identifiers PostgreSQL would truncate, as poison', async () => {
    const writer = writerWith();
    await expectSinkError(writer.write(rows({ namespace: 'public', name: 'x'.repeat(64) }, 1, 1), idle), 'poison', 'pg.invalid_identifier');
  });

  it('fails poison on an unencodable value deep in a big batch (mid-COPY) and reuses the connection', async () => {
    const writer = writerWith({ SLUICE_PG_POOL_SIZE: '1' });
    const table: TargetTable = { namespace: 'public', name: 'mid_copy' };
    const changes = Array.from({ length: 10_000 }, (_, index) => upsert(schema, { id: index, v: index === 9_000 ? 'lone \ud800' : `v${index}` }));
    await expectSinkError(writer.write(batchOf(table, schema, changes), idle), 'poison', 'pg.unencodable_value');
    await writer.write(rows(table, 1, 3), idle);
    assert.equal(await count('public.mid_copy'), 3);
  });

  it('reuses a bounded number of staging tables per connection', async () => {
    const writer = writerWith({ SLUICE_PG_POOL_SIZE: '1' });
    const kinds = ['int32', 'int64', 'boolean', 'date', 'uuid', 'float64', 'bytes', 'interval', 'json', 'timestamptz', 'string'] as const;
    const writeOne = async (kind: (typeof kinds)[number], id: number) => {
      const shape = tableSchema([column('id', { kind: 'int32' }, false), column('v', { kind })], ['id']);
      await writer.write(batchOf({ namespace: 'staging_reuse', name: kind }, shape, [upsert(shape, { id, v: null })]), idle);
    };
    for (const kind of kinds) await writeOne(kind, 1);
    for (const kind of kinds) await writeOne(kind, 2);
    // Each session has its own temporary schema: count per session.
    const staging = await admin.query(
      "SELECT max(n)::int AS n FROM (SELECT count(*) AS n FROM pg_class WHERE relpersistence = 't' AND relname LIKE 'sluice_staging_%' GROUP BY relnamespace) AS per_session",
    );
    assert.ok(staging.rows[0]?.n <= 8, `at most 8 staging tables per connection, found ${staging.rows[0]?.n}`);
    for (const kind of kinds) assert.equal(await count(`staging_reuse.${quoteName(kind)}`), 2);
  });

  it('stops fatally on a missing table when auto-create is off, and on a table without a unique key', async () => {
    const writer = writerWith({ SLUICE_PG_AUTO_CREATE: 'false' });
    await expectSinkError(writer.write(rows({ namespace: 'public', name: 'not_there' }, 1, 1), idle), 'fatal', 'pg.missing_table');
    await admin.query('CREATE TABLE public.keyless (id integer, v text)');
    await expectSinkError(writerWith().write(rows({ namespace: 'public', name: 'keyless' }, 1, 1), idle), 'fatal', 'pg.no_unique_key');
  });

  it('lets replicas race to create and grow the same table', async () => {
    const replicas = [writerWith(), writerWith(), writerWith()];
    const table: TargetTable = { namespace: 'raced schema', name: 'raced' };
    await Promise.all(replicas.map((writer, index) => writer.write(rows(table, index * 100, 50), idle)));
    await Promise.all(replicas.map((writer, index) => writer.write(rows(table, 1000 + index * 100, 50, grown), idle)));
    assert.equal(await count('"raced schema".raced'), 300);
    const columns = await admin.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'raced' ORDER BY ordinal_position");
    assert.deepEqual(
      columns.rows.map((row) => row.column_name),
      ['id', 'v', 'w'],
    );
  });

  it('re-creates a table dropped under it after one retryable failure', async () => {
    const writer = writerWith();
    const table: TargetTable = { namespace: 'public', name: 'dropped' };
    await writer.write(rows(table, 1, 5), idle);
    await admin.query('DROP TABLE public.dropped');
    await expectSinkError(writer.write(rows(table, 10, 5), idle), 'retryable', 'pg.undefined_table');
    await writer.write(rows(table, 10, 5), idle);
    assert.equal(await count('public.dropped'), 5);
  });

  it('reports a statement timeout as backpressure and a shutdown abort as retryable, and keeps working', async () => {
    const table: TargetTable = { namespace: 'public', name: 'locked' };
    const writer = writerWith({ SLUICE_PG_STATEMENT_TIMEOUT_MS: '300', SLUICE_PG_POOL_SIZE: '2' });
    await writer.write(rows(table, 1, 5), idle);
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE public.locked IN ACCESS EXCLUSIVE MODE');
      await expectSinkError(writer.write(rows(table, 100, 5), idle), 'backpressure', 'pg.query_canceled');

      const patient = writerWith({ SLUICE_PG_STATEMENT_TIMEOUT_MS: '0' });
      const shutdown = new AbortController();
      const write = patient.write(rows(table, 200, 5), { signal: shutdown.signal });
      await waitFor('the write to wait on the lock', async () => {
        const waiting = await admin.query(
          "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = 'sluice'",
        );
        return (waiting.rowCount ?? 0) > 0;
      });
      shutdown.abort();
      await expectSinkError(write, 'retryable', 'pg.aborted');
      await blocker.query('COMMIT');
      await patient.write(rows(table, 300, 5), idle);
    } finally {
      await blocker.end();
    }
    await writer.write(rows(table, 400, 5), idle);
    assert.equal(await count('public.locked'), 15);
  });

  it('reports a connection killed mid-write as retryable and recovers with a fresh connection', async () => {
    const table: TargetTable = { namespace: 'public', name: 'killed' };
    const writer = writerWith({ SLUICE_PG_POOL_SIZE: '1', SLUICE_PG_STATEMENT_TIMEOUT_MS: '0' });
    await writer.write(rows(table, 1, 5), idle);
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE public.killed IN ACCESS EXCLUSIVE MODE');
      const write = writer.write(rows(table, 100, 5), idle);
      await waitFor('the write to wait on the lock', async () => {
        const killed = await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = 'sluice'",
        );
        return (killed.rowCount ?? 0) > 0;
      });
      await expectSinkError(write, 'retryable');
      await blocker.query('COMMIT');
    } finally {
      await blocker.end();
    }
    await writer.write(rows(table, 200, 5), idle);
    assert.equal(await count('public.killed'), 10);
  });
});
