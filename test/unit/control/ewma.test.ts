import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EwmaVariance } from '../../../src/control/ewma.ts';

test('first observation seeds the mean with zero deviation', () => {
  const ewma = new EwmaVariance(0.4);
  assert.equal(ewma.state(), null);
  assert.deepEqual(ewma.update(100), { mean: 100, deviation: 0 });
});

test('mean follows the weighted recurrence and deviation grows with spread', () => {
  const ewma = new EwmaVariance(0.5);
  ewma.update(100);
  const s = ewma.update(200);
  assert.equal(s.mean, 150);
  // Finch: var = (1 - a)(var + d * a * d) = 0.5 * (0 + 100 * 50) = 2500
  assert.equal(s.deviation, 50);
});

test('a constant series converges to zero deviation', () => {
  const ewma = new EwmaVariance(0.4);
  ewma.update(10);
  ewma.update(30);
  for (let i = 0; i < 100; i++) ewma.update(20);
  const s = ewma.state()!;
  assert.ok(Math.abs(s.mean - 20) < 1e-9);
  assert.ok(s.deviation < 1e-6);
});

test('rejects an alpha outside (0, 1]', () => {
  assert.throws(() => new EwmaVariance(0), RangeError);
  assert.throws(() => new EwmaVariance(1.5), RangeError);
});
