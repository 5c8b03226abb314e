/**
 * memory: sluice's peak RSS with a small and a 10× larger backlog (JSON with schemas, then the
 * same as Confluent Avro at 10× those sizes), consumed against a slowed
 * sink (a per-row pg_sleep trigger on the target table), for `sliceSeconds` (45 s) each. The
 * service's memory budget (SLUICE_MAX_INFLIGHT_BYTES, 64 MiB by default) — not the backlog —
 * should bound it: both backlogs here are larger than the budget. Generated with a bounded
 * live-row set (maxLiveRowsPerTable), produced with the librdkafka client.
 */
import { coreSettings } from '../../src/config/settings.ts';
import { createWorkload } from '../../src/loadgen/index.ts';
import { withClient } from '../../test/support/sluice-harness.ts';
import { uniqueName } from '../../test/support/services.ts';
import { encodeAsAvro } from '../lib/avro-backlog.ts';
import { deleteTopics, produceBacklog } from '../lib/backlog.ts';
import { createTargetTable } from '../lib/copy-ceiling.ts';
import { machineInfo } from '../lib/machine.ts';
import { rssMiB } from '../lib/proc.ts';
import { type BenchResult, type BenchRun, ratio, round } from '../lib/result.ts';
import { runSluice } from '../lib/sluice-child.ts';
import { COMPILED_BUILD_NOTE } from '../lib/compiled-build.ts';
import type { ScenarioOptions } from './scenario.ts';

const ROW_SLEEP_MS = 10;
const DEFAULT_BUDGET = coreSettings.SLUICE_MAX_INFLIGHT_BYTES.schema.parse(undefined);
/** The larger backlog is run again with this budget (the default until 2026-11-25): what the knob costs. */
const COMPARED_BUDGET = 128 * 2 ** 20;
const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;

type Format = 'json' | 'avro';

export async function memory(options: ScenarioOptions): Promise<BenchResult> {
  // The issue's sizes, 1M and 10M, as Avro (~290 B records: 10M is ~3 GiB of log); JSON with
  // schemas (~3.4 KB records) at a tenth of them (10M would be ~38 GiB, more than the disk here).
  const large = options.events ?? 10_000_000;
  const backlogs: { format: Format; events: number; budgets: (string | null)[] }[] = [
    { format: 'json', events: Math.round(large / 100), budgets: [null, null] },
    { format: 'json', events: Math.round(large / 10), budgets: [null, null, String(COMPARED_BUDGET)] },
    ...(options.avro === false
      ? []
      : [
          { format: 'avro' as const, events: Math.round(large / 10), budgets: [null, null] },
          { format: 'avro' as const, events: large, budgets: [null, null] },
        ]),
  ];
  const seconds = options.sliceSeconds ?? 45;
  const machine = machineInfo();
  const date = new Date().toISOString();
  const runs: BenchRun[] = [];
  for (const { format, events, budgets } of backlogs) {
    const topicPrefix = uniqueName('bench-mem');
    const workloadOf = (count: number) => createWorkload({ seed: 20_261_129, tables: ['measurements'], events: count, partitions: 4, topicPrefix, maxLiveRowsPerTable: 50_000 });
    const workload = workloadOf(events);
    const table = workload.tableDefinitions()[0]!;
    const topics = workload.topics().map((spec) => spec.topic);
    try {
      const formatSettings = format === 'avro' ? (await encodeAsAvro(workload, workloadOf(50))).settings : {};
      process.stdout.write(`memory: producing a ${events}-event backlog (${format}) …\n`);
      const produced = await produceBacklog(workload, { progressIntervalMs: 30_000, onProgress: (p) => process.stdout.write(`  ${p.elapsedSeconds.toFixed(0)} s: ${p.records} records\n`) });
      process.stdout.write(`  ${produced.records} records, ${(produced.bytes / 2 ** 20).toFixed(0)} MiB in ${produced.seconds.toFixed(0)} s; sluice against a slowed sink for ${seconds} s …\n`);
      // Defaults twice on each backlog: one VmHWM moves by tens of MiB with when major GCs fall.
      for (const [index, budget] of budgets.entries()) {
        const repeat = budget === null && budgets.indexOf(null) !== index;
        let rssPeakSeen = 0;
        let pid = 0;
        const measured = await runSluice({
          label: `memory-${format}-${events}`,
          topics,
          overrides: { ...formatSettings, ...(budget === null ? {} : { SLUICE_MAX_INFLIGHT_BYTES: budget }) },
          until: seconds,
          prepare: async (database) => {
            await withClient(database.url, async (client) => {
              await createTargetTable(client, table);
              await client.query(`CREATE FUNCTION public.bench_slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(${ROW_SLEEP_MS / 1000}); RETURN NEW; END $$`);
              await client.query(`CREATE TRIGGER bench_slow BEFORE INSERT OR UPDATE ON "${table.schema}"."${table.name}" FOR EACH ROW EXECUTE FUNCTION public.bench_slow_row()`);
            });
          },
          onStart: (childPid) => {
            pid = childPid;
          },
          onPoll: () => {
            if (pid > 0) rssPeakSeen = Math.max(rssPeakSeen, rssMiB(pid));
          },
        });
        await measured.database.drop();
        runs.push({
          system: `${budget === null ? 'sluice-adaptive' : `sluice-adaptive-${mib(Number(budget)).replace(' ', '').toLowerCase()}-budget`}${format === 'avro' ? '-avro' : ''}${repeat ? '-repeat' : ''}`,
          config: {
            format,
            record_bytes: Math.round(produced.bytes / produced.records),
            backlog_events: events,
            backlog_records: produced.records,
            backlog_mib: round(produced.bytes / 2 ** 20),
            SLUICE_MAX_INFLIGHT_BYTES: budget ?? `${DEFAULT_BUDGET} (default)`,
            slowed_sink: `pg_sleep(${ROW_SLEEP_MS} ms) per inserted/updated row`,
            producer: produced.client,
          },
          events: measured.records,
          seconds: round(measured.seconds, 1),
          events_per_s: round(measured.records / measured.seconds),
          p50_ms: measured.writeP50Ms,
          p99_ms: measured.writeP99Ms,
          peak_rss_mib: measured.peakRssMiB,
          rss_peak_polled_mib: round(rssPeakSeen, 1),
          cpu_s: measured.cpuSeconds,
          pauses: measured.samples.filter((sample) => sample.name === 'sluice_partition_pauses_total').reduce((sum, sample) => sum + sample.value, 0),
        });
        process.stdout.write(`  ${format} backlog ${events}${budget === null ? '' : `, budget ${budget} B`}: peak RSS ${measured.peakRssMiB} MiB\n`);
      }
    } finally {
      await deleteTopics(topics);
    }
  }
  const defaultsOf = (format: Format) => {
    const name = format === 'json' ? 'sluice-adaptive' : 'sluice-adaptive-avro';
    return runs.filter((run) => run.system === name || run.system === `${name}-repeat`);
  };
  /** Mean peak RSS of the two default runs on the larger backlog over the smaller's. */
  const stepRatio = (format: Format): number | null => {
    const sizes = [...new Set(defaultsOf(format).map((run) => (run.config as { backlog_events: number }).backlog_events))].sort((a, b) => a - b);
    if (sizes.length < 2) return null;
    const meanAt = (events: number): number => {
      const peaks = defaultsOf(format).filter((run) => (run.config as { backlog_events: number }).backlog_events === events).map((run) => run.peak_rss_mib ?? 0);
      return peaks.reduce((sum, value) => sum + value, 0) / peaks.length;
    };
    return ratio(meanAt(sizes[1]!), meanAt(sizes[0]!));
  };
  const jsonRatio = stepRatio('json');
  const avroRatio = stepRatio('avro');
  const worst = Math.max(...[...defaultsOf('json'), ...defaultsOf('avro')].map((run) => run.peak_rss_mib ?? 0));
  const within10 = (measured: number | null) => (measured === null ? null : measured >= 0.9 && measured <= 1.1);
  return {
    scenario: 'memory',
    description: `backlogs of ${backlogs.map((backlog) => `${backlog.events} (${backlog.format})`).join(', ')} change events (measurements table, 4 partitions; JSON with schemas ~3.4 KB records, Confluent Avro ~290 B) consumed by sluice (defaults) for ${seconds} s each against a sink slowed to ${ROW_SLEEP_MS} ms per row`,
    date,
    machine,
    metrics: {
      peak_rss_mib: 'VmHWM of the sluice child at the end of the slice; each backlog is consumed twice with the defaults (…-repeat), and the large-vs-small ratios compare the means of the two',
      rss_peak_polled_mib: 'largest VmRSS seen while polling (every ~100 ms)',
      events: 'Kafka records committed in the slice',
    },
    runs,
    ratios: { peak_rss_large_vs_small: jsonRatio, peak_rss_large_vs_small_avro: avroRatio },
    targets: {
      peak_rss_mib: { goal: '< 300 MiB (default settings, every backlog and format)', measured: worst, met: worst < 300 },
      peak_rss_large_vs_small: { goal: 'within ±10 % (ratio 0.9–1.1), JSON backlogs 10× apart', measured: jsonRatio, met: within10(jsonRatio) },
      ...(avroRatio === null && options.avro === false ? {} : { peak_rss_large_vs_small_avro: { goal: 'within ±10 % (ratio 0.9–1.1), Avro backlogs 10× apart', measured: avroRatio, met: within10(avroRatio) } }),
    },
    notes: [
      COMPILED_BUILD_NOTE,
      `The issue asks for 1M and 10M events: the Avro backlogs are those sizes (10M Avro events are ~3 GiB of log). 10M JSON-with-schema events would be ~38 GiB, more than this machine's free disk, so the JSON backlogs are a tenth of them (also 10× apart). Every backlog is larger than the ${mib(DEFAULT_BUDGET)} memory budget.`,
    ],
  };
}
