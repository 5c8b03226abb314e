/**
 * Exactly-once delivery into PostgreSQL (SLUICE_DELIVERY=exactly-once): offsets are stored in
 * the same transaction as the rows, so after a SIGKILL during writes and a restart no row
 * effect is applied twice.
 *
 * The witness is an effect that is not idempotent: the target tables are created before sluice
 * starts, each with an AFTER INSERT/UPDATE/DELETE row trigger appending (table, op, key, md5 of
 * the row image) to an audit table in the same transaction. Replaying a batch that was already
 * committed would append the same row image for the same key again. The check groups INSERT and
 * UPDATE effects by (table, key, md5) without the op, which is stricter than with it: a replayed
 * insert shows up as an UPDATE of the same image (ON CONFLICT DO UPDATE). The generated tables are
 * chosen so that a legitimate run never writes one image twice: `measurements` (updated_at
 * changes on every update), `toasty` (revision changes on every update) and `wide` (49 columns
 * that may change); keys are never reused. The control shows the check can fail: replaying the
 * topic at-least-once into the same audited target does write images twice.
 *
 * Sizes: SLUICE_E2E_EOS_EVENTS (default 40,000), SLUICE_E2E_EOS_KILLS (default 3),
 * SLUICE_E2E_EOS_SEED.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { auditedDuplicates, installRowAudit } from '../../chaos/lib/row-audit.ts';
import { createWorkload, Prng, produceWorkload, verifyPostgres, type Workload } from '../../src/loadgen/index.ts';
import { groupProgress, killDuringWrites, postgresSinkSettings, runChildToEnd, startInProcess, type Settings, waitFor, withClient } from '../support/sluice-harness.ts';
import { createUniqueDatabase, kafkaBrokers, startServices, type TestDatabase, uniqueName } from '../support/services.ts';

const EVENTS = Number(process.env.SLUICE_E2E_EOS_EVENTS ?? 40_000);
const KILLS = Number(process.env.SLUICE_E2E_EOS_KILLS ?? 3);
const SEED = Number(process.env.SLUICE_E2E_EOS_SEED ?? 20261127);

describe(`exactly-once: ${EVENTS} events, ${KILLS} SIGKILLs while writing, audited by a row trigger`, () => {
  let database: TestDatabase;
  let workload: Workload;
  let topics: string[];

  before(async () => {
    await startServices();
    database = await createUniqueDatabase('sluice_eos');
    workload = createWorkload({
      seed: SEED,
      tables: ['measurements', 'toasty', 'wide'],
      events: EVENTS,
      partitions: 4,
      topicPrefix: uniqueName('eos'),
      mix: { insert: 0.35, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 },
    });
    await withClient(database.url, (client) => installRowAudit(client, workload));
    await produceWorkload(workload, { brokers: kafkaBrokers() });
    topics = workload.topics().map((spec) => spec.topic);
  });

  after(async () => {
    await database?.drop();
  });

  test('after SIGKILLs and restarts: target equals the expected state and no row effect was applied twice', async (t) => {
    const group = uniqueName('eos-group');
    const settings: Settings = postgresSinkSettings({
      topics,
      databaseUrl: database.url,
      group,
      extra: {
        SLUICE_DELIVERY: 'exactly-once',
        SLUICE_SESSION_TIMEOUT_MS: '6000',
        SLUICE_HEARTBEAT_INTERVAL_MS: '1000',
        SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'warn',
      },
    });
    const rng = new Prng(`eos-kills:${SEED}`);
    const shares = Array.from({ length: KILLS }, (_, index) => (index === 0 ? 0 : (index + rng.float() * 0.8) / (KILLS + 1)));
    const kills = await killDuringWrites({ settings, topics, database, thresholds: shares });
    for (const kill of kills) t.diagnostic(`SIGKILL with ${kill.committedAtKill}/${kill.end} records committed (waited for ${kill.threshold}), write in progress: ${kill.writeInProgress}`);
    assert.ok(kills.every((kill) => kill.writeInProgress && kill.committedAtKill < kill.end), 'every kill happened during a write, before the end');

    await runChildToEnd({ settings, topics });
    const report = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
    assert.ok(report.equal, `target differs from the expected state (${report.missing} missing, ${report.extra} extra, ${report.different} different rows): ${JSON.stringify(report.samples.slice(0, 3), null, 2)}`);
    const audit = await withClient(database.url, (client) => auditedDuplicates(client));
    t.diagnostic(`${audit.effects} audited row effects, ${audit.duplicateImages} written twice`);
    assert.ok(audit.effects > 0, 'the audit trigger recorded the writes');
    assert.equal(audit.duplicateImages, 0, `row effects applied more than once: ${JSON.stringify(audit.samples)}`);
  });

  test('control: replaying the topic at-least-once into the same audited target writes row images twice', async (t) => {
    const group = uniqueName('eos-control');
    const service = await startInProcess(postgresSinkSettings({ topics, databaseUrl: database.url, group }));
    let stoppedEarly: Error | null | undefined;
    void service.finished.then((error) => {
      stoppedEarly = error;
    });
    try {
      let progress = await groupProgress(group, topics);
      await waitFor(
        async () => {
          if (stoppedEarly !== undefined) throw new Error(`the service stopped before the end: ${stoppedEarly?.message ?? 'cleanly'}`);
          progress = await groupProgress(group, topics);
          return progress.committed === progress.end;
        },
        { timeoutMs: 240_000, intervalMs: 500, describe: () => `committed ${progress.committed}/${progress.end}` },
      );
    } finally {
      await service.stop();
    }
    assert.equal(await service.finished, null, 'the service stopped cleanly');
    const audit = await withClient(database.url, (client) => auditedDuplicates(client));
    t.diagnostic(`at-least-once replay: ${audit.duplicateImages} row images written twice`);
    assert.ok(audit.duplicateImages > 0, 'the duplicate check detects a replay');
    const report = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
    assert.ok(report.equal, 'the replay left the target state equal (idempotent rows, duplicated effects)');
  });
});
