/**
 * The whole service against an index that refuses writes (the article's "cluster under heavy
 * merge / read-only" case), through the real broker: every index of the run is write-blocked
 * (`index.blocks.write`) before the service starts, so each bulk item answers
 * cluster_block_exception. The service must report them as backpressure (es.cluster_block), the
 * controller must declare the sink saturated and pause the partitions, and once the block is
 * lifted everything must be written: the indices equal the generator's expected state and every
 * record's offset is committed. Nothing lost, nothing dead-lettered.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { canonicalKey, canonicalValueText, createWorkload, produceWorkload, tableSchemaOf, type Workload } from '../../../src/loadgen/index.ts';
import type { RunningService } from '../../../src/service.ts';
import { indexName } from '../../../connectors/elasticsearch/naming.ts';
import { readDocuments } from '../../conformance/elasticsearch-harness.ts';
import { groupProgress, startInProcess, waitFor } from '../../support/sluice-harness.ts';
import { kafkaBrokers, startServices, uniqueName } from '../../support/services.ts';
import { type SearchServer, startSearchServer } from './search-server.ts';

async function counterTotal(metric: { get(): Promise<{ values: { value: number; labels: Record<string, string | number | undefined> }[] }> }, labels: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  return values.filter((entry) => Object.entries(labels).every(([name, value]) => entry.labels[name] === value)).reduce((sum, entry) => sum + entry.value, 0);
}

describe('pipeline end to end: a write-blocked index → backpressure, paused partitions, nothing lost', () => {
  const indexPrefix = `sluice-e2e-block-${randomBytes(4).toString('hex')}-`;
  let server: SearchServer;
  let workload: Workload;
  let topics: string[];
  let indices: string[];

  const setBlock = async (blocked: boolean): Promise<void> => {
    for (const index of indices) {
      const answer = await fetch(`${server.adminUrl}/${index}/_settings`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ 'index.blocks.write': blocked }),
      });
      assert.equal(answer.status, 200, await answer.text());
    }
  };

  before(async () => {
    await startServices();
    server = await startSearchServer('opensearch');
    workload = createWorkload({
      seed: 99,
      tables: ['measurements', 'composite'],
      events: 4_000,
      partitions: 4,
      topicPrefix: uniqueName('es-e2e-block'),
      mix: { insert: 0.4, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 },
    });
    await produceWorkload(workload, { brokers: kafkaBrokers() });
    topics = workload.topics().map((spec) => spec.topic);
    indices = workload.tableDefinitions().map((definition) => indexName(indexPrefix, { namespace: definition.schema, name: definition.name }));
    // The indices exist (as an operator or a template made them) and refuse writes.
    for (const index of indices) {
      const created = await fetch(`${server.adminUrl}/${index}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ settings: { number_of_replicas: 0, 'index.blocks.write': true } }),
      });
      assert.equal(created.status, 200, await created.text());
    }
  });

  after(async () => {
    await fetch(`${server.adminUrl}/${indexPrefix}*`, { method: 'DELETE' });
    await server?.close();
  });

  test('rejections are backpressure, partitions pause, and every change lands once the block is lifted', async (t) => {
    const group = uniqueName('es-e2e-block-group');
    let service: RunningService | null = null;
    try {
      service = await startInProcess({
        SLUICE_DESTINATION: 'elasticsearch',
        SLUICE_KAFKA_BROKERS: kafkaBrokers().join(','),
        SLUICE_TOPICS: topics.join(','),
        SLUICE_GROUP_ID: group,
        SLUICE_DLQ_TOPIC: `${group}.dlq`,
        SLUICE_HTTP_PORT: '0',
        SLUICE_COMMIT_INTERVAL_MS: '200',
        SLUICE_RETRY_BASE_MS: '100',
        SLUICE_RETRY_MAX_MS: '1000',
        SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent',
        SLUICE_ES_FLAVOUR: 'opensearch',
        SLUICE_ES_NODES: server.writerUrl,
        SLUICE_ES_INDEX_PREFIX: indexPrefix,
      });
      const running = service;
      const describeState = async (): Promise<string> =>
        JSON.stringify({
          blockErrors: await counterTotal(running.metrics.writeErrors, { class: 'backpressure', code: 'es.cluster_block' }),
          sinkPauses: await counterTotal(running.metrics.pauseEvents, {}),
          progress: await groupProgress(group, topics),
        }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));

      // While blocked: the writes fail as backpressure and the controller pauses the partitions.
      await waitFor(async () => (await counterTotal(running.metrics.writeErrors, { class: 'backpressure', code: 'es.cluster_block' })) > 0 && (await counterTotal(running.metrics.pauseEvents, {})) > 0, {
        timeoutMs: 60_000,
        intervalMs: 250,
        describe: describeState,
      });
      t.diagnostic(`while blocked: ${await describeState()}`);
      const blockedProgress = await groupProgress(group, topics);
      assert.equal(blockedProgress.committed, 0n, 'nothing is committed while nothing could be written');
      assert.equal(await counterTotal(running.metrics.writeErrors, { class: 'poison' }), 0, 'a block is never poison');

      await setBlock(false);
      await waitFor(
        async () => {
          const progress = await groupProgress(group, topics);
          return progress.committed === progress.end;
        },
        { timeoutMs: 180_000, intervalMs: 500, describe: describeState },
      );
      assert.equal(await counterTotal(running.metrics.deadLetteredRecords, {}), 0, 'nothing was dead-lettered');
      t.diagnostic(`after the block was lifted: ${await describeState()}`);
    } finally {
      await service?.stop();
    }
    assert.equal(await service.finished, null, 'the service stopped cleanly');

    const expected = workload.expectedState();
    const differences: string[] = [];
    for (const definition of workload.tableDefinitions()) {
      const schema = tableSchemaOf(definition);
      const documents = new Map((await readDocuments(server.adminUrl, indexName(indexPrefix, { namespace: definition.schema, name: definition.name }), schema)).map((row) => [canonicalKey(definition, row), row]));
      const rows = expected.get(definition.name) ?? new Map();
      for (const [key, row] of rows) {
        const document = documents.get(key);
        if (document === undefined) differences.push(`${definition.name} ${key}: missing`);
        else for (const column of schema.columns) if (canonicalValueText(column.type, row.get(column.name) ?? null) !== canonicalValueText(column.type, document.get(column.name) ?? null)) differences.push(`${definition.name} ${key}.${column.name} differs`);
      }
      for (const key of documents.keys()) if (!rows.has(key)) differences.push(`${definition.name} ${key}: extra`);
    }
    assert.deepEqual(differences.slice(0, 20), [], 'every index equals the expected state');
  });
});
