import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leastSquaresSlopePerSecond, pointsWithin, TimeSeriesWindow } from '../../../src/control/linear-fit.ts';
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

test('TimeSeriesWindow fits the same slopes as the array form, over half-open and closed windows', () => {
  const random = seededRandom(3);
  const window = new TimeSeriesWindow();
  const points: { t: number; v: number }[] = [];
  for (let i = 0; i < 2_000; i++) {
    const point = { t: i * 1_000, v: 50 * i + random.between(-500, 500) };
    points.push(point);
    window.push(point.t, point.v);
  }
  window.dropUpTo(1_500_000);
  assert.equal(window.length, 499);
  const expected = leastSquaresSlopePerSecond(pointsWithin(points, 1_999_000, 30_000))!;
  assert.ok(Math.abs(window.slopeAfter(1_999_000 - 30_000)! - expected) < 1e-9);
  const since = window.summarySince(1_990_000);
  assert.equal(since.count, 10);
  assert.equal(since.spanMs, 9_000);
  assert.ok(Math.abs(window.slopeSince(1_990_000)! - leastSquaresSlopePerSecond(points.slice(1_990))!) < 1e-9);
  assert.equal(new TimeSeriesWindow().slopeAfter(0), null);
});
