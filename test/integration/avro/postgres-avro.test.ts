/**
 * Avro end to end: load-generator workloads encoded as Confluent Avro (the AvroConverter's form of
 * the same Connect data, test/unit/cdc/avro-transcoder.ts; schemas registered under
 * `<topic>-key` / `<topic>-value`) go through the real Kafka broker and a running sluice with
 * SLUICE_VALUE_FORMAT=avro into the real PostgreSQL; the target must equal the generator's
 * expected state row by row.
 *
 * Then a registry outage: the registry is stopped, records with schema ids sluice has not seen yet
 * are produced, and sluice must neither dead-letter nor commit past them while it is down; once the
 * registry is started again everything is written and the target equals the expected state.
 * The registry is the one registry-under-test.ts provides: by default the project's real Apicurio
 * Registry (Confluent API) from scripts/services.sh, and for the outage a private instance of it
 * that this test stops and starts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createWorkload, verifyPostgres, type Workload } from '../../../src/loadgen/index.ts';
import { createTopicsOf, groupProgress, postgresSinkSettings, startInProcess, topicRecordCount, waitFor, withClient } from '../../support/sluice-harness.ts';
import { createUniqueDatabase, kafkaBrokers, startServices, type TestDatabase, uniqueName } from '../../support/services.ts';
import { AvroTranscoder } from '../../unit/cdc/avro-transcoder.ts';
import { type RegistryUnderTest, registryForOutage, registryUnderTest } from './registry-under-test.ts';

const EVENTS = Number(process.env['SLUICE_AVRO_E2E_EVENTS'] ?? 4_000);

/** Encodes workload records as Avro, registering each schema once in the registry under test. */
class AvroProducer {
  private readonly transcoder = new AvroTranscoder();
  /** in-memory transcoder id → id in the registry under test */
  private readonly registered = new Map<number, number>();

  constructor(private readonly registry: RegistryUnderTest) {}

  private async frame(json: Buffer | null, subject: string): Promise<Buffer | null> {
    const framed = this.transcoder.transcode(json);
    if (framed === null || framed.length === 0) return framed;
    const localId = framed.readUInt32BE(1);
    let id = this.registered.get(localId);
    if (id === undefined) {
      id = await this.registry.register(subject, this.transcoder.registry.byId.get(localId)!.schema);
      this.registered.set(localId, id);
    }
    const out = Buffer.from(framed);
    out.writeUInt32BE(id, 1);
    return out;
  }

  /** Every record of the workload, framed; schemas are registered here (before anything is sent). */
  async encode(workload: Workload): Promise<Map<string, { partition: number; key: Buffer | null; value: Buffer | null; timestamp: string }[]>> {
    const byTopic = new Map<string, { partition: number; key: Buffer | null; value: Buffer | null; timestamp: string }[]>();
    for (const record of workload.records()) {
      const messages = byTopic.get(record.topic) ?? [];
      byTopic.set(record.topic, messages);
      messages.push({
        partition: record.partition,
        key: await this.frame(record.key, `${record.topic}-key`),
        value: await this.frame(record.value, `${record.topic}-value`),
        timestamp: String(record.timestamp),
      });
    }
    return byTopic;
  }
}

async function send(byTopic: Map<string, { partition: number; key: Buffer | null; value: Buffer | null; timestamp: string }[]>): Promise<void> {
  const kafka = new Kafka({ clientId: 'sluice-avro-test', brokers: kafkaBrokers(), logLevel: logLevel.ERROR });
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
  await producer.connect();
  try {
    for (const [topic, messages] of byTopic) {
      // Small sends: toasty rows are large and the broker caps one request (message.max.bytes).
      for (let i = 0; i < messages.length; i += 100) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 100) });
    }
  } finally {
    await producer.disconnect();
  }
}

describe(`Avro end to end through Kafka into PostgreSQL (${EVENTS} events)`, () => {
  let registry: RegistryUnderTest;
  let database: TestDatabase;
  let producer: AvroProducer;

  before(async () => {
    await startServices();
    registry = await registryUnderTest();
    database = await createUniqueDatabase('sluice_avro');
    producer = new AvroProducer(registry);
  });

  after(async () => {
    await registry?.close();
    await database?.drop();
  });

  test('the target equals the expected state', async () => {
    const workload = createWorkload({
      seed: 20261125,
      tables: ['measurements', 'toasty', 'composite'],
      events: EVENTS,
      partitions: 2,
      topicPrefix: uniqueName('avro'),
      mix: { insert: 0.4, update: 0.4, delete: 0.1, keyChange: 0.05, truncate: 0 },
    });
    const topics = workload.topics().map((spec) => spec.topic);
    await createTopicsOf(workload.topics());
    await send(await producer.encode(workload));
    const group = uniqueName('avro-group');
    const service = await startInProcess(
      postgresSinkSettings({ topics, databaseUrl: database.url, group, extra: { SLUICE_VALUE_FORMAT: 'avro', SLUICE_SCHEMA_REGISTRY_URL: registry.url } }),
    );
    try {
      await waitFor(async () => {
        const progress = await groupProgress(group, topics);
        return progress.committed === progress.end;
      }, { timeoutMs: 180_000, intervalMs: 500, describe: async () => JSON.stringify(await groupProgress(group, topics), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) });
    } finally {
      await service.stop();
    }
    assert.equal(await service.finished, null, 'the service stopped cleanly');
    const report = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
    assert.ok(report.equal, `target differs from the expected state: ${JSON.stringify(report.samples, null, 2)}`);
    const stats = workload.stats();
    assert.ok(stats.tombstones > 0 && stats.toastPlaceholders > 0 && stats.keyChanges > 0, `the workload exercised tombstones, TOAST and key changes: ${JSON.stringify(stats)}`);
  });

  test('a registry outage: nothing is dead-lettered or committed past unknown schemas until the registry is back, then the target is complete', async (t) => {
    const outageRegistry = await registryForOutage();
    const outage = outageRegistry?.outage;
    if (outageRegistry === undefined || outage === undefined) {
      t.skip('the external registry (SLUICE_TEST_SCHEMA_REGISTRY_URL) cannot be stopped and started by this test');
      return;
    }
    t.after(() => outageRegistry.close());
    const outageProducer = new AvroProducer(outageRegistry);
    const before = createWorkload({ seed: 1, tables: ['narrow'], events: 300, partitions: 1, topicPrefix: uniqueName('avro_out_a') });
    const during = createWorkload({ seed: 2, tables: ['wide', 'composite'], events: 600, partitions: 2, topicPrefix: uniqueName('avro_out_b') });
    const workloads = [before, during];
    const topics = workloads.flatMap((workload) => workload.topics().map((spec) => spec.topic));
    const duringTopics = during.topics().map((spec) => spec.topic);
    await createTopicsOf(workloads.flatMap((workload) => workload.topics()));
    // The producing side (Debezium) registered its schemas before the outage; sluice has not seen them.
    const [first, second] = [await outageProducer.encode(before), await outageProducer.encode(during)];
    await send(first);

    const group = uniqueName('avro-outage');
    const dlq = `${group}.dlq`;
    // Its own database: the first test's workload has a table of the same name.
    const target = await createUniqueDatabase('sluice_avro_outage');
    t.after(() => target.drop());
    const service = await startInProcess(
      postgresSinkSettings({ topics, databaseUrl: target.url, group, extra: { SLUICE_VALUE_FORMAT: 'avro', SLUICE_SCHEMA_REGISTRY_URL: outageRegistry.url } }),
    );
    try {
      const progressText = async () => JSON.stringify(await groupProgress(group, topics), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      await waitFor(async () => {
        const progress = await groupProgress(group, topics);
        return progress.end > 0n && progress.committed === progress.end;
      }, { timeoutMs: 120_000, intervalMs: 300, describe: progressText });

      await outage.stop();
      await send(second);
      // Absence cannot be awaited: watch for a while that sluice neither commits the new records
      // nor dead-letters them while the registry is down.
      const watchUntil = Date.now() + 4_000;
      while (Date.now() < watchUntil) {
        assert.equal((await groupProgress(group, duringTopics)).committed, 0n, 'nothing of the records with unknown schemas is committed during the outage');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const readsBeforeRestart = outageRegistry.schemaReads?.();
      await outage.start();
      await waitFor(async () => {
        const progress = await groupProgress(group, topics);
        return progress.committed === progress.end;
      }, { timeoutMs: 120_000, intervalMs: 300, describe: progressText });
      // The records of the new schemas were written, so sluice read them from the registry once it was back.
      if (readsBeforeRestart !== undefined) assert.ok(outageRegistry.schemaReads!() > readsBeforeRestart, 'the schemas were read after the restart');
    } finally {
      await service.stop();
    }
    assert.equal(await service.finished, null, 'the service stopped cleanly');
    const dead = await topicRecordCount(dlq).catch(() => 0);
    assert.equal(dead, 0, 'no record was dead-lettered');
    for (const workload of workloads) {
      const report = await withClient(target.url, (client) => verifyPostgres({ client, workload }));
      assert.ok(report.equal, `target differs from the expected state: ${JSON.stringify(report.samples, null, 2)}`);
    }
  });
});
