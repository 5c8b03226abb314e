/**
 * TRUNCATE in the stream. Debezium sends a truncate without a key, so on a topic with several
 * partitions it lands on one of them and nothing orders it against the others except the
 * source LSN; the pipeline orders it by LSN only against changes it has not written yet (see
 * pipeline.ts). On single-partition topics, Kafka's order is the source order and the final
 * state is exact: this test uses those, with truncates among inserts, updates, deletes and key
 * changes, and checks the target equals the expected state, at-least-once and exactly-once.
 *
 * Sizes: SLUICE_E2E_TRUNCATE_EVENTS (default 30,000), SLUICE_E2E_TRUNCATE_SEED.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createWorkload, produceWorkload, verifyPostgres, type Workload } from '../../src/loadgen/index.ts';
import { groupProgress, postgresSinkSettings, startInProcess, waitFor, withClient } from '../support/sluice-harness.ts';
import { createUniqueDatabase, kafkaBrokers, startServices, type TestDatabase, uniqueName } from '../support/services.ts';

const EVENTS = Number(process.env.SLUICE_E2E_TRUNCATE_EVENTS ?? 30_000);
const SEED = Number(process.env.SLUICE_E2E_TRUNCATE_SEED ?? 20261129);

describe(`truncates on single-partition topics: ${EVENTS} events, 3 tables`, () => {
  const databases: TestDatabase[] = [];
  let workload: Workload;
  let topics: string[];

  before(async () => {
    await startServices();
    workload = createWorkload({
      seed: SEED,
      tables: [
        { shape: 'measurements', partitions: 1 },
        { shape: 'toasty', partitions: 1 },
        { shape: 'composite', partitions: 1 },
      ],
      events: EVENTS,
      topicPrefix: uniqueName('truncate'),
      mix: { insert: 0.4, update: 0.4, delete: 0.1, keyChange: 0.05, truncate: 0.0006 },
    });
    await produceWorkload(workload, { brokers: kafkaBrokers() });
    topics = workload.topics().map((spec) => spec.topic);
  });

  after(async () => {
    for (const database of databases) await database.drop();
  });

  async function sinkInto(delivery: 'at-least-once' | 'exactly-once'): Promise<TestDatabase> {
    const database = await createUniqueDatabase('sluice_truncate');
    databases.push(database);
    const group = uniqueName('truncate-group');
    const service = await startInProcess(postgresSinkSettings({ topics, databaseUrl: database.url, group, extra: { SLUICE_DELIVERY: delivery } }));
    let stoppedEarly: Error | null | undefined;
    void service.finished.then((error) => {
      stoppedEarly = error;
    });
    let progress = await groupProgress(group, topics);
    try {
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
    return database;
  }

  for (const delivery of ['at-least-once', 'exactly-once'] as const) {
    test(`${delivery}: the target equals the expected final state`, async (t) => {
      const database = await sinkInto(delivery);
      const report = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
      assert.ok(report.equal, `target differs (${report.missing} missing, ${report.extra} extra, ${report.different} different): ${JSON.stringify(report.samples.slice(0, 3), null, 2)}`);
      const stats = workload.stats();
      t.diagnostic(`${stats.truncates} truncates among ${stats.changeEvents} change events; ${report.tables.map((table) => `${table.table}: ${table.actualRows} rows`).join(', ')}`);
      assert.ok(stats.truncates >= 3, `the workload truncates: ${JSON.stringify(stats)}`);
      assert.ok(report.tables.some((table) => table.expectedRows > 0), 'rows written after the last truncate remain');
    });
  }
});
