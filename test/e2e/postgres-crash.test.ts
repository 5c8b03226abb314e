/**
 * Crash safety (at-least-once, the default): `sluice run` is SIGKILLed several times while it is
 * writing (at seeded shares of the topic's records, each time with a write transaction open on
 * the target), restarted each time, and finally allowed to finish. Nothing may be lost: the
 * target must equal the generator's expected final state, row by row.
 *
 * Sizes: SLUICE_E2E_CRASH_EVENTS (default 60,000 change events), SLUICE_E2E_CRASH_KILLS
 * (default 3); SLUICE_E2E_CRASH_SEED picks the workload and the kill points.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createWorkload, Prng, produceWorkload, verifyPostgres, type Workload } from '../../src/loadgen/index.ts';
import { killDuringWrites, postgresSinkSettings, runChildToEnd, type Settings, withClient } from '../support/sluice-harness.ts';
import { createUniqueDatabase, kafkaBrokers, startServices, type TestDatabase, uniqueName } from '../support/services.ts';

const EVENTS = Number(process.env.SLUICE_E2E_CRASH_EVENTS ?? 60_000);
const KILLS = Number(process.env.SLUICE_E2E_CRASH_KILLS ?? 3);
const SEED = Number(process.env.SLUICE_E2E_CRASH_SEED ?? 20261126);

/**
 * Kill points as shares of the records: the first kill comes at the first write (possibly
 * before anything was committed), the others spread over the run, each at a seeded place in
 * its own slice so the run cannot finish between two of them.
 */
function killShares(seed: number, kills: number): number[] {
  const rng = new Prng(`kills:${seed}`);
  return Array.from({ length: kills }, (_, index) => (index === 0 ? 0 : (index + rng.float() * 0.8) / (kills + 1)));
}

describe(`kill -9 mid-run: ${EVENTS} events, ${KILLS} SIGKILLs while writing, at-least-once`, () => {
  let database: TestDatabase;
  let workload: Workload;
  let topics: string[];

  before(async () => {
    await startServices();
    database = await createUniqueDatabase('sluice_crash');
    workload = createWorkload({
      seed: SEED,
      tables: ['measurements', 'toasty', 'composite'],
      events: EVENTS,
      partitions: 4,
      topicPrefix: uniqueName('crash'),
      mix: { insert: 0.35, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 },
    });
    await produceWorkload(workload, { brokers: kafkaBrokers() });
    topics = workload.topics().map((spec) => spec.topic);
  });

  after(async () => {
    await database?.drop();
  });

  test('after every restart the target equals the expected final state: nothing lost', async (t) => {
    const group = uniqueName('crash-group');
    const settings: Settings = postgresSinkSettings({
      topics,
      databaseUrl: database.url,
      group,
      extra: {
        // A killed member must leave the group quickly for the restarted one to get its partitions.
        SLUICE_SESSION_TIMEOUT_MS: '6000',
        SLUICE_HEARTBEAT_INTERVAL_MS: '1000',
        SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'warn',
      },
    });
    const kills = await killDuringWrites({ settings, topics, database, thresholds: killShares(SEED, KILLS) });
    for (const kill of kills) t.diagnostic(`SIGKILL with ${kill.committedAtKill}/${kill.end} records committed (waited for ${kill.threshold}), write in progress: ${kill.writeInProgress}`);
    assert.equal(kills.length, KILLS);
    assert.ok(kills.every((kill) => kill.writeInProgress && kill.committedAtKill < kill.end), 'every kill happened during a write, before the end');

    await runChildToEnd({ settings, topics });
    const report = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
    assert.ok(report.equal, `target differs from the expected state after ${KILLS} crashes: ${JSON.stringify(report.samples, null, 2)}`);
    const stats = workload.stats();
    assert.ok(stats.tombstones > 0 && stats.toastPlaceholders > 0 && stats.keyChanges > 0, `the workload exercised tombstones, TOAST and key changes: ${JSON.stringify(stats)}`);
  });
});
