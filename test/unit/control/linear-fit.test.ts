import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leastSquaresSlopePerSecond, pointsWithin } from '../../../src/control/linear-fit.ts';
import { seededRandom } from '../../simulation/model/seeded-random.ts';

test('slope of an exact line is its rate per second', () => {
  const points = Array.from({ length: 10 }, (_, i) => ({ t: i * 500, v: 100 + 3_000 * (i * 0.5) }));
  assert.ok(Math.abs(leastSquaresSlopePerSecond(points)! - 3_000) < 1e-9);
});

test('slope is unbiased under symmetric noise', () => {
  const random = seededRandom(42);
  const points = Array.from({ length: 300 }, (_, i) => ({ t: i * 1_000, v: -7 * i + random.between(-50, 50) }));
  const slope = leastSquaresSlopePerSecond(points)!;
  assert.ok(Math.abs(slope + 7) < 0.2, `slope ${slope}`);
});

test('no slope from fewer than two points or a single instant', () => {
  assert.equal(leastSquaresSlopePerSecond([]), null);
  assert.equal(leastSquaresSlopePerSecond([{ t: 1, v: 1 }]), null);
  assert.equal(
    leastSquaresSlopePerSecond([
      { t: 5, v: 1 },
      { t: 5, v: 9 },
    ]),
    null,
  );
});

test('pointsWithin keeps the half-open window (now - w, now]', () => {
  const points = [0, 1_000, 2_000, 3_000].map((t) => ({ t, v: t }));
  assert.deepEqual(
    pointsWithin(points, 3_000, 2_000).map((p) => p.t),
    [2_000, 3_000],
  );
});
