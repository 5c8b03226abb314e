/**
 * End to end through the real broker into the real PostgreSQL: generated Debezium events over
 * 4 partitions and 3 tables (inserts, updates, deletes, key changes, TOAST placeholders) must
 * leave the target equal to the generator's expected final state, compared row by row; and
 * replaying the whole topic into the same target must change nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createWorkload, produceWorkload, verifyPostgres, type Workload } from '../../src/loadgen/index.ts';
import { postgresSinkSettings, sinkUntilCommitted, withClient } from '../support/sluice-harness.ts';
import { createUniqueDatabase, kafkaBrokers, startServices, type TestDatabase, uniqueName } from '../support/services.ts';

const EVENTS = Number(process.env.SLUICE_E2E_EVENTS ?? 100_000);

describe(`pipeline end to end: ${EVENTS} events, 4 partitions, 3 tables → PostgreSQL`, () => {
  let database: TestDatabase;
  let workload: Workload;
  let topics: string[];

  before(async () => {
    await startServices();
    database = await createUniqueDatabase('sluice_e2e');
    workload = createWorkload({
      seed: 20261125,
      tables: ['measurements', 'toasty', 'composite'],
      events: EVENTS,
      partitions: 4,
      topicPrefix: uniqueName('e2e'),
      mix: { insert: 0.35, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 },
    });
    await produceWorkload(workload, { brokers: kafkaBrokers() });
    topics = workload.topics().map((spec) => spec.topic);
  });

  after(async () => {
    await database?.drop();
  });

  async function sinkAll(group: string): Promise<void> {
    await sinkUntilCommitted(postgresSinkSettings({ topics, databaseUrl: database.url, group }), topics, { timeoutMs: 240_000 });
  }


  test('the target equals the expected final state, row by row', async () => {
    await sinkAll(uniqueName('e2e-group'));
    const report = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
    assert.ok(report.equal, `target differs from the expected state: ${JSON.stringify(report.samples, null, 2)}`);
    const stats = workload.stats();
    assert.ok(stats.tombstones > 0 && stats.toastPlaceholders > 0 && stats.keyChanges > 0, `the workload exercised tombstones, TOAST and key changes: ${JSON.stringify(stats)}`);
  });

  test('replaying the whole topic into the same target changes nothing', async () => {
    const before = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
    await sinkAll(uniqueName('e2e-replay'));
    const report = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
    assert.ok(before.equal && report.equal, `replay changed the target: ${JSON.stringify(report.samples, null, 2)}`);
  });
});
