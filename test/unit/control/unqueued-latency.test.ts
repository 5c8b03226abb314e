import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UnqueuedLatencyModel } from '../../../src/control/unqueued-latency.ts';

const close = (actual: number | null, expected: number, tolerance = 1e-6) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance * Math.max(1, expected), `${actual} ≉ ${expected}`);

test('between observed sizes the prediction follows fixed cost + cost per row', () => {
  const model = new UnqueuedLatencyModel(0);
  // The article's sink: 281 ms + 0.0519 ms per row, observed at a few sizes, once queued too.
  for (const rows of [1_000, 2_250, 5_063, 10_000]) model.observe(rows, 281 + 0.0519 * rows);
  model.observe(5_063, 3 * (281 + 0.0519 * 5_063));
  // Buckets are 5 % wide, so the fitted line is within a few per cent of the true one.
  const predicted = model.predict(7_500)!;
  assert.ok(Math.abs(predicted - (281 + 0.0519 * 7_500)) / predicted < 0.03, `${predicted}`);
  close(model.predict(10_000), 281 + 0.0519 * 10_000);
});

test('a single known size extrapolates proportionally above and flat below', () => {
  const model = new UnqueuedLatencyModel(0);
  assert.equal(model.predict(1_000), null);
  model.observe(1_000, 200);
  close(model.predict(2_000), 400);
  close(model.predict(500), 200);
});

test('minimums only fall on observe, rise on reset and drift upwards with age', () => {
  const model = new UnqueuedLatencyModel(0.01);
  model.observe(1_000, 200);
  model.observe(1_000, 300);
  close(model.predict(1_000), 200);
  model.age();
  close(model.predict(1_000), 202);
  model.reset(1_000, 900);
  close(model.predict(1_000), 900);
});
