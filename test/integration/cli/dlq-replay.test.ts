/**
 * `sluice dlq replay` round trip: records dead-lettered in the pipeline's own format
 * (deadLetterMessage) are replayed into their original topic and partition with the original
 * key, value and headers and no sluice.dlq.* headers; filters select by table and reason; a dry
 * run produces nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ReplaySummary } from '../../../src/cli/dlq-replay.ts';
import { main } from '../../../src/cli.ts';
import type { KafkaRecord } from '../../../src/kafka/types.ts';
import { Prng } from '../../../src/loadgen/prng.ts';
import { type DeadLetterReason, deadLetterMessage } from '../../../src/pipeline/dead-letter.ts';
import { readTopic, topicRecordCount } from '../../support/sluice-harness.ts';
import { createUniqueTopic, kafkaBrokers, startServices, type TestTopic, testKafka } from '../../support/services.ts';
import { capturedOutput } from './captured-output.ts';

const reasons: readonly DeadLetterReason[] = [
  { reason: 'numeric field overflow in column amount', errorClass: 'poison', code: 'pg.22003', table: 'public.orders' },
  { reason: 'value too long for type character varying(8)', errorClass: 'poison', code: 'pg.22001', table: 'public.customers' },
  { reason: 'malformed JSON at position 3', errorClass: 'decode', code: 'decode.malformed_json' },
];

interface Original {
  readonly record: KafkaRecord;
  readonly why: DeadLetterReason;
}

describe('sluice dlq replay', () => {
  const random = new Prng(4242);
  let sourceA: TestTopic;
  let sourceB: TestTopic;
  let dlq: TestTopic;
  const originals: Original[] = [];
  const env = { SLUICE_KAFKA_BROKERS: kafkaBrokers().join(','), SLUICE_LOG_LEVEL: 'silent' };

  before(async () => {
    await startServices();
    sourceA = await createUniqueTopic(3, 'dlq-source-a');
    sourceB = await createUniqueTopic(3, 'dlq-source-b');
    dlq = await createUniqueTopic(2, 'dlq');
    for (let i = 0; i < 60; i++) {
      const topic = random.chance(0.5) ? sourceA.topic : sourceB.topic;
      const headers = new Map<string, Buffer>([['traceparent', Buffer.from(`00-${i.toString(16).padStart(32, '0')}-01`)]]);
      if (random.chance(0.3)) headers.set('sluice.dlq.reason', Buffer.from('left over from an earlier dead-lettering'));
      const record: KafkaRecord = {
        topic,
        partition: random.int(3),
        offset: BigInt(100 + i),
        key: random.chance(0.1) ? null : Buffer.from(JSON.stringify({ id: i })),
        value: random.chance(0.1) ? null : Buffer.from(JSON.stringify({ payload: { after: { id: i, amount: random.int(1_000_000) } } })),
        headers,
        timestamp: 1_764_000_000_000 + i,
      };
      originals.push({ record, why: reasons[random.int(reasons.length)]! });
    }
    const producer = testKafka('dlq-writer').producer();
    await producer.connect();
    await producer.send({
      topic: dlq.topic,
      messages: originals.map(({ record, why }, i) => {
        const message = deadLetterMessage(record, why, new Date(1_764_000_100_000 + i));
        return { key: message.key, value: message.value, headers: message.headers, partition: i % dlq.partitions };
      }),
    });
    await producer.disconnect();
  });

  after(async () => {
    await Promise.allSettled([sourceA?.delete(), sourceB?.delete(), dlq?.delete()]);
  });

  async function replay(...args: string[]): Promise<ReplaySummary> {
    const output = capturedOutput();
    const code = await main(['dlq', 'replay', '--from', dlq.topic, '--json', ...args], env, output);
    assert.equal(code, 0, output.stderr.join('\n'));
    assert.ok(output.stderr.some((line) => line.startsWith('dlq replay: read')), 'progress shown');
    return JSON.parse(output.stdout.join('\n')) as ReplaySummary;
  }

  function expectedHeaders(record: KafkaRecord): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of record.headers) if (!name.startsWith('sluice.dlq.')) headers[name] = value.toString();
    return headers;
  }

  test('a dry run counts what a filter selects and produces nothing', async () => {
    const summary = await replay('--table', 'public.orders', '--dry-run');
    const selected = originals.filter((o) => o.why.table === 'public.orders');
    assert.equal(summary.dryRun, true);
    assert.equal(summary.read, originals.length);
    assert.equal(summary.replayed, selected.length);
    assert.equal(summary.skippedByFilter, originals.length - selected.length);
    assert.equal((await topicRecordCount(sourceA.topic)) + (await topicRecordCount(sourceB.topic)), 0);
  });

  test('records of one table go back to their original topic and partition, exactly as they were', async () => {
    const summary = await replay('--table', 'public.orders');
    const selected = originals.filter((o) => o.why.table === 'public.orders');
    assert.equal(summary.replayed, selected.length);
    for (const source of [sourceA, sourceB]) {
      const expected = selected.filter((o) => o.record.topic === source.topic);
      const actual = await readTopic(source.topic);
      assert.equal(actual.length, expected.length, `records replayed into ${source.topic}`);
      assert.equal(summary.byTopic[source.topic] ?? 0, expected.length);
      // Within a partition the dead-letter topic's order is kept: compare partition by partition.
      for (let partition = 0; partition < source.partitions; partition++) {
        const want = expected.filter((o) => o.record.partition === partition);
        const got = actual.filter((r) => r.partition === partition);
        assert.equal(got.length, want.length, `partition ${partition} of ${source.topic}`);
        const sortKey = (key: Buffer | null, value: Buffer | null) => `${key?.toString() ?? ''}|${value?.toString() ?? ''}`;
        const wantSorted = [...want].sort((a, b) => sortKey(a.record.key, a.record.value).localeCompare(sortKey(b.record.key, b.record.value)));
        const gotSorted = [...got].sort((a, b) => sortKey(a.key, a.value).localeCompare(sortKey(b.key, b.value)));
        for (let i = 0; i < want.length; i++) {
          const original = wantSorted[i]!.record;
          const replayed = gotSorted[i]!;
          assert.deepEqual(replayed.key, original.key);
          assert.deepEqual(replayed.value, original.value);
          assert.deepEqual(replayed.headers, expectedHeaders(original), 'original headers, no sluice.dlq.*');
        }
      }
    }
  });

  test('--reason matches the reason or the error code; --to sends them elsewhere', async () => {
    const target = await createUniqueTopic(1, 'dlq-target');
    try {
      const summary = await replay('--reason', 'MALFORMED', '--to', target.topic);
      const selected = originals.filter((o) => o.why.code === 'decode.malformed_json');
      assert.equal(summary.replayed, selected.length);
      assert.deepEqual(summary.byCode, { 'decode.malformed_json': selected.length });
      const actual = await readTopic(target.topic);
      assert.equal(actual.length, selected.length);
      for (const record of actual) assert.ok(!Object.keys(record.headers).some((name) => name.startsWith('sluice.dlq.')));
    } finally {
      await target.delete();
    }
  });

  test('a dead-letter topic that does not exist is a usage error', async () => {
    const output = capturedOutput();
    assert.equal(await main(['dlq', 'replay', '--from', 'no-such-topic-sluice'], env, output), 2);
    assert.match(output.stderr.join('\n'), /does not exist/);
  });
});
