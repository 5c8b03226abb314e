import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LagTracker } from '../../../src/control/lag.ts';
import { oneShotTrackerConfig } from '../../../src/cli/lag.ts';

/** Lag growing `slope` records/s from `start`, sampled `samples` times `intervalMs` apart. */
function classify(samples: number, intervalMs: number, start: number, slope: number): { lagClass: string; shortSlope: number } {
  const tracker = new LagTracker(oneShotTrackerConfig(samples, intervalMs));
  const production = 1_000;
  let last = { lagClass: 'steady', shortSlope: 0 };
  for (let i = 0; i < samples; i++) {
    const seconds = (i * intervalMs) / 1000;
    const logEnd = 1_000_000 + Math.round(production * seconds);
    const lag = Math.round(start + slope * seconds);
    const assessment = tracker.record({ at: i * intervalMs, partitions: [{ topic: 't', partition: 0, logEndOffset: BigInt(logEnd), committedOffset: BigInt(logEnd - lag) }] });
    last = assessment.partitions[0]!;
  }
  return last;
}

test('a one-shot run of a few samples calls sustained growth linear, with the slope measured', () => {
  const result = classify(5, 1_000, 50_000, 400);
  assert.equal(result.lagClass, 'linear');
  assert.ok(Math.abs(result.shortSlope - 400) < 1, `slope ${result.shortSlope}`);
});

test('a draining lag is a spike being absorbed; a flat small lag is steady', () => {
  assert.equal(classify(5, 1_000, 50_000, -2_000).lagClass, 'spike');
  assert.equal(classify(5, 1_000, 100, 0).lagClass, 'steady');
});
