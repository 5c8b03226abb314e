import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatTable } from '../../../src/cli/table.ts';

test('columns are padded to the widest cell; integer columns (with - for none) are right-aligned', () => {
  const text = formatTable(['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'CLASS'], [
    ['orders', 0, '12345', 'steady'],
    ['orders', 11, '-', 'linear'],
  ]);
  assert.equal(
    text,
    ['TOPIC   PARTITION  CURRENT-OFFSET  CLASS', 'orders          0           12345  steady', 'orders         11               -  linear'].join('\n'),
  );
});

test('durations read like an operator would say them', () => {
  assert.equal(formatDuration(9_600), '2h 40m');
  assert.equal(formatDuration(42), '42s');
  assert.equal(formatDuration(125), '2m 5s');
  assert.equal(formatDuration(3 * 86_400 + 7_200), '3d 2h');
  assert.equal(formatDuration(Number.POSITIVE_INFINITY), '∞');
});
