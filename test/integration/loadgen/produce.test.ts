/**
 * The generator against the real broker: topics are created with the workload's partition
 * counts, every record arrives in the partition the workload chose, in generation order, byte
 * for byte (regenerated from the same seed), with the key-change headers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfluentModule } from '../../../src/kafka/confluent-client.ts';
import { produceWorkload } from '../../../src/loadgen/produce.ts';
import { createWorkload, type WorkloadOptions, type WorkloadRecord } from '../../../src/loadgen/workload.ts';
import { kafkaBrokers, startServices, testKafka, uniqueName } from '../../support/services.ts';

async function confluentUnavailable(): Promise<string | null> {
  try {
    await loadConfluentModule();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

for (const client of ['kafkajs', 'confluent'] as const) describe(`produceWorkload on the real broker (${client})`, () => {
  const topicPrefix = uniqueName(`loadgen_${client}`);
  const options: WorkloadOptions = {
    seed: 'integration',
    tables: ['measurements', 'toasty', 'composite'],
    events: 3000,
    partitions: 3,
    topicPrefix,
    mix: { insert: 3, update: 4, delete: 1, keyChange: 1, truncate: 0.01 },
  };
  const topics = createWorkload(options).topics();

  before(async () => {
    await startServices();
  });

  after(async () => {
    const admin = testKafka('loadgen-cleanup').admin();
    await admin.connect();
    await admin.deleteTopics({ topics: topics.map((spec) => spec.topic) }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates the topics, produces every record and reads them back in order', async (t) => {
    const unavailable = client === 'confluent' ? await confluentUnavailable() : null;
    if (unavailable !== null) {
      t.skip(`the confluent client cannot be loaded here: ${unavailable}`);
      return;
    }
    const workload = createWorkload(options);
    const progress: number[] = [];
    const result = await produceWorkload(workload, {
      brokers: kafkaBrokers(),
      client,
      schedule: [{ eventsPerSecond: 4000, records: 800 }, { eventsPerSecond: null }],
      batchRecords: 250,
      onProgress: (report) => progress.push(report.records),
      progressIntervalMs: 200,
    });
    const expected = [...createWorkload(options).records()];
    assert.equal(result.records, expected.length);
    assert.equal(workload.stats().changeEvents, 3000);
    assert.ok(progress.length > 0 && progress.at(-1) === expected.length);

    const admin = testKafka('loadgen-admin').admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: topics.map((spec) => spec.topic) });
    await admin.disconnect();
    for (const topic of metadata.topics) assert.equal(topic.partitions.length, 3, topic.name);

    const received = new Map<string, { key: Buffer | null; value: Buffer | null; headers: Record<string, unknown> }[]>();
    let count = 0;
    const consumer = testKafka('loadgen-reader').consumer({ groupId: uniqueName('loadgen-reader') });
    await consumer.connect();
    await consumer.subscribe({ topics: topics.map((spec) => spec.topic), fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const id = `${topic}#${partition}`;
        const list = received.get(id) ?? [];
        list.push({ key: message.key, value: message.value, headers: message.headers ?? {} });
        received.set(id, list);
        count += 1;
      },
    });
    const deadline = Date.now() + 60_000;
    while (count < expected.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await consumer.disconnect();
    assert.equal(count, expected.length, 'every record read back');

    const expectedByPartition = new Map<string, WorkloadRecord[]>();
    for (const record of expected) {
      const id = `${record.topic}#${record.partition}`;
      expectedByPartition.set(id, [...(expectedByPartition.get(id) ?? []), record]);
    }
    for (const [id, records] of expectedByPartition) {
      const got = received.get(id) ?? [];
      assert.equal(got.length, records.length, id);
      records.forEach((record, index) => {
        const message = got[index]!;
        assert.deepEqual(message.key, record.key, `${id} key #${index}`);
        assert.deepEqual(message.value, record.value, `${id} value #${index}`);
        for (const [name, value] of Object.entries(record.headers ?? {})) assert.deepEqual(message.headers[name], value, `${id} header ${name}`);
      });
    }
  });
});
