/**
 * Benchmark: consume a backlog of 1M records of ~1 KB from a 4-partition topic with each
 * KafkaSource implementation (kafkajs, @confluentinc/kafka-javascript), on the real local broker.
 *
 *   node --import tsx bench/kafka-clients.ts [--records 1000000] [--record-size 1000] [--clients kafkajs,confluent] [--repeat 3] [--out bench/results/kafka-clients.json]
 *
 * The topic is produced once, by Kafka's own ProducerPerformance (scripts/kafka-cli.sh) when it
 * is available, else by batched kafkajs sends. Each client then consumes all of it in a fresh
 * consumer group, in its own child process, so CPU seconds (process.cpuUsage, which includes
 * librdkafka's threads) and peak RSS (resourceUsage().maxRSS) belong to that client alone.
 * onBatch only counts, and the newest offsets are committed once a second, as the pipeline does.
 * The clients take turns (kafkajs, confluent, kafkajs, ...) `--repeat` times, so load from other
 * work on the machine spreads over both; ratios compare the medians.
 * Writes bench/results/kafka-clients.json. Needs `scripts/services.sh up`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { createKafkaSource } from '../src/kafka/index.ts';
import type { KafkaClientName, OffsetCommit, RecordBatch } from '../src/kafka/types.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const brokers = (process.env.SLUICE_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const PARTITIONS = 4;

/** Fetch settings of the benchmark: the service's defaults (src/config/settings.ts). */
const FETCH = { fetchMaxBytes: 52_428_800, partitionFetchMaxBytes: 10_485_760, fetchMaxWaitMs: 100 };

interface ConsumeResult {
  readonly system: string;
  readonly config: Record<string, string | number>;
  readonly events: number;
  readonly seconds: number;
  readonly events_per_s: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly peak_rss_mib: number;
  readonly cpu_s: number;
  readonly batches: number;
  readonly mean_batch_records: number;
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? 0;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Child process: consume `records` records of `topic` with `client`, print one JSON line. */
async function consume(client: KafkaClientName, topic: string, records: number): Promise<void> {
  const groupId = `bench-${client}-${randomBytes(4).toString('hex')}`;
  const source = createKafkaSource(
    {
      brokers,
      clientId: `bench-${client}`,
      groupId,
      topics: [topic],
      fromBeginning: true,
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 3_000,
      ...FETCH,
    },
    client,
  );
  const gaps: number[] = [];
  const newest = new Map<number, OffsetCommit>();
  let count = 0;
  let batches = 0;
  let lastBatchAt = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const committer = setInterval(() => {
    const offsets = [...newest.values()];
    if (offsets.length > 0) void source.commit(offsets).catch(() => undefined);
  }, 1_000);
  await source.start({
    onBatch: async (batch: RecordBatch) => {
      const now = performance.now();
      if (lastBatchAt > 0) gaps.push(now - lastBatchAt);
      lastBatchAt = now;
      batches++;
      count += batch.records.length;
      const last = batch.records[batch.records.length - 1];
      if (last !== undefined) newest.set(batch.partition, { topic: batch.topic, partition: batch.partition, offset: last.offset + 1n });
      if (count >= records) finish();
    },
    onAssigned: async () => {},
    onRevoked: async () => {},
    onFatal: (error) => {
      console.error(error);
      process.exit(1);
    },
  });
  await finished;
  const seconds = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(committer);
  await source.commit([...newest.values()]);
  await source.stop();
  gaps.sort((a, b) => a - b);
  const result: ConsumeResult = {
    system: client === 'kafkajs' ? 'kafkajs 2.2.4' : `@confluentinc/kafka-javascript (librdkafka ${librdkafkaVersion()})`,
    config: {
      client,
      partitions: PARTITIONS,
      fetch_max_bytes: FETCH.fetchMaxBytes,
      partition_fetch_max_bytes: FETCH.partitionFetchMaxBytes,
      fetch_max_wait_ms: FETCH.fetchMaxWaitMs,
      commit_interval_ms: 1000,
    },
    events: count,
    seconds: round(seconds, 2),
    events_per_s: Math.round(count / seconds),
    p50_ms: round(percentile(gaps, 0.5), 3),
    p99_ms: round(percentile(gaps, 0.99), 3),
    peak_rss_mib: round(process.resourceUsage().maxRSS / 1024, 1),
    cpu_s: round((cpu.user + cpu.system) / 1e6, 2),
    batches,
    mean_batch_records: round(count / Math.max(1, batches), 1),
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

function librdkafkaVersion(): string {
  const probe = spawnSync(process.execPath, ['-p', "require('@confluentinc/kafka-javascript').librdkafkaVersion"], { cwd: root, encoding: 'utf8' });
  return probe.stdout.trim() || 'unknown';
}

async function createTopic(topic: string): Promise<void> {
  const admin = new kafkajs.Kafka({ brokers, clientId: 'bench-admin', logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopic(topic: string): Promise<void> {
  const admin = new kafkajs.Kafka({ brokers, clientId: 'bench-admin', logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}

/** Produces the backlog; returns how it was produced and how long it took. */
async function produce(topic: string, records: number, recordSize: number): Promise<{ producer: string; seconds: number }> {
  const startedAt = performance.now();
  const cli = path.join(root, 'scripts/kafka-cli.sh');
  if (existsSync(cli)) {
    const run = spawnSync(
      cli,
      [
        'producer-perf',
        '--bootstrap-server', brokers.join(','),
        '--topic', topic,
        '--num-records', String(records),
        '--record-size', String(recordSize),
        '--throughput', '-1',
        '--command-property', 'acks=1', 'linger.ms=20', 'batch.size=262144', 'compression.type=none',
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, KAFKA_CLI_HEAP: '512m' }, maxBuffer: 64 * 1024 * 1024 },
    );
    if (run.status === 0) {
      const summary = run.stdout.trim().split('\n').pop() ?? '';
      console.log(`produced with ProducerPerformance: ${summary}`);
      return { producer: 'org.apache.kafka.tools.ProducerPerformance (acks=1, linger.ms=20, batch.size=256 KiB)', seconds: (performance.now() - startedAt) / 1000 };
    }
    console.log(`ProducerPerformance failed (${run.status}): ${run.stderr.slice(-500)}; producing with kafkajs`);
  }
  const producer = new kafkajs.Kafka({ brokers, clientId: 'bench-producer', logLevel: kafkajs.logLevel.NOTHING }).producer();
  await producer.connect();
  const value = randomBytes(recordSize);
  const perSend = 2_000;
  for (let sent = 0; sent < records; sent += perSend) {
    const size = Math.min(perSend, records - sent);
    await producer.send({
      topic,
      acks: 1,
      messages: Array.from({ length: size }, (_, index) => ({ partition: (sent + index) % PARTITIONS, value })),
    });
  }
  await producer.disconnect();
  return { producer: 'kafkajs batched sends of 2000 records', seconds: (performance.now() - startedAt) / 1000 };
}

/** Per-metric medians of one client's runs (each metric on its own, so not one actual run). */
function medianRun(runs: readonly ConsumeResult[]): Omit<ConsumeResult, 'config' | 'system'> | undefined {
  if (runs.length === 0) return undefined;
  const median = (pick: (run: ConsumeResult) => number): number => {
    const sorted = runs.map(pick).sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  };
  return {
    events: median((run) => run.events),
    seconds: round(median((run) => run.seconds), 2),
    events_per_s: Math.round(median((run) => run.events_per_s)),
    p50_ms: round(median((run) => run.p50_ms), 3),
    p99_ms: round(median((run) => run.p99_ms), 3),
    peak_rss_mib: round(median((run) => run.peak_rss_mib), 1),
    cpu_s: round(median((run) => run.cpu_s), 2),
    batches: median((run) => run.batches),
    mean_batch_records: round(median((run) => run.mean_batch_records), 1),
  };
}

function runChild(client: KafkaClientName, topic: string, records: number): Promise<ConsumeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--consume', client, '--topic', topic, '--records', String(records)],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = output.split('\n').find((candidate) => candidate.startsWith('RESULT '));
      if (code !== 0 || line === undefined) reject(new Error(`consumer ${client} exited with ${code}: ${output.slice(-2000)}`));
      else resolve(JSON.parse(line.slice('RESULT '.length)) as ConsumeResult);
    });
  });
}

function confluentAvailable(): boolean {
  return spawnSync(path.join(root, 'scripts/install-confluent-kafka.sh'), ['--check'], { cwd: root }).status === 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      consume: { type: 'string' },
      topic: { type: 'string' },
      records: { type: 'string', default: '1000000' },
      'record-size': { type: 'string', default: '1000' },
      clients: { type: 'string', default: 'kafkajs,confluent' },
      'keep-topic': { type: 'boolean', default: false },
      repeat: { type: 'string', default: '3' },
      out: { type: 'string', default: 'bench/results/kafka-clients.json' },
    },
  });
  const records = Number(values.records);
  if (values.consume !== undefined) {
    await consume(values.consume as KafkaClientName, values.topic ?? '', records);
    return;
  }
  const recordSize = Number(values['record-size']);
  // Other work on the machine shows in wall-clock figures more than in CPU seconds; keep a trace.
  const loadAverageAtStart = os.loadavg().map((load) => round(load, 2));
  const clients = values.clients.split(',') as KafkaClientName[];
  const topic = values.topic ?? `bench-kafka-clients-${randomBytes(4).toString('hex')}`;
  const reuse = values.topic !== undefined;
  const notes: string[] = [];

  let production = { producer: `existing topic ${topic}`, seconds: 0 };
  if (!reuse) {
    await createTopic(topic);
    production = await produce(topic, records, recordSize);
  }
  const repeat = Number(values.repeat);
  const measured = clients.filter((client) => {
    if (client !== 'confluent' || confluentAvailable()) return true;
    notes.push('confluent client not measured: its native binding is not built (scripts/install-confluent-kafka.sh)');
    return false;
  });
  const runs: (ConsumeResult & { run: number })[] = [];
  try {
    for (let run = 1; run <= repeat; run++) {
      for (const client of measured) {
        console.log(`run ${run}/${repeat}: consuming ${records} records with ${client} ...`);
        const result = await runChild(client, topic, records);
        console.log(JSON.stringify(result));
        runs.push({ run, ...result });
      }
    }
  } finally {
    if (!reuse && !values['keep-topic']) await deleteTopic(topic);
  }

  const medians = Object.fromEntries(measured.map((client) => [client, medianRun(runs.filter((run) => run.config.client === client))]));
  const kafkajsRun = medians.kafkajs;
  const confluentRun = medians.confluent;
  const ratios: Record<string, number> =
    kafkajsRun && confluentRun
      ? {
          confluent_vs_kafkajs_events_per_s: round(confluentRun.events_per_s / kafkajsRun.events_per_s, 2),
          confluent_vs_kafkajs_cpu_s: round(confluentRun.cpu_s / kafkajsRun.cpu_s, 2),
          confluent_vs_kafkajs_peak_rss: round(confluentRun.peak_rss_mib / kafkajsRun.peak_rss_mib, 2),
        }
      : {};
  const report = {
    scenario: `consume a backlog of ${records} records of ${recordSize} bytes from a ${PARTITIONS}-partition topic on one local Kafka 4.3.1 broker; onBatch counts only; offsets committed every second`,
    date: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      node: process.version,
      load_average_at_start: loadAverageAtStart,
      load_average_at_end: os.loadavg().map((load) => round(load, 2)),
    },
    production,
    metrics: {
      seconds: 'from start() until the last record reached onBatch (includes joining the group)',
      p50_ms_p99_ms: 'gap between consecutive onBatch calls',
      cpu_s: 'user+system CPU of the consuming process (includes librdkafka threads) over the same span',
      peak_rss_mib: 'peak resident set of the consuming process (its own child process)',
    },
    runs,
    medians,
    ratios,
    notes,
  };
  const out = path.resolve(root, values.out);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
}

await main();
