/**
 * End to end through the real Kafka broker into the real OpenSearch 2.19 with the whole sluice
 * service (SLUICE_DESTINATION=elasticsearch, opensearch flavour): generated Debezium events
 * (inserts, updates, deletes, key changes, TOAST placeholders) over 4 partitions must leave every
 * index equal to the generator's expected final state, document by document; replaying the whole
 * topic must rewrite nothing; and delivering the newer half of a topic before the older half
 * (an older offset replayed after newer writes) must not regress any document.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Row } from '../../../src/cdc/types.ts';
import { canonicalKey, canonicalValueText, createWorkload, produceWorkload, tableSchemaOf, type Workload } from '../../../src/loadgen/index.ts';
import { indexName } from '../../../connectors/elasticsearch/naming.ts';
import { readDocuments } from '../../conformance/elasticsearch-harness.ts';
import { type Settings, sinkUntilCommitted } from '../../support/sluice-harness.ts';
import { kafkaBrokers, startServices, testKafka, uniqueName } from '../../support/services.ts';
import { type SearchServer, startSearchServer } from './search-server.ts';

const EVENTS = Number(process.env.SLUICE_E2E_EVENTS ?? 20_000);

let server: SearchServer;

function sinkSettings(topics: readonly string[], group: string, indexPrefix: string): Settings {
  return {
    SLUICE_DESTINATION: 'elasticsearch',
    SLUICE_KAFKA_BROKERS: kafkaBrokers().join(','),
    SLUICE_TOPICS: topics.join(','),
    SLUICE_GROUP_ID: group,
    SLUICE_DLQ_TOPIC: `${group}.dlq`,
    SLUICE_FROM_BEGINNING: 'true',
    SLUICE_HTTP_PORT: '0',
    SLUICE_COMMIT_INTERVAL_MS: '200',
    SLUICE_LAG_SAMPLE_INTERVAL_MS: '1000',
    SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent',
    SLUICE_ES_FLAVOUR: 'opensearch',
    SLUICE_ES_NODES: server.writerUrl,
    SLUICE_ES_INDEX_PREFIX: indexPrefix,
    SLUICE_ES_INDEX_REPLICAS: '0',
  };
}

/** Runs the service until `group` has committed every record of `topics`. */
async function sinkAll(topics: readonly string[], group: string, indexPrefix: string): Promise<void> {
  await sinkUntilCommitted(sinkSettings(topics, group, indexPrefix), topics, { timeoutMs: 240_000 });
}

interface Comparison {
  readonly equal: boolean;
  readonly differences: string[];
}

/** Every index against the workload's expected state, by canonical key and canonical value text. */
async function compareWithExpected(workload: Workload, indexPrefix: string): Promise<Comparison> {
  const expected = workload.expectedState();
  const differences: string[] = [];
  for (const definition of workload.tableDefinitions()) {
    const schema = tableSchemaOf(definition);
    const index = indexName(indexPrefix, { namespace: definition.schema, name: definition.name });
    const documents = new Map((await readDocuments(server.adminUrl, index, schema)).map((row) => [canonicalKey(definition, row), row]));
    const rows = expected.get(definition.name) ?? new Map<string, Row>();
    for (const [key, row] of rows) {
      const document = documents.get(key);
      if (document === undefined) {
        differences.push(`${definition.name} ${key}: missing`);
        continue;
      }
      for (const column of schema.columns) {
        const want = canonicalValueText(column.type, row.get(column.name) ?? null);
        const got = canonicalValueText(column.type, document.get(column.name) ?? null);
        if (want !== got) differences.push(`${definition.name} ${key}.${column.name}: expected ${want?.slice(0, 80)}, got ${got?.slice(0, 80)}`);
      }
    }
    for (const key of documents.keys()) if (!rows.has(key)) differences.push(`${definition.name} ${key}: extra document`);
  }
  return { equal: differences.length === 0, differences: differences.slice(0, 20) };
}

/** _id → [_version, _seq_no] of every document of the run's indices. */
async function versionsOf(indexPrefix: string): Promise<Map<string, string>> {
  await fetch(`${server.adminUrl}/${indexPrefix}*/_refresh`, { method: 'POST' });
  const answer = await fetch(`${server.adminUrl}/${indexPrefix}*/_search?size=10000&version=true&seq_no_primary_term=true&_source=false`);
  const body = (await answer.json()) as { hits: { hits: { _index: string; _id: string; _version: number; _seq_no: number }[] } };
  return new Map(body.hits.hits.map((hit) => [`${hit._index}/${hit._id}`, `${hit._version}/${hit._seq_no}`]));
}

describe(`pipeline end to end: ${EVENTS} events, 4 partitions, 3 tables → OpenSearch 2.19`, () => {
  const indexPrefix = `sluice-e2e-${randomBytes(4).toString('hex')}-`;
  let workload: Workload;
  let topics: string[];

  before(async () => {
    await startServices();
    server = await startSearchServer('opensearch');
    workload = createWorkload({
      seed: 20261125,
      tables: ['measurements', 'toasty', 'composite'],
      events: EVENTS,
      partitions: 4,
      topicPrefix: uniqueName('es-e2e'),
      mix: { insert: 0.35, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 },
    });
    await produceWorkload(workload, { brokers: kafkaBrokers() });
    topics = workload.topics().map((spec) => spec.topic);
  });

  after(async () => {
    await fetch(`${server.adminUrl}/${indexPrefix}*`, { method: 'DELETE' });
  });

  test('every index equals the expected final state, document by document', async () => {
    await sinkAll(topics, uniqueName('es-e2e-group'), indexPrefix);
    const comparison = await compareWithExpected(workload, indexPrefix);
    assert.ok(comparison.equal, `indices differ from the expected state:\n${comparison.differences.join('\n')}`);
    const stats = workload.stats();
    assert.ok(stats.tombstones > 0 && stats.toastPlaceholders > 0 && stats.keyChanges > 0, `the workload exercised deletes, TOAST and key changes: ${JSON.stringify(stats)}`);
  });

  test('replaying the whole topic rewrites no document', async () => {
    const before = await versionsOf(indexPrefix);
    await sinkAll(topics, uniqueName('es-e2e-replay'), indexPrefix);
    assert.deepEqual(await versionsOf(indexPrefix), before, 'every _version and _seq_no is unchanged');
    const comparison = await compareWithExpected(workload, indexPrefix);
    assert.ok(comparison.equal, `replay changed the indices:\n${comparison.differences.join('\n')}`);
  });
});

describe('pipeline end to end: the newer half of a topic delivered before the older half → OpenSearch 2.19', () => {
  const indexPrefix = `sluice-e2e-ooo-${randomBytes(4).toString('hex')}-`;

  after(async () => {
    await fetch(`${server.adminUrl}/${indexPrefix}*`, { method: 'DELETE' });
  });

  test('older events applied after newer ones never regress a document', async () => {
    await startServices();
    server = await startSearchServer('opensearch');
    // No TOAST table here: a placeholder that arrives before the row it refers to can only be
    // filled from what is stored, in any destination; the in-order test above covers TOAST.
    const workload = createWorkload({
      seed: 7,
      tables: ['measurements', 'composite'],
      events: Math.min(EVENTS, 8_000),
      partitions: 4,
      topicPrefix: uniqueName('es-e2e-ooo'),
      mix: { insert: 0.35, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 },
    });
    await produceWorkload(workload, { brokers: kafkaBrokers() });
    const topics = workload.topics().map((spec) => spec.topic);

    // A group that starts at the middle of every partition sinks the newer half first ...
    const newerFirst = uniqueName('es-e2e-newer');
    const admin = testKafka('sluice-test-es-offsets').admin();
    await admin.connect();
    try {
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        await admin.setOffsets({
          groupId: newerFirst,
          topic,
          partitions: ends.map((end) => ({ partition: end.partition, offset: String(Math.floor(Number(end.high) / 2)) })),
        });
      }
    } finally {
      await admin.disconnect();
    }
    await sinkAll(topics, newerFirst, indexPrefix);
    // ... then a group from the beginning delivers the older half (and the newer half again).
    await sinkAll(topics, uniqueName('es-e2e-older'), indexPrefix);
    const comparison = await compareWithExpected(workload, indexPrefix);
    assert.ok(comparison.equal, `documents regressed:\n${comparison.differences.join('\n')}`);
  });
});
