/** The writer's offset-table key must be the one the core looks claimed offsets up by. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { exactlyOnceTableKey as writerKey } from '../../../connectors/postgres/exactly-once.ts';
import { exactlyOnceTableKey as coreKey } from '../../../src/pipeline/pipeline.ts';

it('postgres exactly-once table key equals the core key', () => {
  for (const table of [
    { namespace: null, name: 'orders' },
    { namespace: 'public', name: 'orders' },
    { namespace: 'we"ird ns', name: 'a.b' },
  ]) {
    assert.equal(writerKey(table), coreKey(table));
  }
});
