import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KafkaRecord } from '../../../src/kafka/types.ts';
import { OffsetTracker } from '../../../src/pipeline/offset-tracker.ts';

function record(offset: bigint, partition = 0): KafkaRecord {
  return { topic: 't', partition, offset, key: null, value: Buffer.from('v'), headers: new Map(), timestamp: 1000 + Number(offset) };
}

test('the commit point only moves over a contiguous settled prefix', () => {
  const tracker = new OffsetTracker();
  for (const offset of [0n, 1n, 2n, 3n]) tracker.track(record(offset), 10);
  tracker.release('t', 0, 2n);
  assert.deepEqual(tracker.pendingCommits(), []);
  tracker.release('t', 0, 0n);
  assert.deepEqual(tracker.pendingCommits(), [{ topic: 't', partition: 0, offset: 1n }]);
  tracker.release('t', 0, 1n);
  assert.deepEqual(tracker.pendingCommits(), [{ topic: 't', partition: 0, offset: 3n }]);
  tracker.markCommitted(tracker.pendingCommits());
  assert.deepEqual(tracker.pendingCommits(), []);
});

test('a record held by two changes settles only when both are released', () => {
  const tracker = new OffsetTracker();
  tracker.track(record(5n), 10);
  tracker.retain('t', 0, 5n);
  tracker.retain('t', 0, 5n);
  assert.equal(tracker.release('t', 0, 5n), 0, 'routing hold released');
  assert.equal(tracker.release('t', 0, 5n), 0, 'first change written');
  assert.equal(tracker.release('t', 0, 5n), 10, 'second change written: bytes released');
  assert.deepEqual(tracker.pendingCommits(), [{ topic: 't', partition: 0, offset: 6n }]);
});

test('bytes are released only when the prefix advances, so the budget never undercounts', () => {
  const tracker = new OffsetTracker();
  tracker.track(record(0n), 100);
  tracker.track(record(1n), 200);
  assert.equal(tracker.release('t', 0, 1n), 0);
  assert.equal(tracker.release('t', 0, 0n), 300);
});

test('partitions are independent, and gaps in offsets (transaction markers) are fine', () => {
  const tracker = new OffsetTracker();
  tracker.track(record(10n, 0), 1);
  tracker.track(record(12n, 0), 1);
  tracker.track(record(3n, 1), 1);
  tracker.release('t', 0, 10n);
  tracker.release('t', 0, 12n);
  assert.deepEqual(tracker.pendingCommits(), [{ topic: 't', partition: 0, offset: 13n }]);
  assert.equal(tracker.unsettled({ topic: 't', partition: 1 }), 1);
  assert.equal(tracker.oldestUnsettledTimestamp({ topic: 't', partition: 1 }), 1003);
});

test('a forgotten (revoked) partition returns the bytes it held and commits nothing more', () => {
  const tracker = new OffsetTracker();
  tracker.track(record(0n), 7);
  tracker.track(record(1n), 8);
  assert.equal(tracker.forget({ topic: 't', partition: 0 }), 15);
  assert.equal(tracker.release('t', 0, 0n), 0);
  assert.deepEqual(tracker.pendingCommits(), []);
});

test('many records: the queue compacts itself and stays correct', () => {
  const tracker = new OffsetTracker();
  for (let offset = 0n; offset < 5000n; offset++) tracker.track(record(offset), 1);
  for (let offset = 0n; offset < 5000n; offset++) tracker.release('t', 0, offset);
  assert.deepEqual(tracker.pendingCommits(), [{ topic: 't', partition: 0, offset: 5000n }]);
  assert.equal(tracker.totalUnsettled(), 0);
});

test('offsets beyond 2^53 are tracked exactly, next to small ones', () => {
  const tracker = new OffsetTracker();
  const big = 2n ** 53n + 1n;
  // 2^53 + 1 and 2^53 are one number as doubles: the ledger must keep them apart.
  tracker.track(record(big - 1n), 1);
  tracker.track(record(big), 2);
  tracker.track(record(5n, 1), 3);
  assert.equal(tracker.release('t', 0, big), 0, 'the later record alone does not move the commit point');
  assert.equal(tracker.rawRecord('t', 0, big - 1n)?.offset, big - 1n);
  assert.equal(tracker.release('t', 0, big - 1n), 3);
  assert.equal(tracker.release('t', 1, 5n), 3);
  assert.deepEqual(tracker.pendingCommits(), [
    { topic: 't', partition: 0, offset: big + 1n },
    { topic: 't', partition: 1, offset: 6n },
  ]);
});

test('bytes charged to a held record (its decoded change) are released with it, or returned when its partition is forgotten; a settled or unknown record takes no charge', () => {
  const tracker = new OffsetTracker();
  for (const offset of [0n, 1n, 2n]) tracker.track(record(offset), 10);
  tracker.retain('t', 0, 0n);
  assert.equal(tracker.charge('t', 0, 0n, 500), 500);
  assert.equal(tracker.release('t', 0, 0n), 0, 'routing hold released; the change still holds it');
  assert.equal(tracker.release('t', 0, 1n), 0, 'not the prefix yet');
  assert.equal(tracker.charge('t', 0, 1n, 70), 0, 'settled: nothing to charge');
  assert.equal(tracker.charge('t', 0, 9n, 70), 0, 'not tracked');
  assert.equal(tracker.charge('t', 1, 0n, 70), 0, 'unknown partition');
  assert.equal(tracker.release('t', 0, 0n), 520, 'raw and charged bytes of 0, raw bytes of 1');
  assert.equal(tracker.charge('t', 0, 2n, 300), 300);
  assert.equal(tracker.forget({ topic: 't', partition: 0 }), 310, 'the revoked partition returns what 2 still held');
});
