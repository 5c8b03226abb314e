/**
 * The KafkaSource contract on the real broker, for each client implementation: delivery per
 * partition with key/value/headers/offset/timestamp, pausing a single partition, explicit commits
 * that a new member resumes from exactly, and the callbacks of a rebalance when a second member
 * joins. Needs the broker of `scripts/services.sh up` (127.0.0.1:9092).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { loadConfluentModule } from '../../../src/kafka/confluent-client.ts';
import { createKafkaAdmin, createKafkaSource, createRecordProducer } from '../../../src/kafka/index.ts';
import type { KafkaClientName, KafkaSource, KafkaSourceOptions } from '../../../src/kafka/types.ts';
import { Prng } from '../../../src/loadgen/prng.ts';
import { createUniqueTopic, kafkaBrokers, startServices, testKafka, uniqueName } from '../../support/services.ts';
import { RecordingHandlers, waitUntil } from './recording-handlers.ts';

const PARTITIONS = 3;

interface ProducedValue {
  readonly partition: number;
  readonly key: string;
  readonly value: string;
  readonly header: string;
}

function sourceOptions(topic: string, groupId: string): KafkaSourceOptions {
  return {
    brokers: kafkaBrokers(),
    clientId: 'sluice-kafka-it',
    groupId,
    topics: [topic],
    fromBeginning: true,
    fetchMaxBytes: 1_048_576,
    partitionFetchMaxBytes: 262_144,
    fetchMaxWaitMs: 100,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 500,
  };
}

/** Produces `perPartition` records to each partition; values derive from the seed. */
async function produce(topic: string, perPartition: number, seed: string, partitions: readonly number[] = [0, 1, 2]): Promise<ProducedValue[]> {
  const prng = new Prng(seed);
  const produced: ProducedValue[] = [];
  for (const partition of partitions) {
    for (let index = 0; index < perPartition; index++) {
      produced.push({
        partition,
        key: `key-${partition}-${index}-${seed}`,
        value: `value-${prng.int(1_000_000_000)}-${'x'.repeat(prng.int(200))}`,
        header: `${seed}:${partition}:${index}`,
      });
    }
  }
  const producer = testKafka('sluice-kafka-it-producer').producer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: produced.map(({ partition, key, value, header }) => ({ partition, key, value, headers: { 'sluice-test': header } })),
    });
  } finally {
    await producer.disconnect();
  }
  return produced;
}

function valuesOf(handlers: RecordingHandlers, partition: number): string[] {
  return handlers.recordsOf(partition).map((record) => record.value?.toString() ?? '<null>');
}

function expectedValues(produced: readonly ProducedValue[], partition: number): string[] {
  return produced.filter((record) => record.partition === partition).map((record) => record.value);
}

const installScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scripts/install-confluent-kafka.sh');

/**
 * Null when the confluent client loads; else why not. Builds the native binding first when it is
 * missing (scripts/install-confluent-kafka.sh, about a minute, cached), unless
 * SLUICE_TEST_BUILD_CONFLUENT=0. Checked in a child process first: a failed import() would stay
 * cached in this process.
 */
async function confluentUnavailableReason(): Promise<string | null> {
  if (spawnSync(installScript, ['--check']).status !== 0) {
    if (process.env.SLUICE_TEST_BUILD_CONFLUENT === '0') {
      return 'the native binding of @confluentinc/kafka-javascript is not built and SLUICE_TEST_BUILD_CONFLUENT=0';
    }
    const build = spawnSync(installScript, [], { encoding: 'utf8', timeout: 600_000 });
    if (build.status !== 0) {
      return `scripts/install-confluent-kafka.sh failed (exit ${build.status}): ${build.stderr.trim().split('\n').slice(-5).join(' | ')}`;
    }
  }
  try {
    await loadConfluentModule();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe('RecordProducer (dead-letter producer)', () => {
  test('sends keys, values and headers that a consumer reads back in order', async () => {
    await startServices();
    const created = await createUniqueTopic(1, 'kafka-producer');
    const producer = createRecordProducer({ brokers: kafkaBrokers(), clientId: 'sluice-kafka-it-dlq' });
    try {
      const prng = new Prng('dead-letters');
      const records = Array.from({ length: 20 }, (_, index) => ({
        key: index % 5 === 0 ? null : `key-${index}`,
        value: `poison-${index}-${prng.int(1_000_000)}`,
        headers: { 'sluice-error': `reason ${index}`, 'sluice-source-offset': String(index) },
      }));
      await producer.send(created.topic, records.slice(0, 10));
      await producer.send(created.topic, records.slice(10));
      const handlers = new RecordingHandlers();
      const source = createKafkaSource(sourceOptions(created.topic, uniqueName('g-dlq')), 'kafkajs');
      await source.start(handlers);
      try {
        await waitUntil('the dead letters are read back', () => handlers.records.length >= records.length);
      } finally {
        await source.stop();
      }
      assert.deepEqual(
        handlers.records.map((record) => ({
          key: record.key?.toString() ?? null,
          value: record.value?.toString(),
          headers: Object.fromEntries([...record.headers].map(([name, value]) => [name, value.toString()])),
        })),
        records,
      );
    } finally {
      await producer.close();
      await created.delete();
    }
  });
});

for (const client of ['kafkajs', 'confluent'] as const satisfies readonly KafkaClientName[]) {
  describe(`KafkaSource on ${client}`, () => {
    let skipReason: string | null = null;
    const running: KafkaSource[] = [];
    const topics: { delete(): Promise<void> }[] = [];

    before(async () => {
      await startServices();
      if (client === 'confluent') {
        skipReason = await confluentUnavailableReason();
        if (skipReason !== null) console.log(`# confluent client tests skipped: ${skipReason}`);
      }
    });

    after(async () => {
      await Promise.allSettled(running.map((source) => source.stop()));
      await Promise.allSettled(topics.map((topic) => topic.delete()));
    });

    async function startSource(topic: string, groupId: string, handlers: RecordingHandlers): Promise<KafkaSource> {
      const source = createKafkaSource(sourceOptions(topic, groupId), client);
      running.push(source);
      await source.start(handlers);
      return source;
    }

    async function newTopic(prefix: string): Promise<string> {
      const created = await createUniqueTopic(PARTITIONS, `${prefix}-${client}`, { 'retention.ms': '3600000' });
      topics.push(created);
      return created.topic;
    }

    test('delivers each partition in order with key, value, headers, offset and timestamp', async (t) => {
      if (skipReason !== null) return t.skip(skipReason);
      const topic = await newTopic('kafka-src-deliver');
      const startedAt = Date.now();
      const produced = await produce(topic, 20, 'deliver');
      const handlers = new RecordingHandlers();
      const source = await startSource(topic, uniqueName('g-deliver'), handlers);

      await waitUntil('all 60 records are delivered', () => handlers.records.length >= produced.length);
      for (let partition = 0; partition < PARTITIONS; partition++) {
        assert.deepEqual(valuesOf(handlers, partition), expectedValues(produced, partition), `values of partition ${partition}`);
        const records = handlers.recordsOf(partition);
        assert.deepEqual(records.map((record) => record.offset), records.map((_, index) => BigInt(index)));
        const expected = produced.filter((record) => record.partition === partition);
        records.forEach((record, index) => {
          assert.equal(record.topic, topic);
          assert.equal(record.key?.toString(), expected[index]?.key);
          assert.equal(record.headers.get('sluice-test')?.toString(), expected[index]?.header);
          assert.ok(record.timestamp >= startedAt - 60_000 && record.timestamp <= Date.now() + 60_000, 'timestamp in ms');
        });
      }
      assert.deepEqual(source.assignment().map((partition) => partition.partition), [0, 1, 2]);
      assert.deepEqual(handlers.violations, []);
      assert.deepEqual(handlers.fatalErrors, []);
      await source.stop();
      await source.stop();
    });

    test('subscribes by regular expression, anchored or not', async (t) => {
      if (skipReason !== null) return t.skip(skipReason);
      const topic = await newTopic('kafka-src-regex');
      const produced = await produce(topic, 3, 'regex');
      // Topic names are [a-z0-9_-], so their text is a literal pattern. The unanchored pattern is
      // the random suffix only: it matches by containment, as a JavaScript RegExp would.
      for (const pattern of [new RegExp(`^${topic}$`), new RegExp(topic.slice(-8))]) {
        const handlers = new RecordingHandlers();
        const source = createKafkaSource({ ...sourceOptions(topic, uniqueName('g-regex')), topics: pattern }, client);
        running.push(source);
        await source.start(handlers);
        await waitUntil(`all records arrive through ${pattern}`, () => handlers.records.length >= produced.length);
        assert.deepEqual(source.assignment().map((partition) => partition.topic), [topic, topic, topic]);
        await source.stop();
      }
    });

    test('a paused partition delivers nothing until resumed, then everything in order', async (t) => {
      if (skipReason !== null) return t.skip(skipReason);
      const topic = await newTopic('kafka-src-pause');
      const first = await produce(topic, 15, 'pause-1');
      const handlers = new RecordingHandlers();
      let source: KafkaSource | null = null;
      const pausedPartition = { topic, partition: 1 };
      // Pausing inside onAssigned: not even the first fetch of partition 1 may be delivered.
      const originalOnAssigned = handlers.onAssigned.bind(handlers);
      handlers.onAssigned = async (partitions) => {
        await originalOnAssigned(partitions);
        if (partitions.some((partition) => partition.partition === 1)) {
          handlers.mustNotDeliver.add(`${topic}:1`);
          source?.pause([pausedPartition]);
        }
      };
      source = createKafkaSource(sourceOptions(topic, uniqueName('g-pause')), client);
      running.push(source);
      await source.start(handlers);

      await waitUntil('partitions 0 and 2 are delivered', () => handlers.recordsOf(0).length >= 15 && handlers.recordsOf(2).length >= 15);
      // More records while paused: the consumer keeps fetching 0 and 2 and still skips 1.
      const second = await produce(topic, 10, 'pause-2');
      await waitUntil('the second round of 0 and 2 is delivered', () => handlers.recordsOf(0).length >= 25 && handlers.recordsOf(2).length >= 25);
      assert.equal(handlers.recordsOf(1).length, 0, 'nothing from the paused partition');
      assert.ok(handlers.ownedPartitions().includes(1), 'partition 1 is still assigned while paused');

      handlers.mustNotDeliver.delete(`${topic}:1`);
      source.resume([pausedPartition]);
      await waitUntil('partition 1 is delivered after resume', () => handlers.recordsOf(1).length >= 25);
      const all = [...first, ...second];
      for (let partition = 0; partition < PARTITIONS; partition++) {
        assert.deepEqual(valuesOf(handlers, partition), expectedValues(all, partition), `partition ${partition}: everything, once, in order`);
      }
      assert.deepEqual(handlers.violations, []);
      await source.stop();
    });

    test('explicit commits: a new member resumes exactly at the committed offsets', async (t) => {
      if (skipReason !== null) return t.skip(skipReason);
      const topic = await newTopic('kafka-src-commit');
      const produced = await produce(topic, 10, 'commit');
      const groupId = uniqueName('g-commit');
      const firstMember = new RecordingHandlers();
      const source = await startSource(topic, groupId, firstMember);
      await waitUntil('the first member read everything', () => firstMember.records.length >= produced.length);
      const committed = new Map([
        [0, 4n],
        [1, 7n],
        [2, 10n],
      ]);
      await source.commit([...committed].map(([partition, offset]) => ({ topic, partition, offset })));

      const admin = createKafkaAdmin({ brokers: kafkaBrokers(), clientId: 'sluice-kafka-it-admin' });
      try {
        const offsets = await admin.committedOffsets(groupId, [topic]);
        assert.deepEqual(
          [0, 1, 2].map((partition) => offsets.get(`${topic}:${partition}`)),
          [4n, 7n, 10n],
        );
        const ends = await admin.endOffsets([topic]);
        assert.deepEqual([0, 1, 2].map((partition) => ends.get(`${topic}:${partition}`)), [10n, 10n, 10n]);
        assert.deepEqual((await admin.retention([topic])).get(topic), { ms: 3_600_000, bytes: -1 });
      } finally {
        await admin.close();
      }
      await source.stop();

      const secondMember = new RecordingHandlers();
      await startSource(topic, groupId, secondMember);
      // One more record on partition 2 shows the member starts exactly at 10 there, too.
      const extra = await produce(topic, 1, 'commit-extra', [2]);
      await waitUntil('the second member read from the committed offsets', () => secondMember.records.length >= 6 + 3 + 1);
      for (const [partition, offset] of committed) {
        const offsets = secondMember.recordsOf(partition).map((record) => record.offset);
        assert.equal(offsets[0], offset, `partition ${partition} resumes at ${offset}`);
        assert.deepEqual(offsets, offsets.map((_, index) => offset + BigInt(index)));
      }
      assert.deepEqual(valuesOf(secondMember, 0), expectedValues(produced, 0).slice(4));
      assert.deepEqual(valuesOf(secondMember, 1), expectedValues(produced, 1).slice(7));
      assert.deepEqual(valuesOf(secondMember, 2), expectedValues(extra, 2));
      assert.deepEqual(secondMember.violations, []);
    });

    test('seek in onAssigned moves the fetch position before anything is delivered', async (t) => {
      if (skipReason !== null) return t.skip(skipReason);
      const topic = await newTopic('kafka-src-seek');
      const produced = await produce(topic, 10, 'seek');
      const handlers = new RecordingHandlers();
      const seekTo = new Map([
        [0, 5n],
        [2, 9n],
      ]);
      let source: KafkaSource | null = null;
      const originalOnAssigned = handlers.onAssigned.bind(handlers);
      handlers.onAssigned = async (partitions) => {
        await originalOnAssigned(partitions);
        for (const partition of partitions) {
          const offset = seekTo.get(partition.partition);
          if (offset !== undefined) source?.seek(partition, offset);
        }
      };
      source = createKafkaSource(sourceOptions(topic, uniqueName('g-seek')), client);
      running.push(source);
      await source.start(handlers);
      await waitUntil('the records after the seek positions arrive', () => handlers.records.length >= 5 + 10 + 1);
      assert.deepEqual(valuesOf(handlers, 0), expectedValues(produced, 0).slice(5));
      assert.deepEqual(valuesOf(handlers, 1), expectedValues(produced, 1));
      assert.deepEqual(valuesOf(handlers, 2), expectedValues(produced, 2).slice(9));
      await source.stop();
    });

    test('a rejected onBatch stops the source and reports it through onFatal', async (t) => {
      if (skipReason !== null) return t.skip(skipReason);
      const topic = await newTopic('kafka-src-fatal');
      await produce(topic, 2, 'fatal');
      const handlers = new RecordingHandlers(async () => {
        throw new Error('destination refused the batch');
      });
      const source = await startSource(topic, uniqueName('g-fatal'), handlers);
      await waitUntil('onFatal is called', () => handlers.fatalErrors.length > 0);
      assert.equal(handlers.fatalErrors[0]?.message, 'destination refused the batch');
      assert.equal(handlers.fatalErrors.length, 1);
      const deliveredBeforeStop = handlers.records.length;
      await source.stop();
      assert.equal(handlers.records.length, deliveredBeforeStop);
    });

    test('a slow onBatch longer than the session timeout keeps the membership (heartbeats go on)', async (t) => {
      if (skipReason !== null) return t.skip(skipReason);
      const topic = await newTopic('kafka-src-heartbeat');
      const produced = await produce(topic, 5, 'heartbeat');
      const sessionTimeoutMs = 6_000; // the broker's group.min.session.timeout.ms
      let slowDone = false;
      const handlers = new RecordingHandlers(async () => {
        if (slowDone) return;
        slowDone = true;
        const until = Date.now() + sessionTimeoutMs + 2_000;
        await waitUntil('the slow batch has outlived the session timeout', () => Date.now() >= until, sessionTimeoutMs + 10_000);
      });
      const source = createKafkaSource({ ...sourceOptions(topic, uniqueName('g-heartbeat')), sessionTimeoutMs, heartbeatIntervalMs: 1_000 }, client);
      running.push(source);
      await source.start(handlers);
      await waitUntil('every record is delivered', () => handlers.records.length >= produced.length, 40_000);
      assert.equal(handlers.revokedEvents.length, 0, 'no rebalance: the member stayed in the group');
      assert.equal(handlers.assignedEvents.length, 1);
      assert.deepEqual(handlers.violations, []);
      await source.stop();
    });

    test('a second member joining revokes and assigns the right partitions', async (t) => {
      if (skipReason !== null) return t.skip(skipReason);
      const topic = await newTopic('kafka-src-rebalance');
      const groupId = uniqueName('g-rebalance');
      await produce(topic, 30, 'rebalance');
      // A slow onBatch keeps deliveries in flight while the group rebalances; revocation must wait for them.
      const slow = async (): Promise<void> => {
        await new Promise((resolve) => setTimeout(resolve, 40));
      };
      const first = new RecordingHandlers(slow);
      const firstSource = await startSource(topic, groupId, first);
      await waitUntil('the first member owns all partitions', () => first.ownedPartitions().length === PARTITIONS);
      assert.equal(first.revokedEvents.length, 0);

      const second = new RecordingHandlers(slow);
      const secondSource = await startSource(topic, groupId, second);
      await waitUntil(
        'both members own partitions that together are all three',
        () =>
          second.ownedPartitions().length > 0 &&
          first.ownedPartitions().length > 0 &&
          first.ownedPartitions().length + second.ownedPartitions().length === PARTITIONS &&
          new Set([...first.ownedPartitions(), ...second.ownedPartitions()]).size === PARTITIONS,
      );
      const movedToSecond = second.ownedPartitions();
      const revokedFromFirst = [...new Set(first.revokedEvents.flat().map((partition) => partition.partition))].sort();
      // kafkajs only speaks the eager protocol: a rebalance revokes everything, then reassigns.
      // The confluent client uses cooperative-sticky: only the partitions that move are revoked.
      assert.deepEqual(revokedFromFirst, client === 'confluent' ? movedToSecond : [0, 1, 2]);
      assert.equal(second.revokedEvents.length, 0);
      assert.deepEqual(second.assignedEvents.flat().map((partition) => partition.partition).sort(), movedToSecond);
      assert.deepEqual(firstSource.assignment().map((partition) => partition.partition), first.ownedPartitions());
      assert.deepEqual(secondSource.assignment().map((partition) => partition.partition), movedToSecond);
      assert.deepEqual(first.violations, []);
      assert.deepEqual(second.violations, []);
    });
  });
}
