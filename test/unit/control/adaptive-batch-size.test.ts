import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdaptiveBatchSize, type BatchSizeInterval } from '../../../src/control/adaptive-batch-size.ts';

/** The article's sink: 1,000 rows in 333 ms, 10,000 rows in 800 ms (fixed cost + cost per row). */
const articleLatency = (rows: number) => 281 + 0.0519 * rows;

const filling = (now: number, latencyMs: number, lagGrowing = true): BatchSizeInterval => ({
  now,
  backpressure: false,
  latencyMs,
  lagGrowing,
  lagFlat: !lagGrowing,
  batchesFilling: true,
  batchesSparse: false,
});

/** Writes two full batches at the current size, then steps; returns the sizes chosen. */
function climb(batch: AdaptiveBatchSize, latencyOf: (rows: number) => number, intervals: number): number[] {
  const sizes: number[] = [];
  for (let i = 1; i <= intervals; i++) {
    const size = batch.size;
    batch.observe(size, size, latencyOf(size));
    batch.observe(size, size, latencyOf(size));
    sizes.push(batch.step(filling(i * 1_000, latencyOf(size))).size);
  }
  return sizes;
}

test('with a fixed cost per batch, batches grow to the maximum while each step cuts per-row cost', () => {
  const batch = new AdaptiveBatchSize();
  const sizes = climb(batch, articleLatency, 8);
  assert.deepEqual(sizes, [1_500, 2_250, 3_375, 5_063, 7_595, 10_000, 10_000, 10_000]);
});

test('when per-row cost does not fall, the probe stops, keeps the better size and cools down', () => {
  const batch = new AdaptiveBatchSize({ cooldownMs: 30_000 });
  const perRowOnly = (rows: number) => 0.2 * rows;
  const sizes = climb(batch, perRowOnly, 5);
  assert.deepEqual(sizes, [1_500, 1_500, 1_500, 1_500, 1_500], 'equal efficiency: keep 1,500, hold');
  const later = climb(batch, perRowOnly, 35);
  assert.equal(later.at(-1), 2_250, 'probes again after the cooldown');
});

test('when the larger batch is worse, the size goes back', () => {
  const batch = new AdaptiveBatchSize();
  // Efficiency peaks at 1,000 rows (e.g. a lock-heavy sink).
  const worseWhenLarger = (rows: number) => (rows <= 1_000 ? 100 : 100 + 0.5 * (rows - 1_000) + rows * 0.1);
  const [first, second] = climb(batch, worseWhenLarger, 2);
  assert.equal(first, 1_500);
  assert.equal(second, 1_000);
});

test('backpressure shrinks by the shrink factor down to the minimum', () => {
  const batch = new AdaptiveBatchSize({ initial: 4_000 });
  const step = batch.step({ ...filling(0, 500), backpressure: true });
  assert.equal(step.size, 3_000);
  assert.match(step.reason!, /backpressure/);
  for (let i = 0; i < 10; i++) batch.step({ ...filling(0, 500), backpressure: true });
  assert.equal(batch.size, 1_000);
});

test('latency above target shrinks only while the lag is flat', () => {
  const growing = new AdaptiveBatchSize({ initial: 8_000, latencyTargetMs: 1_000 });
  assert.equal(growing.step(filling(0, 3_000, true)).change, 'hold');
  const draining = new AdaptiveBatchSize({ initial: 8_000, latencyTargetMs: 1_000 });
  assert.equal(draining.step({ ...filling(0, 3_000, false), lagFlat: false }).change, 'hold');
  const flat = new AdaptiveBatchSize({ initial: 8_000, latencyTargetMs: 1_000 });
  const step = flat.step(filling(0, 3_000, false));
  assert.equal(step.size, 6_000);
  assert.match(step.reason!, /above target/);
});

test('sparse batches for three intervals shrink toward the minimum; half-full batches hold', () => {
  const batch = new AdaptiveBatchSize({ initial: 10_000 });
  const sparse = { now: 0, backpressure: false, latencyMs: 300, lagGrowing: false, lagFlat: true, batchesFilling: false, batchesSparse: true };
  const between = { ...sparse, batchesSparse: false };
  assert.deepEqual(
    [sparse, sparse, between, sparse, sparse, sparse].map((i) => batch.step(i).size),
    [10_000, 10_000, 10_000, 10_000, 10_000, 7_500],
    'an interval in between restarts the count',
  );
  assert.equal(batch.step(between).change, 'hold');
  assert.ok(batch.isSparse(1_000, 1_780) && !batch.isSparse(1_000, 1_600));
});
