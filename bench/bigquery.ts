/**
 * BigQuery writer benchmark: rows/s of the writer's batched path against inserting one row per
 * request, same server (goccy/bigquery-emulator v0.8.1 of `scripts/services.sh up bigquery`),
 * same rows, same client library, one request in flight for both, in one run.
 *
 *   node --import tsx bench/bigquery.ts [--events 5000] [--batch 1000] [--per-row 150]
 *
 * - batched: `BigQueryWriter.write()` with TableBatches of `--batch` upserts: staging table,
 *   load job, one MERGE, what the service does (the staging-table drop runs in the background and
 *   is awaited by close(), inside the timing).
 * - per-row: tabledata.insertAll with one row per request (`table.insert([row])` of the SDK),
 *   the naive streaming sink. It only appends — it has no upsert or delete semantics at all — so
 *   the comparison favours it.
 * Both write the same generated rows (7 columns: int64 key, 2 texts, NUMERIC(12, 2), enum text,
 * TIMESTAMP, JSON) as new keys into their own fresh table. p50/p99 are per request (one batch or
 * one row). cpu_s is this process's CPU; server_cpu_s the emulator's (from /proc). Writes
 * bench/results/bigquery.json.
 *
 * The batched path's cost on this emulator grows with the target table: its MERGE is run as a
 * nested-loop join of every target row with every staged row (one Go function call per pair for
 * the ON equality; docs/bigquery.md, "Benchmark"), so the batched run records, per batch, the
 * target's row count before it, its seconds and the emulator's CPU (`per_batch`). The ratio
 * therefore depends on --events (how large the table grows), not on the batch size alone.
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { TableField } from '@google-cloud/bigquery';
import type { Value } from '../src/cdc/types.ts';
import { silentLogger } from '../src/observe/logger.ts';
import type { RowChange, TableBatch, TargetTable } from '../src/writer/types.ts';
import { parseBigQueryConfig } from '../connectors/bigquery/config.ts';
import { targetColumns, targetFields } from '../connectors/bigquery/statements.ts';
import { BigQueryWriter } from '../connectors/bigquery/writer.ts';
import { EMULATOR_PROJECT, createDataset, dropDataset, emulatorClient, emulatorEnv, emulatorUrl, requireEmulator, uniqueDataset } from '../test/integration/bigquery/emulator-service.ts';
import { column, tableSchema, upsert } from '../test/conformance/batches.ts';
import { SeededRandom } from '../test/conformance/random.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' },
    batch: { type: 'string', default: '1000' },
    'per-row': { type: 'string', default: '150' },
    seed: { type: 'string', default: '20261125' },
  },
});
const batchedEvents = Number(args.events);
const batchRows = Number(args.batch);
const perRowEvents = Number(args['per-row']);

const schema = tableSchema(
  [
    column('id', { kind: 'int64' }, false),
    column('name', { kind: 'string' }),
    column('email', { kind: 'string' }),
    column('amount', { kind: 'decimal', precision: 12, scale: 2 }),
    column('status', { kind: 'enum' }),
    column('updated_at', { kind: 'timestamptz' }),
    column('payload', { kind: 'json' }),
  ],
  ['id'],
);

function rowValues(random: SeededRandom, id: number): Record<string, Value> {
  const cents = random.integer(0, 10_000_000);
  return {
    id: BigInt(id),
    name: random.text(16),
    email: `${random.text(8)}@example.com`,
    amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    status: random.pick(['new', 'paid', 'shipped']),
    updated_at: new Date(1_700_000_000_000 + random.integer(0, 1e9) * 1000).toISOString(),
    payload: JSON.stringify({ n: random.integer(0, 1000), tags: [random.text(4), random.text(4)] }),
  };
}

/** The same row as insertAll takes it (JSON values; int64 and NUMERIC as text). */
function insertAllRow(values: Record<string, Value>): Record<string, string | null> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, value === null ? null : String(value)]));
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number;
}

function emulatorCpuSeconds(): number | null {
  try {
    const pid = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '.services', 'bigquery', 'pid'), 'utf8').trim();
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime + stime in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * The emulator's fixed cost of one request, measured on a trivial one (datasets.list), with the
 * number of jobs it holds: the cost grows over the emulator's lifetime (10 ms of CPU per insertAll
 * on a fresh instance, 30–40 ms after an hour of tests; docs/bigquery.md, "Emulator limits") and
 * the per-row path pays it per row, so runs on emulators of different ages can be compared.
 */
async function emulatorState(): Promise<{ jobs: number | null; request_cpu_ms: number | null; request_ms: number }> {
  const base = `${emulatorUrl()}/bigquery/v2/projects/${EMULATOR_PROJECT}`;
  const jobs = await fetch(`${base}/jobs`)
    .then(async (response) => ((await response.json()) as { jobs?: unknown[] }).jobs?.length ?? 0)
    .catch(() => null);
  const requests = 20;
  const cpuBefore = emulatorCpuSeconds();
  const started = performance.now();
  for (let index = 0; index < requests; index += 1) await (await fetch(`${base}/datasets`)).arrayBuffer();
  const requestMs = (performance.now() - started) / requests;
  const cpuAfter = emulatorCpuSeconds();
  return {
    jobs,
    request_cpu_ms: cpuBefore === null || cpuAfter === null ? null : Number((((cpuAfter - cpuBefore) * 1000) / requests).toFixed(1)),
    request_ms: Number(requestMs.toFixed(1)),
  };
}

interface Measured {
  readonly seconds: number;
  readonly requestMs: number[];
  readonly peakRssMiB: number;
  readonly cpuSeconds: number;
  readonly serverCpuSeconds: number | null;
}

async function measure(work: (timeRequest: <T>(request: () => Promise<T>) => Promise<T>) => Promise<void>): Promise<Measured> {
  const requestMs: number[] = [];
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const cpuBefore = process.cpuUsage();
  const serverBefore = emulatorCpuSeconds();
  const started = performance.now();
  await work(async (request) => {
    const t0 = performance.now();
    try {
      return await request();
    } finally {
      requestMs.push(performance.now() - t0);
    }
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = emulatorCpuSeconds();
  return {
    seconds,
    requestMs: requestMs.sort((a, b) => a - b),
    peakRssMiB: Math.round(peakRss / 1048576),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    serverCpuSeconds: serverBefore === null || serverAfter === null ? null : serverAfter - serverBefore,
  };
}

function run(system: string, config: Record<string, unknown>, events: number, measured: Measured) {
  return {
    system,
    config,
    events,
    requests: measured.requestMs.length,
    seconds: Number(measured.seconds.toFixed(3)),
    events_per_s: Number((events / measured.seconds).toFixed(2)),
    p50_ms: Number(percentile(measured.requestMs, 0.5).toFixed(1)),
    p99_ms: Number(percentile(measured.requestMs, 0.99).toFixed(1)),
    peak_rss_mib: measured.peakRssMiB,
    cpu_s: Number(measured.cpuSeconds.toFixed(3)),
    server_cpu_s: measured.serverCpuSeconds === null ? null : Number(measured.serverCpuSeconds.toFixed(3)),
  };
}

await requireEmulator();
const dataset = uniqueDataset('sluice_bench');
const client = await emulatorClient();
await createDataset(client, dataset);
const stateAtStart = await emulatorState();
try {
  // Per-row first: a slow path measured on a quiet emulator, before the batched run fills it.
  const perRowTable = client.dataset(dataset).table('per_row');
  await client.dataset(dataset).createTable('per_row', { schema: { fields: targetFields(targetColumns(schema.columns, schema.key)) as TableField[] } });
  const perRowRandom = new SeededRandom(Number(args.seed));
  const perRow = await measure(async (timeRequest) => {
    for (let id = 0; id < perRowEvents; id += 1) {
      const row = insertAllRow(rowValues(perRowRandom, id));
      await timeRequest(() => perRowTable.insert([row]));
    }
  });
  console.log(`per-row: ${perRowEvents} rows in ${perRow.seconds.toFixed(1)} s`);

  const writer = new BigQueryWriter(parseBigQueryConfig(emulatorEnv(dataset)), silentLogger());
  await writer.open();
  const target: TargetTable = { namespace: null, name: 'batched' };
  const batchedRandom = new SeededRandom(Number(args.seed));
  const perBatch: { target_rows_before: number; rows: number; seconds: number; server_cpu_s: number | null }[] = [];
  const context = { signal: new AbortController().signal };
  const batched = await measure(async (timeRequest) => {
    for (let start = 0; start < batchedEvents; start += batchRows) {
      const changes: RowChange[] = [];
      for (let id = start; id < Math.min(batchedEvents, start + batchRows); id += 1) changes.push(upsert(schema, rowValues(batchedRandom, id)));
      const batch: TableBatch = { table: target, schema, changes, truncateFirst: false, truncateOrigins: [] };
      const serverBefore = emulatorCpuSeconds();
      const t0 = performance.now();
      await timeRequest(() => writer.write(batch, context));
      const serverAfter = emulatorCpuSeconds();
      perBatch.push({
        target_rows_before: start,
        rows: changes.length,
        seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
        server_cpu_s: serverBefore === null || serverAfter === null ? null : Number((serverAfter - serverBefore).toFixed(2)),
      });
    }
    await writer.close();
  });
  console.log(`batched: ${batchedEvents} rows in ${batched.seconds.toFixed(1)} s`);

  const runs = [
    {
      ...run('per-row', { requests_in_flight: 1, detail: 'tabledata.insertAll with one row per request (append only: no upsert or delete)' }, perRowEvents, perRow),
      emulator_at_start: stateAtStart,
    },
    {
      ...run('sluice-batched', { batch_rows: batchRows, requests_in_flight: 1, detail: 'BigQueryWriter.write(): staging table + load job + one MERGE per batch, new keys into one table that grows batch by batch' }, batchedEvents, batched),
      per_batch: perBatch,
    },
  ];
  const perRowCpu = runs[0]?.server_cpu_s ?? null;
  const batchedCpu = runs[1]?.server_cpu_s ?? null;
  const result = {
    scenario: 'bigquery',
    date: new Date().toISOString(),
    machine: { cores: os.cpus().length, memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`, node: process.version, load_average_1m_at_end: Number(os.loadavg()[0]?.toFixed(2)) },
    server: 'goccy/bigquery-emulator v0.8.1 (scripts/services.sh up bigquery), in memory',
    runs,
    ratios: {
      batched_vs_per_row: Number((batchedEvents / batched.seconds / (perRowEvents / perRow.seconds)).toFixed(1)),
      // Emulator CPU per row, per-row path over batched path: less sensitive to the machine's load
      // than the wall-clock ratio (the per-row path waits on one round trip per row).
      ...(perRowCpu === null || batchedCpu === null || batchedCpu === 0
        ? {}
        : { batched_vs_per_row_by_emulator_cpu: Number((perRowCpu / perRowEvents / (batchedCpu / batchedEvents)).toFixed(1)) }),
    },
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'bigquery.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result.ratios), `→ ${out}`);
} finally {
  await dropDataset(client, dataset);
}
