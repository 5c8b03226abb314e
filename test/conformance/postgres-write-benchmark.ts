/**
 * Micro-benchmark of PostgresWriter.write() (not a test: no timing goal is asserted).
 * Table shape of ../shared/measurements.md; 100k rows first inserted, then written again as
 * updates, measured beside the bare reference path (COPY into an unlogged staging table, then
 * INSERT … SELECT … ON CONFLICT DO UPDATE) in the same run. Batches are built before the clock starts;
 * the writer's own encoding (values → COPY text) is inside the measurement.
 *
 *   node --import tsx test/conformance/postgres-write-benchmark.ts [rows] [batchRows]
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { UNCHANGED, type Value } from '../../src/cdc/types.ts';
import { silentLogger } from '../../src/observe/logger.ts';
import type { RowChange, TableBatch, TargetTable } from '../../src/writer/types.ts';
import postgres from '../../connectors/postgres/index.ts';
import { createUniqueDatabase, startServices } from '../support/services.ts';
import { column, tableSchema } from './batches.ts';

const rowCount = Number(process.argv[2] ?? 100_000);
const batchRows = Number(process.argv[3] ?? rowCount);

const schema = tableSchema(
  [
    column('id', { kind: 'int64' }, false),
    column('name', { kind: 'string' }),
    column('email', { kind: 'string' }),
    column('amount', { kind: 'decimal', precision: 12, scale: 2 }),
    column('status', { kind: 'string' }),
    column('updated_at', { kind: 'timestamptz' }),
    column('payload', { kind: 'json' }),
  ],
  ['id'],
);

function row(id: number, round: number): Map<string, Value> {
  return new Map<string, Value>([
    ['id', BigInt(id)],
    ['name', `name ${id} r${round}`],
    ['email', `user${id}@example.com`],
    ['amount', `${(id * 7 + round) % 100000}.${String(id % 100).padStart(2, '0')}`],
    ['status', ['new', 'paid', 'shipped'][(id + round) % 3] ?? 'new'],
    ['updated_at', new Date(1_700_000_000_000 + id * 1000 + round).toISOString()],
    ['payload', `{"round": ${round}, "tags": ["a", "b"], "n": ${id}}`],
  ]);
}

function batches(table: TargetTable, round: number, toastEvery = 0): TableBatch[] {
  const result: TableBatch[] = [];
  for (let start = 0; start < rowCount; start += batchRows) {
    const changes: RowChange[] = [];
    for (let id = start; id < Math.min(rowCount, start + batchRows); id += 1) {
      const values = row(id, round);
      if (toastEvery > 0 && id % toastEvery === 0) values.set('payload', UNCHANGED);
      changes.push({ kind: 'upsert', key: new Map([['id', BigInt(id)]]), row: values, version: 0n, origins: [], sourceTsMs: 0 });
    }
    result.push({ table, schema, truncateFirst: false, truncateOrigins: [], changes });
  }
  return result;
}

async function timed(label: string, work: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label.padEnd(62)} ${seconds.toFixed(2)} s  ${Math.round(rowCount / seconds).toLocaleString('en-US')} rows/s`);
  return seconds;
}

function referenceCopyText(round: number): string {
  const lines: string[] = [];
  for (let id = 0; id < rowCount; id += 1) lines.push(`${[...row(id, round).values()].map(String).join('\t')}\n`);
  return lines.join('');
}

await startServices();
const database = await createUniqueDatabase('sluice_bench_pg');
const writer = postgres.createWriter({ env: { SLUICE_PG_URL: database.url }, logger: silentLogger() });
const admin = new pg.Client({ connectionString: database.url });
try {
  await writer.open();
  await admin.connect();
  const signal = new AbortController().signal;
  const table: TargetTable = { namespace: 'public', name: 'bench' };
  console.log(`${rowCount} rows, batches of ${batchRows}`);
  const round0 = batches(table, 0);
  await timed('write(): inserts (table empty)', async () => {
    for (const batch of round0) await writer.write(batch, { signal });
  });
  await admin.query('VACUUM ANALYZE bench');
  await admin.query('CREATE UNLOGGED TABLE ref_staging (LIKE bench)');

  // Writer and reference alternate, so both see the same (shared, noisy) machine.
  const ratios: number[] = [];
  for (let pair = 0; pair < 3; pair += 1) {
    const updates = batches(table, 10 + pair * 2);
    const writerSeconds = await timed(`write(): every row an update (pair ${pair + 1})`, async () => {
      for (const batch of updates) await writer.write(batch, { signal });
    });
    await admin.query('VACUUM ANALYZE bench');
    // The reference ceiling: the same rows as prepared COPY text, bare COPY → unlogged staging → upsert.
    const text = referenceCopyText(11 + pair * 2);
    const referenceSeconds = await timed(`reference: COPY → unlogged staging → upsert (pair ${pair + 1})`, async () => {
      await admin.query('BEGIN');
      await admin.query('TRUNCATE ref_staging');
      await pipeline(Readable.from([text]), admin.query(copyFrom('COPY ref_staging FROM STDIN')));
      await admin.query(
        'INSERT INTO bench SELECT * FROM ref_staging ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, ' +
          'amount = EXCLUDED.amount, status = EXCLUDED.status, updated_at = EXCLUDED.updated_at, payload = EXCLUDED.payload',
      );
      await admin.query('COMMIT');
    });
    await admin.query('VACUUM ANALYZE bench');
    ratios.push(referenceSeconds / writerSeconds);
  }
  const toast = batches(table, 20, 10);
  await timed('write(): every row an update, 1 in 10 with TOAST placeholder', async () => {
    for (const batch of toast) await writer.write(batch, { signal });
  });
  console.log(`write() speed / reference speed per pair: ${ratios.map((ratio) => ratio.toFixed(2)).join(', ')}`);
} finally {
  await writer.close();
  await admin.end();
  await database.drop();
}
