import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHighWatermark, toKafkaRecord } from '../../../src/kafka/record-conversion.ts';
import { deadLetterMessage } from '../../../src/pipeline/dead-letter.ts';

test('a client message becomes a KafkaRecord: bigint offset, numeric timestamp, no headers', () => {
  const record = toKafkaRecord('t', 3, { offset: '9007199254740993', key: Buffer.from('k'), value: Buffer.from('v'), timestamp: '1700000000123', headers: {} });
  assert.equal(record.offset, 9_007_199_254_740_993n);
  assert.equal(record.timestamp, 1_700_000_000_123);
  assert.deepEqual([record.topic, record.partition, record.key?.toString(), record.value?.toString()], ['t', 3, 'k', 'v']);
  assert.equal(record.headers.size, 0);
  assert.equal(toKafkaRecord('t', 0, { offset: '0', value: null, timestamp: '0' }).key, null, 'a missing key is null');
});

test('headers: one value per name, the last of a repeated one; strings become Buffers; undefined is skipped', () => {
  const record = toKafkaRecord('t', 0, {
    offset: '1',
    value: null,
    timestamp: '0',
    headers: { a: Buffer.from('1'), b: [Buffer.from('x'), 'y'], c: undefined, d: 'text' },
  });
  assert.deepEqual(
    [...record.headers].map(([name, value]) => [name, value.toString()]),
    [
      ['a', '1'],
      ['b', 'y'],
      ['d', 'text'],
    ],
  );
  assert.equal(toKafkaRecord('t', 0, { offset: '1', value: null, timestamp: '0', headers: { c: undefined } }).headers.size, 0);
});

test('the high watermark: negative or missing means unknown', () => {
  assert.equal(parseHighWatermark('42'), 42n);
  assert.equal(parseHighWatermark('-1'), null);
  assert.equal(parseHighWatermark(undefined), null);
  assert.equal(parseHighWatermark(''), null);
});

test('headers are built on first read (only dead letters read them): same map, read again gives the same object', () => {
  const clientHeaders = { a: Buffer.from('1'), b: [Buffer.from('x'), 'y'], c: undefined, d: 'text' };
  const record = toKafkaRecord('t', 0, { offset: '1', value: null, timestamp: '0', headers: clientHeaders });
  const first = record.headers;
  assert.equal(record.headers, first, 'built once, then cached');
  assert.deepEqual(
    [...first].map(([name, value]) => [name, value.toString()]),
    [
      ['a', '1'],
      ['b', 'y'],
      ['d', 'text'],
    ],
  );
  assert.equal(first.get('a'), clientHeaders.a, 'Buffer values are passed through, not copied');
});

test('a dead-letter copy of a converted record carries its headers (last value of a repeated key)', () => {
  const record = toKafkaRecord('orders', 2, {
    offset: '41',
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    timestamp: '1700000000000',
    headers: { trace: [Buffer.from('first'), Buffer.from('second')], origin: 'db1', 'sluice.dlq.reason': 'stale' },
  });
  const message = deadLetterMessage(record, { reason: 'bad', errorClass: 'decode', code: 'cdc.malformed_json' }, new Date(0));
  assert.equal(message.headers['trace']?.toString(), 'second');
  assert.equal(message.headers['origin']?.toString(), 'db1');
  assert.equal(message.headers['sluice.dlq.reason'], 'bad', "an earlier dead letter's reason is replaced");
  assert.equal(message.headers['sluice.dlq.offset'], '41');
});
