import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fanOutObservers } from '../../../src/observe/observer-fan-out.ts';
import { RecentDeadLetters } from '../../../src/observe/recent-dead-letters.ts';

test('keeps the newest N dead-letter events, newest first, and counts every record', () => {
  let now = 1_000;
  const recent = new RecentDeadLetters(3, () => now);
  for (let i = 0; i < 5; i++) {
    now += 1;
    recent.deadLettered({ reason: `bad value ${i}`, errorClass: 'poison', code: `pg.2200${i}`, table: 'public.t' }, i + 1);
  }
  const snapshot = recent.snapshot();
  assert.equal(snapshot.totalRecords, 1 + 2 + 3 + 4 + 5);
  assert.deepEqual(snapshot.recent.map((entry) => entry.code), ['pg.22004', 'pg.22003', 'pg.22002']);
  assert.equal(snapshot.recent[0]?.at, 1_005);
});

test('long reasons are shortened for display', () => {
  const recent = new RecentDeadLetters();
  recent.deadLettered({ reason: 'x'.repeat(5_000), errorClass: 'decode', code: 'cdc.malformed_json' }, 1);
  const entry = recent.snapshot().recent[0]!;
  assert.ok(entry.reason.length <= 301);
  assert.equal(entry.table, null);
});

test('the fan-out forwards each callback to every observer that has it', () => {
  const seen: string[] = [];
  const recent = new RecentDeadLetters();
  const observer = fanOutObservers([{ eventSkipped: (reason) => seen.push(`a:${reason}`) }, recent, { eventSkipped: (reason) => seen.push(`b:${reason}`) }]);
  observer.eventSkipped?.('tombstone');
  observer.deadLettered?.({ reason: 'r', errorClass: 'poison', code: 'c' }, 2);
  observer.committed?.([]);
  assert.deepEqual(seen, ['a:tombstone', 'b:tombstone']);
  assert.equal(recent.snapshot().totalRecords, 2);
});
