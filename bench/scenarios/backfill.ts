/**
 * backfill: the article's scenario scaled to this machine. For each system (adaptive, fixed
 * 1,000, fixed 10,000 — the settings of bench/controller-compare.ts — on JSON with schemas, then
 * on the same events as Avro) in turn, on fresh topics:
 * a burst of `events` change events is produced first (the backlog), then sluice starts while
 * a steady 2,000 records/s (wall-clock source times) keep arriving behind it. Measured:
 *   time_to_drain_s   first record consumed → the group's committed offsets are past the burst
 *                     on every partition and less than one second of steady traffic (2,000
 *                     records) is left uncommitted: caught up with the head of the log
 *   burst_committed_s first record consumed → committed past the burst's end (steady records
 *                     that arrived meanwhile may still wait)
 *   drain rate        records committed by the drain (burst + steady arrivals) / time_to_drain_s
 *   recovery_s        drain → the last steady record committed with a latency ≥ 1 s (0 if none)
 *   p50/p99_ms        steady records committed after the drain: source time → offset committed
 * then `observeSeconds` more of steady traffic.
 */
import { createWorkload, type Workload } from '../../src/loadgen/index.ts';
import { uniqueName } from '../../test/support/services.ts';
import { encodeAsAvro } from '../lib/avro-backlog.ts';
import { deleteTopics, endOffsets, observeRecords, produceBacklog } from '../lib/backlog.ts';
import { CommitLatency } from '../lib/commit-latency.ts';
import { machineInfo } from '../lib/machine.ts';
import { quantile } from '../lib/quantiles.ts';
import { type BenchResult, type BenchRun, ratio, round } from '../lib/result.ts';
import { runSluice } from '../lib/sluice-child.ts';
import { COMPILED_BUILD_NOTE } from '../lib/compiled-build.ts';
import type { ScenarioOptions } from './scenario.ts';

const RATE = 2000;
const RECOVERED_BELOW_MS = 1000;

const SETTINGS: readonly { readonly system: string; readonly overrides: Record<string, string> }[] = [
  { system: 'adaptive', overrides: { SLUICE_ADAPTIVE: 'true' } },
  { system: 'fixed-1000', overrides: { SLUICE_ADAPTIVE: 'false', SLUICE_FIXED_BATCH_ROWS: '1000', SLUICE_FIXED_CONCURRENCY: '1' } },
  { system: 'fixed-10000', overrides: { SLUICE_ADAPTIVE: 'false', SLUICE_FIXED_BATCH_ROWS: '10000', SLUICE_FIXED_CONCURRENCY: '2' } },
];
type Format = 'json' | 'avro';

function workloadOf(seed: number, events: number, topicPrefix: string, wallClock: boolean): Workload {
  return createWorkload({
    seed,
    tables: ['measurements'],
    events,
    partitions: 4,
    topicPrefix,
    maxLiveRowsPerTable: 200_000,
    ...(wallClock ? { clock: { kind: 'wall' as const } } : {}),
  });
}

export async function backfill(options: ScenarioOptions): Promise<BenchResult> {
  const burst = options.events ?? 1_000_000;
  const observeSeconds = options.sliceSeconds ?? 40;
  const limitSeconds = options.limitSeconds ?? 600;
  const machine = machineInfo();
  const date = new Date().toISOString();
  const runs: BenchRun[] = [];
  // JSON with schemas first, then (unless --no-avro) the same events as Confluent Avro.
  const formats: Format[] = options.avro === false ? ['json'] : ['json', 'avro'];
  const systems = formats.flatMap((format) => SETTINGS.map((setting) => ({ ...setting, format, system: format === 'json' ? setting.system : `${setting.system}-avro` })));
  for (const { system, overrides, format } of systems) {
    const topicPrefix = uniqueName(`bench-bf-${system}`);
    const burstLoad = workloadOf(20_261_127, burst, topicPrefix, false);
    const topics = burstLoad.topics().map((spec) => spec.topic);
    try {
      let formatSettings: Readonly<Record<string, string>> = {};
      if (format === 'avro') formatSettings = (await encodeAsAvro(burstLoad, workloadOf(20_261_127, 50, topicPrefix, false))).settings;
      process.stdout.write(`backfill ${system}: producing the ${burst}-event burst (${format}) …\n`);
      const burstProduced = await produceBacklog(burstLoad);
      const burstEnds = await endOffsets(topics);
      // The steady stream: same topics, another seed (its keys overlap the burst's: updates of
      // rows the burst created, as in a live table).
      const steady = workloadOf(20_261_128, RATE * (limitSeconds + observeSeconds), topicPrefix, true);
      if (format === 'avro') await encodeAsAvro(steady, workloadOf(20_261_128, 50, topicPrefix, true));
      const tracker = new CommitLatency(burstEnds);
      observeRecords(steady, (record) => tracker.observe(record, true));
      const stopSteady = new AbortController();
      const steadyProduction = produceBacklog(steady, { createTopics: false, schedule: [{ eventsPerSecond: RATE }], signal: stopSteady.signal });
      let drainedAtMs = 0;
      let burstCommittedAtMs = 0;
      let committedAtDrain = 0;
      let lastSlowAtMs = 0;
      let slowSamplesSeen = 0;
      const startedAt = Date.now();
      process.stdout.write(`backfill ${system}: sluice starts with the burst backlogged and ${RATE} records/s arriving …\n`);
      const measured = await runSluice({
        label: `backfill-${system}`,
        topics,
        overrides: { ...formatSettings, ...overrides, SLUICE_COMMIT_INTERVAL_MS: '200' },
        until: 'drain',
        timeoutMs: (limitSeconds + observeSeconds + 120) * 1000,
        onPoll: (committed, atMs) => {
          tracker.committed(committed, atMs);
          for (; slowSamplesSeen < tracker.samples.length; slowSamplesSeen++) {
            const sample = tracker.samples[slowSamplesSeen]!;
            if (sample.latencyMs >= RECOVERED_BELOW_MS) lastSlowAtMs = sample.atMs;
          }
          if (burstCommittedAtMs === 0 && [...burstEnds].every(([key, end]) => (committed.get(key) ?? 0) >= end)) burstCommittedAtMs = atMs;
          if (drainedAtMs === 0 && burstCommittedAtMs > 0 && tracker.outstanding() <= RATE) {
            drainedAtMs = atMs;
            committedAtDrain = [...committed.values()].reduce((sum, value) => sum + value, 0);
          }
        },
        stopWhen: () => (drainedAtMs > 0 && Date.now() - drainedAtMs >= observeSeconds * 1000) || Date.now() - startedAt > limitSeconds * 1000,
      });
      stopSteady.abort();
      const steadyProduced = await steadyProduction;
      await measured.database.drop();
      const drained = drainedAtMs > 0;
      const timeToDrain = drained ? (drainedAtMs - measured.firstConsumedAtMs) / 1000 : null;
      const afterDrain = tracker.samples.filter((sample) => drained && sample.atMs > drainedAtMs).map((sample) => sample.latencyMs);
      const recovery = drained ? Math.max(0, lastSlowAtMs - drainedAtMs) / 1000 : null;
      const recoveredInWindow = drained && tracker.samples.some((sample) => sample.atMs > Math.max(lastSlowAtMs, drainedAtMs));
      const drainRate = timeToDrain === null ? null : round(committedAtDrain / timeToDrain);
      runs.push({
        system: `sluice-${system}`,
        config: { format, ...overrides, steady_records_per_s: RATE, burst_events: burst, burst_records: burstProduced.records, burst_record_bytes: Math.round(burstProduced.bytes / burstProduced.records), producer: burstProduced.client },
        events: committedAtDrain,
        seconds: timeToDrain === null ? round(measured.seconds, 1) : round(timeToDrain, 1),
        events_per_s: drainRate ?? round(measured.records / measured.seconds),
        drained,
        time_to_drain_s: timeToDrain === null ? null : round(timeToDrain, 1),
        burst_committed_s: burstCommittedAtMs === 0 ? null : round((burstCommittedAtMs - measured.firstConsumedAtMs) / 1000, 1),
        drain_records_per_s: drainRate,
        recovery_s: recovery === null ? null : round(recovery, 1),
        recovered_within_observation: recoveredInWindow,
        p50_ms: quantile(afterDrain, 0.5),
        p99_ms: quantile(afterDrain, 0.99),
        steady_records_produced: steadyProduced.records,
        steady_rate_achieved: round(steadyProduced.recordsPerSecond),
        peak_rss_mib: measured.peakRssMiB,
        cpu_s: measured.cpuSeconds,
        batches: measured.batches,
        mean_batch_rows: measured.meanBatchRows,
      });
      const last = runs.at(-1)!;
      process.stdout.write(`  ${last.system}: drained in ${last.time_to_drain_s} s at ${last.drain_records_per_s} records/s, latency under 1 s ${last.recovery_s} s after the drain\n`);
    } finally {
      await deleteTopics(topics);
    }
  }
  const rate = (system: string): number | null => (runs.find((run) => run.system === system)?.drain_records_per_s as number | null | undefined) ?? null;
  const recoveryOf = (system: string): number | null => (runs.find((run) => run.system === system)?.recovery_s as number | null | undefined) ?? null;
  const compare = (suffix: string) => {
    const adaptive = rate(`sluice-adaptive${suffix}`);
    const bestFixed = Math.max(rate(`sluice-fixed-1000${suffix}`) ?? 0, rate(`sluice-fixed-10000${suffix}`) ?? 0);
    return { adaptive, bestFixed: bestFixed || null, recovery: recoveryOf(`sluice-adaptive${suffix}`) };
  };
  const json = compare('');
  const avro = compare('-avro');
  const targetsOf = (label: string, measured: ReturnType<typeof compare>) => ({
    [`adaptive_vs_best_fixed${label}`]: { goal: 'adaptive drain rate ≥ the best fixed setting\'s', measured: ratio(measured.adaptive, measured.bestFixed), met: measured.adaptive === null || measured.bestFixed === null ? null : measured.adaptive >= measured.bestFixed },
    [`drain_rate${label}`]: { goal: '≥ 50,000 records/s', measured: measured.adaptive, met: measured.adaptive === null ? null : measured.adaptive >= 50_000 },
    [`recovery_s${label}`]: { goal: 'latency back under 1 s within 30 s of the drain', measured: measured.recovery, met: measured.recovery === null ? null : measured.recovery <= 30 },
  });
  return {
    scenario: 'backfill',
    description: `a ${burst}-event burst (measurements table, 4 partitions, Debezium JSON with schemas; the *-avro systems: the same events as Confluent Avro) backlogged, then sluice started with a steady ${RATE} records/s arriving behind it; ${observeSeconds} s observed after the drain; one system after the other, each on its own topics and database`,
    date,
    machine,
    metrics: {
      events: 'Kafka records committed when the burst was drained (burst + steady arrivals, tombstones included)',
      seconds: 'time_to_drain_s: first record consumed → committed past the burst and < 2,000 steady records (1 s) uncommitted',
      burst_committed_s: 'first record consumed → committed offsets past the burst on every partition',
      events_per_s: 'drain rate: events / seconds',
      recovery_s: 'drain → the last steady record committed with source → committed latency ≥ 1 s',
      p50_ms_p99_ms: 'steady records committed after the drain: source time → offset committed (200 ms commit interval, 100 ms poll)',
    },
    runs,
    ratios: {
      adaptive_vs_fixed_1000: ratio(json.adaptive, rate('sluice-fixed-1000')),
      adaptive_vs_fixed_10000: ratio(json.adaptive, rate('sluice-fixed-10000')),
      adaptive_vs_best_fixed: ratio(json.adaptive, json.bestFixed),
      avro_adaptive_vs_fixed_1000: ratio(avro.adaptive, rate('sluice-fixed-1000-avro')),
      avro_adaptive_vs_fixed_10000: ratio(avro.adaptive, rate('sluice-fixed-10000-avro')),
      avro_adaptive_vs_best_fixed: ratio(avro.adaptive, avro.bestFixed),
      avro_vs_json_adaptive_drain: ratio(avro.adaptive, json.adaptive),
    },
    targets: { ...targetsOf('', json), ...(formats.includes('avro') ? targetsOf('_avro', avro) : {}) },
    notes: [
      COMPILED_BUILD_NOTE,
      ...(burst === 1_000_000 ? [] : [`The issue's burst is 1M events; ${burst} in this run.`]),
      'Avro systems: the same workloads transcoded to the Confluent wire format (Kafka Connect AvroConverter form), schemas in the project\'s Apicurio Registry; sluice reads them with SLUICE_VALUE_FORMAT=avro.',
    ],
  };
}
