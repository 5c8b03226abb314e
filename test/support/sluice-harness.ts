/**
 * Runs a real sluice service for end-to-end tests: in this process (fast, inspectable), or as a
 * child process that can be killed with SIGKILL (crash tests). Both read the same SLUICE_*
 * settings the container does.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger, silentLogger } from '../../src/observe/logger.ts';
import { type RunningService, startService } from '../../src/service.ts';
import { kafkaBrokers } from './services.ts';

export type Settings = Record<string, string>;

export function postgresSinkSettings(options: { topics: readonly string[]; databaseUrl: string; group: string; extra?: Settings }): Settings {
  return {
    SLUICE_DESTINATION: 'postgres',
    SLUICE_KAFKA_BROKERS: kafkaBrokers().join(','),
    SLUICE_TOPICS: options.topics.join(','),
    SLUICE_GROUP_ID: options.group,
    SLUICE_DLQ_TOPIC: `${options.group}.dlq`,
    SLUICE_PG_URL: options.databaseUrl,
    SLUICE_HTTP_PORT: '0',
    SLUICE_COMMIT_INTERVAL_MS: '200',
    SLUICE_LAG_SAMPLE_INTERVAL_MS: '1000',
    SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent',
    ...options.extra,
  };
}

export async function startInProcess(settings: Settings): Promise<RunningService> {
  const config = loadConfig(settings);
  const logger = settings.SLUICE_LOG_LEVEL === 'silent' ? silentLogger() : createLogger({ level: settings.SLUICE_LOG_LEVEL });
  return startService(config, settings, logger);
}

const sluiceBin = fileURLToPath(new URL('../../bin/sluice.mjs', import.meta.url));

export interface SluiceProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts `sluice run` as a child process with exactly these settings (plus PATH/HOME). */
export function startChild(settings: Settings): SluiceProcess {
  const child = spawn(process.execPath, [sluiceBin, 'run'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...settings },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    child,
    output: () => output,
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** Polls `probe` until it returns true, failing with `describe()` after `timeoutMs`. */
export async function waitFor(probe: () => Promise<boolean> | boolean, options: { timeoutMs: number; intervalMs?: number; describe: () => string | Promise<string> }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms: ${await options.describe()}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/** Committed offsets of a group summed over the given topics, and the log-end offsets. */
export async function groupProgress(group: string, topics: readonly string[]): Promise<{ committed: bigint; end: bigint }> {
  const { testKafka } = await import('./services.ts');
  const admin = testKafka('sluice-test-progress').admin();
  await admin.connect();
  try {
    let committed = 0n;
    let end = 0n;
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      for (const partition of ends) end += BigInt(partition.high);
    }
    const offsets = await admin.fetchOffsets({ groupId: group, topics: [...topics] });
    for (const topic of offsets) for (const partition of topic.partitions) if (BigInt(partition.offset) >= 0n) committed += BigInt(partition.offset);
    return { committed, end };
  } finally {
    await admin.disconnect();
  }
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A record read back from a topic (the dead-letter topic, typically), headers as strings. */
export interface ReadRecord {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** Records in a topic now: the sum over partitions of log-end minus log-start offsets. */
export async function topicRecordCount(topic: string): Promise<number> {
  const { testKafka } = await import('./services.ts');
  const admin = testKafka('sluice-test-count').admin();
  await admin.connect();
  try {
    let count = 0;
    for (const partition of await admin.fetchTopicOffsets(topic)) count += Number(partition.high) - Number(partition.low);
    return count;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every record of `topic` from the beginning up to the log-end offsets read at the call (a
 * consumer of its own throw-away group; nothing is committed), in partition and offset order.
 */
export async function readTopic(topic: string, options: { timeoutMs?: number } = {}): Promise<ReadRecord[]> {
  const { testKafka, uniqueName } = await import('./services.ts');
  const kafka = testKafka('sluice-test-reader');
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    for (const partition of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(partition.high) > BigInt(partition.low)) ends.set(partition.partition, BigInt(partition.high));
    }
  } finally {
    await admin.disconnect();
  }
  const records: ReadRecord[] = [];
  if (ends.size === 0) return records;
  const consumer = kafka.consumer({ groupId: uniqueName('sluice-test-reader') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const remaining = new Set(ends.keys());
    let done!: () => void;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const offset = BigInt(message.offset);
        const end = ends.get(partition);
        if (end === undefined || offset >= end) return;
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
        }
        records.push({ partition, offset, key: message.key, value: message.value, headers });
        if (offset + 1n >= end) {
          remaining.delete(partition);
          if (remaining.size === 0) done();
        }
      },
    });
    await waitFor(() => remaining.size === 0, {
      timeoutMs: options.timeoutMs ?? 60_000,
      intervalMs: 100,
      describe: () => `read ${records.length} record(s) of ${topic}; partitions not finished: ${[...remaining].join(', ')}`,
    });
    await finished;
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
}

/**
 * True while a sluice session on `databaseUrl`'s database is inside a transaction that is
 * doing work (a batch being written): the moment a crash test wants to kill the process.
 */
export async function sluiceWriteInProgress(client: pg.Client, database: string): Promise<boolean> {
  const result = await client.query<{ busy: boolean }>(
    "SELECT count(*) > 0 AS busy FROM pg_stat_activity WHERE datname = $1 AND application_name = 'sluice' AND xact_start IS NOT NULL AND state IN ('active', 'idle in transaction')",
    [database],
  );
  return result.rows[0]?.busy === true;
}

export interface KillReport {
  /** The kill waited for the group's committed offsets to reach this many records… */
  readonly threshold: bigint;
  /** …and happened with this many committed, of `end`. */
  readonly committedAtKill: bigint;
  readonly end: bigint;
  /** A sluice transaction was open on the target when SIGKILL was sent. */
  readonly writeInProgress: boolean;
}

function describeChild(child: SluiceProcess): string {
  return `exit ${child.child.exitCode ?? child.child.signalCode}; output tail:\n${child.output().slice(-4_000)}`;
}

/**
 * Crash loop: for each threshold (a share of the topics' records, 0 ≤ t < 1), starts `sluice run`
 * as a child, waits until the group has committed at least that share and a sluice transaction
 * is open on the target database (a batch is being written), then SIGKILLs the child. Fails if
 * the child exits on its own or finishes everything before it could be killed mid-write.
 */
export async function killDuringWrites(options: {
  settings: Settings;
  topics: readonly string[];
  database: { readonly name: string; readonly url: string };
  thresholds: readonly number[];
  timeoutMs?: number;
}): Promise<KillReport[]> {
  const group = options.settings.SLUICE_GROUP_ID;
  if (group === undefined) throw new Error('settings need SLUICE_GROUP_ID');
  const reports: KillReport[] = [];
  await withClient(options.database.url, async (client) => {
    for (const share of options.thresholds) {
      const child = startChild(options.settings);
      try {
        let progress = await groupProgress(group, options.topics);
        const threshold = (progress.end * BigInt(Math.round(share * 1_000_000))) / 1_000_000n;
        const alive = (): void => {
          if (child.child.exitCode !== null || child.child.signalCode !== null) throw new Error(`sluice exited before it was killed: ${describeChild(child)}`);
        };
        await waitFor(
          async () => {
            alive();
            progress = await groupProgress(group, options.topics);
            if (progress.committed >= progress.end) throw new Error(`sluice finished (${progress.committed}/${progress.end}) before it could be killed past ${threshold}`);
            return progress.committed >= threshold;
          },
          { timeoutMs: options.timeoutMs ?? 120_000, intervalMs: 100, describe: () => `committed ${progress.committed}/${progress.end}, waiting for ${threshold}; ${describeChild(child)}` },
        );
        let writing = false;
        await waitFor(
          async () => {
            alive();
            writing = await sluiceWriteInProgress(client, options.database.name);
            return writing;
          },
          { timeoutMs: 30_000, intervalMs: 5, describe: () => `no sluice write transaction seen; ${describeChild(child)}` },
        );
        await child.kill('SIGKILL');
        const after = await groupProgress(group, options.topics);
        reports.push({ threshold, committedAtKill: after.committed, end: after.end, writeInProgress: writing });
      } finally {
        await child.kill('SIGKILL');
      }
    }
  });
  return reports;
}

/**
 * Runs `sluice run` as a child until the group has committed every record of `topics`, then
 * stops it with SIGTERM; fails unless it exits 0. Returns the child's output.
 */
export async function runChildToEnd(options: { settings: Settings; topics: readonly string[]; timeoutMs?: number }): Promise<string> {
  const group = options.settings.SLUICE_GROUP_ID;
  if (group === undefined) throw new Error('settings need SLUICE_GROUP_ID');
  const child = startChild(options.settings);
  try {
    let progress = await groupProgress(group, options.topics);
    await waitFor(
      async () => {
        if (child.child.exitCode !== null || child.child.signalCode !== null) throw new Error(`sluice exited before finishing: ${describeChild(child)}`);
        progress = await groupProgress(group, options.topics);
        return progress.committed === progress.end;
      },
      { timeoutMs: options.timeoutMs ?? 240_000, intervalMs: 250, describe: () => `committed ${progress.committed}/${progress.end}; ${describeChild(child)}` },
    );
    const code = await child.kill('SIGTERM');
    if (code !== 0) throw new Error(`sluice did not stop cleanly on SIGTERM: ${describeChild(child)}`);
    return child.output();
  } finally {
    await child.kill('SIGKILL');
  }
}

/** One sample of the Prometheus text exposition: `name{label="value",…} number`. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses Prometheus text format (what prom-client serves); comments and blank lines skipped. */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** GET `${baseUrl}/metrics`, parsed. */
export async function scrapeMetrics(baseUrl: string): Promise<MetricSample[]> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  return parseMetrics(await response.text());
}

/** Sum of the samples named `name` whose labels include `labels` (0 when there are none). */
export function metricSum(samples: readonly MetricSample[], name: string, labels: Readonly<Record<string, string>> = {}): number {
  let sum = 0;
  for (const sample of samples) {
    if (sample.name !== name) continue;
    if (Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) sum += sample.value;
  }
  return sum;
}

/** GET `${baseUrl}/readyz`: the status code and the reasons it gives. */
export async function readiness(baseUrl: string): Promise<{ status: number; ready: boolean; reasons: string[] }> {
  const response = await fetch(`${baseUrl}/readyz`);
  const body = (await response.json()) as { ready?: boolean; reasons?: string[] };
  return { status: response.status, ready: body.ready === true, reasons: body.reasons ?? [] };
}

/** GET `${baseUrl}/status` as JSON (the shape is HealthMonitor.status()). */
export async function fetchStatus<T = unknown>(baseUrl: string): Promise<T> {
  const response = await fetch(`${baseUrl}/status`);
  if (!response.ok) throw new Error(`/status answered ${response.status}`);
  return (await response.json()) as T;
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for a child's SLUICE_HTTP_PORT). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Creates topics (e.g. a workload's `topics()`) that do not exist yet, waiting for leaders. */
export async function createTopicsOf(specs: readonly { readonly topic: string; readonly partitions: number }[]): Promise<void> {
  const { testKafka } = await import('./services.ts');
  const admin = testKafka('sluice-test-topics').admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      await admin.createTopics({ waitForLeaders: true, topics: missing.map((spec) => ({ topic: spec.topic, numPartitions: spec.partitions, replicationFactor: 1 })) });
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Runs sluice in this process with `settings` until its group has committed every record of
 * `topics`, then stops it and asserts that it stopped cleanly. The end-to-end tests of every
 * destination use it.
 */
export async function sinkUntilCommitted(settings: Settings, topics: readonly string[], options: { timeoutMs: number }): Promise<void> {
  const group = settings.SLUICE_GROUP_ID;
  if (group === undefined) throw new Error('sinkUntilCommitted needs SLUICE_GROUP_ID in the settings');
  const service = await startInProcess(settings);
  try {
    await waitFor(
      async () => {
        const progress = await groupProgress(group, topics);
        return progress.committed === progress.end;
      },
      {
        timeoutMs: options.timeoutMs,
        intervalMs: 500,
        describe: async () => JSON.stringify(await groupProgress(group, topics), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)),
      },
    );
  } finally {
    await service.stop();
  }
  assert.equal(await service.finished, null, 'the service stopped cleanly');
}
