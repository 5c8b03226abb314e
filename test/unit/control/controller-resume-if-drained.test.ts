/**
 * resumeIfDrained(): memory pauses end as soon as releases bring usage to the resume threshold
 * (not at the next tick), and never end a pause the saturated sink still needs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Controller } from '../../../src/control/controller.ts';

const partitions = [0, 1, 2, 3].map((partition) => ({ topic: 'orders', partition }));
const MiB = 1_048_576;

function pausedForMemory(): Controller {
  const controller = new Controller({ maxInflightBytes: 10 * MiB, headroomBytes: 2 * MiB, resumeFraction: 0.5, saturationMs: 1_000 });
  controller.assign(partitions);
  assert.deepEqual(controller.admit(partitions[0]!, 8 * MiB, 8_000), partitions);
  return controller;
}

test('memory pauses end at the resume threshold, between ticks, once', () => {
  const controller = pausedForMemory();
  controller.release(partitions[0]!, 2 * MiB); // 6 MiB: above the resume threshold (5 MiB)
  assert.deepEqual(controller.resumeIfDrained(), []);
  controller.release(partitions[0]!, 1 * MiB); // 5 MiB
  assert.deepEqual(controller.resumeIfDrained(), partitions);
  assert.equal(controller.snapshot().paused.length, 0);
  assert.deepEqual(controller.resumeIfDrained(), [], 'already resumed');
  assert.deepEqual(controller.tick(1_000).resumePartitions, [], 'the tick does not resume them again');
});

test('a pause for a saturated sink outlives the memory pause', () => {
  const controller = pausedForMemory();
  const attempt = controller.beginWrite({ rows: 1_000, bytes: 0 }, 0);
  controller.endWrite(attempt, 10, 'retryable');
  assert.ok(controller.tick(2_000).events.some((event) => event.kind === 'sink-saturated'));
  controller.release(partitions[0]!, 8 * MiB);
  assert.deepEqual(controller.resumeIfDrained(), []);
  assert.ok(controller.snapshot().paused.every((p) => p.causes.length === 1 && p.causes[0] === 'sink'));
});
