import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Controller } from '../../../src/control/controller.ts';
import { InflightBudget } from '../../../src/control/inflight-budget.ts';
import { seededRandom } from '../../simulation/model/seeded-random.ts';

const partitions = [0, 1, 2, 3].map((partition) => ({ topic: 'orders', partition }));
const MiB = 1_048_576;

function controllerWithBudget() {
  const controller = new Controller({ maxInflightBytes: 10 * MiB, headroomBytes: 2 * MiB, resumeFraction: 0.5 });
  controller.assign(partitions);
  return controller;
}

test('admit pauses every partition at the pause threshold (max − headroom), once', () => {
  const controller = controllerWithBudget();
  assert.deepEqual(controller.admit(partitions[0]!, 7 * MiB, 7_000), []);
  const paused = controller.admit(partitions[1]!, 1 * MiB, 1_000);
  assert.deepEqual(paused, partitions);
  assert.deepEqual(controller.admit(partitions[2]!, 1 * MiB, 1_000), [], 'already paused');
  assert.deepEqual(controller.tick(1_000).pausePartitions, []);
});

test('hysteresis: resume only at or below the low watermark', () => {
  const controller = controllerWithBudget();
  controller.admit(partitions[0]!, 8 * MiB, 8_000);
  controller.release(partitions[0]!, 2 * MiB); // 6 MiB: below pause, above resume (5 MiB)
  assert.deepEqual(controller.tick(1_000).resumePartitions, []);
  controller.release(partitions[0]!, 1 * MiB); // 5 MiB
  const decision = controller.tick(2_000);
  assert.deepEqual(decision.resumePartitions, partitions);
  assert.match(decision.reasons.join('\n'), /resuming 4 partition/);
  assert.equal(controller.snapshot().paused.length, 0);
});

test('the memory bound holds for any fetch pattern when headroom covers one fetch', () => {
  const random = seededRandom(7);
  const fetchMaxBytes = 2 * MiB;
  const controller = new Controller({ maxInflightBytes: 10 * MiB, headroomBytes: fetchMaxBytes });
  controller.assign(partitions);
  const paused = new Set<number>();
  const held = partitions.map(() => 0);
  let now = 0;
  for (let round = 0; round < 5_000; round++) {
    now += 100;
    // One fetch response: up to fetch.max.bytes spread over the unpaused partitions.
    let left = fetchMaxBytes;
    for (const p of partitions) {
      if (paused.has(p.partition) || left <= 0) continue;
      const bytes = Math.min(left, Math.floor(random.between(0, fetchMaxBytes)));
      left -= bytes;
      held[p.partition]! += bytes;
      for (const q of controller.admit(p, bytes, Math.max(1, bytes >> 10))) paused.add(q.partition);
    }
    // The sink writes a random amount.
    for (const p of partitions) {
      const written = Math.min(held[p.partition]!, Math.floor(random.between(0, 0.3 * MiB)));
      held[p.partition]! -= written;
      controller.release(p, written);
    }
    if (round % 10 === 0) {
      const d = controller.tick(now);
      for (const q of d.pausePartitions) paused.add(q.partition);
      for (const q of d.resumePartitions) paused.delete(q.partition);
    }
    const used = held.reduce((a, b) => a + b, 0);
    assert.ok(used <= 10 * MiB, `round ${round}: ${used} bytes held`);
    assert.equal(controller.snapshot().inflight.usedBytes, used);
  }
  assert.ok(controller.snapshot().inflight.peakBytes > 8 * MiB, 'the test did reach the threshold');
});

test('a headroom that leaves no budget is refused', () => {
  assert.throws(() => new InflightBudget({ maxBytes: MiB, headroomBytes: MiB, resumeFraction: 0.5 }), /headroom/);
});

test('backpressure shrinks both knobs and says why', () => {
  const controller = new Controller({ batchSize: { initial: 8_000 }, concurrency: { initial: 4, max: 8 } });
  const attempt = controller.beginWrite({ rows: 8_000, bytes: 8e6 }, 0);
  controller.endWrite(attempt, 400, 'backpressure');
  const d = controller.tick(1_000);
  assert.equal(d.concurrency, 2, 'floor(4 × 0.7)');
  assert.equal(d.batchSize, 6_000);
  assert.equal(d.reasons.length, 2);
  assert.match(d.reasons[0]!, /backpressure: concurrency 4 → 2/);
  assert.match(d.reasons[1]!, /backpressure: batch 8000 → 6000/);
});

test('one knob grows per interval: a batch-size change holds concurrency', () => {
  const controller = new Controller({ concurrency: { max: 8 } });
  let now = 0;
  const sizes: number[] = [];
  const limits: number[] = [];
  for (let interval = 0; interval < 12; interval++) {
    for (let w = 0; w < 3; w++) {
      const rows = controller.batchSize;
      const attempt = controller.beginWrite({ rows, bytes: rows * 1_000 }, now);
      now += 281 + 0.0519 * rows;
      controller.endWrite(attempt, now, null);
    }
    const d = controller.tick(now);
    sizes.push(d.batchSize);
    limits.push(d.concurrency);
    if (interval > 0) {
      const sizeChanged = sizes.at(-1) !== sizes.at(-2);
      const limitChanged = limits.at(-1) !== limits.at(-2);
      assert.ok(!(sizeChanged && limitChanged), `interval ${interval}: both knobs moved`);
    }
  }
  assert.equal(sizes.at(-1), 10_000);
  assert.ok(limits.at(-1)! >= 2, `concurrency grew after batch size settled: ${limits}`);
});

test('no successful write for saturationMs pauses everything; the first success resumes', () => {
  const controller = new Controller({ saturationMs: 3_000 });
  controller.assign(partitions);
  let paused: number[] = [];
  for (let t = 1_000; t <= 5_000; t += 1_000) {
    const attempt = controller.beginWrite({ rows: 1_000, bytes: 1e6 }, t - 900);
    controller.endWrite(attempt, t - 100, 'retryable');
    const d = controller.tick(t);
    if (d.pausePartitions.length > 0) {
      paused = d.pausePartitions.map((p) => p.partition);
      assert.ok(d.events.some((e) => e.kind === 'sink-saturated'));
      assert.ok(t >= 3_000, `paused at ${t}`);
    }
  }
  assert.deepEqual(paused, [0, 1, 2, 3]);
  assert.equal(controller.snapshot().sinkSaturated, true);
  const attempt = controller.beginWrite({ rows: 1_000, bytes: 1e6 }, 5_100);
  controller.endWrite(attempt, 5_500, null);
  const d = controller.tick(6_000);
  assert.deepEqual(
    d.resumePartitions.map((p) => p.partition),
    [0, 1, 2, 3],
  );
  assert.ok(d.events.some((e) => e.kind === 'sink-recovered'));
});

test('lag samples produce class-change and hot-partition events once, and a retention warning', () => {
  const controller = new Controller({ retentionWarningSeconds: 7_200 });
  controller.assign(partitions);
  controller.setRetention('orders', { ms: 3_600_000, bytes: -1 });
  controller.admit(partitions[0]!, 1_000, 1);
  const seen: string[] = [];
  for (let s = 0; s <= 200; s++) {
    controller.recordLag({
      at: s * 1_000,
      partitions: partitions.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        logEndOffset: BigInt(s * 1_000),
        // Partition 3 falls behind at 500 records/s; the others keep up.
        committedOffset: BigInt(p.partition === 3 ? s * 500 : s * 1_000 - 50),
      })),
    });
    for (const e of controller.tick(s * 1_000).events) seen.push(e.kind === 'hot-partition' ? `hot:${e.partition}` : e.kind);
  }
  assert.equal(seen.filter((k) => k === 'hot:3').length, 1);
  assert.ok(!seen.some((k) => k.startsWith('hot:') && k !== 'hot:3'));
  assert.ok(seen.includes('lag-class-changed'));
  // 7,000 s left when first seen under the 7,200 s threshold; not yet halved.
  assert.equal(seen.filter((k) => k === 'retention-risk').length, 1);
  const snapshot = controller.snapshot();
  assert.equal(snapshot.lag?.partitions.find((p) => p.partition === 3)?.lagClass, 'linear');
  controller.recordLag({
    at: 201_000,
    partitions: [{ topic: 'orders', partition: 3, logEndOffset: 201_000n, committedOffset: 100_500n }],
  });
  assert.equal(controller.snapshot().retention.partitions.length, 1, 'ETAs follow each lag sample, not only ticks');
  const earliest = snapshot.retention.earliest;
  assert.equal(earliest?.partition, 3);
  // 1 h of retention at 1,000 records/s = 3.6M records; lag 100,000 growing 500/s.
  assert.ok(earliest?.eta.kind === 'breach' && Math.abs(earliest.eta.seconds - 7_000) < 10);
});

test('the bottleneck change is an event and the snapshot carries the stage table', () => {
  const controller = new Controller({ stageWindowMs: 1_000 });
  controller.stages.meter('batch-queue').record('backpressured', 0, 900);
  controller.stages.meter('write').record('busy', 0, 950);
  const d = controller.tick(1_000);
  assert.deepEqual(
    d.events.filter((e) => e.kind === 'bottleneck-changed'),
    [{ kind: 'bottleneck-changed', from: null, to: 'write' }],
  );
  assert.equal(controller.snapshot().bottleneck, 'write');
  assert.equal(controller.snapshot().stages?.stages.length, 5);
});

test('a write that neither succeeds nor fails for stalledWriteMs is reported once, and its end too', () => {
  const controller = new Controller({ stalledWriteMs: 30_000 });
  const attempt = controller.beginWrite({ rows: 1_000, bytes: 1e6 }, 0);
  const kinds = (now: number) => controller.tick(now).events.map((e) => e.kind);
  assert.deepEqual(kinds(29_000), []);
  assert.deepEqual(kinds(30_000), ['writes-stalled']);
  assert.equal(controller.snapshot().oldestWriteMs, 30_000);
  assert.deepEqual(kinds(31_000), []);
  controller.endWrite(attempt, 95_000, null);
  assert.ok(kinds(96_000).includes('writes-flowing'));
  assert.equal(controller.snapshot().oldestWriteMs, null);
});
