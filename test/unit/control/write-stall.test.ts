import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WriteStallDetector } from '../../../src/control/write-stall.ts';
import { seededRandom } from '../../simulation/model/seeded-random.ts';

/** Feeds (at, age) pairs for one partition; returns the verdict after each. */
function verdicts(detector: WriteStallDetector, samples: readonly (readonly [number, number | null])[]): boolean[] {
  return samples.map(([at, age]) => detector.observe('t:0', at, age));
}

test('an age growing with the clock is a stall after two intervals, not after one', () => {
  const detector = new WriteStallDetector();
  const samples = [0, 1, 2, 3, 4].map((s) => [s * 1_000, 5_000 + s * 1_000] as const);
  assert.deepEqual(verdicts(detector, samples), [false, false, true, true, true]);
});

test('a single slow write spanning one interval is not a stall', () => {
  const detector = new WriteStallDetector();
  // Age 2 s, the oldest record then waits one whole interval, then is written.
  const out = verdicts(detector, [
    [0, 2_000],
    [5_000, 2_100],
    [10_000, 7_100],
    [15_000, 2_500],
    [20_000, 7_500],
    [25_000, 2_000],
  ]);
  assert.deepEqual(out, [false, false, false, false, false, false]);
});

test('a steady age with seeded jitter is never a stall', () => {
  const random = seededRandom(11);
  const detector = new WriteStallDetector();
  for (let s = 0; s < 1_000; s++) {
    // The oldest unwritten record is up to half a second older or younger from sample to sample.
    assert.equal(detector.observe('t:0', s * 1_000, 300_000 + random.between(0, 500)), false, `sample ${s}`);
  }
});

test('hysteresis: partial progress keeps the stall, writing at half the elapsed time or more ends it', () => {
  const detector = new WriteStallDetector();
  const out = verdicts(detector, [
    [0, 10_000],
    [1_000, 11_000],
    [2_000, 12_000], // stalled
    [3_000, 12_700], // grew 0.7 s in 1 s: between the ratios, still stalled
    [4_000, 13_400],
    [5_000, 13_800], // grew 0.4 s: writing advanced the oldest record by 0.6 s, resumed
    [6_000, 14_500], // 0.7 again: not enough to start a stall
    [7_000, 15_500],
    [8_000, 16_500], // two intervals at 1.0: stalled again
  ]);
  assert.deepEqual(out, [false, false, true, true, true, false, false, false, true]);
});

test('an unknown age or a revoked partition forgets the history; repeated sample times are ignored', () => {
  const detector = new WriteStallDetector();
  verdicts(detector, [
    [0, 1_000],
    [1_000, 2_000],
  ]);
  assert.equal(detector.observe('t:0', 2_000, null), false);
  assert.deepEqual(
    verdicts(detector, [
      [3_000, 4_000],
      [4_000, 5_000],
      [4_000, 5_000],
      [5_000, 6_000],
    ]),
    [false, false, false, true],
  );
  detector.forget('t:0');
  assert.equal(detector.observe('t:0', 6_000, 7_000), false);
});
