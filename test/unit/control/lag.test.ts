import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultLagTrackerConfig, findHotPartitions, type LagClass, LagSeries, LagTracker } from '../../../src/control/lag.ts';
import { seededRandom } from '../../simulation/model/seeded-random.ts';

/** Feeds lag(t) sampled every second for `seconds`; returns the class after each sample. */
function classify(seconds: number, lagAt: (s: number) => number, productionPerSecond = 2_000): LagClass[] {
  const series = new LagSeries(defaultLagTrackerConfig);
  const classes: LagClass[] = [];
  for (let s = 0; s <= seconds; s++) {
    classes.push(series.add(s * 1_000, Math.max(0, lagAt(s)), s * productionPerSecond).lagClass);
  }
  return classes;
}

test('a flat, noisy lag is steady', () => {
  const random = seededRandom(1);
  const classes = classify(300, () => 50_000 + random.between(-3_000, 3_000));
  assert.deepEqual(new Set(classes), new Set(['steady']));
});

test('a burst that recovers within the sustain time is a spike, never linear', () => {
  // 30 s of +4,000 records/s, then draining at 3,000 records/s back to zero.
  const lagAt = (s: number) => (s < 60 ? 200 : s < 90 ? 200 + 4_000 * (s - 60) : 120_200 - 3_000 * (s - 90));
  const classes = classify(240, lagAt);
  assert.ok(classes.slice(75, 110).every((c) => c === 'spike'), classes.slice(60, 140).join(','));
  assert.ok(!classes.includes('linear') && !classes.includes('exponential'));
  assert.equal(classes.at(-1), 'steady');
});

test('sustained growth at a constant slope is linear once it lasted sustainMs', () => {
  const random = seededRandom(2);
  const lagAt = (s: number) => (s < 30 ? 100 : 3_000 * (s - 30)) + random.between(-2_000, 2_000);
  const classes = classify(400, lagAt);
  const firstLinear = classes.indexOf('linear');
  assert.ok(firstLinear >= 30 + 60 && firstLinear <= 30 + 70, `first linear at ${firstLinear}s`);
  assert.ok(classes.slice(firstLinear).every((c) => c === 'linear'), 'stays linear, never exponential');
});

test('growth whose slope itself grows is exponential', () => {
  // Lag growing as e^(t/60); its slope is above the noise floor (5 % of 2,000/s) from the start.
  const classes = classify(300, (s) => (s < 30 ? 10_000 : 10_000 * Math.exp((s - 30) / 60)));
  assert.equal(classes.at(-1), 'exponential');
  const firstExponential = classes.indexOf('exponential');
  assert.ok(firstExponential > 30 + 60 && firstExponential <= 30 + 120, `first exponential at ${firstExponential}s`);
  assert.ok(!classes.slice(firstExponential).includes('linear'));
});

test('a slope rising steadily (a degrading sink) turns linear growth exponential', () => {
  // Slope 1,000 records/s for 3 minutes, then the deficit grows by 20 records/s every second.
  const lagAt = (s: number) => (s <= 180 ? 1_000 * s : 180_000 + 1_000 * (s - 180) + 10 * (s - 180) ** 2);
  const classes = classify(400, lagAt);
  assert.equal(classes[170], 'linear');
  assert.equal(classes.at(-1), 'exponential');
  assert.ok(classes.indexOf('exponential') > 180);
});

test('the noise floor scales with production: a slope of 2 % of traffic is steady', () => {
  const classes = classify(300, (s) => 200 * s, 10_000);
  assert.deepEqual(new Set(classes), new Set(['steady']));
});

test("the article's kafka-consumer-groups output names partition 2 as hot", () => {
  const hot = findHotPartitions(
    [
      { topic: 'events', partition: 0, lag: 500 },
      { topic: 'events', partition: 1, lag: 200 },
      { topic: 'events', partition: 2, lag: 5_000 },
    ],
    defaultLagTrackerConfig,
  );
  assert.deepEqual(hot, [{ topic: 'events', partition: 2, lag: 5_000, siblingMedianLag: 350 }]);
});

test('even lags, small lags and single partitions are never hot', () => {
  const config = defaultLagTrackerConfig;
  assert.deepEqual(
    findHotPartitions(
      [
        { topic: 'a', partition: 0, lag: 50_000 },
        { topic: 'a', partition: 1, lag: 40_000 },
      ],
      config,
    ),
    [],
  );
  assert.deepEqual(
    findHotPartitions(
      [
        { topic: 'b', partition: 0, lag: 900 },
        { topic: 'b', partition: 1, lag: 0 },
      ],
      config,
    ),
    [],
  );
  assert.deepEqual(findHotPartitions([{ topic: 'c', partition: 0, lag: 1e9 }], config), []);
});

test('LagTracker computes lag from committed offsets, fetch lag, and totals', () => {
  const tracker = new LagTracker();
  const assessment = tracker.record({
    at: 1_000,
    partitions: [
      { topic: 't', partition: 0, logEndOffset: 1_000_500n, committedOffset: 1_000_000n, fetchPosition: 1_000_400n },
      { topic: 't', partition: 1, logEndOffset: 10n, committedOffset: null, fetchPosition: 4n, oldestUnwrittenAgeMs: 750 },
      { topic: 't', partition: 2, logEndOffset: 10n, committedOffset: null },
    ],
  });
  assert.equal(assessment.partitions.length, 2, 'a partition with no known position is left out');
  assert.equal(assessment.partitions[0]!.lag, 500);
  assert.equal(assessment.partitions[0]!.fetchLag, 100);
  assert.equal(assessment.partitions[1]!.lag, 6);
  assert.equal(assessment.total.lag, 506);
  assert.equal(assessment.total.oldestUnwrittenAgeMs, 750);
});
