/**
 * Fault 4, rebalance: under load one sluice becomes three (two more children join the same
 * group), works that way, then goes back to one (the two leave with SIGTERM). Shared services.
 * Nothing may be lost and the final state must equal the expected one; revoked partitions'
 * in-flight writes must finish before hand-over (no `revocation-deadline` warning) and every
 * departing replica must exit 0.
 *
 * Sizes: full 300,000 events at 3,000/s; ci 45,000 at 1,500/s. 6 partitions per topic.
 */
import { Cluster, sharedEndpoints } from '../lib/cluster.ts';
import { awaitCaughtUp, cleanUpLoadRun, countLoadRun, startLoadRun } from '../lib/load-run.ts';
import { FaultReport, roundSeconds, type Fault, type FaultContext, type FaultResult, waitLimitMs, describeVerification } from '../lib/result.ts';
import { SluiceChild, until } from '../lib/sluice-child.ts';

const SIZES = { ci: { events: 45_000, rate: 1_500 }, full: { events: 300_000, rate: 3_000 } } as const;

export const rebalanceFault: Fault = {
  name: 'rebalance',
  description: 'grow from 1 to 3 replicas and back to 1 under load (same group)',
  async run(context: FaultContext): Promise<FaultResult> {
    const size = SIZES[context.size];
    const report = new FaultReport('rebalance', context);
    const cluster = new Cluster(sharedEndpoints());
    const run = await startLoadRun({ cluster, name: 'rebalance', seed: context.seed, events: size.events, eventsPerSecond: size.rate, partitions: 6 });
    const children: SluiceChild[] = [];
    try {
      const first = await SluiceChild.start(run.settings);
      children.push(first);
      const progressAbove = async (records: number): Promise<boolean> => (await cluster.groupProgress(run.group, run.topics)).committed > records;
      /** True, or throws naming the replica that exited. */
      const allAlive = (): true => {
        const dead = children.find((child) => !child.alive);
        if (dead !== undefined) throw new Error(`a replica exited: ${dead.describe()}`);
        return true;
      };
      await until(async () => allAlive() && progressAbove(0), { timeoutMs: 60_000, describe: () => first.describe() });

      context.log('growing to 3 replicas');
      children.push(await SluiceChild.start(run.settings), await SluiceChild.start(run.settings));
      await until(() => allAlive() && children.every((child) => child.eventCount('partitions-assigned') > 0), {
        timeoutMs: 60_000,
        describe: () => `assignments per replica: ${children.map((child) => child.eventCount('partitions-assigned')).join(', ')}`,
      });
      const atThree = (await cluster.groupProgress(run.group, run.topics)).committed;
      // Work as three for a while: until the group has committed another share of the load.
      let producing = true;
      void run.produced.finally(() => {
        producing = false;
      });
      await until(async () => allAlive() && progressAbove(atThree + size.rate * 3), {
        timeoutMs: 120_000,
        describe: () => 'no progress as three replicas',
      });

      report.check('the load was still running when shrinking', producing, producing ? 'producer busy' : 'the producer had finished: use more events');
      context.log('shrinking to 1 replica');
      const shrinking = performance.now();
      const firstAssignments = first.eventCount('partitions-assigned');
      const exits = await Promise.all(children.slice(1).map((child) => child.stop('SIGTERM')));
      report.check('departing replicas stopped cleanly', exits.every((exit) => exit.code === 0), JSON.stringify(exits));
      await until(() => first.eventCount('partitions-assigned') > firstAssignments || !first.alive, { timeoutMs: 60_000, describe: () => `the remaining replica was not reassigned: ${first.describe()}` });
      await awaitCaughtUp(run, { timeoutMs: waitLimitMs(context.size, 600_000), alive: () => (first.alive ? null : `the remaining replica exited: ${first.describe()}`) });
      const recoverSeconds = (performance.now() - shrinking) / 1000;

      const deadlines = children.reduce((sum, child) => sum + child.eventCount('revocation-deadline'), 0);
      report.check('revoked partitions handed over cleanly', deadlines === 0, `${deadlines} revocation-deadline warning(s)`);
      report.details.assignments_per_replica = children.map((child) => child.eventCount('partitions-assigned'));
      report.details.revocations_per_replica = children.map((child) => child.eventCount('partitions-revoked'));

      const counts = await countLoadRun(run);
      report.check('target equals the expected state', counts.report.equal, describeVerification(counts.report));
      const { report: _verification, ...figures } = counts;
      return report.finish({ ...figures, time_to_recover_s: roundSeconds(recoverSeconds) });
    } finally {
      await Promise.all(children.map((child) => child.stop('SIGTERM')));
      await cleanUpLoadRun(run);
    }
  },
};
