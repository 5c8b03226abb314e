/**
 * Elasticsearch/OpenSearch writer benchmark: documents/s of the writer's bulk path against
 * indexing one document per request, same server (the real OpenSearch 2.19 of
 * `scripts/services.sh up opensearch`), same documents, same client library, one request in
 * flight for both.
 *
 *   node --import tsx bench/elasticsearch-bulk.ts [--bulk-docs 50000] [--batch 1000] [--single-docs 3000]
 *
 * - bulk: `ElasticsearchWriter.write()` with TableBatches of `--batch` upserts (externally
 *   versioned `index` actions in one `_bulk` request per batch), what the service does.
 * - per-document: `PUT /<index>/_doc/<id>?version=<v>&version_type=external` for each document,
 *   through the same SDK transport (the writer's client.ts), with the same document JSON.
 * Each contender writes to its own fresh index (1 shard, 0 replicas); the indices are deleted
 * afterwards. Documents: 7 columns (int64 key, 2 texts, numeric(12,2), enum, timestamptz, json),
 * generated from a seed. Writes bench/results/elasticsearch-bulk.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Value } from '../src/cdc/types.ts';
import { silentLogger } from '../src/observe/logger.ts';
import type { RowChange, TableBatch, TargetTable } from '../src/writer/types.ts';
import { createSearchClient } from '../connectors/elasticsearch/client.ts';
import { parseConfig } from '../connectors/elasticsearch/config.ts';
import { encodeDocument } from '../connectors/elasticsearch/document-json.ts';
import { indexName } from '../connectors/elasticsearch/naming.ts';
import { ElasticsearchWriter } from '../connectors/elasticsearch/writer.ts';
import { column, tableSchema } from '../test/conformance/batches.ts';
import { SeededRandom } from '../test/conformance/random.ts';

const { values: args } = parseArgs({
  options: {
    'bulk-docs': { type: 'string', default: '50000' },
    batch: { type: 'string', default: '1000' },
    'single-docs': { type: 'string', default: '3000' },
    nodes: { type: 'string', default: process.env.SLUICE_ES_NODES ?? 'http://127.0.0.1:9200' },
    seed: { type: 'string', default: '20261125' },
  },
});
const bulkDocs = Number(args['bulk-docs']);
const batchRows = Number(args.batch);
const singleDocs = Number(args['single-docs']);

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

function rowChange(random: SeededRandom, id: number): RowChange {
  const cents = random.integer(0, 10_000_000);
  const values: Record<string, Value> = {
    id: BigInt(id),
    name: `customer ${random.integer(0, 1_000_000)}`,
    email: `user${id}@example.com`,
    amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    status: random.pick(['new', 'paid', 'shipped', 'cancelled']),
    updated_at: new Date(1_700_000_000_000 + id * 1000).toISOString(),
    payload: JSON.stringify({ items: random.integer(1, 9), note: random.text(40), tags: ['a', 'b'] }),
  };
  const key = new Map<string, Value>([['id', BigInt(id)]]);
  return { kind: 'upsert', key, row: new Map(Object.entries(values)), version: BigInt(id + 1), origins: [], sourceTsMs: 0 };
}

function percentile(samples: number[], fraction: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Number((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0).toFixed(2));
}

interface Run {
  system: string;
  config: Record<string, unknown>;
  documents: number;
  requests: number;
  seconds: number;
  documents_per_s: number;
  p50_request_ms: number;
  p99_request_ms: number;
  cpu_s: number;
}

const prefix = `sluice-bench-${Date.now()}-`;
const env = { SLUICE_ES_FLAVOUR: 'opensearch', SLUICE_ES_NODES: args.nodes, SLUICE_ES_INDEX_PREFIX: prefix, SLUICE_ES_INDEX_SHARDS: '1', SLUICE_ES_INDEX_REPLICAS: '0' };
const config = parseConfig(env);
const context = { signal: new AbortController().signal };

async function runBulk(): Promise<Run> {
  const writer = new ElasticsearchWriter(config, silentLogger());
  await writer.open();
  const table: TargetTable = { namespace: 'bench', name: 'bulk' };
  const random = new SeededRandom(Number(args.seed));
  const warmup: TableBatch = { table, schema, truncateFirst: false, truncateOrigins: [], changes: [rowChange(random, -1)] };
  await writer.write(warmup, context);
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let first = 0; first < bulkDocs; first += batchRows) {
    const changes = Array.from({ length: Math.min(batchRows, bulkDocs - first) }, (_, index) => rowChange(random, first + index));
    const batchStarted = performance.now();
    const result = await writer.write({ table, schema, truncateFirst: false, truncateOrigins: [], changes }, context);
    latencies.push(performance.now() - batchStarted);
    if (result.failures.length > 0) throw new Error(`bulk run: ${result.failures.length} failures, first: ${result.failures[0]?.error.message}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await writer.close();
  return {
    system: 'sluice-bulk',
    config: { batch_rows: batchRows, requests_in_flight: 1, version_type: 'external', detail: 'ElasticsearchWriter.write(), one _bulk request per batch (generation of each batch is inside the timing)' },
    documents: bulkDocs,
    requests: latencies.length,
    seconds: Number(seconds.toFixed(3)),
    documents_per_s: Math.round(bulkDocs / seconds),
    p50_request_ms: percentile(latencies, 0.5),
    p99_request_ms: percentile(latencies, 0.99),
    cpu_s: Number(((used.user + used.system) / 1e6).toFixed(3)),
  };
}

async function runSingle(): Promise<Run> {
  const client = await createSearchClient(config);
  const index = indexName(prefix, { namespace: 'bench', name: 'single' });
  // Same mappings as the writer would create: let the writer create the index.
  const writer = new ElasticsearchWriter(config, silentLogger());
  await writer.open();
  const random = new SeededRandom(Number(args.seed));
  await writer.write({ table: { namespace: 'bench', name: 'single' }, schema, truncateFirst: false, truncateOrigins: [], changes: [rowChange(random, -1)] }, context);
  await writer.close();
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let id = 0; id < singleDocs; id++) {
    const change = rowChange(random, id);
    if (change.kind !== 'upsert') throw new Error('unreachable');
    const requestStarted = performance.now();
    const answer = await client.send({
      method: 'PUT',
      path: `/${index}/_doc/${id}`,
      query: { version: change.version.toString(), version_type: 'external' },
      json: JSON.parse(encodeDocument(schema, change.row, null)) as Record<string, unknown>,
    });
    latencies.push(performance.now() - requestStarted);
    if (answer.statusCode !== 201 && answer.statusCode !== 200) throw new Error(`single run: HTTP ${answer.statusCode} ${answer.body.slice(0, 200)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await client.close();
  return {
    system: 'per-document',
    config: { requests_in_flight: 1, version_type: 'external', detail: 'PUT /<index>/_doc/<id>?version=<v>&version_type=external, one request per document, same SDK transport' },
    documents: singleDocs,
    requests: singleDocs,
    seconds: Number(seconds.toFixed(3)),
    documents_per_s: Math.round(singleDocs / seconds),
    p50_request_ms: percentile(latencies, 0.5),
    p99_request_ms: percentile(latencies, 0.99),
    cpu_s: Number(((used.user + used.system) / 1e6).toFixed(3)),
  };
}

try {
  const single = await runSingle();
  console.log(`per-document: ${single.documents_per_s} docs/s (${single.documents} in ${single.seconds}s, p50 ${single.p50_request_ms} ms)`);
  const bulk = await runBulk();
  console.log(`bulk:         ${bulk.documents_per_s} docs/s (${bulk.documents} in ${bulk.seconds}s, p50 ${bulk.p50_request_ms} ms per ${batchRows}-row batch)`);
  const speedup = Number((bulk.documents_per_s / single.documents_per_s).toFixed(1));
  console.log(`speed-up: ${speedup}x (goal >= 10x)`);
  const versionAnswer = await fetch(args.nodes);
  const server = ((await versionAnswer.json()) as { version?: { distribution?: string; number?: string } }).version;
  const result = {
    scenario: 'elasticsearch-bulk',
    date: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      node: process.version,
      // Other work on the machine slows both contenders; recorded so runs can be compared.
      load_average_1m_at_end: Number(os.loadavg()[0]?.toFixed(2)),
    },
    server: `${server?.distribution ?? 'elasticsearch'} ${server?.number ?? '?'} (scripts/services.sh opensearch, 1 node, heap 1g), index 1 shard 0 replicas`,
    runs: [single, bulk],
    speedup,
    goal: 'bulk >= 10x per-document',
    goal_met: speedup >= 10,
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'elasticsearch-bulk.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
} finally {
  await fetch(`${args.nodes}/${prefix}*`, { method: 'DELETE' });
}
