/**
 * Benchmark: the adaptive controller against the article's two static settings, on the real
 * PostgreSQL path (real broker, real sluice service, real server).
 *
 *   node --import tsx bench/controller-compare.ts [--events 300000] [--repeat 1] [--systems adaptive,fixed-1000,fixed-10000]
 *        [--cpu-prof adaptive] [--trace DIR] [--out bench/results/controller-compare.json]
 *
 * One backlog (generated Debezium events, measurements shape, 4 partitions, wall-clock source
 * times) is produced first; each system then sinks all of it once, side by side:
 *   adaptive     SLUICE_ADAPTIVE=true (batch 1,000–10,000, concurrency 1..4: the defaults)
 *   fixed-1000   SLUICE_ADAPTIVE=false, SLUICE_FIXED_BATCH_ROWS=1000, SLUICE_FIXED_CONCURRENCY=1
 *   fixed-10000  SLUICE_ADAPTIVE=false, SLUICE_FIXED_BATCH_ROWS=10000, SLUICE_FIXED_CONCURRENCY=2
 * Each run is `sluice run` in its own child process (so RSS and CPU are its own), with its own
 * consumer group and its own empty database, and every other setting at the service default.
 * With --repeat N the systems take turns N times (load from other work on the machine spreads
 * over all of them); `runs` then holds each system's median run (by events/s), `all_runs` every
 * run, and the ratios compare the medians.
 *
 * Measured per run:
 *   seconds      from the first consumed record (sluice_events_consumed_total > 0, polled every
 *                100 ms) to the last offset commit (sluice_last_commit_timestamp_seconds) once the
 *                group has committed every record;
 *   events_per_s Kafka records (tombstones included) / seconds;
 *   p50/p99_ms   of one batch write attempt, interpolated in the sluice_write_latency_seconds
 *                histogram (5 ms … 30 s buckets). Not end-to-end latency: with a backlog produced
 *                first, sluice_end_to_end_latency_seconds measures how long each event waited in
 *                the backlog, which its buckets (…, 60, 300, 900 s) cannot resolve across runs
 *                started minutes apart;
 *   peak_rss_mib VmHWM of the child from /proc/<pid>/status;
 *   cpu_s        user+system CPU of the child (/proc/<pid>/stat) over the same span.
 * The target is checked against the generator's expected state after each run.
 * Writes bench/results/controller-compare.json and prints a table. Needs `scripts/services.sh up`.
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWorkload, produceWorkload, verifyPostgres } from '../src/loadgen/index.ts';
import { coreSettings } from '../src/config/settings.ts';
import type { ControllerSnapshot } from '../src/control/controller.ts';
import {
  fetchStatus,
  freePort,
  groupProgress,
  type MetricSample,
  metricSum,
  postgresSinkSettings,
  type Settings,
  scrapeMetrics,
  startChild,
  waitFor,
  withClient,
} from '../test/support/sluice-harness.ts';
import { createUniqueDatabase, kafkaBrokers, startServices, testKafka, uniqueName } from '../test/support/services.ts';
import { histogramQuantile } from './lib/quantiles.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const SYSTEMS: Readonly<Record<string, Settings>> = {
  adaptive: { SLUICE_ADAPTIVE: 'true' },
  'fixed-1000': { SLUICE_ADAPTIVE: 'false', SLUICE_FIXED_BATCH_ROWS: '1000', SLUICE_FIXED_CONCURRENCY: '1' },
  'fixed-10000': { SLUICE_ADAPTIVE: 'false', SLUICE_FIXED_BATCH_ROWS: '10000', SLUICE_FIXED_CONCURRENCY: '2' },
};

interface Run {
  readonly system: string;
  readonly round: number;
  readonly config: Settings;
  readonly events: number;
  readonly seconds: number;
  readonly events_per_s: number;
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
  readonly peak_rss_mib: number;
  readonly cpu_s: number;
  readonly batches: number;
  readonly mean_batch_rows: number;
  readonly write_errors: number;
  readonly final_batch_size: number;
  readonly final_concurrency: number;
  readonly pauses: number;
  readonly target_equal: boolean;
  readonly load_average: readonly number[];
}

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '300000' },
    /** Rounds over all systems, in turn (a, b, c, a, b, c, …); the summary takes each system's median run. */
    repeat: { type: 'string', default: '1' },
    systems: { type: 'string', default: Object.keys(SYSTEMS).join(',') },
    'cpu-prof': { type: 'string', default: '' },
    /** Directory for each run's log and a once-a-second /status timeline (what limited it). */
    trace: { type: 'string', default: '' },
    out: { type: 'string', default: path.join(root, 'bench/results/controller-compare.json') },
  },
});

const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** /proc/<pid>/stat utime + stime, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0: utime is field 14, stime field 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

function peakRssMib(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match === null ? Number.NaN : Number(match[1]) / 1024;
}


async function runSystem(system: string, round_: number, topics: readonly string[], records: number, workload: ReturnType<typeof createWorkload>): Promise<Run> {
  const config = SYSTEMS[system];
  if (config === undefined) throw new Error(`unknown system ${system}; known: ${Object.keys(SYSTEMS).join(', ')}`);
  const database = await createUniqueDatabase(`sluice_bench_${system.replace('-', '_')}`);
  const group = uniqueName(`bench-${system}`);
  const port = await freePort();
  const profile = args['cpu-prof'].split(',').includes(system);
  const profileDir = path.join(root, 'bench/results/profiles');
  if (profile) mkdirSync(profileDir, { recursive: true });
  const settings: Settings = {
    ...postgresSinkSettings({ topics, databaseUrl: database.url, group }),
    SLUICE_HTTP_PORT: String(port),
    SLUICE_COMMIT_INTERVAL_MS: '1000',
    SLUICE_LAG_SAMPLE_INTERVAL_MS: '5000',
    SLUICE_LOG_LEVEL: 'info',
    ...config,
    ...(profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` } : {}),
  };
  const url = `http://127.0.0.1:${port}`;
  const child = startChild(settings);
  const pid = child.child.pid;
  if (pid === undefined) throw new Error('sluice did not start');
  const alive = (): void => {
    if (child.child.exitCode !== null || child.child.signalCode !== null) throw new Error(`sluice (${system}) exited: ${child.output().slice(-3_000)}`);
  };
  try {
    let firstConsumeAt = 0;
    let cpuAtFirst = 0;
    await waitFor(
      async () => {
        alive();
        const samples = await scrapeMetrics(url).catch(() => [] as MetricSample[]);
        if (metricSum(samples, 'sluice_events_consumed_total') === 0) return false;
        firstConsumeAt = Date.now();
        cpuAtFirst = cpuSeconds(pid);
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 100, describe: () => `${system}: nothing consumed; ${child.output().slice(-2_000)}` },
    );
    const timeline: unknown[] = [];
    let tracing = args.trace !== '';
    const traceLoop = (async () => {
      while (tracing) {
        const status = await fetchStatus<{ controller: ControllerSnapshot; pausedPartitions: unknown[] }>(url).catch(() => null);
        if (status !== null) {
          const c = status.controller;
          timeline.push({
            t: round((Date.now() - firstConsumeAt) / 1000, 1),
            batchSize: c.batchSize,
            concurrency: c.concurrency,
            inFlightWrites: c.inFlightWrites,
            writeLatencyMs: c.writeLatencyMs,
            inflightMiB: round(c.inflight.usedBytes / 1_048_576, 1),
            paused: status.pausedPartitions.length,
            bottleneck: c.bottleneck,
            stages: c.stages?.stages.map((stage) => `${stage.name} ${stage.busyRatio.toFixed(2)}/${stage.backpressuredRatio.toFixed(2)}`),
            lastChange: c.lastChange,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();
    let progress = await groupProgress(group, topics);
    await waitFor(
      async () => {
        alive();
        progress = await groupProgress(group, topics);
        return progress.committed === progress.end;
      },
      { timeoutMs: 3_600_000, intervalMs: 500, describe: () => `${system}: committed ${progress.committed}/${progress.end}` },
    ).finally(() => {
      tracing = false;
    });
    await traceLoop;
    if (args.trace !== '') {
      mkdirSync(args.trace, { recursive: true });
      writeFileSync(path.join(args.trace, `${system}-${round_}.timeline.json`), `${JSON.stringify(timeline, null, 1)}\n`);
    }
    const cpu = cpuSeconds(pid) - cpuAtFirst;
    const rss = peakRssMib(pid);
    const samples = await scrapeMetrics(url);
    const lastCommitAt = metricSum(samples, 'sluice_last_commit_timestamp_seconds') * 1000;
    const seconds = (lastCommitAt - firstConsumeAt) / 1000;
    const quantile = (q: number): number | null => {
      const seconds = histogramQuantile(samples, 'sluice_write_latency_seconds', q);
      return seconds === null ? null : round(seconds * 1000, 0);
    };
    const batches = metricSum(samples, 'sluice_batch_rows_count');
    const code = await child.kill('SIGTERM');
    if (args.trace !== '') writeFileSync(path.join(args.trace, `${system}-${round_}.log`), child.output());
    if (code !== 0) throw new Error(`sluice (${system}) did not stop cleanly: ${child.output().slice(-3_000)}`);
    const report = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
    return {
      system,
      round: round_,
      config,
      events: records,
      seconds: round(seconds, 2),
      events_per_s: round(records / seconds, 0),
      p50_ms: quantile(0.5),
      p99_ms: quantile(0.99),
      peak_rss_mib: round(rss, 1),
      cpu_s: round(cpu, 2),
      batches,
      mean_batch_rows: batches === 0 ? 0 : round(metricSum(samples, 'sluice_batch_rows_sum') / batches, 0),
      write_errors: metricSum(samples, 'sluice_write_errors_total'),
      final_batch_size: metricSum(samples, 'sluice_batch_size_rows'),
      final_concurrency: metricSum(samples, 'sluice_write_concurrency'),
      pauses: metricSum(samples, 'sluice_partition_pauses_total'),
      target_equal: report.equal,
      load_average: os.loadavg().map((value) => round(value, 2)),
    };
  } finally {
    await child.kill('SIGKILL');
    await database.drop();
  }
}

async function main(): Promise<void> {
  await startServices();
  const events = Number(args.events);
  const systems = args.systems.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  const date = new Date().toISOString();
  const loadAtStart = os.loadavg().map((value) => round(value, 2));
  const workload = createWorkload({
    seed: 20_261_125,
    tables: ['measurements'],
    events,
    partitions: 4,
    topicPrefix: uniqueName('bench-ctl'),
    clock: { kind: 'wall' },
    mix: { insert: 0.35, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 },
  });
  const topics = workload.topics().map((spec) => spec.topic);
  process.stdout.write(`producing ${events} events (measurements, 4 partitions) to ${topics.join(', ')} …\n`);
  const produced = await produceWorkload(workload, { brokers: kafkaBrokers() });
  process.stdout.write(`produced ${produced.records} records, ${(produced.bytes / 1_048_576).toFixed(0)} MiB in ${produced.seconds.toFixed(1)} s\n`);

  const allRuns: Run[] = [];
  const rounds = Math.max(1, Number(args.repeat));
  try {
    for (let round_ = 1; round_ <= rounds; round_++) {
      for (const system of systems) {
        process.stdout.write(`${system} (round ${round_}/${rounds}): sinking …\n`);
        const run = await runSystem(system, round_, topics, produced.records, workload);
        allRuns.push(run);
        process.stdout.write(`${system}: ${run.events_per_s} events/s over ${run.seconds} s, ${run.cpu_s} CPU s, peak RSS ${run.peak_rss_mib} MiB, target equal: ${run.target_equal}\n`);
      }
    }
  } finally {
    const admin = testKafka('sluice-bench-cleanup').admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }

  const runs = systems.map((system) => {
    const sorted = allRuns.filter((run) => run.system === system).sort((a, b) => a.events_per_s - b.events_per_s);
    return sorted[Math.floor((sorted.length - 1) / 2)]!;
  });
  const rate = (system: string): number | undefined => runs.find((run) => run.system === system)?.events_per_s;
  const ratio = (other: string): number | null => {
    const adaptive = rate('adaptive');
    const fixed = rate(other);
    return adaptive === undefined || fixed === undefined ? null : round(adaptive / fixed, 2);
  };
  const result = {
    scenario: `sink one backlog of ${produced.records} Kafka records (${events} Debezium change events + tombstones, measurements shape, ~${Math.round(produced.bytes / produced.records)} B each, 4 partitions) into PostgreSQL 15 with sluice, ${rounds} run(s) per system taking turns; service defaults otherwise (${Math.round(coreSettings.SLUICE_MAX_INFLIGHT_BYTES.schema.parse(undefined) / 2 ** 20)} MiB in-flight, kafkajs)`,
    date,
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memory: `${Math.round(os.totalmem() / 1024 ** 3)} GiB`,
      node: process.version,
      load_average_at_start: loadAtStart,
      load_average_at_end: os.loadavg().map((value) => round(value, 2)),
    },
    metrics: {
      seconds: 'first consumed record (polled every 100 ms) → last offset commit, once every record is committed',
      events_per_s: 'Kafka records (tombstones included) / seconds',
      p50_ms_p99_ms:
        'one batch write attempt (sluice_write_latency_seconds, interpolated in its buckets). Not end-to-end: for a backlog produced first, sluice_end_to_end_latency_seconds is how long events waited in the backlog, which its buckets (…, 60, 300, 900 s) cannot resolve',
      peak_rss_mib: 'VmHWM of the sluice child process',
      cpu_s: 'user+system CPU of the sluice child over the same span as seconds',
    },
    runs,
    all_runs: allRuns,
    ratios: { adaptive_vs_fixed_1000: ratio('fixed-1000'), adaptive_vs_fixed_10000: ratio('fixed-10000') },
  };
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);

  const header = ['system', 'events/s', 'seconds', 'p50 ms', 'p99 ms', 'peak RSS MiB', 'CPU s', 'batches', 'mean rows', 'final batch', 'final conc', 'equal'];
  const rows = allRuns.map((run) => [
    `${run.system}${rounds > 1 ? ` #${run.round}` : ''}`,
    String(run.events_per_s),
    String(run.seconds),
    String(run.p50_ms ?? '-'),
    String(run.p99_ms ?? '-'),
    String(run.peak_rss_mib),
    String(run.cpu_s),
    String(run.batches),
    String(run.mean_batch_rows),
    String(run.final_batch_size),
    String(run.final_concurrency),
    String(run.target_equal),
  ]);
  const widths = header.map((title, index) => Math.max(title.length, ...rows.map((row) => row[index]!.length)));
  for (const row of [header, ...rows]) process.stdout.write(`${row.map((cell, index) => cell.padStart(widths[index]!)).join('  ')}\n`);
  process.stdout.write(`ratios (medians): ${JSON.stringify(result.ratios)}\nwritten to ${path.relative(root, args.out)}\n`);
  if (allRuns.some((run) => !run.target_equal)) process.exitCode = 1;
}

await main();
