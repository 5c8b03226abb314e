/**
 * End to end through the real Kafka broker into the BigQuery emulator (goccy/bigquery-emulator)
 * with the whole sluice service (SLUICE_DESTINATION=bigquery): generated Debezium events
 * (inserts, updates, deletes, key changes, TOAST placeholders) over 4 partitions must leave every
 * table equal to the generator's expected final state, row by row; replaying the whole topic must
 * leave the same state. Needs `scripts/services.sh up kafka bigquery`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BigQuery } from '@google-cloud/bigquery';
import type { Row } from '../../../src/cdc/types.ts';
import { canonicalKey, canonicalValueText, createWorkload, produceWorkload, tableSchemaOf, type Workload } from '../../../src/loadgen/index.ts';
import { tableName } from '../../../connectors/bigquery/statements.ts';
import { readBigQueryTable } from '../../conformance/bigquery-harness.ts';
import { type Settings, sinkUntilCommitted } from '../../support/sluice-harness.ts';
import { kafkaBrokers, startServices, uniqueName } from '../../support/services.ts';
import { EMULATOR_PROJECT, createDataset, dropDataset, emulatorClient, emulatorEnv, requireEmulator, uniqueDataset } from './emulator-service.ts';

const EVENTS = Number(process.env.SLUICE_E2E_EVENTS ?? 2_500);

function sinkSettings(topics: readonly string[], group: string, dataset: string): Settings {
  return {
    SLUICE_DESTINATION: 'bigquery',
    SLUICE_KAFKA_BROKERS: kafkaBrokers().join(','),
    SLUICE_TOPICS: topics.join(','),
    SLUICE_GROUP_ID: group,
    SLUICE_DLQ_TOPIC: `${group}.dlq`,
    SLUICE_FROM_BEGINNING: 'true',
    SLUICE_HTTP_PORT: '0',
    SLUICE_COMMIT_INTERVAL_MS: '200',
    SLUICE_LAG_SAMPLE_INTERVAL_MS: '1000',
    SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent',
    // Source schemas become table-name prefixes inside the test's own dataset.
    ...emulatorEnv(dataset, { SLUICE_BIGQUERY_NAMESPACES: 'prefix' }),
  };
}

/** Runs the service until `group` has committed every record of `topics`. */
async function sinkAll(topics: readonly string[], group: string, dataset: string): Promise<void> {
  await sinkUntilCommitted(sinkSettings(topics, group, dataset), topics, { timeoutMs: 420_000 });
}

/** Every table against the workload's expected state, by canonical key and canonical value text. */
async function differencesFromExpected(workload: Workload, client: BigQuery, dataset: string): Promise<string[]> {
  const expected = workload.expectedState();
  const differences: string[] = [];
  for (const definition of workload.tableDefinitions()) {
    const schema = tableSchemaOf(definition);
    const ref = { project: EMULATOR_PROJECT, dataset, table: tableName(`${definition.schema}_${definition.name}`) };
    const stored = await readBigQueryTable(client, ref, schema);
    const rows = new Map(stored.map((row) => [canonicalKey(definition, row), row]));
    const wanted = expected.get(definition.name) ?? new Map<string, Row>();
    for (const [key, row] of wanted) {
      const got = rows.get(key);
      if (got === undefined) {
        differences.push(`${definition.name} ${key}: missing`);
        continue;
      }
      for (const column of schema.columns) {
        const want = canonicalValueText(column.type, row.get(column.name) ?? null);
        const have = canonicalValueText(column.type, got.get(column.name) ?? null);
        if (want !== have) differences.push(`${definition.name} ${key}.${column.name}: expected ${want?.slice(0, 80)}, got ${have?.slice(0, 80)}`);
      }
    }
    for (const key of rows.keys()) if (!wanted.has(key)) differences.push(`${definition.name} ${key}: extra row`);
  }
  return differences;
}

describe(`pipeline end to end: ${EVENTS} events, 4 partitions, 3 tables → BigQuery emulator (goccy/bigquery-emulator)`, () => {
  const dataset = uniqueDataset('sluice_e2e');
  let workload: Workload;
  let topics: string[];
  let client: BigQuery;

  before(async () => {
    await startServices();
    await requireEmulator();
    client = await emulatorClient();
    await createDataset(client, dataset);
    workload = createWorkload({
      seed: 20261125,
      tables: ['measurements', 'toasty', 'composite'],
      events: EVENTS,
      partitions: 4,
      topicPrefix: uniqueName('bq-e2e'),
      mix: { insert: 0.35, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 },
    });
    await produceWorkload(workload, { brokers: kafkaBrokers() });
    topics = workload.topics().map((spec) => spec.topic);
  });

  after(async () => {
    if (client !== undefined) await dropDataset(client, dataset);
  });

  test('every table equals the expected final state, row by row', async () => {
    await sinkAll(topics, uniqueName('bq-e2e-group'), dataset);
    const differences = await differencesFromExpected(workload, client, dataset);
    assert.deepEqual(differences.slice(0, 20), [], 'tables differ from the expected state');
    const stats = workload.stats();
    assert.ok(stats.tombstones > 0 && stats.toastPlaceholders > 0 && stats.keyChanges > 0, `the workload exercised deletes, TOAST and key changes: ${JSON.stringify(stats)}`);
  });

  test('replaying the whole topic leaves the same state', async () => {
    await sinkAll(topics, uniqueName('bq-e2e-replay'), dataset);
    const differences = await differencesFromExpected(workload, client, dataset);
    assert.deepEqual(differences.slice(0, 20), [], 'replay changed the tables');
  });
});
