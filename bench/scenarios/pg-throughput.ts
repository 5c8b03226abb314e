/**
 * pg-throughput: one backlog of generated Debezium events (measurements table, 4 partitions)
 * sunk into PostgreSQL 15 upserts by each system in turn, side by side in one run:
 *   sluice-adaptive      the default service (adaptive batch size and concurrency)
 *   sluice-fixed-1000    SLUICE_ADAPTIVE=false, batch 1,000, concurrency 1
 *   sluice-adaptive-confluent  the default service with SLUICE_KAFKA_CLIENT=confluent (librdkafka)
 *   sluice-naive         SLUICE_ADAPTIVE=false, batch 1, concurrency 1 (a transaction per row):
 *                        measured on a slice (its first `naiveSeconds` after the first commit)
 *   debezium-jdbc-default / debezium-jdbc-tuned   Debezium's JDBC sink connector in a Kafka
 *                        Connect 4.3.1 standalone worker, upsert + delete, default batch.size
 *                        (500) and a tuned one (with max.poll.records raised to match)
 *   copy-ceiling         the same change events from a CSV file: COPY → staging → upsert, no Kafka
 *   raw-consume          kafkajs reading every record, nothing decoded or written
 *   sluice-adaptive-profiled  the adaptive run again under `node --cpu-prof` (not in the ratios)
 *   sluice-adaptive-2-replicas  two sluice processes in the one group (scale-out; informative)
 *   *-avro               the same events as Confluent Avro: raw consume, adaptive (twice), naive,
 *                        two replicas (`--no-avro` leaves them out)
 * Each system gets its own group and its own empty database; the target is checked against the
 * generator's expected state after every full run.
 */
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWorkload, verifyPostgres, type Workload } from '../../src/loadgen/index.ts';
import { withClient } from '../../test/support/sluice-harness.ts';
import { createUniqueDatabase, uniqueName } from '../../test/support/services.ts';
import { encodeAsAvro } from '../lib/avro-backlog.ts';
import { deleteTopics, produceBacklog } from '../lib/backlog.ts';
import { createTargetTable, loadCeiling, writeChangeFile } from '../lib/copy-ceiling.ts';
import { summariseProfile } from '../lib/cpu-profile.ts';
import { type ConnectWorker, connectorStatus, createConnector, DEBEZIUM_JDBC_VERSION, deleteConnector, startConnectWorker } from '../lib/debezium-jdbc.ts';
import { GroupOffsets } from '../lib/group-offsets.ts';
import { machineInfo } from '../lib/machine.ts';
import { cpuSecondsOf, peakRssMiB } from '../lib/proc.ts';
import { rawConsume } from '../lib/raw-consume.ts';
import { type BenchResult, type BenchRun, benchRoot, ratio, round } from '../lib/result.ts';
import { runSluice } from '../lib/sluice-child.ts';
import { COMPILED_BUILD_NOTE } from '../lib/compiled-build.ts';
import type { ScenarioOptions } from './scenario.ts';

const SEED = 20_261_125;
const PARTITIONS = 4;
const TUNED_BATCH = 5000;
/** The naive sink: sluice with a transaction per change. */
const NAIVE = { SLUICE_ADAPTIVE: 'false', SLUICE_FIXED_BATCH_ROWS: '1', SLUICE_FIXED_CONCURRENCY: '1', SLUICE_BATCH_MIN_ROWS: '1', SLUICE_BATCH_LINGER_MS: '1' };

interface SluiceSystem {
  readonly system: string;
  readonly overrides: Record<string, string>;
  readonly until: 'drain' | number;
  readonly profile?: boolean;
  /** sluice processes in the one group (scale-out by replicas); default 1. */
  readonly replicas?: number;
}

interface SluiceSink {
  readonly topics: readonly string[];
  readonly eventsPerRecord: number;
  readonly workload: Workload;
  readonly format: 'json' | 'avro';
  readonly settings: Readonly<Record<string, string>>;
  readonly profileDir: string;
  readonly push: (run: BenchRun) => void;
  readonly notes: string[];
}

function rawRun(system: string, raw: Awaited<ReturnType<typeof rawConsume>>, eventsPerRecord: number, format: 'json' | 'avro'): BenchRun {
  return {
    system,
    config: { client: 'kafkajs', format, decode: false, write: false },
    events: round(raw.records * eventsPerRecord),
    seconds: round(raw.seconds, 2),
    events_per_s: round((raw.records * eventsPerRecord) / raw.seconds),
    records_per_s: round(raw.records / raw.seconds),
    mib_per_s: round(raw.bytes / 2 ** 20 / raw.seconds, 1),
    p50_ms: null,
    p99_ms: null,
    peak_rss_mib: null,
    cpu_s: round(raw.cpuSeconds, 1),
  };
}

/** Each system in turn on the sink's topics, with its own group and database; full runs verified. */
async function runSluiceSystems(sink: SluiceSink, systems: readonly SluiceSystem[]): Promise<void> {
  const verify = async (url: string): Promise<boolean> => (await withClient(url, (client) => verifyPostgres({ client, workload: sink.workload }))).equal;
  for (const spec of systems) {
    process.stdout.write(`  ${spec.system}: sinking${spec.until === 'drain' ? '' : ` for ${spec.until} s`} …\n`);
    let measured: Awaited<ReturnType<typeof runSluice>>;
    try {
      measured = await runSluice({ label: spec.system, topics: sink.topics, overrides: { ...sink.settings, ...spec.overrides }, until: spec.until, timeoutMs: 900_000, replicas: spec.replicas ?? 1, ...(spec.profile ? { cpuProfileDir: sink.profileDir } : {}) });
    } catch (error) {
      // One system failing must not lose the others' side-by-side figures.
      sink.notes.push(`${spec.system} not measured: ${String(error).slice(0, 300)}`);
      process.stdout.write(`  ${spec.system} not measured: ${String(error).slice(0, 300)}\n`);
      continue;
    }
    try {
      const full = spec.until === 'drain';
      const equal = full ? await verify(measured.database.url) : null;
      const eventCount = measured.records * sink.eventsPerRecord;
      sink.push({
        system: spec.system,
        config: { build: 'compiled', kafka_client: 'kafkajs', format: sink.format, replicas: spec.replicas ?? 1, ...spec.overrides, slice: full ? null : `first ${spec.until} s after the first record consumed` },
        events: round(eventCount),
        seconds: round(measured.seconds, 2),
        events_per_s: round(eventCount / measured.seconds),
        records_per_s: round(measured.records / measured.seconds),
        p50_ms: measured.writeP50Ms,
        p99_ms: measured.writeP99Ms,
        peak_rss_mib: measured.peakRssMiB,
        cpu_s: measured.cpuSeconds,
        postgres_cpu_s: measured.postgresCpuSeconds,
        batches: measured.batches,
        mean_batch_rows: measured.meanBatchRows,
        write_errors: measured.writeErrors,
        target_equals_expected: equal,
        stopped_cleanly: measured.stoppedCleanly,
        ...(measured.profileFile === null ? {} : { profile: summariseProfile(measured.profileFile) }),
      });
    } finally {
      await measured.database.drop();
    }
  }
}

function makeWorkload(events: number, topicPrefix: string): Workload {
  return createWorkload({ seed: SEED, tables: ['measurements'], events, partitions: PARTITIONS, topicPrefix });
}

export async function pgThroughput(options: ScenarioOptions): Promise<BenchResult> {
  const events = options.events ?? 1_000_000;
  const naiveSeconds = options.sliceSeconds ?? 30;
  const debeziumLimitSeconds = options.limitSeconds ?? 120;
  const machine = machineInfo();
  const date = new Date().toISOString();
  const notes: string[] = [];
  const topicPrefix = uniqueName('bench-pg');
  const workload = makeWorkload(events, topicPrefix);
  const table = workload.tableDefinitions()[0]!;
  const topics = workload.topics().map((spec) => spec.topic);
  process.stdout.write(`pg-throughput: producing ${events} events (measurements, ${PARTITIONS} partitions) …\n`);
  const produced = await produceBacklog(workload, { progressIntervalMs: 15_000, onProgress: (p) => process.stdout.write(`  ${p.elapsedSeconds.toFixed(0)} s: ${p.records} records\n`) });
  const stats = workload.stats();
  const changeEvents = stats.changeEvents;
  const eventsPerRecord = changeEvents / produced.records;
  process.stdout.write(`  produced ${produced.records} records (${changeEvents} change events + tombstones), ${(produced.bytes / 2 ** 20).toFixed(0)} MiB in ${produced.seconds.toFixed(1)} s with ${produced.client}\n`);
  const runs: BenchRun[] = [];
  let avroTopics: string[] = [];
  let avroRecordBytes: number | null = null;
  const push = (measured: BenchRun): void => {
    // CPU per event of the system's own process: on a machine this loaded (load average ~15–20
    // on 2 cores from other work) wall-clock rates mostly measure the run queue; CPU per event does not.
    const run = measured.cpu_s === null || measured.events === 0 ? measured : { ...measured, cpu_us_per_event: round((measured.cpu_s * 1e6) / measured.events, 1) };
    runs.push(run);
    process.stdout.write(`  ${run.system}: ${run.events_per_s} events/s (${run.events} events in ${run.seconds} s)\n`);
  };
  const verify = async (url: string): Promise<boolean> => (await withClient(url, (client) => verifyPostgres({ client, workload }))).equal;

  try {
    // Raw consume first: the broker's page cache is as warm for it as for the systems after it.
    const raw = await rawConsume(topics);
    push(rawRun('raw-consume', raw, eventsPerRecord, 'json'));

    const sluiceSystems: SluiceSystem[] = [
      { system: 'sluice-adaptive', overrides: { SLUICE_ADAPTIVE: 'true' }, until: 'drain' },
      { system: 'sluice-fixed-1000', overrides: { SLUICE_ADAPTIVE: 'false', SLUICE_FIXED_BATCH_ROWS: '1000', SLUICE_FIXED_CONCURRENCY: '1' }, until: 'drain' },
      { system: 'sluice-adaptive-confluent', overrides: { SLUICE_ADAPTIVE: 'true', SLUICE_KAFKA_CLIENT: 'confluent' }, until: 'drain' },
      { system: 'sluice-naive', overrides: NAIVE, until: naiveSeconds },
    ];
    if (options.profile) sluiceSystems.push({ system: 'sluice-adaptive-profiled', overrides: { SLUICE_ADAPTIVE: 'true' }, until: 'drain', profile: true });
    // The machine is shared and its load moves by minutes: the adaptive run is repeated after
    // the others and the ratios use the mean of both.
    sluiceSystems.push({ system: 'sluice-adaptive-repeat', overrides: { SLUICE_ADAPTIVE: 'true' }, until: 'drain' });
    // Scale-out as deployed (replicas up to the partition count), not a target system: two
    // processes on two cores that Kafka and PostgreSQL also use.
    sluiceSystems.push({ system: 'sluice-adaptive-2-replicas', overrides: { SLUICE_ADAPTIVE: 'true' }, until: 'drain', replicas: 2 });
    const profileDir = path.join(benchRoot, 'bench/results/profiles/pg-throughput');
    if (options.profile) rmSync(profileDir, { recursive: true, force: true });
    const sink = { topics, eventsPerRecord, workload, format: 'json' as const, settings: {}, profileDir, push, notes };
    await runSluiceSystems(sink, sluiceSystems);

    // The ceiling: same change events, decoded once into a file (not timed), loaded without Kafka.
    const ceilingWorkload = makeWorkload(events, topicPrefix);
    const scratch = path.join(os.tmpdir(), `sluice-bench-${process.pid}`);
    mkdirSync(scratch, { recursive: true });
    const file = path.join(scratch, 'changes.csv');
    const rows = await writeChangeFile(ceilingWorkload, table, file);
    const ceilingDb = await createUniqueDatabase('sluice_bench_ceiling');
    try {
      await withClient(ceilingDb.url, (client) => createTargetTable(client, table));
      const seconds = await loadCeiling(ceilingDb.url, table, file);
      const equal = (await withClient(ceilingDb.url, (client) => verifyPostgres({ client, workload: ceilingWorkload }))).equal;
      push({
        system: 'copy-ceiling',
        config: { path: 'CSV file → COPY into unlogged staging → DELETE of final deletes + INSERT … ON CONFLICT DO UPDATE of the last image per key, one transaction', kafka: false },
        events: rows,
        seconds: round(seconds, 2),
        events_per_s: round(rows / seconds),
        p50_ms: null,
        p99_ms: null,
        peak_rss_mib: null,
        cpu_s: null,
        target_equals_expected: equal,
      });
    } finally {
      await ceilingDb.drop();
      rmSync(scratch, { recursive: true, force: true });
    }

    // Debezium's JDBC sink, default and tuned batch.size, in one worker of our own.
    let worker: ConnectWorker | null = null;
    try {
      process.stdout.write(`  starting Kafka Connect 4.3.1 with Debezium JDBC sink ${DEBEZIUM_JDBC_VERSION} …\n`);
      worker = await startConnectWorker();
      const variants: { system: string; extra: Record<string, string> }[] = [
        { system: 'debezium-jdbc-default', extra: {} },
        { system: 'debezium-jdbc-tuned', extra: { 'batch.size': String(TUNED_BATCH), 'consumer.override.max.poll.records': String(TUNED_BATCH) } },
      ];
      for (const variant of variants) {
        push(await runJdbcSink(worker, variant.system, variant.extra, topics, table, eventsPerRecord, debeziumLimitSeconds, verify));
      }
    } catch (error) {
      notes.push(`Debezium JDBC sink not measured: ${String(error).slice(0, 500)}`);
      process.stdout.write(`  Debezium JDBC sink not measured: ${String(error)}\n`);
    } finally {
      await worker?.stop();
    }

    // The same change events as Confluent Avro (Debezium's usual production format): ~290 B
    // records instead of ~3.5 KB, so reading and decoding weigh far less.
    if (options.avro !== false) {
      const avroWorkload = makeWorkload(events, `${topicPrefix}-avro`);
      try {
        const encoding = await encodeAsAvro(avroWorkload, makeWorkload(50, `${topicPrefix}-avro`));
        avroTopics = avroWorkload.topics().map((spec) => spec.topic);
        process.stdout.write(`  producing the same ${events} events as Avro (schemas in ${encoding.registryUrl}) …\n`);
        const producedAvro = await produceBacklog(avroWorkload, { progressIntervalMs: 30_000, onProgress: (p) => process.stdout.write(`  ${p.elapsedSeconds.toFixed(0)} s: ${p.records} records\n`) });
        avroRecordBytes = Math.round(producedAvro.bytes / producedAvro.records);
        process.stdout.write(`  produced ${producedAvro.records} Avro records, ${(producedAvro.bytes / 2 ** 20).toFixed(0)} MiB in ${producedAvro.seconds.toFixed(1)} s\n`);
        const avroEventsPerRecord = avroWorkload.stats().changeEvents / producedAvro.records;
        const raw = await rawConsume(avroTopics);
        push(rawRun('raw-consume-avro', raw, avroEventsPerRecord, 'avro'));
        const avroSink = { topics: avroTopics, eventsPerRecord: avroEventsPerRecord, workload: avroWorkload, format: 'avro' as const, settings: encoding.settings, profileDir, push, notes };
        await runSluiceSystems(avroSink, [
          { system: 'sluice-adaptive-avro', overrides: { SLUICE_ADAPTIVE: 'true' }, until: 'drain' },
          { system: 'sluice-naive-avro', overrides: NAIVE, until: naiveSeconds },
          { system: 'sluice-adaptive-avro-repeat', overrides: { SLUICE_ADAPTIVE: 'true' }, until: 'drain' },
          { system: 'sluice-adaptive-avro-2-replicas', overrides: { SLUICE_ADAPTIVE: 'true' }, until: 'drain', replicas: 2 },
        ]);
      } catch (error) {
        notes.push(`Avro systems not measured: ${String(error).slice(0, 500)}`);
        process.stdout.write(`  Avro systems not measured: ${String(error)}\n`);
      }
    }
  } finally {
    await deleteTopics([...topics, ...avroTopics]);
  }

  const rate = (system: string): number | null => runs.find((run) => run.system === system)?.events_per_s ?? null;
  const meanOf = (...systems: string[]): number | null => {
    const rates = systems.map(rate).filter((value): value is number => value !== null);
    return rates.length === 0 ? null : round(rates.reduce((sum, value) => sum + value, 0) / rates.length);
  };
  const sluice = meanOf('sluice-adaptive', 'sluice-adaptive-repeat');
  const sluiceAvro = meanOf('sluice-adaptive-avro', 'sluice-adaptive-avro-repeat');
  const ratios = {
    sluice_vs_debezium_jdbc_default: ratio(sluice, rate('debezium-jdbc-default')),
    sluice_vs_debezium_jdbc_tuned: ratio(sluice, rate('debezium-jdbc-tuned')),
    sluice_vs_naive: ratio(sluice, rate('sluice-naive')),
    sluice_vs_fixed_1000: ratio(sluice, rate('sluice-fixed-1000')),
    sluice_confluent_vs_debezium_jdbc_default: ratio(rate('sluice-adaptive-confluent'), rate('debezium-jdbc-default')),
    sluice_confluent_vs_naive: ratio(rate('sluice-adaptive-confluent'), rate('sluice-naive')),
    sluice_confluent_share_of_ceiling: ratio(rate('sluice-adaptive-confluent'), rate('copy-ceiling')),
    sluice_share_of_ceiling: ratio(sluice, rate('copy-ceiling')),
    sluice_share_of_raw_consume: ratio(sluice, rate('raw-consume')),
    avro_sluice_vs_naive: ratio(sluiceAvro, rate('sluice-naive-avro')),
    avro_sluice_share_of_ceiling: ratio(sluiceAvro, rate('copy-ceiling')),
    avro_sluice_share_of_raw_consume: ratio(sluiceAvro, rate('raw-consume-avro')),
    avro_sluice_vs_json_sluice: ratio(sluiceAvro, sluice),
    avro_sluice_vs_debezium_jdbc_default_json: ratio(sluiceAvro, rate('debezium-jdbc-default')),
    two_replicas_vs_one: ratio(rate('sluice-adaptive-2-replicas'), sluice),
    two_replicas_vs_naive: ratio(rate('sluice-adaptive-2-replicas'), rate('sluice-naive')),
    avro_two_replicas_vs_one: ratio(rate('sluice-adaptive-avro-2-replicas'), sluiceAvro),
    avro_two_replicas_vs_naive: ratio(rate('sluice-adaptive-avro-2-replicas'), rate('sluice-naive-avro')),
  };
  const cpuPerEvent = (system: string): number | null => (runs.find((run) => run.system === system)?.cpu_us_per_event as number | undefined) ?? null;
  const cpuRatios = {
    cpu_per_event_debezium_jdbc_default_vs_sluice: ratio(cpuPerEvent('debezium-jdbc-default'), cpuPerEvent('sluice-adaptive')),
    cpu_per_event_debezium_jdbc_tuned_vs_sluice: ratio(cpuPerEvent('debezium-jdbc-tuned'), cpuPerEvent('sluice-adaptive')),
    cpu_per_event_naive_vs_sluice: ratio(cpuPerEvent('sluice-naive'), cpuPerEvent('sluice-adaptive')),
    cpu_per_event_json_vs_avro_sluice: ratio(cpuPerEvent('sluice-adaptive'), cpuPerEvent('sluice-adaptive-avro')),
  };
  const target = (goal: string, measured: number | null, threshold: number) => ({ goal, measured, met: measured === null ? null : measured >= threshold });
  return {
    scenario: 'pg-throughput',
    description: `${changeEvents} Debezium change events (+${stats.tombstones} tombstones = ${produced.records} Kafka records, ~${Math.round(produced.bytes / produced.records)} B each, JSON with schemas${avroRecordBytes === null ? '' : `; and the same events again as Confluent Avro, ~${avroRecordBytes} B each, for the *-avro systems`}) of one measurements table (7 columns), ${PARTITIONS} partitions, mix ${stats.inserts} c / ${stats.updates} u / ${stats.deletes} d (${stats.keyChanges} key changes), into PostgreSQL 15 upserts`,
    date,
    machine,
    metrics: {
      events: 'change events (c/u/d; tombstones not counted); for Kafka-fed systems the committed records × change events per record',
      seconds: 'Kafka-fed systems: first offset commit of the group → every record committed (or the slice); copy-ceiling: COPY + apply; raw-consume: first batch → last record',
      p50_ms_p99_ms: 'sluice: one batch write attempt (sluice_write_latency_seconds histogram, interpolated); not measured for the others',
      peak_rss_mib: 'VmHWM of the system\'s own process (sluice child; the Connect worker — shared by both Debezium runs, so the tuned run shows the peak of both)',
      cpu_s: 'user+system CPU of that process from its start to the end of the measurement (start-up included)',
      cpu_us_per_event: 'cpu_s / events (the Connect worker\'s CPU is counted from the connector\'s creation; raw-consume: the benchmark process)',
      postgres_cpu_s: 'sluice runs: CPU of every PostgreSQL process over the run (other work on the server included)',
    },
    runs,
    ratios: { sluice_adaptive_mean_events_per_s: sluice, sluice_adaptive_avro_mean_events_per_s: sluiceAvro, ...ratios, ...cpuRatios },
    targets: {
      sluice_vs_debezium_jdbc_default: target('≥ 5×', ratios.sluice_vs_debezium_jdbc_default, 5),
      sluice_vs_naive: target('≥ 30×', ratios.sluice_vs_naive, 30),
      sluice_share_of_ceiling: target('≥ 0.5 of the ceiling', ratios.sluice_share_of_ceiling, 0.5),
      avro_sluice_vs_naive: target('≥ 30× (the same events as Avro, naive also on Avro)', ratios.avro_sluice_vs_naive, 30),
      avro_sluice_share_of_ceiling: target('≥ 0.5 of the ceiling (the same events as Avro)', ratios.avro_sluice_share_of_ceiling, 0.5),
    },
    notes: [
      COMPILED_BUILD_NOTE,
      `Produced with the ${produced.client} client in ${produced.seconds.toFixed(0)} s (not part of any figure).`,
      'sluice in the ratios = the mean of sluice-adaptive and sluice-adaptive-repeat (the same run before and after the other sluice systems): the machine\'s load from other work moves by minutes. Likewise for the Avro systems.',
      'Avro systems: the same workload (same seed) transcoded to the Confluent wire format as Kafka Connect\'s AvroConverter writes it, schemas registered in the project\'s Apicurio Registry (Confluent API); sluice reads them with SLUICE_VALUE_FORMAT=avro. The Debezium JDBC sink is run on the JSON records only.',
      `The naive sink (batch 1, concurrency 1) is measured on a ${naiveSeconds} s slice and reported as a rate.`,
      `Debezium JDBC sink ${DEBEZIUM_JDBC_VERSION}: 3.6.1.Final is not published on Maven Central. A run still going after ${debeziumLimitSeconds} s is stopped and reported as the rate over that slice.`,
      ...notes,
    ],
  };
}

async function runJdbcSink(
  worker: ConnectWorker,
  system: string,
  extra: Record<string, string>,
  topics: readonly string[],
  table: ReturnType<Workload['tableDefinitions']>[number],
  eventsPerRecord: number,
  limitSeconds: number,
  verify: (url: string) => Promise<boolean>,
): Promise<BenchRun> {
  const database = await createUniqueDatabase(`sluice_bench_${system.replaceAll('-', '_')}`);
  const name = uniqueName(system);
  const offsets = new GroupOffsets(`connect-${name}`, topics);
  await offsets.connect();
  try {
    await withClient(database.url, (client) => createTargetTable(client, table));
    const jdbcUrl = `jdbc:postgresql://127.0.0.1:${new URL(database.url).port || '5433'}/${database.name}`;
    const cpuBefore = cpuSecondsOf(worker.pid);
    process.stdout.write(`  ${system}: sinking …\n`);
    await createConnector(worker, { name, topics, jdbcUrl, table: `${table.schema}.${table.name}`, extra });
    const { end } = await offsets.totals();
    let first = 0;
    let firstAt = 0;
    let committed = 0;
    let lastReport = Date.now();
    const deadline = Date.now() + limitSeconds * 1000 + 120_000;
    for (;;) {
      committed = (await offsets.totals()).committed;
      const now = Date.now();
      if (firstAt === 0 && committed > 0) {
        firstAt = now;
        first = committed;
      }
      if (committed >= end) break;
      if (firstAt > 0 && now - firstAt > limitSeconds * 1000) break;
      if (now - lastReport > 10_000) {
        const status = await connectorStatus(worker, name);
        if (status.tasks.some((task) => task.state === 'FAILED')) throw new Error(`${system} task failed: ${status.tasks.map((task) => task.trace ?? '').join('\n').slice(0, 1500)}`);
        process.stdout.write(`    ${committed}/${end} committed\n`);
        lastReport = now;
      }
      if (now > deadline) throw new Error(`${system}: nothing committed within the deadline (${committed}/${end})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const endedAt = Date.now();
    const cpu = cpuSecondsOf(worker.pid) - cpuBefore;
    await deleteConnector(worker, name);
    const full = committed >= end;
    const records = committed - first;
    const seconds = (endedAt - firstAt) / 1000;
    return {
      system,
      config: { connector: `io.debezium:debezium-connector-jdbc:${DEBEZIUM_JDBC_VERSION}`, worker: 'Kafka Connect 4.3.1 standalone, 1 task', 'insert.mode': 'upsert', 'delete.enabled': 'true', 'batch.size': extra['batch.size'] ?? '500 (default)', 'max.poll.records': extra['consumer.override.max.poll.records'] ?? '500 (default)', slice: full ? null : `first ${limitSeconds} s after the first commit` },
      events: round(records * eventsPerRecord),
      seconds: round(seconds, 2),
      events_per_s: round((records * eventsPerRecord) / seconds),
      records_per_s: round(records / seconds),
      p50_ms: null,
      p99_ms: null,
      peak_rss_mib: round(peakRssMiB(worker.pid), 1),
      cpu_s: round(cpu, 1),
      target_equals_expected: full ? await verify(database.url) : null,
    };
  } finally {
    await offsets.close();
    await database.drop();
  }
}
