/**
 * Fault 6, retention breach: a topic with a short retention, load on it, and a sink that stops
 * (a network partition between sluice and PostgreSQL, chaos/lib/latency-proxy.ts). Sluice must
 * first warn (log event `retention-risk`) while the loss is still avoidable: writing has stalled,
 * so the oldest unwritten record is deleted retention.ms − its age from now (etaSeconds > 0;
 * src/control/write-stall.ts); then, once retention deletes records it had not consumed, report
 * the loss loudly when it reads on: an error log `records-lost` naming the range, and
 * sluice_records_lost_total.
 *
 * The deletion itself is done with the admin DeleteRecords call, which moves the log start
 * offset exactly as retention does: the shared broker checks retention only every 5 minutes
 * (log.retention.check.interval.ms), too rarely for a test. Here `lost` counts records deleted
 * before sluice consumed them that sluice did NOT report (silent loss): it must be 0; the
 * records Kafka deleted are in details.records_deleted_unconsumed.
 *
 * Sizes: full 60,000 events at 500/s; ci 20,000 at 400/s. Shared services.
 */
import { Cluster, sharedEndpoints } from '../lib/cluster.ts';
import { LatencyProxy } from '../lib/latency-proxy.ts';
import { awaitCaughtUp, cleanUpLoadRun, startLoadRun } from '../lib/load-run.ts';
import { FaultReport, roundSeconds, type Fault, type FaultContext, type FaultResult } from '../lib/result.ts';
import { SluiceChild, until } from '../lib/sluice-child.ts';

const SIZES = { ci: { events: 20_000, rate: 400 }, full: { events: 60_000, rate: 500 } } as const;

export const retentionBreachFault: Fault = {
  name: 'retention-breach',
  description: 'short retention and a stopped sink: the ETA warning first, then the loss reported loudly',
  async run(context: FaultContext): Promise<FaultResult> {
    const size = SIZES[context.size];
    const report = new FaultReport('retention-breach', context);
    const shared = sharedEndpoints();
    const proxy = LatencyProxy.inFrontOf(shared.postgresUrl, 0);
    await proxy.start();
    const cluster = new Cluster(shared);
    const run = await startLoadRun({
      cluster,
      name: 'retention',
      seed: context.seed,
      events: size.events,
      eventsPerSecond: size.rate,
      partitions: 2,
      tables: ['measurements'],
      topicConfig: { 'retention.ms': '45000' },
      settings: { SLUICE_RETENTION_WARNING_SECONDS: '900', SLUICE_LAG_SAMPLE_INTERVAL_MS: '1000', SLUICE_MAX_INFLIGHT_BYTES: String(4 * 1024 * 1024), SLUICE_RETRY_MAX_MS: '1000' },
    });
    let child: SluiceChild | null = null;
    try {
      child = await SluiceChild.start({ ...run.settings, SLUICE_PG_URL: proxy.through(cluster.databaseUrl(run.database)) });
      const sluice = child;
      const consumedByPartition = async (): Promise<Map<string, number>> => {
        const samples = (await sluice.metrics()) ?? [];
        const result = new Map<string, number>();
        for (const sample of samples) if (sample.name === 'sluice_events_consumed_total') result.set(`${sample.labels.topic}/${sample.labels.partition}`, sample.value);
        return result;
      };
      await until(async () => (await cluster.groupProgress(run.group, run.topics)).committed > 0, { timeoutMs: 60_000, describe: () => sluice.describe() });

      context.log('cutting sluice off from PostgreSQL (the sink stops)');
      // A warning before the cut would be a stall while sluice started; the one judged is the first after it.
      const warningsBeforeCut = sluice.eventCount('retention-risk');
      report.details.retention_warnings_before_cut = warningsBeforeCut;
      proxy.partition(true);
      const cut = performance.now();
      await until(() => sluice.eventCount('retention-risk') > warningsBeforeCut || !sluice.alive, { timeoutMs: 90_000, intervalMs: 250, describe: () => `no retention-risk warning: ${sluice.describe()}` });
      const warning = sluice.events.get('retention-risk')?.[warningsBeforeCut];
      report.check('retention ETA warning fired (retention-risk)', warning !== undefined, `after ${roundSeconds((performance.now() - cut) / 1000)} s: ${warning?.msg ?? ''}`);
      const warningEta = Number(warning?.etaSeconds ?? 0);
      report.details.first_warning_eta_s = roundSeconds(warningEta);
      report.check('the warning came while the loss was avoidable (etaSeconds > 0)', warningEta > 0, `etaSeconds ${warningEta}, writingStalled ${String(warning?.writingStalled)}`);
      await until(async () => ((await sluice.metric('sluice_paused_partitions')) ?? 0) > 0, { timeoutMs: 60_000, describe: () => `partitions not paused: ${sluice.describe()}` });

      // Retention deletes what sluice has not consumed: everything up to the log end now.
      const consumedBefore = await consumedByPartition();
      const admin = cluster.kafka('sluice-chaos-retention').admin();
      await admin.connect();
      let deletedUnconsumed = 0;
      try {
        for (const topic of run.topics) {
          const ends = await admin.fetchTopicOffsets(topic);
          await admin.deleteTopicRecords({ topic, partitions: ends.map((end) => ({ partition: end.partition, offset: end.high })) });
          for (const end of ends) deletedUnconsumed += Math.max(0, Number(end.high) - (consumedBefore.get(`${topic}/${end.partition}`) ?? 0));
        }
      } finally {
        await admin.disconnect();
      }
      const consumedAfter = await consumedByPartition();
      report.check('sluice was not consuming while its records were deleted', [...consumedBefore].every(([key, value]) => consumedAfter.get(key) === value), JSON.stringify(Object.fromEntries(consumedAfter)));
      report.details.records_deleted_unconsumed = deletedUnconsumed;
      context.log(`deleted ${deletedUnconsumed} unconsumed records; reconnecting the sink`);

      proxy.partition(false);
      const reconnected = performance.now();
      try {
        await awaitCaughtUp(run, { timeoutMs: 60_000, alive: () => (sluice.alive ? null : `sluice exited: ${sluice.describe()}`) });
      } catch (error) {
        throw new Error(`${(error as Error).message}; records-lost events: ${JSON.stringify(sluice.events.get('records-lost') ?? [])}; ${sluice.describe()}`);
      }
      const recoverSeconds = (performance.now() - reconnected) / 1000;

      const lostEvents = sluice.events.get('records-lost') ?? [];
      const reportedByLog = lostEvents.reduce((sum, line) => sum + Number(line.count ?? 0), 0);
      const reportedByMetric = (await sluice.metric('sluice_records_lost_total')) ?? 0;
      report.details.records_lost_events = lostEvents.map((line) => ({ topic: line.topic, partition: line.partition, from: line.from, to: line.to, count: line.count, level: line.level }));
      report.details.sluice_records_lost_total = reportedByMetric;
      report.check('the loss is logged as an error with its range (records-lost)', lostEvents.length > 0 && lostEvents.every((line) => line.level === 50 && line.from !== undefined && line.to !== undefined), `${lostEvents.length} event(s), ${reportedByLog} records`);
      report.check('the warning came before the loss report', warning !== undefined && lostEvents.length > 0 && String(warning.time) <= String(lostEvents[0]!.time), `${String(warning?.time)} then ${String(lostEvents[0]?.time)}`);
      report.check('sluice_records_lost_total counts exactly the deleted unconsumed records', reportedByMetric === deletedUnconsumed && reportedByLog === deletedUnconsumed, `metric ${reportedByMetric}, log ${reportedByLog}, deleted ${deletedUnconsumed}`);

      const progress = await cluster.groupProgress(run.group, run.topics);
      const deadLettered = await cluster.topicRecords(`${run.group}.dlq`);
      return report.finish({
        produced: progress.end,
        written: progress.committed - deadLettered - deletedUnconsumed,
        dead_lettered: deadLettered,
        lost: Math.max(0, deletedUnconsumed - Math.min(reportedByMetric, reportedByLog)),
        duplicated_in_final_state: 0,
        time_to_recover_s: roundSeconds(recoverSeconds),
      });
    } finally {
      await child?.stop('SIGTERM');
      await proxy.stop();
      await cleanUpLoadRun(run);
    }
  },
};
