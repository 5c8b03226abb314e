import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OffsetContinuity } from '../../../src/pipeline/offset-continuity.ts';

const tp = { topic: 'cdc.public.orders', partition: 3 };

describe('OffsetContinuity', () => {
  test('contiguous batches report nothing; the first batch only sets the expectation', () => {
    const continuity = new OffsetContinuity();
    assert.equal(continuity.observe(tp, 500n, 599n), null);
    assert.equal(continuity.observe(tp, 600n, 650n), null);
  });

  test('a batch starting past the next offset reports the skipped range, inclusive', () => {
    const continuity = new OffsetContinuity();
    continuity.observe(tp, 0n, 99n);
    assert.deepEqual(continuity.observe(tp, 1_000n, 1_010n), { from: 100n, to: 999n, count: 900n });
    assert.equal(continuity.observe(tp, 1_011n, 1_020n), null);
  });

  test('a re-delivered (earlier) batch is not a loss and does not move the expectation back', () => {
    const continuity = new OffsetContinuity();
    continuity.observe(tp, 0n, 99n);
    assert.equal(continuity.observe(tp, 50n, 80n), null);
    assert.deepEqual(continuity.observe(tp, 101n, 120n), { from: 100n, to: 100n, count: 1n });
  });

  test('partitions are independent, and forget() drops the expectation (revocation)', () => {
    const continuity = new OffsetContinuity();
    const other = { topic: tp.topic, partition: 4 };
    continuity.observe(tp, 0n, 9n);
    assert.equal(continuity.observe(other, 500n, 510n), null);
    continuity.forget(tp);
    assert.equal(continuity.observe(tp, 700n, 710n), null);
  });
});
