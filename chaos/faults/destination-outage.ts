/**
 * Fault 2, destination outage: the PostgreSQL cluster sluice writes to is stopped under load for
 * `outage` seconds, then started again. Runs against the chaos-owned cluster on 5440 (never the
 * shared 5433). During the outage sluice must pause its partitions, stay up (no crash loop: one
 * process, never exited), keep its group membership (no rebalance storm: partition assignments
 * counted in its log), keep in-flight bytes under SLUICE_MAX_INFLIGHT_BYTES, and report
 * unreadiness on /readyz; after it, become ready again, catch up, and lose nothing.
 *
 * Sizes: full 60 s outage, 240,000 events at 2,000/s; ci 12 s, 24,000 events at 1,000/s.
 */
import { Cluster, sharedEndpoints } from '../lib/cluster.ts';
import { awaitCaughtUp, cleanUpLoadRun, countLoadRun, startLoadRun } from '../lib/load-run.ts';
import { ownDown, ownPostgresEndpoints, ownUp } from '../lib/own-services.ts';
import { FaultReport, roundSeconds, type Fault, type FaultContext, type FaultResult, waitLimitMs, describeVerification } from '../lib/result.ts';
import { ChildSampler } from '../lib/sampler.ts';
import { SluiceChild, until } from '../lib/sluice-child.ts';

const SIZES = { ci: { outageSeconds: 12, events: 24_000, rate: 1_000 }, full: { outageSeconds: 60, events: 240_000, rate: 2_000 } } as const;
const INFLIGHT_LIMIT = 16 * 1024 * 1024;

export const destinationOutageFault: Fault = {
  name: 'destination-outage',
  description: 'the destination PostgreSQL is stopped under load, then started again',
  async run(context: FaultContext): Promise<FaultResult> {
    const size = SIZES[context.size];
    const report = new FaultReport('destination-outage', context);
    const startedHere = await ownUp('postgres');
    const cluster = new Cluster(ownPostgresEndpoints(sharedEndpoints().brokers));
    const run = await startLoadRun({
      cluster,
      name: 'outage',
      seed: context.seed,
      events: size.events,
      eventsPerSecond: size.rate,
      settings: { SLUICE_MAX_INFLIGHT_BYTES: String(INFLIGHT_LIMIT), SLUICE_READY_SINK_FAILURE_MS: '3000', SLUICE_READY_STALL_MS: '5000', SLUICE_RETRY_MAX_MS: '2000' },
    });
    let child: SluiceChild | null = null;
    try {
      child = await SluiceChild.start(run.settings);
      const sluice = child;
      const dead = (): string | null => (sluice.alive ? null : `sluice exited: ${sluice.describe()}`);
      await until(async () => (await cluster.groupProgress(run.group, run.topics)).committed > 0 && (await sluice.readiness())?.ready === true, {
        timeoutMs: 60_000,
        describe: () => `sluice did not commit and become ready: ${sluice.describe()}`,
      });
      const assignmentsBefore = sluice.eventCount('partitions-assigned');

      const sampler = new ChildSampler(sluice).start();
      context.log(`stopping PostgreSQL for ${size.outageSeconds} s`);
      await ownDown('postgres');
      const outageEnds = Date.now() + size.outageSeconds * 1000;
      await until(() => Date.now() >= outageEnds || !sluice.alive, { timeoutMs: size.outageSeconds * 1000 + 5_000, intervalMs: 200, describe: () => 'outage' });
      const during = await sampler.stop();
      await ownUp('postgres');
      const restored = performance.now();
      context.log('PostgreSQL is back');

      const after = new ChildSampler(sluice).start();
      await awaitCaughtUp(run, { timeoutMs: waitLimitMs(context.size, 600_000), alive: dead });
      const recoverSeconds = (performance.now() - restored) / 1000;
      await until(async () => (await sluice.readiness())?.ready === true, { timeoutMs: 30_000, describe: () => `not ready after catching up: ${sluice.describe()}` });
      const afterSamples = await after.stop();

      report.details.during_outage = during;
      report.details.after_outage = { maxInflightBytes: afterSamples.maxInflightBytes, maxRssBytes: afterSamples.maxRssBytes };
      report.details.partition_assignments = sluice.eventCount('partitions-assigned');
      report.check('partitions paused during the outage', during.maxPausedPartitions > 0, `up to ${during.maxPausedPartitions} paused (sluice_paused_partitions)`);
      report.check('no crash loop: the same process ran throughout', sluice.alive && !during.exited, sluice.alive ? `pid ${sluice.child.pid} alive` : sluice.describe());
      const assignments = sluice.eventCount('partitions-assigned') - assignmentsBefore;
      report.check('no rebalance storm', assignments === 0, `${assignments} partition assignment(s) during and after the outage`);
      const inflightMax = Math.max(during.maxInflightBytes, afterSamples.maxInflightBytes);
      report.check('in-flight bytes under the bound', inflightMax <= INFLIGHT_LIMIT, `max ${inflightMax} of ${INFLIGHT_LIMIT} bytes; RSS max ${Math.round(Math.max(during.maxRssBytes, afterSamples.maxRssBytes) / 2 ** 20)} MiB`);
      report.check('/readyz unready during the outage', during.unreadySeen, `reasons: ${during.readyReasons.join(' | ')}`);
      report.check('/readyz ready after catching up', true, 'ready');

      const counts = await countLoadRun(run);
      report.check('target equals the expected state', counts.report.equal, describeVerification(counts.report));
      const { report: _verification, ...figures } = counts;
      return report.finish({ ...figures, time_to_recover_s: roundSeconds(recoverSeconds) });
    } finally {
      await child?.stop('SIGTERM');
      await ownUp('postgres').catch(() => false);
      await cleanUpLoadRun(run);
      if (startedHere) await ownDown('postgres').catch(() => undefined);
    }
  },
};
