/**
 * Fault 5, broker restart: while sluice works through a backlog, the Kafka broker is stopped,
 * kept down for a while, and started again. Runs against the chaos-owned single-node broker
 * (127.0.0.1:19092, never the shared 9092). Sluice must recover on its own (the same process,
 * no operator), commit everything and lose nothing.
 *
 * Sizes: full 300,000 events, 20 s down; ci 30,000 events, 5 s down. The broker's own stop and
 * start (a JVM) add their time to the outage.
 */
import { Cluster, sharedEndpoints } from '../lib/cluster.ts';
import { LatencyProxy } from '../lib/latency-proxy.ts';
import { awaitCaughtUp, cleanUpLoadRun, countLoadRun, startLoadRun } from '../lib/load-run.ts';
import { ownDown, ownKafkaEndpoints, ownUp } from '../lib/own-services.ts';
import { FaultReport, roundSeconds, type Fault, type FaultContext, type FaultResult, describeVerification } from '../lib/result.ts';
import { SluiceChild, until } from '../lib/sluice-child.ts';

/**
 * The waits are shorter at CI size so that a fault which does not recover fails with sluice's own
 * output tail well inside the test runner's per-file limit (600 s), instead of being cancelled
 * by it without a word.
 */
const SIZES = {
  ci: { events: 30_000, downSeconds: 5, progressTimeoutMs: 120_000, catchUpTimeoutMs: 240_000 },
  full: { events: 300_000, downSeconds: 20, progressTimeoutMs: 300_000, catchUpTimeoutMs: 600_000 },
} as const;

export const brokerRestartFault: Fault = {
  name: 'broker-restart',
  description: 'the Kafka broker is stopped and started again while sluice consumes',
  async run(context: FaultContext): Promise<FaultResult> {
    const size = SIZES[context.size];
    const report = new FaultReport('broker-restart', context);
    const startedHere = await ownUp('kafka');
    context.log(startedHere ? 'started the chaos broker' : 'the chaos broker was already running');
    const cluster = new Cluster(ownKafkaEndpoints(sharedEndpoints().postgresUrl));
    const run = await startLoadRun({
      cluster,
      name: 'broker',
      seed: context.seed,
      events: size.events,
      eventsPerSecond: null,
      settings: { SLUICE_ADAPTIVE: 'false', SLUICE_FIXED_BATCH_ROWS: '500', SLUICE_FIXED_CONCURRENCY: '1' },
    });
    // A slowed sink (25 ms each way to PostgreSQL) keeps the backlog in work when the broker goes.
    const proxy = LatencyProxy.inFrontOf(cluster.endpoints.postgresUrl, 25);
    await proxy.start();
    let child: SluiceChild | null = null;
    try {
      await run.produced;
      context.log(`produced ${size.events} events; starting sluice`);
      child = await SluiceChild.start({ ...run.settings, SLUICE_PG_URL: proxy.through(cluster.databaseUrl(run.database)) });
      const sluice = child;
      let progress = await cluster.groupProgress(run.group, run.topics);
      await until(
        async () => {
          if (!sluice.alive) throw new Error(`sluice exited: ${sluice.describe()}`);
          progress = await cluster.groupProgress(run.group, run.topics);
          if (progress.committed >= progress.end) throw new Error(`sluice finished the backlog before the broker restart (${progress.committed}/${progress.end}); use more events`);
          return progress.committed >= progress.end * 0.3;
        },
        { timeoutMs: size.progressTimeoutMs, describe: () => `committed ${progress.committed}/${progress.end}; sluice ${sluice.describe()}` },
      );
      report.details.committed_at_stop = progress.committed;
      context.log(`stopping the broker with ${progress.committed}/${progress.end} committed`);
      const stopped = performance.now();
      await ownDown('kafka');
      const downUntil = Date.now() + size.downSeconds * 1000;
      await until(() => Date.now() >= downUntil, { timeoutMs: size.downSeconds * 1000 + 1_000, intervalMs: 200, describe: () => 'broker down' });
      await ownUp('kafka');
      const restarted = performance.now();
      report.details.broker_down_s = roundSeconds((restarted - stopped) / 1000);
      context.log(`broker back after ${report.details.broker_down_s} s`);

      await awaitCaughtUp(run, {
        timeoutMs: size.catchUpTimeoutMs,
        alive: () => (sluice.alive ? null : `sluice exited: ${sluice.describe()}`),
        describe: () => `sluice ${sluice.describe()}`,
      });
      const recoverSeconds = (performance.now() - restarted) / 1000;
      report.check('recovered without an operator: the same process ran throughout', sluice.alive, sluice.alive ? `pid ${sluice.child.pid} alive` : sluice.describe());
      report.details.partition_assignments = sluice.eventCount('partitions-assigned');

      const counts = await countLoadRun(run);
      report.check('target equals the expected state', counts.report.equal, describeVerification(counts.report));
      const { report: _verification, ...figures } = counts;
      return report.finish({ ...figures, time_to_recover_s: roundSeconds(recoverSeconds) });
    } finally {
      await child?.stop('SIGTERM');
      await proxy.stop();
      await ownUp('kafka').catch(() => false);
      await cleanUpLoadRun(run);
      if (startedHere) await ownDown('kafka').catch(() => undefined);
    }
  },
};
