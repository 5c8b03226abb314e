/**
 * The real CDC source end to end: PostgreSQL → Debezium PostgreSQL connector 3.6.1 (pgoutput,
 * JsonConverter with schemas) in Kafka Connect 4.3.1 standalone → Kafka → sluice → a target
 * PostgreSQL database, compared row by row and column by column with the source.
 *
 * The workload (source-workload.ts, seeded) covers an initial snapshot (op = r), inserts, updates,
 * deletes, primary-key changes on a single and a composite key, unchanged TOAST values of ten
 * types, ALTER TABLE ADD COLUMN mid-stream and a TRUNCATE. During it sluice is SIGKILLed and
 * started again, and Kafka Connect is stopped and started again (the connector resumes from its
 * stored offsets and its replication slot).
 *
 * Fails when the target differs from the source (a value, a missing row, a row the source deleted),
 * or when a TOAST placeholder was ever written into a target row (placeholder-audit.ts).
 *
 * Needs the `kafka`, `postgres` and `connect` services; starts `connect` through
 * scripts/services.sh when it is not running (and stops it again afterwards).
 * SLUICE_DEBEZIUM_SEED chooses the workload (default below; printed).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { RunningService } from '../../../src/service.ts';
import { createTopicsOf, groupProgress, postgresSinkSettings, readTopic, type SluiceProcess, type Settings, startChild, startInProcess, topicRecordCount, waitFor } from '../../support/sluice-harness.ts';
import { createUniqueDatabase, startServices, type TestDatabase, testKafka, uniqueName } from '../../support/services.ts';
import { compareOpenSearch, deleteIndices, searchServerAnswers } from './compare-opensearch.ts';
import { compareDatabases, describeDifferences } from './compare-postgres.ts';
import { debeziumPostgresConfig, dropLeftoverSlots, RUN_PREFIX, removeConnector, transactionsDelayingSlotCreation } from './debezium-connector.ts';
import { awaitConnectorRunning, connectLogPath, createConnector, ensureConnect, restartConnect, stopConnect } from './kafka-connect.ts';
import { auditedTables, checkPlaceholderAudit, installPlaceholderAudit, placeholderSightings } from './placeholder-audit.ts';
import { SINGLE_PARTITION_TABLES, SOURCE_TABLES, SourceWorkload } from './source-workload.ts';

const SEED = Number(process.env.SLUICE_DEBEZIUM_SEED ?? 20261125);
const SNAPSHOT_ROWS: Readonly<Record<(typeof SOURCE_TABLES)[number], number>> = { all_types: 30, documents: 12, order_lines: 60, evolving: 20, truncated: 20, sync_marker: 1 };

function log(message: string): void {
  process.stdout.write(`# [debezium e2e] ${message}\n`);
}

describe('Debezium PostgreSQL connector → Kafka → sluice → PostgreSQL', { timeout: 420_000 }, () => {
  const name = uniqueName(RUN_PREFIX);
  const topicOf = (table: string): string => `${name}.public.${table}`;
  const topics = SOURCE_TABLES.map(topicOf);
  const group = `${name}_group`;
  const dlqTopic = `${group}.dlq`;
  const searchGroup = `${name}_os`;
  const searchDlqTopic = `${searchGroup}.dlq`;
  const searchNode = process.env.SLUICE_TEST_OPENSEARCH_URL ?? 'http://127.0.0.1:9200';
  const indexOf = (table: string): string => `${name}-public.${table}`;
  /** Tables whose columns all have a JSON form PostgreSQL reads back (see compare-opensearch.ts). */
  const searchTables = ['order_lines', 'evolving', 'truncated', 'sync_marker'];
  let startedConnect = false;
  let source: TestDatabase | undefined;
  let target: TestDatabase | undefined;
  let sourceClient: pg.Client | undefined;
  let targetClient: pg.Client | undefined;
  let workload: SourceWorkload;
  let service: RunningService | undefined;
  let child: SluiceProcess | undefined;
  let connectorCreated = false;

  before(async () => {
    await startServices();
    startedConnect = await ensureConnect();
    const leftovers = await dropLeftoverSlots();
    if (leftovers.length > 0) log(`dropped replication slots left over by earlier runs: ${leftovers.join(', ')}`);
    source = await createUniqueDatabase(`${RUN_PREFIX}_src`);
    target = await createUniqueDatabase(`${RUN_PREFIX}_dst`);
    sourceClient = new pg.Client({ connectionString: source.url });
    targetClient = new pg.Client({ connectionString: target.url });
    await sourceClient.connect();
    await targetClient.connect();
    await installPlaceholderAudit(targetClient);
    await checkPlaceholderAudit(targetClient, 'public');
    workload = new SourceWorkload(sourceClient, SEED);
    // The broker does not auto-create topics: sluice's dead-letter topic must exist up front.
    await createTopicsOf([
      { topic: dlqTopic, partitions: 1 },
      { topic: searchDlqTopic, partitions: 1 },
    ]);
    await workload.createTables();
    await workload.snapshotRows();
    log(`seed ${SEED}; connector, topic prefix, slot and publication ${name}; source ${source.name}, target ${target.name}`);
  });

  after(async () => {
    await child?.kill('SIGKILL');
    await service?.stop().catch(() => undefined);
    if (connectorCreated) await removeConnector(name, source?.name ?? null).catch((error: unknown) => log(`connector clean-up failed: ${String(error)}`));
    await sourceClient?.end().catch(() => undefined);
    await targetClient?.end().catch(() => undefined);
    await source?.drop().catch((error: unknown) => log(`dropping ${source?.name} failed: ${String(error)}`));
    await target?.drop().catch(() => undefined);
    const admin = testKafka('sluice-dbz-cleanup').admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const mine = [...topics, dlqTopic, searchDlqTopic].filter((topic) => existing.has(topic));
      if (mine.length > 0) await admin.deleteTopics({ topics: mine });
    } finally {
      await admin.disconnect();
    }
    if (await searchServerAnswers(searchNode)) await deleteIndices(searchNode, SOURCE_TABLES.map(indexOf)).catch(() => undefined);
    if (startedConnect) await stopConnect();
  });

  function sluiceSettings(): Settings {
    const settings: Settings = {
      ...postgresSinkSettings({ topics: [], databaseUrl: target!.url, group }),
      SLUICE_TOPIC_PATTERN: `^${name}\\.public\\..+`,
      SLUICE_JSON_SCHEMAS: 'embedded',
      // sluice #1 is SIGKILLed: the group waits this long for its dead member before sluice #2 gets the partitions.
      SLUICE_SESSION_TIMEOUT_MS: '6000',
      SLUICE_HEARTBEAT_INTERVAL_MS: '1000',
    };
    delete settings.SLUICE_TOPICS;
    return settings;
  }

  async function startConnector(): Promise<void> {
    await createConnector(name, debeziumPostgresConfig({ name, database: source!.name, singlePartitionTables: SINGLE_PARTITION_TABLES, partitions: 3 }));
    connectorCreated = true;
    // Slot creation (first start) waits for every open write transaction on the shared server.
    await awaitConnectorRunning(name, 180_000, transactionsDelayingSlotCreation);
  }

  /** What sluice dead-lettered, one line per record: code, origin and reason. */
  async function deadLetterLines(): Promise<string[]> {
    return (await readTopic(dlqTopic)).map(
      (record) => `${record.headers['sluice.dlq.code']} ${record.headers['sluice.dlq.topic']}@${record.headers['sluice.dlq.offset']}: ${record.headers['sluice.dlq.reason']}`,
    );
  }

  async function progressText(): Promise<string> {
    const progress = await groupProgress(group, topics).catch(() => null);
    const deadLetters = await deadLetterLines().catch(() => []);
    const text = progress === null ? 'no progress yet' : `committed ${progress.committed} of ${progress.end}`;
    return deadLetters.length === 0 ? text : `${text}; dead-lettered:\n${deadLetters.slice(0, 10).join('\n')}`;
  }

  test('snapshot, streaming changes, sluice and Kafka Connect restarts: the target equals the source', async () => {
    const started = Date.now();
    await startConnector();
    // The snapshot is complete once every table's topic holds its snapshot rows.
    await waitFor(
      async () => {
        for (const table of SOURCE_TABLES) {
          const count = await topicRecordCount(topicOf(table)).catch(() => 0);
          if (count < SNAPSHOT_ROWS[table]) return false;
        }
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 500, describe: () => `snapshot topics not complete (Connect log: ${connectLogPath()})` },
    );
    log(`snapshot in Kafka after ${Date.now() - started} ms`);

    // sluice #1, a child process, is SIGKILLed after it has written part of the stream.
    child = startChild(sluiceSettings());
    await workload.mixedChanges(60);
    await waitFor(async () => (await groupProgress(group, topics)).committed > 0n, {
      timeoutMs: 90_000,
      intervalMs: 250,
      describe: async () => `sluice #1 committed nothing: ${await progressText()}; output: ${child?.output().slice(-3_000)}`,
    });
    log(`SIGKILL sluice #1 at ${await progressText()}`);
    await child.kill('SIGKILL');
    child = undefined;

    // While sluice is down: more changes and a schema change.
    await workload.mixedChanges(30);
    await workload.addColumns([
      ['score', 'numeric(8,2)'],
      ['labels', 'text[]'],
    ]);

    // sluice #2, in this process, runs to the end.
    service = await startInProcess(sluiceSettings());
    await workload.mixedChanges(30);

    // Kafka Connect stops (TERM) and starts again while the source keeps changing; standalone
    // mode forgets connectors, so the test creates it again under the same name: it resumes from
    // its offsets file and its replication slot.
    log('restarting Kafka Connect');
    const restart = (async () => {
      await restartConnect();
      await startConnector();
    })();
    await workload.mixedChanges(40);
    await restart;
    log(`Kafka Connect back after ${Date.now() - started} ms`);

    await workload.addColumns([['seen_at', 'timestamptz']]);
    await workload.truncateAndRefill();
    await workload.mixedChanges(40);
    const marker = await workload.bumpMarker();
    log(`workload done: ${JSON.stringify(workload.counts)}`);

    // Everything arrived once the last transaction's marker is in the target and the group has
    // committed every record Debezium produced; then the comparison must hold.
    await waitFor(
      async () => {
        const row = await targetClient!.query<{ seq: number }>('SELECT seq FROM public.sync_marker WHERE id = 1').catch(() => null);
        return row !== null && row.rows[0]?.seq === marker;
      },
      { timeoutMs: 120_000, intervalMs: 250, describe: async () => `marker ${marker} not in the target: ${await progressText()} (Connect log: ${connectLogPath()})` },
    );
    await waitFor(async () => {
      const progress = await groupProgress(group, topics);
      return progress.committed === progress.end;
    }, { timeoutMs: 60_000, intervalMs: 250, describe: progressText });
    let report = await compareDatabases({ source: sourceClient!, target: targetClient!, schema: 'public', tables: SOURCE_TABLES });
    for (let attempt = 0; !report.equal && attempt < 20; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      report = await compareDatabases({ source: sourceClient!, target: targetClient!, schema: 'public', tables: SOURCE_TABLES });
    }
    log(`compared ${report.tables.map((table) => `${table.table} ${table.sourceRows}/${table.targetRows} rows, ${table.comparedValues} values`).join('; ')}`);
    log(`end to end in ${Date.now() - started} ms`);

    assert.deepEqual(await deadLetterLines(), [], 'no real Debezium event was dead-lettered');
    assert.ok(report.equal, `the target differs from the source (${report.differences.length} differences):\n${describeDifferences(report.differences)}`);
    const sightings = await placeholderSightings(targetClient!);
    assert.deepEqual(sightings, [], 'a TOAST placeholder was written into a target row');
    assert.deepEqual(await auditedTables(targetClient!, 'public'), [...SOURCE_TABLES].sort(), 'every target table carried the placeholder audit trigger');

    const counts = workload.counts;
    const documents = report.tables.find((table) => table.table === 'documents');
    assert.ok((documents?.sourceRows ?? 0) >= 10, `enough large rows remain to compare TOAST columns: ${JSON.stringify(documents)}`);
    assert.ok(counts.toastUpdates > 20 && counts.keyChanges > 5 && counts.deletes > 10 && counts.truncates === 1 && counts.alters === 3, `the workload covered what it claims: ${JSON.stringify(counts)}`);
    // The truncated table's topic shows every operation as Debezium emitted it.
    const ops = new Set<string>();
    for (const record of await readTopic(topicOf('truncated'))) {
      if (record.value === null) ops.add('tombstone');
      else ops.add(String((JSON.parse(record.value.toString('utf8')) as { payload: { op: string } }).payload.op));
    }
    assert.deepEqual([...ops].sort(), ['c', 'd', 'r', 't', 'tombstone', 'u'], 'snapshot reads, creates, updates, deletes with tombstones and a truncate went through');

    await service.stop();
    assert.equal(await service.finished, null, 'sluice stopped cleanly');
    service = undefined;
  });
  test('the same topics into OpenSearch: documents equal the source rows of the main tables', async (t) => {
    if (!(await searchServerAnswers(searchNode))) {
      t.skip(`no OpenSearch at ${searchNode} (scripts/services.sh up opensearch)`);
      return;
    }
    const settings: Settings = {
      SLUICE_DESTINATION: 'elasticsearch',
      SLUICE_ES_FLAVOUR: 'opensearch',
      SLUICE_ES_NODES: searchNode,
      SLUICE_ES_INDEX_PREFIX: `${name}-`,
      SLUICE_KAFKA_BROKERS: sluiceSettings().SLUICE_KAFKA_BROKERS!,
      SLUICE_TOPIC_PATTERN: `^${name}\\.public\\..+`,
      SLUICE_JSON_SCHEMAS: 'embedded',
      SLUICE_GROUP_ID: searchGroup,
      SLUICE_DLQ_TOPIC: searchDlqTopic,
      SLUICE_HTTP_PORT: '0',
      SLUICE_COMMIT_INTERVAL_MS: '200',
      SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent',
    };
    const searchService = await startInProcess(settings);
    try {
      let progress = await groupProgress(searchGroup, topics).catch(() => null);
      await waitFor(
        async () => {
          progress = await groupProgress(searchGroup, topics);
          return progress.committed === progress.end;
        },
        { timeoutMs: 120_000, intervalMs: 250, describe: () => `OpenSearch sink committed ${progress?.committed} of ${progress?.end}` },
      );
    } finally {
      await searchService.stop();
    }
    assert.equal(await searchService.finished, null, 'the OpenSearch sink stopped cleanly');
    const deadLetters = (await readTopic(searchDlqTopic)).map((record) => `${record.headers['sluice.dlq.code']} ${record.headers['sluice.dlq.topic']}@${record.headers['sluice.dlq.offset']}: ${record.headers['sluice.dlq.reason']}`);
    assert.deepEqual(deadLetters, [], 'no real Debezium event was dead-lettered by the OpenSearch sink');
    const report = await compareOpenSearch({ source: sourceClient!, schema: 'public', tables: searchTables, nodeUrl: searchNode, indexOf });
    log(`OpenSearch compared ${report.tables.map((table) => `${table.table} ${table.sourceRows}/${table.targetRows} documents, ${table.comparedValues} values`).join('; ')}`);
    assert.ok(report.equal, `OpenSearch differs from the source (${report.differences.length} differences):\n${describeDifferences(report.differences)}`);
  });
});
