import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UNCHANGED } from '../../../src/cdc/types.ts';
import { TableCompactor } from '../../../src/pipeline/compactor.ts';
import { encodeRowKey } from '../../../src/pipeline/row-key.ts';
import type { RowChange } from '../../../src/writer/types.ts';
import { type ChangeEvent, itemsSchema, remove, row, upsert } from '../../support/events.ts';

const table = { namespace: 'public', name: 'items' };

function compact(events: ChangeEvent[]): RowChange[] {
  const compactor = new TableCompactor();
  for (const event of events) {
    if (event.kind === 'truncate') throw new Error('not here');
    if (event.kind === 'upsert' && event.previousKey !== null) {
      compactor.add(event, encodeRowKey(event.previousKey, itemsSchema.key), event.previousKey, 'delete');
    }
    compactor.add(event, encodeRowKey(event.key, itemsSchema.key), event.key, event.kind);
  }
  return [...(compactor.drain(table, Number.MAX_SAFE_INTEGER, new Set())?.batch.changes ?? [])];
}

function byId(changes: RowChange[]): Map<bigint, RowChange> {
  return new Map(changes.map((change) => [change.key.get('id') as bigint, change]));
}

describe('table compaction', () => {
  test('keeps only the last change per key, with every folded record in origins', () => {
    const changes = compact([upsert(1, { name: 'a' }, { offset: 10n }), upsert(1, { name: 'b' }, { offset: 11n }), upsert(2, { name: 'x' }, { offset: 12n })]);
    assert.equal(changes.length, 2);
    const one = byId(changes).get(1n)!;
    assert.equal(one.kind, 'upsert');
    assert.equal(one.kind === 'upsert' && one.row.get('name'), 'b');
    assert.deepEqual(one.origins.map((origin) => origin.offset), [10n, 11n]);
  });

  test('a delete after an upsert deletes', () => {
    const changes = compact([upsert(1, { name: 'a' }), remove(1)]);
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.kind, 'delete');
  });

  test('a re-insert after a delete is an upsert whose unknown columns are NULL, not kept', () => {
    const changes = compact([upsert(1, { name: 'a', body: 'long' }), remove(1), upsert(1, { name: 'c', body: UNCHANGED })]);
    const change = changes[0]!;
    assert.equal(change.kind, 'upsert');
    assert.equal(change.kind === 'upsert' && change.row.get('body'), null);
    assert.equal(change.kind === 'upsert' && change.row.get('name'), 'c');
  });

  test('a TOAST-placeholder update merges the known value from an earlier change of the same batch', () => {
    const changes = compact([upsert(1, { name: 'a', body: 'the long text' }), upsert(1, { name: 'b', body: UNCHANGED })]);
    const change = changes[0]!;
    assert.equal(change.kind === 'upsert' && change.row.get('body'), 'the long text');
    assert.equal(change.kind === 'upsert' && change.row.get('name'), 'b');
  });

  test('a TOAST-placeholder update alone keeps the placeholder so the writer leaves the column unchanged', () => {
    const changes = compact([upsert(1, { name: 'b', body: UNCHANGED })]);
    assert.equal(changes[0]!.kind === 'upsert' && changes[0]!.row.get('body'), UNCHANGED);
  });

  test('an update that moves the key deletes the old key and upserts the new one', () => {
    const changes = byId(compact([upsert(1, { name: 'a' }), upsert(2, { name: 'a' }, {}, 1)]));
    assert.equal(changes.get(1n)!.kind, 'delete');
    assert.equal(changes.get(2n)!.kind, 'upsert');
  });

  test('version is the newest LSN folded in, or the offset when there is none', () => {
    const withLsn = compact([upsert(1, { name: 'a' }, { lsn: 500n, offset: 1n }), upsert(1, { name: 'b' }, { lsn: 700n, offset: 2n })]);
    assert.equal(withLsn[0]!.version, 700n);
    const withoutLsn = compact([upsert(3, { name: 'a' }, { offset: 41n })]);
    assert.equal(withoutLsn[0]!.version, 41n);
  });

  test('drain cuts at most maxRows and leaves the rest pending', () => {
    const compactor = new TableCompactor();
    for (let id = 0; id < 25; id++) {
      const event = upsert(id, { name: `n${id}` });
      compactor.add(event, encodeRowKey(event.key, ['id']), event.key, 'upsert');
    }
    assert.equal(compactor.drain(table, 10, new Set())?.batch.changes.length, 10);
    assert.equal(compactor.size, 15);
    assert.equal(compactor.drain(table, 100, new Set())?.batch.changes.length, 15);
    assert.equal(compactor.drain(table, 100, new Set()), null);
  });

  test('drain skips keys still in flight, so their newer changes wait for the older write', () => {
    const compactor = new TableCompactor();
    for (let id = 0; id < 5; id++) {
      const event = upsert(id, { name: `n${id}` });
      compactor.add(event, encodeRowKey(event.key, ['id']), event.key, 'upsert');
    }
    const busy = new Set([encodeRowKey(row({ id: 1n }), ['id']), encodeRowKey(row({ id: 3n }), ['id'])]);
    const cut = compactor.drain(table, 100, busy)!;
    assert.deepEqual(cut.batch.changes.map((change) => change.key.get('id')), [0n, 2n, 4n]);
    assert.equal(cut.keys.length, 3);
    assert.equal(compactor.size, 2);
    assert.equal(compactor.drain(table, 100, busy), null, 'only busy keys are left');
  });

  test('random sequences compact to the same final state as applying every event in order', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 50; round++) {
      const events: ChangeEvent[] = [];
      for (let index = 0; index < 40; index++) {
        const id = Math.floor(random() * 6);
        const roll = random();
        if (roll < 0.25) events.push(remove(id));
        else events.push(upsert(id, { name: `v${index}`, body: roll < 0.5 ? UNCHANGED : `b${index}` }));
      }
      // Reference: apply each event to a map, one by one (unknown body on a fresh row = NULL).
      const expected = new Map<bigint, Map<string, unknown> | null>();
      for (const event of events) {
        const id = event.kind === 'truncate' ? 0n : (event.key.get('id') as bigint);
        if (event.kind === 'delete') expected.set(id, null);
        else if (event.kind === 'upsert') {
          const previous = expected.get(id);
          const next = new Map<string, unknown>(event.row);
          if (next.get('body') === UNCHANGED) next.set('body', previous?.get('body') ?? (previous === undefined ? UNCHANGED : null));
          expected.set(id, next);
        }
      }
      const actual = byId(compact(events));
      for (const [id, state] of expected) {
        const change = actual.get(id)!;
        if (state === null) assert.equal(change.kind, 'delete', `round ${round} id ${id}`);
        else {
          assert.equal(change.kind, 'upsert', `round ${round} id ${id}`);
          assert.deepEqual(change.kind === 'upsert' && Object.fromEntries(change.row), Object.fromEntries(state), `round ${round} id ${id}`);
        }
      }
      assert.equal(actual.size, expected.size);
    }
  });

  test('discard returns every pending origin', () => {
    const compactor = new TableCompactor();
    for (const event of [upsert(1, {}, { offset: 5n }), upsert(1, {}, { offset: 6n }), upsert(2, {}, { offset: 7n })]) {
      compactor.add(event, encodeRowKey(event.key, ['id']), event.key, 'upsert');
    }
    assert.deepEqual(compactor.discard().map((origin) => origin.offset).sort(), [5n, 6n, 7n]);
    assert.equal(compactor.size, 0);
  });
});

test('row keys are type-tagged: 1 and "1" never collide', () => {
  assert.notEqual(encodeRowKey(row({ id: 1n }), ['id']), encodeRowKey(row({ id: '1' }), ['id']));
  assert.equal(encodeRowKey(row({ id: 1n }), ['id']), encodeRowKey(row({ id: 1 }), ['id']));
});
