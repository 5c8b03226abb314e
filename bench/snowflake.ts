/**
 * Benchmark: the Snowflake writer's batched path (staging table + one MERGE per table batch)
 * against a per-row path (one single-row MERGE per change, values bound inline), on the same
 * Snowflake emulator in one run.
 *
 *   node --import tsx bench/snowflake.ts [--events 20000] [--batch 2000] [--per-row-events 300]
 *        [--out bench/results/snowflake.json]
 *
 * Needs `scripts/services.sh up fakesnow`. Both paths write generated changes of one table
 * shape (int64 key, decimal, timestamptz, text, JSON; 75 % inserts/updates of a key space, 10 %
 * deletes, full rows — the per-row statement has no presence flags) into their own empty table.
 * The per-row path runs fewer events (it is slow), so the comparison is of rates:
 *   seconds       wall time of all writes of the path;
 *   events_per_s  changes / seconds;
 *   p50/p99_ms    latency of one write call: a whole batch (batched) or one change (per-row);
 *   peak_rss_mib  the Node process (writer + driver) at the end of the path (VmHWM is
 *                 process-wide, so it is sampled as rss after each write instead);
 *   cpu_s         CPU of this process plus CPU of the emulator process over the path;
 *   statements_excluding_ddl  statements sent (batched: stage, load chunk, BEGIN, MERGE, COMMIT
 *                 per batch; the one-time CREATE SCHEMA/TABLE and DESCRIBE are not counted).
 * Each path's table is then compared with the expected state computed from the changes.
 * This measures the emulator (DuckDB behind a Python HTTP server), not Snowflake: the ratio shows
 * what batching saves per statement round trip and per statement, not Snowflake's own figures.
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Value } from '../src/cdc/types.ts';
import { silentLogger } from '../src/observe/logger.ts';
import type { RowChange, TableBatch } from '../src/writer/types.ts';
import { parseSnowflakeConfig } from '../connectors/snowflake/config.ts';
import { SessionPool } from '../connectors/snowflake/session-pool.ts';
import { createTableSql, singleRowMergeSql, stagingLayout } from '../connectors/snowflake/statements.ts';
import { SnowflakeWriter, stagingRow } from '../connectors/snowflake/writer.ts';
import { batchOf, column, remove, tableSchema, upsert } from '../test/conformance/batches.ts';
import { TableModel, canonicalRows } from '../test/conformance/model.ts';
import { SeededRandom } from '../test/conformance/random.ts';
import { readSnowflakeTable } from '../test/conformance/snowflake-harness.ts';
import { fakesnowEnv, requireFakesnow, uniqueDatabase } from '../test/integration/snowflake/fakesnow-service.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '2000' },
    'per-row-events': { type: 'string', default: '300' },
    out: { type: 'string', default: path.join(root, 'bench/results/snowflake.json') },
  },
});

const schema = tableSchema(
  [
    column('id', { kind: 'int64' }, false),
    column('amount', { kind: 'decimal', precision: 12, scale: 2 }),
    column('updated_at', { kind: 'timestamptz' }),
    column('name', { kind: 'string' }),
    column('payload', { kind: 'json' }),
  ],
  ['id'],
);

/** Seeded changes over a key space: every key at most once per batch (the core's contract). */
function generateChanges(count: number, batchSize: number, seed: number): RowChange[][] {
  const random = new SeededRandom(seed);
  const keySpace = Math.max(2 * batchSize, Math.floor(count / 2));
  const batches: RowChange[][] = [];
  for (let start = 0; start < count; start += batchSize) {
    const seen = new Set<bigint>();
    const changes: RowChange[] = [];
    while (changes.length < Math.min(batchSize, count - start)) {
      const id = BigInt(random.integer(1, keySpace));
      if (seen.has(id)) continue;
      seen.add(id);
      if (random.next() < 0.1) {
        changes.push(remove(schema, { id }));
        continue;
      }
      const cents = random.integer(0, 10_000_000);
      const row: Record<string, Value> = {
        id,
        amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
        updated_at: new Date(1_700_000_000_000 + random.integer(0, 1_000_000_000) * 1000).toISOString(),
        name: random.text(16),
        payload: JSON.stringify({ n: random.integer(0, 1000), tag: random.text(8) }),
      };
      changes.push(upsert(schema, row));
    }
    batches.push(changes);
  }
  return batches;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

/** CPU seconds (user + system) of a process from /proc, or 0 when it cannot be read. */
function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function emulatorPid(): number {
  try {
    return Number(readFileSync(path.join(root, '.services/fakesnow/pid'), 'utf8').trim());
  } catch {
    return 0;
  }
}

interface PathResult {
  readonly system: string;
  readonly config: Record<string, string | number>;
  readonly events: number;
  readonly seconds: number;
  readonly events_per_s: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly peak_rss_mib: number;
  readonly cpu_s: number;
  readonly client_cpu_s: number;
  readonly emulator_cpu_s: number;
  readonly statements_excluding_ddl: number;
  readonly target_equal: boolean;
}

async function measure(
  system: string,
  config: Record<string, string | number>,
  units: readonly (() => Promise<void>)[],
  events: number,
  statementsPerUnit: number,
  verify: () => Promise<boolean>,
): Promise<PathResult> {
  const pid = emulatorPid();
  const emulatorBefore = processCpuSeconds(pid);
  const clientBefore = process.cpuUsage();
  let peakRss = process.memoryUsage().rss;
  const latencies: number[] = [];
  const started = performance.now();
  for (const unit of units) {
    const t0 = performance.now();
    await unit();
    latencies.push(performance.now() - t0);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const clientCpu = (client.user + client.system) / 1e6;
  const emulatorCpu = processCpuSeconds(pid) - emulatorBefore;
  latencies.sort((a, b) => a - b);
  return {
    system,
    config,
    events,
    seconds: Number(seconds.toFixed(3)),
    events_per_s: Number((events / seconds).toFixed(1)),
    p50_ms: Number(percentile(latencies, 50).toFixed(1)),
    p99_ms: Number(percentile(latencies, 99).toFixed(1)),
    peak_rss_mib: Number((peakRss / 1024 / 1024).toFixed(1)),
    cpu_s: Number((clientCpu + emulatorCpu).toFixed(2)),
    client_cpu_s: Number(clientCpu.toFixed(2)),
    emulator_cpu_s: Number(emulatorCpu.toFixed(2)),
    statements_excluding_ddl: units.length * statementsPerUnit,
    target_equal: await verify(),
  };
}

async function main(): Promise<void> {
  await requireFakesnow();
  const events = Number(args.events);
  const batchSize = Number(args.batch);
  const perRowEvents = Number(args['per-row-events']);
  const database = uniqueDatabase('SLUICE_BENCH');
  const config = parseSnowflakeConfig(fakesnowEnv(database, { SLUICE_SNOWFLAKE_POOL_SIZE: '1' }));
  // Two sessions: the per-row path holds one while the check reads its table with the other.
  const sessions = new SessionPool({ ...config, poolSize: 2 }, silentLogger());

  const matches = async (table: string, model: TableModel): Promise<boolean> => {
    const rows = await readSnowflakeTable(sessions, database, { namespace: 'PUBLIC', name: table }, schema);
    return JSON.stringify(canonicalRows(schema, rows)) === JSON.stringify(model.expected(schema));
  };

  // Batched: the writer as the pipeline uses it, one TableBatch per write.
  const writer = new SnowflakeWriter(config, silentLogger());
  await writer.open();
  const batchedTable = { namespace: 'PUBLIC', name: 'bench_batched' };
  const batchedModel = new TableModel();
  const batches: TableBatch[] = generateChanges(events, batchSize, 1).map((changes) => batchOf(batchedTable, schema, changes));
  const context = { signal: new AbortController().signal };
  const batched = await measure(
    'sluice-batched-merge',
    { batch_rows: batchSize, path: 'CREATE TEMPORARY TABLE + INSERT … FLATTEN(PARSE_JSON(?)) per ≤8 MiB chunk + BEGIN/MERGE/COMMIT' },
    batches.map((batch) => async () => {
      await writer.write(batch, context);
      batchedModel.apply(batch);
    }),
    events,
    5,
    () => matches('bench_batched', batchedModel),
  );
  await writer.close();

  // Per-row: one single-row MERGE per change on one session.
  const perRowTarget = { database, schema: 'PUBLIC', name: 'bench_per_row' };
  const layout = stagingLayout(schema.columns, schema.key, new Set());
  const mergeOne = singleRowMergeSql(perRowTarget, layout);
  const session = await sessions.acquire();
  await session.execute(createTableSql(perRowTarget, schema.columns, schema.key, false));
  const perRowModel = new TableModel();
  const perRowChanges = generateChanges(perRowEvents, perRowEvents, 2)[0] ?? [];
  const perRow = await measure(
    'per-row-merge',
    { batch_rows: 1, path: 'one MERGE … USING (SELECT CAST(? AS …) …) per change, values bound per column, autocommit' },
    perRowChanges.map((change) => async () => {
      const single = batchOf({ namespace: 'PUBLIC', name: 'bench_per_row' }, schema, [change]);
      // Binds travel as text; a NULL cell is bound as SQL NULL.
      await session.execute(mergeOne, stagingRow(change, single, layout));
      perRowModel.apply(single);
    }),
    perRowChanges.length,
    1,
    () => matches('bench_per_row', perRowModel),
  );
  sessions.release(session);
  await sessions.close();

  const result = {
    scenario: `Snowflake writer on the fakesnow 0.12.1 emulator: batched staging + MERGE (${events} changes, batches of ${batchSize}) vs one single-row MERGE per change (${perRowChanges.length} changes)`,
    date: new Date().toISOString(),
    machine: { cores: os.cpus().length, memory: `${Math.round(os.totalmem() / 1024 ** 3)} GiB`, node: process.version },
    runs: [batched, perRow],
    ratios: { batched_vs_per_row: Number((batched.events_per_s / perRow.events_per_s).toFixed(1)) },
    note: 'Emulator figures (DuckDB behind a Python HTTP server on loopback), not Snowflake: they show what one statement per batch saves over one statement per change, not warehouse throughput or credits.',
  };
  mkdirSync(path.dirname(args.out as string), { recursive: true });
  writeFileSync(args.out as string, `${JSON.stringify(result, null, 2)}\n`);
  console.table(result.runs.map(({ config: _config, ...run }) => run));
  console.log(`batched vs per-row: ${result.ratios.batched_vs_per_row}×  → ${args.out}`);
  if (!batched.target_equal || !perRow.target_equal) {
    console.error('a target table differs from the expected state');
    process.exitCode = 1;
  }
}

await main();
