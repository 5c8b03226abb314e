/**
 * drainCovering (exactly-once batches): a batch's highest origin offset per partition becomes
 * the stored high-water mark, so no pending change may keep an origin at or below it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TableCompactor } from '../../../src/pipeline/compactor.ts';
import { encodeRowKey } from '../../../src/pipeline/row-key.ts';
import { type ChangeEvent, itemsSchema, upsert } from '../../support/events.ts';

const table = { namespace: 'public', name: 'items' };

function compactor(events: ChangeEvent[]): TableCompactor {
  const pending = new TableCompactor();
  for (const event of events) {
    if (event.kind !== 'upsert') throw new Error('upserts only here');
    pending.add(event, encodeRowKey(event.key, itemsSchema.key), event.key, 'upsert');
  }
  return pending;
}

function ids(batch: { batch: { changes: readonly { key: ReadonlyMap<string, unknown> }[] } } | null): unknown[] {
  return (batch?.batch.changes ?? []).map((change) => change.key.get('id'));
}

describe('drainCovering', () => {
  test('takes the pending changes whose origins lie below a folded-in later offset', () => {
    // Key 1 at offsets 10 and 90 is one change; keys 2 (20) and 3 (95) are pending beside it.
    const pending = compactor([upsert(1, { name: 'a' }, { offset: 10n }), upsert(2, { name: 'b' }, { offset: 20n }), upsert(1, { name: 'c' }, { offset: 90n }), upsert(3, { name: 'd' }, { offset: 95n })]);
    assert.deepEqual(ids(pending.drainCovering(table, 1)), [1n, 2n]);
    assert.deepEqual(ids(pending.drainCovering(table, 1)), [3n]);
    assert.equal(pending.size, 0);
  });

  test('marks are per partition: an origin in another partition does not pull a change in', () => {
    const pending = compactor([upsert(1, { name: 'a' }, { offset: 50n, partition: 0 }), upsert(2, { name: 'b' }, { offset: 10n, partition: 1 })]);
    assert.deepEqual(ids(pending.drainCovering(table, 1)), [1n]);
    assert.deepEqual(ids(pending.drainCovering(table, 1)), [2n]);
  });

  test('coverage cascades: a change taken for one partition can raise the mark of another', () => {
    const pending = compactor([
      upsert(1, { name: 'a' }, { offset: 5n, partition: 0 }),
      upsert(2, { name: 'b' }, { offset: 3n, partition: 0 }),
      upsert(3, { name: 'c' }, { offset: 7n, partition: 1 }),
      upsert(2, { name: 'b2' }, { offset: 9n, partition: 1 }),
      upsert(4, { name: 'd' }, { offset: 8n, partition: 0 }),
    ]);
    // Key 1 (p0@5) pulls key 2 (p0@3, p1@9), which pulls key 3 (p1@7); key 4 (p0@8) stays.
    assert.deepEqual(ids(pending.drainCovering(table, 1)), [1n, 2n, 3n]);
    assert.deepEqual(ids(pending.drainCovering(table, 10)), [4n]);
  });
});
