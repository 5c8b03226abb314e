/**
 * The retention warning for a partition whose writing has stalled (write-stall.ts): raised at
 * once, while the loss is still avoidable, whatever the lag class; not raised for a healthy lag
 * or a spike being absorbed; cleared when writing resumes. One partition is modelled in 100 ms
 * steps: records are produced at a (seeded, jittered) rate with their timestamps, the sink writes
 * up to `writeRate` records/s of what was produced at least `behindS` seconds ago, and the
 * controller samples lag (with the age of the oldest unwritten record) every `sampleEveryS`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Controller, type ControllerEvent } from '../../../src/control/controller.ts';
import type { LagClass } from '../../../src/control/lag.ts';
import { seededRandom } from '../../simulation/model/seeded-random.ts';

interface Phase {
  /** The phase lasts until this second. */
  readonly untilS: number;
  readonly productionRate: number;
  /** Records/s the sink writes at most; 0 = stalled. */
  readonly writeRate: number;
  /** The sink writes what was produced at least this long ago (its steady lag, in seconds). */
  readonly behindS: number;
}

interface Sample {
  readonly t: number;
  readonly ageS: number | null;
  readonly lagClass: LagClass | undefined;
  readonly events: readonly ControllerEvent[];
}

const stepS = 0.1;

function runPartition(options: {
  readonly seed: number;
  readonly retentionMs: number;
  readonly warningSeconds: number;
  readonly sampleEveryS: number;
  readonly phases: readonly Phase[];
}): Sample[] {
  const random = seededRandom(options.seed);
  const controller = new Controller({ retentionWarningSeconds: options.warningSeconds });
  const partition = { topic: 'orders', partition: 0 };
  controller.assign([partition]);
  controller.setRetention('orders', { ms: options.retentionMs, bytes: -1 });
  // Cumulative production (records) at each step, from an hour before t = 0 so the sink can
  // start behind; history[i] is the count produced by time (i − preloadSteps) × stepS.
  const preloadSteps = 3_600 / stepS;
  const history: number[] = [];
  const firstRate = options.phases[0]!.productionRate;
  for (let i = 0; i <= preloadSteps; i++) history.push(i * stepS * firstRate);
  const producedBy = (t: number): number => {
    const index = Math.max(0, Math.min(history.length - 1, Math.floor(t / stepS) + preloadSteps));
    return history[index]!;
  };
  /** Production time of the record at `offset`: the first step by which it had been produced. */
  const timestampOf = (offset: number): number => {
    let low = 0;
    let high = history.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (history[middle]! > offset) high = middle;
      else low = middle + 1;
    }
    return (low - preloadSteps) * stepS;
  };
  let committed = producedBy(-options.phases[0]!.behindS);
  const samples: Sample[] = [];
  const endS = options.phases.at(-1)!.untilS;
  const sampleEverySteps = Math.round(options.sampleEveryS / stepS);
  for (let step = 1; step * stepS <= endS; step++) {
    const t = step * stepS;
    const phase = options.phases.find((p) => t <= p.untilS)!;
    history.push(history.at(-1)! + phase.productionRate * stepS * random.between(0.9, 1.1));
    // The sink's position jitters by up to 0.3 s of production around its steady lag.
    const writable = producedBy(t - phase.behindS - random.between(0, 0.3));
    committed = Math.max(committed, Math.min(writable, committed + phase.writeRate * stepS));
    if (step % sampleEverySteps !== 0) continue;
    const logEnd = history.at(-1)!;
    const ageS = committed < logEnd ? t - timestampOf(committed) : null;
    const assessment = controller.recordLag({
      at: t * 1_000,
      partitions: [
        {
          ...partition,
          logEndOffset: BigInt(Math.floor(logEnd)),
          committedOffset: BigInt(Math.floor(committed)),
          oldestUnwrittenAgeMs: ageS === null ? null : Math.round(ageS * 1_000),
        },
      ],
    });
    const events = controller.tick(t * 1_000).events;
    samples.push({ t, ageS, lagClass: assessment.partitions[0]?.lagClass, events });
  }
  return samples;
}

type RetentionEvent = Extract<ControllerEvent, { kind: 'retention-risk' | 'retention-risk-cleared' }> & { readonly t: number };

function risks(samples: readonly Sample[]): RetentionEvent[] {
  const found: RetentionEvent[] = [];
  for (const s of samples) {
    for (const e of s.events) if (e.kind === 'retention-risk' || e.kind === 'retention-risk-cleared') found.push({ ...e, t: s.t });
  }
  return found;
}

test('a stalled partition is warned at once, minutes before its oldest unwritten record is deleted', () => {
  // 10 min retention, warn within 5 min. The sink runs 320 s behind (steady, healthy) and
  // stops writing at 200 s: the oldest unwritten record is then due for deletion at about 480 s.
  const samples = runPartition({
    seed: 41,
    retentionMs: 600_000,
    warningSeconds: 300,
    sampleEveryS: 5,
    phases: [
      { untilS: 200, productionRate: 1_000, writeRate: 5_000, behindS: 320 },
      { untilS: 500, productionRate: 1_000, writeRate: 0, behindS: 320 },
    ],
  });
  const events = risks(samples);
  const first = events[0];
  assert.ok(first !== undefined && first.kind === 'retention-risk', JSON.stringify(events));
  // Two sample intervals of a stall.
  assert.ok(first.t > 200 && first.t <= 215, `first warning at ${first.t} s`);
  const atWarning = samples.find((s) => s.t === first.t)!;
  assert.ok(atWarning.lagClass !== 'linear' && atWarning.lagClass !== 'exponential', `lag class ${atWarning.lagClass}: the trend alone would not have warned yet`);
  assert.equal(first.writingStalled, true);
  assert.equal(first.limitedBy, 'time');
  // The ETA is retention.ms − age, to the second.
  assert.ok(Math.abs(first.etaSeconds - (600 - atWarning.ageS!)) < 1, `eta ${first.etaSeconds}, age ${atWarning.ageS}`);
  const dueAt = samples.find((s) => (s.ageS ?? 0) >= 600)!.t;
  assert.ok(first.etaSeconds > 250 && dueAt - first.t > 250, `warned at ${first.t} s with ${first.etaSeconds} s left, due at ${dueAt} s`);
  // No flapping: never cleared while stalled, each repeat at half the time left or less, then deletion.
  assert.ok(events.every((e) => e.kind === 'retention-risk'), JSON.stringify(events));
  const etas = events.map((e) => (e.kind === 'retention-risk' ? e.etaSeconds : -1));
  for (let i = 1; i < etas.length; i++) assert.ok(etas[i]! <= etas[i - 1]! / 2 || etas[i] === 0, `ETAs ${etas.join(', ')}`);
  assert.equal(etas.at(-1), 0, 'reported again when deletion is due');
  assert.ok(Math.abs(events.at(-1)!.t - dueAt) <= 5, `deletion reported at ${events.at(-1)!.t} s, due at ${dueAt} s`);
});

test('a steady lag, small or large, raises no warning even when a stall would be within the window', () => {
  // 5 min retention and a 15 min window: any stall would warn, the healthy partitions must not.
  for (const behindS of [0.5, 200]) {
    const samples = runPartition({
      seed: 42,
      retentionMs: 300_000,
      warningSeconds: 900,
      sampleEveryS: 1,
      phases: [{ untilS: 600, productionRate: 2_000, writeRate: 10_000, behindS }],
    });
    assert.deepEqual(risks(samples), [], `${behindS} s behind`);
    assert.ok(samples.every((s) => s.ageS !== null && Math.abs(s.ageS - behindS) < 1.5), `${behindS} s behind: the age stays put`);
  }
});

test('a spike being absorbed raises no warning', () => {
  // 20 s at 5× the production; the sink writes 1.5× the normal rate, so the oldest unwritten
  // record ages while the burst's records are written (0.7 s per s), then the backlog drains.
  const samples = runPartition({
    seed: 43,
    retentionMs: 300_000,
    warningSeconds: 900,
    sampleEveryS: 1,
    phases: [
      { untilS: 100, productionRate: 1_000, writeRate: 1_500, behindS: 0.5 },
      { untilS: 120, productionRate: 5_000, writeRate: 1_500, behindS: 0.5 },
      { untilS: 400, productionRate: 1_000, writeRate: 1_500, behindS: 0.5 },
    ],
  });
  assert.deepEqual(risks(samples), []);
  assert.ok(samples.some((s) => s.lagClass === 'spike'), 'classified as a spike');
  const oldest = Math.max(...samples.map((s) => s.ageS ?? 0));
  assert.ok(oldest > 30, `the oldest unwritten record reached ${oldest} s`);
  assert.ok((samples.at(-1)!.ageS ?? 0) < 2, 'drained');
});

test('the warning clears when writing resumes', () => {
  const samples = runPartition({
    seed: 44,
    retentionMs: 600_000,
    warningSeconds: 300,
    sampleEveryS: 5,
    phases: [
      { untilS: 200, productionRate: 1_000, writeRate: 5_000, behindS: 320 },
      { untilS: 300, productionRate: 1_000, writeRate: 0, behindS: 320 },
      { untilS: 600, productionRate: 1_000, writeRate: 3_000, behindS: 320 },
    ],
  });
  const events = risks(samples);
  assert.equal(events[0]?.kind, 'retention-risk', JSON.stringify(events));
  const cleared = events.findIndex((e) => e.kind === 'retention-risk-cleared');
  assert.ok(cleared > 0, JSON.stringify(events));
  assert.ok(events[cleared]!.t > 300 && events[cleared]!.t <= 305, `cleared at ${events[cleared]!.t} s`);
  assert.equal(events.length, cleared + 1, `nothing after the clearance: ${JSON.stringify(events)}`);
  assert.ok(events.slice(0, cleared).every((e) => e.kind === 'retention-risk' && e.t < 300));
});
