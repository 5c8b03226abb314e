/**
 * The pipeline applies Decision.concurrency to a p-limit instance (`limit.concurrency = n`).
 * This pins the library behaviour that relies on: raising the limit starts queued work, lowering
 * it lets running work finish and holds the rest back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pLimit from 'p-limit';

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('p-limit follows a changing concurrency decision', async () => {
  const limit = pLimit(1);
  const releases: (() => void)[] = [];
  const tasks = Array.from({ length: 6 }, () =>
    limit(
      () =>
        new Promise<void>((resolve) => {
          releases.push(resolve);
        }),
    ),
  );
  await until(() => limit.activeCount === 1, 'one running');
  limit.concurrency = 4;
  await until(() => limit.activeCount === 4, 'four running after raising the limit');
  limit.concurrency = 2;
  releases.shift()!();
  await until(() => limit.activeCount === 3, 'the finished task not replaced');
  releases.shift()!();
  releases.shift()!();
  await until(() => limit.activeCount === 2 && limit.pendingCount === 1, 'two running under the lower limit');
  await until(() => {
    for (const release of releases.splice(0)) release();
    return limit.activeCount === 0 && limit.pendingCount === 0;
  }, 'everything finished');
  await Promise.all(tasks);
  assert.equal(limit.concurrency, 2);
});
