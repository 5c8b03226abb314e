/**
 * Fault 8, slow network: sluice writes to PostgreSQL through a loopback proxy (chaos/lib/
 * latency-proxy.ts) that first adds nothing, then `delayMs` to every chunk in each direction,
 * under load. The controller must adapt (its batch size or write concurrency, as /status shows
 * them, changes after the latency arrives), in-flight bytes must stay under
 * SLUICE_MAX_INFLIGHT_BYTES, and nothing may be lost. Shared services.
 *
 * Sizes: full 200,000 events at 2,000/s, 40 ms each way; ci 24,000 at 1,000/s, 40 ms each way.
 */
import { Cluster, sharedEndpoints } from '../lib/cluster.ts';
import { LatencyProxy } from '../lib/latency-proxy.ts';
import { awaitCaughtUp, cleanUpLoadRun, countLoadRun, startLoadRun } from '../lib/load-run.ts';
import { FaultReport, roundSeconds, type Fault, type FaultContext, type FaultResult, waitLimitMs, describeVerification } from '../lib/result.ts';
import { ChildSampler } from '../lib/sampler.ts';
import { SluiceChild, until } from '../lib/sluice-child.ts';

const SIZES = { ci: { events: 24_000, rate: 1_000, delayMs: 40 }, full: { events: 200_000, rate: 2_000, delayMs: 40 } } as const;
const INFLIGHT_LIMIT = 32 * 1024 * 1024;

interface ControllerStatus {
  readonly controller?: { readonly batchSize?: number; readonly concurrency?: number };
}

export const slowNetworkFault: Fault = {
  name: 'slow-network',
  description: 'a latency-adding TCP proxy in front of PostgreSQL, under load',
  async run(context: FaultContext): Promise<FaultResult> {
    const size = SIZES[context.size];
    const report = new FaultReport('slow-network', context);
    const shared = sharedEndpoints();
    const proxy = LatencyProxy.inFrontOf(shared.postgresUrl, 0);
    await proxy.start();
    const cluster = new Cluster(shared);
    const run = await startLoadRun({ cluster, name: 'slow', seed: context.seed, events: size.events, eventsPerSecond: size.rate, settings: { SLUICE_MAX_INFLIGHT_BYTES: String(INFLIGHT_LIMIT) } });
    let child: SluiceChild | null = null;
    try {
      child = await SluiceChild.start({ ...run.settings, SLUICE_PG_URL: proxy.through(cluster.databaseUrl(run.database)) });
      const sluice = child;
      const dead = (): string | null => (sluice.alive ? null : `sluice exited: ${sluice.describe()}`);
      await until(async () => (await cluster.groupProgress(run.group, run.topics)).committed > 0, { timeoutMs: 60_000, describe: () => sluice.describe() });
      const before = await sluice.status<ControllerStatus>();
      const settingsBefore = { batchSize: before?.controller?.batchSize, concurrency: before?.controller?.concurrency };

      context.log(`adding ${size.delayMs} ms each way`);
      proxy.delayMs = size.delayMs;
      const slowed = performance.now();
      const sampler = new ChildSampler(sluice).start();
      const seen = new Set<string>();
      const timeline: { at_s: number; batchSize: number | undefined; concurrency: number | undefined }[] = [];
      const watch = setInterval(() => {
        void sluice.status<ControllerStatus>().then((status) => {
          const key = `${status?.controller?.batchSize}x${status?.controller?.concurrency}`;
          if (!seen.has(key)) {
            seen.add(key);
            timeline.push({ at_s: roundSeconds((performance.now() - slowed) / 1000), batchSize: status?.controller?.batchSize, concurrency: status?.controller?.concurrency });
          }
        });
      }, 500);
      try {
        await awaitCaughtUp(run, { timeoutMs: waitLimitMs(context.size, 900_000), alive: dead });
      } finally {
        clearInterval(watch);
      }
      const recoverSeconds = (performance.now() - slowed) / 1000;
      const samples = await sampler.stop();
      report.details.controller_before = settingsBefore;
      report.details.controller_timeline = timeline;
      report.details.samples = samples;
      const changed = timeline.some((point) => point.batchSize !== settingsBefore.batchSize || point.concurrency !== settingsBefore.concurrency);
      report.check('the controller adapted (batch size or concurrency changed, /status)', changed, `before ${JSON.stringify(settingsBefore)}; after: ${JSON.stringify(timeline)}`);
      report.check('in-flight bytes under the bound', samples.maxInflightBytes <= INFLIGHT_LIMIT, `max ${samples.maxInflightBytes} of ${INFLIGHT_LIMIT} bytes; RSS max ${Math.round(samples.maxRssBytes / 2 ** 20)} MiB`);
      report.check('the same process ran throughout', sluice.alive, sluice.alive ? `pid ${sluice.child.pid} alive` : sluice.describe());

      const counts = await countLoadRun(run);
      report.check('target equals the expected state', counts.report.equal, describeVerification(counts.report));
      const { report: _verification, ...figures } = counts;
      // Recovery here: from the latency's arrival until the load was fully written through it.
      return report.finish({ ...figures, time_to_recover_s: roundSeconds(recoverSeconds) });
    } finally {
      await child?.stop('SIGTERM');
      await proxy.stop();
      await cleanUpLoadRun(run);
    }
  },
};
