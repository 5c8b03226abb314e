/**
 * Fault 1, kill -9: `sluice run` (exactly-once delivery, the strictest mode) is SIGKILLed at
 * seeded moments, each while a write transaction is open on the target, and restarted each
 * time; the last run goes to the end. The target must equal the generator's expected state and
 * the row-effect audit must show no image applied twice. Shared services (nothing is stopped).
 *
 * Sizes: full 1,000,000 events / 20 kills; ci 30,000 events / 3 kills.
 */
import { createWorkload, Prng, produceWorkload } from '../../src/loadgen/index.ts';
import { killDuringWrites, runChildToEnd } from '../../test/support/sluice-harness.ts';
import { Cluster, chaosName, sharedEndpoints, workloadCounts } from '../lib/cluster.ts';
import { FaultReport, roundSeconds, type Fault, type FaultContext, type FaultResult, waitLimitMs, describeVerification } from '../lib/result.ts';
import { auditedDuplicates, installRowAudit } from '../lib/row-audit.ts';
import { sinkSettings } from '../lib/sluice-child.ts';

const SIZES = { ci: { events: 30_000, kills: 3 }, full: { events: 1_000_000, kills: 20 } } as const;

/** Kill points as shares of the records, each in its own slice so they stay ordered. */
function killShares(seed: number, kills: number): number[] {
  const rng = new Prng(`chaos-kills:${seed}`);
  return Array.from({ length: kills }, (_, index) => (index === 0 ? 0 : (index + rng.float() * 0.8) / (kills + 1)));
}

export const killFault: Fault = {
  name: 'kill',
  description: 'kill -9 of the sink at seeded moments while it writes, restarted each time (exactly-once, audited)',
  async run(context: FaultContext): Promise<FaultResult> {
    const size = SIZES[context.size];
    const report = new FaultReport('kill', context);
    const cluster = new Cluster(sharedEndpoints());
    const database = await cluster.createDatabase('chaos_kill');
    const workload = createWorkload({
      seed: context.seed,
      // Tables whose every update changes the row image: `composite` updates may change no column,
      // and such a legitimate repeat looks to the audit exactly like a replayed batch.
      tables: ['measurements', 'toasty', 'wide'],
      events: size.events,
      partitions: 4,
      topicPrefix: chaosName('chaos_kill'),
      mix: { insert: 0.35, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 },
    });
    const topics = workload.topics().map((spec) => spec.topic);
    const group = chaosName('chaos_kill_group');
    try {
      await cluster.withClient(database, (client) => installRowAudit(client, workload));
      const produced = await produceWorkload(workload, { brokers: cluster.endpoints.brokers });
      context.log(`produced ${produced.records} records in ${produced.seconds.toFixed(1)} s`);
      const settings = sinkSettings({ endpoints: cluster.endpoints, databaseUrl: cluster.databaseUrl(database), topics, group, extra: { SLUICE_DELIVERY: 'exactly-once', SLUICE_LOG_LEVEL: 'warn' } });

      const kills = await killDuringWrites({ settings, topics, database: { name: database, url: cluster.databaseUrl(database) }, thresholds: killShares(context.seed, size.kills), timeoutMs: waitLimitMs(context.size, 600_000) });
      report.details.kills = kills.map((kill) => ({ committed_at_kill: Number(kill.committedAtKill), end: Number(kill.end), write_in_progress: kill.writeInProgress }));
      report.check('every kill hit an open write before the end', kills.length === size.kills && kills.every((kill) => kill.writeInProgress && kill.committedAtKill < kill.end), `${kills.length} kills`);

      const restarted = performance.now();
      await runChildToEnd({ settings, topics, timeoutMs: waitLimitMs(context.size, 900_000) });
      const recoverSeconds = (performance.now() - restarted) / 1000;

      const counts = await workloadCounts({ cluster, workload, database, group, dlqTopic: `${group}.dlq` });
      report.check('target equals the expected state', counts.report.equal, describeVerification(counts.report));
      const audit = await cluster.withClient(database, (client) => auditedDuplicates(client));
      report.details.audited_effects = audit.effects;
      report.details.duplicate_images = audit.duplicateImages;
      if (audit.samples.length > 0) report.details.duplicate_samples = audit.samples;
      report.check('no row effect applied twice (exactly-once)', audit.effects > 0 && audit.duplicateImages === 0, `${audit.effects} audited effects, ${audit.duplicateImages} images written twice`);
      const { report: _verification, ...figures } = counts;
      return report.finish({ ...figures, duplicated_in_final_state: counts.duplicated_in_final_state + audit.duplicateImages, time_to_recover_s: roundSeconds(recoverSeconds) });
    } finally {
      await cluster.dropDatabase(database).catch(() => undefined);
      await cluster.deleteTopics([...topics, `${group}.dlq`]).catch(() => undefined);
    }
  },
};
