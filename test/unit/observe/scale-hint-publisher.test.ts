import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Controller } from '../../../src/control/controller.ts';
import { desiredReplicas } from '../../../src/control/scale-hint.ts';
import type { KafkaAdmin, TopicPartition } from '../../../src/kafka/types.ts';
import { silentLogger } from '../../../src/observe/logger.ts';
import { SluiceMetrics } from '../../../src/observe/metrics.ts';
import { ScaleHintPublisher } from '../../../src/observe/scale-hint-publisher.ts';
import type { TableBatch } from '../../../src/writer/types.ts';

const topic = 'orders';
const partitionCount = 8;

function fakeAdmin(): KafkaAdmin & { endOffsetCalls: number } {
  const admin = {
    endOffsetCalls: 0,
    async endOffsets(topics: readonly string[]) {
      admin.endOffsetCalls += 1;
      const ends = new Map<string, bigint>();
      for (const t of topics) for (let p = 0; p < partitionCount; p++) ends.set(`${t}:${p}`, 1_000n);
      return ends;
    },
    async committedOffsets() {
      return new Map<string, bigint>();
    },
    async retention() {
      return new Map<string, { ms: number; bytes: number }>();
    },
    async ensureTopic() {
      return 'exists' as const;
    },
    async close() {},
  };
  return admin;
}

/** A written batch of `records` records (the publisher counts origins, one per change here). */
function batchOf(records: number): TableBatch {
  return { changes: Array.from({ length: records }, () => ({ origins: [{}] })), truncateOrigins: [] } as unknown as TableBatch;
}

test('publishes the hint from records written per second, the lag trend and the partition count', async () => {
  let now = 0;
  const controller = new Controller();
  const metrics = new SluiceMetrics({ defaultMetrics: false });
  const admin = fakeAdmin();
  const assigned: TopicPartition[] = [{ topic, partition: 0 }, { topic, partition: 1 }];
  const publisher = new ScaleHintPublisher({ admin, controller, metrics, assignment: () => assigned, logger: silentLogger(), now: () => now });
  publisher.start(60_000);
  publisher.stop();
  // Lag of the two assigned partitions grows 100 records/s.
  for (const at of [0, 10_000]) {
    const lagEach = 1_000 + (at / 1000) * 50;
    controller.recordLag({ at, partitions: assigned.map((tp) => ({ ...tp, logEndOffset: 100_000n, committedOffset: BigInt(100_000 - lagEach) })) });
  }
  now = 10_000;
  publisher.batchWritten('public.orders', batchOf(3_000));
  publisher.batchWritten('public.orders', batchOf(2_000));
  await publisher.update();
  const lag = controller.snapshot().lag!.total;
  const expected = desiredReplicas({ partitions: partitionCount, assignedPartitions: 2, lagRecords: lag.lag, lagSlope: lag.shortSlope, writtenPerSecond: 500, writeUtilization: null });
  const latest = publisher.latest();
  assert.ok(latest !== null);
  assert.equal(latest.writtenPerSecond, 500);
  assert.equal(latest.partitions, partitionCount);
  assert.equal(latest.replicas, expected.replicas);
  assert.equal((await metrics.desiredReplicas.get()).values[0]?.value, expected.replicas);
  // The partition count is cached between samples.
  now = 20_000;
  await publisher.update();
  assert.equal(admin.endOffsetCalls, 1);
});
