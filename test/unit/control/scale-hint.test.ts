import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultScaleHintConfig, desiredReplicas, type ScaleObservation } from '../../../src/control/scale-hint.ts';

const base: ScaleObservation = {
  partitions: 12,
  assignedPartitions: 3,
  lagRecords: 0,
  lagSlope: 0,
  writtenPerSecond: 1_000,
  writeUtilization: 0.8,
};

test('balanced at the target utilization: keeps the replicas running now', () => {
  const hint = desiredReplicas(base);
  assert.equal(hint.currentReplicas, 4);
  assert.equal(hint.replicas, 4);
});

test("the article's mismatch: lag growing 3,000/s against 7,000/s written at full load asks for more", () => {
  // One replica owning all 8 partitions, busy all the time, lag growing 3,000 records/s.
  const hint = desiredReplicas({ partitions: 8, assignedPartitions: 8, lagRecords: 0, lagSlope: 3_000, writtenPerSecond: 7_000, writeUtilization: 1 });
  // needed 10,000/s; capacity 7,000/s × 0.8 target = 5,600/s → ⌈10,000 / 5,600⌉ = 2.
  const expected = Math.ceil(10_000 / (7_000 * defaultScaleHintConfig.targetUtilization));
  assert.equal(hint.replicas, expected);
  assert.equal(hint.currentReplicas, 1);
  assert.match(hint.reason, /1 → 2 replicas/);
});

test('capped at the partition count, never above', () => {
  const hint = desiredReplicas({ partitions: 4, assignedPartitions: 1, lagRecords: 5_000_000, lagSlope: 50_000, writtenPerSecond: 500, writeUtilization: 1 });
  assert.equal(hint.replicas, 4);
  assert.match(hint.reason, /capped at 4 partitions/);
});

test('a lightly loaded deployment scales down, never below one', () => {
  const hint = desiredReplicas({ ...base, writeUtilization: 0.1 });
  // capacity per replica 10,000/s; 4 replicas need 4,000/s → ⌈4 × 1,000 / 8,000⌉ = 1.
  assert.equal(hint.replicas, 1);
  const idle = desiredReplicas({ ...base, writtenPerSecond: 0, writeUtilization: 0 });
  assert.equal(idle.replicas, 1);
});

test('lag to drain adds demand in proportion to the drain time', () => {
  const drainSeconds = defaultScaleHintConfig.drainSeconds;
  // 1,000 records/s written at 100 % busy by one of 2 replicas, plus lag worth 2,000 records/s over the drain time.
  const hint = desiredReplicas({ partitions: 12, assignedPartitions: 6, lagRecords: 2_000 * drainSeconds, lagSlope: 0, writtenPerSecond: 1_000, writeUtilization: 1 });
  const needed = 1_000 + 2_000;
  assert.equal(hint.replicas, Math.ceil((2 * needed) / (1_000 * defaultScaleHintConfig.targetUtilization)));
});

test('lag but nothing written (a stalled sink): keeps the current count rather than guessing', () => {
  const hint = desiredReplicas({ ...base, lagRecords: 10_000, lagSlope: 100, writtenPerSecond: 0 });
  assert.equal(hint.replicas, 4);
  assert.match(hint.reason, /throughput unknown/);
});

test('no partitions assigned: the minimum', () => {
  assert.equal(desiredReplicas({ ...base, assignedPartitions: 0 }).replicas, 1);
});

test('an unmeasured utilization counts as fully busy', () => {
  const measured = desiredReplicas({ ...base, writeUtilization: 1, lagSlope: 500 });
  const unmeasured = desiredReplicas({ ...base, writeUtilization: null, lagSlope: 500 });
  assert.equal(unmeasured.replicas, measured.replicas);
});
