/**
 * The producing loop with a fake producer and a virtual clock: rate phases are honoured,
 * per-partition order survives sends that complete out of order, and no more batches are in
 * flight than there are lanes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BatchSender, type OutgoingBatch, sendWorkload } from '../../../src/loadgen/produce.ts';
import { Prng } from '../../../src/loadgen/prng.ts';
import { createWorkload, type WorkloadOptions } from '../../../src/loadgen/workload.ts';

const noDeletes: WorkloadOptions = {
  seed: 'produce',
  tables: ['narrow', 'composite'],
  events: 1000,
  partitions: 3,
  mix: { insert: 1, update: 2, delete: 0, keyChange: 0, truncate: 0 },
};

interface SentMessage {
  readonly topic: string;
  readonly partition: number;
  readonly value: string;
  readonly at: number;
  readonly timestamp?: string | undefined;
}

describe('sendWorkload', () => {
  it('paces a rate phase, then sends a burst flat out', async () => {
    let virtualMs = 0;
    const sent: SentMessage[] = [];
    const sender: BatchSender = {
      sendBatch: async (batch: OutgoingBatch): Promise<void> => {
        for (const { topic, messages } of batch.topicMessages) {
          for (const message of messages) {
            sent.push({ topic, partition: message.partition!, value: String(message.value), at: virtualMs, timestamp: message.timestamp });
          }
        }
      },
    };
    const result = await sendWorkload(sender, createWorkload(noDeletes), {
      schedule: [{ eventsPerSecond: 1000, records: 300 }, { eventsPerSecond: null }],
      now: () => virtualMs,
      sleep: async (ms) => {
        virtualMs += ms;
      },
      wallClockMs: () => 1_800_000_000_000 + virtualMs,
    });
    assert.equal(result.records, 1000);
    assert.equal(sent.length, 1000);
    assert.ok(result.seconds >= 0.29 && result.seconds <= 0.31, `took ${result.seconds} virtual seconds`);
    const order = [...createWorkload(noDeletes).records()].map((record) => record.value!.toString());
    const sentAt = new Map(sent.map((message) => [message.value, message.at]));
    order.slice(0, 300).forEach((value, index) => {
      assert.ok(sentAt.get(value)! >= index - 5, `record ${index} sent at ${sentAt.get(value)} ms, due at ${index} ms`);
    });
    assert.ok(order.slice(300).every((value) => sentAt.get(value)! <= 300));
    // Kafka timestamps are the send time, not the workload's synthetic 2026-01-01 clock.
    assert.ok(sent.every((message) => Number(message.timestamp) >= 1_800_000_000_000 && Number(message.timestamp) <= 1_800_000_000_000 + message.at));
  });

  it('keeps per-partition order when sends complete out of order, with at most `lanes` in flight', async () => {
    const rng = new Prng(5);
    const sent: SentMessage[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const sender: BatchSender = {
      sendBatch: async (batch: OutgoingBatch): Promise<void> => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        for (let tick = rng.int(20); tick > 0; tick--) await new Promise((resolve) => setImmediate(resolve));
        for (const { topic, messages } of batch.topicMessages) {
          for (const message of messages) sent.push({ topic, partition: message.partition!, value: String(message.value), at: 0 });
        }
        inFlight -= 1;
      },
    };
    const options: WorkloadOptions = { ...noDeletes, events: 3000, mix: { insert: 2, update: 3, delete: 1, keyChange: 1, truncate: 0 } };
    await sendWorkload(sender, createWorkload(options), { batchRecords: 37, lanes: 3 });
    assert.ok(maxInFlight <= 3 && maxInFlight >= 2, `max in flight ${maxInFlight}`);
    const expected = [...createWorkload(options).records()];
    assert.equal(sent.length, expected.length);
    const byPartition = (list: readonly { topic: string; partition: number; value: string }[]) => {
      const groups = new Map<string, string[]>();
      for (const item of list) groups.set(`${item.topic}#${item.partition}`, [...(groups.get(`${item.topic}#${item.partition}`) ?? []), item.value]);
      return groups;
    };
    assert.deepEqual(
      byPartition(sent),
      byPartition(expected.map((record) => ({ topic: record.topic, partition: record.partition, value: String(record.value) }))),
    );
  });
});
