import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SourceTable } from '../../../src/cdc/types.ts';
import { type TableNaming, tableKey, targetTableFor } from '../../../src/pipeline/table-naming.ts';

const orders: SourceTable = { database: 'shop', schema: 'public', table: 'orders' };

test('each naming rule names the target table', () => {
  assert.deepEqual(targetTableFor(orders, 'cdc.public.orders', { rule: 'source', prefix: 'x_' }), { namespace: 'public', name: 'x_orders' });
  assert.deepEqual(targetTableFor(orders, 'cdc.public.orders', { rule: 'table', prefix: '' }), { namespace: null, name: 'orders' });
  assert.deepEqual(targetTableFor(orders, 'cdc.public.orders', { rule: 'topic', prefix: 'k_' }), { namespace: null, name: 'k_cdc.public.orders' });
});

test('consecutive calls for one table return the same frozen object; any other input gets its own answer', () => {
  const naming: TableNaming = { rule: 'topic', prefix: '' };
  const first = targetTableFor(orders, 'a', naming);
  assert.equal(targetTableFor(orders, 'a', naming), first);
  assert.ok(Object.isFrozen(first));
  assert.deepEqual(targetTableFor(orders, 'b', naming), { namespace: null, name: 'b' }, 'another topic');
  assert.deepEqual(targetTableFor(orders, 'a', { rule: 'topic', prefix: 'p_' }), { namespace: null, name: 'p_a' }, 'another naming');
  const customers: SourceTable = { database: 'shop', schema: 'sales', table: 'customers' };
  assert.deepEqual(targetTableFor(customers, 'a', { rule: 'source', prefix: '' }), { namespace: 'sales', name: 'customers' }, 'another source table');
  assert.deepEqual(targetTableFor(orders, 'a', naming), first, 'back to the first inputs: an equal answer');
});

test('tableKey: equal for equal tables (cached per object or not), distinct when dots move', () => {
  const target = targetTableFor(orders, 'a', { rule: 'source', prefix: '' });
  assert.equal(tableKey(target), tableKey(target));
  assert.equal(tableKey(target), tableKey({ namespace: 'public', name: 'orders' }));
  assert.notEqual(tableKey({ namespace: 'a.b', name: 'c' }), tableKey({ namespace: 'a', name: 'b.c' }));
  assert.notEqual(tableKey({ namespace: null, name: 'x' }), tableKey({ namespace: 'null', name: 'x' }));
});
