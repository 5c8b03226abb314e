import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdaptiveConcurrency, type ConcurrencyInterval } from '../../../src/control/adaptive-concurrency.ts';

const healthy = (latencyMs: number, reachedLimit = true): ConcurrencyInterval => ({
  meanLatencyMs: latencyMs,
  backpressure: false,
  unavailable: false,
  reachedLimit,
});
const backpressured: ConcurrencyInterval = { meanLatencyMs: null, backpressure: true, unavailable: false, reachedLimit: true };
const down: ConcurrencyInterval = { meanLatencyMs: null, backpressure: false, unavailable: true, reachedLimit: true };

test('slow start doubles per interval up to the maximum, after one interval to seed the baseline', () => {
  const c = new AdaptiveConcurrency({ max: 8 });
  const limits = [1, 2, 3, 4, 5].map(() => c.step(healthy(100)).limit);
  assert.deepEqual(limits, [1, 2, 4, 8, 8]);
});

test('no increase without demand: the limit was never reached', () => {
  const c = new AdaptiveConcurrency({ max: 8 });
  c.step(healthy(100));
  assert.equal(c.step(healthy(100, false)).change, 'hold');
});

test('a latency rise beyond the deviation band is a multiplicative decrease, then +1 steps', () => {
  const c = new AdaptiveConcurrency({ max: 16, initial: 10 });
  c.step(healthy(100));
  const down = c.step(healthy(200));
  assert.equal(down.change, 'decrease');
  assert.equal(down.limit, 9, 'floor(10 × 0.9)');
  assert.match(down.reason!, /rose above/);
  // Latency back at or below the (now higher) mean: additive increase, slow start is over.
  assert.equal(c.step(healthy(100)).limit, 10);
  assert.equal(c.step(healthy(100)).limit, 11);
});

test('small jitter within the band neither decreases nor blocks later increases', () => {
  const c = new AdaptiveConcurrency({ max: 8, initial: 4 });
  c.step(healthy(100));
  assert.notEqual(c.step(healthy(105)).change, 'decrease', '5 % is inside the minimum 10 % band');
});

test('backpressure cuts by the backpressure ratio and ends slow start', () => {
  const c = new AdaptiveConcurrency({ max: 16, initial: 8 });
  const cut = c.step(backpressured);
  assert.equal(cut.limit, 5, 'floor(8 × 0.7)');
  assert.match(cut.reason!, /backpressure/);
  c.step(healthy(100));
  assert.equal(c.step(healthy(100)).limit, 6, 'additive after a backpressure decrease');
});

test('every decrease takes at least one and never goes below the minimum', () => {
  const c = new AdaptiveConcurrency({ max: 4, initial: 2, backpressureDecreaseRatio: 0.99 });
  assert.equal(c.step(backpressured).limit, 1);
  assert.equal(c.step(backpressured).limit, 1);
  assert.equal(c.step(backpressured).change, 'hold');
});

test('after an outage, slow start warms back up to the last good limit, then goes additive', () => {
  const c = new AdaptiveConcurrency({ max: 16, initial: 1 });
  c.step(healthy(100));
  for (const expected of [2, 4, 8]) assert.equal(c.step(healthy(100)).limit, expected);
  c.step(healthy(130)); // a 30 % rise: 8 → 7, threshold 7
  assert.equal(c.limit, 7);
  c.step(healthy(110, false));
  assert.equal(c.lastGood, 7);
  const outage = [c.step(down), c.step(down), c.step(down), c.step(down)].map((s) => s.limit);
  assert.deepEqual(outage, [4, 2, 1, 1]);
  c.resetBaseline();
  c.step(healthy(100)); // re-seed the baseline
  const recovery = [1, 2, 3, 4].map(() => c.step(healthy(100)).limit);
  assert.deepEqual(recovery, [2, 4, 7, 8], 'doubling capped at the last good 7, then +1');
});

test('an explicit initial value (persisted last good) is the warm start after a restart', () => {
  const c = new AdaptiveConcurrency({ max: 8, initial: 6 });
  assert.equal(c.limit, 6);
  assert.equal(new AdaptiveConcurrency({ max: 8, initial: 20 }).limit, 8, 'clamped to the bounds');
});

test('a sink with two slots that queues the rest: the limit settles at a queue of one or two', () => {
  const c = new AdaptiveConcurrency({ max: 16 });
  const serviceMs = 800;
  const limits: number[] = [];
  for (let i = 0; i < 60; i++) {
    // Two statements run at once; with N in flight each waits for N / 2 service times.
    limits.push(c.step(healthy(serviceMs * Math.max(1, c.limit / 2))).limit);
  }
  const settled = limits.slice(20);
  assert.ok(Math.min(...settled) >= 2 && Math.max(...settled) <= 4, `limits ${limits.join(',')}`);
});

test('the queue estimate is limit × (1 − unqueued / current latency)', () => {
  const c = new AdaptiveConcurrency({ max: 16, initial: 4 });
  c.step(healthy(100, false));
  assert.equal(c.estimatedQueue(200), 2);
  assert.equal(c.estimatedQueue(100), 0);
});
