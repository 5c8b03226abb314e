/**
 * End to end through the real Kafka broker into the Snowflake emulator (fakesnow behind the
 * Node-driver shim) with the whole sluice service (SLUICE_DESTINATION=snowflake): generated
 * Debezium events (inserts, updates, deletes, key changes, TOAST placeholders) over 4 partitions
 * must leave every table equal to the generator's expected final state, row by row; replaying
 * the whole topic must leave the same state. Needs `scripts/services.sh up kafka fakesnow`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Row } from '../../../src/cdc/types.ts';
import { canonicalKey, canonicalValueText, createWorkload, produceWorkload, tableSchemaOf, type Workload } from '../../../src/loadgen/index.ts';
import type { SessionPool } from '../../../connectors/snowflake/session-pool.ts';
import { readSnowflakeTable } from '../../conformance/snowflake-harness.ts';
import { type Settings, sinkUntilCommitted } from '../../support/sluice-harness.ts';
import { kafkaBrokers, startServices, uniqueName } from '../../support/services.ts';
import { fakesnowEnv, requireFakesnow, testSessions, uniqueDatabase } from './fakesnow-service.ts';

const EVENTS = Number(process.env.SLUICE_E2E_EVENTS ?? 6_000);

function sinkSettings(topics: readonly string[], group: string, database: string): Settings {
  return {
    SLUICE_DESTINATION: 'snowflake',
    SLUICE_KAFKA_BROKERS: kafkaBrokers().join(','),
    SLUICE_TOPICS: topics.join(','),
    SLUICE_GROUP_ID: group,
    SLUICE_DLQ_TOPIC: `${group}.dlq`,
    SLUICE_FROM_BEGINNING: 'true',
    SLUICE_HTTP_PORT: '0',
    SLUICE_COMMIT_INTERVAL_MS: '200',
    SLUICE_LAG_SAMPLE_INTERVAL_MS: '1000',
    SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent',
    // Tables go to SLUICE_SNOWFLAKE_SCHEMA ("PUBLIC"): with the default rule they would go to the
    // source schema "public", which Snowflake keeps apart from "PUBLIC" but the emulator (DuckDB,
    // case-insensitive names) takes for the same schema.
    SLUICE_TABLE_NAMING: 'table',
    ...fakesnowEnv(database),
  };
}

/** Runs the service until `group` has committed every record of `topics`. */
async function sinkAll(topics: readonly string[], group: string, database: string): Promise<void> {
  await sinkUntilCommitted(sinkSettings(topics, group, database), topics, { timeoutMs: 300_000 });
}

/** Every table against the workload's expected state, by canonical key and canonical value text. */
async function differencesFromExpected(workload: Workload, sessions: SessionPool, database: string): Promise<string[]> {
  const expected = workload.expectedState();
  const differences: string[] = [];
  for (const definition of workload.tableDefinitions()) {
    const schema = tableSchemaOf(definition);
    const stored = await readSnowflakeTable(sessions, database, { namespace: null, name: definition.name }, schema);
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

describe(`pipeline end to end: ${EVENTS} events, 4 partitions, 3 tables → Snowflake emulator (fakesnow)`, () => {
  const database = uniqueDatabase('SLUICE_E2E');
  let workload: Workload;
  let topics: string[];
  let sessions: SessionPool;

  before(async () => {
    await startServices();
    await requireFakesnow();
    sessions = testSessions(database);
    workload = createWorkload({
      seed: 20261125,
      tables: ['measurements', 'toasty', 'composite'],
      events: EVENTS,
      partitions: 4,
      topicPrefix: uniqueName('sf-e2e'),
      mix: { insert: 0.35, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 },
    });
    await produceWorkload(workload, { brokers: kafkaBrokers() });
    topics = workload.topics().map((spec) => spec.topic);
  });

  after(async () => {
    await sessions?.close();
  });

  test('every table equals the expected final state, row by row', async () => {
    await sinkAll(topics, uniqueName('sf-e2e-group'), database);
    const differences = await differencesFromExpected(workload, sessions, database);
    assert.deepEqual(differences.slice(0, 20), [], 'tables differ from the expected state');
    const stats = workload.stats();
    assert.ok(stats.tombstones > 0 && stats.toastPlaceholders > 0 && stats.keyChanges > 0, `the workload exercised deletes, TOAST and key changes: ${JSON.stringify(stats)}`);
  });

  test('replaying the whole topic leaves the same state', async () => {
    await sinkAll(topics, uniqueName('sf-e2e-replay'), database);
    const differences = await differencesFromExpected(workload, sessions, database);
    assert.deepEqual(differences.slice(0, 20), [], 'replay changed the tables');
  });
});
